/*
 * wfmark.c -- replies keep the case's marking (docs/protocol.md 9,
 * "Replies").
 *
 * Every message of a referral, alert or meeting thread (the handoff,
 * alert or notice and every response to it) is remembered with the
 * strictest TLP seen in that thread, sent or received, in the state table
 * under "case_tlp/<kind>/<item id hex>" (kind referral, alert, meeting).
 * A message that answers one -- a ReferralResponse, an AlertAck, a
 * MeetingResponse, or any message but a receipt whose in_reply_to names
 * a message in our inbox -- is sent at least at that TLP: without a TLP it gets it
 * (and is sealed when that is AMBER or stronger); with a weaker one the
 * agent refuses it (LSN_EMARKING) before anything is signed. So neither
 * the CLI nor an integrator can send the text of an AMBER or RED case in
 * clear through the broker.
 */
#include <stdio.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

#define CASE_KEY_MAX	80

/* The thread a message belongs to: kind and 16-byte id from its body.
 * 1 when it has one, 0 when not (or the body does not unpack). */
static int
case_of(int type, const uint8_t *body, size_t len, const char **kind,
    uint8_t id[LSN_MSGID_BYTES])
{
	ProtobufCMessage	*m = NULL;
	ProtobufCBinaryData	*b = NULL;
	int			 rv = 0;

	switch (type) {
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF: {
		Liaison__V1__ReferralHandoff *h;

		if ((h = liaison__v1__referral_handoff__unpack(NULL, len,
		    body)) != NULL) {
			m = &h->base;
			b = h->has_referral_id ? &h->referral_id : NULL;
		}
		*kind = "referral";
		break;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE: {
		Liaison__V1__ReferralResponse *r;

		if ((r = liaison__v1__referral_response__unpack(NULL, len,
		    body)) != NULL) {
			m = &r->base;
			b = r->has_referral_id ? &r->referral_id : NULL;
		}
		*kind = "referral";
		break;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT: {
		Liaison__V1__Alert *al;

		if ((al = liaison__v1__alert__unpack(NULL, len, body)) !=
		    NULL) {
			m = &al->base;
			b = al->has_alert_id ? &al->alert_id : NULL;
		}
		*kind = "alert";
		break;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK: {
		Liaison__V1__AlertAck *ak;

		if ((ak = liaison__v1__alert_ack__unpack(NULL, len, body)) !=
		    NULL) {
			m = &ak->base;
			b = ak->has_alert_id ? &ak->alert_id : NULL;
		}
		*kind = "alert";
		break;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE: {
		Liaison__V1__MeetingNotice *n;

		if ((n = liaison__v1__meeting_notice__unpack(NULL, len,
		    body)) != NULL) {
			m = &n->base;
			b = n->has_meeting_id ? &n->meeting_id : NULL;
		}
		*kind = "meeting";
		break;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE: {
		Liaison__V1__MeetingResponse *mr;

		if ((mr = liaison__v1__meeting_response__unpack(NULL, len,
		    body)) != NULL) {
			m = &mr->base;
			b = mr->has_meeting_id ? &mr->meeting_id : NULL;
		}
		*kind = "meeting";
		break;
	}
	default:
		break;
	}
	if (b != NULL && b->len == LSN_MSGID_BYTES) {
		memcpy(id, b->data, LSN_MSGID_BYTES);
		rv = 1;
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return (rv);
}

static void
case_key(char key[CASE_KEY_MAX], const char *kind,
    const uint8_t id[LSN_MSGID_BYTES])
{
	char	hex[2 * LSN_MSGID_BYTES + 1];

	lsn_hex_encode(id, LSN_MSGID_BYTES, hex);
	snprintf(key, CASE_KEY_MAX, "case_tlp/%s/%s", kind, hex);
}

/* The remembered TLP of a thread (0 when none). */
static int
case_get(struct agent *a, const char *key, int *tlp)
{
	char		v[16];
	uint64_t	t;
	int		rv;

	*tlp = 0;
	rv = agent_state_get(a, key, v, sizeof(v));
	if (rv == LSN_ENOENT)
		return (LSN_OK);
	if (rv != LSN_OK)
		return (rv);
	if (lsn_strtou64(v, 0, LIAISON__V1__TLP__TLP_RED, &t) == LSN_OK)
		*tlp = (int) t;
	return (LSN_OK);
}

/* The TLP of an inbox message (0 when we do not have it). */
static int
inbox_tlp(struct agent *a, const uint8_t *id, size_t len, int *tlp)
{
	return (astore_inbox_tlp(a, id, len, tlp));
}

int
wfmark_submit(struct agent *a, const Liaison__V1__SubmitRequest *r,
    Liaison__V1__Handling *h, char *detail, size_t detailsz)
{
	const char	*kind = NULL;
	char		 key[CASE_KEY_MAX];
	uint8_t		 id[LSN_MSGID_BYTES];
	int		 rv, want = 0, t;

	if (r->has_type && case_of((int) r->type, r->body.data, r->body.len,
	    &kind, id)) {
		case_key(key, kind, id);
		if ((rv = case_get(a, key, &want)) != LSN_OK)
			return (rv);
	}
	/* receipts (agent-made) carry ids and hashes only, no content */
	if (r->has_in_reply_to && r->in_reply_to.len == LSN_MSGID_BYTES &&
	    r->type != LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT) {
		if ((rv = inbox_tlp(a, r->in_reply_to.data,
		    r->in_reply_to.len, &t)) != LSN_OK)
			return (rv);
		if (t > want)
			want = t;
	}
	if (!h->has_tlp) {
		h->has_tlp = 1;
		h->tlp = want > LIAISON__V1__TLP__TLP_GREEN ? want :
		    LIAISON__V1__TLP__TLP_GREEN;
		return (LSN_OK);
	}
	if ((int) h->tlp < want) {
		snprintf(detail, detailsz, "a %s in a TLP:%s thread cannot be "
		    "sent at TLP:%s (replies keep the case's marking)",
		    lsn_envelope_type_name((int) r->type), lsn_tlp_name(want),
		    lsn_tlp_name((int) h->tlp));
		return (LSN_EMARKING);
	}
	return (LSN_OK);
}

int
wfmark_note(struct agent *a, int type, const uint8_t *body, size_t len,
    int tlp)
{
	const char	*kind = NULL;
	char		 key[CASE_KEY_MAX], v[16];
	uint8_t		 id[LSN_MSGID_BYTES];
	int		 rv, cur;

	if (!case_of(type, body, len, &kind, id))
		return (LSN_OK);
	case_key(key, kind, id);
	if ((rv = case_get(a, key, &cur)) != LSN_OK)
		return (rv);
	if (tlp <= cur)
		return (LSN_OK);
	snprintf(v, sizeof(v), "%d", tlp);
	return (agent_state_set(a, key, v));
}
