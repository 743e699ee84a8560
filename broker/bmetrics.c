/*
 * bmetrics.c -- the broker's /metrics endpoint (OpenMetrics).
 *
 * The registry and every value in it belong to the main loop: counters are
 * bumped by hooks in the loop (publish answers, delivery acks, commits),
 * gauges (sessions, queues, directory) are read from the loop's own state
 * and sqlite handle when a scrape asks for a fresh snapshot
 * (bmetrics_tick). The HTTP thread (lib/http.c) only copies the last
 * rendered text out of the struct lsn_snap; it never touches the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "liaison/envelope.h"
#include "liaison/http.h"
#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/snap.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"
#include "leader.h"

#define BM_SNAP_WAIT_MS	3000	/* a scrape waits this long for the loop */

enum {
	BM_INFO, BM_IN, BM_QUEUED, BM_REFUSED, BM_DELIVERED, BM_SESSIONS,
	BM_QDEPTH, BM_QAGE, BM_QTOTAL, BM_COMMIT, BM_DIR_REV, BM_CP_AGE,
	BM_UP, BM_SENT, BM_EPOCH,
};

static const double commit_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

static const struct lsn_metric_def bdefs[] = {
	[BM_INFO] = { "liaison_broker_build_info", LSN_METRIC_GAUGE, "",
	    "Version of the running broker.", NULL, 0, 1 },
	[BM_IN] = { "liaison_broker_messages_in", LSN_METRIC_COUNTER, "",
	    "Publishes accepted, by message type and priority.", NULL, 0, 0 },
	[BM_QUEUED] = { "liaison_broker_messages_queued", LSN_METRIC_COUNTER,
	    "", "Copies queued for recipients (accepted x recipients), by "
	    "type and priority.", NULL, 0, 0 },
	[BM_REFUSED] = { "liaison_broker_refusals", LSN_METRIC_COUNTER, "",
	    "Publishes refused, by error code.", NULL, 0, 0 },
	[BM_DELIVERED] = { "liaison_broker_messages_out", LSN_METRIC_COUNTER,
	    "", "Deliveries acknowledged by recipients (messages out).",
	    NULL, 0, 1 },
	[BM_SESSIONS] = { "liaison_broker_sessions", LSN_METRIC_GAUGE, "",
	    "Agent sessions open now.", NULL, 0, 1 },
	[BM_QDEPTH] = { "liaison_broker_queue_depth", LSN_METRIC_GAUGE, "",
	    "Undelivered messages of the recipients with the deepest queues "
	    "(top metrics_top).", NULL, 0, 1000 },
	[BM_QAGE] = { "liaison_broker_queue_oldest_age_seconds",
	    LSN_METRIC_GAUGE, "seconds", "Age of the oldest undelivered "
	    "message of the same recipients.", NULL, 0, 1000 },
	[BM_QTOTAL] = { "liaison_broker_queue_depth_all", LSN_METRIC_GAUGE,
	    "", "Undelivered messages of all recipients.", NULL, 0, 1 },
	[BM_COMMIT] = { "liaison_broker_commit_seconds",
	    LSN_METRIC_HISTOGRAM, "seconds", "Time of each loop turn's "
	    "COMMIT.", commit_bounds,
	    sizeof(commit_bounds) / sizeof(commit_bounds[0]), 1 },
	[BM_DIR_REV] = { "liaison_broker_directory_revision",
	    LSN_METRIC_GAUGE, "", "Head revision of the directory log.",
	    NULL, 0, 1 },
	[BM_CP_AGE] = { "liaison_broker_checkpoint_age_seconds",
	    LSN_METRIC_GAUGE, "seconds", "Age of the last signed head "
	    "checkpoint handed out (absent before the first).", NULL, 0, 1 },
	[BM_UP] = { "liaison_broker_uptime_seconds", LSN_METRIC_GAUGE,
	    "seconds", "Seconds since the broker started.", NULL, 0, 1 },
	[BM_SENT] = { "liaison_broker_deliveries_sent", LSN_METRIC_COUNTER,
	    "", "Deliver frames sent to recipients (first sends and "
	    "redeliveries), by message type and priority.", NULL, 0, 0 },
	[BM_EPOCH] = { "liaison_broker_lease_epoch", LSN_METRIC_GAUGE, "",
	    "Leadership epoch this broker serves under (PostgreSQL store; 0 "
	    "on sqlite).", NULL, 0, 1 },
	{ .name = NULL },
};

