/*
 * agent_fixture.h -- the set-up shared by the in-process agent tests
 * (tests/agent/test_agent_*.c): a synthetic task force (lsn_fixture), the
 * agent of partner index 1 opened on its own database without a broker,
 * and its replica fed with the broker database's directory log.
 *
 * Ownership: agent_fx_setup() allocates the struct agent_env it stores in
 * *state; agent_fx_teardown() closes the agent, removes the fixture and
 * frees it. The helpers fail the test (cmocka) on error. Not thread-safe.
 */
#ifndef AGENT_FIXTURE_H
#define AGENT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "lsn_fixture.h"

struct agent_env {
	struct lsn_fixture	*fx;
	struct agent		*a;	/* partner index 1 */
};

/*
 * cmocka setup: a fixture of npartners, partner 1's agent.conf (broker
 * tcp://127.0.0.1:9, never contacted), the agent opened on it and its
 * replica synced (agent_fx_sync_replica).
 */
int		agent_fx_setup(void **state, size_t npartners);

/* cmocka teardown for agent_fx_setup. */
int		agent_fx_teardown(void **state);

/* Feeds the broker DB's log into the agent's replica. */
void		agent_fx_sync_replica(struct agent_env *e);

/* The first column of the first row of sql on the agent's store (0 when
 * there is no row). */
uint64_t	agent_fx_count_sql(struct agent_env *e, const char *sql);

/*
 * A TLP:GREEN envelope of type (LIAISON__V1__MESSAGE_TYPE_*) and priority
 * prio (LIAISON__V1__PRIORITY__*) with body, from partners[from] to the
 * agent's partner (index 1), a fresh message id, created now, signed by
 * the sender: *out the SignedEnvelope (malloc'd, caller frees).
 */
void		agent_fx_envelope(struct agent_env *e, size_t from, int type,
		    int prio, const uint8_t *body, size_t blen, uint8_t **out,
		    size_t *outlen);

/* Delivers a serialized SignedEnvelope as seq in a turn of its own; it
 * must be answered with one DeliverAck for seq, whose code it returns. */
int		agent_fx_deliver(struct agent_env *e, uint64_t seq,
		    const uint8_t *buf, size_t len);

#endif
