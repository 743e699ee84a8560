/*
 * test_io_sweep.c -- the Nth-operation I/O sweep on the real broker: for
 * each I/O call on its database files (open, read, write, fsync,
 * ftruncate, mmap, rename) and N = 1..K, the Nth call fails (once with
 * EIO, or from then on with ENOSPC) through tests/faults/fsfault.c's
 * Nth-call mode. The broker must either stop at start with exit status 1
 * and "cannot start" in its log, or run: then a partner publishes 3
 * notes. Afterwards the broker is started without faults on the same
 * files and must come up; every note it acknowledged must be there; a
 * note answered E_DB, retried with the same envelope as the agent's
 * outbox does, must be accepted and held once. (An E_DB note may be found
 * stored: after an fsync failure the commit's outcome is unknown; the
 * message id makes the retry harmless. The figure says how often.)
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define K_NORMAL	3
#define K_ASAN		2
#define NPUB		3

static const char *const ops[] = {
	"open", "read", "write", "fsync", "ftruncate", "mmap", "rename"
};
static const char *const modes[] = { "once:eio", "perm:enospc" };

struct env {
	struct lsn_fixture	*fx;
	void			*ctx;
	char			 shim[LSN_FX_PATH_MAX + 16];
	char			 preload[3 * LSN_FX_PATH_MAX];
	char			 base[LSN_FX_PATH_MAX + 16];
	char			 head[LSN_FX_PATH_MAX + 16];
	char			 base_head[LSN_FX_PATH_MAX + 32];
	char			 ep[256];
	int			 k;
	/* figures */
	int			 points, refused, acked, edb, lost, resurrected;
	int			 retried;
};

static char *
mut(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

static int
asan_runtime(char *buf, size_t bufsz)
{
	FILE	*f;
	char	 line[1024], *p;
	int	 found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "/libasan.so") == NULL ||
		    (p = strchr(line, '/')) == NULL)
			continue;
		p[strcspn(p, "\n")] = '\0';
		found = lsn_strlcpy(buf, p, bufsz) < bufsz;
	}
	fclose(f);
	return (found);
}

static void
copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 buf[65536];
	size_t	 n;

	assert_non_null(in = fopen(from, "rb"));
	assert_non_null(out = fopen(to, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static long
log_size(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0 ? (long) sb.st_size : 0);
}

static int
log_has(const char *path, long off, const char *needle)
{
	FILE	*f;
	char	*buf;
	long	 n;
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	if (fseek(f, off, SEEK_SET) == 0 &&
	    (buf = malloc(1 << 22)) != NULL) {
		n = (long) fread(buf, 1, (1 << 22) - 1, f);
		buf[n] = '\0';
		found = strstr(buf, needle) != NULL;
		free(buf);
	}
	fclose(f);
	return (found);
}

/* Starts the broker (with the fault when nth is not NULL); 0 when it is
 * up, else its exit status. */
static int
broker_start(struct env *e, const char *nth, pid_t *pidp)
{
	char	*bin, *argv[5];
	pid_t	 pid;
	int	 st;

	(void) unlink(e->fx->endpoint_file);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = mut("-d");
	argv[2] = mut("-c");
	argv[3] = e->fx->broker_conf;
	argv[4] = NULL;
	if (nth != NULL) {
		assert_int_equal(setenv("LD_PRELOAD", e->preload, 1), 0);
		assert_int_equal(setenv("LSN_FAULT_MATCH", "broker/broker.db",
		    1), 0);
		assert_int_equal(setenv("LSN_FAULT_NTH", nth, 1), 0);
	}
	pid = lsn_proc_spawn(bin, argv, e->fx->broker_log);
	(void) unsetenv("LD_PRELOAD");
	(void) unsetenv("LSN_FAULT_MATCH");
	(void) unsetenv("LSN_FAULT_NTH");
	free(bin);
	assert_true(pid > 0);
	*pidp = pid;
	for (int i = 0; i < 3000; i++) {
		if (access(e->fx->endpoint_file, F_OK) == 0 &&
		    lsn_fixture_endpoint(e->fx, e->ep, sizeof(e->ep)) ==
		    LSN_OK)
			return (0);
		if ((st = lsn_proc_wait(pid, 0)) != -2)
			return (st);
		lsn_proc_sleep_ms(10);
	}
	fail_msg("the broker neither started nor stopped (%s)", nth);
	return (-1);
}

/* 1 if the broker's database holds id. */
static int
held(struct env *e, const uint8_t id[16])
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	int		 n = 0;

	assert_int_equal(sqlite3_open_v2(e->fx->broker_db, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "messages WHERE message_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return (n > 0);
}

/* One fault point: run with the fault, publish, restart clean, check.
 * Long: the steps of one point read best in order. */
static void
one_point(struct env *e, const char *nth)
{
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			 ids[NPUB][16], *envs[NPUB] = { NULL };
	size_t			 lens[NPUB];
	int			 codes[NPUB], st, rv;
	void			*sock = NULL;
	pid_t			 pid;
	long			 off;
	void			*again = NULL;
	int			 code;
	char			 aux[LSN_FX_PATH_MAX + 8];

	/* Fresh files: the base database with its signed audit head (the
	 * head belongs to the database: a copy without it would be a cut
	 * the broker rightly refuses), no log, no index. */
	copy_file(e->base, e->fx->broker_db);
	if (access(e->base_head, F_OK) == 0)
		copy_file(e->base_head, e->head);
	else
		(void) unlink(e->head);
	snprintf(aux, sizeof(aux), "%s-wal", e->fx->broker_db);
	(void) unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", e->fx->broker_db);
	(void) unlink(aux);
	e->points++;
	off = log_size(e->fx->broker_log);
	st = broker_start(e, nth, &pid);
	if (st != 0) {
		/* Stopped at start: with a clear error, not a crash. */
		if (st != 1 || !log_has(e->fx->broker_log, off,
		    "cannot start")) {
			lsn_proc_dump_log(e->fx->broker_log, 3000);
			fail_msg("%s: the broker ended with status %d at start",
			    nth, st);
		}
		e->refused++;
	} else {
		m.to[0] = e->fx->partners[1].id;
		assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL, e->ep,
		    &sock));
		rv = lsn_fixture_hello(sock, 0, 10000, NULL);
		for (int i = 0; i < NPUB; i++) {
			codes[i] = LSN_ETIMEDOUT;
			assert_ok(lsn_fixture_envelope(e->fx, 0, &m, ids[i],
			    &envs[i], &lens[i]));
			if (rv == LSN_OK && lsn_fixture_publish(sock, envs[i],
			    lens[i], 10000, &codes[i]) != LSN_OK)
				codes[i] = LSN_ETIMEDOUT;
		}
		zmq_close(sock);
		st = lsn_proc_stop(pid);
		if (st != 0 && st != 1)
			fail_msg("%s: the broker ended with status %d", nth,
			    st);
	}
	/* Without faults, on the same files. */
	st = broker_start(e, NULL, &pid);
	if (st != 0) {
		lsn_proc_dump_log(e->fx->broker_log, 3000);
		fail_msg("%s: the broker does not start again (status %d)",
		    nth, st);
	}
	for (int i = 0; i < NPUB && sock != NULL; i++) {
		if (codes[i] == LSN_OK) {
			e->acked++;
			if (!held(e, ids[i])) {
				e->lost++;
				printf("io sweep: %s: acknowledged note lost\n",
				    nth);
			}
		} else if (codes[i] == LSN_EDB) {
			/* Not acknowledged: the publisher retries the same
			 * envelope (the agent's outbox does); it must be
			 * accepted and held once, whether or not the failed
			 * commit reached the disk (an fsync failure leaves
			 * the outcome unknown). */
			e->edb++;
			if (held(e, ids[i]))
				e->resurrected++;
			assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL,
			    e->ep, &again));
			assert_ok(lsn_fixture_hello(again, 0, 10000, NULL));
			assert_ok(lsn_fixture_publish(again, envs[i], lens[i],
			    10000, &code));
			zmq_close(again);
			if (code != LSN_OK)
				fail_msg("%s: the retry of an E_DB note: %s",
				    nth, lsn_errname(code));
			e->retried++;
		}
	}
	for (int i = 0; i < NPUB; i++)
		free(envs[i]);
	assert_int_equal(lsn_proc_stop(pid), 0);
}

