/*
 * pgtmp.h -- a throwaway PostgreSQL server for tests: initdb in a fresh
 * temporary directory, postgres on 127.0.0.1 with a random port and its
 * unix socket in that directory, stopped by pid and removed afterwards.
 *
 * Run as root (the test suite), the cluster belongs to the `postgres`
 * user (initdb refuses root): the directory is chowned to it and the
 * server runs with its uid. Run as another user, it runs as that user.
 * Binaries: /usr/lib/postgresql/15/bin (override: LSN_PG_BIN).
 *
 * Authentication (pg_hba.conf): the superuser `postgres` is trusted on
 * the socket and on 127.0.0.1; every other role logs in on 127.0.0.1 with
 * a password (scram-sha-256).
 *
 * The server is stopped (SIGINT: fast shutdown, then SIGKILL) and the
 * directory removed by lsn_pgtmp_stop, by an atexit handler when a test
 * exits without it (a failed assertion), and the server gets
 * PR_SET_PDEATHSIG(SIGKILL) when the test dies from a signal.
 *
 * Ownership: lsn_pgtmp_start returns a struct the caller releases with
 * lsn_pgtmp_stop (accepts NULL). Not thread-safe.
 */
#ifndef LSN_PGTMP_H
#define LSN_PGTMP_H

#include <sys/types.h>

#include <stddef.h>

struct lsn_pgtmp {
	char	 dir[64];	/* the temporary directory (and socket dir) */
	char	 data[96];	/* dir/data: the cluster */
	char	 log[96];	/* dir/postgres.log */
	int	 port;
	pid_t	 pid;		/* the postmaster */
};

/*
 * Creates, starts and waits for a cluster, then creates the database
 * dbname (NULL: none). 0, or -1 with the reason on stderr.
 */
int	lsn_pgtmp_start(const char *dbname, struct lsn_pgtmp **out);

/*
 * A hot standby of primary (pg_basebackup -R, streaming replication),
 * started like lsn_pgtmp_start's servers; stop it with lsn_pgtmp_stop.
 * 0, or -1 with the reason on stderr.
 */
int	lsn_pgtmp_start_standby(const struct lsn_pgtmp *primary,
	    struct lsn_pgtmp **out);

/* Stops the server, removes its directory, frees; sets *pp = NULL. */
void	lsn_pgtmp_stop(struct lsn_pgtmp **pp);

/* "postgresql://user@127.0.0.1:<port>/dbname" into buf. */
void	lsn_pgtmp_uri(const struct lsn_pgtmp *pg, const char *user,
	    const char *dbname, char *buf, size_t bufsz);

/*
 * Runs sql (one or more statements) as the superuser in dbname over the
 * unix socket. 0, or -1 with the server's message on stderr.
 */
int	lsn_pgtmp_exec(const struct lsn_pgtmp *pg, const char *dbname,
	    const char *sql);

#endif
