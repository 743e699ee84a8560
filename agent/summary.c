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


#include "envelope.pb-c.h"

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

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
	uint8_t				*buf = NULL;
	size_t				 len;
	int				 rv = LSN_ENOENT, tlp;

	if ((rv = astore_outbox_signed(a, msgid, &buf, &len)) != LSN_OK)
		return (rv == LSN_ENOENT ? rv : LSN_EDB);
	rv = LSN_ENOENT;
	se = liaison__v1__signed_envelope__unpack(NULL, len, buf);
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
	free(buf);
	if (e != NULL)
		liaison__v1__envelope__free_unpacked(e, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

int
item_summary(struct agent *a, const uint8_t *msgid, char *out, size_t outsz)
{
	uint8_t		*body = NULL;
	size_t		 len;
	int		 max, tlp, type, rv;

	out[0] = '\0';
	if ((max = summary_max_tlp(a->conf.summary_max_tlp)) <= 0 ||
	    msgid == NULL)
		return (LSN_ENOENT);
	if ((rv = from_outbox(a, msgid, max, out, outsz)) != LSN_ENOENT)
		return (rv);
	if ((rv = astore_inbox_body(a, msgid, &body, &len, &tlp, &type)) !=
	    LSN_OK)
		return (rv == LSN_ENOENT ? rv : LSN_EDB);
	rv = LSN_ENOENT;
	if (tlp > 0 && tlp <= max)
		rv = body_summary(type, body, len, out, outsz);
	free(body);
	return (rv);
}
