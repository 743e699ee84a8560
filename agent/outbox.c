/*
 * outbox.c -- the durable outbox: a submitted message is validated,
 * signed with the agency key and stored before the caller is answered,
 * then sent, and resent until a PublishAck arrives (also across restarts
 * of either side; the broker dedups by message_id). Refusals are kept
 * with the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

/* Over 80 lines: one check per SubmitRequest field, in api.proto order. */
static int
check_request(struct agent *a, const Liaison__V1__SubmitRequest *r,
    int flags, char *detail, size_t detailsz)
{
	const char	*field = NULL;
	int		 rv;

	(void) a;
	if (r->n_to + r->n_to_groups == 0) {
		snprintf(detail, detailsz, "no recipient (to or to_groups)");
		return (LSN_EINVAL);
	}
	if (r->n_to > LSN_ENV_TO_MAX || r->n_to_groups > LSN_ENV_GROUPS_MAX) {
		snprintf(detail, detailsz, "too many recipients");
		return (LSN_ETOOBIG);
	}
	for (size_t i = 0; i < r->n_to; i++)
		if (r->to[i] == NULL || !lsn_slug_valid(r->to[i])) {
			snprintf(detail, detailsz, "recipient %zu is not a "
			    "valid partner id", i + 1);
			return (LSN_EINVAL);
		}
	for (size_t i = 0; i < r->n_to_groups; i++)
		if (r->to_groups[i] == NULL ||
		    !lsn_slug_valid(r->to_groups[i])) {
			snprintf(detail, detailsz, "group %zu is not a valid "
			    "group name", i + 1);
			return (LSN_EINVAL);
		}
	/* receipts are made by agents only (rcpt.c) */
	if (!r->has_type || (r->type ==
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT &&
	    !(flags & OUTBOX_F_AGENT)) ||
	    lsn_body_descriptor((int) r->type) == NULL) {
		snprintf(detail, detailsz, "message type %s cannot be "
		    "submitted", r->has_type ?
		    lsn_envelope_type_name((int) r->type) : "(none)");
		return (LSN_EINVAL);
	}
	if (!r->has_body || r->body.len == 0 ||
	    r->body.len > LSN_BODY_MAX) {
		snprintf(detail, detailsz, "body missing or over %d bytes",
		    LSN_BODY_MAX);
		return (r->has_body && r->body.len > LSN_BODY_MAX ?
		    LSN_ETOOBIG : LSN_EINVAL);
	}
	if ((rv = lsn_body_validate((int) r->type, r->body.data,
	    r->body.len, lsn_now_ms(), &field)) != LSN_OK) {
		snprintf(detail, detailsz, "invalid %s body: %s (%s)",
		    lsn_envelope_type_name((int) r->type), lsn_strerror(rv),
		    field != NULL ? field : "-");
		return (rv);
	}
	if ((r->has_in_reply_to && r->in_reply_to.len != LSN_MSGID_BYTES) ||
	    (r->has_thread_id && r->thread_id.len != LSN_MSGID_BYTES)) {
		snprintf(detail, detailsz, "in_reply_to / thread_id must be "
		    "%d bytes", LSN_MSGID_BYTES);
		return (LSN_EINVAL);
	}
	if (r->case_ref != NULL &&
	    !lsn_text_valid(r->case_ref, LSN_ENV_CASE_REF_MAX)) {
		snprintf(detail, detailsz, "case_ref invalid");
		return (LSN_EINVAL);
	}
	if (r->handling != NULL) {
		/* checked before sealing; an absent TLP defaults to GREEN */
		Liaison__V1__Handling	h = *r->handling;

		if (!h.has_tlp) {
			h.has_tlp = 1;
			h.tlp = LIAISON__V1__TLP__TLP_GREEN;
		}
		if ((rv = lsn_handling_validate(&h, &field)) != LSN_OK) {
			snprintf(detail, detailsz, "invalid %s",
			    field != NULL ? field : "handling");
			return (rv);
		}
	}
	if (r->has_expires_ms && r->expires_ms != 0 &&
	    r->expires_ms <= lsn_now_ms()) {
		snprintf(detail, detailsz, "expires_ms is in the past");
		return (LSN_EEXPIRED);
	}
	return (LSN_OK);
}

