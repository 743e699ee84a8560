/*
 * test_broker_epoch.c -- a broker restored from an older backup, with real
 * processes: A sends to B, the broker's directory is copied aside (the
 * backup), A sends more (some delivered to B, some only acknowledged while
 * B is offline), the broker is stopped and the backup put back. The
 * restored broker has lost what it acknowledged after the backup; the
 * agents see its new epoch: B must get every message exactly once
 * (counted by message id at the integrator API) and A's status must carry
 * the re-sync alert.
 *
 * A broker started empty: its database is lost and it starts on a new
 * one. It refuses every agent (no directory); the agents keep their
 * replicas. The operator rebuilds the directory from an agent's replica
 * (`liaison admin export-log`, then `liaison admin apply` to a new
 * database, operations.md) and starts the broker again: the same log,
 * the same head. The agents see the new epoch and re-publish; B gets
 * every message once, and the flow goes on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define NBEFORE		3	/* before the backup */
#define NDELIVERED	2	/* after it, delivered */
#define NOFFLINE	3	/* after it, B offline */
#define NMSG		(NBEFORE + NDELIVERED + NOFFLINE)
#define NLATE		2	/* ops re-submitted late */

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	pid_t			 agents[2];
	char			 ep[256];
	uint8_t			 ids[NMSG][16];
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
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, e->ep, NULL));
	for (size_t i = 0; i < 2; i++) {
		e->agents[i] = agent_it_start(e->fx, i, e->ep, NULL);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
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
restart_broker(struct env *e)
{
	char	ep[256];

	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, ep,
	    sizeof(ep)));
	assert_string_equal(ep, e->ep);
}

/* Copies D/broker to D/<to> (the backup) or back (restore != 0). */
static void
broker_copy(struct env *e, int restore)
{
	char	cmd[2048];

	if (restore)
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/broker' && cp -a "
		    "'%s/broker.bak' '%s/broker'", e->fx->dir, e->fx->dir,
		    e->fx->dir);
	else
		snprintf(cmd, sizeof(cmd), "cp -a '%s/broker' "
		    "'%s/broker.bak'", e->fx->dir, e->fx->dir);
	assert_int_equal(system(cmd), 0);
}

static void
send_n(struct env *e, size_t from, size_t n)
{
	char	text[64];
	int	st = 0, code = 0;

	for (size_t k = from; k < from + n; k++) {
		snprintf(text, sizeof(text), "synthetic note %zu", k);
		assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
		    text, e->ids[k]));
	}
	for (size_t k = from; k < from + n; k++) {
		assert_ok(agent_it_wait_outbox(e->fx, 0, e->ids[k], 30000,
		    &st, &code));
		assert_int_equal(st,
		    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	}
}

/* B's inbox holds ids[0..n), each exactly once, and nothing else. */
static void
check_inbox_n(struct env *e, size_t want)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + 30000;
	size_t				 n = 0, found;

	while (lsn_mono_ms() < deadline) {
		assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
		assert_non_null(r->inbox_list);
		n = r->inbox_list->n_items;
		lsn_client_response_free(&r);
		if (n >= want)
			break;
		lsn_proc_sleep_ms(100);
	}
	lsn_proc_sleep_ms(500);	/* anything more would show now */
	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	n = r->inbox_list->n_items;
	if (n != want)
		fail_msg("B's inbox holds %zu messages, %zu expected", n, want);
	for (size_t m = 0; m < want; m++) {
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
test_broker_restored_from_backup_loses_and_duplicates_nothing(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r = NULL;
	int				 alerted = 0;

	send_n(e, 0, NBEFORE);
	assert_ok(agent_it_wait_inbox(e->fx, 1, NBEFORE, 30000));
	/* the backup: a stopped broker's database, WAL and audit head */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	broker_copy(e, 0);
	restart_broker(e);
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
	send_n(e, NBEFORE, NDELIVERED);
	assert_ok(agent_it_wait_inbox(e->fx, 1, NBEFORE + NDELIVERED, 30000));
	assert_int_equal(lsn_proc_stop(e->agents[1]), 0);
	send_n(e, NBEFORE + NDELIVERED, NOFFLINE);	/* acked, queued */
	/* the restore */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	broker_copy(e, 1);
	restart_broker(e);
	e->agents[1] = agent_it_start(e->fx, 1, e->ep, NULL);
	assert_true(e->agents[1] > 0);
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, 15000));
	check_inbox_n(e, NMSG);
	assert_ok(agent_it_status(e->fx, 0, &r));
	assert_non_null(r->status);
	for (size_t k = 0; k < r->status->n_alerts; k++)
		if (strstr(r->status->alerts[k], "broker re-sync") != NULL)
			alerted = 1;
	lsn_client_response_free(&r);
	assert_true(alerted);
}

