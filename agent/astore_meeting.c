/*
 * astore_meeting.c -- the meetings table: meetings we organise or are
 * invited to, their versions and status. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

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
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_rsvp_add(struct agent *a, const uint8_t *mid, const char *partner,
    int64_t version, int answer, int64_t time_ms)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO rsvps(meeting_id, "
	    "partner, version, answer, time_ms) VALUES(?, ?, ?, ?, ?)",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, partner);
	lsn_q_i64(q, 3, version);
	lsn_q_i64(q, 4, answer);
	lsn_q_i64(q, 5, time_ms);
	rv = lsn_q_run(q);
	return (rv == LSN_EEXIST ? LSN_EDB : rv);
}

int
astore_meeting_get(struct agent *a, const uint8_t *mid,
    const char *organiser, char *role, size_t rolesz, int64_t *version,
    int *status)
{
	struct lsn_q	*q;
	const char	*t;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT role, version, status FROM "
	    "meetings WHERE meeting_id = ? AND organiser = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, organiser);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		t = lsn_q_col_text(q, 0);
		lsn_strlcpy(role, t != NULL ? t : "", rolesz);
		*version = lsn_q_col_i64(q, 1);
		*status = (int) lsn_q_col_i64(q, 2);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

int
astore_meeting_put(struct agent *a, const uint8_t *mid,
    const char *organiser, const char *role, int64_t version, int status,
    int64_t start_ms, int64_t updated_ms, const uint8_t *notice, size_t len)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO meetings(meeting_id, "
	    "organiser, role, version, status, start_ms, updated_ms, notice) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(meeting_id, organiser) "
	    "DO UPDATE SET version = excluded.version, status = "
	    "excluded.status, start_ms = excluded.start_ms, updated_ms = "
	    "excluded.updated_ms, notice = excluded.notice", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, organiser);
	lsn_q_text(q, 3, role);
	lsn_q_i64(q, 4, version);
	lsn_q_i64(q, 5, status);
	lsn_q_i64(q, 6, start_ms);
	lsn_q_i64(q, 7, updated_ms);
	lsn_q_blob(q, 8, notice, len);
	rv = lsn_q_run(q);
	return (rv == LSN_EEXIST ? LSN_EDB : rv);
}

int
astore_invitee_add(struct agent *a, const uint8_t *mid, const char *partner)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT OR IGNORE INTO "
	    "meeting_invitees(meeting_id, partner) VALUES(?, ?)", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, partner);
	return (lsn_q_run(q));
}

int
astore_invitee_is(struct agent *a, const uint8_t *mid, const char *partner,
    int *found)
{
	struct lsn_q	*q;
	int		 rv;

	*found = 0;
	if ((rv = lsn_store_q(a->st, "SELECT 1 FROM meeting_invitees WHERE "
	    "meeting_id = ? AND partner = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, partner);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*found = 1;
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_rsvp_latest(struct agent *a, const uint8_t *mid, const char *partner,
    int *found, int *answer, int64_t *version)
{
	struct lsn_q	*q;
	int		 rv;

	*found = 0;
	if ((rv = lsn_store_q(a->st, "SELECT answer, version FROM rsvps "
	    "WHERE meeting_id = ? AND partner = ? ORDER BY id DESC LIMIT 1",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, partner);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*found = 1;
		*answer = (int) lsn_q_col_i64(q, 0);
		*version = lsn_q_col_i64(q, 1);
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_invitees(struct agent *a, const uint8_t *mid, astore_name_fn *fn,
    void *arg)
{
	struct lsn_q	*q;
	const char	*t;
	int		 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT partner FROM "
	    "meeting_invitees WHERE meeting_id = ? ORDER BY partner", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		if ((t = lsn_q_col_text(q, 0)) == NULL)
			continue;
		if ((r = fn(arg, t)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_rsvps(struct agent *a, const uint8_t *mid, astore_rsvp_fn *fn,
    void *arg)
{
	struct lsn_q	*q;
	const char	*t;
	int		 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT partner, version, answer, "
	    "time_ms FROM rsvps WHERE meeting_id = ? ORDER BY id LIMIT 100000",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		if ((t = lsn_q_col_text(q, 0)) == NULL)
			continue;
		if ((r = fn(arg, t, lsn_q_col_i64(q, 1),
		    (int) lsn_q_col_i64(q, 2), lsn_q_col_i64(q, 3))) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_meeting_show(struct agent *a, const uint8_t *mid, char *org,
    size_t orgsz, char *role, size_t rolesz, int64_t *version, int *status,
    uint8_t **notice, size_t *nlen)
{
	struct lsn_q	*q;
	const char	*t;
	const void	*p;
	size_t		 n;
	int		 rv;

	*notice = NULL;
	*nlen = 0;
	if ((rv = lsn_store_q(a->st, "SELECT organiser, role, version, "
	    "status, notice FROM meetings WHERE meeting_id = ? ORDER BY role = "
	    "'organiser' DESC LIMIT 1", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, mid, LSN_BODY_ID_BYTES);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		t = lsn_q_col_text(q, 0);
		lsn_strlcpy(org, t != NULL ? t : "", orgsz);
		t = lsn_q_col_text(q, 1);
		lsn_strlcpy(role, t != NULL ? t : "", rolesz);
		*version = lsn_q_col_i64(q, 2);
		*status = (int) lsn_q_col_i64(q, 3);
		p = lsn_q_col_blob(q, 4, &n);
		/* a notice that does not fit (or no memory) is left out */
		if (n > 0 && n <= LSN_BODY_MAX && (*notice = malloc(n)) !=
		    NULL) {
			memcpy(*notice, p, n);
			*nlen = n;
		}
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}