static void
test_io_sweep_broker(void **state)
{
	struct env	*e = *state;
	char		 nth[64];

	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (size_t md = 0; md < 2; md++)
			for (int n = 1; n <= e->k; n++) {
				snprintf(nth, sizeof(nth), "%s:%d:%s", ops[o],
				    n, modes[md]);
				one_point(e, nth);
			}
	printf("io sweep: broker: %d I/O fault points (7 calls x once EIO / "
	    "permanent ENOSPC x N=1..%d), %d stopped at start with a clear "
	    "error, %d acknowledged (lost %d), %d answered E_DB (found "
	    "stored after the fault %d: an fsync failure leaves a commit's "
	    "outcome unknown; retried with the same id %d, each accepted "
	    "once)\n", e->points, e->k, e->refused, e->acked, e->lost,
	    e->edb, e->resurrected, e->retried);
	assert_int_equal(e->lost, 0);
	assert_int_equal(e->retried, e->edb);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	const char		*src = getenv("LSN_SRC_DIR");
	char			 cmd[4 * LSN_FX_PATH_MAX], asan[LSN_FX_PATH_MAX];
	char			*argv[4];
	pid_t			 pid;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_non_null(e->ctx = zmq_ctx_new());
	assert_non_null(src);
	snprintf(e->shim, sizeof(e->shim), "%s/fsfault.so", e->fx->dir);
	snprintf(cmd, sizeof(cmd), "exec ${CC:-cc} -O1 -shared -fPIC -o "
	    "'%s' '%s/tests/faults/fsfault.c' -ldl", e->shim, src);
	argv[0] = mut("sh");
	argv[1] = mut("-c");
	argv[2] = cmd;
	argv[3] = NULL;
	assert_int_equal(lsn_proc_run("/bin/sh", argv, NULL, NULL, 60000), 0);
	e->k = K_NORMAL;
	if (asan_runtime(asan, sizeof(asan))) {
		snprintf(e->preload, sizeof(e->preload), "%s %s", asan,
		    e->shim);
		e->k = K_ASAN;
	} else
		snprintf(e->preload, sizeof(e->preload), "%s", e->shim);
	/* The base: migrated by a first clean run, then copied. */
	assert_int_equal(broker_start(e, NULL, &pid), 0);
	assert_int_equal(lsn_proc_stop(pid), 0);
	snprintf(e->base, sizeof(e->base), "%s/base.db", e->fx->dir);
	copy_file(e->fx->broker_db, e->base);
	snprintf(e->head, sizeof(e->head), "%s.audit-head", e->fx->broker_db);
	snprintf(e->base_head, sizeof(e->base_head), "%s.audit-head",
	    e->base);
	if (access(e->head, F_OK) == 0)
		copy_file(e->head, e->base_head);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		if (e->ctx != NULL)
			zmq_ctx_term(e->ctx);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_sweep_broker),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
