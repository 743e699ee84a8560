/*
 * limits.c -- bounded resources at the broker: per-sender token buckets
 * (messages and bytes per second), the per-recipient quota with room
 * reserved for urgent (P1) messages (urgent_reserve, at most a tenth of
 * queue_quota), and the aggregated audit of
 * refusals.
 *
 * One table keyed by peer (a partner id, or "key:<key id>" / "addr:<ip>"
 * for refused handshakes), open addressing, at most LIM_PEERS_MAX
 * entries: beyond that, new peers share one "(other)" entry, so a flood
 * of fresh CURVE keys cannot grow the broker's memory. At the end of
 * every refusal_audit_ms interval each peer with refusals gets ONE audit
 * row with the counts (never a row per refusal), and the table is
 * rebuilt with only the peers seen in that interval (an idle peer's
 * buckets are full again anyway).
 *
 * Token bucket: tokens grow at rate per second up to burst; a frame
 * takes len bytes (and a publish one message); without enough tokens it
 * is refused (LSN_ERATE) and takes nothing. Checks are O(1).
 * limits_refuse answers such a frame (E_RATE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

#define LIM_PEERS_MAX	4096
#define LIM_PEER_LEN	(LSN_DIR_ID_MAX + 8)
#define LIM_OTHER	"(other)"

struct lim_ent {
	char		peer[LIM_PEER_LEN + 1];
	uint32_t	hash;
	int		used;
	double		msgs;		/* tokens */
	double		bytes;
	uint64_t	last_ms;	/* monotonic, last refill */
	uint64_t	seen_ms;	/* monotonic, last use */
	uint64_t	n[LIM_NKINDS];	/* refusals this interval */
	int		last_code;
};

struct limits {
	struct lim_ent	*tab;
	size_t		 cap, n;
	uint64_t	 next_ms;	/* monotonic: end of the interval */
	uint64_t	 total[LIM_NKINDS];
};

static const char *const kind_names[LIM_NKINDS] = {
	"handshakes", "frames", "rate", "quota"
};

int
limits_open(struct broker *b)
{
	struct limits	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (LSN_ENOMEM);
	l->cap = 256;
	if ((l->tab = calloc(l->cap, sizeof(*l->tab))) == NULL) {
		free(l);
		return (LSN_ENOMEM);
	}
	l->next_ms = lsn_mono_ms() + (uint64_t) b->conf.refusal_audit_ms;
	b->lim = l;
	return (LSN_OK);
}

void
limits_close(struct broker *b)
{
	if (b->lim == NULL)
		return;
	free(b->lim->tab);
	free(b->lim);
	b->lim = NULL;
}

static void
ent_init(struct broker *b, struct lim_ent *e, const char *peer, uint32_t h,
    uint64_t now)
{
	memset(e, 0, sizeof(*e));
	lsn_strlcpy(e->peer, peer, sizeof(e->peer));
	e->hash = h;
	e->used = 1;
	e->msgs = (double) b->conf.sender_burst_msgs;
	e->bytes = (double) b->conf.sender_burst_bytes;
	e->last_ms = e->seen_ms = now;
}

/* Inserts into a table with room (no duplicate check). */
static struct lim_ent *
tab_put(struct lim_ent *tab, size_t cap, uint32_t h)
{
	size_t	i;

	for (i = h & (cap - 1); tab[i].used; i = (i + 1) & (cap - 1))
		;
	return (&tab[i]);
}

/* Doubles the table (cap stays a power of two, at most half full). */
static int
grow(struct limits *l)
{
	struct lim_ent	*n;
	size_t		 cap = l->cap * 2;

	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return (LSN_ENOMEM);
	for (size_t k = 0; k < l->cap; k++)
		if (l->tab[k].used)
			*tab_put(n, cap, l->tab[k].hash) = l->tab[k];
	free(l->tab);
	l->tab = n;
	l->cap = cap;
	return (LSN_OK);
}

