/*
 * test_store_pg.c -- the PostgreSQL store's failure modes and
 * replication, against throwaway servers (pgtmp.h): a read-only database,
 * a real hot standby, a failover with a synchronous standby, a wrong or
 * missing password, an unreachable port, a silent host, brokers opening
 * one new database at once, a lost connection, a failed transaction.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "lsn_test.h"
#include "pgtmp.h"
#include "store_fx.h"

/* A standby or a read-only database: refused for a read-write open. */
static void
test_pg_readonly_server(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			 sql[96];

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	lsn_store_close(&st);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s SET "
	    "default_transaction_read_only = on", fx->db);
	assert_int_equal(lsn_pgtmp_exec(sfx_pg, "postgres", sql), 0);
	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, sfx_migs2, 0, &st), LSN_EPERM);
	assert_true(lsn_log_captured("read-only"));
	assert_true(lsn_log_captured("127.0.0.1"));
	lsn_log_capture_stop();
	assert_null(st);
	assert_ok(lsn_store_open(fx->path, sfx_migs2, LSN_STORE_READONLY, &st));
	lsn_store_close(&st);
	/* libpq's own check (Patroni URIs): no read-write server found */
	strcat(fx->path, "?target_session_attrs=read-write");
	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, sfx_migs2, 0, &st), LSN_EPERM);
	assert_true(lsn_log_captured("no read-write server"));
	lsn_log_capture_stop();
	assert_null(st);
}

/*
 * A real hot standby (streaming replication, as under Patroni): refused
 * for writing, readable read-only; a URI naming standby and primary with
 * target_session_attrs=read-write reaches the primary.
 */
static void
test_pg_standby(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_pgtmp	*sb = NULL;
	struct lsn_store	*st = NULL;
	char			 uri[256];
	int64_t			 n = 0;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	lsn_store_close(&st);
	assert_int_equal(lsn_pgtmp_start_standby(sfx_pg, &sb), 0);

	lsn_pgtmp_uri(sb, "postgres", fx->db, uri, sizeof(uri));
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EPERM);
	assert_true(lsn_log_captured("read-only"));
	lsn_log_capture_stop();
	assert_null(st);
	/* read-only: replicated rows, transactions without the lock */
	assert_ok(lsn_store_open(uri, sfx_migs2, LSN_STORE_READONLY, &st));
	for (int i = 0; i < 100 && n != 1; i++) {
		assert_ok(lsn_store_i64(st, SFX_SQL_COUNT, &n));
		if (n != 1)
			usleep(50 * 1000);
	}
	assert_int_equal(n, 1);
	assert_ok(lsn_store_begin(st));
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 1);
	assert_ok(lsn_store_commit(st));
	lsn_store_close(&st);

	/* Patroni's form: every member, libpq picks the primary */
	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d,"
	    "127.0.0.1:%d/%s?target_session_attrs=read-write", sb->port,
	    sfx_pg->port, fx->db);
	assert_ok(lsn_store_open(uri, sfx_migs2, 0, &st));
	sfx_ins(st, 2, "two", "x", 1, 5, 0, LSN_OK);
	lsn_store_close(&st);
	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d/%s?"
	    "target_session_attrs=read-write", sb->port, fx->db);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EPERM);
	lsn_log_capture_stop();
	lsn_pgtmp_stop(&sb);
}

/*
 * Failover as Patroni does it: a synchronous standby (the commit waits
 * for it), the primary stops, the standby is promoted. The old
 * connection answers LSN_ECLOSED; a new open with the same URI reaches
 * the new primary, where every acknowledged commit is.
 */
static void
test_pg_failover(void **state)
{
	struct lsn_pgtmp	*p1 = NULL, *sb = NULL;
	struct lsn_store	*st = NULL;
	char			 uri[256];

	(void) state;
	assert_int_equal(lsn_pgtmp_start("ha", &p1), 0);
	assert_int_equal(lsn_pgtmp_start_standby(p1, &sb), 0);
	assert_int_equal(lsn_pgtmp_exec(p1, "postgres", "ALTER SYSTEM SET "
	    "synchronous_standby_names = '*'"), 0);
	assert_int_equal(lsn_pgtmp_exec(p1, "postgres", "ALTER SYSTEM SET "
	    "synchronous_commit = 'remote_apply'"), 0);
	assert_int_equal(lsn_pgtmp_exec(p1, "postgres",
	    "SELECT pg_reload_conf()"), 0);
	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d,"
	    "127.0.0.1:%d/ha?target_session_attrs=read-write", p1->port,
	    sb->port);

	assert_ok(lsn_store_open(uri, sfx_migs2, 0, &st));
	assert_ok(lsn_store_begin(st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	assert_ok(lsn_store_commit(st));	/* on the standby too */

	lsn_pgtmp_stop(&p1);
	lsn_log_capture_start();
	sfx_ins(st, 2, "two", "x", 1, 5, 0, LSN_ECLOSED);
	lsn_log_capture_stop();
	lsn_store_close(&st);

	assert_int_equal(lsn_pgtmp_exec(sb, "postgres",
	    "SELECT pg_promote(true, 60)"), 0);
	lsn_log_capture_start();
	assert_ok(lsn_store_open(uri, sfx_migs2, 0, &st));
	lsn_log_capture_stop();
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 1);
	sfx_ins(st, 2, "two", "x", 1, 5, 0, LSN_OK);
	lsn_store_close(&st);
	lsn_pgtmp_stop(&sb);
}

