/*
 * ametrics.c -- the agent's read-only HTTP listener ([agent] http_listen,
 * loopback only): /metrics (OpenMetrics), / (the directory page, web.c)
 * and /style.css, for the agent's user, root and [agent] http_group only
 * (allow_peer: the kernel names the connecting process's uid).
 *
 * The registry and the pages belong to the main loop. The HTTP thread
 * (lib/http.c) only copies the last text out of a struct lsn_snap;
 * ametrics_tick, called once per loop turn outside the turn's
 * transaction, renders a fresh text when a request waits for one. The
 * HTTP thread never touches the sqlite handle, the directory or any other
 * field of struct agent except the three pointers set before it starts.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/envelope.h"
#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/snap.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"

#define AM_SNAP_WAIT_MS	3000

enum {
	AM_INFO, AM_IN, AM_OUT, AM_REFUSED, AM_CONNECTED, AM_OUTBOX,
	AM_OUTBOX_AGE, AM_INBOX_UNACKED, AM_COMMIT, AM_DIR_REV, AM_CP_AGE,
	AM_HALTED, AM_ESC_PENDING, AM_OVERDUE, AM_ESC_FIRED, AM_NOTIFY,
	AM_STALE, AM_STALE_BY, AM_BROKER, AM_SWITCHES,
};

static const double commit_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

static const struct lsn_metric_def adefs[] = {
	[AM_INFO] = { "liaison_agent_build_info", LSN_METRIC_GAUGE, "",
	    "Version and partner of the running agent.", NULL, 0, 1 },
	[AM_IN] = { "liaison_agent_messages_in", LSN_METRIC_COUNTER, "",
	    "Messages stored in the inbox, by type and priority.", NULL, 0,
	    0 },
	[AM_OUT] = { "liaison_agent_messages_out", LSN_METRIC_COUNTER, "",
	    "Messages signed into the outbox, by type and priority.", NULL,
	    0, 0 },
	[AM_REFUSED] = { "liaison_agent_refusals", LSN_METRIC_COUNTER, "",
	    "Refusals by where (inbox: quarantined delivery; broker: "
	    "publish refused) and error code.", NULL, 0, 0 },
	[AM_CONNECTED] = { "liaison_agent_sessions", LSN_METRIC_GAUGE, "",
	    "1 while the session with the broker is up.", NULL, 0, 1 },
	[AM_OUTBOX] = { "liaison_agent_outbox_depth", LSN_METRIC_GAUGE, "",
	    "Messages in the outbox not yet accepted by the broker.", NULL,
	    0, 1 },
	[AM_OUTBOX_AGE] = { "liaison_agent_outbox_oldest_age_seconds",
	    LSN_METRIC_GAUGE, "seconds", "Age of the oldest of them.", NULL,
	    0, 1 },
	[AM_INBOX_UNACKED] = { "liaison_agent_inbox_unacked",
	    LSN_METRIC_GAUGE, "", "Inbox items not yet acknowledged.", NULL,
	    0, 1 },
	[AM_COMMIT] = { "liaison_agent_commit_seconds", LSN_METRIC_HISTOGRAM,
	    "seconds", "Time of each loop turn's COMMIT.", commit_bounds,
	    sizeof(commit_bounds) / sizeof(commit_bounds[0]), 1 },
	[AM_DIR_REV] = { "liaison_agent_directory_revision",
	    LSN_METRIC_GAUGE, "", "Head revision of the directory replica.",
	    NULL, 0, 1 },
	[AM_CP_AGE] = { "liaison_agent_checkpoint_age_seconds",
	    LSN_METRIC_GAUGE, "seconds", "Age of the last head checkpoint "
	    "verified (absent before the first).", NULL, 0, 1 },
	[AM_HALTED] = { "liaison_agent_replica_halted", LSN_METRIC_GAUGE, "",
	    "1 when the directory replica is halted (does not verify).",
	    NULL, 0, 1 },
	[AM_ESC_PENDING] = { "liaison_agent_escalations_pending",
	    LSN_METRIC_GAUGE, "", "Unacknowledged P1 referrals and alerts "
	    "we sent that escalate at their deadline.", NULL, 0, 4 },
	[AM_OVERDUE] = { "liaison_agent_overdue_items", LSN_METRIC_GAUGE,
	    "", "Unacknowledged referrals and alerts past their deadline.",
	    NULL, 0, 4 },
	[AM_ESC_FIRED] = { "liaison_agent_escalations_fired",
	    LSN_METRIC_COUNTER, "", "Escalations sent, by kind.", NULL, 0,
	    4 },
	[AM_NOTIFY] = { "liaison_agent_notifier_runs", LSN_METRIC_COUNTER,
	    "", "Notifier runs by result (ok, failed, timeout, "
	    "gave_up).", NULL, 0, 8 },
	[AM_STALE] = { "liaison_agent_stale_contacts", LSN_METRIC_GAUGE, "",
	    "Contacts in the directory neither verified nor updated within "
	    "contact_max_age_ms.", NULL, 0, 1 },
	[AM_STALE_BY] = { "liaison_agent_stale_contacts_by_partner",
	    LSN_METRIC_GAUGE, "", "The same per partner (first metrics_top "
	    "partners by id).", NULL, 0, 1000 },
	[AM_BROKER] = { "liaison_agent_broker_endpoint", LSN_METRIC_GAUGE,
	    "", "1 for the [agent] broker endpoint in use, 0 for the others.",
	    NULL, 0, AGENT_BROKERS_MAX },
	[AM_SWITCHES] = { "liaison_agent_broker_switches", LSN_METRIC_COUNTER,
	    "", "Changes of broker endpoint (several endpoints only).", NULL,
	    0, 1 },
	{ .name = NULL },
};

static int
reply_text(struct lsn_http_reply *r, int status, const char *ctype,
    const char *text)
{
	r->status = status;
	r->ctype = ctype;
	if ((r->body = strdup(text)) == NULL)
		return (LSN_ENOMEM);
	r->len = strlen(text);
	return (LSN_OK);
}

/* HTTP thread: only the snapshots and constants. */
static int
serve(void *arg, const char *path, struct lsn_http_reply *r)
{
	struct agent	*a = arg;
	struct lsn_snap	*snap;
	const char	*ctype;
	int		 stale, rv;

	if (strcmp(path, "/metrics") == 0) {
		snap = a->m_snap;
		ctype = LSN_HTTP_OPENMETRICS;
	} else if (strcmp(path, "/") == 0 && a->w_snap != NULL) {
		snap = a->w_snap;
		ctype = LSN_HTTP_HTML;
	} else if (strcmp(path, "/style.css") == 0 && a->w_snap != NULL)
		return (reply_text(r, 200, LSN_HTTP_CSS, web_css));
	else
		return (reply_text(r, 404, LSN_HTTP_TEXT, "not found\n"));
	rv = lsn_snap_fetch(snap, AM_SNAP_WAIT_MS, &r->body, &r->len, &stale);
	if (rv == LSN_ETIMEDOUT)
		return (reply_text(r, 503, LSN_HTTP_TEXT, "not ready\n"));
	if (rv != LSN_OK)
		return (rv);
	r->status = 200;
	r->ctype = ctype;
	return (LSN_OK);
}

