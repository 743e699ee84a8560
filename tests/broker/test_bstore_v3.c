/*
 * test_bstore_v3.c -- the broker's schema step 3 (broker/bstore.c): the
 * queue has no index on its random message ids any more; a message's
 * queue rows are counted in messages.pending by the triggers (what the
 * prune checks), and each queue row carries its message's expiry (what
 * the expiry scan reads, through a partial index). A store at step 2 with
 * messages and queue rows in it migrates with the counts and expiries
 * filled in; then the triggers keep the counts. Runs on sqlite and, as
 * broker_test_bstore_v3_pg, on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/query.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "broker.h"
#include "lsn_test.h"
#include "lsn_tstore.h"

static int64_t
count(struct lsn_store *st, const char *sql)
{
	int64_t	v = -1;

	assert_ok(lsn_store_i64(st, sql, &v));
	return (v);
}

static int64_t
pending_of(struct lsn_store *st, const char *id)
{
	struct lsn_q	*q;
	int64_t		 v = -1;

	assert_ok(lsn_store_q(st, "SELECT pending FROM messages WHERE "
	    "message_id = ?", &q));
	lsn_q_blob(q, 1, id, 3);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	v = lsn_q_col_i64(q, 0);
	lsn_q_reset(q);
	return (v);
}

static void
add_msg(struct lsn_store *st, const char *id, int64_t expires)
{
	struct lsn_q	*q;

	assert_ok(lsn_store_q(st, "INSERT INTO messages(message_id, "
	    "env_hash, signed, sender, recipients, created_ms, expires_ms, "
	    "accepted_ms) VALUES(?, ?, ?, 'p00', 'p01', 1, ?, 1)", &q));
	lsn_q_blob(q, 1, id, 3);
	lsn_q_blob(q, 2, "h", 1);
	lsn_q_blob(q, 3, "signed", 6);
	lsn_q_i64(q, 4, expires);
	assert_ok(lsn_q_run(q));
}

static void
add_queue(struct lsn_store *st, const char *rcpt, int64_t seq,
    const char *id)
{
	struct lsn_q	*q;

	assert_ok(lsn_store_q(st, "INSERT INTO queue(recipient, seq, "
	    "message_id) VALUES(?, ?, ?)", &q));
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, seq);
	lsn_q_blob(q, 3, id, 3);
	assert_ok(lsn_q_run(q));
}

static void
test_bstore_v3_migrates_and_counts(void **state)
{
	struct lsn_migration	 v2[3], v3[4];
	struct lsn_store	*st = NULL;
	char			*dir = lsn_test_tmpdir(), path[1024];
	int			 ver;
	const char		*idx_sql;

	(void) state;
	assert_ok(lsn_init());
	assert_ok(lsn_tstore_path(dir, "broker.db", path, sizeof(path)));
	memcpy(v2, broker_migrations, 2 * sizeof(v2[0]));
	memset(&v2[2], 0, sizeof(v2[2]));
	memcpy(v3, broker_migrations, 3 * sizeof(v3[0]));
	memset(&v3[3], 0, sizeof(v3[3]));	/* step 4: test_bstore_v4 */
	assert_ok(lsn_store_open(path, v2, 0, &st));
	assert_ok(lsn_store_exec(st, "INSERT INTO recipients(partner, "
	    "next_seq, acked_seq) VALUES('p01', 3, 0), ('p02', 2, 0)"));
	add_msg(st, "m-1", 0);
	add_msg(st, "m-2", 5000);
	add_msg(st, "m-3", 0);
	add_queue(st, "p01", 1, "m-1");
	add_queue(st, "p02", 1, "m-1");
	add_queue(st, "p01", 2, "m-2");
	lsn_store_close(&st);

	assert_ok(lsn_store_open(path, v3, 0, &st));
	assert_ok(lsn_store_version(st, &ver));
	assert_int_equal(ver, 3);
	assert_int_equal(pending_of(st, "m-1"), 2);
	assert_int_equal(pending_of(st, "m-2"), 1);
	assert_int_equal(pending_of(st, "m-3"), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM queue WHERE "
	    "expires_ms = 5000"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM queue WHERE "
	    "expires_ms = 0"), 2);
	idx_sql = lsn_tstore_pg() ?
	    "SELECT count(*) FROM pg_indexes WHERE indexname = 'queue_msg'" :
	    "SELECT count(*) FROM sqlite_master WHERE name = 'queue_msg'";
	assert_int_equal(count(st, idx_sql), 0);

	/* the triggers keep the counts (and recipients.queued as before) */
	assert_ok(lsn_store_exec(st, "DELETE FROM queue WHERE "
	    "recipient = 'p01' AND seq = 1"));
	add_queue(st, "p02", 2, "m-3");
	assert_int_equal(pending_of(st, "m-1"), 1);
	assert_int_equal(pending_of(st, "m-3"), 1);
	assert_int_equal(count(st, "SELECT queued FROM recipients WHERE "
	    "partner = 'p02'"), 2);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue"));
	assert_int_equal(count(st, "SELECT count(*) FROM messages WHERE "
	    "pending != 0"), 0);
	lsn_store_close(&st);
	lsn_test_rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bstore_v3_migrates_and_counts),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
