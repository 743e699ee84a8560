/*
 * bstore.h -- the broker's storage: every statement the broker runs on
 * its database, as named functions over query.h (lsn_store_q, lsn_q_*).
 * Callers in broker/ see neither SQL text nor query.h; a new query is a
 * new function here, in the bstore_*.c file of its table or concern:
 *   bstore.c		the schema (broker_migrations, broker.h), what the
 *			broker does with a failed store call, and the
 *			helpers of bstore_int.h (for bstore_*.c only)
 *   bstore_lease.c	PostgreSQL's leadership lease, lock and server
 *			health (leader.c)
 *   bstore_msg.c	messages (with the queue rows read with them):
 *			ingress.c, deliver.c, expire.c
 *   bstore_queue.c	recipients and queue: queue.c (its rcache of the
 *			sequence numbers), expire.c's removals
 *   bstore_stats.c	counts for the status socket and the metrics
 *			(control.c, bmetrics.c)
 *
 * Callers: the broker's modules, on the loop's thread only (b->st is not
 * thread-safe).
 *
 * Ownership: the statements belong to b->st, cached by the address of
 * their SQL text (query.h): each text is one static const here, so a
 * call costs what the inline statement cost. Functions that walk rows
 * call a callback with a row borrowed for the callback's time only
 * (copy what you keep); the callback may call other bstore functions,
 * never the one walking; a callback's nonzero answer stops the walk
 * (> 0: LSN_OK, < 0: that code). Every statement is reset before the
 * function returns. Transactions stay with the callers (broker.c owns
 * the turn's); the order of the statements in a turn is the callers'.
 * Errors: what query.h answers (LSN_EDB, LSN_ECLOSED, ...), unmapped:
 * the callers map them (bstore_err) and log lsn_store_errmsg as before.
 */
#ifndef LIAISON_BROKER_BSTORE_H
#define LIAISON_BROKER_BSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

struct broker;

/* bstore_stats.c */

/* Messages queued over all recipients (status socket). */
int	bstore_stat_queued(struct broker *b, int64_t *n) LSN_MUST_CHECK;
/* The same, summed over the recipients with queued > 0 (metrics). */
int	bstore_stat_queued_waiting(struct broker *b, int64_t *n)
	    LSN_MUST_CHECK;
/* The newest audit row's id (0: none). */
int	bstore_stat_audit_max(struct broker *b, int64_t *n) LSN_MUST_CHECK;

/* The at most limit fullest queues (queued > 0), fullest first. */
typedef int bstore_queue_fn(void *arg, const char *partner, int64_t queued);
int	bstore_queues_top(struct broker *b, int64_t limit,
	    bstore_queue_fn *fn, void *arg) LSN_MUST_CHECK;
/* accepted_ms of partner's oldest queued message; LSN_ENOENT: none. */
int	bstore_queue_oldest(struct broker *b, const char *partner,
	    int64_t *accepted_ms) LSN_MUST_CHECK;

/* The latest audit rows of a problem kind, newest first. */
typedef int bstore_problem_fn(void *arg, int64_t time_ms, const char *kind,
	    const char *subject, const char *detail);
int	bstore_problems(struct broker *b, int64_t limit,
	    bstore_problem_fn *fn, void *arg) LSN_MUST_CHECK;

/* bstore_msg.c */

/*
 * Message msgid's stored env_hash (borrowed, hlen bytes; NULL possible)
 * and recipients (ids joined by ','; NULL possible): fn is called once
 * with them. LSN_ENOENT: no such message.
 */
typedef void bstore_msg_fn(void *arg, const void *hash, size_t hlen,
	    const char *rcpts);
int	bstore_msg_get(struct broker *b, const uint8_t *msgid,
	    bstore_msg_fn *fn, void *arg) LSN_MUST_CHECK;

/* A new messages row (all borrowed). */
struct bstore_msg {
	const uint8_t	*msgid;		/* LSN_MSGID_BYTES */
	const uint8_t	*hash;		/* LSN_HASH_BYTES */
	const uint8_t	*signed_env;
	size_t		 len;
	const char	*sender;
	const char	*rcpts;		/* joined by ',' */
	uint64_t	 created_ms, expires_ms, accepted_ms;
};
/* Inserts m, pipelined on PostgreSQL (lsn_q_exec: errors may show at
 * the commit). */
int	bstore_msg_add(struct broker *b, const struct bstore_msg *m)
	    LSN_MUST_CHECK;

/* A queued message of a recipient, as the delivery scan reads it. */
struct bstore_pending {
	uint64_t	 seq;
	const uint8_t	*env;		/* signed; NULL or 0 bytes: pruned */
	size_t		 len;
	uint64_t	 created_ms, expires_ms;
	const uint8_t	*msgid;		/* idlen bytes, NULL possible */
	size_t		 idlen;
};
typedef int bstore_pending_fn(void *arg, const struct bstore_pending *p);
/* rcpt's queued messages with seq > after, by seq, at most limit. */
int	bstore_msg_pending(struct broker *b, const char *rcpt,
	    uint64_t after, uint64_t limit, bstore_pending_fn *fn, void *arg)
	    LSN_MUST_CHECK;