/* The entry of peer, created when missing; NULL only without memory. */
static struct lim_ent *
lookup(struct broker *b, const char *peer, uint64_t now)
{
	struct limits	*l = b->lim;
	struct lim_ent	*e;
	uint32_t	 h;
	size_t		 i;

	if (l == NULL)
		return (NULL);
	if (strlen(peer) > LIM_PEER_LEN)
		peer = LIM_OTHER;
	h = lsn_fnv1a(peer);
	for (i = h & (l->cap - 1); l->tab[i].used; i = (i + 1) & (l->cap - 1))
		if (l->tab[i].hash == h && strcmp(l->tab[i].peer, peer) == 0)
			return (&l->tab[i]);
	if (l->n >= LIM_PEERS_MAX && strcmp(peer, LIM_OTHER) != 0)
		return (lookup(b, LIM_OTHER, now));
	if ((l->n + 1) * 2 > l->cap && grow(l) != LSN_OK)
		return (NULL);
	e = tab_put(l->tab, l->cap, h);
	ent_init(b, e, peer, h, now);
	l->n++;
	return (e);
}

static void
refill(struct broker *b, struct lim_ent *e, uint64_t now)
{
	double	dt;

	if (now <= e->last_ms)
		return;
	dt = (double) (now - e->last_ms) / 1000.0;
	e->last_ms = now;
	e->msgs += dt * (double) b->conf.sender_msgs_per_s;
	if (e->msgs > (double) b->conf.sender_burst_msgs)
		e->msgs = (double) b->conf.sender_burst_msgs;
	e->bytes += dt * (double) b->conf.sender_bytes_per_s;
	if (e->bytes > (double) b->conf.sender_burst_bytes)
		e->bytes = (double) b->conf.sender_burst_bytes;
}

int
limits_frame(struct broker *b, const char *partner, size_t len,
    int publish)
{
	struct lim_ent	*e;
	uint64_t	 now;
	int		 msg_lim = b->conf.sender_msgs_per_s > 0 && publish;
	int		 byte_lim = b->conf.sender_bytes_per_s > 0;

	if (!msg_lim && !byte_lim)
		return (LSN_OK);
	now = lsn_mono_ms();
	if ((e = lookup(b, partner, now)) == NULL)
		return (LSN_OK);	/* no memory: do not refuse members */
	e->seen_ms = now;
	refill(b, e, now);
	if ((msg_lim && e->msgs < 1.0) ||
	    (byte_lim && e->bytes < (double) len)) {
		e->n[LIM_RATE]++;
		e->last_code = LSN_ERATE;
		b->lim->total[LIM_RATE]++;
		if (lsn_log_ratelimit(partner, 10))
			log_info("rate: frame of %zu bytes from %s refused "
			    "(over its limit)", len, partner);
		return (LSN_ERATE);
	}
	if (msg_lim)
		e->msgs -= 1.0;
	if (byte_lim)
		e->bytes -= (double) len;
	return (LSN_OK);
}

void
limits_count(struct broker *b, const char *peer, enum lim_kind kind,
    int code)
{
	struct lim_ent	*e;
	uint64_t	 now = lsn_mono_ms();

	if (kind >= LIM_NKINDS || (e = lookup(b, peer, now)) == NULL)
		return;
	e->seen_ms = now;
	e->n[kind]++;
	e->last_code = code;
	b->lim->total[kind]++;
}

/* One audit row for e; 0 refusals: nothing. */
static int
audit_ent(struct broker *b, struct lim_ent *e, uint64_t secs)
{
	char		 detail[256];
	size_t		 off = 0;
	uint64_t	 sum = 0;

	for (int k = 0; k < LIM_NKINDS; k++) {
		sum += e->n[k];
		if (e->n[k] > 0 && off < sizeof(detail))
			off += (size_t) snprintf(detail + off,
			    sizeof(detail) - off, "%s%s=%llu",
			    off > 0 ? " " : "", kind_names[k],
			    (unsigned long long) e->n[k]);
	}
	if (sum == 0)
		return (LSN_OK);
	memset(e->n, 0, sizeof(e->n));
	return (baudit(b, BROKER_AUDIT_REFUSALS, e->peer, NULL,
	    "refused in the last %llu s: %s last=%s",
	    (unsigned long long) secs, detail, lsn_errname(e->last_code)));
}

