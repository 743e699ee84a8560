/*
 * leader.h -- one active broker per store, fenced (docs/architecture.md,
 * "High availability").
 *
 * Applies only when the store's backend is PostgreSQL; on sqlite every
 * function here is a no-op that says "active" (one process owns the file).
 *
 * Several brokers may run on one PostgreSQL store. The one holding the
 * session advisory lock (LSN_STORE_APP_ID, LEADER_LOCK_KEY) on its store
 * connection serves; the others are standby: they bind no peer socket
 * (agents get "connection refused" and move to their next endpoint), try
 * the lock every LEADER_RETRY_MS and answer the control socket only.
 *
 * On taking over, the new leader increments broker_lease.epoch in its own
 * transaction. Every turn's transaction first reads that epoch FOR SHARE
 * (leader_fence, called by broker_tx): a broker whose epoch is no longer
 * the table's aborts the turn and steps down; the new leader's UPDATE
 * waits for a turn holding the row and a turn that starts after it sees
 * the new epoch. The leader also renews broker_lease.renewed_ms (server
 * clock) every LEADER_RENEW_MS outside its turns; a standby that finds
 * the lock held and the lease not renewed for LEADER_TTL_MS terminates
 * the holder's server session (a hung or paused leader, a lost machine
 * whose TCP connection the server has not noticed yet), which frees the
 * lock. A lost connection (LSN_ECLOSED) or a lost epoch stops serving:
 * broker_run returns LSN_ENOTACTIVE, main() closes everything and comes
 * back here as a standby, reconnecting through the URI (libpq multi-host,
 * target_session_attrs=read-write finds the new primary).
 *
 * Welcome.broker_epoch on PostgreSQL is the store's epoch (lsn_schema),
 * the same for every broker on the store: a failover is not a "broker
 * restored from a backup" to the agents (docs/reliability.md).
 *
 * Ownership: struct leader is owned by struct broker (b->ldr), allocated
 * by leader_acquire and freed by leader_free (broker_close). The store it
 * uses is b->st (the broker's). Strings returned are borrowed from it.
 */
#ifndef LIAISON_BROKER_LEADER_H
#define LIAISON_BROKER_LEADER_H

#include <stdint.h>

#include <jansson.h>

struct broker;

#define LEADER_LOCK_KEY		2	/* with classid LSN_STORE_APP_ID */
#define LEADER_RETRY_MS		1000	/* standby: lock attempts */
#define LEADER_RECONNECT_MS	250	/* no usable server: reconnects (each
					 * bounded by connect_timeout) */
#define LEADER_RENEW_MS		1000	/* leader: lease renewal */
#define LEADER_TTL_MS		10000	/* a lease older than this is dead */
#define LEADER_HOLDER_MAX	256
#define LEADER_STOPPED		1	/* leader_acquire: stop() said so */

/*
 * Opens b->st (the store named by b->conf.db, migrated) and, on
 * PostgreSQL, waits as a standby until this broker holds the lock, then
 * takes the lease (epoch + 1). stop() is polled about every 100 ms; while
 * waiting, the control socket (if configured) answers a standby status.
 * LSN_OK: b->st is open and this broker is active; LEADER_STOPPED
 * (positive): stop() said so; otherwise the store's error on sqlite (as
 * before), or on PostgreSQL when first (the process's first start) and the
 * error will not go away by waiting (a refused login or read-only
 * server, a newer schema): later terms wait for the server instead.
 */
int	leader_acquire(struct broker *b, int (*stop)(void), int first);
/*
 * The fence: the turn's transaction (just begun on b->st) checks that the
 * lease's epoch is still ours. LSN_OK, LSN_ENOTACTIVE (another broker took
 * over: this broker stops serving) or the store's error (LSN_ECLOSED: the
 * connection is lost). No-op on sqlite.
 */
int	leader_fence(struct broker *b);
/*
 * Once per loop turn, outside a transaction: renews the lease every
 * LEADER_RENEW_MS and refreshes the backend's health for the status.
 */
void	leader_tick(struct broker *b);
/* Records that the store failed with rv (LSN_ECLOSED: stop serving). */
void	leader_store_error(struct broker *b, int rv);
/* 1 when this broker must stop serving (lease lost, connection lost). */
int	leader_lost(const struct broker *b);
/* The epoch this broker serves under; 0 on sqlite or while standby. */
int64_t	leader_epoch(const struct broker *b);
/* 1 on PostgreSQL (leadership applies). */
int	leader_on(const struct broker *b);
/* The Welcome epoch on PostgreSQL (16 bytes into out); 0 on sqlite. */
int	leader_store_epoch(const struct broker *b, uint8_t out[16]);
/* Tells every session E_NOT_ACTIVE and logs that this broker stops
 * serving (broker_run, when leader_lost). */
void	leader_step_down(struct broker *b);
/* Adds "role", "backend", "lease" and "store" to a status object. */
int	leader_status(struct broker *b, json_t *o);
void	leader_free(struct broker *b);

#endif /* LIAISON_BROKER_LEADER_H */
