/* deliver.c -- sessions, per-recipient queues with sequence numbers,
 * Hello/Welcome, Deliver/DeliverAck (expiry and the delivery gate's
 * drops: expire.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

struct session *
session_find(struct broker *b, const char *partner)
{
	for (size_t i = 0; i < b->nsess; i++)
		if (strcmp(b->sess[i].partner, partner) == 0)
			return (&b->sess[i]);
	return (NULL);
}

static void
session_drop_idx(struct broker *b, size_t i)
{
	log_debug("session: %s closed", b->sess[i].partner);
	if (i + 1 < b->nsess)
		b->sess[i] = b->sess[b->nsess - 1];
	b->nsess--;
}

void
session_drop(struct broker *b, const char *partner)
{
	for (size_t i = 0; i < b->nsess; i++)
		if (strcmp(b->sess[i].partner, partner) == 0) {
			session_drop_idx(b, i);
			return;
		}
}

/* ---- cached queue state per recipient (struct rcache_ent) ---- */

#define RCACHE_MAX	65536	/* entries; emptied beyond, between turns */

static uint32_t
rc_hash(const char *p)
{
	uint32_t	h = 2166136261u;

	for (; *p != '\0'; p++)
		h = (h ^ (uint8_t) *p) * 16777619u;
	return (h);
}

void
rcache_clear(struct broker *b)
{
	free(b->rc);
	b->rc = NULL;
	b->rc_cap = b->rc_n = 0;
	free(b->rc_dirty);
	b->rc_dirty = NULL;
	b->rc_ndirty = b->rc_capdirty = 0;
}

static struct rcache_ent *
rc_lookup(struct broker *b, const char *partner, uint32_t h)
{
	size_t	i;

	if (b->rc_cap == 0)
		return (NULL);
	for (i = h & (b->rc_cap - 1); b->rc[i].used;
	    i = (i + 1) & (b->rc_cap - 1))
		if (b->rc[i].hash == h &&
		    strcmp(b->rc[i].partner, partner) == 0)
			return (&b->rc[i]);
	return (NULL);
}

/* Doubles the table; the dirty list is rebuilt (indexes move). */
static int
rc_grow(struct broker *b)
{
	struct rcache_ent	*old = b->rc, *n;
	size_t			 ocap = b->rc_cap, cap, i, k;

	cap = ocap ? ocap * 2 : 256;
	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return (LSN_ENOMEM);
	b->rc_ndirty = 0;
	for (k = 0; k < ocap; k++) {
		if (!old[k].used)
			continue;
		for (i = old[k].hash & (cap - 1); n[i].used;
		    i = (i + 1) & (cap - 1))
			;
		n[i] = old[k];
		if (n[i].dirty)
			b->rc_dirty[b->rc_ndirty++] = i;
	}
	free(old);
	b->rc = n;
	b->rc_cap = cap;
	return (LSN_OK);
}

