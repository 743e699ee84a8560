/*
 * test_power_cut.c -- power cuts under the real daemons (the crash VFS,
 * tests/faults/crashvfs.c, LD_PRELOADed): at a chosen sync point only
 * what was synced survives, plus a random part of what was not, torn at
 * sector granularity and reordered; the daemon dies there and is started
 * again on what is left.
 *
 * Broker: a partner publishes notes one at a time; each PublishAck OK is
 * recorded; the cut hits the broker's k-th sync (k seeded); the next start
 * must come up (an unclean stop: it checks the database) and hold every
 * acknowledged message, once. Agent: notes are submitted through the
 * local API; each "accepted" must be in the agent's outbox or at the
 * broker after the restart, and at the end every one reaches the
 * recipient's inbox exactly once. The directory log and the audit chain
 * verify after the rounds.
 *
 * Control: the same broker harness with syncs skipped (LSN_CRASH_NOSYNC)
 * must lose acknowledged messages, or the harness cannot see a loss and
 * the test fails.
 *
 * LSN_POWER_SEED replays a run (the seed is printed; the cut points and
 * the crash VFS's choices follow from it, message ids do not);
 * LSN_POWER_ROUNDS sets the broker rounds (the agent runs half as many);
 * LSN_CRASH_TRACE=1 makes the VFS log every sync and the dirty ranges.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define BROKER_ROUNDS	150	/* normal build; ASan: a third, see setup */
#define AGENT_ROUNDS	55
#define KMAX		10	/* cut at one of the first KMAX syncs */
#define PUB_MAX		24	/* publishes per round before a clean stop */
#define CONTROL_ROUNDS	12
#define UP_MS		30000

struct env {
	struct lsn_fixture	*fx;
	void			*ctx;
	char			 shim[LSN_FX_PATH_MAX + 16];
	char			 preload[3 * LSN_FX_PATH_MAX];
	char			 ep[256];
	uint64_t		 seed, rng;
	int			 rounds, agent_rounds, asan;
	/* acknowledged message ids, cumulative */
	uint8_t			(*acked)[16];
	size_t			 nacked, capacked;
	/* figures */
	int			 cuts, cuts_start, no_cut, lost, dups;
	int			 control_cuts, control_lost;
	int			 agent_cuts, agent_accepted, agent_lost;
	int			 agent_dups;
};


static uint64_t
rnd(struct env *e)
{
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return (e->rng * 2685821657736338717ULL);
}

/* ---- the shim ---- */

static void
build_shim(struct env *e)
{
	e->asan = lsn_test_build_shim(e->fx->dir, "crashvfs",
	    "-lsqlite3 -lpthread", e->shim, sizeof(e->shim), e->preload,
	    sizeof(e->preload));
}

/*
 * Spawns bin with argv under the crash VFS, the cut at sync k (0: none)
 * on files whose path holds match; nosync skips every sync.
 */
static pid_t
spawn_crash(struct env *e, const char *bin, char *const argv[],
    const char *log, const char *match, long k, int nosync)
{
	char	num[32], seed[32];
	pid_t	pid;

	snprintf(num, sizeof(num), "%ld", k);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long) rnd(e));
	assert_int_equal(setenv("LD_PRELOAD", e->preload, 1), 0);
	assert_int_equal(setenv("LSN_CRASH_MATCH", match, 1), 0);
	assert_int_equal(setenv("LSN_CRASH_AT", num, 1), 0);
	assert_int_equal(setenv("LSN_CRASH_SEED", seed, 1), 0);
	if (nosync)
		assert_int_equal(setenv("LSN_CRASH_NOSYNC", "1", 1), 0);
	pid = lsn_proc_spawn(bin, argv, log);
	(void) unsetenv("LD_PRELOAD");
	(void) unsetenv("LSN_CRASH_MATCH");
	(void) unsetenv("LSN_CRASH_AT");
	(void) unsetenv("LSN_CRASH_SEED");
	(void) unsetenv("LSN_CRASH_NOSYNC");
	assert_true(pid > 0);
	return (pid);
}

