/*
 * bench_main.c -- liaison-bench [--short]: runs the ceilings, then the
 * Liaison figures, and prints one table (see bench.h and
 * docs/performance.md). --short runs every scenario with small counts (the
 * ctest smoke run); nothing asserts a time.
 */
#include <sys/resource.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/err.h"
#include "liaison/util.h"

#include "bench.h"
#include "lsn_proc.h"

double
bench_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

uint64_t
bench_wall_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t) ts.tv_sec * 1000000ULL +
	    (uint64_t) ts.tv_nsec / 1000);
}

void
bench_msg(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct bench_row *
bench_row_add(struct bench_world *w, const char *figure, double value,
    const char *unit)
{
	struct bench_row	*r;

	if (w->nrows >= BENCH_ROWS_MAX)
		return (&w->rows[BENCH_ROWS_MAX - 1]);
	r = &w->rows[w->nrows++];
	memset(r, 0, sizeof(*r));
	lsn_strlcpy(r->figure, figure, sizeof(r->figure));
	r->value = value;
	lsn_strlcpy(r->unit, unit, sizeof(r->unit));
	lsn_strlcpy(r->target, "-", sizeof(r->target));
	lsn_strlcpy(r->ratio, "-", sizeof(r->ratio));
	return (r);
}

static void
fmt_value(double v, char *buf, size_t sz)
{
	if (v >= 1000.0)
		snprintf(buf, sz, "%.0f", v);
	else if (v >= 10.0)
		snprintf(buf, sz, "%.1f", v);
	else
		snprintf(buf, sz, "%.2f", v);
}

static void
print_table(const struct bench_world *w)
{
	double	la[3] = { 0, 0, 0 };
	char	v[32];

	if (getloadavg(la, 3) != 3)
		la[0] = la[1] = la[2] = -1;
	printf("\nLiaison benchmark (%s mode), %ld cores, load average "
	    "%.2f %.2f %.2f\n\n", w->cfg->shortmode ? "short" : "full",
	    sysconf(_SC_NPROCESSORS_ONLN), la[0], la[1], la[2]);
	printf("| %-44s | %12s | %-8s | %-26s | %-34s |\n", "figure",
	    "value", "unit", "target", "ratio / met?");
	printf("|%.46s|%.14s|%.10s|%.28s|%.36s|\n",
	    "----------------------------------------------",
	    "--------------", "----------",
	    "----------------------------",
	    "------------------------------------");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < w->nrows; i++) {
			const struct bench_row *r = &w->rows[i];

			if (r->ceiling != (pass == 0))
				continue;
			fmt_value(r->value, v, sizeof(v));
			printf("| %-44s | %12s | %-8s | %-26s | %-34s |\n",
			    r->figure, v, r->unit, r->target, r->ratio);
		}
	printf("\n");
	for (size_t i = 0; i < w->nrows; i++)
		if (w->rows[i].note[0] != '\0')
			printf("  %s: %s\n", w->rows[i].figure,
			    w->rows[i].note);
	fflush(stdout);
}

static void
cfg_init(struct bench_cfg *c, int shortmode)
{
	memset(c, 0, sizeof(*c));
	c->shortmode = shortmode;
	c->msg_bytes = 1024;
	if (shortmode) {
		c->ceil_secs = 0.2;
		c->curve_msgs = 20000;
		c->ingress_msgs = 2000;
		c->e2e_msgs = 400;
		c->lat_secs = 2;
		c->nbig = 160;
		c->nfan = 50;
		c->noff = 50;
		c->off_msgs = 40;
		c->fan_rounds = 2;
		c->pg_msgs = 1000;
	} else {
		c->ceil_secs = 2.0;
		c->curve_msgs = 300000;
		c->ingress_msgs = 40000;
		c->e2e_msgs = 20000;
		c->lat_secs = 30;
		c->nbig = 5000;
		c->nfan = 1000;
		c->noff = 1000;
		c->off_msgs = 1000;
		c->fan_rounds = 5;
		c->pg_msgs = 20000;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: liaison-bench [--short] [--only LIST] "
	    "[--set NAME=N]...\n"
	    "  LIST: comma-separated of ceil,dir,sync,ingress,e2e,latency,"
	    "fanout,pg\n"
	    "  NAME: ingress_msgs, e2e_msgs, lat_secs, off_msgs, "
	    "fan_rounds, pg_msgs\n");
	exit(2);
}

