/*
 * notify.c -- out-of-band notifiers for escalations ([agent] notify_cmd).
 *
 * When wf.c escalates an overdue urgent item it calls notify_escalation,
 * which queues one run of notify_cmd with a JSON description on its
 * stdin (see docs/monitoring.md): the event, kind, item id, our partner,
 * the peer, the priority, the peer's 24/7 contacts from the directory and
 * the attempt number. It never holds a message body or a key: the item is
 * named by its id, with its summary line only when the message is marked
 * at or below [agent] summary_max_tlp (summary.c).
 *
 * The main loop never waits for a notifier: notify_timers (once per loop
 * turn) starts queued runs with fork/exec, reaps them with
 * waitpid(WNOHANG), kills (SIGKILL) a run older than notify_timeout_ms,
 * and reruns a failed one notify_retries times, waiting notify_retry_ms
 * doubled per retry. Each outcome is one log line and one row in the
 * events table (kind "notify"; `liaison events`), and a notifier that
 * gave up also raises an operator alert.
 *
 * The child gets stdin = the JSON (a pipe, written whole: it is far below
 * the pipe buffer), stdout = /dev/null, stderr = the agent's, no other
 * descriptors, the default signal dispositions and an empty signal mask.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

#define NOTIFY_JOBS_MAX		64	/* queued or running */
#define NOTIFY_JSON_MAX		8192

struct njob {
	int		 used;
	pid_t		 pid;		/* > 0 while running */
	uint64_t	 started;	/* mono */
	uint64_t	 next_at;	/* mono: start (again) at */
	int		 attempt;	/* runs started */
	int		 killed;
	char		*json;
	char		 what[160];	/* for logs and events */
	uint8_t		 id[LSN_BODY_ID_BYTES];
	char		 peer[LSN_DIR_ID_MAX + 1];
};

struct notify {
	struct njob	jobs[NOTIFY_JOBS_MAX];
};

static void
record(struct agent *a, struct njob *j, const char *result)
{
	char	detail[AGENT_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s: %s (attempt %d)", j->what,
	    result, j->attempt);
	if (agent_event(a, "notify", NULL, j->id, j->peer, detail) ==
	    LSN_OK && a->events_added) {
		a->events_added = 0;
		api_inbox_changed(a);
	}
	ametrics_notify(a, result);
}

/* The item's summary when its marking allows it (summary.c). */
static int
summary_for(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, char *out, size_t outsz)
{
	uint8_t		 msgid[LSN_MSGID_BYTES];

	if (astore_track_msgid(a, kind, id, peer, msgid) != LSN_OK)
		return (LSN_ENOENT);
	return (item_summary(a, msgid, out, outsz));
}

int
notify_escalation(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int priority, const char *contacts)
{
	struct njob	*j = NULL;
	json_t		*o;
	char		 hex[2 * LSN_BODY_ID_BYTES + 1], sum[1024];
	int		 rv = LSN_OK;

	if (a->conf.notify_cmd[0] == '\0')
		return (LSN_OK);
	if (a->nt == NULL && (a->nt = calloc(1, sizeof(*a->nt))) == NULL)
		return (LSN_ENOMEM);
	for (size_t i = 0; i < NOTIFY_JOBS_MAX && j == NULL; i++)
		if (!a->nt->jobs[i].used)
			j = &a->nt->jobs[i];
	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	if (j == NULL) {
		log_warnx("notify: %d runs pending: escalation of %s %s not "
		    "notified", NOTIFY_JOBS_MAX, kind, hex);
		ametrics_notify(a, "dropped");
		return (LSN_ETOOBIG);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s}",
	    "event", "escalation", "kind", kind, "item_id", hex,
	    "partner", a->conf.partner, "peer", peer, "priority", priority,
	    "time_ms", (json_int_t) agent_now(a), "contacts_24x7",
	    contacts != NULL ? contacts : "",
	    "text", "An urgent item was not acknowledged within its "
	    "deadline and was escalated to the partner's 24/7 contact.");
	if (o == NULL)
		return (LSN_ENOMEM);
	if (summary_for(a, kind, id, peer, sum, sizeof(sum)) == LSN_OK)
		(void) json_object_set_new(o, "summary", json_string(sum));
	j->json = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (j->json == NULL)
		return (LSN_ENOMEM);
	if (strlen(j->json) > NOTIFY_JSON_MAX) {
		free(j->json);
		j->json = NULL;
		return (LSN_ETOOBIG);
	}
	j->used = 1;
	j->pid = 0;
	j->attempt = 0;
	j->next_at = 0;
	memcpy(j->id, id, LSN_BODY_ID_BYTES);
	lsn_strlcpy(j->peer, peer, sizeof(j->peer));
	snprintf(j->what, sizeof(j->what), "escalation of %s %s to %s", kind,
	    hex, peer);
	return (rv);
}

