/*
 * test_metrics.c -- the OpenMetrics registry (labels escaping, counters
 * with _total, units, histograms with cumulative buckets, the series
 * bound, # EOF), the listen-address parser of lib/http.c, the text
 * snapshot and the structured log line formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/http.h"
#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/snap.h"

#include "lsn_test.h"

static const double b3[] = { 0.1, 1, 10 };

static const struct lsn_metric_def defs[] = {
	{ "t_msgs", LSN_METRIC_COUNTER, "", "Messages.", NULL, 0, 2 },
	{ "t_age_seconds", LSN_METRIC_GAUGE, "seconds", "Age.", NULL, 0, 0 },
	{ "t_lat_seconds", LSN_METRIC_HISTOGRAM, "seconds", "Latency.", b3, 3,
	    0 },
	{ .name = NULL },
};

static void
test_metrics_labels_escaped(void **state)
{
	char	l[64];

	(void) state;
	assert_ok(lsn_metrics_labels(l, sizeof(l), "a", "x\"y\\z\nw", "b",
	    "\x01\xff", (const char *) NULL));
	assert_string_equal(l, "a=\"x\\\"y\\\\z\\nw\",b=\"??\"");
	assert_err(lsn_metrics_labels(l, 8, "name", "longer value",
	    (const char *) NULL), LSN_ETOOBIG);
	assert_string_equal(l, "");
}

static void
test_metrics_render_openmetrics(void **state)
{
	struct lsn_metrics	*m = NULL;
	char			*txt = NULL, l[64];
	size_t			 len;

	(void) state;
	assert_ok(lsn_metrics_new(defs, &m));
	assert_ok(lsn_metrics_labels(l, sizeof(l), "type", "note",
	    (const char *) NULL));
	assert_ok(lsn_metrics_add(m, 0, l, 2));
	assert_ok(lsn_metrics_add(m, 0, l, 1));
	assert_ok(lsn_metrics_add(m, 0, "type=\"alert\"", 1));
	/* the third label set is over the bound of 2: dropped, counted */
	assert_err(lsn_metrics_add(m, 0, "type=\"x\"", 1), LSN_ETOOBIG);
	assert_ok(lsn_metrics_set(m, 1, NULL, 1.5));
	assert_ok(lsn_metrics_observe(m, 2, NULL, 0.05));
	assert_ok(lsn_metrics_observe(m, 2, NULL, 5));
	assert_ok(lsn_metrics_observe(m, 2, NULL, 50));
	assert_ok(lsn_metrics_render(m, NULL, &txt, &len));
	assert_int_equal(strlen(txt), len);
	assert_non_null(strstr(txt, "# TYPE t_msgs counter\n# HELP t_msgs "
	    "Messages.\nt_msgs_total{type=\"note\"} 3\n"
	    "t_msgs_total{type=\"alert\"} 1\n"));
	assert_non_null(strstr(txt, "# TYPE t_age_seconds gauge\n# UNIT "
	    "t_age_seconds seconds\n"));
	assert_non_null(strstr(txt, "t_age_seconds 1.5\n"));
	assert_non_null(strstr(txt, "t_lat_seconds_bucket{le=\"0.1\"} 1\n"
	    "t_lat_seconds_bucket{le=\"1\"} 1\n"
	    "t_lat_seconds_bucket{le=\"10\"} 2\n"
	    "t_lat_seconds_bucket{le=\"+Inf\"} 3\n"
	    "t_lat_seconds_count 3\nt_lat_seconds_sum 55.05"));
	assert_non_null(strstr(txt, "liaison_metrics_series_dropped_total 1\n"));
	assert_int_equal(strcmp(txt + len - 6, "# EOF\n"), 0);
	free(txt);
	/* clear drops the series, the family stays */
	lsn_metrics_clear(m, 0);
	assert_ok(lsn_metrics_render(m, "t", &txt, &len));
	assert_null(strstr(txt, "t_msgs_total"));
	assert_non_null(strstr(txt, "# TYPE t_msgs counter"));
	assert_non_null(strstr(txt, "# TYPE t_sqlite_fsync_seconds "
	    "histogram"));
	free(txt);
	lsn_metrics_destroy(&m);
	assert_null(m);
}

