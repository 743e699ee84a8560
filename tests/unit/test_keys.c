/* test_keys.c -- key pairs, key ids and key files. */
#include "lsn_test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/keys.h"
#include "liaison/util.h"

/* RFC 8032 TEST 1 public key. */
static const char rfc_pk_hex[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static const enum lsn_key_kind kinds[] = {
	LSN_KEY_SIGN, LSN_KEY_ENCRYPT, LSN_KEY_TRANSPORT,
};

struct fx {
	char	*dir;
	char	*sec;
	char	*pub;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL || lsn_init() != LSN_OK)
		return (-1);
	fx->dir = lsn_test_tmpdir();
	fx->sec = lsn_test_path(fx->dir, "k.key");
	fx->pub = lsn_test_path(fx->dir, "k.pub");
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	lsn_test_rmdir(fx->dir);
	free(fx->dir);
	free(fx->sec);
	free(fx->pub);
	free(fx);
	return (0);
}

/* Writes raw bytes to path with the given mode (no atomic rename: fast). */
static void
write_raw(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE	*f;

	(void) unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	if (len > 0)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Reads a whole small file into a NUL-terminated malloc'd string. */
static char *
read_text(const char *path)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;

	assert_ok(lsn_file_read(path, 65536, &buf, &len));
	return ((char *) buf);
}

static void
test_keys_id_is_blake2b256_prefix(void **state)
{
	uint8_t	pk[32], h[32];
	char	want[17], got[17];

	(void) state;
	assert_ok(lsn_hex_decode(rfc_pk_hex, pk, 32));
	/* Independently: BLAKE2b with a 32-byte output, first 8 bytes. */
	assert_int_equal(crypto_generichash(h, 32, pk, 32, NULL, 0), 0);
	lsn_hex_encode(h, 8, want);
	lsn_key_id(pk, got);
	assert_string_equal(got, want);
	/* Golden value: must never change. (BLAKE2b with an 8-byte output
	 * would give c46607cab5cd8e90.) */
	assert_string_equal(got, "7849ac3049680be1");
	assert_true(lsn_key_id_valid(got));
	assert_false(lsn_key_id_valid("7849AC3049680BE1"));
	assert_false(lsn_key_id_valid("7849ac3049680be"));
	assert_false(lsn_key_id_valid("7849ac3049680be1a"));
	assert_false(lsn_key_id_valid(NULL));
}

static void
test_keys_kind_names(void **state)
{
	enum lsn_key_kind	k;

	(void) state;
	for (size_t i = 0; i < 3; i++) {
		assert_ok(lsn_key_kind_parse(lsn_key_kind_name(kinds[i]), &k));
		assert_int_equal(k, kinds[i]);
	}
	assert_string_equal(lsn_key_kind_name(0), "?");
	assert_err(lsn_key_kind_parse("admin", &k), LSN_EINVAL);
	assert_err(lsn_key_kind_parse(NULL, &k), LSN_EINVAL);
}

static void
test_keys_generate_rejects_bad_input(void **state)
{
	struct lsn_keypair	*kp = NULL;

	(void) state;
	assert_err(lsn_keypair_generate(0, "au-afp", &kp), LSN_EINVAL);
	assert_err(lsn_keypair_generate(4, "au-afp", &kp), LSN_EINVAL);
	assert_err(lsn_keypair_generate(LSN_KEY_SIGN, "AU AFP", &kp),
	    LSN_EINVAL);
	assert_err(lsn_keypair_generate(LSN_KEY_SIGN, "", &kp), LSN_EINVAL);
	assert_err(lsn_keypair_generate(LSN_KEY_SIGN, NULL, &kp), LSN_EINVAL);
	assert_null(kp);
	lsn_keypair_destroy(&kp);
	lsn_keypair_destroy(NULL);
}

