/*
 * outbox_state.c -- what happens to outbox rows after they were stored,
 * other than the send loop (outbox.c): an integrator's status query, a
 * signed UNDELIVERABLE receipt from a recipient that cannot open the
 * body, and every pending row refused at once when the broker refuses
 * this agent (revoked, suspended, key rotated). Declared in agent.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

int
outbox_status(struct agent *a, const uint8_t *msgid, size_t len,
    Liaison__V1__OutboxStatusResponse *resp, char *detail, size_t detailsz)
{
	sqlite3_stmt	*s;
	const char	*st, *d;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT state, code, detail FROM "
	    "outbox WHERE message_id = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, msgid, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		st = (const char *) sqlite3_column_text(s, 0);
		resp->has_state = 1;
		if (st != NULL && strcmp(st, "accepted") == 0)
			resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED;
		else if (st != NULL && strcmp(st, "rejected") == 0)
			resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED;
		else if (st != NULL && strcmp(st, "undeliverable") == 0)
			resp->state =
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE;
		else
			resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING;
		resp->has_publish_code = 1;
		resp->publish_code = lsn_err_to_wire(sqlite3_column_int(s, 1));
		d = (const char *) sqlite3_column_text(s, 2);
		lsn_strlcpy(detail, d != NULL ? d : "", detailsz);
		rv = LSN_OK;
	} else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

int
outbox_undeliverable(struct agent *a, const uint8_t msgid[16],
    const char *rcpt)
{
	sqlite3_stmt	*s;
	char		 detail[128];
	int		 rv;

	snprintf(detail, sizeof(detail), "undeliverable: cannot open (%s)",
	    rcpt);
	if ((rv = lsn_store_stmt(a->st, "UPDATE outbox SET state = "
	    "'undeliverable', code = ?, detail = ? WHERE message_id = ? AND "
	    "state = 'accepted'", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_int(s, 1, LSN_EUNSEAL) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, detail, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 3, msgid, LSN_MSGID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && lsn_log_ratelimit("undeliverable", 10))
		log_warnx("message to %s undeliverable: the recipient cannot "
		    "open its sealed body", rcpt);
	return (rv);
}

int
outbox_refuse_pending(struct agent *a, int code, const char *detail)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "UPDATE outbox SET state = "
	    "'rejected', code = ?, detail = ? WHERE state = 'pending'", &s)) !=
	    LSN_OK)
		return (rv);
	if (sqlite3_bind_int(s, 1, code) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, detail, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv != LSN_OK)
		return (rv);
	if (sqlite3_changes(lsn_store_db(a->st)) > 0)
		log_warnx("outbox: %d pending message(s) refused: %s",
		    sqlite3_changes(lsn_store_db(a->st)), detail);
	a->ob_inflight = 0;
	a->ob_pass = 0;
	outbox_counts_reset(a);
	return (LSN_OK);
}
