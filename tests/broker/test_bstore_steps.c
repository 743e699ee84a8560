/*
 * test_bstore_steps.c -- the broker's schema steps 3 and 4
 * (broker/bstore.c). Step 3: the queue has no index on message ids; each
 * queue row carries its message's expiry (what the expiry scan reads,
 * through a partial index), and messages.pending counted a message's
 * queue rows. Step 4: that count moves to the narrow msg_pending table
 * (a row only while above 0), so a queue row's insert and delete no
 * longer rewrite the message's ~1 KiB row; the prune empties an envelope
 * only once nothing of it is queued. Stores at step 2 and step 3 with
 * messages and queue rows in them migrate with their counts; then the
 * triggers keep them. Runs on sqlite and, as broker_test_bstore_steps_pg,
 * on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/query.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"
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
pending_col(struct lsn_store *st, const char *id)
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

/* broker_migrations up to step n (1..4), terminated, in m[n + 1]. */
static const struct lsn_migration *
upto(struct lsn_migration *m, int n)
{
	memcpy(m, broker_migrations, (size_t) n * sizeof(m[0]));
	memset(&m[n], 0, sizeof(m[n]));
	return (m);
}

/* msg_pending's n for id, or 0 without a row. */
static int64_t
pending_row(struct lsn_store *st, const char *id)
{
	struct lsn_q	*q;
	int64_t		 v = 0;
	int		 rv;

	assert_ok(lsn_store_q(st, "SELECT n FROM msg_pending WHERE "
	    "message_id = ?", &q));
	lsn_q_blob(q, 1, id, 3);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW)
		v = lsn_q_col_i64(q, 0);
	else
		assert_int_equal(rv, LSN_OK);
	lsn_q_reset(q);
	return (v);
}

/* bstore_msg_prune on st: the envelopes it emptied. */
static int64_t
prune(struct lsn_store *st, uint64_t before)
{
	struct broker	b;
	int64_t		n = -1;

	memset(&b, 0, sizeof(b));
	b.st = st;
	assert_ok(bstore_msg_prune(&b, before, 100, &n));
	return (n);
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

/*
 * A store at the last step of migs: p01 and p02, m-1 queued for both,
 * m-2 (expiring at 5000) for p01, m-3 for nobody.
 */
static void
seed(const char *path, const struct lsn_migration *migs)
{
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(path, migs, 0, &st));
	assert_ok(lsn_store_exec(st, "INSERT INTO recipients(partner, "
	    "next_seq, acked_seq) VALUES('p01', 3, 0), ('p02', 2, 0)"));
	add_msg(st, "m-1", 0);
	add_msg(st, "m-2", 5000);
	add_msg(st, "m-3", 0);
	add_queue(st, "p01", 1, "m-1");
	add_queue(st, "p02", 1, "m-1");
	add_queue(st, "p01", 2, "m-2");
	lsn_store_close(&st);
}

static void
test_bstore_v3_migrates_and_counts(void **state)
{
	struct lsn_migration	 m[5];
	struct lsn_store	*st = NULL;
	char			*dir = lsn_test_tmpdir(), path[1024];
	int			 ver;
	const char		*idx_sql;

	(void) state;
	assert_ok(lsn_init());
	assert_ok(lsn_tstore_path(dir, "broker.db", path, sizeof(path)));
	seed(path, upto(m, 2));

	assert_ok(lsn_store_open(path, upto(m, 3), 0, &st));
	assert_ok(lsn_store_version(st, &ver));
	assert_int_equal(ver, 3);
	assert_int_equal(pending_col(st, "m-1"), 2);
	assert_int_equal(pending_col(st, "m-2"), 1);
	assert_int_equal(pending_col(st, "m-3"), 0);
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
	assert_int_equal(pending_col(st, "m-1"), 1);
	assert_int_equal(pending_col(st, "m-3"), 1);
	assert_int_equal(count(st, "SELECT queued FROM recipients WHERE "
	    "partner = 'p02'"), 2);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue"));
	assert_int_equal(count(st, "SELECT count(*) FROM messages WHERE "
	    "pending != 0"), 0);
	lsn_store_close(&st);
	lsn_test_rmdir(dir);
	free(dir);
}

static void
test_bstore_v4_migrates_and_counts(void **state)
{
	struct lsn_migration	 m[5];
	struct lsn_store	*st = NULL;
	char			*dir = lsn_test_tmpdir(), path[1024];
	int			 ver;

	(void) state;
	assert_ok(lsn_init());
	assert_ok(lsn_tstore_path(dir, "broker.db", path, sizeof(path)));
	seed(path, upto(m, 3));

	assert_ok(lsn_store_open(path, broker_migrations, 0, &st));
	assert_ok(lsn_store_version(st, &ver));
	assert_int_equal(ver, 4);
	assert_int_equal(pending_row(st, "m-1"), 2);
	assert_int_equal(pending_row(st, "m-2"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM msg_pending"), 2);

	/* the triggers keep the counts, and a row only above 0 */
	assert_ok(lsn_store_exec(st, "DELETE FROM queue WHERE "
	    "recipient = 'p01' AND seq = 1"));
	add_queue(st, "p02", 2, "m-3");
	assert_int_equal(pending_row(st, "m-1"), 1);
	assert_int_equal(pending_row(st, "m-3"), 1);
	assert_int_equal(count(st, "SELECT queued FROM recipients WHERE "
	    "partner = 'p02'"), 2);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue WHERE "
	    "recipient = 'p01'"));
	assert_int_equal(count(st, "SELECT count(*) FROM msg_pending WHERE "
	    "n <= 0"), 0);
	assert_int_equal(pending_row(st, "m-2"), 0);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue"));
	assert_int_equal(count(st, "SELECT count(*) FROM msg_pending"), 0);
	lsn_store_close(&st);
	lsn_test_rmdir(dir);
	free(dir);
}

/* The prune empties an old envelope only when none of its queue rows is
 * left. */
static void
test_bstore_v4_prune_waits_for_the_queue(void **state)
{
	struct lsn_store	*st = NULL;
	char			*dir = lsn_test_tmpdir(), path[1024];

	(void) state;
	assert_ok(lsn_init());
	assert_ok(lsn_tstore_path(dir, "broker.db", path, sizeof(path)));
	assert_ok(lsn_store_open(path, broker_migrations, 0, &st));
	assert_ok(lsn_store_exec(st, "INSERT INTO recipients(partner, "
	    "next_seq, acked_seq) VALUES('p01', 3, 0)"));
	add_msg(st, "m-1", 0);
	add_msg(st, "m-2", 0);
	add_queue(st, "p01", 1, "m-1");
	assert_ok(lsn_store_exec(st, "UPDATE messages SET accepted_ms = 1"));
	assert_int_equal(prune(st, 1000), 1);		/* m-2 only */
	assert_int_equal(count(st, "SELECT count(*) FROM messages WHERE "
	    "length(signed) = 0"), 1);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue"));
	assert_int_equal(prune(st, 1000), 1);		/* now m-1 */
	assert_int_equal(count(st, "SELECT count(*) FROM messages WHERE "
	    "length(signed) = 0"), 2);
	lsn_store_close(&st);
	lsn_test_rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bstore_v3_migrates_and_counts),
		cmocka_unit_test(test_bstore_v4_migrates_and_counts),
		cmocka_unit_test(test_bstore_v4_prune_waits_for_the_queue),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
