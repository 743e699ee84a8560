/*
 * astore_inbox.c -- the inbox table: messages received, their state and
 * acknowledgement. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/envelope.h"
#include "liaison/query.h"

#include "agent.h"
#include "astore.h"

int
astore_inbox_tlp(struct agent *a, const uint8_t *id, size_t len, int *tlp)
{
	struct lsn_q	*q;
	int		 rv;

	*tlp = 0;
	if ((rv = lsn_store_q(a->st, "SELECT tlp FROM inbox WHERE "
	    "message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, id, len);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*tlp = (int) lsn_q_col_i64(q, 0);
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_inbox_body(struct agent *a, const uint8_t *msgid, uint8_t **body,
    size_t *len, int *tlp, int *type)
{
	struct lsn_q	*q;
	const void	*p;
	int		 rv;

	*body = NULL;
	*len = 0;
	if ((rv = lsn_store_q(a->st, "SELECT body, tlp, type, "
	    "typeof(body) = 'blob' FROM inbox WHERE message_id = ?", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	if ((rv = lsn_q_step(q)) == LSN_ROW && lsn_q_col_i64(q, 3) != 0) {
		p = lsn_q_col_blob(q, 0, len);
		*tlp = (int) lsn_q_col_i64(q, 1);
		*type = (int) lsn_q_col_i64(q, 2);
		if ((*body = malloc(*len > 0 ? *len : 1)) == NULL)
			rv = LSN_ENOMEM;
		else {
			if (*len > 0)
				memcpy(*body, p, *len);
			rv = LSN_OK;
		}
	} else if (rv == LSN_OK || rv == LSN_ROW)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}