static int
pending_count(struct agent *a, uint64_t *n)
{
	uint64_t	rej;

	return (outbox_counts(a, n, &rej));
}

static int
send_publish(struct agent *a, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Publish	 p = LIAISON__V1__PUBLISH__INIT;
	Liaison__V1__SignedEnvelope *se;
	int			 rv;

	if ((se = liaison__v1__signed_envelope__unpack(NULL, len, buf)) ==
	    NULL)
		return (LSN_EPROTO);
	p.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH;
	f.publish = &p;
	rv = link_send(a, &f);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

static void
join_recipients(const Liaison__V1__SubmitRequest *r, char *out, size_t sz)
{
	size_t	n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_to && n < sz; i++)
		n += (size_t) snprintf(out + n, sz - n, "%s%s",
		    n ? "," : "", r->to[i]);
	for (size_t i = 0; i < r->n_to_groups && n < sz; i++)
		n += (size_t) snprintf(out + n, sz - n, "%s@%s",
		    n ? "," : "", r->to_groups[i]);
}

int
idset_add(void *arg, const char *id)
{
	struct agent_idset	*ss = arg;
	void			*p;

	for (size_t i = 0; i < ss->n; i++)
		if (strcmp(ss->ids[i], id) == 0)
			return (0);
	if (ss->n >= LSN_SEAL_KEYS_MAX)
		return (LSN_ETOOBIG);
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? ss->cap * 2 : 16;
		if ((p = reallocarray(ss->ids, ss->cap,
		    sizeof(*ss->ids))) == NULL)
			return (LSN_ENOMEM);
		ss->ids = p;
	}
	if (lsn_strlcpy(ss->ids[ss->n], id, sizeof(ss->ids[0])) >=
	    sizeof(ss->ids[0]))
		return (LSN_EINVAL);
	ss->n++;
	return (0);
}

void
idset_free(struct agent_idset *set)
{
	free(set->ids);
	set->ids = NULL;
	set->n = set->cap = 0;
}

/*
 * The partner ids a request reaches, from the local replica: every named
 * recipient and every current ACTIVE member of every group, without the
 * sender when it is reached through a group only (the broker's rule).
 * set must start empty; the caller frees it (idset_free) in all cases.
 */
int
outbox_expand(struct agent *a, const Liaison__V1__SubmitRequest *r,
    struct agent_idset *set, char *detail, size_t detailsz)
{
	int	rv, named_self = 0;

	(void) detail;
	(void) detailsz;
	for (size_t i = 0; i < r->n_to; i++) {
		if (strcmp(r->to[i], a->conf.partner) == 0)
			named_self = 1;
		if ((rv = idset_add(set, r->to[i])) != 0)
			return (rv);
	}
	for (size_t i = 0; i < r->n_to_groups; i++) {
		rv = lsn_dir_group_members(a->dir, r->to_groups[i], 1,
		    idset_add, set);
		/* an unknown group is the broker's to refuse
		 * (E_UNKNOWN_GROUP in the PublishAck) */
		if (rv != LSN_OK && rv != LSN_EUNKNOWNGROUP)
			return (rv);
	}
	if (!named_self)
		for (size_t i = 0; i < set->n; i++)
			if (strcmp(set->ids[i], a->conf.partner) == 0) {
				memmove(&set->ids[i], &set->ids[i + 1],
				    (set->n - i - 1) * sizeof(set->ids[0]));
				set->n--;
				break;
			}
	return (LSN_OK);
}