static int
serve(void *arg, const char *path, struct lsn_http_reply *r)
{
	struct broker	*b = arg;
	int		 stale, rv;

	if (strcmp(path, "/metrics") != 0) {
		r->status = 404;
		r->ctype = LSN_HTTP_TEXT;
		if ((r->body = strdup("not found\n")) == NULL)
			return (LSN_ENOMEM);
		r->len = strlen(r->body);
		return (LSN_OK);
	}
	rv = lsn_snap_fetch(b->m_snap, BM_SNAP_WAIT_MS, &r->body, &r->len,
	    &stale);
	if (rv == LSN_ETIMEDOUT) {
		r->status = 503;
		r->ctype = LSN_HTTP_TEXT;
		if ((r->body = strdup("not ready\n")) == NULL)
			return (LSN_ENOMEM);
		r->len = strlen(r->body);
		return (LSN_OK);
	}
	if (rv != LSN_OK)
		return (rv);
	r->status = 200;
	r->ctype = LSN_HTTP_OPENMETRICS;
	return (LSN_OK);
}

int
bmetrics_open(struct broker *b)
{
	char	path[BROKER_PATH_MAX + 16];
	char	l[LSN_METRICS_LABELS_MAX];
	int	rv;

	(void) lsn_metrics_fsync_install();
	if (b->conf.metrics_listen[0] == '\0')
		return (LSN_OK);
	if ((rv = lsn_metrics_new(bdefs, &b->m)) != LSN_OK ||
	    (rv = lsn_snap_new(&b->m_snap)) != LSN_OK)
		return (rv);
	(void) lsn_metrics_labels(l, sizeof(l), "version", LSN_VERSION,
	    (const char *) NULL);
	(void) lsn_metrics_set(b->m, BM_INFO, l, 1);
	(void) lsn_metrics_add(b->m, BM_DELIVERED, NULL, 0);
	if ((rv = lsn_http_open(b->conf.metrics_listen, serve, NULL, b,
	    &b->m_http)) != LSN_OK) {
		log_warnx("metrics: cannot listen on %s: %s",
		    b->conf.metrics_listen, lsn_strerror(rv));
		return (rv);
	}
	/* The port beside a database file; a PostgreSQL store has none. */
	if (!lsn_store_is_uri(b->conf.db) &&
	    snprintf(path, sizeof(path), "%s.metrics", b->conf.db) <
	    (int) sizeof(path))
		(void) lsn_http_write_addr(b->m_http, path);
	log_info("metrics: listening on %s (port %u)", b->conf.metrics_listen,
	    (unsigned) lsn_http_port(b->m_http));
	return (LSN_OK);
}

void
bmetrics_close(struct broker *b)
{
	lsn_http_close(&b->m_http);	/* joins the thread first */
	lsn_snap_destroy(&b->m_snap);
	lsn_metrics_destroy(&b->m);
}

void
bmetrics_publish(struct broker *b, const struct ingress_result *res)
{
	char	 l[LSN_METRICS_LABELS_MAX], p[4];

	if (b->m == NULL)
		return;
	if (res->code != LSN_OK) {
		(void) lsn_metrics_labels(l, sizeof(l), "code",
		    lsn_errname(res->code), (const char *) NULL);
		(void) lsn_metrics_add(b->m, BM_REFUSED, l, 1);
		return;
	}
	if (res->duplicate)
		return;
	snprintf(p, sizeof(p), "%d", res->priority >= 0 && res->priority <= 4
	    ? res->priority : 0);
	(void) lsn_metrics_labels(l, sizeof(l), "type",
	    lsn_envelope_type_name(res->type), "priority", p,
	    (const char *) NULL);
	(void) lsn_metrics_add(b->m, BM_IN, l, 1);
	(void) lsn_metrics_add(b->m, BM_QUEUED, l, (double) res->nrcpts);
}

void
bmetrics_delivered(struct broker *b)
{
	(void) lsn_metrics_add(b->m, BM_DELIVERED, NULL, 1);
}

/*
 * A Deliver frame went out with the stored signed envelope env: counted by
 * type and priority. The envelope was verified at ingress; it is unpacked
 * here only while /metrics is on (a few microseconds, no verification).
 */
