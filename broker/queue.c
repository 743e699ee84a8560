/*
 * queue.c -- the per-recipient queues: the queue rows (recipient, seq,
 * message id) and the recipients rows (next_seq, acked_seq, queued)
 * behind them, with their state cached per recipient for the life of
 * the transaction (struct rcache_ent, broker.h). Sequence numbers are
 * assigned here (queue_add); rows leave by DeliverAck (queue_ack), by a
 * Hello's cursor (queue_trim) and by expiry (expire.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"

#define RCACHE_MAX	65536	/* entries; emptied beyond, between turns */

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
	struct rcache_ent	*e;
	uint32_t		 h = lsn_fnv1a(partner);
	uint64_t		 next = 0, queued = 0;
	size_t			 i;
	int			 rc;

	if ((e = rc_lookup(b, partner, h)) != NULL) {
		*out = e;
		return (LSN_OK);
	}
	if (strlen(partner) > LSN_DIR_ID_MAX)
		return (LSN_EINVAL);
	if ((rc = bstore_rcpt_get(b, partner, &next, &queued)) != LSN_OK &&
	    rc != LSN_ENOENT)
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

	if ((e = rc_lookup(b, partner, lsn_fnv1a(partner))) != NULL)
		e->queued = e->queued >= n ? e->queued - n : 0;
}

static int
rc_write_seq(struct broker *b, const struct rcache_ent *e)
{
	int	rc;

	if ((rc = bstore_rcpt_set_next(b, e->partner, e->next_seq)) !=
	    LSN_OK) {
		log_warnx("queue: next seq for %s: %s", e->partner,
		    lsn_store_errmsg(b->st));
		return (bstore_err(rc));
	}
	return (LSN_OK);
}

/*
 * Writes the next_seq of every recipient that got messages this turn
 * (one write per recipient per turn instead of one per message). Called
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
 * Queues msgid (expiring at expires_ms, 0 never) for rcpt with the
 * recipient's next sequence number (*seq).
 * The queue row's trigger counts it in recipients.queued; a new recipient
 * gets its recipients row first.
 */
int
queue_add(struct broker *b, const char *rcpt, const uint8_t *msgid,
    uint64_t expires_ms, uint64_t *seq)
{
	struct rcache_ent	*e;
	uint64_t		 n;
	int			 rv;

	if ((rv = rc_get(b, rcpt, &e)) != LSN_OK) {
		log_warnx("queue: next seq for %s: %s", rcpt,
		    lsn_strerror(rv));
		return (bstore_err(rv));
	}
	if (e->next_seq == 0) {
		if ((rv = bstore_rcpt_add(b, rcpt)) != LSN_OK) {
			log_warnx("queue: new recipient %s: %s", rcpt,
			    lsn_store_errmsg(b->st));
			return (bstore_err(rv));
		}
		n = 1;
		e->next_seq = 2;
	} else {
		n = e->next_seq++;
		if ((rv = rc_mark_dirty(b, e)) != LSN_OK) {
			e->next_seq--;
			return (bstore_err(rv));
		}
	}
	/* PostgreSQL: pipelined (query.h) */
	if ((rv = bstore_queue_add(b, rcpt, n, msgid, expires_ms)) !=
	    LSN_OK) {
		log_warnx("queue: insert for %s: %s", rcpt,
		    lsn_store_errmsg(b->st));
		return (bstore_err(rv));
	}
	e->queued++;
	*seq = n;
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
	struct rcache_ent	*e;
	uint64_t		 first = 0;
	int			 rv, none = 1;

	if ((rv = rc_get(b, rcpt, &e)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : bstore_err(rv));
	if (e->next_seq == 0) {
		*acked = 0;
		return (LSN_OK);
	}
	if ((rv = bstore_queue_first(b, rcpt, &none, &first)) != LSN_OK)
		return (bstore_err(rv));
	*acked = none ? e->next_seq - 1 : first - 1;
	return (LSN_OK);
}

/* The message id queued at (rcpt, seq); 0 found, 1 not found. */
int
queue_msgid(struct broker *b, const char *rcpt, uint64_t seq,
    uint8_t msgid[LSN_MSGID_BYTES])
{
	int	rc;

	if ((rc = bstore_queue_msgid(b, rcpt, seq, msgid)) == LSN_OK)
		return (0);
	return (rc == LSN_ENOENT ? 1 : bstore_err(rc));
}

int
queue_ack(struct broker *b, const char *rcpt, uint64_t seq, int *found)
{
	int64_t	n = 0;
	int	rv;

	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rv = bstore_queue_del(b, rcpt, seq, &n)) != LSN_OK)
		goto fail;
	*found = n > 0;
	if (*found)
		rcache_dequeued(b, rcpt, 1);
	return (LSN_OK);
 fail:
	log_warnx("queue: ack %s/%llu: %s", rcpt, (unsigned long long) seq,
	    lsn_store_errmsg(b->st));
	b->tx_failed = 1;
	return (bstore_err(rv));
}

/*
 * A Hello's cursor: clamps *cursor to the seqs assigned to partner and
 * deletes the queue rows up to it (acknowledged by the agent), raising
 * recipients.acked_seq, in the turn's transaction.
 */
int
queue_trim(struct broker *b, const char *partner, uint64_t *cursor)
{
	struct rcache_ent	*e;
	uint64_t		 next = 1;
	int64_t			 n = 0;
	int			 rv;

	if ((rv = rc_get(b, partner, &e)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : bstore_err(rv));
	if (e->next_seq > 0)
		next = e->next_seq;
	if (*cursor > next - 1)
		*cursor = next - 1;	/* never beyond what was assigned */
	if (*cursor == 0)
		return (LSN_OK);
	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rv = bstore_queue_trim(b, partner, *cursor, &n)) != LSN_OK)
		goto fail;
	rcache_dequeued(b, partner, (uint64_t) n);
	if ((rv = bstore_rcpt_set_acked(b, partner, *cursor)) != LSN_OK)
		goto fail;
	return (LSN_OK);
 fail:
	log_warnx("session: hello %s: %s", partner, lsn_store_errmsg(b->st));
	b->tx_failed = 1;
	return (bstore_err(rv));
}