/* A wrong password (from PGPASSFILE) is refused, and never logged. */
static void
test_pg_wrong_password(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			 uri[256], user[48], pass[300], line[128];
	char			 sql[320];
	int			 fd;

	snprintf(sql, sizeof(sql), "CREATE ROLE lsn_pw%s LOGIN PASSWORD "
	    "'right-horse'; GRANT ALL ON DATABASE %s TO lsn_pw%s; ALTER "
	    "DATABASE %s OWNER TO lsn_pw%s", fx->db, fx->db, fx->db, fx->db,
	    fx->db);
	assert_int_equal(lsn_pgtmp_exec(sfx_pg, "postgres", sql), 0);
	snprintf(user, sizeof(user), "lsn_pw%s", fx->db);
	lsn_pgtmp_uri(sfx_pg, user, fx->db, uri, sizeof(uri));
	snprintf(pass, sizeof(pass), "%s/pgpass", sfx_pg->dir);
	setenv("PGPASSFILE", pass, 1);

	snprintf(line, sizeof(line), "127.0.0.1:%d:%s:lsn_pw%s:wrong-battery"
	    "\n", sfx_pg->port, fx->db, fx->db);
	assert_true((fd = open(pass, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
	    0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
	close(fd);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EPERM);
	assert_null(st);
	assert_true(lsn_log_captured("refused the login"));
	assert_true(lsn_log_captured("lsn_pw"));
	assert_false(lsn_log_captured("wrong-battery"));
	lsn_log_capture_stop();

	/* no password at all */
	unlink(pass);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EPERM);
	lsn_log_capture_stop();

	/* the right one works */
	snprintf(line, sizeof(line), "127.0.0.1:%d:%s:lsn_pw%s:right-horse\n",
	    sfx_pg->port, fx->db, fx->db);
	assert_true((fd = open(pass, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
	    0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
	close(fd);
	assert_ok(lsn_store_open(uri, sfx_migs2, 0, &st));
	lsn_store_close(&st);
	unlink(pass);
	unsetenv("PGPASSFILE");
}

/* Nothing listens: refused at once (and a silent host: connect_timeout). */
static void
test_pg_unreachable(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	struct timespec		 t0, t1;
	char			 uri[256];

	(void) fx;
	/* the server's port + 1 is as good as any unused port here */
	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d/x",
	    sfx_pg->port == 65535 ? 1 : sfx_pg->port + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EDB);
	assert_true(lsn_log_captured("cannot connect"));
	assert_true(lsn_log_captured("127.0.0.1"));
	lsn_log_capture_stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_null(st);
}

/*
 * A host that takes the TCP connection and never answers: the default
 * connect_timeout (10 s) ends the wait; the URI's own is used instead.
 */
static void
test_pg_silent_host(void **state)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct lsn_store	*st = NULL;
	struct timespec		 t0, t1;
	char			 uri[256];
	int			 fd;

	(void) state;
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);	/* never accepted */
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);

	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d/x?"
	    "connect_timeout=2", ntohs(sin.sin_port));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EDB);
	lsn_log_capture_stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 6);

	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%d/x",
	    ntohs(sin.sin_port));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lsn_log_capture_start();
	assert_err(lsn_store_open(uri, sfx_migs2, 0, &st), LSN_EDB);
	assert_true(lsn_log_captured("timeout"));
	lsn_log_capture_stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec >= 8);
	assert_true(t1.tv_sec - t0.tv_sec < 20);
	close(fd);
}

/* Brokers starting together on an empty database: one creates, all open. */
struct opener {
	const char	*path;
	int		 rv;
};

static void *
open_thread(void *arg)
{
	struct opener		*o = arg;
	struct lsn_store	*st = NULL;

	o->rv = lsn_store_open(o->path, sfx_migs3, 0, &st);
	lsn_store_close(&st);
	return (NULL);
}

static void
test_pg_concurrent_open(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	struct opener		 o[4];
	pthread_t		 t[4];

	for (int i = 0; i < 4; i++) {
		o[i].path = fx->path;
		o[i].rv = -1;
		assert_int_equal(pthread_create(&t[i], NULL, open_thread,
		    &o[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_ok(o[i].rv);
	}
	assert_ok(lsn_store_open(fx->path, sfx_migs3, 0, &st));
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 3);	/* once each */
	lsn_store_close(&st);
}

/* The server ends the session: LSN_ECLOSED, not LSN_EDB. */
static void
test_pg_connection_lost(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			 sql[96];
	int64_t			 pid = 0;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	assert_ok(lsn_store_i64(st, "SELECT pg_backend_pid()", &pid));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%" PRId64 ")",
	    pid);
	assert_int_equal(lsn_pgtmp_exec(sfx_pg, "postgres", sql), 0);
	lsn_log_capture_start();
	sfx_ins(st, 2, "two", "x", 1, 5, 0, LSN_ECLOSED);
	lsn_log_capture_stop();
	lsn_store_close(&st);
}

/* A statement failing inside a transaction: commit reports it. */
static void
test_pg_failed_tx(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	assert_ok(lsn_store_begin(st));
	sfx_ins(st, 2, "two", "x", 1, 5, 0, LSN_OK);
	sfx_ins(st, 1, "uno", "x", 1, 5, 0, LSN_EEXIST);
	lsn_log_capture_start();
	assert_err(lsn_store_commit(st), LSN_EDB);
	lsn_log_capture_stop();
	assert_false(lsn_store_in_tx(st));
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 1);
	lsn_store_close(&st);
}

#define PG(t) cmocka_unit_test_setup_teardown(t, sfx_setup_pg, sfx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		PG(test_pg_readonly_server),
		PG(test_pg_standby),
		PG(test_pg_failover),
		PG(test_pg_wrong_password),
		PG(test_pg_unreachable),
		PG(test_pg_silent_host),
		PG(test_pg_connection_lost),
		PG(test_pg_concurrent_open),
		PG(test_pg_failed_tx),
	};

	return (cmocka_run_group_tests(tests, sfx_group_setup,
	    sfx_group_teardown));
}
