/*
 * pgtmp.c -- a throwaway PostgreSQL server for tests (see pgtmp.h).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "lsn_proc.h"
#include "lsn_test.h"
#include "pgtmp.h"

#define PGTMP_BIN	"/usr/lib/postgresql/15/bin"
#define PGTMP_MAX	8	/* servers alive at once */
#define PGTMP_START_MS	30000
#define PGTMP_TRIES	5	/* ports tried */

static struct lsn_pgtmp	*pgtmp_live[PGTMP_MAX];
static int		 pgtmp_atexit_set;

static const char *
pgtmp_bin(void)
{
	const char	*b = getenv("LSN_PG_BIN");

	return (b != NULL && *b != '\0' ? b : PGTMP_BIN);
}

/* The uid and gid the cluster runs as: postgres when we are root. */
static int
pgtmp_owner(uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		*uid = geteuid();
		*gid = getegid();
		return (0);
	}
	if ((pw = getpwnam("postgres")) == NULL) {
		fprintf(stderr, "pgtmp: no `postgres` user (install "
		    "postgresql-15: scripts/install-deps)\n");
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

/*
 * Starts argv[0] (a path) as the cluster's owner, output appended to
 * logpath. Returns the pid or -1.
 */
static pid_t
pgtmp_spawn(char *const argv[], const char *logpath)
{
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;
	int	fd;

	if (pgtmp_owner(&uid, &gid) == -1)
		return (-1);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "pgtmp: fork: %s\n", strerror(errno));
		return (-1);
	}
	if (pid > 0)
		return (pid);
	/* child */
	if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
	    setgid(gid) == -1 || setuid(uid) == -1))
		_exit(126);
	/* after setuid: a credential change clears the death signal */
	(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		(void) dup2(fd, 0);
		(void) close(fd);
	}
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
		(void) dup2(fd, 1);
		(void) dup2(fd, 2);
		(void) close(fd);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* Runs argv to completion: its exit status, or -1. */
static int
pgtmp_run(char *const argv[], const char *logpath)
{
	pid_t	pid;
	int	status;

	if ((pid = pgtmp_spawn(argv, logpath)) == -1)
		return (-1);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void
pgtmp_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Stops the postmaster: fast shutdown, SIGKILL after 10 s. */
static void
pgtmp_kill(struct lsn_pgtmp *pg)
{
	int	status;

	if (pg->pid <= 0)
		return;
	(void) kill(pg->pid, SIGINT);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
			pg->pid = 0;
			return;
		}
		pgtmp_sleep_ms(10);
	}
	(void) kill(pg->pid, SIGKILL);
	(void) waitpid(pg->pid, &status, 0);
	pg->pid = 0;
}

static void
pgtmp_atexit(void)
{
	for (int i = 0; i < PGTMP_MAX; i++)
		if (pgtmp_live[i] != NULL)
			lsn_pgtmp_stop(&pgtmp_live[i]);
}

static int
pgtmp_register(struct lsn_pgtmp *pg)
{
	if (!pgtmp_atexit_set) {
		if (atexit(pgtmp_atexit) != 0)
			return (-1);
		pgtmp_atexit_set = 1;
	}
	for (int i = 0; i < PGTMP_MAX; i++)
		if (pgtmp_live[i] == NULL) {
			pgtmp_live[i] = pg;
			return (0);
		}
	fprintf(stderr, "pgtmp: more than %d servers\n", PGTMP_MAX);
	return (-1);
}

static int
pgtmp_write(const char *path, const char *text, int append)
{
	FILE	*f;
	int	 rv = 0;

	if ((f = fopen(path, append ? "a" : "w")) == NULL)
		return (-1);
	if (fputs(text, f) == EOF)
		rv = -1;
	if (fclose(f) == EOF)
		rv = -1;
	return (rv);
}

/* Runs initdb into datadir (its parent belongs to the cluster's owner). */
static int
pgtmp_run_initdb(char *datadir, const char *logpath)
{
	char	 path[256];
	char	*argv[] = { path, "-D", datadir, "-U", "postgres", "-E",
		    "UTF8", "--no-sync", "--no-instructions", "-A", "trust",
		    NULL };

	snprintf(path, sizeof(path), "%s/initdb", pgtmp_bin());
	if (pgtmp_run(argv, logpath) != 0) {
		fprintf(stderr, "pgtmp: initdb failed\n");
		lsn_proc_dump_log(logpath, 4096);
		return (-1);
	}
	return (0);
}

/*
 * LSN_PGTMP_CACHE=dir: initdb runs once into dir/<binaries' path> (built
 * aside, renamed into place: a test running beside sees it whole or not
 * at all); every server after that starts from a copy (cp -a: ~0.2 s on
 * a tmpfs, where initdb takes ~1.5 s). -1: use initdb.
 */