static void
test_http_listen_addresses(void **state)
{
	(void) state;
	assert_ok(lsn_http_listen_valid("127.0.0.1:9731", 1));
	assert_ok(lsn_http_listen_valid("127.0.0.2:0", 1));
	assert_ok(lsn_http_listen_valid("[::1]:80", 1));
	assert_ok(lsn_http_listen_valid("0.0.0.0:9731", 0));
	assert_err(lsn_http_listen_valid("0.0.0.0:9731", 1), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("[::]:9731", 1), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("10.0.0.1:9731", 1), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("127.0.0.1", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("127.0.0.1:65536", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("127.0.0.1:-1", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("localhost:80", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid(":80", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid("127.0.0.1:80 ", 0), LSN_EINVAL);
	assert_err(lsn_http_listen_valid(NULL, 0), LSN_EINVAL);
}

static void
test_snap_fetch_publish(void **state)
{
	struct lsn_snap	*s = NULL;
	char		*buf = NULL;
	size_t		 len;
	int		 stale;

	(void) state;
	assert_ok(lsn_snap_new(&s));
	assert_false(lsn_snap_wanted(s));
	/* nothing published: times out, and leaves the wish */
	assert_err(lsn_snap_fetch(s, 10, &buf, &len, &stale), LSN_ETIMEDOUT);
	assert_true(lsn_snap_wanted(s));
	assert_ok(lsn_snap_publish(s, "abc", 3));
	assert_false(lsn_snap_wanted(s));
	/* no new copy within the wait: the old one, marked stale */
	assert_ok(lsn_snap_fetch(s, 10, &buf, &len, &stale));
	assert_string_equal(buf, "abc");
	assert_int_equal(len, 3);
	assert_true(stale);
	free(buf);
	lsn_snap_destroy(&s);
	assert_null(s);
}

static void
test_log_format_lines(void **state)
{
	char		 out[512];
	json_t		*o;
	json_error_t	 err;

	(void) state;
	assert_int_equal(lsn_log_format_parse("text"), LSN_LOG_TEXT);
	assert_int_equal(lsn_log_format_parse("kv"), LSN_LOG_KV);
	assert_int_equal(lsn_log_format_parse("json"), LSN_LOG_JSON);
	assert_int_equal(lsn_log_format_parse("JSON"), -1);
	assert_int_equal(lsn_log_format_line(LSN_LOG_KV, "info", 1, "d", 7,
	    "publish: a \"b\" c\\", out, sizeof(out)), 0);
	assert_non_null(strstr(out, " level=info ident=d pid=7 auth=1 "
	    "event=publish msg=\"publish: a \\\"b\\\" c\\\\\""));
	assert_int_equal(strncmp(out, "ts=", 3), 0);
	assert_int_equal(lsn_log_format_line(LSN_LOG_JSON, "warning", 0, "d",
	    7, "no prefix \"q\"\t", out, sizeof(out)), 0);
	assert_non_null(o = json_loads(out, 0, &err));
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
	    "no prefix \"q\" ");
	assert_string_equal(json_string_value(json_object_get(o, "event")),
	    "-");
	assert_true(json_is_false(json_object_get(o, "auth")));
	json_decref(o);
	/* truncation keeps it one valid line */
	memset(out, 0, sizeof(out));
	assert_int_equal(lsn_log_format_line(LSN_LOG_JSON, "info", 0, "d", 7,
	    "x: 0123456789012345678901234567890123456789012345678901234567"
	    "89", out, 140), 0);
	assert_true(strlen(out) < 140);
	assert_non_null(o = json_loads(out, 0, &err));
	json_decref(o);
	/* truncated inside a multi-byte character: cut before it */
	for (size_t cut = 120; cut < 140; cut++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(lsn_log_format_line(LSN_LOG_JSON, "info", 0,
		    "d", 7, "x: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		    out, cut), 0);
		if ((o = json_loads(out, 0, &err)) == NULL)
			fail_msg("cut %zu: %s: %s", cut, out, err.text);
		json_decref(o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_labels_escaped),
		cmocka_unit_test(test_metrics_render_openmetrics),
		cmocka_unit_test(test_http_listen_addresses),
		cmocka_unit_test(test_snap_fetch_publish),
		cmocka_unit_test(test_log_format_lines),
	};

	return (cmocka_run_group_tests_name("metrics", tests, NULL, NULL));
}