/* Runs `liaison` with args (NULL-terminated); it must exit 0. Its
 * output in *out (caller frees) when out is not NULL. */
static void
cli(const char *const *args, char **out)
{
	char	*bin, *argv[16];
	size_t	 n = 0;
	int	 st;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[n++] = bin;
	for (; *args != NULL && n < 15; args++)
		argv[n++] = (char *) (uintptr_t) *args;
	argv[n] = NULL;
	st = lsn_proc_run(bin, argv, out, NULL, 30000);
	free(bin);
	if (st != 0)
		fail_msg("liaison %s %s: exit %d", argv[1], argv[2], st);
}

/* Splits the op file all into its first ops (pre) and its last nlate. */
static void
split_ops(const char *all, const char *pre, const char *late, size_t nlate)
{
	struct lsn_dirop_batch	*b = NULL, *h = NULL, *t = NULL;
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	assert_ok(lsn_file_read(all, LSN_DIROP_BATCH_MAX, &buf, &len));
	assert_ok(lsn_dirop_batch_load(buf, len, &b));
	free(buf);
	assert_true(b->n > nlate);
	assert_ok(lsn_dirop_batch_new(&h));
	assert_ok(lsn_dirop_batch_new(&t));
	for (size_t i = 0; i < b->n; i++)
		assert_ok(lsn_dirop_batch_add(i < b->n - nlate ? h : t,
		    b->ops[i], b->lens[i]));
	assert_ok(lsn_dirop_batch_save(h, 0, &buf, &len));
	assert_ok(lsn_file_write_atomic(pre, buf, len, 0644));
	free(buf);
	assert_ok(lsn_dirop_batch_save(t, 0, &buf, &len));
	assert_ok(lsn_file_write_atomic(late, buf, len, 0644));
	free(buf);
	lsn_dirop_batch_free(&b);
	lsn_dirop_batch_free(&h);
	lsn_dirop_batch_free(&t);
}

/* The broker's database lost: the file, its log, its audit head. */
static void
broker_wipe(struct env *e)
{
	char	cmd[4 * LSN_FX_PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s-wal' '%s-shm' "
	    "'%s.audit-head'", e->fx->broker_db, e->fx->broker_db,
	    e->fx->broker_db, e->fx->broker_db);
	assert_int_equal(system(cmd), 0);
}

/* Agent i's replica head rev; *halted: an alert says it halted;
 * *resynced: the re-sync alert; *behind: the "broker behind" alert. */
static uint64_t
replica_rev(struct env *e, size_t i, int *halted, int *resynced,
    int *behind)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 rev;

	assert_ok(agent_it_status(e->fx, i, &r));
	assert_non_null(r->status);
	assert_non_null(r->status->dir_head);
	rev = r->status->dir_head->rev;
	*halted = *resynced = *behind = 0;
	for (size_t k = 0; k < r->status->n_alerts; k++) {
		if (strstr(r->status->alerts[k], "halted") != NULL)
			*halted = 1;
		if (strstr(r->status->alerts[k], "is behind the replica") !=
		    NULL)
			*behind = 1;
		if (strstr(r->status->alerts[k], "broker re-sync") != NULL)
			*resynced = 1;
	}
	lsn_client_response_free(&r);
	return (rev);
}

