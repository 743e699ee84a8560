/* test_bdir.c -- the broker's memoized directory lookups answer exactly as
 * the library lookups do, time checks included, and forget at a run's end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/keys.h"
#include "btest.h"

static int
setup(void **state)
{
	return (btest_setup(state, NULL));
}

static int
teardown(void **state)
{
	return (btest_teardown(state));
}

/* Every lookup, through the memo (twice: miss, then hit) and directly. */
/* The memoized record, then the gate's time check on it. */
static int
bdir_sign_key(struct broker *b, const char *p, const char *k, uint64_t at,
    uint8_t pk[LSN_PK_BYTES])
{
	struct lsn_dir_keyrec	r;
	int			rv;

	if ((rv = bdir_sign_keyrec(b, p, k, &r)) != LSN_OK)
		return (rv);
	return (lsn_dir_sign_keyrec_at(&r, at, pk));
}

static void
same_answers(struct btest *t, uint64_t at)
{
	struct lsn_dir	*d = t->b.dir;
	const char	*ids[] = { "p01", "p02", "zz-nobody" };
	char		 kid[LSN_KEYID_HEXLEN + 1], o1[LSN_DIR_ID_MAX + 1];
	char		 o2[LSN_DIR_ID_MAX + 1];
	uint8_t		 pk1[LSN_PK_BYTES], pk2[LSN_PK_BYTES];
	uint8_t		 junk[LSN_PK_BYTES];
	int		 s1 = -1, s2 = -1;

	memset(junk, 0x5a, sizeof(junk));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(bdir_partner_status(&t->b, ids[i],
			    &s1), lsn_dir_partner_status(d, ids[i], &s2));
			if (i < 2)
				assert_int_equal(s1, s2);
		}
		for (size_t i = 0; i < 2; i++) {
			int	r1, r2;

			lsn_key_id(t->fx->partners[i].sign->pk, kid);
			r1 = bdir_sign_key(&t->b, ids[i], kid, at, pk1);
			r2 = lsn_dir_sign_key(d, ids[i], kid, at, pk2);
			assert_int_equal(r1, r2);
			if (r1 == LSN_OK)
				assert_memory_equal(pk1, pk2, LSN_PK_BYTES);
			/* p01's key id under p02's name */
			r1 = bdir_sign_key(&t->b, ids[1 - i], kid, at, pk1);
			assert_int_equal(r1, lsn_dir_sign_key(d, ids[1 - i],
			    kid, at, pk2));
			r1 = bdir_transport_owner(&t->b,
			    t->fx->partners[i].transport->pk, at, o1);
			r2 = lsn_dir_transport_owner(d,
			    t->fx->partners[i].transport->pk, at, o2);
			assert_int_equal(r1, r2);
			if (r1 == LSN_OK)
				assert_string_equal(o1, o2);
		}
		assert_int_equal(bdir_sign_key(&t->b, "p01",
		    "0123456789abcdef", at, pk1), lsn_dir_sign_key(d, "p01",
		    "0123456789abcdef", at, pk2));
		assert_int_equal(bdir_transport_owner(&t->b, junk, at, o1),
		    LSN_ENOENT);
	}
}

static void
test_bdir_memo_answers_like_the_directory(void **state)
{
	struct btest	*t = *state;
	char		 kid[LSN_KEYID_HEXLEN + 1];
	uint8_t		 pk[LSN_PK_BYTES];

	bdir_memo(&t->b, 1);
	same_answers(t, lsn_now_ms());
	/* Time is checked on every call, also from the memo: before the
	 * keys existed they are not valid. */
	same_answers(t, 1);
	lsn_key_id(t->fx->partners[0].sign->pk, kid);
	assert_int_equal(bdir_sign_key(&t->b, "p01", kid, 1, pk),
	    LSN_EKEYEXPIRED);
	assert_ok(bdir_sign_key(&t->b, "p01", kid, lsn_now_ms(), pk));
	bdir_memo(&t->b, 0);
	same_answers(t, lsn_now_ms());
}

static void
test_bdir_run_end_forgets(void **state)
{
	struct btest	*t = *state;
	uint8_t		*op = NULL;
	size_t		 len = 0;
	char		 why[LSN_DIR_WHY_MAX], owner[LSN_DIR_ID_MAX + 1];
	int		 st = -1;

	bdir_memo(&t->b, 1);
	assert_ok(bdir_partner_status(&t->b, "p03", &st));
	assert_int_equal(st, LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE);
	assert_ok(bdir_transport_owner(&t->b, t->fx->partners[2].transport->pk,
	    lsn_now_ms(), owner));
	bdir_memo(&t->b, 0);
	assert_ok(lsn_fixture_op_set_status(t->fx, "p03",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 1, 2, &op, &len));
	assert_ok(lsn_dir_submit(t->b.dir, op, len, lsn_now_ms(), NULL, why,
	    sizeof(why)));
	free(op);
	bdir_memo(&t->b, 1);
	assert_ok(bdir_partner_status(&t->b, "p03", &st));
	assert_int_equal(st, LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED);
	assert_int_equal(bdir_transport_owner(&t->b,
	    t->fx->partners[2].transport->pk, lsn_now_ms(), owner),
	    LSN_ESUSPENDED);
	bdir_memo(&t->b, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_bdir_memo_answers_like_the_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bdir_run_end_forgets,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