/*
 * Waits for ready (a file that appears) or the end of pid. Returns 0 when
 * ready, else pid's status (137: the cut killed it).
 */
static int
wait_up(const char *ready, pid_t pid)
{
	struct stat	sb;
	int		st;

	for (int i = 0; i < UP_MS / 10; i++) {
		if (stat(ready, &sb) == 0 && (sb.st_size > 0 ||
		    S_ISSOCK(sb.st_mode)))
			return (0);
		if ((st = lsn_proc_wait(pid, 0)) != -2)
			return (st);
		lsn_proc_sleep_ms(10);
	}
	fail_msg("%s did not appear", ready);
	return (-1);
}

/* ---- broker rounds ---- */

static pid_t
broker_spawn(struct env *e, long k, int nosync, int *status)
{
	char	*bin, *argv[5];
	pid_t	 pid;

	(void) unlink(e->fx->endpoint_file);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-dv");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = e->fx->broker_conf;
	argv[4] = NULL;
	pid = spawn_crash(e, bin, argv, e->fx->broker_log, "broker/broker.db",
	    k, nosync);
	free(bin);
	*status = wait_up(e->fx->endpoint_file, pid);
	if (*status == 0)
		assert_ok(lsn_fixture_endpoint(e->fx, e->ep, sizeof(e->ep)));
	return (pid);
}

/* How many of the acknowledged ids the broker's database holds (read
 * while the broker that recovered it runs); dups: ids held twice. */
static size_t
broker_holds(struct env *e, int *dups, int quiet)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	size_t		 n = 0;

	assert_int_equal(sqlite3_open_v2(e->fx->broker_db, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "messages WHERE message_id = ?", -1, &s, NULL), SQLITE_OK);
	*dups = 0;
	for (size_t i = 0; i < e->nacked; i++) {
		int c;

		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, e->acked[i], 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		c = sqlite3_column_int(s, 0);
		n += c > 0;
		if (c == 0 && !quiet) {
			char hex[33];

			lsn_hex_encode(e->acked[i], 16, hex);
			printf("power-cut: acknowledged %s (number %zu) "
			    "missing\n", hex, i);
		}
		*dups += c > 1;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return (n);
}

static void
acked_add(struct env *e, const uint8_t id[16])
{
	if (e->nacked == e->capacked) {
		e->capacked = e->capacked ? e->capacked * 2 : 256;
		assert_non_null(e->acked = realloc(e->acked, e->capacked *
		    sizeof(*e->acked)));
	}
	memcpy(e->acked[e->nacked++], id, 16);
}

/*
 * Waits for the PublishAck of the publish just sent, polling the broker's
 * life: LSN_OK with *code, or LSN_ECLOSED when the broker died (*st: its
 * status).
 */
static int
ack_or_death(void *sock, pid_t pid, int *code, int *st)
{
	Liaison__V1__Frame	*a = NULL;
	int			 rv;

	for (int i = 0; i < UP_MS / 50; i++) {
		rv = lsn_fixture_recv_kind(sock,
		    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, 50, &a);
		if (rv == LSN_OK) {
			*code = lsn_err_from_wire(a->publish_ack->has_code ?
			    (int) a->publish_ack->code : 0);
			liaison__v1__frame__free_unpacked(a, NULL);
			return (LSN_OK);
		}
		if ((*st = lsn_proc_wait(pid, 0)) != -2)
			return (LSN_ECLOSED);
	}
	fail_msg("the broker neither answered nor died");
	return (LSN_ETIMEDOUT);
}

/*
 * Publishes notes p01 -> p02 on a running broker until it dies (the cut)
 * or PUB_MAX were answered. Returns 1 if the broker died.
 */
