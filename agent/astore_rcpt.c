/*
 * astore_rcpt.c -- the receipts table: the signed receipts recipients
 * sent for our messages (and ours for theirs). See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/query.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

int
astore_receipts_of(struct agent *a, const uint8_t *msgid,
    astore_receipt_fn *fn, void *arg)
{
	struct lsn_q	*q;
	const char	*signer;
	int		 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT signer, stage, time_ms FROM "
	    "receipts WHERE message_id = ? ORDER BY id", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		signer = lsn_q_col_text(q, 0);
		if ((r = fn(arg, signer, (int) lsn_q_col_i64(q, 1),
		    lsn_q_col_i64(q, 2))) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_rcpt_add(struct agent *a, const uint8_t *message_id, int stage,
    const char *signer, int64_t time_ms, const uint8_t *sr, size_t srlen,
    const uint8_t *carrier)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT OR IGNORE INTO receipts("
	    "message_id, stage, signer, time_ms, signed, carrier) "
	    "VALUES(?, ?, ?, ?, ?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, message_id, 16);
	lsn_q_i64(q, 2, stage);
	lsn_q_text(q, 3, signer);
	lsn_q_i64(q, 4, time_ms);
	lsn_q_blob(q, 5, srlen ? sr : (const uint8_t *) "", srlen);
	lsn_q_blob(q, 6, carrier, 16);
	return (lsn_q_run(q));
}

int
astore_rcpt_signed_add(struct agent *a, const uint8_t *carrier,
    const uint8_t *sr, size_t srlen)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT OR IGNORE INTO receipt_signed("
	    "carrier, signed) VALUES(?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, carrier, 16);
	lsn_q_blob(q, 2, sr, srlen);
	return (lsn_q_run(q));
}

int
astore_rcpt_mark_sent(struct agent *a, const uint8_t *message_id, int stage,
    int *added)
{
	struct lsn_q	*q;
	int		 rv;

	*added = 0;
	if ((rv = lsn_store_q(a->st, "INSERT OR IGNORE INTO receipts_sent("
	    "message_id, stage) VALUES(?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, message_id, 16);
	lsn_q_i64(q, 2, stage);
	if ((rv = lsn_q_run(q)) == LSN_OK)
		*added = lsn_store_changes(a->st) != 0;
	return (rv);
}

int
astore_signed_of(struct agent *a, const uint8_t *msgid, uint8_t **bufp,
    size_t *lenp, int *ours)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = astore_outbox_signed(a, msgid, bufp, lenp)) != LSN_ENOENT) {
		if (ours != NULL)
			*ours = 1;
		goto out;
	}
	if ((rv = lsn_store_q(a->st, "SELECT signed FROM inbox WHERE "
	    "message_id = ?", &q)) != LSN_OK)
		goto out;
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		rv = astore_copy(q, 0, bufp, lenp);
		if (ours != NULL)
			*ours = 0;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
 out:
	return (rv);
}

int
astore_rcpt_signed_of(struct agent *a, const uint8_t *msgid,
    astore_rcpt_fn *fn, void *arg)
{
	struct lsn_q	*q;
	const void	*blob, *carrier;
	size_t		 blen, clen;
	int		 rv, r;

	/* a batch receipt's bytes are kept once, by carrier */
	if ((rv = lsn_store_q(a->st, "SELECT CASE WHEN length(r.signed) > "
	    "0 THEN r.signed ELSE g.signed END, r.carrier FROM receipts r "
	    "LEFT JOIN receipt_signed g ON g.carrier = r.carrier WHERE "
	    "r.message_id = ? ORDER BY r.id", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, 16);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		blob = lsn_q_col_blob(q, 0, &blen);
		carrier = lsn_q_col_blob(q, 1, &clen);
		if (clen != 16)
			continue;
		if ((r = fn(arg, blob, blen, carrier)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_events_thread(struct agent *a, const char *kind, const uint8_t *id,
    const uint8_t *except, uint8_t (*ids)[16], size_t max, size_t *np)
{
	struct lsn_q	*q;
	const void	*p;
	size_t		 n = 0, len;
	int		 rv;

	*np = 0;
	if ((rv = lsn_store_q(a->st, "SELECT message_id FROM events "
	    "WHERE kind = ? AND item_id = ? AND message_id IS NOT NULL AND "
	    "message_id != ? GROUP BY message_id ORDER BY min(id)", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_text(q, 1, kind);
	lsn_q_blob(q, 2, id, 16);
	lsn_q_blob(q, 3, except, 16);
	while (n < max && (rv = lsn_q_step(q)) == LSN_ROW) {
		p = lsn_q_col_blob(q, 0, &len);
		if (len == 16)
			memcpy(ids[n++], p, 16);
	}
	lsn_q_reset(q);
	if (rv == LSN_ROW)
		rv = LSN_OK;
	*np = n;
	return (rv);
}
