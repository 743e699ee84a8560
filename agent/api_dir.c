/*
 * api_dir.c -- the local API's directory requests: dir_query (answered
 * from the verified replica, also while the broker is down; refused once
 * the replica halted), dir_submit (a signed op passed to the broker, the
 * answer held until its DirSubmitAck or a timeout: api_on_dirsubmit_ack,
 * api_fail_dirsubs, api_timers in api.c) and contact (this agency's own
 * contact op, built and signed here, then submitted the same way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

/* ---- directory ---- */

struct dq {
	Liaison__V1__DirQueryResponse	*resp;
	size_t				 cap;
	int				 rv;
};

static int
copy_partner(const Liaison__V1__Partner *p, Liaison__V1__Partner **out)
{
	uint8_t	*buf;
	size_t	 len;

	len = liaison__v1__partner__get_packed_size(p);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__partner__pack(p, buf);
	*out = liaison__v1__partner__unpack(NULL, len, buf);
	free(buf);
	return (*out == NULL ? LSN_ENOMEM : LSN_OK);
}

static int
dq_partner(void *arg, const Liaison__V1__Partner *p)
{
	struct dq	*q = arg;

	if (q->resp->n_partners >= q->cap)
		return (1);
	if ((q->rv = copy_partner(p, &q->resp->partners[q->resp->n_partners]))
	    != LSN_OK)
		return (1);
	q->resp->n_partners++;
	return (0);
}

static void
dq_free(Liaison__V1__DirQueryResponse *r)
{
	for (size_t i = 0; i < r->n_partners; i++)
		liaison__v1__partner__free_unpacked(r->partners[i], NULL);
	free(r->partners);
	for (size_t i = 0; i < r->n_groups; i++)
		lsn_dir_group_free(&r->groups[i]);
	free(r->groups);
}

struct gnames {
	char	**v;
	size_t	  n, cap;
};

static int
collect_name(void *arg, const char *name)
{
	struct gnames	*g = arg;

	if (g->n >= g->cap)
		return (1);
	if ((g->v[g->n] = strdup(name)) == NULL)
		return (LSN_ENOMEM);
	g->n++;
	return (0);
}

/*
 * Answers E_DIR_HALTED with the halt reason the replica persisted (the
 * replica was halted after a fork, a broken chain or a rollback).
 */
static void
halted_reply(struct agent *a, const struct api_peer *p, uint64_t rid)
{
	char	why[512], detail[sizeof(why) + 96];

	if (agent_state_get(a, "dir_halted", why, sizeof(why)) != LSN_OK)
		lsn_strlcpy(why, "reason not recorded", sizeof(why));
	if (snprintf(detail, sizeof(detail), "directory replica halted "
	    "(%s); it serves no directory data until an operator "
	    "investigates", why) < 0)
		lsn_strlcpy(detail, "directory replica halted", sizeof(detail));
	api_reply_err(a, p, rid, LSN_EDIRHALTED, detail);
}

/* Every group of the replica (at most AGENT_DIR_RESULTS_MAX) into qr;
 * their names in gn (the caller frees them). */
static int
dq_all_groups(struct agent *a, Liaison__V1__DirQueryResponse *qr,
    struct gnames *gn)
{
	int	rv;

	gn->cap = AGENT_DIR_RESULTS_MAX;
	if ((gn->v = calloc(gn->cap, sizeof(*gn->v))) == NULL)
		return (LSN_ENOMEM);
	if ((rv = lsn_dir_groups(a->dir, collect_name, gn)) < 0)
		return (rv);
	for (size_t i = 0; i < gn->n; i++) {
		if ((rv = lsn_dir_group_get(a->dir, gn->v[i],
		    &qr->groups[qr->n_groups])) != LSN_OK)
			return (rv);
		qr->n_groups++;
	}
	return (LSN_OK);
}

