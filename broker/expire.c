/*
 * expire.c -- queued messages that leave a queue undelivered: the broker's
 * delivery-role trust gate on every Deliver frame (deliver_gate), the
 * periodic expiry job (deliver_expire) and the pruning of delivered
 * bytes (deliver_prune). Each removal is one audit row.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"

static int
queue_drop(struct broker *b, const char *rcpt, uint64_t seq, int sent,
    const uint8_t *msgid, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/*
 * Deletes the queue row (rcpt, seq) in the turn's transaction and writes
 * one audit row of kind for msgid (detail from fmt). sent: the row may
 * have been sent; then an in-flight delivery frees its slot (its ack, if
 * any, will find no row).
 */
static int
queue_drop(struct broker *b, const char *rcpt, uint64_t seq, int sent,
    const uint8_t *msgid, const char *kind, const char *fmt, ...)
{
	struct session	*ss;
	va_list		 ap;
	int64_t		 n = 0;
	char		 idhex[2 * LSN_MSGID_BYTES + 1], detail[256];
	int		 rv;

	if ((rv = broker_tx(b)) != LSN_OK)
		goto out;
	if ((rv = bstore_queue_del(b, rcpt, seq, &n)) != LSN_OK) {
		rv = bstore_err(rv);
		b->tx_failed = 1;
		goto out;
	}
	rcache_dequeued(b, rcpt, (uint64_t) n);
	if (sent && (ss = session_find(b, rcpt)) != NULL &&
	    seq <= ss->sent_upto &&
	    ss->inflight > 0) {
		ss->inflight--;
		ss->pump = 1;
	}
	lsn_hex_encode(msgid, LSN_MSGID_BYTES, idhex);
	va_start(ap, fmt);
	(void) vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	rv = baudit(b, kind, idhex, NULL, "%s", detail);
 out:
	return (rv);
}

/* ---- the delivery role of the trust gate ---- */

struct dview {
	struct broker	*b;
	struct session	*ss;
};

/*
 * The recipient's status as the session's cached gate verdict
 * (outgate_check: O(1) per frame, re-asked when the directory moves).
 */
static int
dv_status(void *arg, const char *partner, int *st)
{
	struct dview	*v = arg;
	int		 code;

	if (strcmp(partner, v->ss->partner) != 0)
		return (LSN_ENOENT);	/* the gate asks only about it */
	code = outgate_check(v->b, v->ss);
	switch (code) {
	case LSN_ESUSPENDED:
		*st = LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED;
		break;
	case LSN_EPREVOKED:
		*st = LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED;
		break;
	case LSN_EUNKNOWNSENDER:
		return (LSN_ENOENT);
	default:
		/* LSN_OK, or only the transport key is no longer valid */
		*st = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
		break;
	}
	return (LSN_OK);
}

int
deliver_gate(struct broker *b, struct session *ss, uint64_t created_ms,
    uint64_t expires_ms, struct lsn_trust_result *r)
{
	struct dview		v = { b, ss };
	struct lsn_trust_dir	d;
	struct lsn_trust_ctx	c;
	Liaison__V1__Envelope	e;

	memset(&d, 0, sizeof(d));
	d.arg = &v;
	d.partner_status = dv_status;
	memset(&c, 0, sizeof(c));
	c.role = LSN_TRUST_BROKER_DELIVERY;
	c.dir = &d;
	c.now_ms = broker_now(b);
	c.peer = ss->partner;
	/* what the delivery rules read, from the messages row the ingress
	 * gate stored: no parse, no signature check */
	liaison__v1__envelope__init(&e);
	e.has_created_ms = 1;
	e.created_ms = created_ms;
	e.has_expires_ms = 1;
	e.expires_ms = expires_ms;
	return (lsn_trust_handling(&c, &e, r));
}

