/*
 * test_audit_head.c -- the signed audit head file (lib/audit_head.c):
 * round trip, every single-byte change refused, another key refused,
 * truncated and oversized files refused, and the check against a table
 * (intact, cut, rewritten).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/audit.h"
#include "liaison/keys.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "lsn_test.h"

/* Plain write (no fsync: hundreds of variants). */
static void
put(const char *path, const void *buf, size_t len)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_audit_head_round_trip_and_tamper(void **state)
{
	struct lsn_keypair	*kp = NULL, *other = NULL;
	struct lsn_audit_head	 h, got;
	char			*dir, *path;
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	(void) state;
	assert_non_null(dir = lsn_test_tmpdir());
	assert_non_null(path = lsn_test_path(dir, "head"));
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "broker", &kp));
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "other", &other));
	memset(&h, 0, sizeof(h));
	h.count = 42;
	memset(h.hash, 0xab, sizeof(h.hash));
	h.time_ms = 1700000000000ULL;
	assert_ok(lsn_audit_head_save(path, &h, kp));
	assert_ok(lsn_audit_head_load(path, kp->pk, &got));
	assert_int_equal(got.count, 42);
	assert_memory_equal(got.hash, h.hash, sizeof(h.hash));
	assert_int_equal(got.time_ms, h.time_ms);
	assert_string_equal(got.key_id, kp->key_id);
	assert_err(lsn_audit_head_load(path, other->pk, &got), LSN_EBADSIG);

	/* every byte changed (to a digit or a letter) is refused */
	assert_ok(lsn_file_read(path, 4096, &buf, &len));
	for (size_t i = 0; i < len; i++) {
		uint8_t	*c;
		int	 rv;

		assert_non_null(c = malloc(len));
		memcpy(c, buf, len);
		c[i] = c[i] == '1' ? '2' : '1';
		put(path, c, len);
		rv = lsn_audit_head_load(path, kp->pk, &got);
		if (rv != LSN_EPROTO && rv != LSN_EBADSIG)
			fail_msg("byte %zu changed: %s", i, lsn_errname(rv));
		free(c);
	}
	/* cut short, and grown past the limit */
	put(path, buf, len - 1);
	assert_err(lsn_audit_head_load(path, kp->pk, &got), LSN_EPROTO);
	{
		char	big[LSN_AUDIT_HEAD_MAX + 2];

		memset(big, 'a', sizeof(big));
		put(path, big, sizeof(big));
		assert_err(lsn_audit_head_load(path, kp->pk, &got),
		    LSN_EPROTO);
	}
	assert_int_equal(unlink(path), 0);
	assert_err(lsn_audit_head_load(path, kp->pk, &got), LSN_ENOENT);
	free(buf);
	lsn_keypair_destroy(&kp);
	lsn_keypair_destroy(&other);
	free(path);
	lsn_test_rmdir(dir);
	free(dir);
}

static const struct lsn_migration migs[] = {
	{ 1, LSN_AUDIT_SCHEMA_V1, NULL },
	{ 0, NULL, NULL },
};

static void
test_audit_head_check_against_table(void **state)
{
	struct lsn_audit_result	 res;
	struct lsn_audit_head	 h, h5;
	struct lsn_store	*st = NULL;

	(void) state;
	assert_ok(lsn_store_open(":memory:", migs, 0, &st));
	assert_ok(lsn_audit_head_current(st, &h));
	assert_int_equal(h.count, 0);
	for (int i = 0; i < 5; i++)
		assert_ok(lsn_audit_append(st, 1000 + (uint64_t) i,
		    LSN_AUDIT_ENVELOPE, "p01", "synthetic", NULL, NULL));
	assert_ok(lsn_audit_head_current(st, &h5));
	assert_int_equal(h5.count, 5);
	memset(&res, 0, sizeof(res));
	assert_ok(lsn_audit_head_check(st, &h5, &res));
	/* more rows after the head are fine */
	assert_ok(lsn_audit_append(st, 2000, LSN_AUDIT_ENVELOPE, "p01",
	    "synthetic", NULL, NULL));
	assert_ok(lsn_audit_head_check(st, &h5, &res));
	/* cut below the head */
	assert_ok(lsn_store_exec(st, "DELETE FROM audit WHERE id > 3"));
	assert_err(lsn_audit_head_check(st, &h5, &res),
	    LSN_ECHAIN);
	assert_int_equal(res.bad_id, 4);
	assert_non_null(strstr(res.why, "truncated"));
	/* the entry at the head's count differs */
	h = h5;
	h.count = 3;
	memset(&res, 0, sizeof(res));
	assert_err(lsn_audit_head_check(st, &h, &res),
	    LSN_ECHAIN);
	assert_int_equal(res.bad_id, 3);
	assert_non_null(strstr(res.why, "rewritten"));
	lsn_store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_head_round_trip_and_tamper),
		cmocka_unit_test(test_audit_head_check_against_table),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