/* Child side, between fork and exec: async-signal-safe calls only. */
static void
child(int in, int devnull, const char *cmd, char *const argv[])
{
	sigset_t		mask;
	struct sigaction	sa;

	if (dup2(in, 0) == -1 || dup2(devnull, 1) == -1)
		_exit(126);
	for (int fd = 3; fd < 1024; fd++)
		(void) close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 32; s++)
		(void) sigaction(s, &sa, NULL);
	sigemptyset(&mask);
	(void) sigprocmask(SIG_SETMASK, &mask, NULL);
	execv(cmd, argv);
	_exit(127);
}

static void
start(struct agent *a, struct njob *j, uint64_t mono)
{
	char	*argv[2];
	int	 p[2], devnull;
	pid_t	 pid;
	size_t	 len, off = 0;
	ssize_t	 n;

	argv[0] = a->conf.notify_cmd;
	argv[1] = NULL;
	j->attempt++;
	j->killed = 0;
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (pipe(p) == -1) {
		close(devnull);
		goto fail;
	}
	(void) fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void) fcntl(p[1], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		close(devnull);
		goto fail;
	}
	if (pid == 0)
		child(p[0], devnull, a->conf.notify_cmd, argv);
	close(p[0]);
	close(devnull);
	/* the JSON is far below the pipe's buffer: this does not block */
	(void) fcntl(p[1], F_SETFL, O_NONBLOCK);
	len = strlen(j->json);
	while (off < len && ((n = write(p[1], j->json + off, len - off)) >
	    0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			off += (size_t) n;
	if (off == len && write(p[1], "\n", 1) != 1)
		log_debug("notify: %s: stdin closed early", j->what);
	close(p[1]);
	j->pid = pid;
	j->started = mono;
	log_info("notify: %s: started %s (pid %ld, attempt %d)", j->what,
	    a->conf.notify_cmd, (long) pid, j->attempt);
	return;
 fail:
	log_warn("notify: %s: cannot start %s", j->what, a->conf.notify_cmd);
	j->pid = -1;	/* handled as a failed run by the caller */
}

/* A run ended (or could not start): retry or give up. */
static void
finished(struct agent *a, struct njob *j, const char *result, uint64_t mono)
{
	uint64_t	wait;

	j->pid = 0;
	if (strcmp(result, "ok") == 0) {
		log_info("notify: %s: delivered (attempt %d)", j->what,
		    j->attempt);
		record(a, j, result);
		free(j->json);
		j->json = NULL;
		j->used = 0;
		return;
	}
	record(a, j, result);
	if (j->attempt > a->conf.notify_retries) {
		log_warnx("notify: %s: gave up after %d attempts", j->what,
		    j->attempt);
		record(a, j, "gave_up");
		(void) agent_alert(a, "notifier gave up: %s", j->what);
		free(j->json);
		j->json = NULL;
		j->used = 0;
		return;
	}
	wait = (uint64_t) a->conf.notify_retry_ms << (j->attempt - 1 < 10 ?
	    j->attempt - 1 : 10);
	j->next_at = mono + wait;
	log_warnx("notify: %s: %s (attempt %d), retry in %llu ms", j->what,
	    result, j->attempt, (unsigned long long) wait);
}

void
notify_timers(struct agent *a, uint64_t mono)
{
	struct njob	*j;
	int		 st;
	pid_t		 r;

	if (a->nt == NULL || a->in_tx)
		return;
	for (size_t i = 0; i < NOTIFY_JOBS_MAX; i++) {
		j = &a->nt->jobs[i];
		if (!j->used)
			continue;
		if (j->pid == 0 && mono >= j->next_at) {
			start(a, j, mono);
			if (j->pid == -1)
				finished(a, j, "failed", mono);
			continue;
		}
		if (j->pid <= 0)
			continue;
		r = waitpid(j->pid, &st, WNOHANG);
		if (r == 0) {
			if (!j->killed && mono - j->started >=
			    (uint64_t) a->conf.notify_timeout_ms) {
				log_warnx("notify: %s: pid %ld still running "
				    "after %lld ms: killed", j->what,
				    (long) j->pid, a->conf.notify_timeout_ms);
				(void) kill(j->pid, SIGKILL);
				j->killed = 1;
			}
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (j->killed)
			finished(a, j, "timeout", mono);
		else if (r == j->pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			finished(a, j, "ok", mono);
		else
			finished(a, j, "failed", mono);
	}
}

void
notify_close(struct agent *a)
{
	if (a->nt == NULL)
		return;
	for (size_t i = 0; i < NOTIFY_JOBS_MAX; i++) {
		struct njob *j = &a->nt->jobs[i];

		if (j->used && j->pid > 0) {
			(void) kill(j->pid, SIGKILL);
			(void) waitpid(j->pid, NULL, 0);
		}
		free(j->json);
	}
	free(a->nt);
	a->nt = NULL;
}
