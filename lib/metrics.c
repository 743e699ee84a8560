/*
 * metrics.c -- counters, gauges, histograms and their OpenMetrics text.
 * Contract in include/liaison/metrics.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/metrics.h"
#include "metrics_int.h"

struct series {
	char		labels[LSN_METRICS_LABELS_MAX];
	double		v;		/* counter / gauge */
	uint64_t	b[LSN_METRICS_BUCKETS_MAX];	/* non-cumulative */
	uint64_t	count;
	double		sum;
};

struct family {
	const struct lsn_metric_def	*def;
	struct series			*s;
	size_t				 n, max;
};

struct lsn_metrics {
	struct family	*f;
	size_t		 nf;
	uint64_t	 dropped;
};

int
lsn_metrics_new(const struct lsn_metric_def *defs, struct lsn_metrics **out)
{
	struct lsn_metrics	*m;
	size_t			 n;

	for (n = 0; defs[n].name != NULL; n++)
		if (defs[n].nbuckets > LSN_METRICS_BUCKETS_MAX ||
		    (defs[n].type == LSN_METRIC_HISTOGRAM &&
		    defs[n].buckets == NULL))
			return (LSN_EINVAL);
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->f = calloc(n + 1, sizeof(*m->f))) == NULL) {
		free(m);
		return (LSN_ENOMEM);
	}
	m->nf = n;
	for (size_t i = 0; i < n; i++) {
		m->f[i].def = &defs[i];
		m->f[i].max = defs[i].max_series ? defs[i].max_series :
		    LSN_METRICS_SERIES_MAX;
	}
	*out = m;
	return (LSN_OK);
}

void
lsn_metrics_destroy(struct lsn_metrics **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	for (size_t i = 0; i < (*mp)->nf; i++)
		free((*mp)->f[i].s);
	free((*mp)->f);
	free(*mp);
	*mp = NULL;
}

int
lsn_metrics_labels(char *out, size_t outsz, ...)
{
	va_list		 ap;
	const char	*k, *v;
	size_t		 o = 0;
	int		 rv = LSN_OK;

#define PUT(c)	do { if (o + 1 >= outsz) { rv = LSN_ETOOBIG; goto out; } \
		    out[o++] = (c); } while (0)
	va_start(ap, outsz);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			v = "";
		if (o > 0)
			PUT(',');
		for (; *k != '\0'; k++)
			PUT(*k);
		PUT('=');
		PUT('"');
		for (; *v != '\0'; v++) {
			unsigned char c = (unsigned char) *v;

			if (c == '\\' || c == '"') {
				PUT('\\');
				PUT((char) c);
			} else if (c == '\n') {
				PUT('\\');
				PUT('n');
			} else
				PUT(c >= 0x20 && c < 0x7f ? (char) c : '?');
		}
		PUT('"');
	}
out:
	va_end(ap);
#undef PUT
	if (outsz > 0)
		out[rv == LSN_OK ? o : 0] = '\0';
	return (rv);
}

/* The series of labels in family fam, created if there is room. */
static struct series *
series_get(struct lsn_metrics *m, size_t fam, const char *labels)
{
	struct family	*f;

	if (fam >= m->nf)
		return (NULL);
	f = &m->f[fam];
	if (labels == NULL)
		labels = "";
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->s[i].labels, labels) == 0)
			return (&f->s[i]);
	if (strlen(labels) >= LSN_METRICS_LABELS_MAX || f->n >= f->max) {
		m->dropped++;
		return (NULL);
	}
	if (f->s == NULL && (f->s = calloc(f->max, sizeof(*f->s))) == NULL)
		return (NULL);
	memset(&f->s[f->n], 0, sizeof(f->s[f->n]));
	strcpy(f->s[f->n].labels, labels);	/* length checked above */
	return (&f->s[f->n++]);
}

/* Adds v to the series (add) or sets it to v. */
static int
series_put(struct lsn_metrics *m, size_t fam, const char *labels, double v,
    int add)
{
	struct series	*s;

	if (m == NULL)
		return (LSN_OK);
	if ((s = series_get(m, fam, labels)) == NULL)
		return (LSN_ETOOBIG);
	s->v = add ? s->v + v : v;
	return (LSN_OK);
}

int
lsn_metrics_add(struct lsn_metrics *m, size_t fam, const char *labels,
    double v)
{
	return (series_put(m, fam, labels, v, 1));
}

int
lsn_metrics_set(struct lsn_metrics *m, size_t fam, const char *labels,
    double v)
{
	return (series_put(m, fam, labels, v, 0));
}

