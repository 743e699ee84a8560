/* test_conf.c -- typed INI loading: defaults, strictness, messages. */
#include "lsn_test.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/conf.h"
#include "liaison/log.h"
#include "liaison/util.h"

struct tconf {
	char		listen[128];
	char		control[128];
	long long	max_msg;
	uint64_t	quota;
	int		strict;
	long long	retention_ms;
	char		name[16];
	char		db[256];
	char		tag[200];
};

static const struct lsn_conf_opt table[] = {
	{ .section = "broker", .name = "listen", .type = LSN_CONF_ENDPOINT,
	  .def = "tcp://127.0.0.1:7400", LSN_CONF_AT(struct tconf, listen),
	  .help = "Address the broker listens on." },
	{ .section = "broker", .name = "control", .type = LSN_CONF_ENDPOINT,
	  .def = "ipc:///run/liaison/control.sock",
	  LSN_CONF_AT(struct tconf, control),
	  .help = "Local control socket." },
	{ .section = "broker", .name = "max_msg_bytes", .type = LSN_CONF_INT,
	  .min = 1024, .max = 16777216, .def = "262144",
	  LSN_CONF_AT(struct tconf, max_msg),
	  .help = "Largest message accepted, in bytes." },
	{ .section = "broker", .name = "queue_quota", .type = LSN_CONF_U64,
	  .min = 1, .max = -1, .def = "1000000",
	  LSN_CONF_AT(struct tconf, quota),
	  .help = "Messages queued per recipient." },
	{ .section = "broker", .name = "strict", .type = LSN_CONF_BOOL,
	  .def = "yes", LSN_CONF_AT(struct tconf, strict),
	  .help = "Refuse unsealed AMBER bodies." },
	{ .section = "broker", .name = "retention", .type = LSN_CONF_DURATION,
	  .min = 1000, .max = 30LL * 86400000, .def = "7d",
	  LSN_CONF_AT(struct tconf, retention_ms),
	  .help = "How long delivered messages are kept." },
	{ .section = "broker", .name = "name", .type = LSN_CONF_STR,
	  .min = 1, .def = "broker", LSN_CONF_AT(struct tconf, name),
	  .help = "Display name." },
	{ .section = "store", .name = "path", .type = LSN_CONF_PATH,
	  .required = 1, LSN_CONF_AT(struct tconf, db),
	  .help = "Database file." },
	{ .section = "store", .name = "tag", .type = LSN_CONF_STR,
	  LSN_CONF_AT(struct tconf, tag), .help = "Free text." },
	LSN_CONF_END,
};

struct fx {
	char	*dir;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return (-1);
	fx->dir = lsn_test_tmpdir();
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	lsn_test_rmdir(fx->dir);
	free(fx->dir);
	free(fx);
	return (0);
}

/* Copies tests/data/conf/<name> into the temp dir (mode 0600): a git
 * checkout may leave the fixture group-writable. Returns a malloc'd path. */
static char *
fixture(struct fx *fx, const char *name)
{
	const char	*data = getenv("LSN_TEST_DATA");
	char		 src[1024];
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	char		*dst;

	assert_non_null(data);
	assert_true(snprintf(src, sizeof(src), "%s/conf/%s", data, name) <
	    (int) sizeof(src));
	assert_ok(lsn_file_read(src, 1 << 20, &buf, &len));
	dst = lsn_test_path(fx->dir, name);
	assert_ok(lsn_file_write_atomic(dst, buf, len, 0600));
	free(buf);
	return (dst);
}

/* Loads a fixture; returns the result and leaves the message in err. */
static int
load_fixture(struct fx *fx, const char *name, struct tconf *c, char *err,
    size_t errlen)
{
	char	*path = fixture(fx, name);
	int	 rv;

	rv = lsn_conf_load_file(path, table, c, err, errlen);
	free(path);
	return (rv);
}

#define assert_contains(hay, needle) do {				\
	if (strstr((hay), (needle)) == NULL)				\
		fail_msg("'%s' does not contain '%s'", (hay), (needle)); \
} while (0)