/*
 * HTTP thread: the local API's rule for the listener (loopback only): the
 * connecting process must run as root, as the agent's user, or as a
 * member of [agent] http_group. Reads only fields set before the thread
 * started.
 */
static int
allow_peer(void *arg, int fd)
{
	struct agent	*a = arg;
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		 buf[16384];
	uid_t		 uid;

	if (lsn_tcp_peer_uid(fd, &uid) != LSN_OK)
		return (0);
	if (uid == 0 || uid == geteuid())
		return (1);
	if (!a->http_gid_set || getpwuid_r(uid, &pw, buf, sizeof(buf),
	    &pwp) != 0 || pwp == NULL)
		goto no;
	if (pw.pw_gid == a->http_gid)
		return (1);
	{
		char	gbuf[16384];

		if (getgrgid_r(a->http_gid, &gr, gbuf, sizeof(gbuf), &grp) ==
		    0 && grp != NULL)
			for (char **m = gr.gr_mem; m != NULL && *m != NULL;
			    m++)
				if (strcmp(*m, pw.pw_name) == 0)
					return (1);
	}
 no:
	if (lsn_log_ratelimit("http-denied", 10))
		log_auth("http: refused a connection from uid %ld (not the "
		    "agent's user, root or a member of http_group)",
		    (long) uid);
	return (0);
}

int
ametrics_open(struct agent *a)
{
	char	path[AGENT_PATH_MAX + 16];
	char	l[LSN_METRICS_LABELS_MAX];
	int	rv;

	if (a->conf.http_listen[0] == '\0')
		return (LSN_OK);
	if (a->conf.http_group[0] != '\0') {
		struct group	gr, *grp = NULL;
		char		gbuf[16384];

		if (getgrnam_r(a->conf.http_group, &gr, gbuf, sizeof(gbuf),
		    &grp) != 0 || grp == NULL) {
			log_warnx("http: http_group %s: no such group",
			    a->conf.http_group);
			return (LSN_ECONFIG);
		}
		a->http_gid = gr.gr_gid;
		a->http_gid_set = 1;
	}
	if ((rv = lsn_metrics_new(adefs, &a->m)) != LSN_OK ||
	    (rv = lsn_snap_new(&a->m_snap)) != LSN_OK ||
	    (a->conf.http_page && (rv = lsn_snap_new(&a->w_snap)) != LSN_OK))
		return (rv);
	(void) lsn_metrics_labels(l, sizeof(l), "version", LSN_VERSION,
	    "partner", a->conf.partner, (const char *) NULL);
	(void) lsn_metrics_set(a->m, AM_INFO, l, 1);
	if ((rv = lsn_http_open(a->conf.http_listen, serve, allow_peer, a,
	    &a->http)) !=
	    LSN_OK) {
		log_warnx("http: cannot listen on %s: %s",
		    a->conf.http_listen, lsn_strerror(rv));
		return (rv);
	}
	if (snprintf(path, sizeof(path), "%s.http", a->conf.db) <
	    (int) sizeof(path))
		(void) lsn_http_write_addr(a->http, path);
	log_info("http: listening on %s (port %u)%s", a->conf.http_listen,
	    (unsigned) lsn_http_port(a->http),
	    a->conf.http_page ? ", directory page on" : "");
	return (LSN_OK);
}

