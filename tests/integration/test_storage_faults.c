/*
 * test_storage_faults.c -- storage faults in the real broker and agents:
 * disk full, file system read-only, I/O errors on write and on fsync while
 * they run; at start a database that cannot be opened for writing, a full
 * disk, a corrupt header, a corrupt b-tree page.
 *
 * Faults are injected without privileges by an LD_PRELOAD shim
 * (tests/faults/fsfault.c, compiled here with cc): while a control file
 * exists, writes (and syncs, opens) of the files matching a path pattern
 * fail with ENOSPC, EIO or EROFS; removing the file clears the fault while
 * the daemon keeps running. Under AddressSanitizer the sanitizer runtime is
 * preloaded first (found in this test's own mappings).
 *
 * For every fault: a clear error (error code + a log line naming the
 * cause), nothing acknowledged that was not stored (broker: no PublishAck
 * OK; agent: no submit answered OK, no delivery acked), and after the fault
 * is removed everything completes exactly once without a restart. A
 * corrupt or read-only database is refused at start (exit status 1, log
 * line), and the service resumes once the file is restored.
 *
 * Prints a table: fault, component, error seen, acked while faulty,
 * resumed, lost, recovery time.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#define K		3	/* messages per scenario */
#define MAXIDS		128
#define MAXROWS		24
#define WAIT_MS		20000

struct row {
	char		fault[24];
	char		comp[20];
	char		error[80];
	int		acked;		/* acknowledged while faulty, unstored */
	int		resumed;
	int		lost;
	int		dups;
	uint64_t	recovery_ms;
};

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	pid_t			 agents[2];
	char			 ep[256];
	char			 shim[LSN_FX_PATH_MAX + 16];
	char			 preload[3 * LSN_FX_PATH_MAX];
	char			 ctl_broker[LSN_FX_PATH_MAX + 16];
	char			 ctl_agent[2][LSN_FX_PATH_MAX + LSN_DIR_ID_MAX + 8];
	char			 match_agent[2][LSN_DIR_ID_MAX + 16];
	/* every message that must reach partner 1, exactly once */
	uint8_t			 ids[MAXIDS][16];
	size_t			 nids;
	struct row		 rows[MAXROWS];
	size_t			 nrows;
	uint64_t		 t0;
};

static struct env	*g_env;

/* ---- shim, environment ---- */

static void
build_shim(struct env *e)
{
	if (lsn_test_build_shim(e->fx->dir, "fsfault", "-ldl", e->shim,
	    sizeof(e->shim), e->preload, sizeof(e->preload)))
		printf("storage faults: AddressSanitizer build: LD_PRELOAD "
		    "%s\n", e->preload);
}

static void
env_on(struct env *e, const char *ctl, const char *match)
{
	assert_int_equal(setenv("LD_PRELOAD", e->preload, 1), 0);
	assert_int_equal(setenv("LSN_FAULT_CTL", ctl, 1), 0);
	assert_int_equal(setenv("LSN_FAULT_MATCH", match, 1), 0);
}

static void
env_off(void)
{
	(void) unsetenv("LD_PRELOAD");
	(void) unsetenv("LSN_FAULT_CTL");
	(void) unsetenv("LSN_FAULT_MATCH");
}

static void
fault_set(const char *ctl, const char *mode)
{
	FILE	*f;

	assert_non_null(f = fopen(ctl, "w"));
	assert_true(fprintf(f, "%s\n", mode) > 0);
	assert_int_equal(fclose(f), 0);
}

static void
fault_clear(const char *ctl)
{
	if (unlink(ctl) == -1)
		assert_int_equal(errno, ENOENT);
}

/* A test that failed half-way must not leave its fault to the next. */
static void
faults_clear_all(struct env *e)
{
	fault_clear(e->ctl_broker);
	fault_clear(e->ctl_agent[0]);
	fault_clear(e->ctl_agent[1]);
}

/* ---- logs ---- */

static int
log_wait(const char *path, long off, const char *needle, int timeout_ms)
{
	uint64_t	deadline = lsn_mono_ms() + (uint64_t) timeout_ms;

	while (lsn_mono_ms() < deadline) {
		if (lsn_proc_log_has(path, off, needle))
			return (1);
		lsn_proc_sleep_ms(30);
	}
	return (0);
}

