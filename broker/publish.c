/* publish.c -- the Publish frames of one turn: each is checked by
 * ingress.c, its signature verified in the pool (vpool.c), and answered in
 * arrival order with a PublishAck whose OK form goes out only if the turn
 * commits (wire.c). broker.c's frame loop feeds it. */
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

/* Logs the outcome of a publish and queues its PublishAck (the OK variant
 * goes out only if the turn commits). */
static void
publish_answer(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, struct ingress_result *res)
{
	Liaison__V1__Frame	 f;
	Liaison__V1__PublishAck	 a;
	uint8_t			*ok = NULL, *fail = NULL;
	size_t			 oklen = 0, faillen = 0;
	char			 idhex[2 * LSN_MSGID_BYTES + 1] = "-";

	if (res->has_msgid)
		lsn_hex_encode(res->msgid, LSN_MSGID_BYTES, idhex);
	bmetrics_publish(b, res);
	if (res->code == LSN_OK) {
		b->stat_accepted++;
		/* The audit log has every accepted message: debug only. */
		log_debug("publish: %s from %s to %zu recipient(s)%s", idhex,
		    partner, res->nrcpts, res->duplicate ? " (duplicate)" : "");
	} else {
		b->stat_refused++;
		if (lsn_log_ratelimit(partner, 30))
			log_info("publish: %s from %s refused: %s (%s)", idhex,
			    partner, lsn_errname(res->code), res->detail);
	}
	liaison__v1__publish_ack__init(&a);
	if (res->has_msgid) {
		a.has_message_id = 1;
		a.message_id.data = res->msgid;
		a.message_id.len = LSN_MSGID_BYTES;
	}
	a.has_code = 1;
	a.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(res->code);
	a.detail = res->detail[0] != '\0' ? res->detail : NULL;
	a.n_recipients = res->nrcpts;
	a.recipients = res->rcpts;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH_ACK;
	f.publish_ack = &a;
	if (wire_pack(&f, &ok, &oklen) != LSN_OK)
		return;
	if (res->code == LSN_OK) {
		/* Acknowledged only if the turn commits. */
		a.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(LSN_EDB);
		a.detail = (char *) (uintptr_t) "database error: not stored";
		a.n_recipients = 0;
		a.recipients = NULL;
		if (wire_pack(&f, &fail, &faillen) != LSN_OK) {
			free(ok);
			return;
		}
	}
	(void) wire_queue(b, rid, ridlen, ok, oklen, fail, faillen);
}

void
publish_one(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, const uint8_t *env, size_t envlen)
{
	struct ingress_result	 res;

	(void) ingress_publish(b, partner, env, envlen, &res);
	publish_answer(b, partner, rid, ridlen, &res);
	ingress_result_free(&res);
}

/* ---- publishes of one turn, verified in parallel ---- */

struct pending {
	zmq_msg_t		 msg;	/* holds the envelope bytes */
	char			 partner[LSN_DIR_ID_MAX + 1];
	uint8_t			 rid[BROKER_RID_MAX];
	size_t			 ridlen;
	struct ingress_job	 job;
	struct ingress_result	 res;
};

/*
 * Finishes every pending publish in arrival order: waits for its
 * signature check, runs the remaining rules, stores it and queues its
 * answer. Called before any other frame but a DeliverAck is handled (so
 * that frame sees the publishes before it, as if they had run one by one;
 * an ack only deletes its sender's delivered queue rows, which no pending
 * publish touches) and at the end of the drain.
 */
void
publish_flush(struct broker *b)
{
	for (size_t i = 0; i < b->npend; i++) {
		struct pending	*p = &b->pend[i];

		if (p->job.verify) {
			vpool_wait(b->vp, &p->job.vj);
			(void) ingress_finish(b, &p->job, &p->res);
		}
		publish_answer(b, p->partner, p->rid, p->ridlen, &p->res);
		ingress_result_free(&p->res);
		ingress_job_free(&p->job);
		zmq_msg_close(&p->msg);
	}
	b->npend = 0;
	bdir_memo(b, 0);	/* the next frame may change the directory */
}

