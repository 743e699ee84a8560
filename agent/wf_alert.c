/*
 * wf_alert.c -- urgent alerts and their acknowledgements (ops in
 * wf_int.h): an alert opens a tracking row on both sides; only its
 * recipient acknowledges it, once. Unacknowledged past its deadline, or
 * not openable by its recipient (an UNDELIVERABLE receipt), it is
 * escalated (wf_escalate.c).
 */
#include <stdio.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "wf_int.h"

static int
alert_step(struct wf_step *st)
{
	Liaison__V1__Alert	*al;
	struct track		 t;
	int			 rv;

	if ((al = liaison__v1__alert__unpack(NULL, st->len, st->body)) ==
	    NULL) {
		snprintf(st->detail, st->detailsz, "body does not unpack");
		return (LSN_EPROTO);
	}
	rv = track_get(st->a, K_ALERT, al->alert_id.data, st->peer, &t);
	if (rv == LSN_OK) {
		snprintf(st->detail, st->detailsz, "alert id already used "
		    "with %s", st->peer);
		rv = LSN_ETRANSITION;
	} else if (rv == LSN_ENOENT)
		rv = st->apply ? track_insert(st->a, K_ALERT,
		    al->alert_id.data, st->peer, st->sending ? "sender" :
		    "recipient", LSN_ALERT_OPEN, (int) al->priority,
		    st->sent_ms, st->msgid) : LSN_OK;
	liaison__v1__alert__free_unpacked(al, NULL);
	return (rv);
}

static int
alert_ack_step(struct wf_step *st)
{
	Liaison__V1__AlertAck	*ak;
	struct track		 t;
	int			 rv;

	if ((ak = liaison__v1__alert_ack__unpack(NULL, st->len, st->body)) ==
	    NULL) {
		snprintf(st->detail, st->detailsz, "body does not unpack");
		return (LSN_EPROTO);
	}
	rv = track_get(st->a, K_ALERT, ak->alert_id.data, st->peer, &t);
	if (rv == LSN_OK && (t.state != LSN_ALERT_OPEN ||
	    strcmp(t.role, st->sending ? "recipient" : "sender") != 0)) {
		snprintf(st->detail, st->detailsz, "alert already "
		    "acknowledged, or not ours to acknowledge");
		rv = LSN_ETRANSITION;
	} else if (rv == LSN_ENOENT) {
		snprintf(st->detail, st->detailsz, "no alert with this id "
		    "between us and %s", st->peer);
		rv = LSN_ETRANSITION;
	} else if (rv == LSN_OK && st->apply)
		rv = track_update(st->a, K_ALERT, ak->alert_id.data, st->peer,
		    LSN_ALERT_ACKED, 1, agent_now(st->a), st->msgid);
	liaison__v1__alert_ack__free_unpacked(ak, NULL);
	return (rv);
}

/* A receipt for our alert: one its recipient cannot open escalates. */
static int
alert_receipt(const struct wf_receipt *r)
{
	return (wf_escalate_undeliverable(r, K_ALERT));
}

/* On the timer: unacknowledged alerts past their deadline escalate. */
static void
alert_deadline(struct agent *a, uint64_t now)
{
	wf_escalate_due(a, now, K_ALERT);
}

const struct wf_ops wf_alert_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT,
	.per_peer = 1,
	.receipt_stages =
	    WF_STAGE(LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE),
	.on_send = alert_step,
	.on_receive = alert_step,
	.on_receipt = alert_receipt,
	.on_deadline = alert_deadline,
};

const struct wf_ops wf_alert_ack_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK,
	.per_peer = 1,
	.one_partner = 1,
	.on_send = alert_ack_step,
	.on_receive = alert_ack_step,
};
