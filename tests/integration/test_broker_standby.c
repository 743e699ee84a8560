/*
 * test_broker_standby.c -- two brokers on one PostgreSQL store (a
 * throwaway server, pgtmp), real processes: the first is active, the
 * second a standby that binds no peer port and says "standby" on its
 * control socket. The active broker is then paused (SIGSTOP): its session
 * stays open on the server, so the standby must end it once the lease is
 * LEADER_TTL_MS old and take over with the next epoch; the agents (both
 * endpoints listed) follow. When the paused broker resumes (SIGCONT) it
 * finds its session gone, commits nothing and becomes a standby in the
 * same process. Every note is delivered once.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"
#include "pgtmp.h"

#define NBEFORE		5
#define NDURING		5
#define NMSG		(NBEFORE + NDURING)

struct env {
	struct lsn_fixture	*fx;
	struct lsn_pgtmp	*pg;
	char			 uri[256];
	pid_t			 broker[2];
	int			 port[2];
	char			 bdir[2][LSN_FX_PATH_MAX + 8];
	char			 conf[2][LSN_FX_PATH_MAX + 32];
	char			 log[2][LSN_FX_PATH_MAX + 32];
	char			 ctl[2][LSN_FX_PATH_MAX + 48];
	char			 eps[256];
	pid_t			 agents[2];
	uint8_t			 ids[NMSG][16];
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
free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return (port);
}

/* 1 if something accepts TCP connections on 127.0.0.1:port. */
static int
listening(int port)
{
	struct sockaddr_in	sa;
	int			fd, yes;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	yes = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	close(fd);
	return (yes);
}

static int
copy_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	char	why[LSN_DIR_WHY_MAX] = "";
	int	rv;

	if ((rv = lsn_dir_apply_entry(arg, entry, len, why, sizeof(why))) !=
	    LSN_OK)
		fprintf(stderr, "directory rev %llu: %s (%s)\n",
		    (unsigned long long) rev, lsn_strerror(rv), why);
	return (rv);
}

static void
dir_to_pg(struct env *e)
{
	struct lsn_store	*src = NULL, *dst = NULL;
	struct lsn_dir		*ds = NULL, *dd = NULL;

	assert_ok(lsn_store_open(e->fx->broker_db, lsn_dir_migrations, 0,
	    &src));
	assert_ok(lsn_dir_open(src, &ds));
	assert_ok(lsn_store_open(e->uri, lsn_dir_migrations, 0, &dst));
	assert_ok(lsn_dir_open(dst, &dd));
	assert_ok(lsn_dir_entries_after(ds, 0, 0, copy_entry, dd));
	lsn_dir_close(&dd);
	lsn_store_close(&dst);
	lsn_dir_close(&ds);
	lsn_store_close(&src);
}

static void
broker_conf(struct env *e, int i)
{
	FILE	*fp;

	snprintf(e->bdir[i], sizeof(e->bdir[i]), "%s/bk%d", e->fx->dir, i);
	assert_int_equal(mkdir(e->bdir[i], 0700), 0);
	snprintf(e->conf[i], sizeof(e->conf[i]), "%s/broker.conf", e->bdir[i]);
	snprintf(e->log[i], sizeof(e->log[i]), "%s/broker.log", e->bdir[i]);
	snprintf(e->ctl[i], sizeof(e->ctl[i]), "ipc://%s/control.sock",
	    e->bdir[i]);
	assert_non_null(fp = fopen(e->conf[i], "w"));
	fprintf(fp, "[broker]\nlisten = tcp://127.0.0.1:%d\n"
	    "endpoint_file = %s/endpoint\ndb = %s\nsign_key = %s\n"
	    "transport_key = %s\naudit_head = %s/audit-head\n"
	    "control = %s\nheartbeat_ms = 1s\n", e->port[i], e->bdir[i],
	    e->uri, e->fx->broker_sign_key, e->fx->broker_transport_key,
	    e->bdir[i], e->ctl[i]);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(e->conf[i], 0600), 0);
}

static pid_t
broker_start(struct env *e, int i)
{
	char	*bin, *argv[6];
	pid_t	 pid;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = mut("-d");
	argv[2] = mut("-v");
	argv[3] = mut("-c");
	argv[4] = e->conf[i];
	argv[5] = NULL;
	pid = lsn_proc_spawn(bin, argv, e->log[i]);
	free(bin);
	assert_true(pid > 0);
	return (pid);
}

/* broker i's status JSON into buf ("" when it does not answer). */
static void
bstatus(struct env *e, int i, char *buf, size_t bufsz)
{
	char	*bin, *argv[6], *out = NULL;

	buf[0] = '\0';
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[0] = bin;
	argv[1] = mut("broker-status");
	argv[2] = mut("--json");
	argv[3] = mut("--control");
	argv[4] = e->ctl[i];
	argv[5] = NULL;
	if (lsn_proc_run(bin, argv, &out, "/dev/null", 5000) == 0 &&
	    out != NULL)
		lsn_strlcpy(buf, out, bufsz);
	free(out);
	free(bin);
}