void
api_dir_query(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__DirQueryRequest	*req = rq->dir_query;
	Liaison__V1__DirQueryResponse	 qr =
	    LIAISON__V1__DIR_QUERY_RESPONSE__INIT;
	Liaison__V1__DirHead		 dh = LIAISON__V1__DIR_HEAD__INIT;
	struct gnames			 gn = { NULL, 0, 0 };
	struct dq			 q;
	uint8_t				 hash[32];
	uint64_t			 rev;
	int				 rv;

	if ((req->partner_id != NULL && !lsn_slug_valid(req->partner_id)) ||
	    (req->group != NULL && !lsn_slug_valid(req->group)) ||
	    (req->search != NULL && !lsn_text_valid(req->search, 256))) {
		api_reply_err(a, p, rid, LSN_EINVAL, "invalid query");
		return;
	}
	if (a->halted) {
		/* the replica is suspect: no data from it, only the reason */
		halted_reply(a, p, rid);
		return;
	}
	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK)
		goto fail;
	qr.partners = calloc(AGENT_DIR_RESULTS_MAX, sizeof(*qr.partners));
	qr.groups = calloc(AGENT_DIR_RESULTS_MAX, sizeof(*qr.groups));
	if (qr.partners == NULL || qr.groups == NULL) {
		rv = LSN_ENOMEM;
		goto fail;
	}
	q.resp = &qr;
	q.cap = AGENT_DIR_RESULTS_MAX;
	q.rv = LSN_OK;
	if (req->partner_id != NULL) {
		if ((rv = lsn_dir_partner_get(a->dir, req->partner_id,
		    &qr.partners[0])) != LSN_OK)
			goto fail;
		qr.n_partners = 1;
	} else if (req->group != NULL) {
		if ((rv = lsn_dir_group_get(a->dir, req->group,
		    &qr.groups[0])) != LSN_OK)
			goto fail;
		qr.n_groups = 1;
	} else if (req->has_list_groups && req->list_groups) {
		if ((rv = dq_all_groups(a, &qr, &gn)) != LSN_OK)
			goto fail;
	} else {
		rv = lsn_dir_list(a->dir, req->search, dq_partner, &q);
		if (rv < 0)
			goto fail;
		if ((rv = q.rv) != LSN_OK)
			goto fail;
	}
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	qr.head = &dh;
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_DIR_QUERY, &qr);
	rv = LSN_OK;
 fail:
	if (rv != LSN_OK)
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such partner" :
		    rv == LSN_EUNKNOWNGROUP ? "no such group" : NULL);
	for (size_t i = 0; i < gn.n; i++)
		free(gn.v[i]);
	free(gn.v);
	dq_free(&qr);
}

void
api_dir_submit(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__DirSubmitRequest	*req = rq->dir_submit;
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirSubmit	 ds = LIAISON__V1__DIR_SUBMIT__INIT;
	struct dir_pending	*dp = NULL;
	size_t			 len;
	int			 rv;

	if (req->op == NULL) {
		api_reply_err(a, p, rid, LSN_EINVAL, "no op");
		return;
	}
	len = liaison__v1__signed_dir_op__get_packed_size(req->op);
	if (len > LSN_DIROP_MAX) {
		api_reply_err(a, p, rid, LSN_ETOOBIG, "op too large");
		return;
	}
	if (!a->connected) {
		api_reply_err(a, p, rid, LSN_ECLOSED, "not connected to the "
		    "broker; try again later");
		return;
	}
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++)
		if (!a->dirsubs[i].used) {
			dp = &a->dirsubs[i];
			break;
		}
	if (dp == NULL) {
		api_reply_err(a, p, rid, LSN_EAGAIN, "too many directory "
		    "submissions in flight");
		return;
	}
	lsn_random(dp->rid, sizeof(dp->rid));
	ds.has_request_id = 1;
	ds.request_id.data = dp->rid;
	ds.request_id.len = sizeof(dp->rid);
	ds.op = req->op;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	if ((rv = link_send(a, &f)) != LSN_OK) {
		api_reply_err(a, p, rid, rv == LSN_EAGAIN ? LSN_ECLOSED : rv,
		    "cannot send to the broker");
		return;
	}
	dp->used = 1;
	dp->peer = *p;
	dp->request_id = rid;
	dp->deadline = lsn_mono_ms() + AGENT_DIRSUB_TIMEOUT_MS;
}

