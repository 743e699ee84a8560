/*
 * lsn_bpair.h -- two brokers on one shared PostgreSQL store, for the
 * standby and failover tests (a throwaway server from pgtmp, or the
 * Patroni cluster of hacluster): the fixture's directory copied into the
 * store, then per broker i (0 or 1) a directory D/bk<i>, a free port on
 * 127.0.0.1, a control socket and a broker.conf with the fixture's keys,
 * and the broker started from it (-d -v, log D/bk<i>/broker.log).
 *
 * Ownership: struct lsn_bpair is the caller's (inside its test state);
 * the brokers are registered with lsn_proc (killed at teardown / exit).
 * The functions fail the test (cmocka) on error. Not thread-safe.
 */
#ifndef LSN_BPAIR_H
#define LSN_BPAIR_H

#include <sys/types.h>

#include <stddef.h>

#include "lsn_fixture.h"

struct lsn_bpair {
	int	port[2];
	char	bdir[2][LSN_FX_PATH_MAX + 8];	/* D/bk<i> */
	char	conf[2][LSN_FX_PATH_MAX + 32];	/* D/bk<i>/broker.conf */
	char	log[2][LSN_FX_PATH_MAX + 32];	/* D/bk<i>/broker.log */
	char	ctl[2][LSN_FX_PATH_MAX + 48];	/* ipc://D/bk<i>/control.sock */
};

/* Copies the fixture's directory (its sqlite broker DB) into the store
 * at uri (a libpq URI; the store is created). */
void	lsn_bpair_dir_copy(const struct lsn_fixture *fx, const char *uri);

/*
 * For broker i: makes D/bk<i> (mode 0700; it must not exist yet), picks a
 * free port and writes the broker.conf (mode 0600): listen on the port,
 * endpoint_file, db = uri, the fixture's sign and transport keys,
 * audit_head in D/bk<i>, the control socket, heartbeat_ms = 1s.
 */
void	lsn_bpair_conf(struct lsn_bpair *bp, const struct lsn_fixture *fx,
	    int i, const char *uri);

/* Starts broker i (liaison-broker -d -v -c conf); its pid. */
pid_t	lsn_bpair_start(const struct lsn_bpair *bp, int i);

/* Broker i's status JSON (liaison broker-status --json on its control
 * socket) into buf; "" when it does not answer within 5 s. */
void	lsn_bpair_status(const struct lsn_bpair *bp, int i, char *buf,
	    size_t bufsz);

#endif
