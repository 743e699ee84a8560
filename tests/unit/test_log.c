/* test_log.c -- levels, sinks, capture, line hygiene, rate limiting. */
#include "lsn_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/util.h"

struct seen {
	int	calls;
	int	level;
	int	auth;
	char	line[1100];
};

static void
sink_record(int level, int auth, const char *line, void *arg)
{
	struct seen	*s = arg;

	s->calls++;
	s->level = level;
	s->auth = auth;
	(void) lsn_strlcpy(s->line, line, sizeof(s->line));
}

static int
setup(void **state)
{
	(void) state;
	log_setverbose(0);
	lsn_log_capture_start();
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	lsn_log_capture_stop();
	log_setverbose(0);
	return (0);
}

static void
test_log_capture_sees_info(void **state)
{
	(void) state;
	assert_false(lsn_log_captured("hello from test"));
	log_info("%s: hello from test %d", __func__, 42);
	assert_true(lsn_log_captured("hello from test 42"));
	assert_true(lsn_log_captured("info: test_log_capture_sees_info: "));
	log_warnx("a warning");
	assert_true(lsn_log_captured("warning: a warning"));
	assert_int_equal(lsn_log_captured_count("hello from test"), 1);
	log_info("hello from test again");
	assert_int_equal(lsn_log_captured_count("hello from test"), 2);

	/* Stopping forgets everything. */
	lsn_log_capture_stop();
	lsn_log_capture_start();
	assert_false(lsn_log_captured("hello from test"));
}

static void
test_log_debug_only_when_verbose(void **state)
{
	(void) state;
	assert_int_equal(log_getverbose(), 0);
	log_debug("quiet debug line");
	assert_false(lsn_log_captured("quiet debug line"));
	log_setverbose(1);
	assert_int_equal(log_getverbose(), 1);
	log_debug("loud debug line");
	assert_true(lsn_log_captured("debug: loud debug line"));
	log_setverbose(0);
	log_debug("quiet again");
	assert_false(lsn_log_captured("quiet again"));
}

static void
test_log_auth_tagged(void **state)
{
	struct seen	s;

	(void) state;
	log_auth("sig: bad signature from %s", "nca-uk");
	assert_true(lsn_log_captured("auth notice: sig: bad signature from "
	    "nca-uk"));
	log_info("not a security event");
	assert_false(lsn_log_captured("auth info: not a security event"));

	memset(&s, 0, sizeof(s));
	lsn_log_set_sink(sink_record, &s);
	log_auth("zap: unknown key");
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.auth, 1);
	assert_int_equal(s.level, LOG_NOTICE);
	assert_string_equal(s.line, "zap: unknown key");
	log_warnx("plain");
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.auth, 0);
	assert_int_equal(s.level, LOG_WARNING);
	lsn_log_capture_start();	/* back to capture for teardown */
}

static void
test_log_newlines_replaced(void **state)
{
	struct seen	s;

	(void) state;
	memset(&s, 0, sizeof(s));
	lsn_log_set_sink(sink_record, &s);
	/* A peer-supplied string cannot forge a second log line. */
	log_warnx("route: bad id '%s'", "x\nliaison[1]: info: forged\r!");
	assert_int_equal(s.calls, 1);
	assert_null(strchr(s.line, '\n'));
	assert_null(strchr(s.line, '\r'));
	assert_string_equal(s.line,
	    "route: bad id 'x liaison[1]: info: forged !'");
	/* Terminal escapes are neutralised; tabs stay. */
	log_warnx("a\x1b[31mb\tc\x7f");
	assert_string_equal(s.line, "a?[31mb\tc?");

	/* Over-long messages are truncated to one bounded line. */
	{
		char big[3000];

		memset(big, 'z', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		log_info("%s", big);
		assert_int_equal(s.calls, 3);
		assert_true(strlen(s.line) < 1024);
		assert_true(strlen(s.line) > 1000);
	}

	/* log_warn appends strerror(errno). */
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	assert_string_equal(s.line, "open /nonexistent: No such file or "
	    "directory");
	lsn_log_capture_start();
}

static void
test_log_ratelimit_burst_then_suppress(void **state)
{
	int	ok[6], other = 0;

	(void) state;
	/*
	 * The limiter counts per one-minute window: redo the sequence with
	 * a fresh key if a window boundary passed while it ran.
	 */
	for (int attempt = 0; attempt < 3; attempt++) {
		uint64_t	w0 = lsn_mono_ms() / 60000, w1;
		char		key[32], key2[32];

		snprintf(key, sizeof(key), "peer-a-%d", attempt);
		snprintf(key2, sizeof(key2), "peer-b-%d", attempt);
		for (int i = 0; i < 6; i++)
			ok[i] = lsn_log_ratelimit(key, 3);
		other = lsn_log_ratelimit(key2, 3);
		w1 = lsn_mono_ms() / 60000;
		if (w0 == w1)
			break;
	}
	assert_int_equal(ok[0], 1);
	assert_int_equal(ok[1], 1);
	assert_int_equal(ok[2], 1);
	assert_int_equal(ok[3], 0);
	assert_int_equal(ok[4], 0);
	assert_int_equal(ok[5], 0);
	/* Another key has its own budget. */
	assert_int_equal(other, 1);
	/* A burst of 0 never lets anything through; NULL is a key too. */
	assert_int_equal(lsn_log_ratelimit("peer-zero", 0), 0);
	(void) lsn_log_ratelimit(NULL, 1);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_log_capture_sees_info),
		T(test_log_debug_only_when_verbose),
		T(test_log_auth_tagged),
		T(test_log_newlines_replaced),
		T(test_log_ratelimit_burst_then_suppress),
	};
#undef T
	return (cmocka_run_group_tests_name("log", tests, NULL, NULL));
}
