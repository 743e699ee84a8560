/*
 * summary.c -- the one-line summary of a tracked referral or alert, for
 * the directory page (web.c) and the notifiers (notify.c), released only
 * when the message's marking is at or below [agent] summary_max_tlp
 * ("none" by default: never). Only TLP:CLEAR and TLP:GREEN can be
 * configured: AMBER and RED bodies are sealed and never leave the agent
 * this way. Only the summary field of a ReferralHandoff or an Alert is
 * released, never the rest of the body.
 *
 * The message is found by id in the outbox (items we sent: the signed
 * envelope, its body unsealed below AMBER) or the inbox (items we
 * received: body and tlp columns).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "envelope.pb-c.h"

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent.h"

int
summary_max_tlp(const char *s)
{
	if (strcmp(s, "none") == 0)
		return (0);
	if (strcmp(s, "clear") == 0)
		return (LIAISON__V1__TLP__TLP_CLEAR);
	if (strcmp(s, "green") == 0)
		return (LIAISON__V1__TLP__TLP_GREEN);
	return (-1);
}

/* The summary field of a typed body, copied into out. */
static int
body_summary(int type, const uint8_t *body, size_t len, char *out,
    size_t outsz)
{
	Liaison__V1__ReferralHandoff	*h;
	Liaison__V1__Alert		*al;
	int				 rv = LSN_ENOENT;

	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF &&
	    (h = liaison__v1__referral_handoff__unpack(NULL, len, body)) !=
	    NULL) {
		if (h->summary != NULL) {
			lsn_strlcpy(out, h->summary, outsz);
			rv = LSN_OK;
		}
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
	} else if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT &&
	    (al = liaison__v1__alert__unpack(NULL, len, body)) != NULL) {
		if (al->summary != NULL) {
			lsn_strlcpy(out, al->summary, outsz);
			rv = LSN_OK;
		}
		liaison__v1__alert__free_unpacked(al, NULL);
	}
	return (rv);
}

static int
from_outbox(struct agent *a, const uint8_t *msgid, int max, char *out,
    size_t outsz)
{
	Liaison__V1__SignedEnvelope	*se = NULL;
	Liaison__V1__Envelope		*e = NULL;
	sqlite3_stmt			*s;
	int				 rv = LSN_ENOENT, tlp;

	if (lsn_store_stmt(a->st, "SELECT signed FROM outbox WHERE "
	    "message_id = ?", &s) != LSN_OK)
		return (LSN_EDB);
	if (sqlite3_bind_blob(s, 1, msgid, LSN_MSGID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto out;
	se = liaison__v1__signed_envelope__unpack(NULL,
	    (size_t) sqlite3_column_bytes(s, 0), sqlite3_column_blob(s, 0));
	if (se == NULL || !se->has_envelope || (e =
	    liaison__v1__envelope__unpack(NULL, se->envelope.len,
	    se->envelope.data)) == NULL)
		goto out;
	tlp = e->handling != NULL && e->handling->has_tlp ?
	    (int) e->handling->tlp : 0;
	if (tlp == 0 || tlp > max || !e->has_body)
		goto out;
	rv = body_summary((int) e->type, e->body.data, e->body.len, out,
	    outsz);
 out:
	sqlite3_reset(s);
	if (e != NULL)
		liaison__v1__envelope__free_unpacked(e, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

int
item_summary(struct agent *a, const uint8_t *msgid, char *out, size_t outsz)
{
	sqlite3_stmt	*s;
	int		 max, tlp, rv;

	out[0] = '\0';
	if ((max = summary_max_tlp(a->conf.summary_max_tlp)) <= 0 ||
	    msgid == NULL)
		return (LSN_ENOENT);
	if ((rv = from_outbox(a, msgid, max, out, outsz)) != LSN_ENOENT)
		return (rv);
	if (lsn_store_stmt(a->st, "SELECT body, tlp, type FROM inbox WHERE "
	    "message_id = ?", &s) != LSN_OK)
		return (LSN_EDB);
	rv = LSN_ENOENT;
	if (sqlite3_bind_blob(s, 1, msgid, LSN_MSGID_BYTES, SQLITE_STATIC) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) == SQLITE_BLOB) {
		tlp = sqlite3_column_int(s, 1);
		if (tlp > 0 && tlp <= max)
			rv = body_summary(sqlite3_column_int(s, 2),
			    sqlite3_column_blob(s, 0),
			    (size_t) sqlite3_column_bytes(s, 0), out, outsz);
	}
	sqlite3_reset(s);
	return (rv);
}
