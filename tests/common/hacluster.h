/*
 * hacluster.h -- a PostgreSQL 15 cluster behind Patroni (with its own
 * etcd) on loopback for the failover tests, driven through
 * tests/ha/cluster.sh (run with /bin/sh from $LSN_SRC_DIR).
 *
 * lsn_ha_start(&ha, dir, 3, 0) starts 3 etcd members and 3 Patroni nodes
 * under dir (the caller's temp dir; it must exist), with random free ports,
 * synchronous_mode_strict, a role `liaison` owning database `liaison`, and
 * a pgpass file; it sets PGPASSFILE in this process's environment (so libpq
 * here and every daemon spawned afterwards find the password) and fills
 * ha->uri with the multi-host libpq URI (target_session_attrs=read-write).
 * It returns once a leader takes a synchronously replicated commit.
 *
 * Cleanup: lsn_ha_stop() stops every process by pid; call it in the test's
 * teardown. A cluster still running at exit() is stopped by an atexit
 * handler; if the test process dies from a signal, the script's guard (it
 * polls this process's pid) stops the cluster within about a second.
 *
 * Node indices are 1..n. Functions return LSN_OK or a negative LSN_E*
 * code (the reason is printed to stderr) unless documented otherwise.
 * The struct is the caller's (stack or static); it must stay at the same
 * address from lsn_ha_start() to lsn_ha_stop() (the atexit list points at
 * it). Not thread-safe.
 */
#ifndef LSN_HACLUSTER_H
#define LSN_HACLUSTER_H

#include <stddef.h>

#define LSN_HA_PATH_MAX		512
#define LSN_HA_URI_MAX		1024
#define LSN_HA_HOSTPORT_MAX	64

/* lsn_ha_start() flags */
#define LSN_HA_ASYNC	0x01	/* synchronous_mode off (to show what it
				 * costs: acknowledged commits can be lost) */

struct lsn_ha {
	char	dir[LSN_HA_PATH_MAX];		/* the cluster's dir */
	char	script[LSN_HA_PATH_MAX];	/* .../tests/ha/cluster.sh */
	char	uri[LSN_HA_URI_MAX];		/* postgresql://liaison@h1,h2,h3/
						 * liaison?target_session_attrs=
						 * read-write&connect_timeout=2 */
	char	pgpass[LSN_HA_PATH_MAX];	/* dir/pgpass (liaison and
						 * postgres roles) */
	int	n;				/* nodes */
	double	up_s;				/* start -> ready, seconds */
	int	running;
};

/* Starts the cluster (see above); flags: LSN_HA_ASYNC or 0. */
int	lsn_ha_start(struct lsn_ha *ha, const char *dir, int n, int flags);

/* Stops every process of the cluster by pid; idempotent. The dir stays. */
void	lsn_ha_stop(struct lsn_ha *ha);

/* Index (1..n) of the current leader, or -1 if there is none. */
int	lsn_ha_leader(struct lsn_ha *ha);

/* The leader's "127.0.0.1:port" into buf. */
int	lsn_ha_primary(struct lsn_ha *ha, char *buf, size_t len);

/* SIGSTOPs the leader's walsenders: no WAL leaves it (with synchronous
 * mode commits then block; without, they are acknowledged unreplicated).
 * Returns how many were stopped (> 0) or a negative code. */
int	lsn_ha_stall_replication(struct lsn_ha *ha);

/* SIGCONTs what lsn_ha_stall_replication() stopped (lsn_ha_stop does too). */
int	lsn_ha_resume_replication(struct lsn_ha *ha);

/* Node i's PostgreSQL "127.0.0.1:port" into buf (to reach a replica). */
int	lsn_ha_addr(struct lsn_ha *ha, int i, char *buf, size_t len);

/* Waits up to timeout_s for a leader; its host:port into buf (may be NULL). */
int	lsn_ha_wait_leader(struct lsn_ha *ha, int timeout_s, char *buf,
	    size_t len);

/* SIGKILLs the leader's patroni, postmaster and postgres children (a
 * machine loss). Returns the index killed (1..n) or a negative code. */
int	lsn_ha_kill_primary(struct lsn_ha *ha);

/* The same for node i. */
int	lsn_ha_kill_node(struct lsn_ha *ha, int i);

/* Starts node i's patroni again (it must be down); returns at once. */
int	lsn_ha_restart_node(struct lsn_ha *ha, int i);

/* Waits up to timeout_s until node i is a replica streaming from the
 * leader (after pg_rewind for an old primary). */
int	lsn_ha_wait_replica(struct lsn_ha *ha, int i, int timeout_s);

/* How many processes of the cluster are alive (guard, etcd, patroni,
 * postgres); -1 if it cannot tell. 0 after lsn_ha_stop(). */
int	lsn_ha_nprocs(struct lsn_ha *ha);

/* Prints `patronictl list` and the tail of every node's log to stderr
 * (failure diagnostics). */
void	lsn_ha_dump(struct lsn_ha *ha);

#endif /* LSN_HACLUSTER_H */