static void
expect_fixture_error(struct fx *fx, const char *name, const char *want)
{
	struct tconf	c;
	char		err[512];

	memset(&c, 0xa5, sizeof(c));
	assert_err(load_fixture(fx, name, &c, err, sizeof(err)), LSN_ECONFIG);
	assert_contains(err, want);
	/* The destination is untouched on failure. */
	for (size_t i = 0; i < sizeof(c); i++)
		assert_int_equal(((unsigned char *) &c)[i], 0xa5);
}

static void
expect_string_error(const char *text, const char *want)
{
	struct tconf	c;
	char		err[512];

	assert_err(lsn_conf_load_string(text, table, &c, err, sizeof(err)),
	    LSN_ECONFIG);
	assert_contains(err, want);
}

static void
test_conf_defaults_applied(void **state)
{
	struct tconf	c;
	char		err[256];

	(void) state;
	memset(&c, 0xa5, sizeof(c));
	assert_ok(lsn_conf_defaults(table, &c));
	assert_string_equal(c.listen, "tcp://127.0.0.1:7400");
	assert_string_equal(c.control, "ipc:///run/liaison/control.sock");
	assert_int_equal(c.max_msg, 262144);
	assert_int_equal(c.quota, 1000000);
	assert_int_equal(c.strict, 1);
	assert_int_equal(c.retention_ms, 7LL * 86400000);
	assert_string_equal(c.name, "broker");
	assert_string_equal(c.db, "");
	assert_string_equal(c.tag, "");

	/* Loading applies defaults first, then the file. */
	memset(&c, 0xa5, sizeof(c));
	assert_ok(lsn_conf_load_string("[store]\npath = /tmp/x.db\n", table,
	    &c, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_string_equal(c.listen, "tcp://127.0.0.1:7400");
	assert_int_equal(c.max_msg, 262144);
	assert_int_equal(c.strict, 1);
	assert_string_equal(c.db, "/tmp/x.db");
}

static void
test_conf_good_file(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[256];

	assert_ok(load_fixture(fx, "good.conf", &c, err, sizeof(err)));
	assert_string_equal(c.listen, "tcp://127.0.0.1:7400");
	assert_string_equal(c.control, "ipc:///tmp/liaison-test/control.sock");
	assert_int_equal(c.max_msg, 1048576);
	assert_true(c.quota == UINT64_MAX);
	assert_int_equal(c.strict, 0);
	assert_int_equal(c.retention_ms, 30LL * 86400000);
	assert_string_equal(c.name, "test-broker");
	assert_string_equal(c.db, "/var/lib/liaison/broker.db");
}

static void
test_conf_comments_blank_lines_crlf(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[256];

	assert_ok(load_fixture(fx, "crlf.conf", &c, err, sizeof(err)));
	assert_int_equal(c.max_msg, 2048);
	assert_string_equal(c.db, "/tmp/x.db");

	assert_ok(lsn_conf_load_string(
	    "\n\n; comment\n# another\n   ; indented comment\n"
	    "[store]   ; trailing comment\n"
	    "path = /tmp/y.db ; inline comment\n"
	    "tag = a;b\n"
	    "\n", table, &c, err, sizeof(err)));
	assert_string_equal(c.db, "/tmp/y.db");
	/* ';' without whitespace before it is part of the value. */
	assert_string_equal(c.tag, "a;b");
	/* An empty file is fine when nothing is required. */
	{
		static const struct lsn_conf_opt t2[] = {
			{ .section = "a", .name = "b", .type = LSN_CONF_BOOL,
			  LSN_CONF_AT(struct tconf, strict) },
			LSN_CONF_END,
		};
		assert_ok(lsn_conf_load_string("", t2, &c, err, sizeof(err)));
		assert_int_equal(c.strict, 0);
	}
}

static void
test_conf_indented_line_is_not_continuation(void **state)
{
	struct tconf	c;
	char		err[256];

	(void) state;
	/* inih would append "max_msg_bytes = 4096" to path's value. */
	assert_ok(lsn_conf_load_string("[store]\npath = /tmp/x.db\n"
	    "[broker]\nname = b1\n    max_msg_bytes = 4096\n", table, &c,
	    err, sizeof(err)));
	assert_string_equal(c.name, "b1");
	assert_int_equal(c.max_msg, 4096);
}

static void
test_conf_unknown_key_refused_with_line(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "unknown_key.conf",
	    "unknown_key.conf:7: unknown option 'foo' in section [store]");
	expect_string_error("[broker]\n\nstrict = yes\nStrict = no\n",
	    "<string>:4: unknown option 'Strict' in section [broker]");
	expect_string_error("[store]\npath=/x\n[broker]\nx\x7fy = 1\n",
	    "<string>:4: control character 0x7f");
}

static void
test_conf_unknown_section_refused(void **state)
{
	struct fx	*fx = *state;

	/* Even a section without options. */
	expect_fixture_error(fx, "unknown_section.conf",
	    "unknown_section.conf:4: unknown section [brokr]");
	expect_string_error("[store]\npath = /x\n[Store]\nfoo = 1\n",
	    "<string>:3: unknown section [Store]");
	expect_fixture_error(fx, "outside.conf",
	    "outside.conf:1: option 'strict' outside a [section]");
}

static void
test_conf_long_line_refused(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[256];

	assert_ok(load_fixture(fx, "line196.conf", &c, err, sizeof(err)));
	assert_int_equal(strlen(c.tag), 190);
	expect_fixture_error(fx, "line197.conf",
	    "line197.conf:3: line longer than 196 bytes");
	/* The line inih r55 would split into two settings (STYLE.md). */
	expect_fixture_error(fx, "split.conf",
	    "split.conf:3: line longer than 196 bytes");
	/* A long comment is a long line too. */
	{
		char text[300];

		memset(text, ';', sizeof(text));
		text[sizeof(text) - 1] = '\0';
		expect_string_error(text, "<string>:1: line longer than");
	}
}

static void
test_conf_bad_number_refused(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "bad_number.conf",
	    "bad_number.conf:4: 'max_msg_bytes' is not a number");
	expect_fixture_error(fx, "range.conf",
	    "range.conf:4: 'max_msg_bytes' must be between 1024 and "
	    "16777216");
	expect_string_error("[broker]\nmax_msg_bytes = 99999999999999999999\n",
	    "'max_msg_bytes' must be between 1024 and 16777216");
	expect_string_error("[broker]\nmax_msg_bytes =\n",
	    "'max_msg_bytes' is not a number");
	expect_string_error("[broker]\nmax_msg_bytes = 0x400\n",
	    "'max_msg_bytes' is not a number");
	expect_string_error("[broker]\nqueue_quota = 0\n",
	    "'queue_quota' must be between 1 and 18446744073709551615");
	expect_string_error("[broker]\nqueue_quota = -1\n",
	    "'queue_quota' is not a number");
	expect_string_error("[broker]\nqueue_quota = 18446744073709551616\n",
	    "'queue_quota' must be between");
}

