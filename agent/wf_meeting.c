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
#include "astore.h"
#include "wf_int.h"

/* Records an RSVP of partner (received, or our own when sending). */
static int
rsvp_insert(struct agent *a, const Liaison__V1__MeetingResponse *r,
    const char *partner)
{
	return (astore_rsvp_add(a, r->meeting_id.data, partner,
	    (int64_t) r->version, (int) r->answer, (int64_t) lsn_now_ms()));
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
	int64_t	version;
	int	rv;

	if ((rv = astore_meeting_get(a, id, organiser, m->role,
	    sizeof(m->role), &version, &m->status)) == LSN_OK)
		m->version = (uint32_t) version;
	return (rv);
}

static int
meeting_put(struct agent *a, const Liaison__V1__MeetingNotice *n,
    const char *role, const uint8_t *body, size_t len)
{
	return (astore_meeting_put(a, n->meeting_id.data,
	    n->organiser_partner, role, (int64_t) n->version, (int) n->status,
	    (int64_t) n->start_ms, (int64_t) lsn_now_ms(), body, len));
}

/*
 * A meeting notice n we send (sending) or receive from peer. The organiser
 * sends notices about its own meetings only; version 1 creates, every
 * update or cancellation is the stored version + 1 and nothing follows a
 * cancellation; the invitees are the expanded recipients at send time
 * (and those added by updates).
 */
static int
meeting_notice_step(struct agent *a, const Liaison__V1__MeetingNotice *n,
    const uint8_t *body, size_t len, const char *peer,
    const struct agent_idset *rcpts, int sending, int apply, char *detail,
    size_t detailsz)
{
	struct meeting	 m;
	const char	*org;
	int		 rv;

	org = sending ? a->conf.partner : peer;
	if (strcmp(n->organiser_partner, org) != 0) {
		snprintf(detail, detailsz, "meeting notice from %s "
		    "names organiser %s", org, n->organiser_partner);
		return (LSN_EINVAL);
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
		return (LSN_ETRANSITION);
	}
	if (rv == LSN_ENOENT && sending && n->version != 1) {
		snprintf(detail, detailsz, "a new meeting starts at "
		    "version 1");
		return (LSN_ETRANSITION);
	}
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	rv = LSN_OK;
	if (!apply)
		return (rv);
	if ((rv = meeting_put(a, n, sending ? "organiser" :
	    "invitee", body, len)) != LSN_OK ||
	    (rv = agent_event(a, "meeting", NULL, n->meeting_id.data,
	    org, n->status ==
	    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ?
	    "cancelled" : "scheduled")) != LSN_OK)
		return (rv);
	for (size_t i = 0; sending && i < rcpts->n; i++) {
		if (strcmp(rcpts->ids[i], a->conf.partner) == 0)
			continue;
		if ((rv = astore_invitee_add(a, n->meeting_id.data,
		    rcpts->ids[i])) != LSN_OK)
			return (rv);
	}
	return (rv);
}

/*
 * An RSVP r we send (sending) to peer or receive from peer: invitees
 * answer a version they have seen, to the organiser only; the organiser
 * accepts RSVPs from invitees only.
 */
