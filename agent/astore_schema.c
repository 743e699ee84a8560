/*
 * astore_schema.c -- the agent's schema: every table, in the migration
 * steps lsn_store_open runs (agent_migrations; steps and numbers never
 * change, a new one is appended). The tables are described beside the
 * astore_*.c file that reads them. See astore.h.
 */
#include <stddef.h>

#include "liaison/dir.h"
#include "liaison/store.h"

#include "agent.h"
#include "astore.h"

static const char agent_schema_v1[] =
    "CREATE TABLE outbox ("
    " oid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " message_id BLOB NOT NULL UNIQUE,"
    " signed BLOB NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " code INTEGER NOT NULL DEFAULT 0,"
    " detail TEXT,"
    " created_ms INTEGER NOT NULL,"
    " last_sent_ms INTEGER NOT NULL DEFAULT 0,"
    " recipients TEXT);"
    "CREATE INDEX outbox_state ON outbox(state, oid);"
    "CREATE TABLE inbox ("
    " local_seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " message_id BLOB NOT NULL UNIQUE,"
    " sender TEXT NOT NULL,"
    " type INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " signed BLOB NOT NULL,"
    " body BLOB,"
    " priority INTEGER NOT NULL DEFAULT 0,"
    " tlp INTEGER NOT NULL DEFAULT 0,"
    " seq INTEGER NOT NULL,"
    " acked INTEGER NOT NULL DEFAULT 0,"
    " read INTEGER NOT NULL DEFAULT 0,"
    " actioned INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX inbox_acked ON inbox(acked, local_seq);"
    "CREATE TABLE seen (message_id BLOB PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TABLE quarantine ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " received_ms INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " code INTEGER NOT NULL,"
    " detail TEXT,"
    " signed BLOB);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " text TEXT NOT NULL);";

static const char wf_schema_v2[] =
    "CREATE TABLE tracking ("
    " kind TEXT NOT NULL,"
    " item_id BLOB NOT NULL,"
    " peer TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " priority INTEGER NOT NULL,"
    " sent_ms INTEGER NOT NULL,"
    " acked_ms INTEGER NOT NULL DEFAULT 0,"
    " deadline INTEGER NOT NULL,"
    " escalated INTEGER NOT NULL DEFAULT 0,"
    " updated_ms INTEGER NOT NULL,"
    " message_id BLOB,"
    " PRIMARY KEY(kind, item_id, peer));";

static const char wf_schema_v3[] =
    "CREATE TABLE meetings ("
    " meeting_id BLOB NOT NULL,"
    " organiser TEXT NOT NULL,"
    " role TEXT NOT NULL,"		/* 'organiser' or 'invitee' */
    " version INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY(meeting_id, organiser));"
    "CREATE TABLE meeting_invitees ("
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " PRIMARY KEY(meeting_id, partner));"
    "CREATE TABLE rsvps ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " answer INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL);"
    "CREATE INDEX rsvps_meeting ON rsvps(meeting_id, id);";

static const char rcpt_schema[] =
    "CREATE TABLE receipts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " message_id BLOB NOT NULL,"	/* the receipted message */
    " stage INTEGER NOT NULL,"
    " signer TEXT NOT NULL,"
    " time_ms INTEGER NOT NULL,"
    " signed BLOB NOT NULL,"		/* SignedReceipt */
    " carrier BLOB NOT NULL,"		/* message_id of its envelope */
    " UNIQUE(message_id, stage, signer));"
    "CREATE TABLE receipts_sent ("
    " message_id BLOB NOT NULL,"
    " stage INTEGER NOT NULL,"
    " PRIMARY KEY(message_id, stage));";

static const char events_schema[] =
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " message_id BLOB,"
    " item_id BLOB,"
    " peer TEXT,"
    " detail TEXT);";

/* The latest notice (a MeetingNotice body, as the agent already stores
 * received bodies), so the organiser can cancel by id (issue 17). */
static const char wf_schema_v4[] =
    "ALTER TABLE meetings ADD COLUMN notice BLOB;";

/*
 * A batch receipt's SignedReceipt, kept once for all the messages it
 * names: their `receipts` rows hold an empty `signed` and the carrier.
 */
static const char rcpt_schema_v2[] =
    "CREATE TABLE receipt_signed ("
    " carrier BLOB PRIMARY KEY,"		/* message_id of its envelope */
    " signed BLOB NOT NULL) WITHOUT ROWID;";

/*
 * The hash of each sent envelope (lsn_envelope_hash), which receipts name:
 * checked against a receipt without reading and hashing the whole stored
 * envelope. NULL in rows from before (astore_outbox_env_hash computes it).
 */
static const char outbox_schema_v2[] =
    "ALTER TABLE outbox ADD COLUMN env_hash BLOB;";

/*
 * Each sent envelope in a table of its own, keyed by its outbox row's oid:
 * a PublishAck or a state change rewrote the whole outbox record, its
 * ~1 KiB envelope included (a leaf page per 3 rows, logged again at every
 * update); outbox rows are now ~100 bytes. The rows move over once.
 */
static const char outbox_schema_v3[] =
    "CREATE TABLE outbox_env ("
    " oid INTEGER PRIMARY KEY,"		/* outbox.oid */
    " signed BLOB NOT NULL);"
    "INSERT INTO outbox_env(oid, signed) SELECT oid, signed FROM outbox;"
    "ALTER TABLE outbox DROP COLUMN signed;";

/*
 * When a tracked item we sent could not be opened by its recipient (an
 * UNDELIVERABLE receipt, wf_escalate.c): 0 while not.
 */
static const char wf_schema_v5[] =
    "ALTER TABLE tracking ADD COLUMN undeliverable_ms INTEGER NOT NULL "
    "DEFAULT 0;";

const struct lsn_migration agent_migrations[] = {
	{ 1, lsn_dir_schema_v1, NULL },
	{ 2, agent_schema_v1, NULL },
	{ 3, wf_schema_v2, NULL },
	{ 4, wf_schema_v3, NULL },
	{ 5, rcpt_schema, NULL },
	{ 6, events_schema, NULL },
	{ 7, wf_schema_v4, NULL },
	{ 8, rcpt_schema_v2, NULL },
	{ 9, outbox_schema_v2, NULL },
	{ 10, outbox_schema_v3, NULL },
	{ 11, wf_schema_v5, NULL },
	{ 0, NULL, NULL },
};