static void
test_conf_bad_bool_refused(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[256];
	static const char *good[][2] = {
		{ "yes", "1" }, { "no", "0" }, { "true", "1" },
		{ "false", "0" }, { "1", "1" }, { "0", "0" }, { "On", "1" },
		{ "OFF", "0" }, { "YES", "1" },
	};

	expect_fixture_error(fx, "bad_bool.conf",
	    "bad_bool.conf:4: 'strict' must be yes or no");
	expect_string_error("[broker]\nstrict = 2\n", "'strict' must be yes");
	expect_string_error("[broker]\nstrict =\n", "'strict' must be yes");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text),
		    "[store]\npath=/x\n[broker]\nstrict = %s\n", good[i][0]);
		assert_ok(lsn_conf_load_string(text, table, &c, err,
		    sizeof(err)));
		assert_int_equal(c.strict, good[i][1][0] - '0');
	}
}

static void
test_conf_missing_required_refused(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "missing_required.conf",
	    "missing_required.conf: missing required option [store] path");
	expect_string_error("", "<string>: missing required option [store] "
	    "path");
	expect_string_error("[store]\npath =\n", "'path' must not be empty");
}

static void
test_conf_long_string_refused(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[256];

	/* name is char[16]: 15 bytes fit, 16 do not (never truncated). */
	expect_fixture_error(fx, "long_string.conf",
	    "long_string.conf:4: 'name' is too long (at most 15 bytes)");
	assert_ok(lsn_conf_load_string("[store]\npath=/x\n[broker]\n"
	    "name = 123456789012345\n", table, &c, err, sizeof(err)));
	assert_string_equal(c.name, "123456789012345");
	expect_string_error("[broker]\nname =\n", "'name' must not be empty");
	expect_string_error("[broker]\nname = caf\xc3\n",
	    "'name' is not valid UTF-8 text");
	assert_ok(lsn_conf_load_string("[store]\npath=/x\n[broker]\n"
	    "name = caf\xc3\xa9\n", table, &c, err, sizeof(err)));
	assert_string_equal(c.name, "caf\xc3\xa9");
}