/*
 * Queue rows (at most limit) of the messages expired at now; rows with a
 * NULL recipient or a bad id are skipped; fn's nonzero answer stops the
 * scan. A failed step ends the scan with LSN_OK (the rows read count)
 * unless it is LSN_ECLOSED; a failed prepare answers its error.
 */
typedef int bstore_expired_fn(void *arg, const char *rcpt, uint64_t seq,
	    const uint8_t *msgid);
int	bstore_msg_expired(struct broker *b, uint64_t now, int64_t limit,
	    bstore_expired_fn *fn, void *arg) LSN_MUST_CHECK;

/* Empties the signed bytes of at most limit messages accepted before
 * before and queued for nobody; *n: how many (set on success only). */
int	bstore_msg_prune(struct broker *b, uint64_t before, int64_t limit,
	    int64_t *n) LSN_MUST_CHECK;

/* bstore_queue.c */

/* partner's recipients row: next_seq and queued; LSN_ENOENT: none. */
int	bstore_rcpt_get(struct broker *b, const char *partner,
	    uint64_t *next, uint64_t *queued) LSN_MUST_CHECK;
/* A new recipients row: next_seq 2 (seq 1 is being queued), acked 0. */
int	bstore_rcpt_add(struct broker *b, const char *partner)
	    LSN_MUST_CHECK;
/* next_seq = next, pipelined on PostgreSQL (lsn_q_exec). */
int	bstore_rcpt_set_next(struct broker *b, const char *partner,
	    uint64_t next) LSN_MUST_CHECK;
/* acked_seq = acked where it is lower (it only grows). */
int	bstore_rcpt_set_acked(struct broker *b, const char *partner,
	    uint64_t acked) LSN_MUST_CHECK;

/* A queue row with its message's expiry (0: none; its triggers count it
 * in recipients.queued and messages.pending), pipelined on PostgreSQL
 * (lsn_q_exec). */
int	bstore_queue_add(struct broker *b, const char *rcpt, uint64_t seq,
	    const uint8_t *msgid, uint64_t expires_ms) LSN_MUST_CHECK;
/* rcpt's lowest queued seq; *none = 1 when its queue is empty. */
int	bstore_queue_first(struct broker *b, const char *rcpt, int *none,
	    uint64_t *seq) LSN_MUST_CHECK;
/* The message id queued at (rcpt, seq); LSN_ENOENT: none (or a bad id). */
int	bstore_queue_msgid(struct broker *b, const char *rcpt, uint64_t seq,
	    uint8_t *msgid) LSN_MUST_CHECK;
/* Deletes the row (rcpt, seq); *n: rows deleted (set on success only). */
int	bstore_queue_del(struct broker *b, const char *rcpt, uint64_t seq,
	    int64_t *n) LSN_MUST_CHECK;
/* Deletes rcpt's rows with seq <= upto; *n as above. */
int	bstore_queue_trim(struct broker *b, const char *rcpt, uint64_t upto,
	    int64_t *n) LSN_MUST_CHECK;

/* bstore_lease.c (PostgreSQL only; leader.h has the design) */

/* *got = 1 when this connection now holds the leadership lock. */
int	bstore_lease_trylock(struct broker *b, int64_t *got) LSN_MUST_CHECK;
/* The server's "host:port" (cut to hostsz) and whether it is in
 * recovery; LSN_ENOENT: no row. */
int	bstore_lease_health(struct broker *b, char *host, size_t hostsz,
	    int *in_recovery) LSN_MUST_CHECK;

/* Where bstore_lease_read puts the lease row (all caller-owned). */
struct bstore_lease {
	int64_t		*epoch;
	char		*holder;
	size_t		 holdersz;
	int64_t		*since_ms;
	int64_t		*age_ms;	/* since the last renewal (server) */
};
/* Reads the lease row (set only when there is one); LSN_ENOENT: none,
 * or no broker_lease table yet. */
int	bstore_lease_read(struct broker *b, struct bstore_lease *le)
	    LSN_MUST_CHECK;
/* Terminates the server sessions of others holding the lock; *n: how
 * many. */
int	bstore_lease_kill(struct broker *b, int64_t *n) LSN_MUST_CHECK;

/* The lease's takeover, in the caller's transaction, in this order:
 * the table and its row if missing, */
int	bstore_lease_create(struct broker *b) LSN_MUST_CHECK;
/* epoch + 1 with holder (our new epoch and since, server clock), */
int	bstore_lease_take(struct broker *b, const char *holder,
	    int64_t *epoch, int64_t *since_ms) LSN_MUST_CHECK;
/* and the store's epoch (lsn_schema): copied into out (zero-padded to
 * outsz) and *found = 1 when there is a non-empty one. */
int	bstore_store_epoch(struct broker *b, uint8_t *out, size_t outsz,
	    int *found) LSN_MUST_CHECK;

/* The lease's epoch, read FOR SHARE in the turn (leader_fence);
 * LSN_ENOENT: no row. */
int	bstore_lease_fence(struct broker *b, int64_t *epoch) LSN_MUST_CHECK;
/* Renews the lease if its epoch is still epoch; *n: rows renewed (1, or
 * 0 when another broker took it), set on success only. */
int	bstore_lease_renew(struct broker *b, int64_t epoch, int64_t *n)
	    LSN_MUST_CHECK;

#endif /* LIAISON_BROKER_BSTORE_H */