static void
test_keys_roundtrip_each_kind(void **state)
{
	struct fx	*fx = *state;

	for (size_t i = 0; i < 3; i++) {
		struct lsn_keypair	*kp = NULL, *back = NULL;
		enum lsn_key_kind	 kind;
		uint8_t			 pk[32];
		char			 label[LSN_LABEL_MAX + 1];
		char			 kid[17];
		struct stat		 st;
		size_t			 skn;

		skn = kinds[i] == LSN_KEY_SIGN ? 64 : 32;
		assert_ok(lsn_keypair_generate(kinds[i], "au-afp", &kp));
		assert_int_equal(kp->kind, kinds[i]);
		assert_string_equal(kp->label, "au-afp");
		lsn_key_id(kp->pk, kid);
		assert_string_equal(kp->key_id, kid);
		assert_ok(lsn_keypair_save(kp, fx->sec, fx->pub));
		assert_int_equal(stat(fx->sec, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(stat(fx->pub, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);

		assert_ok(lsn_keypair_load(fx->sec, &back));
		assert_int_equal(back->kind, kp->kind);
		assert_string_equal(back->label, kp->label);
		assert_string_equal(back->key_id, kp->key_id);
		assert_memory_equal(back->pk, kp->pk, 32);
		assert_non_null(back->sk);
		assert_int_equal(sodium_memcmp(back->sk, kp->sk, skn), 0);

		assert_ok(lsn_pubkey_load(fx->pub, &kind, pk, label));
		assert_int_equal(kind, kinds[i]);
		assert_memory_equal(pk, kp->pk, 32);
		assert_string_equal(label, "au-afp");
		/* The public part of a secret file. */
		memset(pk, 0, sizeof(pk));
		assert_ok(lsn_pubkey_load(fx->sec, &kind, pk, NULL));
		assert_memory_equal(pk, kp->pk, 32);
		/* A public file is not a secret key. */
		lsn_keypair_destroy(&back);
		assert_int_equal(chmod(fx->pub, 0600), 0);
		assert_err(lsn_keypair_load(fx->pub, &back), LSN_EKEYFORMAT);
		assert_null(back);
		lsn_keypair_destroy(&kp);
		assert_null(kp);
	}
}

static void
test_keys_seed_keypair_stable_id(void **state)
{
	struct lsn_keypair	*a = NULL, *b = NULL;
	uint8_t			 seed[32];

	(void) state;
	memset(seed, 0x42, sizeof(seed));
	assert_ok(lsn_keypair_from_seed(seed, "admin-alice", &a));
	assert_ok(lsn_keypair_from_seed(seed, "admin-alice", &b));
	assert_string_equal(a->key_id, b->key_id);
	assert_memory_equal(a->pk, b->pk, 32);
	lsn_keypair_destroy(&a);
	lsn_keypair_destroy(&b);
}

static void
test_keys_file_format_is_documented_text(void **state)
{
	struct fx		*fx = *state;
	struct lsn_keypair	*kp = NULL;
	char			*txt, want[512], pkhex[65];

	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT, "uk-ceop", &kp));
	assert_ok(lsn_keypair_save(kp, NULL, fx->pub));
	lsn_hex_encode(kp->pk, 32, pkhex);
	snprintf(want, sizeof(want), "liaison-key v1\nkind encrypt\n"
	    "label uk-ceop\nkey-id %s\npublic %s\n", kp->key_id, pkhex);
	txt = read_text(fx->pub);
	assert_string_equal(txt, want);
	free(txt);
	/* Only the public file was written. */
	assert_err(lsn_file_check_perms(fx->sec, 1), LSN_ENOENT);
	assert_err(lsn_keypair_save(kp, NULL, NULL), LSN_EINVAL);
	lsn_keypair_destroy(&kp);
}

static void
test_keys_refuses_group_or_world_readable(void **state)
{
	struct fx		*fx = *state;
	struct lsn_keypair	*kp = NULL, *back = NULL;
	static const mode_t	 bad[] = { 0640, 0604, 0660, 0606, 0644, 0610,
	    0601, 0700 | 0040 };

	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &kp));
	assert_ok(lsn_keypair_save(kp, fx->sec, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(fx->sec, bad[i]), 0);
		assert_err(lsn_keypair_load(fx->sec, &back), LSN_EFILEPERM);
		assert_null(back);
	}
	assert_int_equal(chmod(fx->sec, 0400), 0);
	assert_ok(lsn_keypair_load(fx->sec, &back));
	lsn_keypair_destroy(&back);
	assert_err(lsn_keypair_load(fx->pub, &back), LSN_ENOENT);
	lsn_keypair_destroy(&kp);
}

