/*
 * astore_meeting.c -- the meetings table: meetings we organise or are
 * invited to, their versions and status. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/err.h"
#include "liaison/query.h"

#include "agent.h"
#include "astore.h"

int
astore_meetings_upcoming(struct agent *a, int64_t now,
    astore_meeting_fn *fn, void *arg)
{
	struct astore_meeting_row	 m;
	struct lsn_q			*q;
	size_t				 n;
	int				 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT meeting_id, organiser, role, "
	    "start_ms, version FROM meetings WHERE status != 3 AND "
	    "start_ms >= ? ORDER BY start_ms LIMIT 200", &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, now);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&m, 0, sizeof(m));
		m.meeting_id = lsn_q_col_blob(q, 0, &n);
		if (n != LSN_BODY_ID_BYTES)
			continue;
		m.organiser = lsn_q_col_text(q, 1);
		m.role = lsn_q_col_text(q, 2);
		m.start_ms = lsn_q_col_i64(q, 3);
		m.version = (int) lsn_q_col_i64(q, 4);
		if ((r = fn(arg, &m)) != 0) {
			rv = r > 0 ? LSN_OK : r;
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}
