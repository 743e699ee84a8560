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
 *   undeliverable_ms  when its recipient answered UNDELIVERABLE (0: not;
 *             sender side, schema step 11)
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

const char K_REF[] = "referral";
const char K_ALERT[] = "alert";
const char K_REDIRECT[] = "redirect";	/* events only */

int
track_get(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, struct track *t)
{
	int64_t	sent, deadline;
	int	rv;

	if ((rv = astore_track_get(a, kind, id, peer, t->role,
	    sizeof(t->role), &t->state, &t->priority, &sent, &deadline)) !=
	    LSN_OK)
		return (rv);
	t->sent_ms = (uint64_t) sent;
	t->deadline = (uint64_t) deadline;
	return (LSN_OK);
}

int
track_insert(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, const char *role, int state, int priority,
    uint64_t sent_ms, const uint8_t *msgid)
{
	struct lsn_deadlines	 d;
	uint64_t		 deadline;
	int			 rv;

	wf_deadlines(a, &d);
	if ((rv = lsn_ack_deadline(priority, sent_ms, &d, &deadline)) !=
	    LSN_OK)
		return (rv);
	if (deadline > INT64_MAX)
		deadline = INT64_MAX;
	rv = astore_track_insert(a, kind, id, peer, role, state, priority,
	    (int64_t) sent_ms, (int64_t) deadline, (int64_t) lsn_now_ms(),
	    msgid);
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
	char		 hex[2 * LSN_BODY_ID_BYTES + 1], text[512];

	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	snprintf(text, sizeof(text), ESCALATED_FMT, kind, hex, peer);
	return (astore_alerts_delete(a, text));
}

int
track_update(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int state, int acked, uint64_t now,
    const uint8_t *msgid)
{
	int		 rv;

	rv = astore_track_update(a, kind, id, peer, state, acked,
	    (int64_t) now, (int64_t) lsn_now_ms());
	if (rv == LSN_OK && acked)
		rv = escalation_clear(a, kind, id, peer);
	if (rv == LSN_OK)
		rv = agent_event(a, kind, msgid, id, peer, strcmp(kind,
		    K_ALERT) == 0 ? (state == LSN_ALERT_ACKED ?
		    "acknowledged" : "open") : lsn_referral_state_name(state));
	return (rv);
}