/* 1 once agent i's status says it is not connected and was refused. */
static int
refused(struct env *e, size_t i)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 found = 0;

	for (int t = 0; t < 200 && !found; t++) {
		assert_ok(agent_it_status(e->fx, i, &r));
		assert_non_null(r->status);
		for (size_t k = 0; k < r->status->n_alerts; k++)
			if (!r->status->connected && strstr(
			    r->status->alerts[k], "refused") != NULL)
				found = 1;
		lsn_client_response_free(&r);
		if (!found)
			lsn_proc_sleep_ms(50);
	}
	return (found);
}

static void
test_broker_started_empty_loses_and_duplicates_nothing(void **state)
{
	struct env	*e = *state;
	char		 ops[LSN_FX_PATH_MAX + 32], pre[LSN_FX_PATH_MAX + 32];
	char		 late[LSN_FX_PATH_MAX + 32], want[64], *out = NULL;
	uint64_t	 rev0;
	int		 halted, resynced, behind;
	const char	*exp[] = { "admin", "export-log", "--db",
			    e->fx->partners[0].agent_db, "--out", ops, NULL };
	const char	*app[] = { "admin", "apply", pre, "--db",
			    e->fx->broker_db, NULL };
	const char	*sub[] = { "submit", late, "-c",
			    e->fx->partners[0].agent_conf, NULL };

	snprintf(ops, sizeof(ops), "%s/directory.ops", e->fx->dir);
	snprintf(pre, sizeof(pre), "%s/directory-first.ops", e->fx->dir);
	snprintf(late, sizeof(late), "%s/directory-late.ops", e->fx->dir);
	send_n(e, 0, NBEFORE);
	assert_ok(agent_it_wait_inbox(e->fx, 1, NBEFORE, 30000));
	rev0 = replica_rev(e, 0, &halted, &resynced, &behind);
	assert_true(rev0 > NLATE);
	assert_int_equal(lsn_proc_stop(e->agents[1]), 0);
	send_n(e, NBEFORE, NOFFLINE);	/* acked, queued */
	/* the disk is lost: the broker starts on a new, empty database */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	broker_wipe(e);
	restart_broker(e);
	/* it knows nobody: A is refused (its status says so) and keeps
	 * its replica */
	assert_true(refused(e, 0));
	assert_int_equal(replica_rev(e, 0, &halted, &resynced, &behind),
	    rev0);
	assert_false(halted);
	/* the operator rebuilds the directory from A's replica; first
	 * without its last NLATE ops (a broker behind the replicas) */
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	broker_wipe(e);
	cli(exp, NULL);
	split_ops(ops, pre, late, NLATE);
	cli(app, NULL);
	restart_broker(e);
	e->agents[1] = agent_it_start(e->fx, 1, e->ep, NULL);
	assert_true(e->agents[1] > 0);
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
	/* the messages flow again: each once */
	check_inbox_n(e, NBEFORE + NOFFLINE);
	/* the replicas keep their ops: no roll back, no halt, an alert */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(replica_rev(e, i, &halted, &resynced,
		    &behind), rev0);
		assert_false(halted);
		assert_true(behind);
		if (i == 0)
			assert_true(resynced);
	}
	/* the late ops through an agent: the broker's log is the same
	 * again (the replicas would halt on a different entry) */
	cli(sub, &out);
	snprintf(want, sizeof(want), "op %d accepted: rev %llu\n", NLATE,
	    (unsigned long long) rev0);
	if (strstr(out, want) == NULL)
		fail_msg("liaison submit: %s(expected: %s)", out, want);
	printf("broker epoch: started empty, late ops re-submitted:\n%s",
	    out);
	free(out);
	send_n(e, NBEFORE + NOFFLINE, 1);
	check_inbox_n(e, NBEFORE + NOFFLINE + 1);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(replica_rev(e, i, &halted, &resynced,
		    &behind), rev0);
		assert_false(halted);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_broker_restored_from_backup_loses_and_duplicates_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_started_empty_loses_and_duplicates_nothing,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