void
api_on_dirsubmit_ack(struct agent *a, const Liaison__V1__DirSubmitAck *k)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__DirSubmitResponse	sr =
	    LIAISON__V1__DIR_SUBMIT_RESPONSE__INIT;

	if (!k->has_request_id || k->request_id.len != 16)
		return;
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++) {
		struct dir_pending *dp = &a->dirsubs[i];

		if (!dp->used || memcmp(dp->rid, k->request_id.data, 16) != 0)
			continue;
		dp->used = 0;
		r.has_request_id = 1;
		r.request_id = dp->request_id;
		r.code = k->has_code ? k->code : 4;
		r.detail = k->detail;
		if (r.code == 0) {
			sr.has_rev = k->has_rev;
			sr.rev = k->rev;
			r.kind_case = LIAISON__V1__API_RESPONSE__KIND_DIR_SUBMIT;
			r.dir_submit = &sr;
		}
		api_reply(a, &dp->peer, &r);
		return;
	}
}

void
api_fail_dirsubs(struct agent *a, int code, const char *why)
{
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++) {
		struct dir_pending *dp = &a->dirsubs[i];

		if (!dp->used)
			continue;
		dp->used = 0;
		api_reply_err(a, &dp->peer, dp->request_id, code, why);
	}
}

/*
 * Builds, signs and submits a self-service contact op of this partner
 * (the broker authorizes it: a partner may change its own contacts).
 */
void
api_contact(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__ContactRequest	*req = rq->contact;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__SetContact		 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__RemoveContact	 rc = LIAISON__V1__REMOVE_CONTACT__INIT;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__DirSubmitRequest	 ds =
	    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;
	Liaison__V1__ApiRequest		 sub = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__Partner		*me = NULL;
	uint8_t				*raw = NULL, *sig = NULL;
	size_t				 rawlen, siglen;
	char				 why[AGENT_DETAIL_MAX];
	const char			*act = req->action != NULL ?
					    req->action : "";
	int				 rv;

	if ((rv = lsn_dir_partner_get(a->dir, a->conf.partner, &me)) !=
	    LSN_OK) {
		api_reply_err(a, p, rid, rv, "this partner is not in the "
		    "directory replica yet");
		return;
	}
	op.author = a->conf.partner;
	op.has_expected_version = 1;
	op.expected_version = me->has_version ? me->version : 0;
	if (strcmp(act, "set") == 0 && req->contact != NULL) {
		sc.partner_id = a->conf.partner;
		sc.contact = req->contact;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
		op.set_contact = &sc;
	} else if (strcmp(act, "remove") == 0 && req->contact_id != NULL) {
		rc.partner_id = a->conf.partner;
		rc.contact_id = req->contact_id;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT;
		op.remove_contact = &rc;
	} else if (strcmp(act, "confirm") == 0 && req->contact_id != NULL) {
		cc.partner_id = a->conf.partner;
		cc.contact_id = req->contact_id;
		cc.has_verified_at_ms = 1;
		cc.verified_at_ms = lsn_now_ms();
		op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
		op.confirm_contact = &cc;
	} else {
		lsn_dir_partner_free(&me);
		api_reply_err(a, p, rid, LSN_EINVAL, "action is set (with "
		    "contact), remove or confirm (with contact_id)");
		return;
	}
	why[0] = '\0';
	rv = lsn_dirop_new(&op, &raw, &rawlen, why, sizeof(why));
	lsn_dir_partner_free(&me);
	if (rv != LSN_OK) {
		api_reply_err(a, p, rid, rv, why[0] != '\0' ? why :
		    "invalid contact op");
		return;
	}
	rv = lsn_dirop_sign(raw, rawlen, a->sign_kp, &sig, &siglen);
	free(raw);
	if (rv != LSN_OK) {
		api_reply_err(a, p, rid, rv, "cannot sign the op");
		return;
	}
	if ((ds.op = liaison__v1__signed_dir_op__unpack(NULL, siglen, sig)) ==
	    NULL) {
		free(sig);
		api_reply_err(a, p, rid, LSN_EINTERNAL, "cannot build the op");
		return;
	}
	free(sig);
	sub.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT;
	sub.dir_submit = &ds;
	api_dir_submit(a, p, rid, &sub);
	liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
}