static int
publish_until_cut(struct env *e, pid_t pid)
{
	struct lsn_fixture_msg	 m = { 0 };
	Liaison__V1__Frame	*w = NULL;
	void			*sock = NULL;
	uint8_t			 id[16], *env = NULL;
	size_t			 len;
	int			 code, rv, st = -2;

	m.to[0] = e->fx->partners[1].id;
	assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL, e->ep, &sock));
	/* Hello: the broker may die answering it (a sync at hello). */
	for (int i = 0; i < UP_MS / 50 && st == -2; i++) {
		if (i == 0)
			(void) lsn_fixture_hello(sock, 0, 0, NULL);
		if (lsn_fixture_recv_kind(sock, LIAISON__V1__FRAME__KIND_WELCOME,
		    50, &w) == LSN_OK)
			break;
		st = lsn_proc_wait(pid, 0);
	}
	if (w != NULL)
		liaison__v1__frame__free_unpacked(w, NULL);
	for (int i = 0; i < PUB_MAX && st == -2; i++) {
		assert_ok(lsn_fixture_envelope(e->fx, 0, &m, id, &env, &len));
		assert_ok(lsn_fixture_publish_raw(sock, env, len));
		free(env);
		env = NULL;
		rv = ack_or_death(sock, pid, &code, &st);
		if (rv == LSN_OK && code == LSN_OK)
			acked_add(e, id);
	}
	zmq_close(sock);
	if (st == -2)
		return (0);
	/* Dead: by the cut (SIGKILL), nothing else. */
	if (st != 137)
		lsn_proc_dump_log(e->fx->broker_log, 3000);
	assert_int_equal(st, 137);
	return (1);
}

/*
 * rounds power cuts of the broker; nosync: the control. Returns the
 * number of acknowledged messages lost at the end.
 */
static int
broker_rounds(struct env *e, int rounds, int nosync, int *cuts)
{
	pid_t	pid;
	int	st, dups = 0, lost;
	size_t	held;

	for (int r = 0; r < rounds; r++) {
		long k = 1 + (long) (rnd(e) % KMAX);

		pid = broker_spawn(e, k, nosync, &st);
		if (st == 1 && nosync) {
			/* The control's database is beyond repair: refused
			 * at start, everything acknowledged is lost. */
			(*cuts)++;
			return ((int) e->nacked);
		}
		if (st != 0) {
			/* Cut while starting: SIGKILL, nothing else. */
			if (st != 137)
				lsn_proc_dump_log(e->fx->broker_log, 3000);
			assert_int_equal(st, 137);
			(*cuts)++;
			e->cuts_start += !nosync;
			continue;
		}
		if (!nosync) {
			/* The previous cut's survivor: all acked, once. */
			held = broker_holds(e, &dups, 0);
			if (held != e->nacked || dups != 0)
				fail_msg("power cut (seed %llu, round %d): "
				    "%zu of %zu acknowledged messages held, "
				    "%d twice", (unsigned long long) e->seed,
				    r, held, e->nacked, dups);
		}
		if (publish_until_cut(e, pid))
			(*cuts)++;
		else {
			e->no_cut += !nosync;
			assert_int_equal(lsn_proc_stop(pid), 0);
		}
	}
	/* A start without a cut: count what survived. */
	pid = broker_spawn(e, 0, 0, &st);
	if (st == 1 && nosync)
		return ((int) e->nacked);
	assert_int_equal(st, 0);
	held = broker_holds(e, &dups, nosync);
	lost = (int) (e->nacked - held);
	if (!nosync) {
		e->dups += dups;
		e->lost += lost;
	}
	assert_int_equal(lsn_proc_stop(pid), 0);
	return (lost);
}

static void
verify_logs(struct env *e)
{
	char	*bin, *argv[6], *out = NULL;
	int	 st;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("audit");
	argv[2] = lsn_proc_mut("verify");
	argv[3] = lsn_proc_mut("--db");
	argv[4] = e->fx->broker_db;
	argv[5] = NULL;
	st = lsn_proc_run(bin, argv, &out, NULL, 60000);
	if (st != 0)
		fail_msg("audit verify: status %d: %s", st, out ? out : "");
	free(out);
	out = NULL;
	argv[1] = lsn_proc_mut("dir");
	argv[2] = lsn_proc_mut("verify");
	st = lsn_proc_run(bin, argv, &out, NULL, 60000);
	if (st != 0)
		fail_msg("dir verify: status %d: %s", st, out ? out : "");
	free(out);
	free(bin);
}

