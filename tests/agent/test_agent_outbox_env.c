/*
 * test_agent_outbox_env.c -- the outbox keeps each envelope in a table of
 * its own (agent schema step 10, astore_outbox.c): an agent upgraded over
 * a database of step 9 finds every envelope it had sent, in order, a
 * PublishAck's update leaves the envelope as it was, and a message sent
 * after the upgrade is stored the new way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "agent.h"
#include "agent_fixture.h"
#include "astore.h"
#include "lsn_test.h"

#define NOLD	3

struct old_row {
	uint8_t		 id[LSN_MSGID_BYTES];
	uint8_t		*signed_env;
	size_t		 len;
};

/* The hash receipts name: of the Envelope inside a SignedEnvelope. */
static void
env_hash_of(const uint8_t *signed_env, size_t len, uint8_t h[LSN_HASH_BYTES])
{
	const uint8_t	*env;
	size_t		 envlen;

	assert_ok(lsn_envelope_view(signed_env, len, &env, &envlen));
	lsn_hash(env, envlen, h);
}

/* agent_migrations up to step 9: the schema of the release before. */
static void
migrations_to_9(struct lsn_migration *m, size_t max)
{
	size_t	n = 0;

	while (agent_migrations[n].to != 0 &&
	    agent_migrations[n].to <= 9) {
		assert_true(n + 1 < max);
		m[n] = agent_migrations[n];
		n++;
	}
	assert_int_equal(n, 9);
	memset(&m[n], 0, sizeof(m[n]));
}

/* A step-9 database at path holding rows r (state 'pending'), the last
 * one without its env_hash (as rows from before step 9). */
static void
make_old_db(const char *path, struct old_row *r, size_t n)
{
	struct lsn_migration	 m[16];
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*s;
	uint8_t			 h[LSN_HASH_BYTES];

	migrations_to_9(m, 16);
	assert_ok(lsn_store_open(path, m, 0, &st));
	assert_ok(lsn_store_stmt(st, "INSERT INTO outbox(message_id, signed, "
	    "state, created_ms, recipients, env_hash) VALUES(?, ?, "
	    "'pending', 1, 'p03', ?)", &s));
	for (size_t i = 0; i < n; i++) {
		env_hash_of(r[i].signed_env, r[i].len, h);
		assert_int_equal(sqlite3_bind_blob(s, 1, r[i].id,
		    LSN_MSGID_BYTES, SQLITE_STATIC), SQLITE_OK);
		assert_int_equal(sqlite3_bind_blob(s, 2, r[i].signed_env,
		    (int) r[i].len, SQLITE_STATIC), SQLITE_OK);
		if (i + 1 < n)
			assert_int_equal(sqlite3_bind_blob(s, 3, h,
			    LSN_HASH_BYTES, SQLITE_STATIC), SQLITE_OK);
		else
			assert_int_equal(sqlite3_bind_null(s, 3), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	lsn_store_close(&st);
}

struct seen {
	struct old_row	*r;
	size_t		 n;
};

/* astore_outbox_fn: the rows come in oid order with their envelopes. */
static int
check_row(void *arg, const struct astore_outbox_row *o)
{
	struct seen	*sn = arg;

	assert_true(sn->n < NOLD);
	assert_memory_equal(o->msgid, sn->r[sn->n].id, LSN_MSGID_BYTES);
	assert_int_equal(o->signed_len, sn->r[sn->n].len);
	assert_memory_equal(o->signed_env, sn->r[sn->n].signed_env,
	    o->signed_len);
	sn->n++;
	return (0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct agent_env	*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 3;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 1, "tcp://127.0.0.1:9",
	    NULL));
	*state = e;
	return (0);
}

static void
test_agent_outbox_env_upgrade(void **state)
{
	struct agent_env	*e = *state;
	struct agent_conf	 c;
	struct old_row		 r[NOLD];
	struct seen		 sn = { r, 0 };
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	int64_t			 n = 0;
	char			 err[256];

	assert_ok(aconf_load(e->fx->partners[1].agent_conf, &c, err,
	    sizeof(err)));
	/* envelopes signed by the agent's own partner, as it sent them */
	for (size_t i = 0; i < NOLD; i++) {
		struct agent_env	 tmp = { e->fx, NULL };
		uint8_t			 body[] = "synthetic note";

		agent_fx_envelope(&tmp, 1,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
		    LIAISON__V1__PRIORITY__PRIORITY_P3, body, sizeof(body),
		    &r[i].signed_env, &r[i].len);
		lsn_random(r[i].id, LSN_MSGID_BYTES);
	}
	make_old_db(c.db, r, NOLD);

	assert_ok(agent_open(NULL, &c, &e->a));
	agent_fx_sync_replica(e);
	/* the column is gone from the outbox; its bytes moved */
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "pragma_table_info('outbox') WHERE name = 'signed'"), 0);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "outbox_env"), NOLD);
	for (size_t i = 0; i < NOLD; i++) {
		assert_ok(astore_outbox_signed(e->a, r[i].id, &buf, &len));
		assert_int_equal(len, r[i].len);
		assert_memory_equal(buf, r[i].signed_env, len);
		free(buf);
		buf = NULL;
	}
	assert_ok(astore_outbox_pending(e->a, 0, 10, check_row, &sn));
	assert_int_equal(sn.n, NOLD);
	/* with and without its stored hash (the last row) */
	for (size_t i = 0; i < NOLD; i++) {
		uint8_t	h[LSN_HASH_BYTES], want[LSN_HASH_BYTES];

		env_hash_of(r[i].signed_env, r[i].len, want);
		assert_ok(astore_outbox_env_hash(e->a, r[i].id, h));
		assert_memory_equal(h, want, LSN_HASH_BYTES);
	}

	/* a PublishAck changes the state, not the envelope */
	assert_ok(agent_tx_begin(e->a));
	assert_ok(astore_outbox_ack(e->a, r[1].id, LSN_MSGID_BYTES,
	    "accepted", 0, "", &n));
	assert_int_equal(n, 1);
	assert_ok(agent_tx_commit(e->a));
	assert_ok(astore_outbox_signed(e->a, r[1].id, &buf, &len));
	assert_int_equal(len, r[1].len);
	assert_memory_equal(buf, r[1].signed_env, len);
	free(buf);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox "
	    "WHERE state = 'pending'"), NOLD - 1);

	for (size_t i = 0; i < NOLD; i++)
		free(r[i].signed_env);
}