static int
want(const char *only, const char *name)
{
	const char	*p;
	size_t		 n = strlen(name);

	if (only == NULL)
		return (1);
	for (p = only; (p = strstr(p, name)) != NULL; p += n)
		if ((p == only || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return (1);
	return (0);
}

/* --set NAME=N: overrides one count of the mode (profiling runs). */
static int
cfg_set(struct bench_cfg *c, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	char		*end;
	long long	 v;

	if (eq == NULL)
		return (-1);
	v = strtoll(eq + 1, &end, 10);
	if (*end != '\0' || v < 1 || v > 100000000)
		return (-1);
#define SETF(name, field, type) do {					\
	if (strncmp(arg, name "=", strlen(name) + 1) == 0) {		\
		c->field = (type) v;					\
		return (0);						\
	}								\
} while (0)
	SETF("ingress_msgs", ingress_msgs, size_t);
	SETF("e2e_msgs", e2e_msgs, size_t);
	SETF("lat_secs", lat_secs, int);
	SETF("off_msgs", off_msgs, size_t);
	SETF("fan_rounds", fan_rounds, int);
	SETF("pg_msgs", pg_msgs, size_t);
#undef SETF
	return (-1);
}

int
main(int argc, char *argv[])
{
	struct bench_cfg	 cfg;
	struct bench_world	 w;
	struct rlimit		 rl;
	const char		*only = NULL, *sets[16];
	int			 nsets = 0;
	int			 shortmode = 0, failed = 0, rv;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--short") == 0)
			shortmode = 1;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc &&
		    nsets < 16)
			sets[nsets++] = argv[++i];
		else
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((rv = lsn_init()) != LSN_OK) {
		fprintf(stderr, "lsn_init: %s\n", lsn_strerror(rv));
		return (1);
	}
	/* 1,000 clients here and 1,000 connections in the broker (which
	 * inherits the limit). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	cfg_init(&cfg, shortmode);
	for (int i = 0; i < nsets; i++)
		if (cfg_set(&cfg, sets[i]) != 0)
			usage();
	memset(&w, 0, sizeof(w));
	w.cfg = &cfg;
	w.broker = -1;

#define STEP(name, call) do {						\
	if (want(only, name)) {						\
		bench_msg("--- %s", name);				\
		if ((rv = (call)) != LSN_OK) {				\
			bench_msg("%s FAILED: %s", name,		\
			    lsn_strerror(rv));				\
			failed = 1;					\
		}							\
	}								\
} while (0)

	STEP("ceil", bench_ceilings(&w));
	if ((rv = bench_world_build(&w)) != LSN_OK) {
		bench_msg("world: %s", lsn_strerror(rv));
		failed = 1;
		goto out;
	}
	if (want(only, "pg") && bench_pg_keep_dir(&w) != LSN_OK)
		failed = 1;
	STEP("dir", bench_dir_apply(&w));
	if ((rv = bench_broker_start(&w)) != LSN_OK) {
		bench_msg("broker: %s", lsn_strerror(rv));
		failed = 1;
		goto out;
	}
	STEP("sync", bench_dir_sync(&w));
	STEP("ingress", bench_ingress(&w));
	STEP("e2e", bench_e2e(&w));
	STEP("latency", bench_latency(&w));
	STEP("fanout", bench_fanout_memory(&w));
	/* after the scenarios whose figures it would weigh on */
	STEP("ingress", bench_ingress_single(&w));
	/* last: its own PostgreSQL server and broker (bench_pg.c) */
	STEP("pg", bench_pg(&w));
#undef STEP
 out:
	print_table(&w);
	if (w.broker > 0 && lsn_proc_alive(w.broker) == 0) {
		bench_msg("the broker died during the run");
		lsn_proc_dump_log(w.fx->broker_log, 4000);
		failed = 1;
	}
	bench_world_free(&w);
	lsn_proc_kill_all();
	if (failed)
		bench_msg("some scenarios FAILED (see above)");
	return (failed ? 1 : 0);
}
