/*
 * test_damaged_db.c -- the real daemons refuse a damaged database at start
 * and name the file: zero bytes (a crash while it was created, a bad copy,
 * a full disk), truncated, not a database, another program's database.
 * An empty file becomes a new database only with --init. The integrity
 * check runs after an unclean stop (kill -9), not after a clean one.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define RUN_MS	30000	/* a refused start exits at once; generous */

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	int			 refused;	/* figures */
};


static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* Runs the broker (flag: NULL or "--init") to its exit; its status. */
static int
run_broker(struct env *e, const char *flag)
{
	char	*bin, *argv[6];
	int	 n = 0, rv;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[n++] = bin;
	argv[n++] = lsn_proc_mut("-d");
	if (flag != NULL)
		argv[n++] = lsn_proc_mut(flag);
	argv[n++] = lsn_proc_mut("-c");
	argv[n++] = e->fx->broker_conf;
	argv[n] = NULL;
	rv = lsn_proc_run(bin, argv, NULL, e->fx->broker_log, RUN_MS);
	free(bin);
	return (rv);
}

static int
run_agent(struct env *e, size_t i)
{
	char	*bin, *argv[5];
	int	 rv;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = e->fx->partners[i].agent_conf;
	argv[4] = NULL;
	rv = lsn_proc_run(bin, argv, NULL, e->fx->partners[i].agent_log,
	    RUN_MS);
	free(bin);
	return (rv);
}

/* The broker refuses its database, damaged as damage() does, with a log
 * line holding the file's name and what. */
static void
broker_refuses(struct env *e, const char *what)
{
	char	want[LSN_FX_PATH_MAX + 64];
	long	off = lsn_proc_file_size(e->fx->broker_log);

	assert_int_equal(run_broker(e, NULL), 1);
	snprintf(want, sizeof(want), "database %s ", e->fx->broker_db);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, want));
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, what));
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, "cannot start"));
	e->refused++;
}

static void
test_broker_damaged_db(void **state)
{
	struct env	*e = *state;
	char		 bak[LSN_FX_PATH_MAX + 8];
	sqlite3		*db = NULL;
	long		 off;
	int		 pid;

	/* A clean stop, then a copy of the whole database. */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	e->broker = -1;
	snprintf(bak, sizeof(bak), "%s.bak", e->fx->broker_db);
	lsn_test_copy_file(e->fx->broker_db, bak);

	/* Zero bytes: refused; --init makes a new database of it. */
	assert_int_equal(truncate(e->fx->broker_db, 0), 0);
	broker_refuses(e, "is empty (0 bytes");
	assert_true(lsn_proc_file_size(e->fx->broker_db) == 0);	/* untouched */
	off = lsn_proc_file_size(e->fx->broker_log);
	{
		char	*bin, *argv[6];

		(void) unlink(e->fx->endpoint_file);
		assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
		argv[0] = bin;
		argv[1] = lsn_proc_mut("-d");
		argv[2] = lsn_proc_mut("--init");
		argv[3] = lsn_proc_mut("-c");
		argv[4] = e->fx->broker_conf;
		argv[5] = NULL;
		pid = (int) lsn_proc_spawn(bin, argv, e->fx->broker_log);
		free(bin);
	}
	assert_true(pid > 0);
	/* A broker with an empty directory serves (waits for genesis). */
	assert_int_equal(lsn_proc_wait_file(e->fx->endpoint_file, 20000,
	    (pid_t) pid), 0);
	assert_int_equal(lsn_proc_stop(pid), 0);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "creating a new database in its place (--init)"));
	assert_true(lsn_proc_file_size(e->fx->broker_db) > 0);

	/* Truncated: whole pages missing, and mid-page. */
	lsn_test_copy_file(bak, e->fx->broker_db);
	assert_int_equal(truncate(e->fx->broker_db,
	    lsn_proc_file_size(e->fx->broker_db) / 2 / 4096 * 4096), 0);
	broker_refuses(e, "is truncated");
	lsn_test_copy_file(bak, e->fx->broker_db);
	assert_int_equal(truncate(e->fx->broker_db, 4096 + 100), 0);
	broker_refuses(e, "is truncated");

	/* Not a database; another program's database. */
	write_file(e->fx->broker_db, "[broker]\nlisten = tcp://*:7710\n");
	broker_refuses(e, "not an SQLite database");
	assert_int_equal(unlink(e->fx->broker_db), 0);
	assert_int_equal(sqlite3_open(e->fx->broker_db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER "
	    "PRIMARY KEY, name TEXT)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	broker_refuses(e, "another program's SQLite database");
	/* --init never replaces a non-empty file. */
	off = lsn_proc_file_size(e->fx->broker_log);
	assert_int_equal(run_broker(e, "--init"), 1);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "another program's"));

	/* The copy back: starts, and a clean stop needs no check. */
	lsn_test_copy_file(bak, e->fx->broker_db);
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &pid, e->ep,
	    sizeof(e->ep)));
	assert_int_equal(lsn_proc_stop(pid), 0);
	off = lsn_proc_file_size(e->fx->broker_log);
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &pid, e->ep,
	    sizeof(e->ep)));
	assert_false(lsn_proc_log_has(e->fx->broker_log, off,
	    "not closed cleanly"));
	/* kill -9: the next start checks the database. */
	(void) lsn_proc_kill9(pid);
	assert_false(lsn_proc_alive(pid));
	off = lsn_proc_file_size(e->fx->broker_log);
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "was not closed cleanly: checking it"));
}

static void
test_agent_damaged_db(void **state)
{
	struct env			*e = *state;
	struct lsn_fixture_partner	*p = &e->fx->partners[0];
	char				 want[LSN_FX_PATH_MAX + 64];
	pid_t				 a;
	long				 off;

	/* A first start creates the database; a clean stop. */
	assert_true((a = agent_it_start(e->fx, 0, e->ep, NULL)) > 0);
	assert_int_equal(lsn_proc_stop(a), 0);
	assert_true(lsn_proc_file_size(p->agent_db) > 0);

	assert_int_equal(truncate(p->agent_db, 0), 0);
	off = lsn_proc_file_size(p->agent_log);
	assert_int_equal(run_agent(e, 0), 1);
	snprintf(want, sizeof(want), "database %s is empty", p->agent_db);
	assert_true(lsn_proc_log_has(p->agent_log, off, want));
	assert_true(lsn_proc_file_size(p->agent_db) == 0);	/* untouched */
	e->refused++;

	/* --init: a new, empty database; the agent serves. */
	{
		char	*bin, *argv[6];

		assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
		argv[0] = bin;
		argv[1] = lsn_proc_mut("-d");
		argv[2] = lsn_proc_mut("--init");
		argv[3] = lsn_proc_mut("-c");
		argv[4] = p->agent_conf;
		argv[5] = NULL;
		a = lsn_proc_spawn(bin, argv, p->agent_log);
		free(bin);
	}
	assert_true(a > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 0, 20000));
	assert_true(lsn_proc_log_has(p->agent_log, off,
	    "creating a new database in its place (--init)"));
	assert_int_equal(lsn_proc_stop(a), 0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		printf("FIGURES damaged databases refused at start: %d\n",
		    e->refused);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broker_damaged_db),
		cmocka_unit_test(test_agent_damaged_db),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