/*
 * Seals body for every recipient in rcpts (outbox_expand: groups are
 * expanded from the local replica now; the broker expands them again
 * against its directory, and a member it adds that we did not know cannot
 * open the body and quarantines it), and the sender itself (so its own outbox copy stays readable by its operator). On
 * success *sbp is the SealedBody (lsn_sealed_free).
 */
static int
seal_body(struct agent *a, const Liaison__V1__SubmitRequest *r,
    const struct agent_idset *rcpts, const uint8_t id[LSN_MSGID_BYTES],
    Liaison__V1__SealedBody **sbp, char *detail, size_t detailsz)
{
	struct agent_idset	 ss = { NULL, 0, 0 };
	struct lsn_seal_rcpt	*rc = NULL;
	uint8_t			(*pks)[LSN_PK_BYTES] = NULL;
	uint8_t			 ad[LSN_SEAL_AD_MAX];
	char			 kid[LSN_KEYID_HEXLEN + 1];
	size_t			 adlen;
	uint64_t		 now = lsn_now_ms();
	int			 rv;

	for (size_t i = 0; i < rcpts->n; i++)
		if ((rv = idset_add(&ss, rcpts->ids[i])) != 0)
			goto out;
	if ((rv = idset_add(&ss, a->conf.partner)) != 0)
		goto out;
	if ((rc = calloc(ss.n, sizeof(*rc))) == NULL ||
	    (pks = calloc(ss.n, sizeof(*pks))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ss.n; i++) {
		if ((rv = lsn_dir_encrypt_key(a->dir, ss.ids[i], now, kid,
		    pks[i])) != LSN_OK) {
			snprintf(detail, detailsz, "cannot seal to %s: %s",
			    ss.ids[i], lsn_strerror(rv));
			goto out;
		}
		rc[i].partner = ss.ids[i];
		rc[i].pk = pks[i];
	}
	if ((rv = lsn_seal_ad(id, a->conf.partner, (int) r->type, ad,
	    &adlen)) != LSN_OK ||
	    (rv = lsn_seal(r->body.data, r->body.len, ad, adlen, rc, ss.n,
	    sbp)) != LSN_OK) {
		snprintf(detail, detailsz, "cannot seal: %s",
		    lsn_strerror(rv));
		goto out;
	}
	rv = LSN_OK;
 out:
	if (rv != LSN_OK && detail[0] == '\0')
		snprintf(detail, detailsz, "cannot seal: %s",
		    lsn_strerror(rv));
	free(rc);
	free(pks);
	idset_free(&ss);
	return (rv);
}

/*
 * Validates, signs and stores a submitted message; sends it when
 * connected. On success msgid receives the new message id. On failure
 * detail holds a one-line reason.
 */
int
outbox_submit(struct agent *a, const Liaison__V1__SubmitRequest *r,
    uint8_t msgid[16], char *detail, size_t detailsz)
{
	return (outbox_submit_flags(a, r, 0, msgid, detail, detailsz));
}

/*
 * outbox_submit with flags: OUTBOX_F_AGENT allows the types only the
 * agent itself makes (RECEIPT). Inside the loop's transaction (a->in_tx)
 * the message is not sent at once: the outbox pass sends it after the
 * COMMIT.
 * Over 80 lines: the send funnel issue 14 replaces; left whole.
 */
int
outbox_submit_flags(struct agent *a, const Liaison__V1__SubmitRequest *r,
    int flags, uint8_t msgid[16], char *detail, size_t detailsz)
{
	Liaison__V1__Envelope	e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__DirHead	dh = LIAISON__V1__DIR_HEAD__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	uint8_t			id[LSN_MSGID_BYTES], hash[LSN_DIR_HASH_BYTES];
	uint8_t			*buf = NULL;
	size_t			 len;
	uint64_t		 rev, n;
	const char		*field = NULL;
	char			 rcpt[1024];
	struct agent_idset	 rcpts = { NULL, 0, 0 };
	sqlite3_stmt		*s;
	int			 rv, tx = 0, tx_outer = 0, sp = 0;

	if ((rv = check_request(a, r, flags, detail, detailsz)) != LSN_OK)
		return (rv);
	if ((rv = outbox_expand(a, r, &rcpts, detail, detailsz)) != LSN_OK) {
		if (detail[0] == '\0')
			snprintf(detail, detailsz, "recipients: %s",
			    lsn_strerror(rv));
		goto out;
	}
	if ((rv = pending_count(a, &n)) != LSN_OK)
		goto dberr;
	if (n >= AGENT_OUTBOX_MAX) {
		snprintf(detail, detailsz, "outbox full (%llu messages "
		    "waiting for the broker)", (unsigned long long) n);
		rv = LSN_EQUOTA;
		goto out;
	}
	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK)
		goto dberr;
	lsn_random(id, sizeof(id));
	/* the workflow step must be legal for every recipient */
	if ((rv = wf_on_submit(a, r, &rcpts, id, 0, detail, detailsz)) !=
	    LSN_OK)
		goto out;
	if (r->handling != NULL)
		h = *r->handling;
	h.base = (ProtobufCMessage) PROTOBUF_C_MESSAGE_INIT(
	    &liaison__v1__handling__descriptor);
	/* a reply keeps its thread's marking (wfmark.c); GREEN else */
	if ((rv = wfmark_submit(a, r, &h, detail, detailsz)) != LSN_OK) {
		if (rv == LSN_EDB)
			goto dberr;
		goto out;
	}
	e.has_version = 1;
	e.version = LSN_ENVELOPE_VERSION;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = sizeof(id);
	e.sender = a->conf.partner;
	e.sender_key_id = a->sign_kp->key_id;
	e.n_to = r->n_to;
	e.to = r->to;
	e.n_to_groups = r->n_to_groups;
	e.to_groups = r->to_groups;
	e.has_created_ms = 1;
	e.created_ms = lsn_now_ms();
	if (r->has_expires_ms && r->expires_ms != 0) {
		e.has_expires_ms = 1;
		e.expires_ms = r->expires_ms;
	}
	e.has_type = 1;
	e.type = r->type;
	e.handling = &h;
	e.has_priority = 1;
	e.priority = r->has_priority && r->priority != 0 ? r->priority :
	    LIAISON__V1__PRIORITY__PRIORITY_P4;
	e.has_in_reply_to = r->has_in_reply_to;
	e.in_reply_to = r->in_reply_to;
	e.case_ref = r->case_ref;
	e.has_thread_id = r->has_thread_id;
	e.thread_id = r->thread_id;
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	e.dir_head = &dh;
	if (lsn_tlp_requires_seal((int) h.tlp)) {
		detail[0] = '\0';
		if ((rv = seal_body(a, r, &rcpts, id, &sb, detail,
		    detailsz)) != LSN_OK)
			goto out;
		e.sealed = sb;
	} else {
		e.has_body = 1;
		e.body = r->body;
	}
	rv = lsn_envelope_sign(&e, a->sign_kp, &buf, &len, &field);
	lsn_sealed_free(&sb);
	if (rv != LSN_OK) {
		snprintf(detail, detailsz, "cannot sign: %s (%s)",
		    lsn_strerror(rv), field != NULL ? field : "-");
		goto out;
	}
	join_recipients(r, rcpt, sizeof(rcpt));
	tx_outer = a->in_tx;
	if (!a->in_tx) {
		if ((rv = lsn_store_begin(a->st)) != LSN_OK)
			goto dberr;
		tx = 1;
	} else {
		/* inside the turn's transaction: a failure below undoes
		 * this message only */
		if ((rv = agent_savepoint(a, AGENT_SP_BEGIN)) != LSN_OK)
			goto dberr;
		sp = 1;
	}
	/* while the broker refuses this agency a submit ends refused at
	 * once: it could not be delivered, and the caller must know */
	if ((rv = lsn_store_stmt(a->st, "INSERT INTO outbox(message_id, "
	    "signed, state, created_ms, recipients, code, detail) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?)", &s)) != LSN_OK)
		goto dberr;
	if (sqlite3_bind_blob(s, 1, id, sizeof(id), SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, buf, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, a->refused_code != 0 ? "rejected" :
	    "pending", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64) e.created_ms) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 5, rcpt, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, a->refused_code) != SQLITE_OK ||
	    (a->refused_code != 0 ? sqlite3_bind_text(s, 7, a->link_error,
	    -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, 7)) != SQLITE_OK) {
		rv = LSN_EDB;
		goto dberr;
	}
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv != LSN_OK)
		goto dberr;
	if ((rv = wf_on_submit(a, r, &rcpts, id, 1, detail, detailsz)) !=
	    LSN_OK) {
		if (rv == LSN_EDB)
			goto dberr;
		goto out;
	}
	if ((rv = wfmark_note(a, (int) r->type, r->body.data, r->body.len,
	    (int) h.tlp)) != LSN_OK)
		goto dberr;
	if (sp) {
		if ((rv = agent_savepoint(a, AGENT_SP_RELEASE)) != LSN_OK)
			goto dberr;
		sp = 0;
	}
	if (tx) {
		tx = 0;
		if ((rv = lsn_store_commit(a->st)) != LSN_OK) {
			lsn_store_rollback(a->st);
			a->events_added = 0;
			if (lsn_store_in_doubt(a->st)) {
				/* stored or not: unknown; the id goes back
				 * with E_IN_DOUBT, outbox_status decides */
				agent_set_in_doubt(a);
				memcpy(msgid, id, sizeof(id));
				snprintf(detail, detailsz, "the commit failed "
				    "at its sync: outcome unknown; after the "
				    "agent's restart ask outbox_status");
				rv = LSN_EINDOUBT;
				goto out;
			}
			goto dberr;
		}
		if (a->events_added) {
			a->events_added = 0;
			api_inbox_changed(a);
		}
	}
	if (a->ob_counted && a->refused_code != 0)
		a->ob_rejected++;
	else if (a->ob_counted)
		a->ob_pending++;
	/* outbox_pump sends it from the database once it is committed
	 * (inside the turn's transaction: after agent_tx_commit) */
	if (tx_outer)
		a->outbox_added = 1;
	a->ob_pass = 1;
	memcpy(msgid, id, sizeof(id));
	ametrics_msg(a, 0, (int) e.type, (int) e.priority);
	rv = LSN_OK;
	goto out;
 dberr:
	log_warnx("%s: %s", __func__, lsn_store_errmsg(a->st));
	snprintf(detail, detailsz, "agent database error");
	if (rv == LSN_OK)
		rv = LSN_EDB;
 out:
	if (sp && agent_savepoint(a, AGENT_SP_ROLLBACK) != LSN_OK)
		a->tx_failed = 1;
	if (tx) {
		lsn_store_rollback(a->st);
		a->events_added = 0;
	}
	idset_free(&rcpts);
	free(buf);
	return (rv);
}

