/* test_sig.c -- Ed25519 signatures, RFC 8032 vectors, domain separation. */
#include "lsn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/keys.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#define NVEC	5
#define MSGMAX	1024

struct vec {
	char	name[32];
	uint8_t	seed[32];
	uint8_t	pk[32];
	uint8_t	msg[MSGMAX];
	size_t	msglen;
	uint8_t	sig[64];
};

static struct vec vecs[NVEC];

static const enum lsn_sig_role roles[] = {
	LSN_SIG_ENVELOPE, LSN_SIG_DIROP, LSN_SIG_RECEIPT, LSN_SIG_CHECKPOINT,
	LSN_SIG_AUDIT_HEAD, LSN_SIG_ENVELOPE_BATCH,
};
#define NROLES	(sizeof(roles) / sizeof(roles[0]))

/* Loads tests/data/sig/rfc8032-ed25519.txt (RFC 8032 section 7.1). */
static int
load_vectors(void **state)
{
	const char	*dir = getenv("LSN_TEST_DATA");
	char		 path[4096], line[4096];
	FILE		*f;
	int		 n = 0;

	(void) state;
	if (lsn_init() != LSN_OK)
		return (-1);
	if (dir == NULL)
		dir = "tests/data";
	snprintf(path, sizeof(path), "%s/sig/rfc8032-ed25519.txt", dir);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL && n < NVEC) {
		char		 name[32], seed[65], pk[65], sig[129];
		char		 msg[2 * MSGMAX + 1];
		struct vec	*v = &vecs[n];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%31s %64s %64s %2048s %128s", name, seed, pk,
		    msg, sig) != 5)
			break;
		snprintf(v->name, sizeof(v->name), "%s", name);
		v->msglen = strcmp(msg, "-") == 0 ? 0 : strlen(msg) / 2;
		if (lsn_hex_decode(seed, v->seed, 32) != LSN_OK ||
		    lsn_hex_decode(pk, v->pk, 32) != LSN_OK ||
		    lsn_hex_decode(sig, v->sig, 64) != LSN_OK ||
		    (v->msglen > 0 &&
		    lsn_hex_decode(msg, v->msg, v->msglen) != LSN_OK))
			break;
		n++;
	}
	fclose(f);
	return (n == NVEC ? 0 : -1);
}

static void
test_sig_rfc8032_vectors_raw(void **state)
{
	(void) state;
	assert_int_equal(vecs[3].msglen, 1023);	/* TEST 1024 */
	assert_int_equal(vecs[4].msglen, 64);	/* TEST SHA(abc) */
	for (int i = 0; i < NVEC; i++) {
		struct vec	*v = &vecs[i];
		uint8_t		 pk[32], sk[64], sig[64];

		assert_int_equal(crypto_sign_seed_keypair(pk, sk, v->seed), 0);
		assert_memory_equal(pk, v->pk, 32);
		assert_int_equal(crypto_sign_detached(sig, NULL, v->msg,
		    v->msglen, sk), 0);
		assert_memory_equal(sig, v->sig, 64);
		assert_int_equal(crypto_sign_verify_detached(v->sig, v->msg,
		    v->msglen, v->pk), 0);
		sodium_memzero(sk, sizeof(sk));
	}
}

static void
test_sig_keypair_from_seed_matches_rfc(void **state)
{
	(void) state;
	for (int i = 0; i < NVEC; i++) {
		struct lsn_keypair	*kp = NULL;
		char			 kid[17];

		assert_ok(lsn_keypair_from_seed(vecs[i].seed, "rfc-8032",
		    &kp));
		assert_int_equal(kp->kind, LSN_KEY_SIGN);
		assert_memory_equal(kp->pk, vecs[i].pk, 32);
		assert_memory_equal(kp->sk, vecs[i].seed, 32);
		assert_memory_equal(kp->sk + 32, vecs[i].pk, 32);
		lsn_key_id(vecs[i].pk, kid);
		assert_string_equal(kp->key_id, kid);
		lsn_keypair_destroy(&kp);
		assert_null(kp);
	}
}