static int
meeting_response_step(struct agent *a, const Liaison__V1__MeetingResponse *r,
    const char *peer, int sending, int apply, char *detail, size_t detailsz)
{
	struct meeting	 m;
	const char	*org;
	int		 rv, invited;

	/* the organiser is the recipient when sending, the sender else */
	org = sending ? peer : a->conf.partner;
	rv = meeting_get(a, r->meeting_id.data, org, &m);
	if (rv == LSN_ENOENT || (rv == LSN_OK && (strcmp(m.role, sending ?
	    "invitee" : "organiser") != 0 || r->version > m.version ||
	    m.status == LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED))) {
		snprintf(detail, detailsz, "no such meeting of %s, version "
		    "not yet announced, or cancelled", org);
		return (LSN_ETRANSITION);
	}
	if (rv != LSN_OK)
		return (rv);
	if (sending && apply) {
		/* our own answer, shown to us by meeting show / list */
		return (rsvp_insert(a, r, a->conf.partner));
	}
	if (!sending) {
		if ((rv = astore_invitee_is(a, r->meeting_id.data, peer,
		    &invited)) != LSN_OK)
			return (rv);
		if (!invited) {
			snprintf(detail, detailsz, "%s is not invited",
			    peer);
			return (LSN_ETRANSITION);
		}
		if (!apply)
			return (rv);
		rv = rsvp_insert(a, r, peer);
		if (rv == LSN_OK)
			rv = agent_event(a, "rsvp", NULL, r->meeting_id.data,
			    peer, r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING ?
			    "attending" : r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE ?
			    "tentative" : "not-attending");
	}
	return (rv);
}

/* A meeting notice or RSVP we send (sending) or receive (the rules:
 * meeting_notice_step, meeting_response_step). */
static int
wf_meeting(struct agent *a, int type, const uint8_t *body, size_t len,
    const char *peer, const struct agent_idset *rcpts, int sending,
    int apply, char *detail, size_t detailsz)
{
	Liaison__V1__MeetingNotice	*n = NULL;
	Liaison__V1__MeetingResponse	*r = NULL;
	int				 rv;

	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE) {
		if ((n = liaison__v1__meeting_notice__unpack(NULL, len,
		    body)) == NULL)
			rv = LSN_EPROTO;
		else
			rv = meeting_notice_step(a, n, body, len, peer, rcpts,
			    sending, apply, detail, detailsz);
	} else if ((r = liaison__v1__meeting_response__unpack(NULL, len,
	    body)) == NULL)
		rv = LSN_EPROTO;
	else
		rv = meeting_response_step(a, r, peer, sending, apply, detail,
		    detailsz);
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
	int64_t	version;
	int	rv, found, answer;

	if ((rv = astore_rsvp_latest(a, mid, a->conf.partner, &found, &answer,
	    &version)) != LSN_OK || !found)
		return (rv);
	out->has_my_answer = 1;
	out->my_answer = answer;
	out->has_my_version = 1;
	out->my_version = (uint32_t) version;
	return (LSN_OK);
}

void
wf_meeting_show_free(Liaison__V1__MeetingShowResponse *m)
{
	rollup_free(m);
}

/* The invitees of meeting id, sorted, at most LSN_SEAL_KEYS_MAX, into
 * *inv (*ninv strings; the caller frees them, also on failure). */
struct inv_ctx {
	char	***inv;
	size_t	  *ninv;
	size_t	   cap;
};

static int
invitee_row(void *arg, const char *t)
{
	struct inv_ctx	*x = arg;
	void		*p;

	if (*x->ninv >= LSN_SEAL_KEYS_MAX)
		return (1);
	if (*x->ninv == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		if ((p = reallocarray(*x->inv, x->cap, sizeof(**x->inv))) ==
		    NULL)
			return (LSN_ENOMEM);
		*x->inv = p;
	}
	if (((*x->inv)[*x->ninv] = strdup(t)) == NULL)
		return (LSN_ENOMEM);
	(*x->ninv)++;
	return (0);
}

static int
load_invitees(struct agent *a, const uint8_t *id, char ***inv, size_t *ninv)
{
	struct inv_ctx	x = { inv, ninv, 0 };

	return (astore_invitees(a, id, invitee_row, &x));
}

/* The RSVPs to meeting id in arrival order, into *rs (*nrs of them; the
 * partner strings in *rp; the caller frees both, also on failure). */
struct rsvp_ctx {
	struct lsn_rsvp	**rs;
	char		***rp;
	size_t		 *nrs;
	size_t		  cap;
};

