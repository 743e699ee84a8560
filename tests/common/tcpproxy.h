/*
 * tcpproxy.h -- a small TCP proxy for network fault tests.
 *
 * It runs in a thread of the test driver, listens on 127.0.0.1:<random
 * port> and forwards every accepted connection to 127.0.0.1:<upstream>.
 * The mode can be changed at any time (it applies to open connections and
 * to new ones):
 *
 *   TCPPROXY_PASS    forward both ways
 *   TCPPROXY_STALL   forward nothing, read nothing, keep every socket open
 *                    (a peer's close is still noticed and logged)
 *   TCPPROXY_DROP    close every connection; new connections are accepted
 *                    (and logged) and closed at once
 *   TCPPROXY_DELAY   forward both ways, each chunk read is held delay_ms
 *   TCPPROXY_ONLY_AB  forward only client -> upstream ("a -> b"): the other
 *                    direction is cut, held (not read, so TCP keeps the
 *                    stream intact for when the mode changes back)
 *   TCPPROXY_ONLY_BA  forward only upstream -> client: a -> b is cut
 *
 * Every accept, close and drop is logged with its monotonic time
 * (lsn_mono_ms) and connection number, for detection and reconnect
 * figures. Thread-safe: the setters and readers may be called from the
 * test thread while the proxy thread runs.
 */
#ifndef TCPPROXY_H
#define TCPPROXY_H

#include <stddef.h>
#include <stdint.h>

enum tcpproxy_mode {
	TCPPROXY_PASS = 0,
	TCPPROXY_STALL,
	TCPPROXY_DROP,
	TCPPROXY_DELAY,
	TCPPROXY_ONLY_AB,	/* the upstream -> client direction is cut */
	TCPPROXY_ONLY_BA	/* the client -> upstream direction is cut */
};

enum tcpproxy_ev {
	TCPPROXY_EV_ACCEPT = 0,	/* a client connected */
	TCPPROXY_EV_A_CLOSED,	/* the client closed (or reset) */
	TCPPROXY_EV_B_CLOSED,	/* the upstream closed (or reset) */
	TCPPROXY_EV_DROPPED,	/* the proxy closed it (DROP, errors) */
	TCPPROXY_EV_NO_UPSTREAM	/* upstream connect failed */
};

struct tcpproxy_event {
	uint64_t	t_ms;	/* lsn_mono_ms() */
	unsigned	conn;	/* 1, 2, ... in accept order */
	int		kind;	/* enum tcpproxy_ev */
};

struct tcpproxy;

/*
 * Starts a proxy to 127.0.0.1:upstream_port in PASS mode. *out is
 * caller-owned (tcpproxy_stop). Returns 0 or -1 (reason on stderr).
 */
int		 tcpproxy_start(int upstream_port, struct tcpproxy **out);

/* The port the proxy listens on (127.0.0.1). */
int		 tcpproxy_port(const struct tcpproxy *p);

/* Sets the mode (delay_ms is used by TCPPROXY_DELAY only). Takes effect
 * within a few milliseconds. */
void		 tcpproxy_set_mode(struct tcpproxy *p, int mode, int delay_ms);

/* Open connections right now. */
size_t		 tcpproxy_open_conns(struct tcpproxy *p);

/*
 * Copies up to max events of `kind` (-1: all) with t_ms >= since into
 * ev (may be NULL to count); returns how many matched (may exceed max).
 */
size_t		 tcpproxy_events(struct tcpproxy *p, int kind, uint64_t since,
		    struct tcpproxy_event *ev, size_t max);

/* Bytes forwarded client -> upstream and upstream -> client. */
void		 tcpproxy_bytes(struct tcpproxy *p, uint64_t *ab, uint64_t *ba);

/* Stops the thread, closes every socket, frees *pp; sets it to NULL.
 * Accepts NULL. */
void		 tcpproxy_stop(struct tcpproxy **pp);

#endif