/* ---- processes ---- */

/* Fails the test unless the shim is mapped into pid (a noexec temp dir
 * or a loader refusing the preload would make every fault a no-op). */
static void
assert_shim_loaded(pid_t pid)
{
	FILE	*f;
	char	 path[64], line[1024];
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long) pid);
	assert_non_null(f = fopen(path, "r"));
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "/fsfault.so") != NULL;
	fclose(f);
	if (!found)
		fail_msg("the fault shim is not loaded into pid %ld (LD_PRELOAD "
		    "refused? see the daemon's log)", (long) pid);
}

static void
start_broker(struct env *e)
{
	char	ep[256];

	env_on(e, e->ctl_broker, "broker/broker.db");
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, ep,
	    sizeof(ep)));
	env_off();
	assert_shim_loaded(e->broker);
	if (e->ep[0] == '\0')
		lsn_strlcpy(e->ep, ep, sizeof(e->ep));
	else
		assert_string_equal(ep, e->ep);
}

static void
start_agent(struct env *e, size_t i)
{
	env_on(e, e->ctl_agent[i], e->match_agent[i]);
	e->agents[i] = agent_it_start(e->fx, i, e->ep, NULL);
	env_off();
	assert_true(e->agents[i] > 0);
	assert_shim_loaded(e->agents[i]);
}

/* Runs the daemon with the shim until it exits by itself; its status. */
static int
run_until_exit(struct env *e, int broker, size_t i, const char *ctl,
    const char *match)
{
	char	*bin, *argv[6];
	pid_t	 pid;
	int	 st, n = 0;

	bin = lsn_proc_bin(broker ? LSN_BIN_BROKER : LSN_BIN_AGENT);
	assert_non_null(bin);
	argv[n++] = bin;
	argv[n++] = (char *) (uintptr_t) "-d";
	argv[n++] = (char *) (uintptr_t) "-c";
	argv[n++] = broker ? e->fx->broker_conf : e->fx->partners[i].agent_conf;
	argv[n] = NULL;
	env_on(e, ctl, match);
	pid = lsn_proc_spawn(bin, argv, broker ? e->fx->broker_log :
	    e->fx->partners[i].agent_log);
	env_off();
	free(bin);
	assert_true(pid > 0);
	st = lsn_proc_wait(pid, 20000);
	if (st == -2)
		(void) lsn_proc_kill9(pid);
	return (st);
}

static void
wait_connected(struct env *e)
{
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, WAIT_MS));
}

/* ---- checks ---- */

static void
remember(struct env *e, const uint8_t id[16])
{
	assert_true(e->nids < MAXIDS);
	memcpy(e->ids[e->nids++], id, 16);
}

/*
 * Waits until partner 1 holds every remembered message and checks each
 * is there exactly once and nothing else arrived. *lost, *dups.
 */
static void
check_delivered(struct env *e, int *lost, int *dups)
{
	Liaison__V1__ApiResponse	*r = NULL;
	size_t				 n, ours;

	*lost = *dups = 0;
	(void) agent_it_wait_inbox(e->fx, 1, e->nids, WAIT_MS);
	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	assert_non_null(r->inbox_list);
	for (size_t k = 0; k < e->nids; k++) {
		n = 0;
		for (size_t j = 0; j < r->inbox_list->n_items; j++) {
			const Liaison__V1__InboxItem *it =
			    r->inbox_list->items[j];

			if (it->message_id.len == 16 &&
			    memcmp(it->message_id.data, e->ids[k], 16) == 0)
				n++;
		}
		if (n == 0)
			(*lost)++;
		else
			*dups += (int) n - 1;
	}
	/* Items that are none of ours: a message refused while faulty that
	 * was stored after all. Counted with the duplicates. */
	ours = e->nids - (size_t) *lost + (size_t) *dups;
	if (r->inbox_list->n_items > ours)
		*dups += (int) (r->inbox_list->n_items - ours);
	lsn_client_response_free(&r);
}

