/*
 * wf_meeting.c -- meeting notices and RSVPs (ops in wf_int.h) and the
 * meeting roll-up of the local API (wf_meeting_show, agent.h).
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
#include "wf_int.h"


const char wf_schema_v3[] =
    "CREATE TABLE meetings ("
    " meeting_id BLOB NOT NULL,"
    " organiser TEXT NOT NULL,"
    " role TEXT NOT NULL,"		/* 'organiser' or 'invitee' */
    " version INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY(meeting_id, organiser));"
    "CREATE TABLE meeting_invitees ("
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " PRIMARY KEY(meeting_id, partner));"
    "CREATE TABLE rsvps ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " answer INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL);"
    "CREATE INDEX rsvps_meeting ON rsvps(meeting_id, id);";

/* The latest notice (a MeetingNotice body, as the agent already stores
 * received bodies), so the organiser can cancel by id (issue 17). */
const char wf_schema_v4[] =
    "ALTER TABLE meetings ADD COLUMN notice BLOB;";

/* Records an RSVP of partner (received, or our own when sending). */
static int
rsvp_insert(struct agent *a, const Liaison__V1__MeetingResponse *r,
    const char *partner)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO rsvps(meeting_id, "
	    "partner, version, answer, time_ms) VALUES(?, ?, ?, ?, ?)",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, r->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, partner, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, r->version) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, (int) r->answer) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK)
		rv = LSN_EDB;
	else
		rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

struct meeting {
	char		role[16];
	uint32_t	version;
	int		status;
};

static int
meeting_get(struct agent *a, const uint8_t *id, const char *organiser,
    struct meeting *m)
{
	sqlite3_stmt	*s;
	const char	*role;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT role, version, status FROM "
	    "meetings WHERE meeting_id = ? AND organiser = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, organiser, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		role = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(m->role, role != NULL ? role : "",
		    sizeof(m->role));
		m->version = (uint32_t) sqlite3_column_int64(s, 1);
		m->status = sqlite3_column_int(s, 2);
		rv = LSN_OK;
	} else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
meeting_put(struct agent *a, const Liaison__V1__MeetingNotice *n,
    const char *role, const uint8_t *body, size_t len)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO meetings(meeting_id, "
	    "organiser, role, version, status, start_ms, updated_ms, notice) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(meeting_id, organiser) "
	    "DO UPDATE SET version = excluded.version, status = "
	    "excluded.status, start_ms = excluded.start_ms, updated_ms = "
	    "excluded.updated_ms, notice = excluded.notice", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, n->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, n->organiser_partner, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, n->version) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, (int) n->status) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64) n->start_ms) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 8, body, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
exec_id_text(struct agent *a, const char *sql, const uint8_t *id,
    const char *txt)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, sql, &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, txt, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s);
	sqlite3_reset(s);
	return (rv == SQLITE_DONE ? LSN_OK : rv == SQLITE_ROW ? 1 : LSN_EDB);
}

/*
 * A meeting notice or RSVP we send (sending) or receive. Rules: the
 * organiser sends notices about its own meetings only; version 1 creates,
 * every update or cancellation is the stored version + 1 and nothing
 * follows a cancellation; invitees (expanded recipients at send time, and
 * those added by updates) answer a version they have seen, to the
 * organiser only; the organiser accepts RSVPs from invitees only.
 */
