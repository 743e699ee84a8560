/* bstore.c -- the broker's database schema: the directory tables (step 1,
 * shared with `liaison admin` files) and the broker's own (steps 2-4);
 * what the broker does with a failed store call; bstore_run
 * (bstore_int.h). */

/*
 * What the broker's statements (bstore_*.c over query.h, bstore.h) rely
 * on; a PostgreSQL schema must match it:
 *
 * Types (query.h reads integers as int64, blobs as bytes, texts as text):
 *  messages:   message_id BYTEA PRIMARY KEY (16 bytes), env_hash BYTEA
 *              NOT NULL (32 bytes), signed BYTEA NOT NULL (emptied to a
 *              0-byte value by deliver_prune, never NULL), sender TEXT,
 *              recipients TEXT (ids joined by ','), created_ms,
 *              expires_ms (0: none), accepted_ms BIGINT NOT NULL.
 *  recipients: partner TEXT PRIMARY KEY, next_seq, acked_seq BIGINT NOT
 *              NULL, queued BIGINT NOT NULL DEFAULT 0.
 *  queue:      recipient TEXT, seq BIGINT, message_id BYTEA, expires_ms
 *              BIGINT (the message's, 0: none), all NOT NULL, PRIMARY
 *              KEY (recipient, seq); no index on message_id (step 3).
 *  msg_pending: message_id BYTEA PRIMARY KEY, n BIGINT NOT NULL: the
 *              message's queue rows, a row only while n > 0 (step 4).
 *  audit:      (LSN_AUDIT_SCHEMA_V1) id BIGINT, increasing with each row
 *              (bstore_stats.c: MAX(id), ORDER BY id DESC), time_ms
 *              BIGINT, kind, subject, detail TEXT.
 * Triggers: recipients.queued counts the partner's queue rows, and
 *  msg_pending the message's: +1 AFTER INSERT ON queue, -1 AFTER DELETE
 *  ON queue (FOR EACH ROW; a trigger function on PostgreSQL). queue.c
 *  caches queued and next_seq per turn and counts on the triggers for
 *  the stored value.
 * Indexes the statements want: messages(expires_ms) WHERE expires_ms > 0
 *  and queue(expires_ms) WHERE expires_ms > 0 (expiry),
 *  messages(accepted_ms) WHERE length(signed) > 0 (pruning, with
 *  msg_pending's key for its NOT EXISTS).
 * Unique constraints: the primary keys above only; the broker's own
 *  statements use no ON CONFLICT (dup_check reads before INSERT, in the
 *  same transaction); the msg_pending trigger does.
 * Statements: a SELECT's rows stay open while other statements run on the
 *  same store (deliver.c's pump_row asks the directory per row of
 *  bstore_msg_pending, bmetrics reads one queue per bstore_queues_top
 *  row): a backend must fetch a result whole, not row by row over the
 *  connection.
 * Transactions: any failed statement in a turn fails the turn (tx_failed,
 *  rolled back), so no statement is run after a failure in the same
 *  transaction (PostgreSQL's aborted-transaction rule holds).
 */
#include <stddef.h>

#include "liaison/audit.h"
#include "liaison/dir.h"
#include "liaison/log.h"

#include "broker.h"
#include "bstore_int.h"
#include "leader.h"

static const char broker_schema_v1[] =
	"CREATE TABLE messages ("
	" message_id BLOB PRIMARY KEY,"
	" env_hash BLOB NOT NULL,"
	" signed BLOB NOT NULL,"
	" sender TEXT NOT NULL,"
	" recipients TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL,"
	" accepted_ms INTEGER NOT NULL);"
	"CREATE INDEX messages_expires ON messages(expires_ms)"
	" WHERE expires_ms > 0;"
	"CREATE INDEX messages_held ON messages(accepted_ms)"
	" WHERE length(signed) > 0;"
	"CREATE TABLE recipients ("
	" partner TEXT PRIMARY KEY,"
	" next_seq INTEGER NOT NULL,"
	" acked_seq INTEGER NOT NULL,"
	" queued INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE queue ("
	" recipient TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" message_id BLOB NOT NULL,"
	" PRIMARY KEY(recipient, seq)) WITHOUT ROWID;"
	"CREATE INDEX queue_msg ON queue(message_id);"
	/* queued = rows in queue, for the quota check without a scan */
	"CREATE TRIGGER queue_ins AFTER INSERT ON queue BEGIN"
	" UPDATE recipients SET queued = queued + 1"
	" WHERE partner = NEW.recipient; END;"
	"CREATE TRIGGER queue_del AFTER DELETE ON queue BEGIN"
	" UPDATE recipients SET queued = queued - 1"
	" WHERE partner = OLD.recipient; END;"
	LSN_AUDIT_SCHEMA_V1;

/*
 * The same on PostgreSQL: BIGINT, BYTEA, texts COLLATE "C" (bytewise, as
 * sqlite), a plain table for WITHOUT ROWID and one plpgsql trigger
 * function for both triggers. Keep in step with broker_schema_v1.
 */
