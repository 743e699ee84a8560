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

/*
 * Pumps one session; returns 1 if the session must be dropped. Every row
 * passes the delivery role of the trust gate first (deliver_gate); the
 * rows it refuses are dropped after the scan (no write while the SELECT
 * runs), with an audit row each. Over 80 lines: the scan, the gate and
 * the send share the statement's row and the session's counters.
 */
static int
pump_one(struct broker *b, struct session *ss)
{
	static const char sql[] =
	    "SELECT q.seq, m.signed, m.created_ms, m.expires_ms, q.message_id"
	    " FROM queue q JOIN messages m ON m.message_id = q.message_id"
	    " WHERE q.recipient = ? AND q.seq > ? ORDER BY q.seq LIMIT ?";
	struct pump_drop	 dr[PUMP_DROP_MAX];
	struct lsn_q		*q;
	uint64_t		 room;
	size_t			 ndr = 0;
	int			 code, drop = 0;

	ss->pump = 0;
	/* nothing more for a suspended partner or a key no longer valid */
	if ((code = outgate_check(b, ss)) != LSN_OK) {
		outgate_refuse(b, ss, code);
		return (1);
	}
	if (ss->inflight >= (uint64_t) b->conf.inflight_max)
		return (0);
	room = (uint64_t) b->conf.inflight_max - ss->inflight;
	if (lsn_store_q(b->st, sql, &q) != LSN_OK)
		return (0);
	lsn_q_text(q, 1, ss->partner);
	lsn_q_i64(q, 2, (int64_t) ss->sent_upto);
	lsn_q_i64(q, 3, (int64_t) room);
	while (lsn_q_step(q) == LSN_ROW) {
		uint64_t	 seq = (uint64_t) lsn_q_col_i64(q, 0);
		size_t		 len, idlen;
		const uint8_t	*env = lsn_q_col_blob(q, 1, &len);
		const uint8_t	*id = lsn_q_col_blob(q, 4, &idlen);
		uint8_t		*buf;
		size_t		 blen;
		int		 rv;

		/* the gate's delivery rules (not-expired, recipient-active) */
		if (deliver_gate(b, ss, (uint64_t) lsn_q_col_i64(q, 2),
		    (uint64_t) lsn_q_col_i64(q, 3), &dr[ndr].r) != LSN_OK) {
			if (dr[ndr].r.rule == LSN_RULE_NONE || id == NULL ||
			    idlen != LSN_MSGID_BYTES) {
				ss->pump = 1;	/* no verdict: retry */
				break;
			}
			dr[ndr].seq = seq;
			memcpy(dr[ndr].msgid, id, LSN_MSGID_BYTES);
			if (++ndr == PUMP_DROP_MAX) {
				ss->pump = 1;	/* more next turn */
				break;
			}
			continue;
		}
		/* a pruned (0-byte) envelope is never queued; sqlite reads it
		 * as NULL, PostgreSQL as 0 bytes */
		if (env == NULL || len == 0 || (buf = deliver_encode(seq, env,
		    len, &blen)) == NULL)
			break;
		/* every outbound frame passes the gate (cached: O(1)) */
		if ((code = outgate_check(b, ss)) != LSN_OK) {
			free(buf);
			outgate_refuse(b, ss, code);
			drop = 1;
			break;
		}
		rv = wire_send_now(b, ss->rid, ss->ridlen, buf, blen);
		free(buf);
		if (rv == LSN_ECLOSED) {
			drop = 1;
			break;
		}
		if (rv != LSN_OK) {
			ss->pump = 1;	/* HWM: retry next turn */
			break;
		}
		ss->sent_upto = seq;
		ss->inflight++;
		bmetrics_sent(b, env, len);
		log_debug("deliver: %s seq %llu", ss->partner,
		    (unsigned long long) seq);
	}
	lsn_q_reset(q);
	for (size_t i = 0; i < ndr; i++)
		if (deliver_gate_drop(b, ss, dr[i].seq, dr[i].msgid,
		    &dr[i].r) != LSN_OK)
			break;
	if (ndr > 0)
		ss->pump = 1;	/* the dropped rows made room */
	return (drop);
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
