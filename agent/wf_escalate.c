/*
 * wf_escalate.c -- overdue items (declared in wf_int.h): an overdue P1
 * referral still OFFERED, or an unacknowledged alert, is escalated once:
 * a P1 Note to the recipient partner naming its 24/7 contacts from the
 * replica, an operator alert and a notification at the sender. One whose
 * recipient answered with an UNDELIVERABLE receipt (it cannot open it, so
 * it cannot be acknowledged in time) is escalated on the next tick.
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
#include "astore.h"
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
	return (astore_track_set_escalated(a, kind, id, peer));
}

/*
 * The escalation note for one overdue item to peer, its escalated mark
 * and status alert: one transaction of the timer's own (agent.c), so they
 * are stored together or not at all; the notification after the COMMIT.
 */
static int
escalate(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int priority, int undeliverable)
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
	    "%s. 24/7 contact of %.64s: %.1023s.",
	    kind, hex, priority, a->conf.partner, undeliverable ?
	    "cannot be opened by its recipient (undeliverable)" :
	    "is not acknowledged within its deadline", peer,
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
	if ((rv = agent_tx_begin(a)) != LSN_OK) {
		free(buf);
		return (rv);
	}
	rv = outbox_submit_tx(a, &r, 0, msgid, detail, sizeof(detail));
	free(buf);
	/* a refused note left nothing: the transaction commits empty */
	if (rv == LSN_OK && (rv = mark_escalated(a, kind, id, peer)) !=
	    LSN_OK)
		a->tx_failed = 1;	/* the note goes with it */
	if (rv == LSN_OK)
		(void) agent_alert(a, ESCALATED_FMT, kind, hex, peer);
	if (agent_tx_commit(a) != LSN_OK && rv == LSN_OK)
		rv = LSN_EDB;
	if (rv != LSN_OK) {
		log_warnx("escalation of %s %s to %s not sent: %s: %s", kind,
		    hex, peer, lsn_strerror(rv), detail);
		return (rv);
	}
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
	int		undeliverable;
};
#define WF_DUE_MAX	32	/* escalations per tick */

struct due_ctx {
	struct lsn_deadlines	 d;
	struct due		 due[WF_DUE_MAX];
	size_t			 n;
	uint64_t		 now;
};

/* Keeps one candidate row when its escalation is due. */
static int
due_row(void *arg, const struct astore_track_row *t)
{
	struct due_ctx		*x = arg;
	struct due		*u;
	enum lsn_esc_kind	 ek;

	if (x->n >= WF_DUE_MAX)
		return (1);
	ek = strcmp(t->kind, K_REF) == 0 ? LSN_ESC_REFERRAL : LSN_ESC_ALERT;
	/* (undeliverable rows are open, unacknowledged, alert or P1: the
	 * query's) */
	if (t->undeliverable_ms == 0 && lsn_escalation_due(ek, t->priority,
	    t->state, (uint64_t) t->sent_ms, x->now, &x->d) != 1)
		return (0);
	u = &x->due[x->n++];
	lsn_strlcpy(u->kind, t->kind, sizeof(u->kind));
	memcpy(u->id, t->item_id, LSN_BODY_ID_BYTES);
	lsn_strlcpy(u->peer, t->peer, sizeof(u->peer));
	u->priority = t->priority;
	u->undeliverable = t->undeliverable_ms != 0;
	return (0);
}

/* Escalates the overdue items of kind (at most WF_DUE_MAX a tick). */
void
wf_escalate_due(struct agent *a, uint64_t now, const char *kind)
{
	struct due_ctx	 x;
	struct due	*due = x.due;
	size_t		 n;

	memset(&x, 0, sizeof(x));
	wf_deadlines(a, &x.d);
	x.now = now;
	/* a read failure midway still escalates the rows found */
	if (astore_track_due(a, kind, (int64_t) (now > INT64_MAX ? INT64_MAX :
	    now), due_row, &x) != LSN_OK && x.n == 0)
		return;
	n = x.n;
	for (size_t i = 0; i < n; i++)
		if (escalate(a, due[i].kind, due[i].id, due[i].peer,
		    due[i].priority, due[i].undeliverable) != LSN_OK)
			break;
}

int
wf_escalate_undeliverable(const struct wf_receipt *r, const char *kind)
{
	uint8_t	id[LSN_BODY_ID_BYTES];
	int	rv;

	/* marked with our clock (the receipt's time is the signer's) */
	rv = astore_track_set_undeliverable(r->a, kind, r->msgid, r->peer,
	    (int64_t) lsn_now_ms(), id);
	if (rv == LSN_ENOENT)
		rv = LSN_OK;	/* no open item of ours: nothing to do */
	else if (rv == LSN_OK)
		rv = agent_event(r->a, kind, r->msgid, id, r->peer,
		    "undeliverable");
	return (rv);
}
