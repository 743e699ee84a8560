/*
 * agent_it.h -- helpers for agent integration tests: start liaison-agent
 * processes for fixture partners, talk to them through the C client, run
 * the CLI. Built on lsn_fixture and lsn_proc; every process is registered
 * with lsn_proc (killed at teardown / exit).
 */
#ifndef AGENT_IT_H
#define AGENT_IT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"

#include "lsn_fixture.h"

/* Short timers so reconnects and resends happen within a test. */
#define AGENT_IT_CONF_EXTRA						\
	"ping_ms = 300\n"						\
	"dead_after_ms = 2000\n"					\
	"reconnect_min_ms = 50\n"					\
	"reconnect_max_ms = 400\n"					\
	"resend_ms = 700\n"

/* The agent's API endpoint for partner i (ipc://D/<id>/api.sock). */
void	agent_it_endpoint(const struct lsn_fixture *fx, size_t i, char *buf,
	    size_t bufsz);

/*
 * Writes partners[i]'s agent.conf (broker endpoint ep, AGENT_IT_CONF_EXTRA
 * plus extra) and starts liaison-agent -d -c it (log D/<id>/agent.log);
 * waits up to 10 s for its API socket. Returns the pid or -1.
 */
pid_t	agent_it_start(struct lsn_fixture *fx, size_t i, const char *ep,
	    const char *extra);

/* One API call to partner i's agent (timeout 10 s). *resp caller-owned
 * (lsn_client_response_free). Returns the transport result. */
int	agent_it_call(const struct lsn_fixture *fx, size_t i,
	    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **resp);

/* Status of partner i's agent; caller frees *resp. */
int	agent_it_status(const struct lsn_fixture *fx, size_t i,
	    Liaison__V1__ApiResponse **resp);

/* Waits (<= timeout_ms) until the agent reports connected and its
 * directory rev >= min_rev. LSN_OK or LSN_ETIMEDOUT. */
int	agent_it_wait_connected(const struct lsn_fixture *fx, size_t i,
	    uint64_t min_rev, int timeout_ms);

/* Submits a note from partner i to `to` (comma-free single id) or to
 * group (when to is NULL). msgid receives the id. Returns the agent's
 * code as an lsn_err. */
int	agent_it_send(const struct lsn_fixture *fx, size_t i, const char *to,
	    const char *group, const char *text, uint8_t msgid[16]);

/* Submits a P1 referral (category grooming, jurisdiction NL by IP
 * geolocation) with summary, marked tlp (LIAISON__V1__TLP__*), from
 * partner i to partner `to`; rid is its referral id (NULL: a random one).
 * Returns the transport result, else the agent's code as an lsn_err. */
int	agent_it_send_referral(const struct lsn_fixture *fx, size_t i,
	    size_t to, const uint8_t rid[16], int tlp, const char *summary);

/* Outbox state of msgid at partner i's agent (OUTBOX_* value), its
 * publish code (lsn_err) in *code if not NULL. */
int	agent_it_outbox(const struct lsn_fixture *fx, size_t i,
	    const uint8_t msgid[16], int *state, int *code);

/* Waits until msgid is accepted or rejected (<= timeout_ms); *state. */
int	agent_it_wait_outbox(const struct lsn_fixture *fx, size_t i,
	    const uint8_t msgid[16], int timeout_ms, int *state, int *code);

/* Number of inbox items (acked included) and quarantined deliveries. */
int	agent_it_counts(const struct lsn_fixture *fx, size_t i,
	    uint64_t *inbox, uint64_t *quarantined);

/* Waits until the inbox holds at least n items (<= timeout_ms). */
int	agent_it_wait_inbox(const struct lsn_fixture *fx, size_t i,
	    uint64_t n, int timeout_ms);

/* All inbox items (acked included), in local order; caller frees *resp
 * (items in (*resp)->inbox_list). At most 1000. */
int	agent_it_inbox(const struct lsn_fixture *fx, size_t i,
	    uint64_t after_seq, Liaison__V1__ApiResponse **resp);

/*
 * Runs `liaison ARGS... --agent <endpoint of i>` (args NULL-terminated),
 * stdout in *out (malloc'd, may be NULL to discard). Returns the exit
 * status.
 */
int	agent_it_cli(const struct lsn_fixture *fx, size_t i, char **out,
	    const char *arg0, ...);

/*
 * The set-up of the tests that publish hand-made envelopes: a fixture, its
 * broker, at most one agent and a raw wire client (a DEALER). Allocated
 * by agent_it_wire_setup, freed by agent_it_wire_teardown (which also
 * kills every process lsn_proc started).
 */
struct agent_it_wire {
	struct lsn_fixture	*fx;
	int			 broker;	/* its pid */
	pid_t			 agent;		/* 0: none started */
	char			 ep[256];	/* the broker's endpoint */
	void			*ctx;
	void			*sock;		/* the client's DEALER */
};

/*
 * cmocka setup: lsn_init, a fixture of npartners, its broker (-v with
 * LSN_TEST_VERBOSE set), partner agent's agent started and connected
 * when agent >= 0, then a DEALER with partner client's transport key
 * connected to the broker. 0 and *state set, or -1.
 */
int	agent_it_wire_setup(void **state, size_t npartners, int agent,
	    size_t client);

/* cmocka teardown for agent_it_wire_setup. */
int	agent_it_wire_teardown(void **state);

#endif