static void
test_conf_duplicate_key_refused(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "dup.conf",
	    "dup.conf:6: duplicate option 'max_msg_bytes' in section "
	    "[broker] (first set on line 2)");
	expect_string_error("[store]\npath = /a\npath = /a\n",
	    "<string>:3: duplicate option 'path'");
}

static void
test_conf_file_permissions(void **state)
{
	struct fx	*fx = *state;
	struct tconf	 c;
	char		 err[512];
	char		*path = fixture(fx, "good.conf");
	char		*missing = lsn_test_path(fx->dir, "missing.conf");

	assert_int_equal(chmod(path, 0620), 0);
	assert_err(lsn_conf_load_file(path, table, &c, err, sizeof(err)),
	    LSN_ECONFIG);
	assert_contains(err, "writable by group or others");
	assert_int_equal(chmod(path, 0602), 0);
	assert_err(lsn_conf_load_file(path, table, &c, err, sizeof(err)),
	    LSN_ECONFIG);
	assert_contains(err, "writable by group or others");
	/* Readable by all is fine for a config (keys are checked apart). */
	assert_int_equal(chmod(path, 0644), 0);
	assert_ok(lsn_conf_load_file(path, table, &c, err, sizeof(err)));

	assert_err(lsn_conf_load_file(missing, table, &c, err, sizeof(err)),
	    LSN_ECONFIG);
	assert_contains(err, "missing.conf: no such file");
	assert_err(lsn_conf_load_file(fx->dir, table, &c, err, sizeof(err)),
	    LSN_ECONFIG);
	free(missing);
	free(path);
}