static uint64_t
inbox_total(struct env *e)
{
	uint64_t	n = 0;

	assert_ok(agent_it_counts(e->fx, 1, &n, NULL));
	return (n);
}

static struct row *
row_add(struct env *e, const char *fault, const char *comp)
{
	struct row	*w;

	assert_true(e->nrows < MAXROWS);
	w = &e->rows[e->nrows++];
	memset(w, 0, sizeof(*w));
	lsn_strlcpy(w->fault, fault, sizeof(w->fault));
	lsn_strlcpy(w->comp, comp, sizeof(w->comp));
	return (w);
}

/* Sends one message 0 -> 1 and waits for it: the service works. */
static void
send_one_and_deliver(struct env *e, struct row *w, uint64_t t_clear)
{
	uint8_t	id[16];
	int	st = 0, code = 0;

	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "after the fault", id));
	remember(e, id);
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, WAIT_MS, &st, &code));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	check_delivered(e, &w->lost, &w->dups);
	w->recovery_ms = lsn_mono_ms() - t_clear;
	w->resumed = w->lost == 0;
}

/* ---- runtime faults ---- */

struct fault {
	const char	*mode;	/* the shim's */
	const char	*name;	/* in the table */
	const char	*cause;	/* the log must name it */
	const char	*brief;	/* the cause, in the table */
};

static const struct fault faults[] = {
	{ "enospc", "disk full", "errno 28: No space left on device",
	    "SQLITE_FULL ENOSPC" },
	{ "eio", "I/O error (write)", "errno 5: Input/output error",
	    "IOERR_WRITE EIO" },
	{ "fsync", "I/O error (fsync)", "SQLITE_IOERR_FSYNC",
	    "IOERR_FSYNC EIO" },
	{ "erofs", "read-only fs", "errno 30: Read-only file system",
	    "IOERR_WRITE EROFS" },
};
#define NFAULTS	(sizeof(faults) / sizeof(faults[0]))

/*
 * After a failed fsync agent i stops by itself (status 1, its log says
 * E_IN_DOUBT); the fault is cleared and the agent started again.
 */
static void
in_doubt_restart(struct env *e, size_t i, long off)
{
	int	st;

	if ((st = lsn_proc_wait(e->agents[i], WAIT_MS)) != 1) {
		lsn_proc_dump_log(e->fx->partners[i].agent_log, 3000);
		fail_msg("after a failed fsync agent %zu ended with %d, not a "
		    "stop with status 1", i, st);
	}
	assert_true(lsn_proc_log_has(e->fx->partners[i].agent_log, off,
	    "answered E_IN_DOUBT"));
	fault_clear(e->ctl_agent[i]);
	start_agent(e, i);
	assert_ok(agent_it_wait_connected(e->fx, i, 1, WAIT_MS));
}

/*
 * The sender's outbox after a failed fsync: the one submit is answered
 * E_IN_DOUBT with its id, the agent stops; after the restart
 * outbox_status decides (stored: it must arrive once).
 */
static void
sender_fsync(struct env *e, struct row *w, long off)
{
	uint8_t	id[16];
	int	rv, st, code;

	rv = agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "in doubt", id);
	if (rv != LSN_EINDOUBT) {
		/* what the agent did instead (seen once under load) */
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 6000);
		fprintf(stderr, "agent 0 %s\n", lsn_proc_alive(e->agents[0]) ?
		    "still runs" : "is gone");
	}
	assert_int_equal(rv, LSN_EINDOUBT);
	in_doubt_restart(e, 0, off);
	rv = agent_it_outbox(e->fx, 0, id, &st, &code);
	if (rv == LSN_OK)
		remember(e, id);
	else
		assert_int_equal(rv, LSN_ENOENT);
	snprintf(w->error, sizeof(w->error), "submit E_IN_DOUBT, exit 1; %s",
	    rv == LSN_OK ? "stored" : "not stored");
}

/*
 * A commit of the broker failed at its sync (PostgreSQL's rule): the
 * broker stops by itself (status 1, a line naming its database) without
 * answering that turn, so the sender's outbox keeps every message
 * pending; restarted without the fault it checks its database (not
 * closed cleanly), the outbox resends and each arrives exactly once.
 */