static const char broker_schema_pg_v1[] =
	"CREATE TABLE messages ("
	" message_id BYTEA PRIMARY KEY,"
	" env_hash BYTEA NOT NULL,"
	" signed BYTEA NOT NULL,"
	" sender TEXT COLLATE \"C\" NOT NULL,"
	" recipients TEXT COLLATE \"C\" NOT NULL,"
	" created_ms BIGINT NOT NULL,"
	" expires_ms BIGINT NOT NULL,"
	" accepted_ms BIGINT NOT NULL);"
	"CREATE INDEX messages_expires ON messages(expires_ms)"
	" WHERE expires_ms > 0;"
	"CREATE INDEX messages_held ON messages(accepted_ms)"
	" WHERE length(signed) > 0;"
	"CREATE TABLE recipients ("
	" partner TEXT COLLATE \"C\" PRIMARY KEY,"
	" next_seq BIGINT NOT NULL,"
	" acked_seq BIGINT NOT NULL,"
	" queued BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE queue ("
	" recipient TEXT COLLATE \"C\" NOT NULL,"
	" seq BIGINT NOT NULL,"
	" message_id BYTEA NOT NULL,"
	" PRIMARY KEY(recipient, seq));"
	"CREATE INDEX queue_msg ON queue(message_id);"
	/* queued = rows in queue, for the quota check without a scan */
	"CREATE FUNCTION lsn_queue_count() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'INSERT' THEN"
	"  UPDATE recipients SET queued = queued + 1"
	"  WHERE partner = NEW.recipient;"
	" ELSE"
	"  UPDATE recipients SET queued = queued - 1"
	"  WHERE partner = OLD.recipient;"
	" END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER queue_ins AFTER INSERT ON queue"
	" FOR EACH ROW EXECUTE FUNCTION lsn_queue_count();"
	"CREATE TRIGGER queue_del AFTER DELETE ON queue"
	" FOR EACH ROW EXECUTE FUNCTION lsn_queue_count();"
	LSN_AUDIT_SCHEMA_PG_V1;

/*
 * No index on queue(message_id): message ids are random, so with a
 * backlog every queued and every acknowledged message dirtied its own
 * page of that index (the broker wrote twice the bytes per message with
 * 40,000 queued for an absent member; docs/performance.md). What it
 * served is kept another way: messages.pending counts a message's queue
 * rows (the triggers, for the prune), and queue.expires_ms copies the
 * message's expiry, with a partial index, for the expiry scan.
 */
static const char broker_schema_v3[] =
	"ALTER TABLE queue ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;"
	"UPDATE queue SET expires_ms = coalesce((SELECT m.expires_ms"
	" FROM messages m WHERE m.message_id = queue.message_id), 0);"
	"UPDATE messages SET pending = (SELECT count(*) FROM queue q"
	" WHERE q.message_id = messages.message_id)"
	" WHERE message_id IN (SELECT message_id FROM queue);"
	"DROP INDEX queue_msg;"
	"CREATE INDEX queue_exp ON queue(expires_ms) WHERE expires_ms > 0;"
	"DROP TRIGGER queue_ins;"
	"DROP TRIGGER queue_del;"
	"CREATE TRIGGER queue_ins AFTER INSERT ON queue BEGIN"
	" UPDATE recipients SET queued = queued + 1"
	" WHERE partner = NEW.recipient;"
	" UPDATE messages SET pending = pending + 1"
	" WHERE message_id = NEW.message_id; END;"
	"CREATE TRIGGER queue_del AFTER DELETE ON queue BEGIN"
	" UPDATE recipients SET queued = queued - 1"
	" WHERE partner = OLD.recipient;"
	" UPDATE messages SET pending = pending - 1"
	" WHERE message_id = OLD.message_id; END;";

static const char broker_schema_pg_v3[] =
	"ALTER TABLE queue ADD COLUMN expires_ms BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;"
	"UPDATE queue q SET expires_ms = m.expires_ms FROM messages m"
	" WHERE m.message_id = q.message_id;"
	"UPDATE messages m SET pending = c.n FROM (SELECT message_id,"
	" count(*) AS n FROM queue GROUP BY message_id) c"
	" WHERE c.message_id = m.message_id;"
	"DROP INDEX queue_msg;"
	"CREATE INDEX queue_exp ON queue(expires_ms) WHERE expires_ms > 0;"
	"CREATE OR REPLACE FUNCTION lsn_queue_count() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'INSERT' THEN"
	"  UPDATE recipients SET queued = queued + 1"
	"  WHERE partner = NEW.recipient;"
	"  UPDATE messages SET pending = pending + 1"
	"  WHERE message_id = NEW.message_id;"
	" ELSE"
	"  UPDATE recipients SET queued = queued - 1"
	"  WHERE partner = OLD.recipient;"
	"  UPDATE messages SET pending = pending - 1"
	"  WHERE message_id = OLD.message_id;"
	" END IF;"
	" RETURN NULL; END $$;";