static void
test_conf_endpoint_validation(void **state)
{
	static const char *good[] = {
		"tcp://127.0.0.1:7400", "tcp://*:7400", "tcp://[::1]:1",
		"tcp://broker.example.org:65535", "tcp://lo:7400",
		"tcp://[2001:db8::1]:443", "ipc:///run/liaison/control.sock",
		"ipc://@liaison-abstract", "ipc://relative.sock",
	};
	static const char *bad[] = {
		"", "tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:",
		"tcp://127.0.0.1:0", "tcp://127.0.0.1:65536",
		"tcp://127.0.0.1:*", "tcp://:7400", "tcp://::1:7400",
		"tcp://[::1]7400", "tcp://[zz::1]:7400", "tcp://a b:1",
		"tcp://-host:1", "tcp://127.0.0.1:+80", "tcp://127.0.0.1:080a",
		"tcp://src;127.0.0.1:1", "udp://127.0.0.1:1", "ipc://",
		"ipc://*", "ipc:///tmp/with space", "inproc://x",
		"TCP://127.0.0.1:1", "tcp://127.0.0.1:7400/",
		("ipc:///tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	};
	struct fx	*fx = *state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!lsn_conf_endpoint_valid(good[i]))
			fail_msg("refused good endpoint '%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lsn_conf_endpoint_valid(bad[i]))
			fail_msg("accepted bad endpoint '%s'", bad[i]);
	assert_false(lsn_conf_endpoint_valid(NULL));
	expect_fixture_error(fx, "bad_endpoint.conf",
	    "bad_endpoint.conf:4: 'listen' is not a valid endpoint");
}

static void
test_conf_duration_parsing(void **state)
{
	static const struct {
		const char	*s;
		long long	 ms;
	} good[] = {
		{ "0", 0 }, { "250ms", 250 }, { "30s", 30000 },
		{ "5m", 300000 }, { "1h", 3600000 }, { "30d", 2592000000LL },
		{ "007s", 7000 }, { "0d", 0 },
	};
	static const char *bad[] = {
		"", "30", "s", "-1s", "+1s", "1.5h", "1 h", "1S", "1w",
		"1hh", "30s ", "99999999999999999999s",
		"9223372036854775807d",
	};
	struct tconf	c;
	char		err[256];
	long long	ms;

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_ok(lsn_conf_parse_duration(good[i].s, &ms));
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = -7;
		if (lsn_conf_parse_duration(bad[i], &ms) != LSN_EINVAL)
			fail_msg("accepted bad duration '%s'", bad[i]);
		assert_int_equal(ms, -7);
	}
	assert_ok(lsn_conf_load_string("[store]\npath=/x\n[broker]\n"
	    "retention = 36h\n", table, &c, err, sizeof(err)));
	assert_int_equal(c.retention_ms, 36LL * 3600000);
	expect_string_error("[broker]\nretention = 31d\n",
	    "'retention' must be between 1s and 30d");
	expect_string_error("[broker]\nretention = 999ms\n",
	    "'retention' must be between 1s and 30d");
	expect_string_error("[broker]\nretention = 10\n",
	    "'retention' is not a duration");
}

static void
test_conf_nul_and_control_bytes_refused(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "nul.conf", "nul.conf:3: NUL byte");
	expect_fixture_error(fx, "control.conf",
	    "control.conf:3: control character 0x1b");
	expect_string_error("[store]\rpath = /x\n",
	    "<string>:1: control character 0x0d");
}

static void
test_conf_syntax_error_line(void **state)
{
	struct fx	*fx = *state;

	expect_fixture_error(fx, "syntax.conf", "syntax.conf:3: syntax error");
	expect_string_error("[store]\npath = /x\njust words\n",
	    "<string>:3: syntax error");
	/* The first error wins, whichever part found it. */
	expect_string_error("[store]\nnope\nfoo = 1\n",
	    "<string>:2: syntax error");
	expect_string_error("[store]\nfoo = 1\nnope\n",
	    "<string>:2: unknown option 'foo'");
}

static void
test_conf_bad_table_refused(void **state)
{
	struct wrong {
		int		small;	/* not a long long */
		char		s[8];
		long long	ll;
	};
	static const struct lsn_conf_opt wrong_size[] = {
		{ .section = "a", .name = "n", .type = LSN_CONF_INT,
		  .min = 0, .max = 10, LSN_CONF_AT(struct wrong, small) },
		LSN_CONF_END,
	};
	static const struct lsn_conf_opt dup[] = {
		{ .section = "a", .name = "n", .type = LSN_CONF_INT,
		  .min = 0, .max = 10, LSN_CONF_AT(struct wrong, ll) },
		{ .section = "a", .name = "n", .type = LSN_CONF_INT,
		  .min = 0, .max = 10, LSN_CONF_AT(struct wrong, ll) },
		LSN_CONF_END,
	};
	static const struct lsn_conf_opt bad_def[] = {
		{ .section = "a", .name = "s", .type = LSN_CONF_STR,
		  .def = "much too long", LSN_CONF_AT(struct wrong, s) },
		LSN_CONF_END,
	};
	static const struct lsn_conf_opt bounds[] = {
		{ .section = "a", .name = "n", .type = LSN_CONF_INT,
		  .min = 10, .max = 0, LSN_CONF_AT(struct wrong, ll) },
		LSN_CONF_END,
	};
	struct wrong	w;
	char		err[256];

	(void) state;
	lsn_log_capture_start();
	assert_err(lsn_conf_defaults(wrong_size, &w), LSN_EINVAL);
	assert_err(lsn_conf_defaults(dup, &w), LSN_EINVAL);
	assert_err(lsn_conf_defaults(bad_def, &w), LSN_EINVAL);
	assert_err(lsn_conf_defaults(bounds, &w), LSN_EINVAL);
	assert_err(lsn_conf_defaults(NULL, &w), LSN_EINVAL);
	assert_true(lsn_log_captured("invalid option table"));
	lsn_log_capture_stop();
	assert_err(lsn_conf_load_string("", bad_def, &w, err, sizeof(err)),
	    LSN_EINVAL);
	assert_contains(err, "[a] s: bad default");
	/* err may be absent. */
	assert_err(lsn_conf_load_string("x", table, &w, NULL, 0),
	    LSN_ECONFIG);
}