static void
test_power_cut_broker(void **state)
{
	struct env	*e = *state;

	printf("power-cut: seed %llu (replay: LSN_POWER_SEED=%llu)\n",
	    (unsigned long long) e->seed, (unsigned long long) e->seed);
	(void) broker_rounds(e, e->rounds, 0, &e->cuts);
	verify_logs(e);
	printf("power-cut: broker: %d cut points run (%d while starting), "
	    "%d rounds without a cut, %zu acknowledged, %d lost, %d "
	    "duplicates\n", e->cuts, e->cuts_start, e->no_cut, e->nacked,
	    e->lost, e->dups);
	assert_int_equal(e->lost, 0);
	assert_int_equal(e->dups, 0);
	assert_true(e->cuts >= e->rounds * 3 / 4);
}

/* ---- agent rounds ---- */

#define AGENT_KMAX	12
#define SUBMIT_MAX	12

static pid_t
agent_spawn(struct env *e, long k, int *status)
{
	struct lsn_fixture_partner *p = &e->fx->partners[0];
	char	*bin, *argv[5], sock[LSN_FX_PATH_MAX + 16];
	pid_t	 pid;

	snprintf(sock, sizeof(sock), "%s/api.sock", p->dir);
	(void) unlink(sock);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = p->agent_conf;
	argv[4] = NULL;
	pid = spawn_crash(e, bin, argv, p->agent_log, "/agent.db", k, 0);
	free(bin);
	*status = wait_up(sock, pid);
	return (pid);
}

/*
 * Every submit answered "accepted" is in the sender's outbox or at the
 * broker (read while both run); returns how many are not.
 */
