/*
 * wf_escalate.c -- overdue items (declared in wf_int.h): an overdue P1
 * referral still OFFERED, or an unacknowledged alert, is escalated once:
 * a P1 Note to the recipient partner naming its 24/7 contacts from the
 * replica, an operator alert and a notification at the sender.
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


struct esc_ctx {
	char	text[1024];
	size_t	n;
	size_t	count;
};

static int
esc_contact(void *arg, const Liaison__V1__Contact *c)
{
	struct esc_ctx	*x = arg;
	int		 n;

	if (x->n >= sizeof(x->text) - 1)
		return (0);
	n = snprintf(x->text + x->n, sizeof(x->text) - x->n, "%s%s%s%s%s%s",
	    x->count ? "; " : "", c->name != NULL ? c->name : "?",
	    c->phone != NULL ? ", phone " : "",
	    c->phone != NULL ? c->phone : "",
	    c->email != NULL ? ", " : "", c->email != NULL ? c->email : "");
	if (n > 0)
		x->n += (size_t) n < sizeof(x->text) - x->n ? (size_t) n :
		    sizeof(x->text) - x->n - 1;
	x->count++;
	return (0);
}

static int
mark_escalated(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "UPDATE tracking SET escalated = 1 "
	    "WHERE kind = ? AND item_id = ? AND peer = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

/* Sends the escalation note for one overdue item to peer. */
static int
escalate(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int priority)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	struct esc_ctx			 x;
	char				 hex[2 * LSN_BODY_ID_BYTES + 1];
	char				 text[LSN_BODY_TEXT_MAX];
	char				 detail[AGENT_DETAIL_MAX];
	char				*to[1];
	uint8_t				*buf = NULL, msgid[LSN_MSGID_BYTES];
	size_t				 len;
	int				 rv;

	memset(&x, 0, sizeof(x));
	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	rv = lsn_dir_contacts_24x7(a->dir, peer, esc_contact, &x);
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	snprintf(text, sizeof(text), "ESCALATION: %.16s %s (P%d) from %.64s "
	    "is not acknowledged within its deadline. 24/7 contact of %.64s: "
	    "%.1023s.",
	    kind, hex, priority, a->conf.partner, peer,
	    x.count ? x.text : "none listed in the directory");
	note.text = text;
	len = liaison__v1__note__get_packed_size(&note);
	if ((buf = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__note__pack(&note, buf);
	to[0] = (char *) (uintptr_t) peer;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	r.has_body = 1;
	r.body.data = buf;
	r.body.len = len;
	r.has_priority = 1;
	r.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	detail[0] = '\0';
	rv = outbox_submit(a, &r, msgid, detail, sizeof(detail));
	free(buf);
	if (rv != LSN_OK) {
		log_warnx("escalation of %s %s to %s not sent: %s: %s", kind,
		    hex, peer, lsn_strerror(rv), detail);
		return (rv);
	}
	if ((rv = mark_escalated(a, kind, id, peer)) != LSN_OK)
		return (rv);
	(void) agent_alert(a, ESCALATED_FMT, kind, hex, peer);
	ametrics_escalation(a, kind);
	(void) notify_escalation(a, kind, id, peer, priority,
	    x.count ? x.text : "");
	log_info("%s %s to %s overdue: escalation sent", kind, hex, peer);
	return (LSN_OK);
}

struct due {
	char		kind[16];
	uint8_t		id[LSN_BODY_ID_BYTES];
	char		peer[LSN_DIR_ID_MAX + 1];
	int		priority;
};
#define WF_DUE_MAX	32	/* escalations per tick */

/* Escalates the overdue items (at most WF_DUE_MAX a tick). */
void
wf_escalate_due(struct agent *a, uint64_t now)
{
	struct lsn_deadlines	 d;
	struct due		 due[WF_DUE_MAX];
	sqlite3_stmt		*s;
	size_t			 n = 0;
	const char		*k, *p;
	int			 r;

	wf_deadlines(a, &d);
	if (lsn_store_stmt(a->st, "SELECT kind, item_id, peer, priority, "
	    "state, sent_ms FROM tracking WHERE role = 'sender' AND "
	    "escalated = 0 AND acked_ms = 0 AND state = 1 AND deadline < ? AND "
	    "(kind = 'alert' OR priority = 1) LIMIT 256",
	    &s) != LSN_OK)
		return;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) (now > INT64_MAX ?
	    INT64_MAX : now)) != SQLITE_OK) {
		sqlite3_reset(s);
		return;
	}
	while (n < WF_DUE_MAX && (r = sqlite3_step(s)) == SQLITE_ROW) {
		enum lsn_esc_kind ek;

		k = (const char *) sqlite3_column_text(s, 0);
		p = (const char *) sqlite3_column_text(s, 2);
		if (k == NULL || p == NULL ||
		    sqlite3_column_bytes(s, 1) != LSN_BODY_ID_BYTES)
			continue;
		ek = strcmp(k, K_REF) == 0 ? LSN_ESC_REFERRAL : LSN_ESC_ALERT;
		if (lsn_escalation_due(ek, sqlite3_column_int(s, 3),
		    sqlite3_column_int(s, 4),
		    (uint64_t) sqlite3_column_int64(s, 5), now, &d) != 1)
			continue;
		lsn_strlcpy(due[n].kind, k, sizeof(due[n].kind));
		memcpy(due[n].id, sqlite3_column_blob(s, 1),
		    LSN_BODY_ID_BYTES);
		lsn_strlcpy(due[n].peer, p, sizeof(due[n].peer));
		due[n].priority = sqlite3_column_int(s, 3);
		n++;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++)
		if (escalate(a, due[i].kind, due[i].id, due[i].peer,
		    due[i].priority) != LSN_OK)
			break;
}