static void
test_conf_dump_and_example(void **state)
{
	struct tconf	 c, c2;
	char		 err[256], *buf = NULL, *text;
	size_t		 len = 0;
	FILE		*fp;

	(void) state;
	assert_ok(lsn_conf_load_string("[store]\npath = /tmp/x.db\n[broker]\n"
	    "retention = 90m\nstrict = off\n", table, &c, err, sizeof(err)));
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_ok(lsn_conf_dump(table, &c, fp));
	fclose(fp);
	assert_contains(buf, "broker.listen = tcp://127.0.0.1:7400\n");
	assert_contains(buf, "broker.max_msg_bytes = 262144\n");
	assert_contains(buf, "broker.queue_quota = 1000000\n");
	assert_contains(buf, "broker.strict = no\n");
	assert_contains(buf, "broker.retention = 90m\n");
	assert_contains(buf, "store.path = /tmp/x.db\n");
	assert_contains(buf, "store.tag = \n");
	free(buf);

	buf = NULL;
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_ok(lsn_conf_write_example(table, fp));
	fclose(fp);
	/* Every option is listed with its help. */
	for (const struct lsn_conf_opt *o = table; o->name != NULL; o++) {
		char line[128];

		snprintf(line, sizeof(line), "\n%s = ", o->name);
		if (strstr(buf, line) == NULL) {
			snprintf(line, sizeof(line), "\n;%s =", o->name);
			assert_contains(buf, line);
		}
		assert_contains(buf, o->help);
	}
	assert_contains(buf, "[broker]\n");
	assert_contains(buf, "[store]\n");
	assert_contains(buf, "integer, 1024..16777216; default: 262144");
	assert_contains(buf, "path, at most 255 bytes; required\n;path =\n");
	/* The example loads (once the required path is set) to the
	 * defaults. */
	len = strlen(buf) + 64;
	assert_non_null(text = malloc(len));
	snprintf(text, len, "%s[store]\npath = /tmp/x.db\n", buf);
	assert_ok(lsn_conf_load_string(text, table, &c2, err, sizeof(err)));
	assert_ok(lsn_conf_defaults(table, &c));
	assert_string_equal(c2.listen, c.listen);
	assert_int_equal(c2.max_msg, c.max_msg);
	assert_int_equal(c2.retention_ms, c.retention_ms);
	assert_int_equal(c2.strict, c.strict);
	free(text);
	free(buf);

	assert_ptr_equal(lsn_conf_find(table, "store", "path"), &table[7]);
	assert_null(lsn_conf_find(table, "store", "listen"));
	assert_null(lsn_conf_find(table, NULL, "path"));
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_conf_defaults_applied),
		T(test_conf_good_file),
		T(test_conf_comments_blank_lines_crlf),
		T(test_conf_indented_line_is_not_continuation),
		T(test_conf_unknown_key_refused_with_line),
		T(test_conf_unknown_section_refused),
		T(test_conf_long_line_refused),
		T(test_conf_bad_number_refused),
		T(test_conf_bad_bool_refused),
		T(test_conf_missing_required_refused),
		T(test_conf_long_string_refused),
		T(test_conf_duplicate_key_refused),
		T(test_conf_file_permissions),
		T(test_conf_endpoint_validation),
		T(test_conf_duration_parsing),
		T(test_conf_nul_and_control_bytes_refused),
		T(test_conf_syntax_error_line),
		T(test_conf_bad_table_refused),
		T(test_conf_dump_and_example),
	};
#undef T
	return (cmocka_run_group_tests_name("conf", tests, NULL, NULL));
}