int
deliver_gate_drop(struct broker *b, struct session *ss, uint64_t seq,
    const uint8_t *msgid, const struct lsn_trust_result *r)
{
	char	idhex[2 * LSN_MSGID_BYTES + 1];

	lsn_hex_encode(msgid, LSN_MSGID_BYTES, idhex);
	if (lsn_log_ratelimit(ss->partner, 10))
		log_info("deliver: %s for %s (seq %llu) not delivered: %s: %s",
		    idhex, ss->partner, (unsigned long long) seq,
		    lsn_trust_rule_name((int) r->rule), r->detail);
	/* never sent: the gate refused it before its frame was made */
	return (queue_drop(b, ss->partner, seq, 0, msgid, r->rule ==
	    LSN_RULE_EXPIRED ? LSN_AUDIT_EXPIRED : LSN_AUDIT_QUARANTINED,
	    "recipient=%s seq=%llu code=%s gate=%s rule=%s", ss->partner,
	    (unsigned long long) seq, lsn_errname(r->code),
	    lsn_trust_role_name(LSN_TRUST_BROKER_DELIVERY),
	    lsn_trust_rule_name((int) r->rule)));
}

struct expired {
	char		rcpt[LSN_DIR_ID_MAX + 1];
	uint64_t	seq;
	uint8_t		msgid[LSN_MSGID_BYTES];
};

struct expire_scan {
	struct expired	*ex;
	size_t		 n;
};

static int
expire_row(void *arg, const char *rcpt, uint64_t seq, const uint8_t *msgid)
{
	struct expire_scan	*sc = arg;
	struct expired		*e = &sc->ex[sc->n];

	lsn_strlcpy(e->rcpt, rcpt, sizeof(e->rcpt));
	e->seq = seq;
	memcpy(e->msgid, msgid, LSN_MSGID_BYTES);
	return (++sc->n < BROKER_EXPIRE_BATCH ? 0 : 1);
}

int
deliver_expire(struct broker *b, uint64_t now, size_t *nout)
{
	struct expire_scan	 sc;
	struct expired		*ex;
	size_t			 n;
	char			 idhex[2 * LSN_MSGID_BYTES + 1];
	int			 rv = LSN_OK;

	*nout = 0;
	if ((ex = calloc(BROKER_EXPIRE_BATCH, sizeof(*ex))) == NULL)
		return (LSN_ENOMEM);
	sc.ex = ex;
	sc.n = 0;
	/* a lost store ends the job; another failed scan expires the rows
	 * it read (the rest next run: bstore_msg_expired) */
	if ((rv = bstore_msg_expired(b, now, BROKER_EXPIRE_BATCH, expire_row,
	    &sc)) != LSN_OK) {
		free(ex);
		return (bstore_err(rv));
	}
	n = sc.n;
	for (size_t i = 0; i < n; i++) {
		lsn_hex_encode(ex[i].msgid, LSN_MSGID_BYTES, idhex);
		log_info("expiry: %s for %s (seq %llu) expired undelivered",
		    idhex, ex[i].rcpt, (unsigned long long) ex[i].seq);
		if ((rv = queue_drop(b, ex[i].rcpt, ex[i].seq, 1, ex[i].msgid,
		    LSN_AUDIT_EXPIRED, "recipient=%s seq=%llu", ex[i].rcpt,
		    (unsigned long long) ex[i].seq)) != LSN_OK)
			break;
	}
	free(ex);
	if (rv == LSN_OK)
		*nout = n;
	return (rv);
}

int
deliver_prune(struct broker *b, uint64_t now, size_t *n)
{
	uint64_t	before;
	int64_t		changed = 0;
	int		rv;

	*n = 0;
	if (now <= (uint64_t) b->conf.retain_ms)
		return (LSN_OK);
	before = now - (uint64_t) b->conf.retain_ms;
	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rv = bstore_msg_prune(b, before, BROKER_EXPIRE_BATCH,
	    &changed)) != LSN_OK) {
		log_warnx("prune: %s", lsn_store_errmsg(b->st));
		b->tx_failed = 1;
		return (bstore_err(rv));
	}
	*n = (size_t) changed;
	if (*n > 0)
		log_debug("prune: bytes of %zu delivered message(s) dropped",
		    *n);
	return (LSN_OK);
}