static void
test_sig_prefix_strings(void **state)
{
	(void) state;
	assert_string_equal(lsn_sig_prefix(LSN_SIG_ENVELOPE),
	    "liaison/envelope/v1");
	assert_string_equal(lsn_sig_prefix(LSN_SIG_DIROP), "liaison/dirop/v1");
	assert_string_equal(lsn_sig_prefix(LSN_SIG_RECEIPT),
	    "liaison/receipt/v1");
	assert_string_equal(lsn_sig_prefix(LSN_SIG_CHECKPOINT),
	    "liaison/checkpoint/v1");
	assert_string_equal(lsn_sig_prefix(LSN_SIG_AUDIT_HEAD),
	    "liaison/audit-head/v1");
	assert_null(lsn_sig_prefix(0));
	assert_string_equal(lsn_sig_prefix(LSN_SIG_ENVELOPE_BATCH),
	    "liaison/envelope-batch/v1");
	assert_null(lsn_sig_prefix(7));
}

/* lsn_sig_sign is exactly Ed25519(prefix || 0x00 || payload). */
static void
test_sig_signed_bytes_are_prefix_nul_payload(void **state)
{
	(void) state;
	for (int i = 1; i < NVEC; i++) {
		struct vec		*v = &vecs[i];
		struct lsn_keypair	*kp = NULL;

		assert_ok(lsn_keypair_from_seed(v->seed, "rfc-8032", &kp));
		for (size_t r = 0; r < NROLES; r++) {
			const char	*pfx = lsn_sig_prefix(roles[r]);
			size_t		 plen = strlen(pfx) + 1;
			uint8_t		 m[64 + MSGMAX], want[64], got[64];

			memcpy(m, pfx, plen);
			memcpy(m + plen, v->msg, v->msglen);
			assert_int_equal(crypto_sign_detached(want, NULL, m,
			    plen + v->msglen, kp->sk), 0);
			assert_ok(lsn_sig_sign(roles[r], kp, v->msg, v->msglen,
			    got));
			assert_memory_equal(got, want, 64);
		}
		lsn_keypair_destroy(&kp);
	}
}

/* A raw RFC signature never verifies in a role, and a role's signature
 * never verifies raw or in another role. */
static void
test_sig_domain_separation(void **state)
{
	(void) state;
	for (int i = 1; i < NVEC; i++) {
		struct vec		*v = &vecs[i];
		struct lsn_keypair	*kp = NULL;
		uint8_t			 sig[NROLES][64];

		assert_ok(lsn_keypair_from_seed(v->seed, "rfc-8032", &kp));
		for (size_t r = 0; r < NROLES; r++) {
			assert_err(lsn_sig_verify(roles[r], v->pk, v->msg,
			    v->msglen, v->sig, 64), LSN_EBADSIG);
			assert_ok(lsn_sig_sign(roles[r], kp, v->msg, v->msglen,
			    sig[r]));
			assert_memory_not_equal(sig[r], v->sig, 64);
			assert_int_not_equal(crypto_sign_verify_detached(
			    sig[r], v->msg, v->msglen, v->pk), 0);
		}
		for (size_t r = 0; r < NROLES; r++)
			for (size_t q = 0; q < NROLES; q++) {
				int rv = lsn_sig_verify(roles[q], v->pk,
				    v->msg, v->msglen, sig[r], 64);
				if (q == r)
					assert_ok(rv);
				else
					assert_err(rv, LSN_EBADSIG);
			}
		lsn_keypair_destroy(&kp);
	}
}

static void
test_sig_verify_rejects_flipped_bit(void **state)
{
	struct vec		*v = &vecs[2];
	struct lsn_keypair	*kp = NULL;
	uint8_t			 sig[64], msg[MSGMAX];

	(void) state;
	assert_ok(lsn_keypair_from_seed(v->seed, "rfc-8032", &kp));
	assert_ok(lsn_sig_sign(LSN_SIG_RECEIPT, kp, v->msg, v->msglen, sig));
	for (size_t bit = 0; bit < 64 * 8; bit++) {
		sig[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		assert_err(lsn_sig_verify(LSN_SIG_RECEIPT, v->pk, v->msg,
		    v->msglen, sig, 64), LSN_EBADSIG);
		sig[bit / 8] ^= (uint8_t) (1u << (bit % 8));
	}
	memcpy(msg, v->msg, v->msglen);
	for (size_t bit = 0; bit < v->msglen * 8; bit++) {
		msg[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		assert_err(lsn_sig_verify(LSN_SIG_RECEIPT, v->pk, msg,
		    v->msglen, sig, 64), LSN_EBADSIG);
		msg[bit / 8] ^= (uint8_t) (1u << (bit % 8));
	}
	assert_ok(lsn_sig_verify(LSN_SIG_RECEIPT, v->pk, msg, v->msglen, sig,
	    64));
	lsn_keypair_destroy(&kp);
}

static void
test_sig_verify_rejects_bad_arguments(void **state)
{
	struct vec		*v = &vecs[1];
	struct lsn_keypair	*kp = NULL;
	uint8_t			 sig[65] = { 0 };

	(void) state;
	assert_ok(lsn_keypair_from_seed(v->seed, "rfc-8032", &kp));
	assert_ok(lsn_sig_sign(LSN_SIG_DIROP, kp, v->msg, v->msglen, sig));
	assert_ok(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, v->msglen, sig,
	    64));
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, v->msglen,
	    sig, 63), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, v->msglen,
	    sig, 65), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, v->msglen,
	    sig, 0), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, v->msglen,
	    NULL, 64), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, NULL, v->msg, v->msglen,
	    sig, 64), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, NULL, v->msglen,
	    sig, 64), LSN_EBADSIG);
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, v->pk, v->msg, 0, sig, 64),
	    LSN_EBADSIG);
	assert_err(lsn_sig_verify(0, v->pk, v->msg, v->msglen, sig, 64),
	    LSN_EBADSIG);
	assert_err(lsn_sig_verify(99, v->pk, v->msg, v->msglen, sig, 64),
	    LSN_EBADSIG);
	/* Another key. */
	assert_err(lsn_sig_verify(LSN_SIG_DIROP, vecs[2].pk, v->msg, v->msglen,
	    sig, 64), LSN_EBADSIG);
	lsn_keypair_destroy(&kp);
}