/* A file with this content must be refused by lsn_keypair_load. */
static void
expect_refused(const struct fx *fx, const char *content, size_t len,
    int want)
{
	struct lsn_keypair	*kp = NULL;

	write_raw(fx->sec, content, len, 0600);
	assert_err(lsn_keypair_load(fx->sec, &kp), want);
	assert_null(kp);
}

static void
test_keys_malformed_files_refused(void **state)
{
	struct fx		*fx = *state;
	struct lsn_keypair	*kp = NULL, *other = NULL;
	char			*good, *tmp, *p, pkhex[65], skhex[129];
	char			 buf[8192];
	size_t			 len;

	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &kp));
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &other));
	assert_ok(lsn_keypair_save(kp, fx->sec, NULL));
	good = read_text(fx->sec);
	len = strlen(good);
	lsn_hex_encode(kp->pk, 32, pkhex);
	lsn_hex_encode(kp->sk, 64, skhex);

	/* Sanity: the unmodified text loads. */
	{
		struct lsn_keypair *back = NULL;

		write_raw(fx->sec, good, len, 0600);
		assert_ok(lsn_keypair_load(fx->sec, &back));
		lsn_keypair_destroy(&back);
	}

	/* empty */
	expect_refused(fx, "", 0, LSN_EKEYFORMAT);
	/* truncated at every length */
	for (size_t n = 1; n < len; n++)
		expect_refused(fx, good, n, LSN_EKEYFORMAT);
	/* oversize: the good file padded past 4 KiB */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, good, len);
	expect_refused(fx, buf, 4097, LSN_EKEYFORMAT);
	/* trailing garbage / an extra line / a blank line */
	snprintf(buf, sizeof(buf), "%sx", good);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	snprintf(buf, sizeof(buf), "%scomment x\n", good);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	snprintf(buf, sizeof(buf), "%s\n", good);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* NUL inside */
	memcpy(buf, good, len);
	buf[20] = '\0';
	expect_refused(fx, buf, len, LSN_EKEYFORMAT);

	/* wrong magic / version */
	snprintf(buf, sizeof(buf), "liaison-key v2%s", good + 14);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* wrong kind: unknown name, and encrypt with a 64-byte secret */
	tmp = strdup(good);
	assert_non_null(tmp);
	p = strstr(tmp, "kind sign");
	assert_non_null(p);
	memcpy(p, "kind sigx", 9);
	expect_refused(fx, tmp, len, LSN_EKEYFORMAT);
	free(tmp);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind encrypt\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* bad label */
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label AU_AFP\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* CRLF line ends, double space, missing key-id line */
	snprintf(buf, sizeof(buf), "liaison-key v1\r\nkind sign\r\n"
	    "label au-afp\r\nkey-id %s\r\npublic %s\r\nsecret %s\r\n",
	    kp->key_id, pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind  sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\npublic %s\nsecret %s\n", pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* lines out of order */
	snprintf(buf, sizeof(buf), "liaison-key v1\nlabel au-afp\n"
	    "kind sign\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* bad hex: a non-hex character, upper case, odd length */
	tmp = strdup(good);
	assert_non_null(tmp);
	p = strstr(tmp, "public ") + 7;
	p[5] = 'g';
	expect_refused(fx, tmp, len, LSN_EKEYFORMAT);
	free(tmp);
	for (char *c = pkhex; *c != '\0'; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char) (*c - 'a' + 'A');
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	lsn_hex_encode(kp->pk, 32, pkhex);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %.127s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* mismatched key id */
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", other->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* mismatched secret: another key's secret */
	lsn_hex_encode(other->sk, 64, skhex);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	/* mismatched secret: our embedded public key, another seed */
	lsn_hex_encode(kp->pk, 32, skhex + 64);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind sign\n"
	    "label au-afp\nkey-id %s\npublic %s\nsecret %s\n", kp->key_id,
	    pkhex, skhex);
	expect_refused(fx, buf, strlen(buf), LSN_EKEYFORMAT);
	sodium_memzero(skhex, sizeof(skhex));
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(good, len);
	free(good);
	lsn_keypair_destroy(&kp);
	lsn_keypair_destroy(&other);
}