/* A message sent after the upgrade: one row in each table, one oid. */
static void
test_agent_outbox_env_new_rows(void **state)
{
	struct agent_env	*e = *state;
	struct agent_conf	 c;
	uint8_t			 id[LSN_MSGID_BYTES], h[LSN_HASH_BYTES];
	uint8_t			 h2[LSN_HASH_BYTES];
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	char			 err[256];
	int			 ours = 0;

	assert_ok(aconf_load(e->fx->partners[1].agent_conf, &c, err,
	    sizeof(err)));
	assert_ok(agent_open(NULL, &c, &e->a));
	agent_fx_sync_replica(e);
	assert_ok(agent_tx_begin(e->a));
	{
		Liaison__V1__SubmitRequest r = LIAISON__V1__SUBMIT_REQUEST__INIT;
		Liaison__V1__Note	   nt = LIAISON__V1__NOTE__INIT;
		uint8_t			   body[128];
		char			  *to[1], detail[256];

		nt.text = (char *) (uintptr_t) "Synthetic coordination note.";
		r.body.len = liaison__v1__note__pack(&nt, body);
		r.body.data = body;
		r.has_body = 1;
		r.has_type = 1;
		r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
		to[0] = e->fx->partners[2].id;
		r.n_to = 1;
		r.to = to;
		assert_ok(outbox_submit(e->a, &r, id, detail, sizeof(detail)));
	}
	assert_ok(agent_tx_commit(e->a));
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox o "
	    "JOIN outbox_env v ON v.oid = o.oid"), 1);
	/* signed in the turn: the stored bytes open under the agent's key */
	assert_ok(astore_outbox_signed(e->a, id, &buf, &len));
	env_hash_of(buf, len, h);
	free(buf);
	assert_ok(astore_outbox_env_hash(e->a, id, h2));
	assert_memory_equal(h, h2, LSN_HASH_BYTES);
	/* the receipts' look-up finds it as ours */
	assert_ok(astore_signed_of(e->a, id, &buf, &len, &ours));
	assert_int_equal(ours, 1);
	env_hash_of(buf, len, h2);
	assert_memory_equal(h, h2, LSN_HASH_BYTES);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agent_outbox_env_upgrade,
		    setup, agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_outbox_env_new_rows, setup, agent_fx_teardown),
	};
	return (cmocka_run_group_tests_name("agent_outbox_env", tests, NULL,
	    NULL));
}
