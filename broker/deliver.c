/*
 * deliver.c -- the pump: Deliver frames to each session marked after a
 * commit, through the delivery role of the trust gate (refused rows are
 * dropped with an audit row), and the DeliverAcks coming back. Sessions
 * and Hello/Welcome: session.c; the queue rows: queue.c; expiry and the
 * gate's drops: expire.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"

int
deliver_ack(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, const Liaison__V1__DeliverAck *a)
{
	struct session	*ss;
	uint8_t		 msgid[LSN_MSGID_BYTES];
	char		 idhex[2 * LSN_MSGID_BYTES + 1];
	int		 found = 0, rv, code;

	(void) rid;
	(void) ridlen;
	if (!a->has_seq || a->seq == 0)
		return (LSN_EINVAL);
	code = a->has_code ? lsn_err_from_wire((int) a->code) : LSN_OK;
	if (code != LSN_OK) {
		rv = queue_msgid(b, partner, a->seq, msgid);
		if (rv == 0) {
			lsn_hex_encode(msgid, sizeof(msgid), idhex);
			if (lsn_log_ratelimit(partner, 10))
				log_warnx("deliver: %s quarantined seq %llu "
				    "(%s): %s", partner,
				    (unsigned long long) a->seq, idhex,
				    lsn_errname(code));
			if ((rv = baudit(b, LSN_AUDIT_QUARANTINED, idhex, NULL,
			    "recipient=%s seq=%llu code=%s", partner,
			    (unsigned long long) a->seq,
			    lsn_errname(code))) != LSN_OK)
				return (rv);
		} else if (rv < 0)
			return (rv);
	}
	if ((rv = queue_ack(b, partner, a->seq, &found)) != LSN_OK)
		return (rv);
	if (found) {
		b->stat_delivered++;
		bmetrics_delivered(b);
	}
	else
		log_debug("deliver: %s acked unknown seq %llu", partner,
		    (unsigned long long) a->seq);
	if ((ss = session_find(b, partner)) != NULL) {
		if (found && a->seq <= ss->sent_upto && ss->inflight > 0)
			ss->inflight--;
		ss->pump = 1;
	}
	return (LSN_OK);
}

void
deliver_mark(struct broker *b, const char *partner)
{
	struct session	*ss = session_find(b, partner);

	if (ss != NULL)
		ss->pump = 1;
}

static int
cmp_id(const void *key, const void *elem)
{
	return (strcmp(key, *(char *const *) elem));
}

void
deliver_mark_set(struct broker *b, char *const *ids, size_t n)
{
	/* Few recipients: find each; many (a group): one pass over the
	 * sessions with a binary search in the sorted set. */
	if (n * 8 < b->nsess) {
		for (size_t i = 0; i < n; i++)
			deliver_mark(b, ids[i]);
		return;
	}
	for (size_t i = 0; i < b->nsess; i++)
		if (bsearch(b->sess[i].partner, ids, n, sizeof(*ids),
		    cmp_id) != NULL)
			b->sess[i].pump = 1;
}

/* Frame{deliver(5): Deliver{seq(1), envelope(2)}} by hand: the stored
 * SignedEnvelope bytes go out exactly as accepted. */
static uint8_t *
deliver_encode(uint64_t seq, const uint8_t *env, size_t envlen,
    size_t *outlen)
{
	uint8_t	 hdr[32], *buf;
	size_t	 inner, n = 0, h = 0;

	h += wire_varint(hdr + h, seq);
	inner = 1 + h + 1 + wire_varint(hdr + h, envlen) + envlen;
	if ((buf = malloc(inner + 16)) == NULL)
		return (NULL);
	buf[n++] = 0x2a;
	n += wire_varint(buf + n, inner);
	buf[n++] = 0x08;
	n += wire_varint(buf + n, seq);
	buf[n++] = 0x12;
	n += wire_varint(buf + n, envlen);
	memcpy(buf + n, env, envlen);
	*outlen = n + envlen;
	return (buf);
}

#define PUMP_DROP_MAX	32	/* refused rows dropped per pump */

struct pump_drop {
	uint64_t		seq;
	uint8_t			msgid[LSN_MSGID_BYTES];
	struct lsn_trust_result	r;
};

