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
			rv = r > 0 ? LSN_OK : r;
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}