static int
rsvp_row(void *arg, const char *t, int64_t version, int answer,
    int64_t time_ms)
{
	struct rsvp_ctx	*x = arg;
	void		*p, *p2;
	size_t		 n = *x->nrs;

	if (n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		if ((p = reallocarray(*x->rs, x->cap, sizeof(**x->rs))) ==
		    NULL)
			return (LSN_ENOMEM);
		*x->rs = p;
		if ((p2 = reallocarray(*x->rp, x->cap, sizeof(**x->rp))) ==
		    NULL)
			return (LSN_ENOMEM);
		*x->rp = p2;
	}
	if (((*x->rp)[n] = strdup(t)) == NULL)
		return (LSN_ENOMEM);
	(*x->rs)[n].partner = (*x->rp)[n];
	(*x->rs)[n].version = (uint32_t) version;
	(*x->rs)[n].answer = answer;
	(*x->rs)[n].time_ms = (uint64_t) time_ms;
	(*x->nrs)++;
	return (0);
}

static int
load_rsvps(struct agent *a, const uint8_t *id, struct lsn_rsvp **rs,
    char ***rp, size_t *nrs)
{
	struct rsvp_ctx	x = { rs, rp, nrs, 0 };

	return (astore_rsvps(a, id, rsvp_row, &x));
}

/* The roll-up of the RSVPs rs to version of a meeting with invitees inv
 * (ninv > 0) into out's entries and counts. */
static int
fill_rollup(Liaison__V1__MeetingShowResponse *out, char **inv, size_t ninv,
    const struct lsn_rsvp *rs, size_t nrs, uint32_t version)
{
	struct lsn_rollup_counts	 c;
	struct lsn_rollup_entry		*ent = NULL;
	int				 rv = LSN_ENOMEM;

	if ((ent = calloc(ninv, sizeof(*ent))) == NULL ||
	    (out->entries = calloc(ninv, sizeof(*out->entries))) == NULL)
		goto out;
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
	free(ent);
	return (rv);
}

/*
 * The roll-up of one of our meetings (organiser side), or the state of a
 * meeting we were invited to. LSN_ENOENT, LSN_EINVAL, LSN_EDB, LSN_ENOMEM.
 */
int
wf_meeting_show(struct agent *a, const Liaison__V1__MeetingShowRequest *q,
    Liaison__V1__MeetingShowResponse *out)
{
	struct lsn_rsvp			*rs = NULL;
	char				**inv = NULL, **rp = NULL;
	size_t				 ninv = 0, nrs = 0, nlen = 0;
	int64_t				 v = 0;
	uint32_t			 version = 0;
	uint8_t				*notice = NULL;
	int				 rv, status = 0;
	char				 org[LSN_DIR_ID_MAX + 1];
	char				 role[16];

	if (!q->has_meeting_id || q->meeting_id.len != LSN_BODY_ID_BYTES)
		return (LSN_EINVAL);
	if ((rv = astore_meeting_show(a, q->meeting_id.data, org, sizeof(org),
	    role, sizeof(role), &v, &status, &notice, &nlen)) != LSN_OK)
		return (rv);
	version = (uint32_t) v;
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
	if (strcmp(role, "organiser") != 0)
		rv = my_rsvp(a, q->meeting_id.data, out);
	else if ((rv = load_invitees(a, q->meeting_id.data, &inv, &ninv)) ==
	    LSN_OK &&
	    (rv = load_rsvps(a, q->meeting_id.data, &rs, &rp, &nrs)) ==
	    LSN_OK && ninv > 0)
		rv = fill_rollup(out, inv, ninv, rs, nrs, version);
 out:
	for (size_t i = 0; i < ninv; i++)
		free(inv[i]);
	free(inv);
	for (size_t i = 0; i < nrs; i++)
		free(rp[i]);
	free(rp);
	free(rs);
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
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE,
	.on_send = meeting_step,
	.on_receive = meeting_step,
};

const struct wf_ops wf_meeting_response_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE,
	.one_partner = 1,
	.on_send = meeting_step,
	.on_receive = meeting_step,
};
