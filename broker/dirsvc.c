/* dirsvc.c -- directory service: DirSync in bounded batches, DirSubmit
 * (authorize, sequence, append, checkpoint), live pushes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

struct enc {
	uint8_t	*buf;
	size_t	 len, cap;
	size_t	 budget;	/* stop adding entries past this size */
	size_t	 count;
	uint64_t last;
	int	 err;
};

static int
enc_grow(struct enc *e, size_t need)
{
	if (e->len + need <= e->cap)
		return (LSN_OK);
	size_t	 ncap = e->cap == 0 ? 4096 : e->cap;
	uint8_t	*n;

	while (ncap < e->len + need)
		ncap *= 2;
	if ((n = realloc(e->buf, ncap)) == NULL)
		return (LSN_ENOMEM);
	e->buf = n;
	e->cap = ncap;
	return (LSN_OK);
}

static int
enc_field(struct enc *e, uint8_t tag, const uint8_t *p, size_t len)
{
	if (enc_grow(e, len + 11) != LSN_OK)
		return (LSN_ENOMEM);
	e->buf[e->len++] = tag;
	e->len += wire_varint(e->buf + e->len, len);
	memcpy(e->buf + e->len, p, len);
	e->len += len;
	return (LSN_OK);
}

static int
entry_cb(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct enc	*e = arg;

	if (e->count > 0 && e->len + len > e->budget)
		return (1);	/* budget: the rest in the next batch */
	if ((e->err = enc_field(e, 0x0a, entry, len)) != LSN_OK)
		return (1);
	e->count++;
	e->last = rev;
	return (0);
}

int
dirsvc_checkpoint(struct broker *b, const uint8_t **cp, size_t *len)
{
	uint8_t		 hash[LSN_DIR_HASH_BYTES], *buf = NULL;
	uint64_t	 rev;
	size_t		 blen;
	int		 rv;

	/* Signed only over a committed head: not while this turn holds
	 * directory ops that are not committed yet (the live push after
	 * the COMMIT carries the checkpoint). */
	if (b->tx && b->submitted_rev > b->pushed_rev)
		return (LSN_ENOENT);
	if ((rv = lsn_dir_head(b->dir, &rev, hash)) != LSN_OK)
		return (rv);
	if (rev == 0)
		return (LSN_ENOENT);
	if (b->cp != NULL && b->cp_rev == rev) {
		*cp = b->cp;
		*len = b->cplen;
		return (LSN_OK);
	}
	if ((rv = lsn_dir_checkpoint_make(b->dir, b->seq_kp, broker_now(b),
	    &buf, &blen)) != LSN_OK) {
		if (lsn_log_ratelimit("checkpoint", 5))
			log_warnx("dir: cannot make a checkpoint: %s",
			    lsn_strerror(rv));
		return (rv);
	}
	free(b->cp);
	b->cp = buf;
	b->cplen = blen;
	b->cp_rev = rev;
	*cp = buf;
	*len = blen;
	return (LSN_OK);
}

/*
 * Encodes Frame{dir_ops(8): DirOps{entries(1)..., checkpoint(2), more(3),
 * live(4)}} with the entries after `after` (at most max, within the byte
 * budget). *last receives the last rev included (after if none).
 */
static int
encode_ops(struct broker *b, uint64_t after, size_t max, size_t budget,
    const uint8_t *cp, size_t cplen, int more_if_left, int live,
    uint64_t head, uint8_t **out, size_t *outlen, uint64_t *lastp)
{
	struct enc	 e = { .budget = budget, .last = after };
	uint8_t		*frame = NULL;
	size_t		 n = 0;
	int		 rv, more;

	if (max > 0 && after < head) {
		rv = lsn_dir_entries_after(b->dir, after, max, entry_cb, &e);
		if (rv < 0 || e.err != LSN_OK) {
			rv = rv < 0 ? rv : e.err;
			goto out;
		}
	}
	more = more_if_left && e.last < head;
	if (!more && cp != NULL && (rv = enc_field(&e, 0x12, cp, cplen)) !=
	    LSN_OK)
		goto out;
	if ((rv = enc_grow(&e, 4)) != LSN_OK)
		goto out;
	e.buf[e.len++] = 0x18;
	e.buf[e.len++] = more ? 1 : 0;
	if (live) {
		e.buf[e.len++] = 0x20;
		e.buf[e.len++] = 1;
	}
	rv = LSN_ENOMEM;
	if ((frame = malloc(e.len + 11)) == NULL)
		goto out;
	frame[n++] = 0x42;
	n += wire_varint(frame + n, e.len);
	memcpy(frame + n, e.buf, e.len);
	n += e.len;
	*out = frame;
	*outlen = n;
	*lastp = e.last;
	rv = LSN_OK;
 out:
	free(e.buf);
	return (rv);
}

