/*
 * rcpt_batch.c -- the DELIVERED receipts of one loop turn, batched.
 *
 * Storing a delivered message (inbox.c) records it here instead of
 * signing a receipt at once; at the end of the turn, inside its
 * transaction and before the COMMIT (agent_tx_commit), rcpt_flush signs
 * one receipt per (original sender, up to LSN_RECEIPT_BATCH_MAX
 * messages; LSN_RECEIPT_BATCH_COMPAT with envelope_batch = no) in the
 * batch form of docs/protocol.md section 10 and queues its carrier
 * envelope in the outbox. A turn of 64 messages from one sender thus
 * costs one receipt signature instead of 64, and as many fewer
 * verifications at the sender.
 *
 * The receipts_sent rows are written when a message is recorded, in the
 * same transaction: a turn that rolls back forgets both (rcpt_drop), and
 * the redelivered messages are receipted again.
 *
 * Owns a->rq (the turn's pending entries); nothing outlives the turn.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/receipt.h"
#include "liaison/util.h"

#include "agent.h"

/*
 * Records a stored message for the turn's DELIVERED receipts: env is the
 * verified Envelope, env_bytes / env_len the exact signed Envelope bytes
 * (SignedEnvelope.envelope), both borrowed. Receipts are not receipted.
 * A full queue is flushed first (the turn is still open).
 */
int
rcpt_delivered(struct agent *a, const Liaison__V1__Envelope *env,
    const uint8_t *env_bytes, size_t env_len)
{
	struct rcpt_pending	*p;
	int			 rv;

	if (env->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT)
		return (LSN_OK);
	if (env->sender == NULL || env->message_id.len != 16 ||
	    strlen(env->sender) >= sizeof(p->sender))
		return (LSN_EPROTO);
	if ((rv = rcpt_mark_sent(a, env->message_id.data,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED)) <= 0)
		return (rv);	/* error, or sent before */
	if (a->nrq == AGENT_RCPT_PENDING_MAX && (rv = rcpt_flush(a)) !=
	    LSN_OK)
		return (rv);
	p = &a->rq[a->nrq++];
	(void) lsn_strlcpy(p->sender, env->sender, sizeof(p->sender));
	memcpy(p->id, env->message_id.data, 16);
	lsn_hash(env_bytes, env_len, p->hash);
	return (LSN_OK);
}

/* By sender, then in arrival order (the index breaks ties). */
static int
pending_cmp(const void *x, const void *y)
{
	const struct rcpt_pending	*p = x, *q = y;
	int				 c;

	if ((c = strcmp(p->sender, q->sender)) != 0)
		return (c);
	return (p->order < q->order ? -1 : p->order > q->order);
}

/*
 * Signs and queues the turn's DELIVERED receipts: one per sender and
 * LSN_RECEIPT_BATCH_MAX messages (LSN_RECEIPT_BATCH_COMPAT while older
 * members may read them, envelope_batch = no). Called inside the open
 * transaction; on an error the caller fails the turn (everything of it
 * rolls back).
 */
int
rcpt_flush(struct agent *a)
{
	uint8_t		ids[LSN_RECEIPT_BATCH_MAX][16];
	uint8_t		hs[LSN_RECEIPT_BATCH_MAX][LSN_HASH_BYTES];
	size_t		i = 0, n, max;
	int		rv = LSN_OK;

	max = a->conf.envelope_batch ? LSN_RECEIPT_BATCH_MAX :
	    LSN_RECEIPT_BATCH_COMPAT;
	if (a->nrq == 0)
		return (LSN_OK);
	for (size_t k = 0; k < a->nrq; k++)
		a->rq[k].order = k;
	qsort(a->rq, a->nrq, sizeof(a->rq[0]), pending_cmp);
	while (i < a->nrq && rv == LSN_OK) {
		const char	*to = a->rq[i].sender;

		for (n = 0; i + n < a->nrq && n < max &&
		    strcmp(a->rq[i + n].sender, to) == 0; n++) {
			memcpy(ids[n], a->rq[i + n].id, 16);
			memcpy(hs[n], a->rq[i + n].hash, LSN_HASH_BYTES);
		}
		rv = rcpt_submit(a, to, (const uint8_t (*)[16]) ids,
		    (const uint8_t (*)[LSN_HASH_BYTES]) hs, n,
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED);
		i += n;
	}
	a->nrq = 0;
	return (rv);
}

/* The turn rolled back: its receipts_sent rows are gone, so are these. */
void
rcpt_drop(struct agent *a)
{
	a->nrq = 0;
}