/* Waits until broker i reports role (and the epoch, if epoch >= 0). */
static int
wait_role(struct env *e, int i, const char *role, long long epoch,
    int timeout_ms)
{
	uint64_t	 end = lsn_mono_ms() + (uint64_t) timeout_ms;
	char		 want[64], s[8192];
	const char	*p;
	long long	 got;
	int		 ok;

	snprintf(want, sizeof(want), "\"role\":\"%s\"", role);
	while (lsn_mono_ms() < end) {
		ok = 0;
		bstatus(e, i, s, sizeof(s));
		if (strstr(s, want) != NULL &&
		    strstr(s, "\"backend\":\"postgresql\"") != NULL) {
			got = -1;
			if ((p = strstr(s, "\"epoch\":")) != NULL)
				got = strtoll(p + 8, NULL, 10);
			ok = epoch < 0 || got == epoch;
		}
		if (ok)
			return (1);
		lsn_proc_sleep_ms(200);
	}
	return (0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	*state = e;
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_int_equal(lsn_pgtmp_start("liaison", &e->pg), 0);
	lsn_pgtmp_uri(e->pg, "postgres", "liaison", e->uri, sizeof(e->uri));
	dir_to_pg(e);
	for (int i = 0; i < 2; i++) {
		assert_true((e->port[i] = free_port()) > 0);
		broker_conf(e, i);
	}
	snprintf(e->eps, sizeof(e->eps), "tcp://127.0.0.1:%d,"
	    "tcp://127.0.0.1:%d", e->port[0], e->port[1]);
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_pgtmp_stop(&e->pg);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

static void
send_n(struct env *e, size_t from, size_t n)
{
	int	st = 0, code = 0;

	for (size_t k = from; k < from + n; k++)
		assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
		    "synthetic standby note", e->ids[k]));
	for (size_t k = from; k < from + n; k++) {
		assert_ok(agent_it_wait_outbox(e->fx, 0, e->ids[k], 60000,
		    &st, &code));
		assert_int_equal(st,
		    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	}
}

static void
check_inbox_once(struct env *e)
{
	Liaison__V1__ApiResponse	*r = NULL;
	size_t				 n, found;

	assert_ok(agent_it_wait_inbox(e->fx, 1, NMSG, 30000));
	lsn_proc_sleep_ms(500);
	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	n = r->inbox_list->n_items;
	if (n != NMSG)
		fail_msg("B's inbox holds %zu messages, %d expected", n, NMSG);
	for (size_t m = 0; m < NMSG; m++) {
		found = 0;
		for (size_t k = 0; k < n; k++)
			if (r->inbox_list->items[k]->message_id.len == 16 &&
			    memcmp(r->inbox_list->items[k]->message_id.data,
			    e->ids[m], 16) == 0)
				found++;
		if (found != 1)
			fail_msg("message %zu is in B's inbox %zu times", m,
			    found);
	}
	lsn_client_response_free(&r);
}

static void
test_paused_leader_is_replaced_and_steps_down(void **state)
{
	struct env	*e = *state;
	uint64_t	 t0;

	e->broker[0] = broker_start(e, 0);
	assert_true(wait_role(e, 0, "active", 1, 20000));
	e->broker[1] = broker_start(e, 1);
	assert_true(wait_role(e, 1, "standby", 1, 20000));
	/* a standby binds no peer port */
	assert_true(listening(e->port[0]));
	assert_false(listening(e->port[1]));
	for (size_t i = 0; i < 2; i++) {
		e->agents[i] = agent_it_start(e->fx, i, e->eps, NULL);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 30000));
	send_n(e, 0, NBEFORE);

	/* paused: its server session (and the lock) stay */
	assert_int_equal(lsn_proc_signal(e->broker[0], SIGSTOP), 0);
	t0 = lsn_mono_ms();
	assert_true(wait_role(e, 1, "active", 2, 30000));
	printf("standby: the paused broker's lease taken over after %.1f s\n",
	    (double) (lsn_mono_ms() - t0) / 1000.0);
	send_n(e, NBEFORE, NDURING);

	/* resumed: its session was terminated; it commits nothing and
	 * becomes a standby in the same process */
	assert_int_equal(lsn_proc_signal(e->broker[0], SIGCONT), 0);
	if (!wait_role(e, 0, "standby", 2, 20000)) {
		lsn_proc_dump_log(e->log[0], 4000);
		fail_msg("the resumed broker did not become a standby");
	}
	assert_true(lsn_proc_alive(e->broker[0]));
	assert_true(wait_role(e, 1, "active", 2, 5000));
	check_inbox_once(e);
	/* a clean stop of the standby and of the active broker */
	assert_int_equal(lsn_proc_stop(e->broker[0]), 0);
	assert_int_equal(lsn_proc_stop(e->broker[1]), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_paused_leader_is_replaced_and_steps_down, setup,
		    teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	(void) signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