/*
 * A message's count of queue rows in a narrow table of its own instead of
 * messages.pending: keeping the count in the message's row rewrote its
 * ~1 KiB signed envelope twice per delivery (the queue row's insert and
 * its delete), and the acknowledging turn wrote that page to the log
 * again. msg_pending has a row only while the count is above 0 (what the
 * prune asks: no row, nothing queued); ids sort by time (protocol.md
 * section 4), so its rows are added at its end.
 */
static const char broker_schema_v4[] =
	"CREATE TABLE msg_pending ("
	" message_id BLOB PRIMARY KEY,"
	" n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO msg_pending(message_id, n)"
	" SELECT message_id, pending FROM messages WHERE pending > 0;"
	"DROP TRIGGER queue_ins;"
	"DROP TRIGGER queue_del;"
	"ALTER TABLE messages DROP COLUMN pending;"
	"CREATE TRIGGER queue_ins AFTER INSERT ON queue BEGIN"
	" UPDATE recipients SET queued = queued + 1"
	" WHERE partner = NEW.recipient;"
	" INSERT INTO msg_pending(message_id, n) VALUES(NEW.message_id, 1)"
	" ON CONFLICT(message_id) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER queue_del AFTER DELETE ON queue BEGIN"
	" UPDATE recipients SET queued = queued - 1"
	" WHERE partner = OLD.recipient;"
	" DELETE FROM msg_pending"
	" WHERE message_id = OLD.message_id AND n <= 1;"
	" UPDATE msg_pending SET n = n - 1"
	" WHERE message_id = OLD.message_id; END;";

static const char broker_schema_pg_v4[] =
	"CREATE TABLE msg_pending ("
	" message_id BYTEA PRIMARY KEY,"
	" n BIGINT NOT NULL);"
	"INSERT INTO msg_pending(message_id, n)"
	" SELECT message_id, pending FROM messages WHERE pending > 0;"
	"CREATE OR REPLACE FUNCTION lsn_queue_count() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'INSERT' THEN"
	"  UPDATE recipients SET queued = queued + 1"
	"  WHERE partner = NEW.recipient;"
	"  INSERT INTO msg_pending(message_id, n) VALUES(NEW.message_id, 1)"
	"  ON CONFLICT (message_id) DO UPDATE SET n = msg_pending.n + 1;"
	" ELSE"
	"  UPDATE recipients SET queued = queued - 1"
	"  WHERE partner = OLD.recipient;"
	"  DELETE FROM msg_pending"
	"  WHERE message_id = OLD.message_id AND n <= 1;"
	"  UPDATE msg_pending SET n = n - 1"
	"  WHERE message_id = OLD.message_id;"
	" END IF;"
	" RETURN NULL; END $$;"
	"ALTER TABLE messages DROP COLUMN pending;";

/* Step 1 must stay the directory schema: a directory-only database
 * (fixture, `liaison admin apply`) is a broker database at version 1. */
const struct lsn_migration broker_migrations[] = {
	{ 1, lsn_dir_schema_v1, lsn_dir_schema_pg_v1 },
	{ 2, broker_schema_v1, broker_schema_pg_v1 },
	{ 3, broker_schema_v3, broker_schema_pg_v3 },
	{ 4, broker_schema_v4, broker_schema_pg_v4 },
	{ 0, NULL, NULL },
};

int
bstore_run(struct broker *b, struct lsn_q *q, int64_t *n)
{
	int	rv;

	if ((rv = lsn_q_run(q)) == LSN_OK && n != NULL)
		*n = lsn_store_changes(b->st);
	return (rv);
}

int
bstore_err(int rv)
{
	return (rv == LSN_ECLOSED ? LSN_ECLOSED : LSN_EDB);
}

int
bstore_wire(int rv)
{
	return (rv == LSN_ECLOSED ? LSN_EDB : rv);
}

/*
 * PostgreSQL's rule for a failed fsync (lsn_store_in_doubt): the turn's
 * log frames were written, their sync failed, so whether the turn is
 * stored is unknown until the database is opened again. Neither its
 * answers nor their E_DB refusals are sent (wire_flush): a sender hears
 * nothing and publishes again with the same message id, which the next
 * start de-duplicates. Nothing more is written; the loop stops with
 * status 1 and the database is not marked clean (lsn_store_close), so
 * the next start checks it and checkpoints what its recovery finds.
 */
void
bstore_in_doubt(struct broker *b)
{
	if (lsn_store_backend(b->st) == LSN_BACKEND_PG) {
		/*
		 * The server, not this process, holds the outcome: a new
		 * connection reads it. Answer nothing for this turn (a
		 * sender publishes again, de-duplicated) and step down to
		 * standby (leader.h); no exit.
		 */
		b->turn_silent = 1;
		log_warnx("store: a commit lost its server: whether it was "
		    "stored is unknown; this turn is not answered and the "
		    "broker steps down");
		leader_store_error(b, LSN_ECLOSED);
		return;
	}
	if (b->indoubt)
		return;
	b->indoubt = 1;
	log_warnx("database %s: a commit failed at its sync: whether it was "
	    "stored is unknown; stopping (exit status 1) without answering "
	    "its turn, so that the next start decides", b->conf.db);
}
