/*
 * test_io_sweep_agent.c -- the Nth-operation I/O sweep on the real agent
 * (test_io_sweep.c does the broker): for each I/O call on the sending
 * agent's database files (open, read, write, fsync, ftruncate, mmap,
 * rename) and N = 1..K, the Nth call fails (once with EIO, or from then
 * on with ENOSPC) through tests/faults/fsfault.c's Nth-call mode; only
 * the sending agent is preloaded, the broker and the recipient run clean.
 *
 * At each point the agent must either stop at start with exit status 1
 * and a log line naming its database file, or serve: then an integrator
 * submits 3 notes through its local API. The agent may stop by itself
 * later, again with status 1 and the file named. Afterwards it is started
 * without faults on the same files and must come up. Counted by message
 * id at the recipient's local API: every submit answered "accepted"
 * arrives exactly once; a submit answered with an error never arrives,
 * also when the agent is SIGKILLed right after that answer (before any
 * later commit could overwrite what the failed one left in the log: the
 * window where a failed fsync's transaction comes back at the restart).
 * A failed fsync is answered E_IN_DOUBT with the message id and the agent
 * stops by itself (status 1); after the restart outbox_status decides:
 * found, the note arrives exactly once; not found, it never arrives.
 *
 * test_in_doubt_outside_batch reaches the same answer on the other path:
 * a submit committed in its own transaction because the API batch's
 * BEGIN failed (agent/outbox.c): another connection holds the database's
 * write lock longer than the agent's busy timeout, then lets it go while
 * the submit's own BEGIN waits; the fsync of its COMMIT fails.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define K_NORMAL	2
#define K_ASAN		1
#define NSUB		3
#define WAIT_MS		30000
#define MAXIDS		256

static const char *const ops[] = {
	"open", "read", "write", "fsync", "ftruncate", "mmap", "rename"
};
static const char *const modes[] = { "once:eio", "perm:enospc" };

struct env {
	struct lsn_fixture	*fx;
	int			 broker;
	pid_t			 recipient;
	char			 ep[256];
	char			 shim[LSN_FX_PATH_MAX + 16];
	char			 preload[3 * LSN_FX_PATH_MAX];
	char			 match[LSN_DIR_ID_MAX + 16];
	char			 sock[LSN_FX_PATH_MAX + 16];
	char			 arm[LSN_FX_PATH_MAX + 16];
	int			 k;
	/* every id answered accepted (must arrive once) */
	uint8_t			 acc[MAXIDS][16];
	size_t			 nacc;
	/* figures */
	int			 points, refused, stopped, served, accepted;
	int			 edb, edb_sent, unknown, lost, dups;
	int			 indoubt, indoubt_stored, killed;
	/* ids listed by the recipient not answered accepted */
	uint8_t			 extra[MAXIDS][16];
	size_t			 nextra;
};


/* 1 if a warning or critical line after off names the database file. */
static int
log_names_db(const char *path, long off)
{
	FILE	*f;
	char	 line[2048];
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	if (fseek(f, off, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = (strstr(line, "warning: ") != NULL ||
			    strstr(line, "crit: ") != NULL) &&
			    strstr(line, "/agent.db") != NULL;
	fclose(f);
	return (found);
}

static void
touch(const char *path)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fclose(f), 0);
}

/* Starts the sending agent (partner 0), with the fault when nth is not
 * NULL; 0 when its API is up, else its exit status. */
static int
agent_start(struct env *e, const char *nth, pid_t *pidp)
{
	char	*bin, *argv[6];
	pid_t	 pid;
	int	 st;

	(void) remove(e->sock);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-v");
	argv[3] = lsn_proc_mut("-c");
	argv[4] = e->fx->partners[0].agent_conf;
	argv[5] = NULL;
	if (nth != NULL) {
		assert_int_equal(setenv("LD_PRELOAD", e->preload, 1), 0);
		assert_int_equal(setenv("LSN_FAULT_MATCH", e->match, 1), 0);
		assert_int_equal(setenv("LSN_FAULT_NTH", nth, 1), 0);
		assert_int_equal(setenv("LSN_FAULT_ARM", e->arm, 1), 0);
	}
	pid = lsn_proc_spawn(bin, argv, e->fx->partners[0].agent_log);
	(void) unsetenv("LD_PRELOAD");
	(void) unsetenv("LSN_FAULT_MATCH");
	(void) unsetenv("LSN_FAULT_NTH");
	(void) unsetenv("LSN_FAULT_ARM");
	free(bin);
	assert_true(pid > 0);
	*pidp = pid;
	for (int i = 0; i < 3000; i++) {
		if (access(e->sock, F_OK) == 0)
			return (0);
		if ((st = lsn_proc_wait(pid, 0)) != -2)
			return (st);
		lsn_proc_sleep_ms(10);
	}
	fail_msg("the agent neither started nor stopped (%s)", nth);
	return (-1);
}

