/* agent_fixture.c -- the in-process agent tests' set-up (agent_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent_fixture.h"
#include "lsn_test.h"

struct collect {
	Liaison__V1__LogEntry	**v;
	size_t			  n;
};

static int
collect_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct collect	*c = arg;

	(void) rev;
	if ((c->v[c->n] = liaison__v1__log_entry__unpack(NULL, len, entry)) ==
	    NULL)
		return (LSN_EPROTO);
	c->n++;
	return (0);
}

void
agent_fx_sync_replica(struct agent_env *e)
{
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__DirOps		 ops = LIAISON__V1__DIR_OPS__INIT;
	Liaison__V1__SignedCheckpoint	*scp;
	struct collect			 c;
	uint8_t				*cp = NULL;
	size_t				 cplen = 0;

	assert_ok(lsn_store_open(e->fx->broker_db, lsn_dir_migrations, 0,
	    &st));
	assert_ok(lsn_dir_open(st, &d));
	assert_non_null(c.v = calloc(1000, sizeof(*c.v)));
	c.n = 0;
	assert_ok(lsn_dir_entries_after(d, 0, 1000, collect_entry, &c));
	assert_ok(lsn_dir_checkpoint_make(d, e->fx->seq, lsn_now_ms(), &cp,
	    &cplen));
	assert_non_null(scp = liaison__v1__signed_checkpoint__unpack(NULL,
	    cplen, cp));
	ops.n_entries = c.n;
	ops.entries = c.v;
	ops.checkpoint = scp;
	assert_ok(agent_tx_begin(e->a));
	assert_ok(replica_on_ops(e->a, &ops));
	agent_tx_end(e->a);
	assert_false(e->a->halted);
	for (size_t i = 0; i < c.n; i++)
		liaison__v1__log_entry__free_unpacked(c.v[i], NULL);
	free(c.v);
	liaison__v1__signed_checkpoint__free_unpacked(scp, NULL);
	free(cp);
	lsn_dir_close(&d);
	lsn_store_close(&st);
}

int
agent_fx_setup(void **state, size_t npartners)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct agent_conf	 c;
	struct agent_env	*e;
	char			 err[256];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = npartners;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 1, "tcp://127.0.0.1:9",
	    NULL));
	assert_ok(aconf_load(e->fx->partners[1].agent_conf, &c, err,
	    sizeof(err)));
	assert_ok(agent_open(NULL, &c, &e->a));
	agent_fx_sync_replica(e);
	*state = e;
	return (0);
}

int
agent_fx_teardown(void **state)
{
	struct agent_env	*e = *state;

	agent_close(&e->a);
	lsn_fixture_destroy(&e->fx);
	free(e);
	return (0);
}

uint64_t
agent_fx_count_sql(struct agent_env *e, const char *sql)
{
	sqlite3_stmt	*s;
	uint64_t	 n = 0;

	assert_ok(lsn_store_stmt(e->a->st, sql, &s));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t) sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (n);
}

void
agent_fx_envelope(struct agent_env *e, size_t from, int type, int prio,
    const uint8_t *body, size_t blen, uint8_t **out, size_t *outlen)
{
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	uint8_t			 id[16];
	char			*to[1];
	const char		*field = NULL;

	lsn_random(id, sizeof(id));
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = 16;
	to[0] = e->fx->partners[1].id;
	env.n_to = 1;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = type;
	env.has_priority = 1;
	env.priority = prio;
	env.handling = &h;
	env.has_body = 1;
	env.body.data = (uint8_t *) (uintptr_t) body;
	env.body.len = blen;
	assert_ok(lsn_envelope_sign(&env, e->fx->partners[from].sign, out,
	    outlen, &field));
}

int
agent_fx_deliver(struct agent_env *e, uint64_t seq, const uint8_t *buf,
    size_t len)
{
	Liaison__V1__Deliver	 d = LIAISON__V1__DELIVER__INIT;
	int			 code;

	d.has_seq = 1;
	d.seq = seq;
	assert_non_null(d.envelope = liaison__v1__signed_envelope__unpack(
	    NULL, len, buf));
	assert_ok(agent_tx_begin(e->a));
	e->a->nacks = 0;
	assert_ok(inbox_on_deliver(e->a, &d));
	assert_int_equal(e->a->nacks, 1);
	assert_int_equal(e->a->acks[0].seq, seq);
	code = e->a->acks[0].code;
	agent_tx_end(e->a);
	liaison__v1__signed_envelope__free_unpacked(d.envelope, NULL);
	return (code);
}