static void
broker_fsync(struct env *e, struct row *w, uint8_t ids[][16], long off)
{
	char		needle[LSN_FX_PATH_MAX + 64];
	uint64_t	t_clear;
	int		st, code;

	if ((st = lsn_proc_wait(e->broker, WAIT_MS)) != 1) {
		lsn_proc_dump_log(e->fx->broker_log, 3000);
		fail_msg("after a failed fsync the broker ended with %d, not "
		    "a stop with status 1", st);
	}
	snprintf(needle, sizeof(needle), "database %s: a commit failed at "
	    "its sync", e->fx->broker_db);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, needle));
	for (size_t k = 0; k < K; k++) {
		assert_ok(agent_it_outbox(e->fx, 0, ids[k], &st, &code));
		if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING)
			w->acked++;
	}
	assert_int_equal(w->acked, 0);
	snprintf(w->error, sizeof(w->error), "no PublishAck; exit 1 (in "
	    "doubt); log %s", "IOERR_FSYNC EIO");
	fault_clear(e->ctl_broker);
	t_clear = lsn_mono_ms();
	off = lsn_proc_file_size(e->fx->broker_log);
	start_broker(e);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "not closed cleanly"));
	for (size_t k = 0; k < K; k++) {
		assert_ok(agent_it_wait_outbox(e->fx, 0, ids[k], WAIT_MS, &st,
		    &code));
		assert_int_equal(st,
		    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
		remember(e, ids[k]);
	}
	check_delivered(e, &w->lost, &w->dups);
	w->recovery_ms = lsn_mono_ms() - t_clear;
	w->resumed = w->lost == 0;
	assert_int_equal(w->lost, 0);
	assert_int_equal(w->dups, 0);
}

/*
 * The broker's database fails: the sender's agent takes the messages
 * (its outbox), every PublishAck is E_DB, nothing reaches the recipient;
 * after the fault the outbox resends and each arrives exactly once. A
 * failed fsync stops the broker instead (broker_fsync).
 */
static void
test_storage_broker_runtime_faults(void **state)
{
	struct env	*e = *state;
	uint8_t		 ids[K][16];
	char		 text[64];
	uint64_t	 base, deadline, t_clear;
	long		 off;
	int		 st, code, got;

	faults_clear_all(e);

	for (size_t f = 0; f < NFAULTS; f++) {
		struct row *w = row_add(e, faults[f].name, "broker");

		base = inbox_total(e);
		off = lsn_proc_file_size(e->fx->broker_log);
		fault_set(e->ctl_broker, faults[f].mode);
		for (size_t k = 0; k < K; k++) {
			snprintf(text, sizeof(text), "broker %s %zu",
			    faults[f].mode, k);
			assert_ok(agent_it_send(e->fx, 0,
			    e->fx->partners[1].id, NULL, text, ids[k]));
		}
		if (strcmp(faults[f].mode, "fsync") == 0) {
			broker_fsync(e, w, ids, off);
			continue;
		}
		/* Each publish answered, with E_DB, none accepted. */
		got = 0;
		deadline = lsn_mono_ms() + WAIT_MS;
		while (got < K && lsn_mono_ms() < deadline) {
			got = 0;
			for (size_t k = 0; k < K; k++) {
				assert_ok(agent_it_outbox(e->fx, 0, ids[k],
				    &st, &code));
				if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING)
					w->acked++;
				else if (code == LSN_EDB)
					got++;
			}
			if (w->acked > 0)
				break;
			lsn_proc_sleep_ms(30);
		}
		assert_int_equal(w->acked, 0);
		assert_int_equal(got, K);
		assert_true(log_wait(e->fx->broker_log, off, faults[f].cause,
		    WAIT_MS));
		assert_true(lsn_proc_log_has(e->fx->broker_log, off,
		    "store: commit"));
		snprintf(w->error, sizeof(w->error), "PublishAck E_DB; log %s",
		    faults[f].brief);
		w->acked += (int) (inbox_total(e) - base);
		assert_int_equal(w->acked, 0);
		assert_true(lsn_proc_alive(e->broker));

		fault_clear(e->ctl_broker);
		t_clear = lsn_mono_ms();
		for (size_t k = 0; k < K; k++) {
			assert_ok(agent_it_wait_outbox(e->fx, 0, ids[k],
			    WAIT_MS, &st, &code));
			assert_int_equal(st,
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
			remember(e, ids[k]);
		}
		check_delivered(e, &w->lost, &w->dups);
		w->recovery_ms = lsn_mono_ms() - t_clear;
		w->resumed = w->lost == 0;
		assert_true(lsn_proc_log_has(e->fx->broker_log, off,
		    "commits succeed again"));
		assert_int_equal(w->lost, 0);
		assert_int_equal(w->dups, 0);
	}
}