/* A stop by the agent itself: status 1, its database file named. */
static void
check_clear_stop(struct env *e, const char *nth, int st, long off)
{
	if (st != 1 || !log_names_db(e->fx->partners[0].agent_log, off)) {
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 3000);
		fail_msg("%s: the agent ended with status %d without naming "
		    "its database", nth, st);
	}
}

/* How many times the recipient's API lists id. */
static int
arrived(struct env *e, const uint8_t id[16])
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 n = 0;

	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	assert_non_null(r->inbox_list);
	for (size_t j = 0; j < r->inbox_list->n_items; j++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[j];

		if (it->message_id.len == 16 &&
		    memcmp(it->message_id.data, id, 16) == 0)
			n++;
	}
	lsn_client_response_free(&r);
	return (n);
}

/* Waits until the sender's outbox says id was accepted by the broker and
 * the recipient lists it; the number of times it is listed (0 when the
 * outbox does not know it). */
static int
wait_arrived(struct env *e, const char *nth, const uint8_t id[16])
{
	int	st = 0, code = 0, n = 0, rv;

	rv = agent_it_wait_outbox(e->fx, 0, id, WAIT_MS, &st, &code);
	if (rv == LSN_ENOENT) {
		printf("io sweep: %s: an accepted note is not in the outbox\n",
		    nth);
		return (0);
	}
	assert_ok(rv);
	if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED)
		fail_msg("%s: outbox state %d (%s)", nth, st,
		    lsn_errname(code));
	for (int i = 0; i < WAIT_MS / 50 && (n = arrived(e, id)) == 0; i++)
		lsn_proc_sleep_ms(50);
	return (n);
}

static void
remember(struct env *e, const uint8_t id[16])
{
	assert_true(e->nacc < MAXIDS);
	memcpy(e->acc[e->nacc++], id, 16);
}

static int
known(uint8_t (*set)[16], size_t n, const uint8_t *id)
{
	for (size_t j = 0; j < n; j++)
		if (memcmp(set[j], id, 16) == 0)
			return (1);
	return (0);
}

/* The number of new ids the recipient lists that were never answered
 * accepted (each remembered). */
static int
extras(struct env *e)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 n = 0;

	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	assert_non_null(r->inbox_list);
	for (size_t j = 0; j < r->inbox_list->n_items; j++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[j];

		if (it->message_id.len != 16 || known(e->acc, e->nacc,
		    it->message_id.data))
			continue;
		if (known(e->extra, e->nextra, it->message_id.data))
			continue;
		assert_true(e->nextra < MAXIDS);
		memcpy(e->extra[e->nextra++], it->message_id.data, 16);
		n++;
	}
	lsn_client_response_free(&r);
	return (n);
}

/* Submits that ended without an answer (the agent stopped). */
static int
codes_unknown(const int codes[NSUB])
{
	int	n = 0;

	for (int i = 0; i < NSUB; i++)
		if (codes[i] != -1 && codes[i] != LSN_OK &&
		    codes[i] != LSN_EDB && codes[i] != LSN_EINDOUBT)
			n++;
	return (n);
}

/* Waits until the sender's outbox holds nothing pending. */
static void
wait_outbox_empty(struct env *e, const char *nth)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 pending = 1;

	for (int i = 0; i < WAIT_MS / 50 && pending > 0; i++) {
		assert_ok(agent_it_status(e->fx, 0, &r));
		assert_non_null(r->status);
		pending = r->status->outbox_pending;
		lsn_client_response_free(&r);
		if (pending > 0)
			lsn_proc_sleep_ms(50);
	}
	if (pending > 0)
		fail_msg("%s: the outbox still holds %llu", nth,
		    (unsigned long long) pending);
}

