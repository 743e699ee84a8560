/*
 * test_io_sweep.c -- the Nth-operation I/O sweep on the real broker: for
 * each I/O call on its database files (open, read, write, fsync,
 * ftruncate, mmap, rename) and N = 1..K, the Nth call fails (once with
 * EIO, or from then on with ENOSPC) through tests/faults/fsfault.c's
 * Nth-call mode. The broker must either stop at start with exit status 1
 * and "cannot start" in its log, or run: then a partner publishes 3
 * notes. Afterwards the broker is started without faults on the same
 * files and must come up; every note it acknowledged must be there; a
 * note answered E_DB or not answered at all, retried with the same
 * envelope as the agent's outbox does, must be accepted and held once; a
 * note refused for good must not be held. (An E_DB note may be found
 * stored: after an fsync failure the commit's outcome is unknown; the
 * message id makes the retry harmless. The figure says how often.)
 *
 * test_io_sweep_fsync counts the fsyncs from the first publish on
 * (LSN_FAULT_ARM), so every point hits the commit of a publish turn:
 * PostgreSQL's rule (docs/reliability.md) -- a commit whose sync failed
 * stops the broker by itself (status 1, one line naming its database),
 * that turn unanswered, the next start checks the database -- and what
 * the senders see: nothing acknowledged lost, nothing delivered twice,
 * nothing refused for good delivered later (read as the recipient).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define K_NORMAL	3
#define K_ASAN		2
#define NPUB		3
#define NARM		4	/* publishes of an armed point; #BAD is */
#define BAD		1	/* addressed to nobody: refused for good */
#define K_ARMED		4	/* fsyncs counted from the broker serving */
#define K_ARMED_ASAN	2

static const char *const ops[] = {
	"open", "read", "write", "fsync", "ftruncate", "mmap", "rename"
};
static const char *const modes[] = { "once:eio", "perm:enospc" };
static const char *const armed_modes[] = { "once:eio", "perm:eio" };

/* the armed fsync sweep's figures (test_io_sweep_fsync) */
struct armed {
	int	points, indoubt, carried, kept_on, unchecked;
	int	acked, retried, final, lost, dup, final_delivered;
};

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
	int			 indoubt, final;
	int			 retried;
	char			 arm[LSN_FX_PATH_MAX + 16];
	int			 ka;
	struct armed		 a;
};


/* Starts the broker (with the fault when nth is not NULL); 0 when it is
 * up, else its exit status. */