static int
transient(int code)
{
	/* LSN_ERATE: over the broker's rate limit, sent again later */
	return (code == LSN_EDB || code == LSN_EAGAIN ||
	    code == LSN_EINTERNAL || code == LSN_ENOMEM ||
	    code == LSN_ETIMEDOUT || code == LSN_ERATE);
}

/* A PublishAck: accepted, rejected (kept with its error), or retry. */
int
outbox_on_ack(struct agent *a, const Liaison__V1__PublishAck *k)
{
	sqlite3_stmt	*s;
	const char	*state;
	int		 code, rv;

	if (!k->has_message_id || k->message_id.len != LSN_MSGID_BYTES) {
		if (k->has_code && lsn_log_ratelimit("puback", 10))
			log_warnx("PublishAck without message id: %s: %s",
			    lsn_errname(lsn_err_from_wire((int) k->code)),
			    k->detail != NULL ? k->detail : "");
		return (LSN_EPROTO);
	}
	code = k->has_code ? lsn_err_from_wire((int) k->code) : LSN_EPROTO;
	if (code != LSN_OK)
		ametrics_refusal(a, "broker", code);
	if (code == LSN_OK)
		state = "accepted";
	else if (transient(code))
		state = "pending";
	else
		state = "rejected";
	/* a refused re-publish stays accepted (see above) */
	if ((rv = lsn_store_stmt(a->st, "UPDATE outbox SET state = "
	    "CASE WHEN ?1 = 'rejected' AND detail IS '"
	    OUTBOX_REPUBLISH_DETAIL "' THEN 'accepted' ELSE ?1 END, "
	    "code = CASE WHEN ?1 = 'rejected' AND detail IS '"
	    OUTBOX_REPUBLISH_DETAIL "' THEN 0 ELSE ?2 END, detail = ?3 "
	    "WHERE message_id = ?4 AND state = 'pending'", &s)) != LSN_OK) {
		a->tx_failed = 1;
		return (rv);
	}
	if (sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, code) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, k->detail != NULL ? k->detail :
	    lsn_strerror(code), -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 4, k->message_id.data,
	    (int) k->message_id.len, SQLITE_STATIC) != SQLITE_OK) {
		a->tx_failed = 1;
		return (LSN_EDB);
	}
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv != LSN_OK) {
		a->tx_failed = 1;
		return (rv);
	}
	if (sqlite3_changes(lsn_store_db(a->st)) > 0) {
		/* an answer to a message of the window (a duplicate
		 * answer finds the row final and changes nothing) */
		if (a->ob_inflight > 0)
			a->ob_inflight--;
		if (a->ob_counted && strcmp(state, "pending") != 0) {
			if (a->ob_pending > 0)
				a->ob_pending--;
			else
				a->ob_counted = 0;
			/* a refused re-publish stays accepted: recount */
			if (strcmp(state, "rejected") == 0)
				outbox_counts_reset(a);
		}
	}
	if (code != LSN_OK)
		log_info("publish refused: %s: %s", lsn_errname(code),
		    k->detail != NULL ? k->detail : "");
	return (LSN_OK);
}