static int
agent_missing(struct env *e)
{
	sqlite3		*a = NULL, *b = NULL;
	sqlite3_stmt	*sa = NULL, *sb = NULL;
	int		 missing = 0;

	assert_int_equal(sqlite3_open_v2(e->fx->partners[0].agent_db, &a,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open_v2(e->fx->broker_db, &b,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(a, 10000);
	sqlite3_busy_timeout(b, 10000);
	assert_int_equal(sqlite3_prepare_v2(a, "SELECT count(*) FROM outbox "
	    "WHERE message_id = ?", -1, &sa, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(b, "SELECT count(*) FROM messages "
	    "WHERE message_id = ?", -1, &sb, NULL), SQLITE_OK);
	for (size_t i = 0; i < e->nacked; i++) {
		int n = 0;

		sqlite3_reset(sa);
		sqlite3_reset(sb);
		sqlite3_bind_blob(sa, 1, e->acked[i], 16, SQLITE_STATIC);
		sqlite3_bind_blob(sb, 1, e->acked[i], 16, SQLITE_STATIC);
		if (sqlite3_step(sa) == SQLITE_ROW)
			n += sqlite3_column_int(sa, 0);
		if (sqlite3_step(sb) == SQLITE_ROW)
			n += sqlite3_column_int(sb, 0);
		missing += n == 0;
	}
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	sqlite3_close(a);
	sqlite3_close(b);
	return (missing);
}

/*
 * One submit to p02 through the local API, waiting at most wait_ms (a
 * dead agent must not cost the 10 s of agent_it_send). LSN_OK: answered
 * "accepted" (id set); else the answer or the transport error.
 */
static int
submit_one(struct env *e, int wait_ms, uint8_t id[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct lsn_client		*c = NULL;
	char				 ep[LSN_CLIENT_EP_MAX], *tov[1];
	uint8_t				 body[256];
	int				 rv;

	note.text = lsn_proc_mut("synthetic power-cut note");
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	tov[0] = e->fx->partners[1].id;
	sr.n_to = 1;
	sr.to = tov;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	agent_it_endpoint(e->fx, 0, ep, sizeof(ep));
	if ((rv = lsn_client_open(ep, &c)) != LSN_OK)
		return (rv);
	rv = lsn_client_call(c, &req, wait_ms, &r);
	lsn_client_close(&c);
	if (rv != LSN_OK)
		return (rv);
	rv = lsn_err_from_wire((int) r->code);
	if (rv == LSN_OK) {
		if (r->submit == NULL || r->submit->message_id.len != 16)
			rv = LSN_EPROTO;
		else
			memcpy(id, r->submit->message_id.data, 16);
	}
	lsn_client_response_free(&r);
	return (rv);
}

/* Submits notes to p02 until the agent dies or SUBMIT_MAX were
 * answered; 1 if it died (the cut). An unanswered submit (timed out)
 * is not counted: only answers are promises. */
static int
submit_until_cut(struct env *e, pid_t pid)
{
	uint8_t	id[16];
	int	rv, st = -2;

	for (int i = 0; i < SUBMIT_MAX && st == -2; i++) {
		rv = submit_one(e, 500, id);
		if (rv == LSN_OK) {
			acked_add(e, id);
			e->agent_accepted++;
		}
		st = lsn_proc_wait(pid, rv == LSN_OK ? 0 : 300);
	}
	if (st == -2)
		return (0);
	if (st != 137)
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 3000);
	assert_int_equal(st, 137);
	return (1);
}

/* Every accepted note reaches p02's inbox exactly once. */
static void
agent_delivered_once(struct env *e)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	int		 missing = 1, dups = 0;

	for (int t = 0; t < 600 && missing > 0; t++) {
		lsn_proc_sleep_ms(100);
		if (access(e->fx->partners[1].agent_db, F_OK) != 0)
			continue;
		assert_int_equal(sqlite3_open_v2(e->fx->partners[1].agent_db,
		    &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_busy_timeout(db, 10000);
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM inbox WHERE "
		    "message_id = ?", -1, &s, NULL) != SQLITE_OK) {
			sqlite3_close(db);
			continue;
		}
		missing = dups = 0;
		for (size_t i = 0; i < e->nacked; i++) {
			int n = 0;

			sqlite3_reset(s);
			sqlite3_bind_blob(s, 1, e->acked[i], 16,
			    SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				n = sqlite3_column_int(s, 0);
			missing += n == 0;
			dups += n > 1;
		}
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	e->agent_lost = missing;
	e->agent_dups = dups;
}

static void
test_power_cut_agent(void **state)
{
	struct env	*e = *state;
	pid_t		 broker, a, r;
	int		 st, rounds = e->agent_rounds;

	e->nacked = 0;
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &broker, e->ep,
	    sizeof(e->ep)));
	/* A first clean start: configuration, directory. */
	assert_true((a = agent_it_start(e->fx, 0, e->ep, NULL)) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 0, 20000));
	assert_int_equal(lsn_proc_stop(a), 0);
	for (int i = 0; i < rounds; i++) {
		long k = 1 + (long) (rnd(e) % AGENT_KMAX);

		a = agent_spawn(e, k, &st);
		if (st != 0) {
			if (st != 137)
				lsn_proc_dump_log(e->fx->partners[0].agent_log,
				    3000);
			assert_int_equal(st, 137);
			e->agent_cuts++;
			continue;
		}
		if ((st = agent_missing(e)) != 0)
			fail_msg("power cut (seed %llu, agent round %d): %d "
			    "accepted submits neither in the outbox nor at "
			    "the broker", (unsigned long long) e->seed, i, st);
		if (submit_until_cut(e, a))
			e->agent_cuts++;
		else
			assert_int_equal(lsn_proc_stop(a), 0);
	}
	a = agent_spawn(e, 0, &st);
	assert_int_equal(st, 0);
	e->agent_lost = agent_missing(e);
	assert_true((r = agent_it_start(e->fx, 1, e->ep, NULL)) > 0);
	if (e->agent_lost == 0)
		agent_delivered_once(e);
	printf("power-cut: agent: %d cut points run, %d submits accepted, "
	    "%d lost, %d delivered twice\n", e->agent_cuts,
	    e->agent_accepted, e->agent_lost, e->agent_dups);
	printf("power-cut: total: %d cut points (broker %d, agent %d), "
	    "acknowledged lost %d, duplicates %d, control's detected losses "
	    "%d\n", e->cuts + e->agent_cuts, e->cuts, e->agent_cuts,
	    e->lost + e->agent_lost, e->dups + e->agent_dups, e->control_lost);
	assert_int_equal(e->agent_lost, 0);
	assert_int_equal(e->agent_dups, 0);
	assert_int_equal(lsn_proc_stop(a), 0);
	assert_int_equal(lsn_proc_stop(r), 0);
	assert_int_equal(lsn_proc_stop(broker), 0);
	verify_logs(e);
}

/*
 * The broker's files (database, its log, the signed audit head) copied
 * aside (save) or back: the control damages them on purpose, the agent
 * rounds must start from what the real-sync rounds left. A file absent
 * when saved is removed when restored.
 */
static void
broker_files(struct env *e, int save)
{
	static const char *const sfx[] = { "", "-wal", "-shm",
	    ".audit-head" };
	char	 a[LSN_FX_PATH_MAX + 16], b[LSN_FX_PATH_MAX + 24], buf[65536];
	FILE	*in, *out;
	size_t	 n;

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(a, sizeof(a), "%s%s", e->fx->broker_db, sfx[i]);
		snprintf(b, sizeof(b), "%s.keep", a);
		(void) unlink(save ? b : a);
		if ((in = fopen(save ? a : b, "rb")) == NULL)
			continue;
		assert_non_null(out = fopen(save ? b : a, "wb"));
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
		assert_int_equal(fclose(out), 0);
	}
}

/* The control: syncs skipped, the same harness must see losses. */
static void
test_power_cut_control(void **state)
{
	struct env	*e = *state;

	e->nacked = 0;
	broker_files(e, 1);
	e->control_lost = broker_rounds(e, CONTROL_ROUNDS, 1,
	    &e->control_cuts);
	broker_files(e, 0);
	printf("power-cut: control (syncs skipped): %d cut points, %zu "
	    "acknowledged, %d lost (must be > 0)\n", e->control_cuts,
	    e->nacked, e->control_lost);
	if (e->control_lost <= 0)
		fail_msg("the control run lost no acknowledged message: the "
		    "harness cannot see a lost sync (seed %llu)",
		    (unsigned long long) e->seed);
}

/* ---- setup ---- */

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	const char		*s;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	/* A tmpfs: real fsyncs cost nothing there; durability is the
	 * crash VFS's model, not the disk's. */
	if (access("/dev/shm", W_OK) == 0)
		assert_int_equal(setenv("LSN_FX_TMPDIR", "/dev/shm", 1), 0);
	assert_ok(lsn_fixture_create(&o, &e->fx));
	(void) unsetenv("LSN_FX_TMPDIR");
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_non_null(e->ctx = zmq_ctx_new());
	build_shim(e);
	e->seed = (s = getenv("LSN_POWER_SEED")) != NULL ?
	    strtoull(s, NULL, 10) : (uint64_t) time(NULL) ^
	    (uint64_t) getpid() << 16;
	e->rng = e->seed * 0x9e3779b97f4a7c15ULL + 1;
	e->rounds = (s = getenv("LSN_POWER_ROUNDS")) != NULL ? atoi(s) :
	    e->asan ? BROKER_ROUNDS / 3 : BROKER_ROUNDS;
	e->agent_rounds = (s = getenv("LSN_POWER_ROUNDS")) != NULL ?
	    atoi(s) / 2 : e->asan ? AGENT_ROUNDS / 3 : AGENT_ROUNDS;
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
		free(e->acked);
		free(e);
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_cut_broker),
		cmocka_unit_test(test_power_cut_control),
		cmocka_unit_test(test_power_cut_agent),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