static int
pgtmp_initdb_cached(struct lsn_pgtmp *pg, uid_t uid, gid_t gid)
{
	const char	*cache = getenv("LSN_PGTMP_CACHE");
	char		 dir[320], tmpl[340], tmp[340], data[360], name[128];
	char		*argv[] = { "/bin/cp", "-a", tmpl, pg->data, NULL };
	struct stat	 sb;

	if (cache == NULL || *cache == '\0')
		return (-1);
	snprintf(name, sizeof(name), "%s", pgtmp_bin());
	for (size_t i = 0; name[i] != '\0'; i++)
		if (name[i] == '/')
			name[i] = '_';
	if ((size_t) snprintf(dir, sizeof(dir), "%s/initdb%s", cache, name) >=
	    sizeof(dir))
		return (-1);
	snprintf(tmpl, sizeof(tmpl), "%s/data", dir);
	if (stat(tmpl, &sb) == -1) {
		(void) mkdir(cache, 0755);
		snprintf(tmp, sizeof(tmp), "%s/initdb.XXXXXX", cache);
		if (mkdtemp(tmp) == NULL)
			return (-1);
		snprintf(data, sizeof(data), "%s/data", tmp);
		if (chmod(tmp, 0755) == -1 || chown(tmp, uid, gid) == -1 ||
		    pgtmp_run_initdb(data, pg->log) == -1) {
			lsn_test_rmdir(tmp);
			return (-1);
		}
		if (rename(tmp, dir) == -1)	/* another test was faster */
			lsn_test_rmdir(tmp);
	}
	if (pgtmp_run(argv, pg->log) != 0) {
		fprintf(stderr, "pgtmp: cp -a %s failed: initdb instead\n",
		    tmpl);
		lsn_test_rmdir(pg->data);
		return (-1);
	}
	return (0);
}

/* initdb and the configuration: trust for postgres, scram for others. */
static int
pgtmp_initdb(struct lsn_pgtmp *pg)
{
	char	 conf[160];
	uid_t	 uid;
	gid_t	 gid;

	if (pgtmp_owner(&uid, &gid) == -1 || chown(pg->dir, uid, gid) == -1) {
		fprintf(stderr, "pgtmp: chown %s: %s\n", pg->dir,
		    strerror(errno));
		return (-1);
	}
	if (pgtmp_initdb_cached(pg, uid, gid) == -1 &&
	    pgtmp_run_initdb(pg->data, pg->log) == -1)
		return (-1);
	snprintf(conf, sizeof(conf), "%s/pg_hba.conf", pg->data);
	if (pgtmp_write(conf,
	    "local all all trust\n"
	    "local replication postgres trust\n"
	    "host all postgres 127.0.0.1/32 trust\n"
	    "host all all 127.0.0.1/32 scram-sha-256\n", 0) == -1)
		return (-1);
	snprintf(conf, sizeof(conf), "%s/postgresql.conf", pg->data);
	return (pgtmp_write(conf,
	    "\n# lsn_pgtmp: a throwaway test server\n"
	    "listen_addresses = '127.0.0.1'\n"
	    "fsync = off\n"
	    "full_page_writes = off\n"
	    "shared_buffers = 16MB\n"
	    "max_connections = 30\n"
	    "password_encryption = 'scram-sha-256'\n", 1));
}

/* Starts postgres on a free port; waits until it answers. */
static int
pgtmp_postgres(struct lsn_pgtmp *pg)
{
	char	 path[256], port[16], conninfo[160];
	char	*argv[] = { path, "-D", pg->data, "-p", port, "-k", pg->dir,
		    NULL };
	int	 status;

	snprintf(path, sizeof(path), "%s/postgres", pgtmp_bin());
	for (int t = 0; t < PGTMP_TRIES; t++) {
		if ((pg->port = lsn_proc_free_port()) == -1)
			return (-1);
		snprintf(port, sizeof(port), "%d", pg->port);
		snprintf(conninfo, sizeof(conninfo), "host=%s port=%d "
		    "user=postgres dbname=postgres connect_timeout=2",
		    pg->dir, pg->port);
		if ((pg->pid = pgtmp_spawn(argv, pg->log)) == -1)
			return (-1);
		for (int ms = 0; ms < PGTMP_START_MS; ms += 50) {
			if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
				pg->pid = 0;	/* port taken? try another */
				break;
			}
			if (PQping(conninfo) == PQPING_OK)
				return (0);
			pgtmp_sleep_ms(50);
		}
		if (pg->pid > 0) {
			fprintf(stderr, "pgtmp: postgres did not start\n");
			return (-1);
		}
	}
	fprintf(stderr, "pgtmp: postgres failed to start %d times\n",
	    PGTMP_TRIES);
	return (-1);
}