/*
 * Sending. Pending rows are sent in oid order, at most AGENT_OUTBOX_WINDOW
 * unacknowledged at a time: ob_next is the highest oid sent in this
 * session, ob_inflight the number sent and not yet answered. A PublishAck
 * that moves a row out of 'pending' (or answers it with a transient
 * error) frees a place. Nothing is resent while the broker answers: every
 * resend_ms the lowest pending oid is looked up, and if the same sent row
 * is still the lowest pending one a full period later (its Publish or its
 * answer was lost, or the answer was transient), the window restarts from
 * it. A new session (Welcome) restarts it from the beginning.
 */

/* Restarts sending from the first pending row (new session). */
void
outbox_start_pass(struct agent *a)
{
	a->ob_pass = 1;
	a->ob_next = 0;
	a->ob_inflight = 0;
	a->ob_low = 0;
	a->ob_check_at = lsn_mono_ms() + (uint64_t) a->conf.resend_ms;
}

/* 1 if outbox_pump has something to send now. */
int
outbox_can_send(const struct agent *a)
{
	return (a->connected && a->ob_pass &&
	    a->ob_inflight < AGENT_OUTBOX_WINDOW);
}

static void
check_stall(struct agent *a, uint64_t now)
{
	sqlite3_stmt	*s;
	int64_t		 low = 0;
	int		 r;

	a->ob_check_at = now + (uint64_t) a->conf.resend_ms;
	if (lsn_store_stmt(a->st, "SELECT min(oid) FROM outbox WHERE "
	    "state = 'pending'", &s) != LSN_OK)
		return;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		low = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (r != SQLITE_ROW)
		return;
	if (low == 0) {
		/* everything answered */
		a->ob_inflight = 0;
		a->ob_low = 0;
		return;
	}
	if (low > a->ob_next) {
		/* not sent yet: the pump gets to it */
		a->ob_pass = 1;
		a->ob_low = 0;
		return;
	}
	if (low == a->ob_low) {
		log_debug("outbox: no answer for a full period, resending "
		    "from oid %lld", (long long) low);
		a->ob_next = low - 1;
		a->ob_inflight = 0;
		a->ob_pass = 1;
		a->ob_low = 0;
		return;
	}
	a->ob_low = low;
}

