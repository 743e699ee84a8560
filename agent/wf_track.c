/*
 * wf_track.c -- the tracking table: one row per (kind, item, peer) for
 * referrals and alerts, on both sides (declared in wf_int.h).
 *
 * Table `tracking` (agent schema v2):
 *   kind      'referral' or 'alert'
 *   item_id   referral_id / alert_id (16 bytes)
 *   peer      the other partner
 *   role      'sender' (we offered / raised it) or 'recipient'
 *   state     enum lsn_referral_state, or enum lsn_alert_state
 *   priority  Priority 1..4
 *   sent_ms   the offer's time (workflow clock at the sender; the
 *             envelope's created_ms at the recipient)
 *   acked_ms  when acknowledged (0: not yet)
 *   deadline  acknowledgement deadline (lsn_ack_deadline)
 *   escalated 1 once the escalation was sent (sender side)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "wf_int.h"

const char wf_schema_v2[] =
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


const char K_REF[] = "referral";
const char K_ALERT[] = "alert";
const char K_REDIRECT[] = "redirect";	/* events only */

int
track_get(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, struct track *t)
{
	sqlite3_stmt	*s;
	const char	*role;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT role, state, priority, "
	    "sent_ms, deadline FROM tracking WHERE kind = ? AND item_id = ? "
	    "AND peer = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		role = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(t->role, role != NULL ? role : "",
		    sizeof(t->role));
		t->state = sqlite3_column_int(s, 1);
		t->priority = sqlite3_column_int(s, 2);
		t->sent_ms = (uint64_t) sqlite3_column_int64(s, 3);
		t->deadline = (uint64_t) sqlite3_column_int64(s, 4);
		rv = LSN_OK;
	} else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

int
track_insert(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, const char *role, int state, int priority,
    uint64_t sent_ms, const uint8_t *msgid)
{
	struct lsn_deadlines	 d;
	sqlite3_stmt		*s;
	uint64_t		 deadline;
	int			 rv;

	wf_deadlines(a, &d);
	if ((rv = lsn_ack_deadline(priority, sent_ms, &d, &deadline)) !=
	    LSN_OK)
		return (rv);
	if (deadline > INT64_MAX)
		deadline = INT64_MAX;
	if ((rv = lsn_store_stmt(a->st, "INSERT INTO tracking(kind, item_id,"
	    " peer, role, state, priority, sent_ms, deadline, updated_ms, "
	    "message_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s)) !=
	    LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, role, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, state) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, priority) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64) sent_ms) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 8, (sqlite3_int64) deadline) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 9, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 10, msgid, LSN_MSGID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK)
		rv = agent_event(a, kind, msgid, id, peer, strcmp(kind,
		    K_ALERT) == 0 ? "open" : lsn_referral_state_name(state));
	return (rv);
}

/*
 * Once acknowledged, an item's "overdue: escalated" status alert (escalate)
 * no longer holds: it is removed (issue 17).
 */
static int
escalation_clear(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer)
{
	sqlite3_stmt	*s;
	char		 hex[2 * LSN_BODY_ID_BYTES + 1], text[512];
	int		 rv;

	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	snprintf(text, sizeof(text), ESCALATED_FMT, kind, hex, peer);
	if ((rv = lsn_store_stmt(a->st, "DELETE FROM alerts WHERE text = ?",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	else
		rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

int
track_update(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int state, int acked, uint64_t now,
    const uint8_t *msgid)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "UPDATE tracking SET state = ?, "
	    "acked_ms = CASE WHEN ? AND acked_ms = 0 THEN ? ELSE acked_ms "
	    "END, updated_ms = ? WHERE kind = ? AND item_id = ? AND peer = ?",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_int(s, 1, state) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, acked) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64) now) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 5, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 6, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 7, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && acked)
		rv = escalation_clear(a, kind, id, peer);
	if (rv == LSN_OK)
		rv = agent_event(a, kind, msgid, id, peer, strcmp(kind,
		    K_ALERT) == 0 ? (state == LSN_ALERT_ACKED ?
		    "acknowledged" : "open") : lsn_referral_state_name(state));
	return (rv);
}