void
ametrics_close(struct agent *a)
{
	lsn_http_close(&a->http);	/* joins the thread first */
	lsn_snap_destroy(&a->m_snap);
	lsn_snap_destroy(&a->w_snap);
	lsn_metrics_destroy(&a->m);
}

void
ametrics_msg(struct agent *a, int in, int type, int priority)
{
	char	l[LSN_METRICS_LABELS_MAX], p[4];

	if (a->m == NULL)
		return;
	snprintf(p, sizeof(p), "%d", priority >= 0 && priority <= 4 ?
	    priority : 0);
	(void) lsn_metrics_labels(l, sizeof(l), "type",
	    lsn_envelope_type_name(type), "priority", p, (const char *) NULL);
	(void) lsn_metrics_add(a->m, in ? AM_IN : AM_OUT, l, 1);
}

void
ametrics_refusal(struct agent *a, const char *where, int code)
{
	char	l[LSN_METRICS_LABELS_MAX];

	if (a->m == NULL)
		return;
	(void) lsn_metrics_labels(l, sizeof(l), "where", where, "code",
	    lsn_errname(code), (const char *) NULL);
	(void) lsn_metrics_add(a->m, AM_REFUSED, l, 1);
}

void
ametrics_escalation(struct agent *a, const char *kind)
{
	char	l[LSN_METRICS_LABELS_MAX];

	if (a->m == NULL)
		return;
	(void) lsn_metrics_labels(l, sizeof(l), "kind", kind,
	    (const char *) NULL);
	(void) lsn_metrics_add(a->m, AM_ESC_FIRED, l, 1);
}

void
ametrics_notify(struct agent *a, const char *result)
{
	char	l[LSN_METRICS_LABELS_MAX];

	if (a->m == NULL)
		return;
	(void) lsn_metrics_labels(l, sizeof(l), "result", result,
	    (const char *) NULL);
	(void) lsn_metrics_add(a->m, AM_NOTIFY, l, 1);
}

double
ametrics_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

void
ametrics_commit(struct agent *a, double seconds)
{
	(void) lsn_metrics_observe(a->m, AM_COMMIT, NULL, seconds);
}

/* One integer (or two) from a query with an optional time parameter. */
static int
query2(struct agent *a, const char *sql, int64_t p, int64_t *v0,
    int64_t *v1)
{
	sqlite3_stmt	*s;
	int		 rv = LSN_EDB;

	if (lsn_store_stmt(a->st, sql, &s) != LSN_OK)
		return (LSN_EDB);
	if (sqlite3_bind_parameter_count(s) > 0 &&
	    sqlite3_bind_int64(s, 1, p) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*v0 = sqlite3_column_int64(s, 0);
		if (v1 != NULL)
			*v1 = sqlite3_column_int64(s, 1);
		rv = LSN_OK;
	}
 out:
	sqlite3_reset(s);
	return (rv);
}

struct stale_ctx {
	struct agent	*a;
	uint64_t	 now;
	double		 total;
	size_t		 shown;
};

static int
stale_partner(void *arg, const Liaison__V1__Partner *p)
{
	struct stale_ctx	*x = arg;
	char			 l[LSN_METRICS_LABELS_MAX];
	double			 n = 0;

	for (size_t i = 0; i < p->n_contacts; i++)
		n += lsn_contact_stale(p->contacts[i]->verified_at_ms,
		    p->contacts[i]->updated_ms, x->now,
		    (uint64_t) x->a->conf.contact_max_age_ms);
	x->total += n;
	if (n > 0 && x->shown < (size_t) x->a->conf.metrics_top &&
	    lsn_metrics_labels(l, sizeof(l), "partner", p->id,
	    (const char *) NULL) == LSN_OK) {
		(void) lsn_metrics_set(x->a->m, AM_STALE_BY, l, n);
		x->shown++;
	}
	return (0);
}

