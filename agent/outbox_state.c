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
#include "astore.h"

int
outbox_status(struct agent *a, const uint8_t *msgid, size_t len,
    Liaison__V1__OutboxStatusResponse *resp, char *detail, size_t detailsz)
{
	char		 st[32];
	int		 rv, code;

	if ((rv = astore_outbox_state(a, msgid, len, st, sizeof(st), &code,
	    detail, detailsz)) != LSN_OK)
		return (rv);
	resp->has_state = 1;
	if (strcmp(st, "accepted") == 0)
		resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED;
	else if (strcmp(st, "rejected") == 0)
		resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED;
	else if (strcmp(st, "undeliverable") == 0)
		resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE;
	else
		resp->state = LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING;
	resp->has_publish_code = 1;
	resp->publish_code = lsn_err_to_wire(code);
	return (LSN_OK);
}

int
outbox_undeliverable(struct agent *a, const uint8_t msgid[16],
    const char *rcpt)
{
	char		 detail[128];
	int		 rv;

	snprintf(detail, sizeof(detail), "undeliverable: cannot open (%s)",
	    rcpt);
	rv = astore_outbox_undeliverable(a, msgid, LSN_EUNSEAL, detail);
	if (rv == LSN_OK && lsn_log_ratelimit("undeliverable", 10))
		log_warnx("message to %s undeliverable: the recipient cannot "
		    "open its sealed body", rcpt);
	return (rv);
}

int
outbox_refuse_pending(struct agent *a, int code, const char *detail)
{
	int64_t	n;
	int	rv;

	if ((rv = astore_outbox_refuse_pending(a, code, detail, &n)) !=
	    LSN_OK)
		return (rv);
	if (n > 0)
		log_warnx("outbox: %lld pending message(s) refused: %s",
		    (long long) n, detail);
	a->ob_inflight = 0;
	a->ob_pass = 0;
	outbox_counts_reset(a);
	return (LSN_OK);
}