/*
 * 1 when job j's check costs a few hashes, so the loop's thread runs it
 * (vpool_keep) rather than hand it to a verification thread and wait to
 * be woken: a batch-form envelope whose batch an earlier publish of this
 * turn (at most 64 back) carries with the same key (that one is waited
 * for first and a success is cached; a failure leaves j to verify
 * itself), or whose batch signature already verified (lsn_batch_known).
 */
static int
keep_for_loop(const struct broker *b, const struct vjob *j)
{
	const struct vjob	*e;
	size_t			 n = b->npend - 1, k;

	if (j->o == NULL || !j->o->has_batch)
		return (0);
	for (k = n; k > 0 && n - k < 64; k--) {
		if (!b->pend[k - 1].job.verify)
			continue;
		e = &b->pend[k - 1].job.vj;
		if (e->o != NULL && e->o->has_batch &&
		    memcmp(e->o->sig, j->o->sig, LSN_SIG_BYTES) == 0 &&
		    memcmp(e->pk, j->pk, LSN_PK_BYTES) == 0)
			return (1);
	}
	return (lsn_batch_known(j->pk, j->o->env, j->o->envlen, &j->o->batch,
	    j->o->sig, LSN_SIG_BYTES));
}

/*
 * Takes a Publish frame (msg, moved into the pending list) whose
 * connection passed the gate: runs the rules before the signature now and
 * hands the signature to the pool.
 */
void
publish_add(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, zmq_msg_t *msg)
{
	struct pending	*p;
	const uint8_t	*env;
	size_t		 envlen;

	if (b->npend == BROKER_BATCH)
		publish_flush(b);
	p = &b->pend[b->npend++];
	zmq_msg_init(&p->msg);
	zmq_msg_move(&p->msg, msg);
	lsn_strlcpy(p->partner, partner, sizeof(p->partner));
	memcpy(p->rid, rid, ridlen);
	p->ridlen = ridlen;
	/* Small messages live inside the zmq_msg_t: take the pointers from
	 * the moved one (it stays put: b->pend is never reallocated). */
	if (!wire_publish_envelope(zmq_msg_data(&p->msg),
	    zmq_msg_size(&p->msg), &env, &envlen)) {
		memset(&p->job, 0, sizeof(p->job));
		memset(&p->res, 0, sizeof(p->res));
		p->res.code = LSN_EINTERNAL;
		return;
	}
	if (ingress_begin(b, partner, env, envlen, &p->job, &p->res) !=
	    LSN_OK)
		return;
	if (keep_for_loop(b, &p->job.vj))
		vpool_keep(&p->job.vj);
	else
		vpool_submit(b->vp, &p->job.vj);
}

/* PublishAck{code} for a publish refused before its envelope was read. */
void
publish_refuse(struct broker *b, const uint8_t *rid, size_t ridlen,
    const uint8_t *msgid, int code, const char *detail)
{
	Liaison__V1__Frame	 f;
	Liaison__V1__PublishAck	 a;

	liaison__v1__publish_ack__init(&a);
	if (msgid != NULL) {
		a.has_message_id = 1;
		a.message_id.data = (uint8_t *) (uintptr_t) msgid;
		a.message_id.len = LSN_MSGID_BYTES;
	}
	a.has_code = 1;
	a.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(code);
	a.detail = (char *) (uintptr_t) detail;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH_ACK;
	f.publish_ack = &a;
	(void) wire_queue_frame(b, rid, ridlen, &f);
}

int
publish_open(struct broker *b)
{
	if ((b->pend = calloc(BROKER_BATCH, sizeof(*b->pend))) == NULL)
		return (LSN_ENOMEM);
	return (LSN_OK);
}

void
publish_close(struct broker *b)
{
	if (b->pend == NULL)
		return;
	publish_flush(b);
	free(b->pend);
	b->pend = NULL;
}
