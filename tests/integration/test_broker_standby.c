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
#include "lsn_bpair.h"
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
	struct lsn_bpair	 bp;	/* their ports, dirs and logs */
	char			 eps[256];
	pid_t			 agents[2];
	uint8_t			 ids[NMSG][16];
};

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
		lsn_bpair_status(&e->bp, i, s, sizeof(s));
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
	lsn_bpair_dir_copy(e->fx, e->uri);
	for (int i = 0; i < 2; i++)
		lsn_bpair_conf(&e->bp, e->fx, i, e->uri);
	snprintf(e->eps, sizeof(e->eps), "tcp://127.0.0.1:%d,"
	    "tcp://127.0.0.1:%d", e->bp.port[0], e->bp.port[1]);
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

	e->broker[0] = lsn_bpair_start(&e->bp, 0);
	assert_true(wait_role(e, 0, "active", 1, 20000));
	e->broker[1] = lsn_bpair_start(&e->bp, 1);
	assert_true(wait_role(e, 1, "standby", 1, 20000));
	/* a standby binds no peer port */
	assert_true(listening(e->bp.port[0]));
	assert_false(listening(e->bp.port[1]));
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
		lsn_proc_dump_log(e->bp.log[0], 4000);
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