static void
test_keys_box_secret_must_match(void **state)
{
	struct fx		*fx = *state;
	struct lsn_keypair	*a = NULL, *b = NULL, *back = NULL;
	char			 buf[1024], pkhex[65], skhex[65];
	enum lsn_key_kind	 kind;
	uint8_t			 pk[32];

	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "nl-police", &a));
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "nl-police", &b));
	lsn_hex_encode(a->pk, 32, pkhex);
	lsn_hex_encode(b->sk, 32, skhex);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind transport\n"
	    "label nl-police\nkey-id %s\npublic %s\nsecret %s\n", a->key_id,
	    pkhex, skhex);
	write_raw(fx->sec, buf, strlen(buf), 0600);
	assert_err(lsn_keypair_load(fx->sec, &back), LSN_EKEYFORMAT);
	/* Also refused when only the public part is wanted. */
	assert_err(lsn_pubkey_load(fx->sec, &kind, pk, NULL), LSN_EKEYFORMAT);
	lsn_hex_encode(a->sk, 32, skhex);
	snprintf(buf, sizeof(buf), "liaison-key v1\nkind transport\n"
	    "label nl-police\nkey-id %s\npublic %s\nsecret %s\n", a->key_id,
	    pkhex, skhex);
	write_raw(fx->sec, buf, strlen(buf), 0600);
	assert_ok(lsn_keypair_load(fx->sec, &back));
	assert_int_equal(back->kind, LSN_KEY_TRANSPORT);
	sodium_memzero(skhex, sizeof(skhex));
	sodium_memzero(buf, sizeof(buf));
	lsn_keypair_destroy(&back);
	lsn_keypair_destroy(&a);
	lsn_keypair_destroy(&b);
}

static void
test_keys_z85_roundtrip(void **state)
{
	struct lsn_keypair	*kp = NULL;
	char			 z[LSN_Z85_KEYLEN + 1];
	uint8_t			 back[32];

	(void) state;
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "au-afp", &kp));
	assert_ok(lsn_key_z85(kp->pk, z));
	assert_int_equal(strlen(z), 40);
	assert_non_null(zmq_z85_decode(back, z));
	assert_memory_equal(back, kp->pk, 32);
	assert_err(lsn_key_z85(NULL, z), LSN_EINVAL);
	lsn_keypair_destroy(&kp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_id_is_blake2b256_prefix),
		cmocka_unit_test(test_keys_kind_names),
		cmocka_unit_test(test_keys_generate_rejects_bad_input),
		cmocka_unit_test_setup_teardown(test_keys_roundtrip_each_kind,
		    setup, teardown),
		cmocka_unit_test(test_keys_seed_keypair_stable_id),
		cmocka_unit_test_setup_teardown(
		    test_keys_file_format_is_documented_text, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_refuses_group_or_world_readable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_malformed_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_box_secret_must_match, setup, teardown),
		cmocka_unit_test(test_keys_z85_roundtrip),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests_name("keys", tests, NULL, NULL));
}
