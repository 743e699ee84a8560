/*
 * outbox_sign.c -- the turn's signatures, between compose.c and the
 * COMMIT. compose packs a message without signing it; outbox.c stores it
 * with a placeholder signature (64 zero bytes, which nothing accepts) and
 * queues its envelope here. Before the turn's COMMIT (agent_tx_commit)
 * the queued messages with the same recipients are signed together, up to
 * LSN_BATCH_MAX under one signature (lsn_batch_sign: the batch form of
 * docs/protocol.md section 4), and their rows get the signed bytes. A
 * message alone, or every message with envelope_batch = no, keeps the
 * single form. So no row is committed unsigned, the pump sends the bytes
 * the COMMIT made durable, and a turn of 64 submits costs one Ed25519
 * signature here and one verification at the broker and at the recipient
 * instead of 64 each.
 *
 * Grouping by the recipients exactly as named (to and to_groups, hashed
 * whole: composed.group) keeps a recipient's proof to hashes of messages
 * sent to the same recipients (threat-model.md).
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/batchsig.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

int
outbox_sign_queue(struct agent *a, struct composed *c)
{
	struct unsigned_msg	*u;
	size_t			 cap;

	if (a->nus == a->capus) {
		cap = a->capus == 0 ? 64 : a->capus * 2;
		if ((u = reallocarray(a->us, cap, sizeof(*u))) == NULL)
			return (LSN_ENOMEM);
		a->us = u;
		a->capus = cap;
	}
	u = &a->us[a->nus++];
	memcpy(u->id, c->id, sizeof(u->id));
	memcpy(u->group, c->group, sizeof(u->group));
	(void) lsn_strlcpy(u->kid, a->sign_kp->key_id, sizeof(u->kid));
	u->env = c->env;
	u->envlen = c->envlen;
	c->env = NULL;
	c->envlen = 0;
	return (LSN_OK);
}

void
outbox_sign_drop(struct agent *a)
{
	for (size_t i = 0; i < a->nus; i++)
		free(a->us[i].env);
	a->nus = 0;
}

/* Wraps message u with sig (and proof p, the batch form) into its row. */
static int
store_signed(struct agent *a, const struct unsigned_msg *u,
    const uint8_t sig[LSN_SIG_BYTES], const struct lsn_batch_proof *p)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	int64_t	 n;
	int	 rv;

	/* the key that signs is the one the envelope names (a reload runs
	 * between turns, never inside one: this only guards that) */
	if (strcmp(u->kid, a->sign_kp->key_id) != 0) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	if ((rv = lsn_envelope_wrap_batch(u->env, u->envlen, sig,
	    a->conf.partner, a->sign_kp->key_id, p, &buf, &len)) != LSN_OK)
		goto out;
	/* n == 0: its savepoint was rolled back; nothing to sign */
	rv = astore_outbox_set_signed(a, u->id, buf, len, &n);
 out:
	free(buf);
	return (rv);
}

/* Signs the k messages idx[] of one group. */
static int
sign_group(struct agent *a, const size_t *idx, size_t k)
{
	struct lsn_batch_proof	 pr[LSN_BATCH_MAX];
	const uint8_t		*env[LSN_BATCH_MAX] = { NULL };
	size_t			 len[LSN_BATCH_MAX] = { 0 };
	uint8_t			 sig[LSN_SIG_BYTES];
	int			 rv = LSN_OK;

	if (k == 1) {
		const struct unsigned_msg *u = &a->us[idx[0]];

		if ((rv = lsn_sig_sign(LSN_SIG_ENVELOPE, a->sign_kp, u->env,
		    u->envlen, sig)) != LSN_OK)
			return (rv);
		return (store_signed(a, u, sig, NULL));
	}
	for (size_t i = 0; i < k; i++) {
		env[i] = a->us[idx[i]].env;
		len[i] = a->us[idx[i]].envlen;
	}
	if ((rv = lsn_batch_sign(a->sign_kp, env, len, k, sig, pr)) != LSN_OK)
		return (rv);
	for (size_t i = 0; rv == LSN_OK && i < k; i++)
		rv = store_signed(a, &a->us[idx[i]], sig, &pr[i]);
	return (rv);
}

/*
 * Signs what the turn queued, in queue order: each message with the next
 * ones of its group, up to LSN_BATCH_MAX (1 with envelope_batch = no).
 * Any failure fails the turn (the caller rolls it back).
 */
int
outbox_sign_flush(struct agent *a)
{
	size_t	 idx[LSN_BATCH_MAX], k, max;
	uint8_t	*done = NULL;
	int	 rv = LSN_OK;

	if (a->nus == 0)
		return (LSN_OK);
	max = a->conf.envelope_batch ? LSN_BATCH_MAX : 1;
	if ((done = calloc(a->nus, 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; rv == LSN_OK && i < a->nus; i++) {
		if (done[i])
			continue;
		k = 0;
		for (size_t j = i; j < a->nus && k < max; j++)
			if (!done[j] && memcmp(a->us[j].group,
			    a->us[i].group, sizeof(a->us[i].group)) == 0) {
				done[j] = 1;
				idx[k++] = j;
			}
		rv = sign_group(a, idx, k);
	}
	if (rv != LSN_OK)
		log_warnx("outbox: cannot sign the turn's messages: %s",
		    lsn_strerror(rv));
 out:
	free(done);
	outbox_sign_drop(a);
	return (rv);
}