static int
wf_meeting(struct agent *a, int type, const uint8_t *body, size_t len,
    const char *peer, const struct agent_idset *rcpts, int sending,
    int apply, char *detail, size_t detailsz)
{
	Liaison__V1__MeetingNotice	*n = NULL;
	Liaison__V1__MeetingResponse	*r = NULL;
	struct meeting			 m;
	const char			*org;
	int				 rv;

	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE) {
		if ((n = liaison__v1__meeting_notice__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		org = sending ? a->conf.partner : peer;
		if (strcmp(n->organiser_partner, org) != 0) {
			snprintf(detail, detailsz, "meeting notice from %s "
			    "names organiser %s", org, n->organiser_partner);
			rv = LSN_EINVAL;
			goto out;
		}
		rv = meeting_get(a, n->meeting_id.data, org, &m);
		if (rv == LSN_OK && (m.status ==
		    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ||
		    (sending && n->version != m.version + 1) ||
		    (!sending && n->version <= m.version))) {
			snprintf(detail, detailsz, "meeting version %u after "
			    "version %u%s", n->version, m.version, m.status ==
			    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ?
			    " (cancelled)" : "");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv == LSN_ENOENT && sending && n->version != 1) {
			snprintf(detail, detailsz, "a new meeting starts at "
			    "version 1");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_OK && rv != LSN_ENOENT)
			goto out;
		rv = LSN_OK;
		if (!apply)
			goto out;
		if ((rv = meeting_put(a, n, sending ? "organiser" :
		    "invitee", body, len)) != LSN_OK ||
		    (rv = agent_event(a, "meeting", NULL, n->meeting_id.data,
		    org, n->status ==
		    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ?
		    "cancelled" : "scheduled")) != LSN_OK)
			goto out;
		for (size_t i = 0; sending && i < rcpts->n; i++) {
			if (strcmp(rcpts->ids[i], a->conf.partner) == 0)
				continue;
			if ((rv = exec_id_text(a, "INSERT OR IGNORE INTO "
			    "meeting_invitees(meeting_id, partner) VALUES(?, "
			    "?)", n->meeting_id.data, rcpts->ids[i])) !=
			    LSN_OK)
				goto out;
		}
		goto out;
	}
	if ((r = liaison__v1__meeting_response__unpack(NULL, len, body)) ==
	    NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	/* the organiser is the recipient when sending, the sender else */
	org = sending ? peer : a->conf.partner;
	rv = meeting_get(a, r->meeting_id.data, org, &m);
	if (rv == LSN_ENOENT || (rv == LSN_OK && (strcmp(m.role, sending ?
	    "invitee" : "organiser") != 0 || r->version > m.version ||
	    m.status == LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED))) {
		snprintf(detail, detailsz, "no such meeting of %s, version "
		    "not yet announced, or cancelled", org);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_OK)
		goto out;
	if (sending && apply) {
		/* our own answer, shown to us by meeting show / list */
		rv = rsvp_insert(a, r, a->conf.partner);
		goto out;
	}
	if (!sending) {
		rv = exec_id_text(a, "SELECT 1 FROM meeting_invitees WHERE "
		    "meeting_id = ? AND partner = ?", r->meeting_id.data,
		    peer);
		if (rv == LSN_OK) {
			snprintf(detail, detailsz, "%s is not invited",
			    peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != 1)
			goto out;
		rv = LSN_OK;
		if (!apply)
			goto out;
		rv = rsvp_insert(a, r, peer);
		if (rv == LSN_OK)
			rv = agent_event(a, "rsvp", NULL, r->meeting_id.data,
			    peer, r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING ?
			    "attending" : r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE ?
			    "tentative" : "not-attending");
	}
 out:
	if (n != NULL)
		liaison__v1__meeting_notice__free_unpacked(n, NULL);
	if (r != NULL)
		liaison__v1__meeting_response__free_unpacked(r, NULL);
	if (rv == LSN_EPROTO)
		snprintf(detail, detailsz, "body does not unpack");
	return (rv);
}

static void
rollup_free(Liaison__V1__MeetingShowResponse *m)
{
	for (size_t i = 0; i < m->n_entries; i++) {
		if (m->entries[i] == NULL)
			continue;
		free(m->entries[i]->partner);
		free(m->entries[i]);
	}
	free(m->entries);
	free(m->organiser);
	free(m->role);
	free(m->meeting_id.data);
	free(m->notice.data);
	memset(m, 0, sizeof(*m));
	liaison__v1__meeting_show_response__init(m);
}

/* Invitee side: our latest RSVP into out->my_answer / my_version. */
static int
my_rsvp(struct agent *a, const uint8_t *mid,
    Liaison__V1__MeetingShowResponse *out)
{
	sqlite3_stmt	*s;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT answer, version FROM rsvps "
	    "WHERE meeting_id = ? AND partner = ? ORDER BY id DESC LIMIT 1",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, mid, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(s, 2, a->conf.partner, -1,
	    SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		out->has_my_answer = 1;
		out->my_answer = sqlite3_column_int(s, 0);
		out->has_my_version = 1;
		out->my_version = (uint32_t) sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return (r == SQLITE_ROW || r == SQLITE_DONE ? LSN_OK : LSN_EDB);
}

void
wf_meeting_show_free(Liaison__V1__MeetingShowResponse *m)
{
	rollup_free(m);
}

/*
 * The roll-up of one of our meetings (organiser side), or the state of a
 * meeting we were invited to. LSN_ENOENT, LSN_EINVAL, LSN_EDB, LSN_ENOMEM.
 */
int
wf_meeting_show(struct agent *a, const Liaison__V1__MeetingShowRequest *q,
    Liaison__V1__MeetingShowResponse *out)
{
	struct lsn_rollup_counts	 c;
	struct lsn_rollup_entry		*ent = NULL;
	struct lsn_rsvp			*rs = NULL;
	char				**inv = NULL, **rp = NULL;
	size_t				 ninv = 0, nrs = 0, cap;
	sqlite3_stmt			*s;
	const char			*t;
	uint32_t			 version = 0;
	uint8_t				*notice = NULL;
	size_t				 nlen = 0;
	int				 rv, r, status = 0;
	char				 org[LSN_DIR_ID_MAX + 1];
	char				 role[16];

	if (!q->has_meeting_id || q->meeting_id.len != LSN_BODY_ID_BYTES)
		return (LSN_EINVAL);
	if ((rv = lsn_store_stmt(a->st, "SELECT organiser, role, version, "
	    "status, notice FROM meetings WHERE meeting_id = ? ORDER BY role = "
	    "'organiser' DESC LIMIT 1", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		t = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(org, t != NULL ? t : "", sizeof(org));
		t = (const char *) sqlite3_column_text(s, 1);
		lsn_strlcpy(role, t != NULL ? t : "", sizeof(role));
		version = (uint32_t) sqlite3_column_int64(s, 2);
		status = sqlite3_column_int(s, 3);
		nlen = (size_t) sqlite3_column_bytes(s, 4);
		if (nlen > 0 && nlen <= LSN_BODY_MAX &&
		    (notice = malloc(nlen)) != NULL)
			memcpy(notice, sqlite3_column_blob(s, 4), nlen);
		else
			nlen = 0;
	}
	sqlite3_reset(s);
	if (r != SQLITE_ROW)
		return (r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB);
	rv = LSN_ENOMEM;
	liaison__v1__meeting_show_response__init(out);
	if (notice != NULL) {
		out->has_notice = 1;
		out->notice.data = notice;
		out->notice.len = nlen;
	}
	if ((out->organiser = strdup(org)) == NULL ||
	    (out->role = strdup(role)) == NULL ||
	    (out->meeting_id.data = malloc(LSN_BODY_ID_BYTES)) == NULL)
		goto out;
	memcpy(out->meeting_id.data, q->meeting_id.data, LSN_BODY_ID_BYTES);
	out->meeting_id.len = LSN_BODY_ID_BYTES;
	out->has_meeting_id = 1;
	out->has_version = 1;
	out->version = version;
	out->has_status = 1;
	out->status = status;
	if (strcmp(role, "organiser") != 0) {
		rv = my_rsvp(a, q->meeting_id.data, out);
		goto out;
	}
	/* invitees */
	if ((rv = lsn_store_stmt(a->st, "SELECT partner FROM "
	    "meeting_invitees WHERE meeting_id = ? ORDER BY partner", &s)) !=
	    LSN_OK)
		goto out;
	cap = 0;
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	while (rv == LSN_OK && (r = sqlite3_step(s)) == SQLITE_ROW &&
	    ninv < LSN_SEAL_KEYS_MAX) {
		void *p;

		if ((t = (const char *) sqlite3_column_text(s, 0)) == NULL)
			continue;
		if (ninv == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(inv, cap, sizeof(*inv))) ==
			    NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			inv = p;
		}
		if ((inv[ninv] = strdup(t)) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		ninv++;
	}
	sqlite3_reset(s);
	if (rv != LSN_OK)
		goto out;
	/* RSVPs in arrival order */
	if ((rv = lsn_store_stmt(a->st, "SELECT partner, version, answer, "
	    "time_ms FROM rsvps WHERE meeting_id = ? ORDER BY id LIMIT 100000",
	    &s)) != LSN_OK)
		goto out;
	cap = 0;
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	while (rv == LSN_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		void *p, *p2;

		if ((t = (const char *) sqlite3_column_text(s, 0)) == NULL)
			continue;
		if (nrs == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(rs, cap, sizeof(*rs))) == NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			rs = p;
			if ((p2 = reallocarray(rp, cap, sizeof(*rp))) ==
			    NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			rp = p2;
		}
		if ((rp[nrs] = strdup(t)) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		rs[nrs].partner = rp[nrs];
		rs[nrs].version = (uint32_t) sqlite3_column_int64(s, 1);
		rs[nrs].answer = sqlite3_column_int(s, 2);
		rs[nrs].time_ms = (uint64_t) sqlite3_column_int64(s, 3);
		nrs++;
	}
	sqlite3_reset(s);
	if (rv != LSN_OK)
		goto out;
	if (ninv == 0) {
		rv = LSN_OK;
		goto out;
	}
	if ((ent = calloc(ninv, sizeof(*ent))) == NULL ||
	    (out->entries = calloc(ninv, sizeof(*out->entries))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = lsn_meeting_rollup((const char *const *) inv, ninv, rs, nrs,
	    version ? version : 1, ent, &c)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < ninv; i++) {
		Liaison__V1__RsvpEntry *e;

		if ((e = calloc(1, sizeof(*e))) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		liaison__v1__rsvp_entry__init(e);
		out->entries[out->n_entries++] = e;
		if ((e->partner = strdup(ent[i].partner)) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		e->has_answer = ent[i].answer != 0;
		e->answer = ent[i].answer;
		e->has_version = 1;
		e->version = ent[i].version;
		e->has_time_ms = 1;
		e->time_ms = ent[i].time_ms;
		e->has_stale = 1;
		e->stale = ent[i].stale;
	}
	out->has_attending = out->has_not_attending = out->has_tentative = 1;
	out->has_stale = out->has_no_answer = 1;
	out->attending = c.attending;
	out->not_attending = c.not_attending;
	out->tentative = c.tentative;
	out->stale = c.stale;
	out->no_answer = c.no_answer;
	rv = LSN_OK;
 out:
	for (size_t i = 0; i < ninv; i++)
		free(inv[i]);
	free(inv);
	for (size_t i = 0; i < nrs; i++)
		free(rp[i]);
	free(rp);
	free(rs);
	free(ent);
	if (rv != LSN_OK)
		rollup_free(out);
	return (rv);
}


static int
meeting_step(struct wf_step *st)
{
	return (wf_meeting(st->a, st->type, st->body, st->len, st->peer,
	    st->rcpts, st->sending, st->apply, st->detail, st->detailsz));
}

const struct wf_ops wf_meeting_notice_ops = {
	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE, 0, 0,
	meeting_step, meeting_step
};

const struct wf_ops wf_meeting_response_ops = {
	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE, 0, 1,
	meeting_step, meeting_step
};
