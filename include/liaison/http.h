/*
 * http.h -- a small read-only HTTP listener (libmicrohttpd) for the
 * daemons' /metrics endpoint and the agent's directory page.
 *
 * libmicrohttpd parses HTTP; this module only adds the policy every page
 * of ours shares:
 *   - GET and HEAD only: other methods get 405 with "Allow: GET, HEAD";
 *   - no request body (413), a request target of at most
 *     LSN_HTTP_URL_MAX bytes (414), headers within LSN_HTTP_MEM_BYTES per
 *     connection (libmicrohttpd answers 431 / closes);
 *   - unknown paths are answered by the handler (404 by convention);
 *   - at most LSN_HTTP_CONN_MAX connections, LSN_HTTP_PER_IP_MAX per
 *     address, each closed after LSN_HTTP_TIMEOUT_S idle seconds, so a
 *     slow client cannot hold the listener for long;
 *   - every answer carries the security headers (CSP default-src 'none',
 *     no framing, nosniff, no referrer, no caching).
 *
 * Threading: the listener runs in ONE thread of its own (libmicrohttpd's
 * internal polling thread); the handler is called in that thread and must
 * not touch state of the daemon's main loop (use struct lsn_snap). The
 * main loop is never blocked by a client.
 */
#ifndef LIAISON_HTTP_H
#define LIAISON_HTTP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

#define LSN_HTTP_URL_MAX	256
#define LSN_HTTP_MEM_BYTES	(16 * 1024)
#define LSN_HTTP_CONN_MAX	32
#define LSN_HTTP_PER_IP_MAX	16
#define LSN_HTTP_TIMEOUT_S	5
#define LSN_HTTP_LISTEN_MAX	64	/* "host:port" text */

/* An answer filled by the handler. body is malloc'd and taken over. */
struct lsn_http_reply {
	int		 status;	/* 200, 404, 503 ... */
	const char	*ctype;		/* static string */
	char		*body;
	size_t		 len;
};

/* Called in the listener thread for a GET/HEAD of path (without the
 * query string, borrowed). Returns LSN_OK with r filled, or an error
 * (answered 500). */
typedef int lsn_http_fn(void *arg, const char *path,
    struct lsn_http_reply *r);

/* Called in the listener thread with the connected socket of a request;
 * 1 lets it through, 0 answers 403. */
typedef int lsn_http_allow_fn(void *arg, int fd);

struct lsn_http;

/*
 * The uid owning the other end of the loopback TCP connection fd (Linux
 * NETLINK_SOCK_DIAG). LSN_OK with *uid; LSN_ENOENT (not found: the peer
 * is not local), LSN_EINVAL (not a TCP socket), LSN_EIO.
 */
int	lsn_tcp_peer_uid(int fd, uid_t *uid);

/*
 * Parses "A.B.C.D:PORT" or "[v6]:PORT" (port 0..65535; 0 = any free
 * port). loopback_only: refuse addresses other than 127.0.0.0/8 and ::1.
 * LSN_OK or LSN_EINVAL.
 */
int	lsn_http_listen_valid(const char *listen, int loopback_only);

/*
 * Starts a listener on listen (see lsn_http_listen_valid) calling fn(arg)
 * per request. allow (may be NULL: everyone) is asked first, per request,
 * with the connection's socket; a refused request gets 403 before any
 * other check. *out caller-owned (lsn_http_close). LSN_EINVAL (address),
 * LSN_EIO (bind failed; errno kept), LSN_ENOMEM.
 */
int	lsn_http_open(const char *listen, lsn_http_fn *fn,
	    lsn_http_allow_fn *allow, void *arg, struct lsn_http **out)
	    LSN_MUST_CHECK;

/* The bound port (useful with port 0). */
uint16_t lsn_http_port(const struct lsn_http *h);

/*
 * Writes "HOST:PORT\n" of the bound listener to path atomically (temp
 * file + rename, mode 0644), for tests and scrapers that bound port 0.
 */
int	lsn_http_write_addr(const struct lsn_http *h, const char *path);

/* Stops the thread and frees; NULL-safe; sets *hp = NULL. */
void	lsn_http_close(struct lsn_http **hp);

/* Content types. */
#define LSN_HTTP_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define LSN_HTTP_HTML	"text/html; charset=utf-8"
#define LSN_HTTP_CSS	"text/css; charset=utf-8"
#define LSN_HTTP_TEXT	"text/plain; charset=utf-8"

#endif /* LIAISON_HTTP_H */