int
lsn_metrics_observe(struct lsn_metrics *m, size_t fam, const char *labels,
    double v)
{
	const struct lsn_metric_def	*d;
	struct series			*s;
	size_t				 i;

	if (m == NULL)
		return (LSN_OK);
	if ((s = series_get(m, fam, labels)) == NULL)
		return (LSN_ETOOBIG);
	d = m->f[fam].def;
	for (i = 0; i < d->nbuckets && v > d->buckets[i]; i++)
		;
	if (i < d->nbuckets)
		s->b[i]++;
	s->count++;
	s->sum += v;
	return (LSN_OK);
}

void
lsn_metrics_clear(struct lsn_metrics *m, size_t fam)
{
	if (m != NULL && fam < m->nf)
		m->f[fam].n = 0;
}

/* ---- exposition ---- */

int
mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;
	size_t	need;
	char	*p;

	if (b->failed)
		return (LSN_ENOMEM);
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return (LSN_EINTERNAL);
		}
		if ((size_t) n < b->cap - b->len) {
			b->len += (size_t) n;
			return (LSN_OK);
		}
		need = b->len + (size_t) n + 1;
		if (need < b->cap * 2)
			need = b->cap * 2;
		if (need < 4096)
			need = 4096;
		if ((p = realloc(b->p, need)) == NULL) {
			b->failed = 1;
			return (LSN_ENOMEM);
		}
		b->p = p;
		b->cap = need;
	}
}

/* A sample value: integers exactly, others with full precision. */
static void
put_value(struct mbuf *b, double v)
{
	if (isinf(v))
		mbuf_printf(b, v > 0 ? "+Inf" : "-Inf");
	else if (isnan(v))
		mbuf_printf(b, "NaN");
	else if ((v < 0 ? -v : v) < 9007199254740992.0 &&
	    v == (double) (long long) v)
		mbuf_printf(b, "%.0f", v);
	else
		mbuf_printf(b, "%.9g", v);
}

static void
put_meta(struct mbuf *b, const char *name, const char *type,
    const char *unit, const char *help)
{
	mbuf_printf(b, "# TYPE %s %s\n", name, type);
	if (unit != NULL && unit[0] != '\0')
		mbuf_printf(b, "# UNIT %s %s\n", name, unit);
	mbuf_printf(b, "# HELP %s %s\n", name, help);
}

void
metrics_put_histogram(struct mbuf *b, const char *name, const char *labels,
    const double *bounds, size_t nb, const uint64_t *counts, uint64_t count,
    double sum)
{
	uint64_t	cum = 0;
	const char	*sep = labels[0] != '\0' ? "," : "";

	for (size_t i = 0; i < nb; i++) {
		cum += counts[i];
		mbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
		    sep, bounds[i], (unsigned long long) cum);
	}
	mbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	    (unsigned long long) count);
	mbuf_printf(b, "%s_count%s%s%s %llu\n%s_sum%s%s%s ", name,
	    labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
	    (unsigned long long) count, name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "");
	put_value(b, sum);
	mbuf_printf(b, "\n");
}

static void
render_family(struct mbuf *b, const struct family *f)
{
	const struct lsn_metric_def	*d = f->def;
	static const char *const	 tn[] = { "", "counter", "gauge",
					    "histogram" };

	put_meta(b, d->name, tn[d->type], d->unit, d->help);
	for (size_t i = 0; i < f->n; i++) {
		const struct series	*s = &f->s[i];
		const char		*l = s->labels;

		if (d->type == LSN_METRIC_HISTOGRAM) {
			metrics_put_histogram(b, d->name, l, d->buckets,
			    d->nbuckets, s->b, s->count, s->sum);
			continue;
		}
		mbuf_printf(b, "%s%s%s%s%s ", d->name,
		    d->type == LSN_METRIC_COUNTER ? "_total" : "",
		    l[0] ? "{" : "", l, l[0] ? "}" : "");
		put_value(b, s->v);
		mbuf_printf(b, "\n");
	}
}

int
lsn_metrics_render(struct lsn_metrics *m, const char *prefix, char **out,
    size_t *len)
{
	struct mbuf	b;

	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < m->nf; i++)
		render_family(&b, &m->f[i]);
	put_meta(&b, "liaison_metrics_series_dropped", "counter", "",
	    "Metric updates dropped by the per-family series bound.");
	mbuf_printf(&b, "liaison_metrics_series_dropped_total %llu\n",
	    (unsigned long long) m->dropped);
	if (prefix != NULL)
		metrics_fsync_render(&b, prefix);
	mbuf_printf(&b, "# EOF\n");
	if (b.failed) {
		free(b.p);
		return (LSN_ENOMEM);
	}
	*out = b.p;
	*len = b.len;
	return (LSN_OK);
}