/* Which broker endpoint is in use, and how often it changed. */
static void
render_broker(struct agent *a)
{
	char	l[LSN_METRICS_LABELS_MAX];

	for (size_t i = 0; i < a->conf.nbrokers; i++)
		if (lsn_metrics_labels(l, sizeof(l), "endpoint",
		    a->conf.brokers[i], (const char *) NULL) == LSN_OK)
			(void) lsn_metrics_set(a->m, AM_BROKER, l,
			    i == a->broker_idx);
	(void) lsn_metrics_set(a->m, AM_SWITCHES, NULL,
	    (double) a->broker_switches);
}

/* Gauges from the loop's own state, then the text. */
static void
render_metrics(struct agent *a)
{
	struct stale_ctx	 x;
	uint8_t			 hash[LSN_DIR_HASH_BYTES];
	uint64_t		 rev, wnow = lsn_now_ms(), now = agent_now(a);
	int64_t			 v0 = 0, v1 = 0;
	char			*txt;
	size_t			 len;

	(void) lsn_metrics_set(a->m, AM_CONNECTED, NULL, a->connected);
	(void) lsn_metrics_set(a->m, AM_HALTED, NULL, a->halted);
	render_broker(a);
	if (query2(a, "SELECT count(*), coalesce(min(created_ms), 0) FROM "
	    "outbox WHERE state = 'pending'", 0, &v0, &v1) == LSN_OK) {
		(void) lsn_metrics_set(a->m, AM_OUTBOX, NULL, (double) v0);
		(void) lsn_metrics_set(a->m, AM_OUTBOX_AGE, NULL, v0 > 0 &&
		    (uint64_t) v1 < wnow ? (double) (wnow - (uint64_t) v1) /
		    1000.0 : 0);
	}
	if (query2(a, "SELECT count(*) FROM inbox WHERE acked = 0", 0,
	    &v0, NULL) == LSN_OK)
		(void) lsn_metrics_set(a->m, AM_INBOX_UNACKED, NULL,
		    (double) v0);
	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "alert" : "referral";
		char l[LSN_METRICS_LABELS_MAX];

		(void) lsn_metrics_labels(l, sizeof(l), "kind", kind,
		    (const char *) NULL);
		if (query2(a, k ? "SELECT count(*), coalesce(sum(deadline < ?),"
		    " 0) FROM tracking WHERE kind = 'alert' AND acked_ms = 0 "
		    "AND state = 1 AND escalated = 0 AND role = 'sender'" :
		    "SELECT count(*), coalesce(sum(deadline < ?), 0) FROM "
		    "tracking WHERE kind = 'referral' AND acked_ms = 0 AND "
		    "state = 1 AND escalated = 0 AND role = 'sender' AND "
		    "priority = 1", (int64_t) now, &v0, &v1) == LSN_OK)
			(void) lsn_metrics_set(a->m, AM_ESC_PENDING, l,
			    (double) v0);
		if (query2(a, k ? "SELECT count(*) FROM tracking WHERE kind = "
		    "'alert' AND acked_ms = 0 AND state = 1 AND deadline < ?" :
		    "SELECT count(*) FROM tracking WHERE kind = 'referral' AND "
		    "acked_ms = 0 AND state = 1 AND deadline < ?",
		    (int64_t) now, &v0, NULL) == LSN_OK)
			(void) lsn_metrics_set(a->m, AM_OVERDUE, l,
			    (double) v0);
	}
	if (lsn_dir_head(a->dir, &rev, hash) == LSN_OK)
		(void) lsn_metrics_set(a->m, AM_DIR_REV, NULL, (double) rev);
	if (a->cp_time_ms != 0)
		(void) lsn_metrics_set(a->m, AM_CP_AGE, NULL,
		    wnow > a->cp_time_ms ? (double) (wnow - a->cp_time_ms) /
		    1000.0 : 0);
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.now = now;
	lsn_metrics_clear(a->m, AM_STALE_BY);
	if (lsn_dir_list(a->dir, NULL, stale_partner, &x) == LSN_OK)
		(void) lsn_metrics_set(a->m, AM_STALE, NULL, x.total);
	if (lsn_metrics_render(a->m, "liaison_agent", &txt, &len) != LSN_OK)
		return;
	(void) lsn_snap_publish(a->m_snap, txt, len);
	free(txt);
}

void
ametrics_tick(struct agent *a)
{
	char	*txt;
	size_t	 len;

	if (a->m == NULL || a->in_tx)
		return;
	if (lsn_snap_wanted(a->m_snap))
		render_metrics(a);
	if (a->w_snap != NULL && lsn_snap_wanted(a->w_snap) &&
	    web_render(a, &txt, &len) == LSN_OK) {
		(void) lsn_snap_publish(a->w_snap, txt, len);
		free(txt);
	}
}