/* A new struct with its temporary directory, registered. */
static struct lsn_pgtmp *
pgtmp_new(void)
{
	struct lsn_pgtmp	*pg;

	const char		*parent = getenv("LSN_PGTMP_DIR");
	int			 n;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return (NULL);
	/* LSN_PGTMP_DIR: another parent (a tmpfs: initdb is 3x faster) */
	if (parent == NULL || *parent == '\0')
		parent = "/tmp";
	n = snprintf(pg->dir, sizeof(pg->dir), "%s/lsn-pg-XXXXXX", parent);
	if (n < 0 || (size_t) n >= sizeof(pg->dir) - 16) {
		fprintf(stderr, "pgtmp: LSN_PGTMP_DIR too long\n");
		free(pg);
		return (NULL);
	}
	if (mkdtemp(pg->dir) == NULL) {
		fprintf(stderr, "pgtmp: mkdtemp: %s\n", strerror(errno));
		free(pg);
		return (NULL);
	}
	snprintf(pg->data, sizeof(pg->data), "%s/data", pg->dir);
	snprintf(pg->log, sizeof(pg->log), "%s/postgres.log", pg->dir);
	if (pgtmp_register(pg) == -1) {
		lsn_test_rmdir(pg->dir);
		free(pg);
		return (NULL);
	}
	return (pg);
}

int
lsn_pgtmp_start_standby(const struct lsn_pgtmp *primary,
    struct lsn_pgtmp **out)
{
	struct lsn_pgtmp	*pg;
	char			 path[256], port[16], host[64];
	char			*argv[] = { path, "-h", host, "-p", port, "-U",
				    "postgres", "-D", NULL, "-R", "-X", "stream",
				    "-c", "fast",
				    "--no-sync", NULL };
	uid_t			 uid;
	gid_t			 gid;

	*out = NULL;
	if ((pg = pgtmp_new()) == NULL)
		return (-1);
	snprintf(host, sizeof(host), "%s", primary->dir);
	argv[8] = pg->data;
	snprintf(port, sizeof(port), "%d", primary->port);
	snprintf(path, sizeof(path), "%s/pg_basebackup", pgtmp_bin());
	if (pgtmp_owner(&uid, &gid) == -1 || chown(pg->dir, uid, gid) == -1 ||
	    pgtmp_run(argv, pg->log) != 0) {
		fprintf(stderr, "pgtmp: pg_basebackup failed\n");
		goto fail;
	}
	if (pgtmp_postgres(pg) == -1)
		goto fail;
	*out = pg;
	return (0);
 fail:
	lsn_proc_dump_log(pg->log, 4096);
	lsn_pgtmp_stop(&pg);
	return (-1);
}

int
lsn_pgtmp_start(const char *dbname, struct lsn_pgtmp **out)
{
	struct lsn_pgtmp	*pg;
	char			 sql[128];

	*out = NULL;
	if ((pg = pgtmp_new()) == NULL)
		return (-1);
	if (pgtmp_initdb(pg) == -1 || pgtmp_postgres(pg) == -1)
		goto fail;
	if (dbname != NULL) {
		snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", dbname);
		if (lsn_pgtmp_exec(pg, "postgres", sql) == -1)
			goto fail;
	}
	*out = pg;
	return (0);
 fail:
	lsn_proc_dump_log(pg->log, 4096);
	lsn_pgtmp_stop(&pg);
	return (-1);
}

void
lsn_pgtmp_stop(struct lsn_pgtmp **pp)
{
	struct lsn_pgtmp	*pg;

	if (pp == NULL || (pg = *pp) == NULL)
		return;
	*pp = NULL;
	for (int i = 0; i < PGTMP_MAX; i++)
		if (pgtmp_live[i] == pg)
			pgtmp_live[i] = NULL;
	pgtmp_kill(pg);
	lsn_test_rmdir(pg->dir);
	free(pg);
}

void
lsn_pgtmp_uri(const struct lsn_pgtmp *pg, const char *user,
    const char *dbname, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "postgresql://%s@127.0.0.1:%d/%s", user,
	    pg->port, dbname);
}

int
lsn_pgtmp_exec(const struct lsn_pgtmp *pg, const char *dbname,
    const char *sql)
{
	PGconn		*c;
	PGresult	*res;
	char		 port[16];
	const char	*keys[] = { "host", "port", "user", "dbname", NULL };
	const char	*vals[] = { pg->dir, port, "postgres", dbname, NULL };
	int		 rv = -1;

	snprintf(port, sizeof(port), "%d", pg->port);
	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtmp: connect: %s", c != NULL ?
		    PQerrorMessage(c) : "out of memory\n");
		PQfinish(c);
		return (-1);
	}
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK)
		rv = 0;
	else
		fprintf(stderr, "pgtmp: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return (rv);
}