/* One pump: the session, its dropped rows, whether to drop it. */
struct pump {
	struct broker		*b;
	struct session		*ss;
	struct pump_drop	 dr[PUMP_DROP_MAX];
	size_t			 ndr;
	int			 drop;
};

/* One queued row of the scan: the gate, then the send. Nonzero stops
 * the scan. */
static int
pump_row(void *arg, const struct bstore_pending *p)
{
	struct pump	*pu = arg;
	struct broker	*b = pu->b;
	struct session	*ss = pu->ss;
	struct pump_drop *d = &pu->dr[pu->ndr];
	uint8_t		*buf;
	size_t		 blen;
	int		 code, rv;

	/* the gate's delivery rules (not-expired, recipient-active) */
	if (deliver_gate(b, ss, p->created_ms, p->expires_ms, &d->r) !=
	    LSN_OK) {
		if (d->r.rule == LSN_RULE_NONE || p->msgid == NULL ||
		    p->idlen != LSN_MSGID_BYTES) {
			ss->pump = 1;	/* no verdict: retry */
			return (1);
		}
		d->seq = p->seq;
		memcpy(d->msgid, p->msgid, LSN_MSGID_BYTES);
		if (++pu->ndr == PUMP_DROP_MAX) {
			ss->pump = 1;	/* more next turn */
			return (1);
		}
		return (0);
	}
	/* a pruned (0-byte) envelope is never queued; sqlite reads it
	 * as NULL, PostgreSQL as 0 bytes */
	if (p->env == NULL || p->len == 0 || (buf = deliver_encode(p->seq,
	    p->env, p->len, &blen)) == NULL)
		return (1);
	/* every outbound frame passes the gate (cached: O(1)) */
	if ((code = outgate_check(b, ss)) != LSN_OK) {
		free(buf);
		outgate_refuse(b, ss, code);
		pu->drop = 1;
		return (1);
	}
	rv = wire_send_now(b, ss->rid, ss->ridlen, buf, blen);
	free(buf);
	if (rv == LSN_ECLOSED) {
		pu->drop = 1;
		return (1);
	}
	if (rv != LSN_OK) {
		ss->pump = 1;	/* HWM: retry next turn */
		return (1);
	}
	ss->sent_upto = p->seq;
	ss->inflight++;
	bmetrics_sent(b, p->env, p->len);
	log_debug("deliver: %s seq %llu", ss->partner,
	    (unsigned long long) p->seq);
	return (0);
}

/*
 * Pumps one session; returns 1 if the session must be dropped. Every row
 * passes the delivery role of the trust gate first (deliver_gate); the
 * rows it refuses are dropped after the scan (no write while the scan
 * runs), with an audit row each.
 */
static int
pump_one(struct broker *b, struct session *ss)
{
	struct pump	 pu;
	uint64_t	 room;
	int		 code;

	ss->pump = 0;
	/* nothing more for a suspended partner or a key no longer valid */
	if ((code = outgate_check(b, ss)) != LSN_OK) {
		outgate_refuse(b, ss, code);
		return (1);
	}
	if (ss->inflight >= (uint64_t) b->conf.inflight_max)
		return (0);
	room = (uint64_t) b->conf.inflight_max - ss->inflight;
	pu.b = b;
	pu.ss = ss;
	pu.ndr = 0;
	pu.drop = 0;
	/* a failed scan ends it; the rows it read count */
	if (bstore_msg_pending(b, ss->partner, ss->sent_upto, room, pump_row,
	    &pu) != LSN_OK && pu.ndr == 0)
		return (pu.drop);
	for (size_t i = 0; i < pu.ndr; i++)
		if (deliver_gate_drop(b, ss, pu.dr[i].seq, pu.dr[i].msgid,
		    &pu.dr[i].r) != LSN_OK)
			break;
	if (pu.ndr > 0)
		ss->pump = 1;	/* the dropped rows made room */
	return (pu.drop);
}

void
deliver_pump(struct broker *b)
{
	size_t	i = 0;
	int	had_tx = b->tx;

	while (i < b->nsess) {
		if (b->sess[i].pump && pump_one(b, &b->sess[i])) {
			session_drop_at(b, i);
			continue;
		}
		i++;
	}
	/* rows the delivery gate dropped: commit them (and their audit
	 * rows) now, the turn's commit has run */
	if (!had_tx && b->tx && broker_tx_end(b) == LSN_OK)
		baudit_head_write(b, 0);
}
