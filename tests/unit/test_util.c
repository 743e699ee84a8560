/* test_util.c -- numbers, hex, identifiers, text, files. */
#include "lsn_test.h"

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"

struct fx {
	char	*dir;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL || lsn_init() != LSN_OK)
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

static void
expect_num_err(const char *s, long long min, long long max, const char *why)
{
	long long	 v = 777;
	const char	*es = NULL;

	if (lsn_strtonum(s, min, max, &v, &es) != LSN_EINVAL)
		fail_msg("lsn_strtonum accepted '%s'", s != NULL ? s : "NULL");
	assert_non_null(es);
	assert_string_equal(es, why);
	assert_int_equal(v, 777);	/* out written only on success */
}

static void
test_util_strtonum_bounds_and_junk(void **state)
{
	long long	 v;
	const char	*es = "unset";

	(void) state;
	assert_ok(lsn_strtonum("0", 0, 10, &v, &es));
	assert_int_equal(v, 0);
	assert_null(es);
	assert_ok(lsn_strtonum("10", 0, 10, &v, NULL));
	assert_int_equal(v, 10);
	assert_ok(lsn_strtonum("-5", -5, 5, &v, NULL));
	assert_int_equal(v, -5);
	assert_ok(lsn_strtonum("9223372036854775807", LLONG_MIN, LLONG_MAX,
	    &v, NULL));
	assert_true(v == LLONG_MAX);
	assert_ok(lsn_strtonum("-9223372036854775808", LLONG_MIN, LLONG_MAX,
	    &v, NULL));
	assert_true(v == LLONG_MIN);

	expect_num_err("11", 0, 10, "too large");
	expect_num_err("-1", 0, 10, "too small");
	expect_num_err("9223372036854775808", LLONG_MIN, LLONG_MAX,
	    "too large");
	expect_num_err("99999999999999999999", 0, 10, "too large");
	expect_num_err("-9223372036854775809", LLONG_MIN, LLONG_MAX,
	    "too small");
	expect_num_err("", 0, 10, "invalid");
	expect_num_err(NULL, 0, 10, "invalid");
	expect_num_err("12a", 0, 100, "invalid");
	expect_num_err("a12", 0, 100, "invalid");
	expect_num_err("1 ", 0, 100, "invalid");
	expect_num_err("0x10", 0, 100, "invalid");
	expect_num_err("1.5", 0, 100, "invalid");
	expect_num_err("-", 0, 100, "invalid");
	expect_num_err("5", 10, 0, "invalid");	/* min > max */
	assert_err(lsn_strtonum("junk", 0, 1, &v, NULL), LSN_EINVAL);
}