void
bmetrics_sent(struct broker *b, const uint8_t *env, size_t len)
{
	Liaison__V1__SignedEnvelope	*se = NULL;
	Liaison__V1__Envelope		*e = NULL;
	char				 l[LSN_METRICS_LABELS_MAX], p[4];

	if (b->m == NULL || env == NULL)
		return;
	if ((se = liaison__v1__signed_envelope__unpack(NULL, len, env)) ==
	    NULL || !se->has_envelope || (e = liaison__v1__envelope__unpack(
	    NULL, se->envelope.len, se->envelope.data)) == NULL)
		goto out;
	snprintf(p, sizeof(p), "%d", e->has_priority && e->priority <= 4 ?
	    (int) e->priority : 0);
	if (lsn_metrics_labels(l, sizeof(l), "type",
	    lsn_envelope_type_name(e->has_type ? (int) e->type : 0),
	    "priority", p, (const char *) NULL) == LSN_OK)
		(void) lsn_metrics_add(b->m, BM_SENT, l, 1);
 out:
	if (e != NULL)
		liaison__v1__envelope__free_unpacked(e, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
}

double
bmetrics_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

void
bmetrics_commit(struct broker *b, double seconds)
{
	(void) lsn_metrics_observe(b->m, BM_COMMIT, NULL, seconds);
}

struct gauge_arg {
	struct broker	*b;
	uint64_t	 now;
};

/* One of the deepest queues: its depth and its oldest message's age. */
static int
gauge_queue(void *arg, const char *p, int64_t queued)
{
	struct gauge_arg	*g = arg;
	char			 l[LSN_METRICS_LABELS_MAX];
	int64_t			 at;

	if (lsn_metrics_labels(l, sizeof(l), "recipient", p,
	    (const char *) NULL) != LSN_OK)
		return (0);
	(void) lsn_metrics_set(g->b->m, BM_QDEPTH, l, (double) queued);
	/* p stays valid: the walk is not stepped while this runs */
	if (bstore_queue_oldest(g->b, p, &at) == LSN_OK)
		(void) lsn_metrics_set(g->b->m, BM_QAGE, l,
		    g->now > (uint64_t) at ?
		    (double) (g->now - (uint64_t) at) / 1000.0 : 0);
	return (0);
}

/* The deepest queues (recipients.queued is kept by triggers) and the age
 * of each one's oldest message (lowest seq). */
static void
gauge_queues(struct broker *b, uint64_t now)
{
	struct gauge_arg	 g = { b, now };
	int64_t			 total = 0;

	lsn_metrics_clear(b->m, BM_QDEPTH);
	lsn_metrics_clear(b->m, BM_QAGE);
	if (bstore_stat_queued_waiting(b, &total) != LSN_OK)
		total = 0;
	(void) lsn_metrics_set(b->m, BM_QTOTAL, NULL, (double) total);
	if (bstore_queues_top(b, (int64_t) b->conf.metrics_top, gauge_queue,
	    &g) != LSN_OK)
		return;		/* the gauges set so far stay */
}

void
bmetrics_tick(struct broker *b)
{
	struct lsn_dir_checkpoint	 cp;
	uint8_t				 hash[LSN_DIR_HASH_BYTES];
	uint64_t			 rev, now = broker_now(b);
	char				*txt;
	size_t				 len;

	if (b->m == NULL || !lsn_snap_wanted(b->m_snap) || b->tx)
		return;
	(void) lsn_metrics_set(b->m, BM_SESSIONS, NULL, (double) b->nsess);
	(void) lsn_metrics_set(b->m, BM_UP, NULL,
	    (double) (lsn_mono_ms() - b->started_mono) / 1000.0);
	(void) lsn_metrics_set(b->m, BM_EPOCH, NULL,
	    (double) leader_epoch(b));
	gauge_queues(b, now);
	if (lsn_dir_head(b->dir, &rev, hash) == LSN_OK)
		(void) lsn_metrics_set(b->m, BM_DIR_REV, NULL, (double) rev);
	if (b->cp != NULL && lsn_dir_checkpoint_parse(b->cp, b->cplen,
	    b->seq_kp->pk, &cp) == LSN_OK)
		(void) lsn_metrics_set(b->m, BM_CP_AGE, NULL, now > cp.time_ms ?
		    (double) (now - cp.time_ms) / 1000.0 : 0);
	if (lsn_metrics_render(b->m, "liaison_broker", &txt, &len) != LSN_OK)
		return;
	(void) lsn_snap_publish(b->m_snap, txt, len);
	free(txt);
}