static void
test_sig_sign_rejects_bad_arguments(void **state)
{
	struct lsn_keypair	*enc = NULL, *kp = NULL;
	uint8_t			 sig[64], msg[1] = { 0x72 };

	(void) state;
	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT, "au-afp", &enc));
	assert_err(lsn_sig_sign(LSN_SIG_ENVELOPE, enc, msg, 1, sig),
	    LSN_EINVAL);
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &kp));
	assert_err(lsn_sig_sign(0, kp, msg, 1, sig), LSN_EINVAL);
	assert_err(lsn_sig_sign(LSN_SIG_ENVELOPE, NULL, msg, 1, sig),
	    LSN_EINVAL);
	assert_err(lsn_sig_sign(LSN_SIG_ENVELOPE, kp, NULL, 1, sig),
	    LSN_EINVAL);
	assert_err(lsn_sig_sign(LSN_SIG_ENVELOPE, kp, msg, 0, sig),
	    LSN_EINVAL);
	lsn_keypair_destroy(&enc);
	lsn_keypair_destroy(&kp);
}

/* Payloads over the stack buffer take the heap path. */
static void
test_sig_large_payload(void **state)
{
	struct lsn_keypair	*kp = NULL;
	size_t			 len = 200 * 1024;
	uint8_t			*p = malloc(len), sig[64];

	(void) state;
	assert_non_null(p);
	lsn_random(p, len);
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "uk-ceop", &kp));
	for (size_t n = 1000; n <= 1010; n++) {
		assert_ok(lsn_sig_sign(LSN_SIG_CHECKPOINT, kp, p, n, sig));
		assert_ok(lsn_sig_verify(LSN_SIG_CHECKPOINT, kp->pk, p, n, sig,
		    64));
		assert_err(lsn_sig_verify(LSN_SIG_CHECKPOINT, kp->pk, p, n - 1,
		    sig, 64), LSN_EBADSIG);
	}
	assert_ok(lsn_sig_sign(LSN_SIG_ENVELOPE, kp, p, len, sig));
	assert_ok(lsn_sig_verify(LSN_SIG_ENVELOPE, kp->pk, p, len, sig, 64));
	p[len - 1] ^= 1;
	assert_err(lsn_sig_verify(LSN_SIG_ENVELOPE, kp->pk, p, len, sig, 64),
	    LSN_EBADSIG);
	lsn_keypair_destroy(&kp);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_rfc8032_vectors_raw),
		cmocka_unit_test(test_sig_keypair_from_seed_matches_rfc),
		cmocka_unit_test(test_sig_prefix_strings),
		cmocka_unit_test(test_sig_signed_bytes_are_prefix_nul_payload),
		cmocka_unit_test(test_sig_domain_separation),
		cmocka_unit_test(test_sig_verify_rejects_flipped_bit),
		cmocka_unit_test(test_sig_verify_rejects_bad_arguments),
		cmocka_unit_test(test_sig_sign_rejects_bad_arguments),
		cmocka_unit_test(test_sig_large_payload),
	};
	return (cmocka_run_group_tests_name("sig", tests, load_vectors, NULL));
}