/* After the restart: an E_IN_DOUBT submit is decided by outbox_status;
 * stored, it must arrive once (then it counts as accepted). */
static void
in_doubt(struct env *e, const char *nth, const uint8_t id[16])
{
	int	st = 0, code = 0, rv, n;

	e->indoubt++;
	rv = agent_it_outbox(e->fx, 0, id, &st, &code);
	if (rv == LSN_ENOENT)
		return;		/* not stored: extras() sees it if it comes */
	assert_ok(rv);
	e->indoubt_stored++;
	remember(e, id);
	if ((n = wait_arrived(e, nth, id)) != 1) {
		printf("io sweep: %s: a stored E_IN_DOUBT note arrived %d "
		    "times\n", nth, n);
		if (n == 0)
			e->lost++;
		else
			e->dups += n - 1;
	}
}

/* One fault point: start with the fault, submit, restart clean, check.
 * Long: the steps of one point read best in order. */
static void
one_point(struct env *e, const char *nth, const char *spec, int serving)
{
	uint8_t	 ids[NSUB][16];
	uint8_t	 sentinel[16];
	int	 codes[NSUB], st, n, failed = 0, doubt = 0;
	pid_t	 pid;
	long	 off;
	char	 text[128];

	e->points++;
	off = lsn_proc_file_size(e->fx->partners[0].agent_log);
	/* N counts from the start, or from when the agent serves. */
	if (serving)
		(void) unlink(e->arm);
	else
		touch(e->arm);
	st = agent_start(e, spec, &pid);
	if (st == 0 && serving)
		touch(e->arm);
	for (int i = 0; i < NSUB; i++)
		codes[i] = -1;
	if (st != 0) {
		check_clear_stop(e, nth, st, off);
		e->refused++;
	} else {
		for (int i = 0; i < NSUB; i++) {
			snprintf(text, sizeof(text), "io sweep %s #%d", nth,
			    i);
			memset(ids[i], 0, 16);
			codes[i] = agent_it_send(e->fx, 0,
			    e->fx->partners[1].id, NULL, text, ids[i]);
			if (codes[i] == LSN_EINDOUBT)
				doubt = 1;
			/* an error answer: crash now, before any later
			 * commit rewrites the log's tail */
			if ((failed = codes[i] != LSN_OK))
				break;
		}
		/* E_IN_DOUBT: the agent stops by itself, status 1 */
		if ((st = lsn_proc_wait(pid, doubt ? 10000 : 0)) == -2) {
			if (doubt)
				fail_msg("%s: E_IN_DOUBT answered but the "
				    "agent goes on", nth);
			e->served++;
			if (failed) {
				e->killed++;
				st = lsn_proc_kill9(pid);
			} else if ((st = lsn_proc_stop(pid)) != 0 && st != 1)
				fail_msg("%s: the agent ended with status %d",
				    nth, st);
		} else {
			check_clear_stop(e, nth, st, off);
			e->stopped++;
		}
	}
	/* Without faults, on the same files. */
	if ((st = agent_start(e, NULL, &pid)) != 0) {
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 3000);
		fail_msg("%s: the agent does not start again (status %d)",
		    nth, st);
	}
	for (int i = 0; i < NSUB; i++) {
		if (codes[i] == LSN_OK) {
			e->accepted++;
			remember(e, ids[i]);
			if ((n = wait_arrived(e, nth, ids[i])) != 1) {
				printf("io sweep: %s: accepted note arrived "
				    "%d times\n", nth, n);
				if (n == 0)
					e->lost++;
				else
					e->dups += n - 1;
			}
		} else if (codes[i] == LSN_EINDOUBT)
			in_doubt(e, nth, ids[i]);
		else if (codes[i] == LSN_EDB)
			e->edb++;
		else if (codes[i] != -1)
			e->unknown++;
	}
	/* Whatever the outbox still holds goes out; a sentinel submitted
	 * after it arrives after it (one queue per recipient). */
	wait_outbox_empty(e, nth);
	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "io sweep sentinel", sentinel));
	remember(e, sentinel);
	assert_int_equal(wait_arrived(e, nth, sentinel), 1);
	/* A submit answered with an error (E_DB: its id is unknown to the
	 * integrator; E_IN_DOUBT and not in the outbox after the restart)
	 * shows as an id the recipient lists that is none of the accepted
	 * ones. Only a submit left without an answer by a stop during the
	 * call may have been stored; at most once. */
	n = extras(e);
	if (n > 0) {
		e->edb_sent += n;
		if (n > codes_unknown(codes))
			fail_msg("%s: %d submit(s) answered with an error "
			    "were delivered after the restart", nth, n);
	}
	assert_int_equal(lsn_proc_stop(pid), 0);
}