/*
 * The sending agent's database fails: every local API submit is answered
 * with an error (E_DB) and a log line; none is answered OK. Afterwards
 * submits work again and are delivered exactly once; nothing refused
 * shows up.
 */
static void
test_storage_agent_sender_faults(void **state)
{
	struct env	*e = *state;
	uint8_t		 id[16];
	char		 text[64];
	uint64_t	 t_clear;
	long		 off;
	int		 rv, st, code, err = LSN_OK;

	faults_clear_all(e);

	for (size_t f = 0; f < NFAULTS; f++) {
		struct row *w = row_add(e, faults[f].name, "agent (submit)");

		off = lsn_proc_file_size(e->fx->partners[0].agent_log);
		fault_set(e->ctl_agent[0], faults[f].mode);
		if (strcmp(faults[f].mode, "fsync") == 0) {
			sender_fsync(e, w, off);
			goto cleared;
		}
		for (size_t k = 0; k < K; k++) {
			snprintf(text, sizeof(text), "refused %s %zu",
			    faults[f].mode, k);
			rv = agent_it_send(e->fx, 0, e->fx->partners[1].id,
			    NULL, text, id);
			if (rv == LSN_OK)
				w->acked++;
			else
				err = rv;
		}
		assert_int_equal(w->acked, 0);
		assert_int_equal(err, LSN_EDB);
		assert_true(log_wait(e->fx->partners[0].agent_log, off,
		    faults[f].cause, WAIT_MS));
		snprintf(w->error, sizeof(w->error), "submit %s; log %s",
		    lsn_errname(err), faults[f].brief);
		assert_true(lsn_proc_alive(e->agents[0]));

		fault_clear(e->ctl_agent[0]);
 cleared:
		t_clear = lsn_mono_ms();
		for (size_t k = 0; k < K; k++) {
			snprintf(text, sizeof(text), "after %s %zu",
			    faults[f].mode, k);
			assert_ok(agent_it_send(e->fx, 0,
			    e->fx->partners[1].id, NULL, text, id));
			remember(e, id);
			assert_ok(agent_it_wait_outbox(e->fx, 0, id, WAIT_MS,
			    &st, &code));
			assert_int_equal(st,
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
		}
		check_delivered(e, &w->lost, &w->dups);
		w->recovery_ms = lsn_mono_ms() - t_clear;
		w->resumed = w->lost == 0;
		assert_int_equal(w->lost, 0);
		assert_int_equal(w->dups, 0);
	}
}

/*
 * The receiving agent's database fails: deliveries cannot be stored, so
 * they are not acked (the agent resets the link, the broker keeps them);
 * afterwards each arrives exactly once.
 */
static void
test_storage_agent_recipient_faults(void **state)
{
	struct env	*e = *state;
	uint8_t		 id[16];
	char		 text[64];
	uint64_t	 base, t_clear;
	long		 off;
	int		 st, code;

	faults_clear_all(e);

	for (size_t f = 0; f < NFAULTS; f++) {
		struct row *w = row_add(e, faults[f].name,
		    "agent (deliver)");

		base = inbox_total(e);
		off = lsn_proc_file_size(e->fx->partners[1].agent_log);
		fault_set(e->ctl_agent[1], faults[f].mode);
		for (size_t k = 0; k < K; k++) {
			snprintf(text, sizeof(text), "to a faulty agent "
			    "%s %zu", faults[f].mode, k);
			assert_ok(agent_it_send(e->fx, 0,
			    e->fx->partners[1].id, NULL, text, id));
			remember(e, id);
			/* The broker stored it: that is its job. */
			assert_ok(agent_it_wait_outbox(e->fx, 0, id, WAIT_MS,
			    &st, &code));
			assert_int_equal(st,
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
		}
		assert_true(log_wait(e->fx->partners[1].agent_log, off,
		    faults[f].cause, WAIT_MS));
		snprintf(w->error, sizeof(w->error), "no DeliverAck; log %s",
		    faults[f].brief);
		t_clear = lsn_mono_ms();
		if (strcmp(faults[f].mode, "fsync") == 0) {
			/* outcome unknown: it stops, the restart decides */
			in_doubt_restart(e, 1, off);
			snprintf(w->error, sizeof(w->error), "no DeliverAck; "
			    "exit 1 (in doubt); log %s", faults[f].brief);
		} else {
			assert_true(log_wait(e->fx->partners[1].agent_log,
			    off, "database error", WAIT_MS));
			w->acked = (int) (inbox_total(e) - base);
			assert_int_equal(w->acked, 0);
			assert_true(lsn_proc_alive(e->agents[1]));
			fault_clear(e->ctl_agent[1]);
			t_clear = lsn_mono_ms();
		}
		check_delivered(e, &w->lost, &w->dups);
		w->recovery_ms = lsn_mono_ms() - t_clear;
		w->resumed = w->lost == 0;
		assert_int_equal(w->lost, 0);
		assert_int_equal(w->dups, 0);
	}
}

/* ---- faults at start ---- */

/* Damages the b-tree page header of table's root page (or, with table
 * NULL, the file header), after marking the database as not closed
 * cleanly. The database is closed (checkpointed). */
static void
corrupt_db(const char *path, const char *table)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	uint8_t		 junk[16], hdr[18];
	off_t		 off = 0;
	long		 psz;
	int		 fd, pg;

	memset(junk, 0x5a, sizeof(junk));
	if (table != NULL) {
		/* Damage a crash left: the owner did not close it cleanly
		 * (after a clean close the start does not check pages). */
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE lsn_store_state SET "
		    "clean = 0", NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
		assert_int_equal(sqlite3_open_v2(path, &db,
		    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM "
		    "sqlite_schema WHERE name = ?", -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_bind_text(s, 1, table, -1,
		    SQLITE_STATIC), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		pg = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
		sqlite3_close(db);
		assert_true(pg > 1);
		assert_true((fd = open(path, O_RDONLY)) != -1);
		assert_int_equal(read(fd, hdr, sizeof(hdr)), sizeof(hdr));
		close(fd);
		psz = (long) hdr[16] << 8 | hdr[17];
		if (psz == 1)
			psz = 65536;
		off = (off_t) (pg - 1) * psz;
	}
	assert_true((fd = open(path, O_WRONLY)) != -1);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), off),
	    (ssize_t) sizeof(junk));
	assert_int_equal(close(fd), 0);
}