/* The cached entry of partner, loaded from the database if needed. */
static int
rc_get(struct broker *b, const char *partner, struct rcache_ent **out)
{
	static const char sql[] =
	    "SELECT next_seq, queued FROM recipients WHERE partner = ?";
	struct rcache_ent	*e;
	struct lsn_q		*q;
	uint32_t		 h = rc_hash(partner);
	uint64_t		 next = 0, queued = 0;
	size_t			 i;
	int			 rc;

	if ((e = rc_lookup(b, partner, h)) != NULL) {
		*out = e;
		return (LSN_OK);
	}
	if (strlen(partner) > LSN_DIR_ID_MAX)
		return (LSN_EINVAL);
	if ((rc = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (bstore_err(rc));
	lsn_q_text(q, 1, partner);
	rc = lsn_q_step(q);
	if (rc == LSN_ROW) {
		next = (uint64_t) lsn_q_col_i64(q, 0);
		queued = (uint64_t) lsn_q_col_i64(q, 1);
	}
	lsn_q_reset(q);
	if (rc != LSN_ROW && rc != LSN_OK)
		return (bstore_err(rc));
	if ((b->rc_n + 1) * 2 > b->rc_cap && rc_grow(b) != LSN_OK)
		return (LSN_ENOMEM);
	for (i = h & (b->rc_cap - 1); b->rc[i].used;
	    i = (i + 1) & (b->rc_cap - 1))
		;
	e = &b->rc[i];
	memset(e, 0, sizeof(*e));
	lsn_strlcpy(e->partner, partner, sizeof(e->partner));
	e->hash = h;
	e->used = 1;
	e->next_seq = next;
	e->queued = queued;
	b->rc_n++;
	*out = e;
	return (LSN_OK);
}

/* queued -= n for a cached partner (rows deleted from its queue). */
void
rcache_dequeued(struct broker *b, const char *partner, uint64_t n)
{
	struct rcache_ent	*e;

	if ((e = rc_lookup(b, partner, rc_hash(partner))) != NULL)
		e->queued = e->queued >= n ? e->queued - n : 0;
}

static int
rc_write_seq(struct broker *b, const struct rcache_ent *e)
{
	static const char sql[] =
	    "UPDATE recipients SET next_seq = ? WHERE partner = ?";
	struct lsn_q	*q;
	int		 rc;

	if ((rc = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (bstore_err(rc));
	lsn_q_i64(q, 1, (int64_t) e->next_seq);
	lsn_q_text(q, 2, e->partner);
	rc = lsn_q_step(q);
	lsn_q_reset(q);
	if (rc != LSN_OK) {
		log_warnx("queue: next seq for %s: %s", e->partner,
		    lsn_store_errmsg(b->st));
		return (bstore_err(rc));
	}
	return (LSN_OK);
}

/*
 * Writes the next_seq of every recipient that got messages this turn
 * (one UPDATE per recipient per turn instead of one per message). Called
 * inside the turn's transaction, before its COMMIT.
 */
int
rcache_flush(struct broker *b)
{
	int	rv = LSN_OK;

	for (size_t k = 0; k < b->rc_ndirty; k++) {
		struct rcache_ent *e = &b->rc[b->rc_dirty[k]];

		if (rv == LSN_OK)
			rv = rc_write_seq(b, e);
		e->dirty = 0;
	}
	b->rc_ndirty = 0;
	if (rv == LSN_OK && b->rc_n > RCACHE_MAX)
		rcache_clear(b);
	return (rv);
}

static int
rc_mark_dirty(struct broker *b, struct rcache_ent *e)
{
	size_t	*d, cap;

	if (e->dirty)
		return (LSN_OK);
	if (!b->tx)
		return (rc_write_seq(b, e));	/* no turn to defer to */
	if (b->rc_ndirty == b->rc_capdirty) {
		cap = b->rc_capdirty ? b->rc_capdirty * 2 : 64;
		if (cap < b->rc_cap)
			cap = b->rc_cap;
		if ((d = reallocarray(b->rc_dirty, cap, sizeof(*d))) == NULL)
			return (LSN_ENOMEM);
		b->rc_dirty = d;
		b->rc_capdirty = cap;
	}
	b->rc_dirty[b->rc_ndirty++] = (size_t) (e - b->rc);
	e->dirty = 1;
	return (LSN_OK);
}

/*
 * Queues msgid for rcpt with the recipient's next sequence number (*seq).
 * The queue row's trigger counts it in recipients.queued; a new recipient
 * gets its recipients row first.
 */
int
queue_add(struct broker *b, const char *rcpt, const uint8_t *msgid,
    uint64_t *seq)
{
	static const char sql_new[] =
	    "INSERT INTO recipients(partner, next_seq, acked_seq)"
	    " VALUES(?, 2, 0)";
	static const char sql_ins[] =
	    "INSERT INTO queue(recipient, seq, message_id) VALUES(?, ?, ?)";
	struct rcache_ent	*e;
	struct lsn_q		*q;
	int64_t			 n;
	int			 rv;

	if ((rv = rc_get(b, rcpt, &e)) != LSN_OK) {
		log_warnx("queue: next seq for %s: %s", rcpt,
		    lsn_strerror(rv));
		return (bstore_err(rv));
	}
	if (e->next_seq == 0) {
		if ((rv = lsn_store_q(b->st, sql_new, &q)) != LSN_OK)
			return (bstore_err(rv));
		lsn_q_text(q, 1, rcpt);
		rv = lsn_q_step(q);
		lsn_q_reset(q);
		if (rv != LSN_OK) {
			log_warnx("queue: new recipient %s: %s", rcpt,
			    lsn_store_errmsg(b->st));
			return (bstore_err(rv));
		}
		n = 1;
		e->next_seq = 2;
	} else {
		n = (int64_t) e->next_seq++;
		if ((rv = rc_mark_dirty(b, e)) != LSN_OK) {
			e->next_seq--;
			return (bstore_err(rv));
		}
	}
	if ((rv = lsn_store_q(b->st, sql_ins, &q)) != LSN_OK)
		return (bstore_err(rv));
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, n);
	lsn_q_blob(q, 3, msgid, LSN_MSGID_BYTES);
	rv = lsn_q_step(q);
	lsn_q_reset(q);
	if (rv != LSN_OK) {
		log_warnx("queue: insert for %s: %s", rcpt,
		    lsn_store_errmsg(b->st));
		return (bstore_err(rv));
	}
	e->queued++;
	*seq = (uint64_t) n;
	return (LSN_OK);
}

int
queue_count(struct broker *b, const char *rcpt, uint64_t *n)
{
	struct rcache_ent	*e;
	int			 rv;

	if ((rv = rc_get(b, rcpt, &e)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : bstore_err(rv));
	*n = e->queued;
	return (LSN_OK);
}

int
queue_acked_seq(struct broker *b, const char *rcpt, uint64_t *acked)
{
	static const char sql[] =
	    "SELECT MIN(seq) FROM queue WHERE recipient = ?";
	struct rcache_ent	*e;
	struct lsn_q		*q;
	int			 rv;

	if ((rv = rc_get(b, rcpt, &e)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : bstore_err(rv));
	if (e->next_seq == 0) {
		*acked = 0;
		return (LSN_OK);
	}
	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (bstore_err(rv));
	lsn_q_text(q, 1, rcpt);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW) {
		if (!lsn_q_col_null(q, 0))
			*acked = (uint64_t) lsn_q_col_i64(q, 0) - 1;
		else
			*acked = e->next_seq - 1;
	}
	lsn_q_reset(q);
	return (rv == LSN_ROW ? LSN_OK : bstore_err(rv));
}

/* The message id queued at (rcpt, seq); 0 found, 1 not found. */
static int
queue_msgid(struct broker *b, const char *rcpt, uint64_t seq,
    uint8_t msgid[LSN_MSGID_BYTES])
{
	static const char sql[] =
	    "SELECT message_id FROM queue WHERE recipient = ? AND seq = ?";
	struct lsn_q	*q;
	const void	*id;
	size_t		 idlen = 0;
	int		 rc, rv = 1;

	if ((rc = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (bstore_err(rc));
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) seq);
	rc = lsn_q_step(q);
	if (rc == LSN_ROW && (id = lsn_q_col_blob(q, 0, &idlen)) != NULL &&
	    idlen == LSN_MSGID_BYTES) {
		memcpy(msgid, id, LSN_MSGID_BYTES);
		rv = 0;
	} else if (rc != LSN_ROW && rc != LSN_OK)
		rv = bstore_err(rc);
	lsn_q_reset(q);
	return (rv);
}

int
queue_ack(struct broker *b, const char *rcpt, uint64_t seq, int *found)
{
	static const char sql[] =
	    "DELETE FROM queue WHERE recipient = ? AND seq = ?";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		goto fail;
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) seq);
	rv = lsn_q_step(q);
	lsn_q_reset(q);
	if (rv != LSN_OK)
		goto fail;
	*found = lsn_store_changes(b->st) > 0;
	if (*found)
		rcache_dequeued(b, rcpt, 1);
	return (LSN_OK);
 fail:
	log_warnx("queue: ack %s/%llu: %s", rcpt, (unsigned long long) seq,
	    lsn_store_errmsg(b->st));
	b->tx_failed = 1;
	return (bstore_err(rv));
}

int
session_hello(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, uint64_t cursor, uint64_t *acked)
{
	static const char sql_del[] =
	    "DELETE FROM queue WHERE recipient = ? AND seq <= ?";
	/* acked_seq only grows (sqlite's scalar max(a, b) is not portable) */
	static const char sql_upd[] =
	    "UPDATE recipients SET acked_seq = ?"
	    " WHERE partner = ? AND acked_seq < ?";
	struct session		*ss;
	struct rcache_ent	*e;
	struct lsn_q		*q;
	uint64_t		 next = 1;
	int			 rv;

	if (ridlen > BROKER_RID_MAX)
		return (LSN_EINVAL);
	if ((rv = rc_get(b, partner, &e)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : bstore_err(rv));
	if (e->next_seq > 0)
		next = e->next_seq;
	if (cursor > next - 1)
		cursor = next - 1;	/* never beyond what was assigned */
	if (cursor > 0) {
		if ((rv = broker_tx(b)) != LSN_OK)
			return (rv);
		if ((rv = lsn_store_q(b->st, sql_del, &q)) != LSN_OK)
			goto fail;
		lsn_q_text(q, 1, partner);
		lsn_q_i64(q, 2, (int64_t) cursor);
		rv = lsn_q_step(q);
		lsn_q_reset(q);
		if (rv != LSN_OK)
			goto fail;
		rcache_dequeued(b, partner,
		    (uint64_t) lsn_store_changes(b->st));
		if ((rv = lsn_store_q(b->st, sql_upd, &q)) != LSN_OK)
			goto fail;
		lsn_q_i64(q, 1, (int64_t) cursor);
		lsn_q_text(q, 2, partner);
		lsn_q_i64(q, 3, (int64_t) cursor);
		rv = lsn_q_step(q);
		lsn_q_reset(q);
		if (rv != LSN_OK)
			goto fail;
	}
	if ((ss = session_find(b, partner)) == NULL) {
		if (b->nsess == b->capsess) {
			size_t		 ncap = b->capsess == 0 ? 16 :
					    b->capsess * 2;
			struct session	*n = realloc(b->sess,
					    ncap * sizeof(*n));

			if (n == NULL)
				return (LSN_ENOMEM);
			b->sess = n;
			b->capsess = ncap;
		}
		ss = &b->sess[b->nsess++];
		memset(ss, 0, sizeof(*ss));
		lsn_strlcpy(ss->partner, partner, sizeof(ss->partner));
	}
	memcpy(ss->rid, rid, ridlen);
	ss->ridlen = ridlen;
	ss->has_tkey = 0;	/* deliver_hello sets the connection's key */
	ss->gate_rev = 0;	/* ask the directory again */
	ss->sent_upto = cursor;
	ss->inflight = 0;
	ss->pump = 1;
	return (queue_acked_seq(b, partner, acked));
 fail:
	log_warnx("session: hello %s: %s", partner, lsn_store_errmsg(b->st));
	b->tx_failed = 1;
	return (bstore_err(rv));
}

int
deliver_hello(struct broker *b, const char *partner, const uint8_t *tkey,
    const uint8_t *rid, size_t ridlen, const Liaison__V1__Hello *h)
{
	struct session		*ss;
	Liaison__V1__Frame	f;
	Liaison__V1__Welcome	w;
	Liaison__V1__DirHead	dh;
	uint8_t			hash[LSN_DIR_HASH_BYTES];
	uint64_t		rev = 0, acked = 0;
	int			rv;

	if (!h->has_protocol_version || h->protocol_version != 1)
		return (wire_queue_error(b, rid, ridlen, LSN_EVERSION,
		    "protocol version 1 required"));
	rv = session_hello(b, partner, rid, ridlen, h->has_delivery_cursor ?
	    h->delivery_cursor : 0, &acked);
	if (rv != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, bstore_wire(rv),
		    "cannot open session"));
	if (tkey != NULL && (ss = session_find(b, partner)) != NULL) {
		memcpy(ss->tkey, tkey, LSN_PK_BYTES);
		ss->has_tkey = 1;
	}
	if ((rv = lsn_dir_head(b->dir, &rev, hash)) != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, rv,
		    "directory error"));
	liaison__v1__dir_head__init(&dh);
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	liaison__v1__welcome__init(&w);
	w.has_protocol_version = 1;
	w.protocol_version = 1;
	w.partner = (char *) (uintptr_t) partner;
	w.dir_head = &dh;
	w.has_delivery_cursor = 1;
	w.delivery_cursor = acked;
	w.has_server_time_ms = 1;
	w.server_time_ms = broker_now(b);
	w.has_max_msg_bytes = 1;
	w.max_msg_bytes = (uint32_t) b->conf.max_msg_bytes;
	w.has_skew_ms = 1;
	w.skew_ms = (uint32_t) b->conf.skew_ms;
	w.has_broker_epoch = 1;
	w.broker_epoch.data = b->epoch;
	w.broker_epoch.len = sizeof(b->epoch);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_WELCOME;
	f.welcome = &w;
	if (lsn_log_ratelimit(partner, 10))
		log_info("session: %s hello (cursor %llu, acked %llu)",
		    partner, (unsigned long long) (h->has_delivery_cursor ?
		    h->delivery_cursor : 0), (unsigned long long) acked);
	return (wire_queue_frame(b, rid, ridlen, &f));
}

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
			session_drop_idx(b, i);
			continue;
		}
		i++;
	}
	/* rows the delivery gate dropped: commit them (and their audit
	 * rows) now, the turn's commit has run */
	if (!had_tx && b->tx && broker_tx_end(b) == LSN_OK)
		baudit_head_write(b, 0);
}