/* Sends the next pending messages, within the window. */
void
outbox_pump(struct agent *a, uint64_t now)
{
	sqlite3_stmt	*s;
	int64_t		 oid;
	int		 n = 0, r, rv, limit;

	if (!a->connected)
		return;
	if (now >= a->ob_check_at)
		check_stall(a, now);
	if (!a->ob_pass || a->ob_inflight >= AGENT_OUTBOX_WINDOW)
		return;
	limit = (int) (AGENT_OUTBOX_WINDOW - a->ob_inflight);
	if (limit > AGENT_OUTBOX_BURST)
		limit = AGENT_OUTBOX_BURST;
	if (lsn_store_stmt(a->st, "SELECT oid, signed FROM outbox WHERE "
	    "state = 'pending' AND oid > ? ORDER BY oid LIMIT ?", &s) !=
	    LSN_OK)
		return;
	if (sqlite3_bind_int64(s, 1, a->ob_next) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, limit) != SQLITE_OK) {
		sqlite3_reset(s);
		return;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		oid = sqlite3_column_int64(s, 0);
		rv = send_publish(a, sqlite3_column_blob(s, 1),
		    (size_t) sqlite3_column_bytes(s, 1));
		if (rv == LSN_EAGAIN)
			break;
		/* a row that cannot be sent (LSN_EPROTO, too big) counts
		 * as sent: the stall check retries it */
		a->ob_next = oid;
		a->ob_inflight++;
		n++;
	}
	sqlite3_reset(s);
	if ((r == SQLITE_DONE && n < limit) ||
	    (r != SQLITE_DONE && r != SQLITE_ROW))
		a->ob_pass = 0;
}