int
dirsvc_encode(struct broker *b, uint64_t from, uint64_t to,
    const uint8_t *cp, size_t cplen, int live, uint8_t **out,
    size_t *outlen)
{
	uint64_t	last;

	if (from == 0 || to < from)
		return (LSN_EINVAL);
	return (encode_ops(b, from - 1, (size_t) (to - from + 1), SIZE_MAX,
	    cp, cplen, 0, live, to, out, outlen, &last));
}

int
dirsvc_sync(struct broker *b, const uint8_t *rid, size_t ridlen,
    const Liaison__V1__DirSync *ds)
{
	const uint8_t	*cp = NULL;
	uint8_t		 hash[LSN_DIR_HASH_BYTES], *buf = NULL, *fail;
	uint64_t	 head, after, last;
	size_t		 max, cplen = 0, len, budget, flen = 0;
	int		 rv;

	if ((rv = lsn_dir_head(b->dir, &head, hash)) != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, rv, "directory"));
	after = ds->has_after_rev ? ds->after_rev : 0;
	max = (size_t) b->conf.dir_batch_max;
	if (ds->has_max_entries && ds->max_entries > 0 &&
	    ds->max_entries < max)
		max = ds->max_entries;
	if (head > 0 && (rv = dirsvc_checkpoint(b, &cp, &cplen)) != LSN_OK)
		cp = NULL;
	/* Keep the frame within what a peer accepts (max_msg_bytes). */
	budget = (size_t) b->conf.max_msg_bytes > cplen + 64 ?
	    (size_t) b->conf.max_msg_bytes - cplen - 64 : 1;
	if ((rv = encode_ops(b, after, max, budget, cp, cplen, 1, 0, head,
	    &buf, &len, &last)) != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, rv, "directory"));
	log_debug("dir: sync after %llu: sent up to %llu of %llu",
	    (unsigned long long) after, (unsigned long long) last,
	    (unsigned long long) head);
	if (wire_pack_error(LSN_EDB, "directory read failed", &fail, &flen) !=
	    LSN_OK)
		fail = NULL;
	return (wire_queue(b, rid, ridlen, buf, len, fail, flen));
}

static int
submit_ack(struct broker *b, const uint8_t *rid, size_t ridlen,
    const ProtobufCBinaryData *reqid, int has_reqid, int code,
    const char *detail, uint64_t rev, uint8_t **out, size_t *len)
{
	Liaison__V1__Frame		f;
	Liaison__V1__DirSubmitAck	a;

	(void) b;
	(void) rid;
	(void) ridlen;
	liaison__v1__dir_submit_ack__init(&a);
	if (has_reqid) {
		a.has_request_id = 1;
		a.request_id = *reqid;
	}
	a.has_code = 1;
	a.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(code);
	a.detail = (char *) (uintptr_t) detail;
	if (rev > 0) {
		a.has_rev = 1;
		a.rev = rev;
	}
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK;
	f.dir_submit_ack = &a;
	return (wire_pack(&f, out, len));
}