static void
test_util_strtou64(void **state)
{
	static const char *bad[] = { "", "-1", "+1", " 1", "1 ", "x",
	    "18446744073709551616", "99999999999999999999999", "0x1" };
	uint64_t	 v;

	(void) state;
	assert_ok(lsn_strtou64("0", 0, UINT64_MAX, &v));
	assert_true(v == 0);
	assert_ok(lsn_strtou64("18446744073709551615", 0, UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	assert_ok(lsn_strtou64("42", 42, 42, &v));
	assert_true(v == 42);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		if (lsn_strtou64(bad[i], 0, UINT64_MAX, &v) != LSN_EINVAL)
			fail_msg("lsn_strtou64 accepted '%s'", bad[i]);
		assert_true(v == 7);
	}
	assert_err(lsn_strtou64(NULL, 0, 1, &v), LSN_EINVAL);
	assert_err(lsn_strtou64("41", 42, 50, &v), LSN_EINVAL);
	assert_err(lsn_strtou64("51", 42, 50, &v), LSN_EINVAL);
}

static void
test_util_hex_round_trip(void **state)
{
	uint8_t	in[64], out[64];
	char	hex[129];

	(void) state;
	for (size_t len = 0; len <= sizeof(in); len += 7) {
		lsn_random(in, len);
		lsn_hex_encode(in, len, hex);
		assert_int_equal(strlen(hex), 2 * len);
		for (size_t i = 0; i < 2 * len; i++)
			assert_non_null(strchr("0123456789abcdef", hex[i]));
		memset(out, 0, sizeof(out));
		assert_ok(lsn_hex_decode(hex, out, len));
		assert_memory_equal(in, out, len);
	}
	lsn_hex_encode((const uint8_t *) "\x00\xff\x0a", 3, hex);
	assert_string_equal(hex, "00ff0a");
	assert_ok(lsn_hex_decode("00FFaB", out, 3));
	assert_memory_equal(out, "\x00\xff\xab", 3);
}

static void
test_util_hex_bad_input(void **state)
{
	uint8_t	out[4] = { 9, 9, 9, 9 };

	(void) state;
	assert_err(lsn_hex_decode("abc", out, 2), LSN_EINVAL);	/* odd */
	assert_err(lsn_hex_decode("abcdef", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode("ab", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode("zz00", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode("00g0", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode("0 00", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode("-1ab", out, 2), LSN_EINVAL);
	assert_err(lsn_hex_decode(NULL, out, 2), LSN_EINVAL);
	assert_ok(lsn_hex_decode("", out, 0));
}

static void
test_util_slug_edges(void **state)
{
	char	s[70];

	(void) state;
	assert_true(lsn_slug_valid("ab"));
	assert_true(lsn_slug_valid("nca-uk"));
	assert_true(lsn_slug_valid("0a"));
	assert_true(lsn_slug_valid("a-"));
	assert_true(lsn_slug_valid("a--b"));
	memset(s, 'a', 63);
	s[63] = '\0';
	assert_true(lsn_slug_valid(s));
	s[63] = 'a';
	s[64] = '\0';
	assert_false(lsn_slug_valid(s));
	assert_false(lsn_slug_valid("a"));
	assert_false(lsn_slug_valid(""));
	assert_false(lsn_slug_valid(NULL));
	assert_false(lsn_slug_valid("-ab"));
	assert_false(lsn_slug_valid("Ab"));
	assert_false(lsn_slug_valid("aB"));
	assert_false(lsn_slug_valid("a_b"));
	assert_false(lsn_slug_valid("a b"));
	assert_false(lsn_slug_valid("a.b"));
	assert_false(lsn_slug_valid("ab\n"));
	assert_false(lsn_slug_valid("caf\xc3\xa9"));
}

static void
test_util_country_codes(void **state)
{
	(void) state;
	assert_true(lsn_country_valid("AU"));
	assert_true(lsn_country_valid("GB"));
	assert_true(lsn_country_valid("XX"));
	assert_false(lsn_country_valid("au"));
	assert_false(lsn_country_valid("Au"));
	assert_false(lsn_country_valid("A"));
	assert_false(lsn_country_valid("AUS"));
	assert_false(lsn_country_valid("A1"));
	assert_false(lsn_country_valid(""));
	assert_false(lsn_country_valid(NULL));
}

static void
test_util_text_valid(void **state)
{
	static const char *good[] = {
		"", "plain ASCII", "tab\tand\nnewline", "caf\xc3\xa9",
		"\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80",
		"\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xc2\xa0",
	};
	static const char *bad[] = {
		"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\x80", "a\xbf", "\xe6\x97",
		"\xf0\x9f\x98", "\xc3", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
		"\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\x01", "a\x1b[31m",
		"\x7f", "cr\r", "\xc2\x85", "\xc2\x9b", "\xc3\x28",
	};

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!lsn_text_valid(good[i], 64))
			fail_msg("refused good text %zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lsn_text_valid(bad[i], 64))
			fail_msg("accepted bad text %zu", i);
	assert_false(lsn_text_valid(NULL, 64));
	/* Length is in bytes. */
	assert_true(lsn_text_valid("abcd", 4));
	assert_false(lsn_text_valid("abcde", 4));
	assert_true(lsn_text_valid("caf\xc3\xa9", 5));
	assert_false(lsn_text_valid("caf\xc3\xa9", 4));
}

/*
 * Every refused byte at every offset of a longer text (lsn_text_valid
 * checks 8 printable bytes at a time): refused wherever it stands, and
 * a tab, a newline or a 2-byte character accepted wherever it stands.
 */
static void
test_util_text_valid_every_offset(void **state)
{
	static const char *bad[] = {
		"\x01", "\x1f", "\r", "\x7f", "\x80", "\xff", "\xc0\xaf",
		"\xc2\x85", "\xed\xa0\x80",
	};
	static const char *good[] = { "\t", "\n", " ", "~", "\xc3\xa9" };
	char	buf[64];

	(void) state;
	for (size_t off = 0; off < 24; off++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(buf, 'a', sizeof(buf));
			memcpy(buf + off, bad[i], strlen(bad[i]));
			buf[32] = '\0';
			if (lsn_text_valid(buf, 64))
				fail_msg("accepted bad %zu at %zu", i, off);
		}
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			memset(buf, ' ', sizeof(buf));
			memcpy(buf + off, good[i], strlen(good[i]));
			buf[32] = '\0';
			if (!lsn_text_valid(buf, 64))
				fail_msg("refused good %zu at %zu", i, off);
		}
	}
}

static void
test_util_file_round_trip(void **state)
{
	struct fx	*fx = *state;
	char		*p = lsn_test_path(fx->dir, "state.bin");
	uint8_t		 data[3000], *buf = NULL;
	size_t		 len = 0;
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	lsn_random(data, sizeof(data));
	assert_ok(lsn_file_write_atomic(p, data, sizeof(data), 0600));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_ok(lsn_file_read(p, sizeof(data), &buf, &len));
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(buf, data, len);
	assert_int_equal(buf[len], 0);	/* NUL after the data */
	free(buf);

	/* Replace, with another mode (umask does not apply). */
	assert_ok(lsn_file_write_atomic(p, "short", 5, 0640));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_ok(lsn_file_read(p, 100, &buf, &len));
	assert_int_equal(len, 5);
	assert_string_equal((char *) buf, "short");
	free(buf);

	/* Empty file. */
	assert_ok(lsn_file_write_atomic(p, "", 0, 0600));
	assert_ok(lsn_file_read(p, 0, &buf, &len));
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], 0);
	free(buf);

	/* No temporary file left behind. */
	assert_non_null(d = opendir(fx->dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	free(p);

	/* A missing directory. */
	p = lsn_test_path(fx->dir, "nodir/x");
	assert_err(lsn_file_write_atomic(p, "x", 1, 0600), LSN_EIO);
	free(p);
}

static void
test_util_file_read_limits(void **state)
{
	struct fx	*fx = *state;
	char		*p = lsn_test_path(fx->dir, "f");
	char		*fifo = lsn_test_path(fx->dir, "fifo");
	char		*missing = lsn_test_path(fx->dir, "missing");
	uint8_t		*buf = (uint8_t *) "unchanged";
	size_t		 len = 12345;

	assert_ok(lsn_file_write_atomic(p, "0123456789", 10, 0600));
	assert_err(lsn_file_read(p, 9, &buf, &len), LSN_ETOOBIG);
	assert_err(lsn_file_read(missing, 100, &buf, &len), LSN_ENOENT);
	assert_err(lsn_file_read(fx->dir, 100, &buf, &len), LSN_EIO);
	/* A FIFO is refused, without blocking on open. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_err(lsn_file_read(fifo, 100, &buf, &len), LSN_EIO);
	assert_string_equal((char *) buf, "unchanged");
	assert_int_equal(len, 12345);
	assert_ok(lsn_file_read(p, 10, &buf, &len));
	assert_int_equal(len, 10);
	free(buf);
	free(p);
	free(fifo);
	free(missing);
}

static void
test_util_file_check_perms(void **state)
{
	static const struct {
		unsigned	mode;
		int		secret_ok;
		int		plain_ok;
	} cases[] = {
		{ 0600, 1, 1 }, { 0400, 1, 1 }, { 0644, 0, 1 }, { 0640, 0, 1 },
		{ 0604, 0, 1 }, { 0620, 0, 0 }, { 0602, 0, 0 }, { 0660, 0, 0 },
		{ 0666, 0, 0 }, { 0610, 0, 1 }, { 0700, 1, 1 },
	};
	struct fx	*fx = *state;
	char		*p = lsn_test_path(fx->dir, "k");
	char		*missing = lsn_test_path(fx->dir, "missing");

	assert_ok(lsn_file_write_atomic(p, "k", 1, 0600));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want_s = cases[i].secret_ok ? LSN_OK : LSN_EFILEPERM;
		int want_p = cases[i].plain_ok ? LSN_OK : LSN_EFILEPERM;

		assert_int_equal(chmod(p, cases[i].mode), 0);
		if (lsn_file_check_perms(p, 1) != want_s ||
		    lsn_file_check_perms(p, 0) != want_p)
			fail_msg("mode %04o", cases[i].mode);
	}
	assert_err(lsn_file_check_perms(missing, 0), LSN_ENOENT);
	assert_err(lsn_file_check_perms(fx->dir, 0), LSN_EIO);
	free(p);
	free(missing);
}

static void
test_util_strlcpy_hash_clock(void **state)
{
	/* BLAKE2b-256 of the empty string. */
	static const char empty_hash[] =
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8";
	uint8_t		h[LSN_HASH_BYTES];
	char		hex[2 * LSN_HASH_BYTES + 1], small[4];
	uint64_t	m1, m2;

	(void) state;
	assert_int_equal(lsn_strlcpy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	assert_int_equal(lsn_strlcpy(small, "ab", sizeof(small)), 2);
	assert_string_equal(small, "ab");

	lsn_hash("", 0, h);
	lsn_hex_encode(h, sizeof(h), hex);
	assert_string_equal(hex, empty_hash);

	/* After 2020-01-01 and the system clock is the wall clock. */
	assert_true(lsn_now_ms() > 1577836800000ULL);
	assert_true(lsn_clock_now(lsn_clock_system()) > 1577836800000ULL);
	m1 = lsn_mono_ms();
	m2 = lsn_mono_ms();
	assert_true(m2 >= m1);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_util_strtonum_bounds_and_junk),
		T(test_util_strtou64),
		T(test_util_hex_round_trip),
		T(test_util_hex_bad_input),
		T(test_util_slug_edges),
		T(test_util_country_codes),
		T(test_util_text_valid),
		T(test_util_text_valid_every_offset),
		T(test_util_file_round_trip),
		T(test_util_file_read_limits),
		T(test_util_file_check_perms),
		T(test_util_strlcpy_hash_clock),
	};
#undef T
	return (cmocka_run_group_tests_name("util", tests, NULL, NULL));
}