static int
broker_start(struct env *e, const char *nth, const char *arm, pid_t *pidp)
{
	char	*bin, *argv[5];
	pid_t	 pid;
	int	 st;

	(void) unlink(e->fx->endpoint_file);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = e->fx->broker_conf;
	argv[4] = NULL;
	if (nth != NULL) {
		assert_int_equal(setenv("LD_PRELOAD", e->preload, 1), 0);
		assert_int_equal(setenv("LSN_FAULT_MATCH", "broker/broker.db",
		    1), 0);
		assert_int_equal(setenv("LSN_FAULT_NTH", nth, 1), 0);
		if (arm != NULL)
			assert_int_equal(setenv("LSN_FAULT_ARM", arm, 1), 0);
	}
	pid = lsn_proc_spawn(bin, argv, e->fx->broker_log);
	(void) unsetenv("LD_PRELOAD");
	(void) unsetenv("LSN_FAULT_MATCH");
	(void) unsetenv("LSN_FAULT_NTH");
	(void) unsetenv("LSN_FAULT_ARM");
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

/*
 * The agent's outbox (agent/outbox.c transient()): these answers leave
 * a message pending, sent again with the same id; any other refusal is
 * final for the sender.
 */
static int
transient(int code)
{
	return (code == LSN_EDB || code == LSN_EAGAIN ||
	    code == LSN_EINTERNAL || code == LSN_ENOMEM ||
	    code == LSN_ETIMEDOUT || code == LSN_ERATE);
}

/* Publishes env and waits for its PublishAck while the broker runs:
 * *code is the answer (LSN_ETIMEDOUT when none came), *exited the
 * broker's exit status once it stopped by itself (else -2). */
static void
publish_watch(void *sock, pid_t pid, const uint8_t *env, size_t len,
    int *code, int *exited)
{
	Liaison__V1__Frame	*a = NULL;

	*code = LSN_ETIMEDOUT;
	if (*exited != -2 || lsn_fixture_publish_raw(sock, env, len) != LSN_OK)
		return;
	for (int i = 0; i < 50 && *exited == -2; i++) {
		if (lsn_fixture_recv_kind(sock,
		    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, 200, &a) == LSN_OK) {
			*code = lsn_err_from_wire(a->publish_ack->has_code ?
			    (int) a->publish_ack->code : 0);
			liaison__v1__frame__free_unpacked(a, NULL);
			return;
		}
		*exited = lsn_proc_wait(pid, 0);
	}
}

/* Fresh files: the base database with its signed audit head (the head
 * belongs to the database: a copy without it would be a cut the broker
 * rightly refuses), no log, no index. */
static void
fresh_files(struct env *e)
{
	char	aux[LSN_FX_PATH_MAX + 8];

	lsn_test_copy_file(e->base, e->fx->broker_db);
	if (access(e->base_head, F_OK) == 0)
		lsn_test_copy_file(e->base_head, e->head);
	else
		(void) unlink(e->head);
	snprintf(aux, sizeof(aux), "%s-wal", e->fx->broker_db);
	(void) unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", e->fx->broker_db);
	(void) unlink(aux);
}

/* One fault point: run with the fault, publish, restart clean, check.
 * Long: the steps of one point read best in order. */
static void
one_point(struct env *e, const char *nth)
{
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			 ids[NPUB][16], *envs[NPUB] = { NULL };
	size_t			 lens[NPUB];
	int			 codes[NPUB], st, exited = -2;
	void			*sock = NULL;
	pid_t			 pid;
	long			 off;
	void			*again = NULL;
	int			 code;

	fresh_files(e);
	e->points++;
	off = lsn_proc_file_size(e->fx->broker_log);
	st = broker_start(e, nth, NULL, &pid);
	if (st != 0) {
		/* Stopped at start: with a clear error, not a crash. */
		if (st != 1 || !lsn_proc_log_has(e->fx->broker_log, off,
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
		if (lsn_fixture_hello(sock, 0, 10000, NULL) != LSN_OK)
			exited = -3;	/* no session: nothing is sent */
		for (int i = 0; i < NPUB; i++) {
			assert_ok(lsn_fixture_envelope(e->fx, 0, &m, ids[i],
			    &envs[i], &lens[i]));
			publish_watch(sock, pid, envs[i], lens[i], &codes[i],
			    &exited);
		}
		zmq_close(sock);
		if (exited == -2 || exited == -3)
			st = lsn_proc_stop(pid);
		else
			st = exited;
		if (st != 0 && st != 1)
			fail_msg("%s: the broker ended with status %d", nth,
			    st);
		/* PostgreSQL's rule: a commit in doubt stops the broker */
		if (lsn_proc_log_has(e->fx->broker_log, off,
		    "the sync failed after the write")) {
			e->indoubt++;
			if (exited != 1) {
				lsn_proc_dump_log(e->fx->broker_log, 3000);
				fail_msg("%s: a commit failed at its sync and "
				    "the broker did not stop by itself", nth);
			}
		}
	}
	/* Without faults, on the same files. */
	st = broker_start(e, NULL, NULL, &pid);
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
		} else if (!transient(codes[i])) {
			/* refused for good: the sender gives it up */
			e->final++;
			if (held(e, ids[i]))
				fail_msg("%s: a note refused with %s is held",
				    nth, lsn_errname(codes[i]));
		} else {
			/* Not acknowledged (E_DB, no answer): the publisher
			 * retries the same envelope (the agent's outbox
			 * does); it must be accepted and held once, whether
			 * or not the failed commit reached the disk (an
			 * fsync failure leaves the outcome unknown). */
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
				fail_msg("%s: the retry of a note: %s",
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
	    "error, %d commits in doubt after a failed fsync (each stopped "
	    "the broker, status 1), %d acknowledged (lost %d), %d refused "
	    "for good (none held), %d answered E_DB or not at all (found "
	    "stored after the fault %d: an fsync failure leaves a commit's "
	    "outcome unknown; retried with the same id %d, each accepted "
	    "once)\n", e->points, e->k, e->refused, e->indoubt, e->acked,
	    e->lost, e->final, e->edb, e->resurrected, e->retried);
	assert_int_equal(e->lost, 0);
	assert_int_equal(e->retried, e->edb);
}

/* How many times (distinct seqs) each of ids was delivered to partner 1,
 * reading its whole queue from the start and acknowledging it. */
static void
delivered(struct env *e, uint8_t ids[][16], int nids, int cnt[])
{
	Liaison__V1__Frame	*f;
	Liaison__V1__Envelope	*m;
	uint64_t		 seq[NARM] = { 0 };
	void			*sock = NULL;

	for (int i = 0; i < nids; i++)
		cnt[i] = 0;
	assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 1, NULL, e->ep, &sock));
	assert_ok(lsn_fixture_hello(sock, 0, 10000, NULL));
	while (lsn_fixture_recv(sock, 1000, &f) == LSN_OK) {
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER &&
		    f->deliver->envelope != NULL && (m =
		    liaison__v1__envelope__unpack(NULL,
		    f->deliver->envelope->envelope.len,
		    f->deliver->envelope->envelope.data)) != NULL) {
			for (int i = 0; i < nids; i++)
				if (m->message_id.len == 16 && memcmp(
				    m->message_id.data, ids[i], 16) == 0 &&
				    seq[i] != f->deliver->seq) {
					seq[i] = f->deliver->seq;
					cnt[i]++;
				}
			liaison__v1__envelope__free_unpacked(m, NULL);
			(void) lsn_fixture_deliver_ack(sock, f->deliver->seq);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
	zmq_close(sock);
}

/* After an armed point, on the restarted broker: acknowledged notes are
 * delivered once, unanswered or transiently refused ones are sent again
 * with the same envelope (as the agent's outbox does) and then delivered
 * once, finally refused ones never. */
static void
armed_check(struct env *e, const char *nth, uint8_t ids[][16],
    uint8_t *envs[], size_t lens[], int codes[])
{
	void	*again = NULL;
	int	 cnt[NARM], code;

	for (int i = 0; i < NARM; i++) {
		if (codes[i] == LSN_OK) {
			e->a.acked++;
			if (i == BAD)
				fail_msg("%s: a note to nobody accepted", nth);
			continue;
		}
		if (!transient(codes[i])) {
			e->a.final++;
			continue;
		}
		assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL, e->ep,
		    &again));
		assert_ok(lsn_fixture_hello(again, 0, 10000, NULL));
		assert_ok(lsn_fixture_publish(again, envs[i], lens[i], 10000,
		    &code));
		zmq_close(again);
		e->a.retried++;
		if (i == BAD && code != LSN_OK && !transient(code)) {
			codes[i] = code;	/* refused for good now */
			e->a.final++;
		} else if (i == BAD || code != LSN_OK)
			fail_msg("%s: the retry of an unacknowledged note: %s",
			    nth, lsn_errname(code));
	}
	delivered(e, ids, NARM, cnt);
	for (int i = 0; i < NARM; i++) {
		if (!transient(codes[i]) && codes[i] != LSN_OK) {
			if (cnt[i] > 0) {
				e->a.final_delivered++;
				printf("io sweep: %s: a note refused with %s "
				    "was delivered\n", nth,
				    lsn_errname(codes[i]));
			}
		} else if (cnt[i] == 0) {
			e->a.lost++;
			printf("io sweep: %s: a note answered %s was not "
			    "delivered\n", nth, lsn_errname(codes[i]));
		} else if (cnt[i] > 1) {
			e->a.dup++;
			printf("io sweep: %s: a note was delivered %d times\n",
			    nth, cnt[i]);
		}
	}
}