/* The broker's database corrupt (header or a table's page): refused at
 * start with a log line; restored from a copy, the broker serves again. */
static void
broker_corrupt(struct env *e, const char *table, const char *name)
{
	struct row	*w = row_add(e, name, "broker (start)");
	char		 bak[LSN_FX_PATH_MAX + 8], wal[LSN_FX_PATH_MAX + 8];
	uint64_t	 t_clear;
	long		 off;

	assert_int_equal(lsn_proc_stop(e->broker), 0);
	snprintf(wal, sizeof(wal), "%s-wal", e->fx->broker_db);
	assert_true(access(wal, F_OK) == -1);	/* checkpointed at close */
	snprintf(bak, sizeof(bak), "%s.bak", e->fx->broker_db);
	lsn_test_copy_file(e->fx->broker_db, bak);
	corrupt_db(e->fx->broker_db, table);
	off = lsn_proc_file_size(e->fx->broker_log);
	assert_int_equal(run_until_exit(e, 1, 0, e->ctl_broker,
	    "broker/broker.db"), 1);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, "is corrupt"));
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, "cannot start"));
	snprintf(w->error, sizeof(w->error), "exit 1, LSN_EDB, \"is "
	    "corrupt\"%s", table == NULL ? " (header)" : " (quick_check)");

	assert_int_equal(rename(bak, e->fx->broker_db), 0);
	t_clear = lsn_mono_ms();
	start_broker(e);
	wait_connected(e);
	send_one_and_deliver(e, w, t_clear);
	assert_int_equal(w->lost, 0);
	assert_int_equal(w->dups, 0);
}

