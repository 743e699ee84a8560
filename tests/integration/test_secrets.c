/*
 * test_secrets.c -- how the daemons keep their secrets (issue 13, item 8),
 * checked from outside on real processes:
 *
 *   files      after traffic, every file the broker and an agent created
 *              (databases, WAL, shared memory, locks) is 0600 or
 *              stricter, although the test runs them with umask 022
 *   core       /proc/PID/limits shows a core size of 0 (soft and hard)
 *              although the test raised its own soft limit first
 *   key files  a daemon refuses to start when any secret key file it
 *              loads is group-readable (agent sign, encrypt, transport;
 *              broker sign, transport)
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	int			 broker;
	char			 ep[256];
};


static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

static void
start_broker(struct env *e)
{
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
}

/* Fails unless path is absent or has no group/other bits. */
static void
assert_private(const char *path, int must_exist)
{
	struct stat	st;

	if (stat(path, &st) != 0) {
		if (must_exist)
			print_error("%s: %s\n", path, strerror(errno));
		assert_false(must_exist);
		return;
	}
	if ((st.st_mode & 077) != 0)
		print_error("%s has mode %04o\n", path,
		    (unsigned) (st.st_mode & 07777));
	assert_int_equal(st.st_mode & 077, 0);
}

static void
assert_db_private(const char *db)
{
	char	p[LSN_FX_PATH_MAX + 16];

	assert_private(db, 1);
	snprintf(p, sizeof(p), "%s-wal", db);
	assert_private(p, 0);
	snprintf(p, sizeof(p), "%s-shm", db);
	assert_private(p, 0);
	snprintf(p, sizeof(p), "%s.lock", db);
	assert_private(p, 0);
}

static void
test_secrets_files_private_after_traffic(void **state)
{
	struct env	*e = *state;
	uint8_t		 id[16];
	int		 st = 0, code = 0;

	umask(022);
	start_broker(e);
	assert_true(agent_it_start(e->fx, 0, e->ep, NULL) > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 30000));
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, 30000));
	assert_ok(agent_it_send(e->fx, 0, "p02", NULL, "synthetic note",
	    id));
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, 30000, &st, &code));
	assert_ok(agent_it_wait_inbox(e->fx, 1, 1, 30000));
	assert_db_private(e->fx->broker_db);
	assert_db_private(e->fx->partners[0].agent_db);
	assert_db_private(e->fx->partners[1].agent_db);
}

/* The "Max core file size" soft and hard values of pid. */
static void
core_limit(pid_t pid, char *soft, char *hard)
{
	char	 path[64], line[256];
	FILE	*f;
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int) pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Max core file size", 18) == 0 &&
		    sscanf(line + 18, "%31s %31s", soft, hard) == 2)
			found = 1;
	fclose(f);
	assert_true(found);
}

static void
test_secrets_no_core_dump(void **state)
{
	struct env	*e = *state;
	struct rlimit	 rl;
	char		 soft[32], hard[32];
	pid_t		 agent;

	/* let the daemons inherit a permissive core limit */
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_CORE, &rl), 0);
	start_broker(e);
	assert_true((agent = agent_it_start(e->fx, 0, e->ep, NULL)) > 0);
	core_limit(getpid(), soft, hard);
	assert_string_not_equal(soft, "0");	/* the method sees a limit */
	core_limit(e->broker, soft, hard);
	assert_string_equal(soft, "0");
	assert_string_equal(hard, "0");
	core_limit(agent, soft, hard);
	assert_string_equal(soft, "0");
	assert_string_equal(hard, "0");
}

/* Runs the daemon bin with -d -c conf; its exit status, -1 if it ran on
 * (it is killed after 10 s). */
static int
run_daemon(const char *rel, const char *conf, const char *log)
{
	char	*bin, *argv[5];
	int	 rv;

	assert_non_null(bin = lsn_proc_bin(rel));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = lsn_proc_mut(conf);
	argv[4] = NULL;
	rv = lsn_proc_run(bin, argv, NULL, log, 10000);
	free(bin);
	return (rv);
}

static int
log_has(const char *path, const char *s)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 found;

	if (lsn_file_read(path, 16 << 20, &buf, &len) != LSN_OK)
		return (0);
	found = strstr((char *) buf, s) != NULL;
	free(buf);
	return (found);
}

static void
test_secrets_readable_key_file_refused(void **state)
{
	struct env		*e = *state;
	struct lsn_fixture_partner *p = &e->fx->partners[0];
	static const char	*names[] = { "sign.key", "encrypt.key",
				    "transport.key" };
	char			 key[LSN_FX_PATH_MAX + 32];
	char			 log[LSN_FX_PATH_MAX + 32];

	start_broker(e);
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep, NULL));
	for (size_t i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s/%s", p->dir, names[i]);
		snprintf(log, sizeof(log), "%s/refused-%zu.log", p->dir, i);
		assert_int_equal(chmod(key, 0640), 0);
		if (run_daemon(LSN_BIN_AGENT, p->agent_conf, log) <= 0) {
			print_error("agent started with %s 0640\n", key);
			fail();
		}
		assert_true(log_has(log, names[i]));
		assert_true(log_has(log, lsn_strerror(LSN_EFILEPERM)));
		assert_int_equal(chmod(key, 0600), 0);
	}
	/* the broker, with each of its two secret key files */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	for (size_t i = 0; i < 2; i++) {
		const char *k = i == 0 ? e->fx->broker_sign_key :
		    e->fx->broker_transport_key;

		snprintf(log, sizeof(log), "%s/refused-%zu.log",
		    e->fx->broker_dir, i);
		assert_int_equal(chmod(k, 0604), 0);
		if (run_daemon(LSN_BIN_BROKER, e->fx->broker_conf, log) <= 0) {
			print_error("broker started with %s 0604\n", k);
			fail();
		}
		assert_true(log_has(log, lsn_strerror(LSN_EFILEPERM)));
		assert_int_equal(chmod(k, 0600), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_secrets_files_private_after_traffic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_secrets_no_core_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_secrets_readable_key_file_refused, setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