void
limits_tick(struct broker *b, int force)
{
	struct limits	*l = b->lim;
	struct lim_ent	*n;
	uint64_t	 now = lsn_mono_ms(), ivl, since;
	size_t		 keep = 0;

	if (l == NULL || (now < l->next_ms && !force))
		return;
	ivl = (uint64_t) b->conf.refusal_audit_ms;
	since = now > ivl ? now - ivl : 0;
	for (size_t k = 0; k < l->cap; k++) {
		if (!l->tab[k].used)
			continue;
		if (audit_ent(b, &l->tab[k], (ivl + 999) / 1000) != LSN_OK)
			return;	/* the turn rolls back: try next turn */
		if (l->tab[k].seen_ms >= since)
			keep++;
	}
	l->next_ms = now + ivl;
	if (keep == l->n)
		return;
	/* forget the peers idle for a whole interval */
	if ((n = calloc(l->cap, sizeof(*n))) == NULL)
		return;
	for (size_t k = 0; k < l->cap; k++)
		if (l->tab[k].used && l->tab[k].seen_ms >= since)
			*tab_put(n, l->cap, l->tab[k].hash) = l->tab[k];
	free(l->tab);
	l->tab = n;
	l->n = keep;
}

int
limits_quota(struct broker *b, const char *sender, const char *rcpt,
    int priority, char *detail, size_t detailsz)
{
	uint64_t	n, cap = (uint64_t) b->conf.queue_quota;
	uint64_t	reserve = (uint64_t) b->conf.urgent_reserve;
	int		urgent = priority == LIAISON__V1__PRIORITY__PRIORITY_P1;
	int		rv;

	if ((rv = queue_count(b, rcpt, &n)) != LSN_OK) {
		snprintf(detail, detailsz, "database error");
		return (bstore_wire(rv));
	}
	/* the last urgent_reserve places take P1 messages only */
	if (reserve > cap / 10)
		reserve = cap / 10;	/* documented bound */
	if (!urgent)
		cap -= reserve;
	if (n < cap)
		return (LSN_OK);
	snprintf(detail, detailsz, "queue of %s is full (%llu messages%s)",
	    rcpt, (unsigned long long) n, urgent ? "" :
	    "; the rest is reserved for P1");
	limits_count(b, sender, LIM_QUOTA, LSN_EQUOTA);
	if (lsn_log_ratelimit(sender, 10))
		log_info("quota: publish from %s to %s refused: %s", sender,
		    rcpt, detail);
	return (LSN_EQUOTA);
}

/* ---- answers to frames over a rate limit ---- */

/* publish_refuse with the message id of env when it can be read (the
 * signature is not checked: the id only names the refused message). */
static void
refuse_publish_id(struct broker *b, const uint8_t *rid, size_t ridlen,
    const uint8_t *env, size_t envlen, int code, const char *detail)
{
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Envelope		*e = NULL;

	se = liaison__v1__signed_envelope__unpack(NULL, envlen, env);
	if (se != NULL && se->has_envelope)
		e = liaison__v1__envelope__unpack(NULL, se->envelope.len,
		    se->envelope.data);
	publish_refuse(b, rid, ridlen, e != NULL && e->has_message_id &&
	    e->message_id.len == LSN_MSGID_BYTES ? e->message_id.data : NULL,
	    code, detail);
	if (e != NULL)
		liaison__v1__envelope__free_unpacked(e, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
}

/*
 * A frame over its sender's rate limit: a publish gets PublishAck{E_RATE}
 * (with its message id when the envelope says it, so the sender's outbox
 * retries that message later), anything else Error{E_RATE}.
 */
void
limits_refuse(struct broker *b, const uint8_t *rid, size_t ridlen,
    const uint8_t *buf, size_t len)
{
	static const char	 detail[] = "sender over its rate limit; retry "
				    "later";
	const uint8_t		*env;
	size_t			 envlen;

	if (ridlen > BROKER_RID_MAX)
		return;
	if (wire_publish_envelope(buf, len, &env, &envlen))
		refuse_publish_id(b, rid, ridlen, env, envlen, LSN_ERATE,
		    detail);
	else
		(void) wire_queue_error(b, rid, ridlen, LSN_ERATE, detail);
}