/* The broker's database cannot be opened for writing (file system
 * read-only): refused at start rather than failing every write. */
static void
test_storage_broker_start_faults(void **state)
{
	struct env	*e = *state;
	struct row	*w;
	uint64_t	 t_clear;
	long		 off;

	faults_clear_all(e);

	w = row_add(e, "read-only fs", "broker (start)");
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	off = lsn_proc_file_size(e->fx->broker_log);
	fault_set(e->ctl_broker, "erofs");
	assert_int_equal(run_until_exit(e, 1, 0, e->ctl_broker,
	    "broker/broker.db"), 1);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "cannot be opened for writing"));
	snprintf(w->error, sizeof(w->error), "exit 1, LSN_EPERM, "
	    "\"cannot be opened for writing\"");
	fault_clear(e->ctl_broker);
	t_clear = lsn_mono_ms();
	start_broker(e);
	wait_connected(e);
	send_one_and_deliver(e, w, t_clear);
	assert_int_equal(w->lost, 0);

	/* Disk full at start: the WAL index (-shm) cannot be sized. */
	w = row_add(e, "disk full", "broker (start)");
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	off = lsn_proc_file_size(e->fx->broker_log);
	fault_set(e->ctl_broker, "enospc");
	assert_int_equal(run_until_exit(e, 1, 0, e->ctl_broker,
	    "broker/broker.db"), 1);
	assert_true(lsn_proc_log_has(e->fx->broker_log, off,
	    "errno 28: No space left on device"));
	assert_true(lsn_proc_log_has(e->fx->broker_log, off, "cannot start"));
	snprintf(w->error, sizeof(w->error), "exit 1, LSN_EDB, log "
	    "IOERR_SHMSIZE ENOSPC");
	fault_clear(e->ctl_broker);
	t_clear = lsn_mono_ms();
	start_broker(e);
	wait_connected(e);
	send_one_and_deliver(e, w, t_clear);
	assert_int_equal(w->lost, 0);

	broker_corrupt(e, NULL, "corrupt header");
	broker_corrupt(e, "messages", "corrupt page");
}

/* The agents: the recipient's database corrupt, the sender's database
 * not writable (chmod-like EACCES on the database file only). */
static void
test_storage_agent_start_faults(void **state)
{
	struct env	*e = *state;
	struct lsn_fixture_partner *p1 = &e->fx->partners[1];
	struct lsn_fixture_partner *p0 = &e->fx->partners[0];
	struct row	*w;
	char		 bak[LSN_FX_PATH_MAX + 8], match[LSN_DIR_ID_MAX + 16];
	uint64_t	 t_clear;
	long		 off;

	faults_clear_all(e);

	w = row_add(e, "corrupt page", "agent (start)");
	assert_int_equal(lsn_proc_stop(e->agents[1]), 0);
	snprintf(bak, sizeof(bak), "%s.bak", p1->agent_db);
	lsn_test_copy_file(p1->agent_db, bak);
	corrupt_db(p1->agent_db, "inbox");
	off = lsn_proc_file_size(p1->agent_log);
	assert_int_equal(run_until_exit(e, 0, 1, e->ctl_agent[1],
	    e->match_agent[1]), 1);
	assert_true(lsn_proc_log_has(p1->agent_log, off, "is corrupt"));
	snprintf(w->error, sizeof(w->error), "exit 1, LSN_EDB, \"is "
	    "corrupt\" (quick_check)");
	assert_int_equal(rename(bak, p1->agent_db), 0);
	t_clear = lsn_mono_ms();
	start_agent(e, 1);
	wait_connected(e);
	send_one_and_deliver(e, w, t_clear);
	assert_int_equal(w->lost, 0);
	assert_int_equal(w->dups, 0);

	w = row_add(e, "read-only file", "agent (start)");
	assert_int_equal(lsn_proc_stop(e->agents[0]), 0);
	off = lsn_proc_file_size(p0->agent_log);
	snprintf(match, sizeof(match), "/%s/agent.db$", p0->id);
	fault_set(e->ctl_agent[0], "eacces");
	assert_int_equal(run_until_exit(e, 0, 0, e->ctl_agent[0], match), 1);
	assert_true(lsn_proc_log_has(p0->agent_log, off,
	    "cannot be opened for writing"));
	snprintf(w->error, sizeof(w->error), "exit 1, LSN_EPERM, "
	    "\"cannot be opened for writing\"");
	fault_clear(e->ctl_agent[0]);
	t_clear = lsn_mono_ms();
	start_agent(e, 0);
	wait_connected(e);
	send_one_and_deliver(e, w, t_clear);
	assert_int_equal(w->lost, 0);
	assert_int_equal(w->dups, 0);
}