/*
 * One armed fsync point: the Nth fsync counted from the broker serving
 * (LSN_FAULT_ARM) fails while a partner publishes NARM notes, #BAD to a
 * partner that does not exist (refused for good). When a commit's sync
 * failed the broker must stop by itself (status 1, one line naming its
 * database) without answering that turn; else it carries on. Then,
 * restarted without faults: armed_check. Long: the steps of one point
 * read best in order.
 */
static void
armed_point(struct env *e, const char *nth)
{
	struct lsn_fixture_msg	 m = { 0 }, nobody = { 0 };
	uint8_t			 ids[NARM][16], *envs[NARM] = { NULL };
	size_t			 lens[NARM];
	int			 codes[NARM], exited = -2, insync, st;
	char			 needle[LSN_FX_PATH_MAX + 64];
	void			*sock = NULL;
	FILE			*f;
	pid_t			 pid;
	long			 off;

	fresh_files(e);
	(void) unlink(e->arm);
	e->a.points++;
	off = lsn_proc_file_size(e->fx->broker_log);
	assert_int_equal(broker_start(e, nth, e->arm, &pid), 0);
	m.to[0] = e->fx->partners[1].id;
	nobody.to[0] = "nobody-here";
	assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL, e->ep, &sock));
	assert_ok(lsn_fixture_hello(sock, 0, 10000, NULL));
	assert_non_null(f = fopen(e->arm, "w"));
	fclose(f);
	for (int i = 0; i < NARM; i++) {
		assert_ok(lsn_fixture_envelope(e->fx, 0, i == BAD ? &nobody :
		    &m, ids[i], &envs[i], &lens[i]));
		publish_watch(sock, pid, envs[i], lens[i], &codes[i],
		    &exited);
	}
	zmq_close(sock);
	(void) unlink(e->arm);
	insync = lsn_proc_log_has(e->fx->broker_log, off,
	    "the sync failed after the write");
	if (exited == -2 && insync)
		exited = lsn_proc_wait(pid, 5000);
	snprintf(needle, sizeof(needle), "database %s: a commit failed at "
	    "its sync", e->fx->broker_db);
	if (insync) {
		e->a.indoubt++;
		if (exited == -2) {
			e->a.kept_on++;
			printf("io sweep: %s: a commit failed at its sync and "
			    "the broker carried on (answers %s %s %s %s)\n",
			    nth, lsn_errname(codes[0]), lsn_errname(codes[1]),
			    lsn_errname(codes[2]), lsn_errname(codes[3]));
			(void) lsn_proc_stop(pid);
		} else if (exited != 1 ||
		    !lsn_proc_log_has(e->fx->broker_log, off, needle)) {
			lsn_proc_dump_log(e->fx->broker_log, 3000);
			fail_msg("%s: in doubt: status %d, or no line naming "
			    "the database", nth, exited);
		}
	} else {
		e->a.carried++;
		if (exited != -2 || (st = lsn_proc_stop(pid)) != 0) {
			lsn_proc_dump_log(e->fx->broker_log, 3000);
			fail_msg("%s: the broker ended with status %d", nth,
			    exited != -2 ? exited : st);
		}
	}
	off = lsn_proc_file_size(e->fx->broker_log);
	if (broker_start(e, NULL, NULL, &pid) != 0) {
		lsn_proc_dump_log(e->fx->broker_log, 3000);
		fail_msg("%s: the broker does not start again", nth);
	}
	if (insync && !lsn_proc_log_has(e->fx->broker_log, off,
	    "not closed cleanly"))
		e->a.unchecked++;
	armed_check(e, nth, ids, envs, lens, codes);
	for (int i = 0; i < NARM; i++)
		free(envs[i]);
	assert_int_equal(lsn_proc_stop(pid), 0);
}