/*
 * The numbers of pending and rejected outbox rows. Kept in memory: loaded
 * from the database on first use and after outbox_counts_reset() (every
 * rollback), then updated by outbox_submit_flags and outbox_on_ack, the
 * only writers of the outbox table.
 */
int
outbox_counts(struct agent *a, uint64_t *pending, uint64_t *rejected)
{
	sqlite3_stmt	*s;
	int		 rv, r;
	uint64_t	 p = 0, j = 0;

	if (a->ob_counted) {
		*pending = a->ob_pending;
		*rejected = a->ob_rejected;
		return (LSN_OK);
	}
	if ((rv = lsn_store_stmt(a->st, "SELECT state, count(*) FROM outbox "
	    "WHERE state != 'accepted' GROUP BY state", &s)) != LSN_OK)
		return (rv);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *st = (const char *) sqlite3_column_text(s, 0);

		if (st != NULL && strcmp(st, "pending") == 0)
			p = (uint64_t) sqlite3_column_int64(s, 1);
		else if (st != NULL && strcmp(st, "rejected") == 0)
			j = (uint64_t) sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE)
		return (LSN_EDB);
	a->ob_pending = p;
	a->ob_rejected = j;
	a->ob_counted = 1;
	*pending = p;
	*rejected = j;
	return (LSN_OK);
}

/* Forgets the in-memory counts (after a rollback): reloaded on next use. */
void
outbox_counts_reset(struct agent *a)
{
	a->ob_counted = 0;
}