/* ---- setup, figures ---- */

static int
group_setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 listen[300];

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	g_env = e;
	*state = e;
	e->t0 = lsn_mono_ms();
	o.npartners = 2;
	if (lsn_fixture_create(&o, &e->fx) != LSN_OK)
		return (-1);
	build_shim(e);
	snprintf(e->ctl_broker, sizeof(e->ctl_broker), "%s/fault-broker",
	    e->fx->dir);
	for (size_t i = 0; i < 2; i++) {
		snprintf(e->ctl_agent[i], sizeof(e->ctl_agent[i]),
		    "%s/fault-%s", e->fx->dir, e->fx->partners[i].id);
		snprintf(e->match_agent[i], sizeof(e->match_agent[i]),
		    "/%s/agent.db", e->fx->partners[i].id);
	}
	if (lsn_fixture_write_broker_conf(e->fx, NULL, NULL) != LSN_OK)
		return (-1);
	start_broker(e);
	/* restart on the same port from now on */
	snprintf(listen, sizeof(listen), "%s", e->ep);
	if (lsn_fixture_write_broker_conf(e->fx, listen, NULL) != LSN_OK)
		return (-1);
	for (size_t i = 0; i < 2; i++)
		start_agent(e, i);
	wait_connected(e);
	return (0);
}

static int
group_teardown(void **state)
{
	struct env	*e = *state;
	int		 lost = 0, acked = 0;

	(void) state;
	e = g_env;
	lsn_proc_kill_all();
	if (e == NULL)
		return (0);
	printf("\nstorage faults (%zu messages, %zu scenarios, %.1f s)\n",
	    e->nids, e->nrows, (double) (lsn_mono_ms() - e->t0) / 1000.0);
	printf("%-18s %-16s %-50s %5s %7s %4s %4s %8s\n", "fault",
	    "component", "error seen", "acked", "resumed", "lost", "dup",
	    "recov_ms");
	for (size_t r = 0; r < e->nrows; r++) {
		const struct row *w = &e->rows[r];

		printf("%-18s %-16s %-50.50s %5d %7s %4d %4d %8llu\n",
		    w->fault, w->comp, w->error, w->acked,
		    w->resumed ? "yes" : "NO", w->lost, w->dups,
		    (unsigned long long) w->recovery_ms);
		lost += w->lost;
		acked += w->acked;
	}
	printf("storage faults: %zu scenarios, acked while faulty %d, lost "
	    "%d\n", e->nrows, acked, lost);
	fflush(stdout);
	lsn_fixture_destroy(&e->fx);
	free(e);
	g_env = NULL;
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_broker_runtime_faults),
		cmocka_unit_test(test_storage_agent_sender_faults),
		cmocka_unit_test(test_storage_agent_recipient_faults),
		cmocka_unit_test(test_storage_broker_start_faults),
		cmocka_unit_test(test_storage_agent_start_faults),
	};

	return (cmocka_run_group_tests_name("storage_faults", tests,
	    group_setup, group_teardown));
}
