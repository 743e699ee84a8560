/* test_audit.c -- the hash-chained audit log (lib/audit.c) in the broker's
 * schema: append, verify, and detection of altered, removed and inserted
 * entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "broker.h"
#include "lsn_test.h"

struct at {
	char			*dir;
	struct lsn_store	*st;
};

static int
setup(void **state)
{
	struct at	*t = calloc(1, sizeof(*t));
	char		*path;

	if (t == NULL)
		return (-1);
	t->dir = lsn_test_tmpdir();
	path = lsn_test_path(t->dir, "a.db");
	if (lsn_store_open(path, broker_migrations, LSN_STORE_NOSYNC,
	    &t->st) != LSN_OK)
		return (-1);
	free(path);
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct at	*t = *state;

	lsn_store_close(&t->st);
	lsn_test_rmdir(t->dir);
	free(t->dir);
	free(t);
	return (0);
}

static void
fill(struct at *t, int n)
{
	uint8_t		h[32];
	uint64_t	id = 0;
	char		subj[32];

	memset(h, 0xab, sizeof(h));
	for (int i = 0; i < n; i++) {
		snprintf(subj, sizeof(subj), "subject-%d", i);
		assert_ok(lsn_audit_append(t->st, 1000 + (uint64_t) i,
		    i % 2 ? LSN_AUDIT_ENVELOPE : LSN_AUDIT_AUTHFAIL, subj,
		    "from=p01 to=p02", i % 3 ? h : NULL, &id));
		assert_int_equal(id, (uint64_t) i + 1);
	}
}

static void
exec(struct at *t, const char *sql)
{
	assert_ok(lsn_store_exec(t->st, sql));
}

static void
test_audit_chain_verifies(void **state)
{
	struct at		*t = *state;
	struct lsn_audit_result	 r;

	assert_ok(lsn_audit_verify(t->st, &r));
	assert_int_equal(r.count, 0);
	fill(t, 10);
	assert_ok(lsn_audit_verify(t->st, &r));
	assert_int_equal(r.count, 10);
	assert_int_equal(r.last_id, 10);
	assert_int_equal(r.bad_id, 0);
}

static void
test_audit_altered_field_names_its_id(void **state)
{
	struct at		*t = *state;
	struct lsn_audit_result	 r;

	fill(t, 10);
	exec(t, "UPDATE audit SET detail = 'from=p01 to=p03' WHERE id = 4");
	assert_err(lsn_audit_verify(t->st, &r), LSN_ECHAIN);
	assert_int_equal(r.bad_id, 4);
	assert_int_equal(r.count, 3);
}

static void
test_audit_rehashed_entry_breaks_the_next_link(void **state)
{
	struct at		*t = *state;
	struct lsn_audit_result	 r;

	fill(t, 6);
	/* An attacker who also recomputes entry 2's hash still breaks the
	 * prev link of entry 3. */
	exec(t, "UPDATE audit SET time_ms = 1, entry_hash = zeroblob(32) "
	    "WHERE id = 2");
	assert_err(lsn_audit_verify(t->st, &r), LSN_ECHAIN);
	assert_int_equal(r.bad_id, 2);
}

static void
test_audit_removed_or_inserted_entry_detected(void **state)
{
	struct at		*t = *state;
	struct lsn_audit_result	 r;

	fill(t, 6);
	exec(t, "DELETE FROM audit WHERE id = 3");
	assert_err(lsn_audit_verify(t->st, &r), LSN_ECHAIN);
	assert_int_equal(r.bad_id, 4);
	exec(t, "INSERT INTO audit SELECT 3, time_ms, kind, subject, detail, "
	    "data_hash, prev_hash, entry_hash FROM audit WHERE id = 2");
	assert_err(lsn_audit_verify(t->st, &r), LSN_ECHAIN);
	assert_int_equal(r.bad_id, 3);
}

static void
test_audit_entry_hash_is_field_sensitive(void **state)
{
	uint8_t	z[32] = { 0 }, a[32], b[32], h[32] = { 1 };

	(void) state;
	lsn_audit_entry_hash(z, 1, 5, "dirop", "s", "d", NULL, a);
	lsn_audit_entry_hash(z, 1, 5, "dirop", "s", "d", NULL, b);
	assert_memory_equal(a, b, 32);
	lsn_audit_entry_hash(z, 1, 5, "dirop", "s", "d", h, b);
	assert_memory_not_equal(a, b, 32);
	/* length prefixes: moving a byte between fields changes the hash */
	lsn_audit_entry_hash(z, 1, 5, "dirop", "sd", "", NULL, b);
	assert_memory_not_equal(a, b, 32);
	lsn_audit_entry_hash(z, 2, 5, "dirop", "s", "d", NULL, b);
	assert_memory_not_equal(a, b, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_chain_verifies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_altered_field_names_its_id, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_rehashed_entry_breaks_the_next_link, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_removed_or_inserted_entry_detected, setup,
		    teardown),
		cmocka_unit_test(test_audit_entry_hash_is_field_sensitive),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
