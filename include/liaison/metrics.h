/*
 * metrics.h -- a small registry of counters, gauges and histograms and its
 * OpenMetrics text exposition (https://openmetrics.io, text format 1.0).
 *
 * A daemon describes its families in a table (struct lsn_metric_def,
 * ended by a NULL name) and updates series by family index and a label
 * text built with lsn_metrics_labels() ("type=\"note\",priority=\"1\"").
 * Names follow Prometheus conventions: counters are declared without the
 * "_total" suffix (the exposition adds it), names carry their unit
 * ("_seconds", "_bytes") and the unit is declared in the table.
 *
 * Cardinality is bounded: each family holds at most max_series label sets
 * (LSN_METRICS_SERIES_MAX if 0); updates of a new label set beyond it are
 * dropped and counted in liaison_metrics_series_dropped_total.
 *
 * Threading: NOT thread-safe. The registry belongs to the daemon's main
 * loop, which renders the text and hands it to the HTTP thread through a
 * struct lsn_snap. The one exception is lsn_metrics_fsync_*, a process-wide
 * histogram of sqlite fsync latencies kept with atomics (any thread).
 */
#ifndef LIAISON_METRICS_H
#define LIAISON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

#define LSN_METRICS_SERIES_MAX	64
#define LSN_METRICS_LABELS_MAX	256	/* bytes of one label text */
#define LSN_METRICS_BUCKETS_MAX	16

enum lsn_metric_type {
	LSN_METRIC_COUNTER = 1,
	LSN_METRIC_GAUGE,
	LSN_METRIC_HISTOGRAM,
};

struct lsn_metric_def {
	const char		*name;	/* NULL ends the table */
	enum lsn_metric_type	 type;
	const char		*unit;	/* "" or e.g. "seconds" (name suffix) */
	const char		*help;
	const double		*buckets;	/* histograms: upper bounds, */
	size_t			 nbuckets;	/* ascending, +Inf implied */
	size_t			 max_series;	/* 0 = LSN_METRICS_SERIES_MAX */
};

struct lsn_metrics;

/* Builds a registry for defs (borrowed: must outlive it). LSN_EINVAL for
 * a bad table, LSN_ENOMEM. */
int	lsn_metrics_new(const struct lsn_metric_def *defs,
	    struct lsn_metrics **out) LSN_MUST_CHECK;
void	lsn_metrics_destroy(struct lsn_metrics **mp);

/*
 * Formats label pairs into out: names and values alternate, NULL ends the
 * list; values are escaped (\\, \", \n) and bytes that are not printable
 * ASCII become '?'. LSN_ETOOBIG if it does not fit (out is then "").
 */
int	lsn_metrics_labels(char *out, size_t outsz, ...)
	    __attribute__((sentinel));

/* Counter/gauge: add v (counters: v >= 0). labels NULL = no labels. */
int	lsn_metrics_add(struct lsn_metrics *m, size_t fam, const char *labels,
	    double v);
/* Gauge: set v. */
int	lsn_metrics_set(struct lsn_metrics *m, size_t fam, const char *labels,
	    double v);
/* Histogram: one observation. */
int	lsn_metrics_observe(struct lsn_metrics *m, size_t fam,
	    const char *labels, double v);
/* Drops every series of a family (gauges recomputed per scrape, top N). */
void	lsn_metrics_clear(struct lsn_metrics *m, size_t fam);

/*
 * Renders the OpenMetrics text of every family (in table order, families
 * without series too), then the fsync histogram (when prefix is not NULL:
 * "<prefix>_sqlite_fsync_seconds"), then "# EOF\n". *out malloc'd
 * (caller frees), *len its length. LSN_ENOMEM.
 */
int	lsn_metrics_render(struct lsn_metrics *m, const char *prefix,
	    char **out, size_t *len) LSN_MUST_CHECK;

/*
 * Process-wide fsync timing: lsn_metrics_fsync_install() registers, once,
 * a sqlite VFS wrapping the default one whose xSync is timed, as the new
 * default (call before opening databases). Safe to call again.
 */
int	lsn_metrics_fsync_install(void);

#endif /* LIAISON_METRICS_H */