static void
test_io_sweep_agent(void **state)
{
	struct env	*e = *state;
	char		 spec[64], name[80];
	int		 n;

	/* Phase 0 counts N from the start, phase 1 from when the agent's API
	 * is up (the submits). */
	for (int ph = 0; ph < 2; ph++)
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
			for (size_t md = 0; md < 2; md++)
				for (int k = 1; k <= e->k; k++) {
					snprintf(spec, sizeof(spec), "%s:%d:%s",
					    ops[o], k, modes[md]);
					snprintf(name, sizeof(name), "%s:%s",
					    ph ? "serving" : "start", spec);
					one_point(e, name, spec, ph);
				}
	/* At the end, every note is still listed at most once (no later
	 * resend duplicated an earlier one). */
	for (size_t j = 0; j < e->nacc; j++)
		if ((n = arrived(e, e->acc[j])) > 1)
			e->dups += n - 1;
	for (size_t j = 0; j < e->nextra; j++)
		if ((n = arrived(e, e->extra[j])) > 1)
			e->dups += n - 1;
	printf("io sweep: agent: %d I/O fault points (7 calls x once EIO / "
	    "permanent ENOSPC x N=1..%d, counted from the start and from when "
	    "it serves), %d stopped at start with a clear "
	    "error, %d stopped later with a clear error, %d served to the "
	    "end (%d SIGKILLed right after an error answer), %d submits "
	    "accepted (lost %d, duplicates %d), %d answered E_DB, %d "
	    "E_IN_DOUBT (%d found stored after the restart and delivered "
	    "once), %d unanswered; answered with an error and delivered "
	    "after all: %d; each restarted cleanly\n",
	    e->points, e->k, e->refused, e->stopped, e->served, e->killed,
	    e->accepted, e->lost, e->dups, e->edb, e->indoubt,
	    e->indoubt_stored, e->unknown, e->edb_sent);
	assert_int_equal(e->lost, 0);
	assert_int_equal(e->dups, 0);
}

/* ---- a submit outside the API batch ---- */

#define BUSY_HOLD_MS	6500	/* > the store's busy timeout (5 s) */

struct locker {
	const char	*db;
	atomic_int	 held;		/* 1: locked, -1: could not */
};

/* Holds the agent database's write lock for BUSY_HOLD_MS. */
static void *
locker_run(void *arg)
{
	struct locker	*l = arg;
	sqlite3		*db = NULL;

	if (sqlite3_open_v2(l->db, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		atomic_store(&l->held, -1);
		sqlite3_close(db);
		return (NULL);
	}
	atomic_store(&l->held, 1);
	lsn_proc_sleep_ms(BUSY_HOLD_MS);
	(void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return (NULL);
}

/* Submits a note; its code, id and detail. */
static int
submit_detail(struct env *e, const char *text, uint8_t id[16], char *detail,
    size_t detailsz)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	char				*to[1];
	uint8_t				 body[512];
	int				 rv;

	note.text = lsn_proc_mut(text);
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	to[0] = e->fx->partners[1].id;
	sr.n_to = 1;
	sr.to = to;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = agent_it_call(e->fx, 0, &req, &r)) != LSN_OK)
		return (rv);
	rv = lsn_err_from_wire((int) r->code);
	lsn_strlcpy(detail, r->detail != NULL ? r->detail : "", detailsz);
	if (r->submit != NULL && r->submit->message_id.len == 16)
		memcpy(id, r->submit->message_id.data, 16);
	lsn_client_response_free(&r);
	return (rv);
}

/*
 * The E_IN_DOUBT answer of a submit committed in its own transaction
 * (agent/outbox.c, not the API batch's end_batch): it carries the
 * message id, the agent stops by itself (status 1), and after the
 * restart outbox_status decides: found, the note arrives once; not
 * found, never.
 */