/* Over 80 lines: apply, audit and queue both acks, or refuse. */
int
dirsvc_submit(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, const Liaison__V1__DirSubmit *s)
{
	Liaison__V1__DirOp	*op = NULL;
	uint8_t			*sop = NULL, *ok = NULL, *fail = NULL;
	uint8_t			 hash[LSN_HASH_BYTES];
	size_t			 len = 0, oklen = 0, faillen = 0;
	char			 why[LSN_DIR_WHY_MAX] = "", subj[32];
	uint64_t		 rev = 0;
	int			 rv, code;
	ProtobufCBinaryData	 reqid = { 0, NULL };
	int			 has_reqid = 0;

	if (s->has_request_id && s->request_id.len <= 64) {
		reqid = s->request_id;
		has_reqid = 1;
	}
	if (s->op == NULL) {
		code = LSN_EINVAL;
		lsn_strlcpy(why, "no op", sizeof(why));
		goto refuse;
	}
	len = liaison__v1__signed_dir_op__get_packed_size(s->op);
	if (len > LSN_DIROP_MAX) {
		code = LSN_ETOOBIG;
		lsn_strlcpy(why, "op too large", sizeof(why));
		goto refuse;
	}
	if ((sop = malloc(len + 1)) == NULL) {
		code = LSN_ENOMEM;
		goto refuse;
	}
	(void) liaison__v1__signed_dir_op__pack(s->op, sop);
	if ((code = broker_tx(b)) != LSN_OK)
		goto refuse;
	code = lsn_dir_submit(b->dir, sop, len, broker_now(b), &rev, why,
	    sizeof(why));
	if (code != LSN_OK) {
		/* a store failure (not a refusal) fails the whole turn */
		if (code == LSN_EDB || code == LSN_ECLOSED ||
		    code == LSN_EPERM)
			b->tx_failed = 1;
		goto refuse;
	}
	if (lsn_dirop_parse(sop, len, NULL, &op) != LSN_OK)
		op = NULL;
	lsn_hash(sop, len, hash);
	snprintf(subj, sizeof(subj), "rev %llu", (unsigned long long) rev);
	if ((code = baudit(b, LSN_AUDIT_DIROP, subj, hash,
	    "via=%s author=%s action=%s", partner,
	    op != NULL && op->author != NULL ? op->author : "?",
	    op != NULL ? lsn_dirop_action_name(op) : "?")) != LSN_OK)
		goto refuse;
	log_info("dir: rev %llu %s by %s (via %s)", (unsigned long long) rev,
	    op != NULL ? lsn_dirop_action_name(op) : "?",
	    op != NULL && op->author != NULL ? op->author : "?", partner);
	if (rev > b->submitted_rev)
		b->submitted_rev = rev;
	if ((rv = submit_ack(b, rid, ridlen, &reqid, has_reqid, LSN_OK,
	    "applied", rev, &ok, &oklen)) != LSN_OK ||
	    (rv = submit_ack(b, rid, ridlen, &reqid, has_reqid, LSN_EDB,
	    "database error: not applied", 0, &fail, &faillen)) != LSN_OK) {
		free(ok);
		ok = NULL;
		goto done;
	}
	rv = wire_queue(b, rid, ridlen, ok, oklen, fail, faillen);
	goto done;
 refuse:
	if (lsn_log_ratelimit(partner, 10))
		log_info("dir: op from %s refused: %s (%s)", partner,
		    lsn_errname(code), why);
	if ((rv = submit_ack(b, rid, ridlen, &reqid, has_reqid, code, why, 0,
	    &ok, &oklen)) == LSN_OK)
		rv = wire_queue(b, rid, ridlen, ok, oklen, NULL, 0);
 done:
	if (op != NULL)
		liaison__v1__dir_op__free_unpacked(op, NULL);
	free(sop);
	return (rv);
}

void
dirsvc_push(struct broker *b)
{
	const uint8_t	*cp = NULL;
	uint8_t		*buf = NULL;
	size_t		 cplen = 0, len = 0, i = 0;
	int		 code;

	if (b->submitted_rev <= b->pushed_rev)
		return;
	if (dirsvc_checkpoint(b, &cp, &cplen) != LSN_OK)
		cp = NULL;
	if (dirsvc_encode(b, b->pushed_rev + 1, b->submitted_rev, cp, cplen,
	    1, &buf, &len) != LSN_OK) {
		log_warnx("dir: cannot encode the live push");
		b->pushed_rev = b->submitted_rev;
		return;
	}
	while (i < b->nsess) {
		struct session	*ss = &b->sess[i];

		/* the outbound gate: a key revoked or a partner suspended
		 * by these very ops gets them no more */
		if ((code = outgate_check(b, ss)) != LSN_OK)
			outgate_refuse(b, ss, code);
		if (code != LSN_OK ||
		    wire_send_now(b, ss->rid, ss->ridlen, buf, len) ==
		    LSN_ECLOSED) {
			session_drop(b, ss->partner);
			continue;
		}
		i++;
	}
	free(buf);
	b->pushed_rev = b->submitted_rev;
}