/*
 * The fsync sweep counted from the broker serving: PostgreSQL's rule
 * (docs/reliability.md) at every point, and what a sender sees: nothing
 * acknowledged lost, nothing definitively refused delivered later.
 */
static void
test_io_sweep_fsync(void **state)
{
	struct env	*e = *state;
	struct armed	*a = &e->a;
	char		 nth[64];

	for (size_t md = 0; md < 2; md++)
		for (int n = 1; n <= e->ka; n++) {
			snprintf(nth, sizeof(nth), "fsync:%d:%s", n,
			    armed_modes[md]);
			armed_point(e, nth);
		}
	printf("io sweep: broker serving: %d fsync fault points (once / "
	    "permanent EIO x N=1..%d from the first publish), %d commits in "
	    "doubt (broker stopped with status 1: %d, carried on: %d, next "
	    "start without the integrity check: %d), %d carried on; "
	    "acknowledged %d, resent after no or a transient answer %d, "
	    "refused for good %d; not delivered %d, delivered twice %d, "
	    "refused yet delivered %d\n", a->points, e->ka, a->indoubt,
	    a->indoubt - a->kept_on, a->kept_on, a->unchecked, a->carried,
	    a->acked, a->retried, a->final, a->lost, a->dup,
	    a->final_delivered);
	assert_int_equal(a->kept_on, 0);
	assert_int_equal(a->unchecked, 0);
	assert_int_equal(a->lost, 0);
	assert_int_equal(a->dup, 0);
	assert_int_equal(a->final_delivered, 0);
	assert_true(a->indoubt > 0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	pid_t			 pid;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_non_null(e->ctx = zmq_ctx_new());
	e->k = K_NORMAL;
	e->ka = K_ARMED;
	snprintf(e->arm, sizeof(e->arm), "%s/fault.arm", e->fx->dir);
	if (lsn_test_build_shim(e->fx->dir, "fsfault", "-ldl", e->shim,
	    sizeof(e->shim), e->preload, sizeof(e->preload))) {
		e->ka = K_ARMED_ASAN;
		e->k = K_ASAN;
	}
	/* The base: migrated by a first clean run, then copied. */
	assert_int_equal(broker_start(e, NULL, NULL, &pid), 0);
	assert_int_equal(lsn_proc_stop(pid), 0);
	snprintf(e->base, sizeof(e->base), "%s/base.db", e->fx->dir);
	lsn_test_copy_file(e->fx->broker_db, e->base);
	snprintf(e->head, sizeof(e->head), "%s.audit-head", e->fx->broker_db);
	snprintf(e->base_head, sizeof(e->base_head), "%s.audit-head",
	    e->base);
	if (access(e->head, F_OK) == 0)
		lsn_test_copy_file(e->head, e->base_head);
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
		cmocka_unit_test(test_io_sweep_fsync),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