static void
test_in_doubt_outside_batch(void **state)
{
	struct env	*e = *state;
	struct locker	 l;
	pthread_t	 t;
	uint8_t		 id[16] = { 0 }, zero[16] = { 0 }, sentinel[16];
	char		 detail[512], db[LSN_FX_PATH_MAX + 16];
	pid_t		 pid;
	long		 off;
	int		 rv, st, found, n, before, lost, dups;

	snprintf(db, sizeof(db), "%s/agent.db", e->fx->partners[0].dir);
	off = lsn_proc_file_size(e->fx->partners[0].agent_log);
	(void) unlink(e->arm);
	assert_int_equal(agent_start(e, "fsync:1:once:eio", &pid), 0);
	/* the session set up (its writes done), so the first BEGIN that
	 * meets the lock is the API batch's */
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, WAIT_MS));
	lsn_proc_sleep_ms(1000);
	touch(e->arm);
	l.db = db;
	atomic_init(&l.held, 0);
	assert_int_equal(pthread_create(&t, NULL, locker_run, &l), 0);
	while (atomic_load(&l.held) == 0)
		lsn_proc_sleep_ms(5);
	assert_int_equal(atomic_load(&l.held), 1);
	/* the batch's BEGIN gives up after 5 s; the submit's own BEGIN
	 * gets the lock when the locker lets it go, its COMMIT's fsync
	 * fails */
	rv = submit_detail(e, "in doubt outside the batch", id, detail,
	    sizeof(detail));
	assert_int_equal(pthread_join(t, NULL), 0);
	(void) unlink(e->arm);
	if (rv != LSN_EINDOUBT || strstr(detail, "the commit failed at its "
	    "sync: outcome unknown") == NULL) {
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 3000);
		fail_msg("submit outside the batch: %s (%s), not E_IN_DOUBT "
		    "from outbox.c", lsn_errname(rv), detail);
	}
	assert_memory_not_equal(id, zero, 16);	/* it carries the id */
	st = lsn_proc_wait(pid, 10000);
	check_clear_stop(e, "outside the batch", st, off);
	assert_int_equal(agent_start(e, NULL, &pid), 0);
	/* outbox_status decides, for good */
	before = e->indoubt_stored;
	lost = e->lost;
	dups = e->dups;
	in_doubt(e, "outside the batch", id);
	found = e->indoubt_stored > before;
	assert_int_equal(e->lost, lost);
	assert_int_equal(e->dups, dups);
	wait_outbox_empty(e, "outside the batch");
	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "outside the batch: sentinel", sentinel));
	remember(e, sentinel);
	assert_int_equal(wait_arrived(e, "outside the batch", sentinel), 1);
	n = arrived(e, id);
	printf("io sweep: a submit committed outside the API batch, its "
	    "fsync failed: E_IN_DOUBT with its id, the agent stopped (status "
	    "1); after the restart outbox_status: %s; the note arrived %d "
	    "time(s)\n", found ? "stored" : "not found", n);
	assert_int_equal(n, found ? 1 : 0);
	assert_int_equal(lsn_proc_stop(pid), 0);
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
	e->k = K_NORMAL;
	if (lsn_test_build_shim(e->fx->dir, "fsfault", "-ldl", e->shim,
	    sizeof(e->shim), e->preload, sizeof(e->preload)))
		e->k = K_ASAN;
	snprintf(e->match, sizeof(e->match), "/%s/agent.db",
	    e->fx->partners[0].id);
	snprintf(e->arm, sizeof(e->arm), "%s/fault-armed", e->fx->dir);
	snprintf(e->sock, sizeof(e->sock), "%s/api.sock",
	    e->fx->partners[0].dir);
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	/* Both agents clean first: configuration written, directory
	 * replicated, so the sender knows the recipient. */
	assert_true((pid = agent_it_start(e->fx, 0, e->ep, NULL)) > 0);
	assert_true((e->recipient = agent_it_start(e->fx, 1, e->ep,
	    NULL)) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, WAIT_MS));
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, WAIT_MS));
	assert_int_equal(lsn_proc_stop(pid), 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_sweep_agent),
		cmocka_unit_test(test_in_doubt_outside_batch),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
