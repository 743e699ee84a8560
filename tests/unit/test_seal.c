/* test_seal.c -- sealed bodies (round trips, wrong keys, tampering) and
 * the forwarding policy (RED, AMBER+STRICT, H2, nested envelopes). */
#define _GNU_SOURCE	/* memmem */
#include "lsn_test.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "envelope.pb-c.h"

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/seal.h"
#include "liaison/util.h"

#define NOW		1700000000000ULL
#define NOTE		LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE
#define HANDOFF	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF
#define CLEAR		LIAISON__V1__TLP__TLP_CLEAR
#define GREEN		LIAISON__V1__TLP__TLP_GREEN
#define AMBER		LIAISON__V1__TLP__TLP_AMBER
#define STRICT		LIAISON__V1__TLP__TLP_AMBER_STRICT
#define RED		LIAISON__V1__TLP__TLP_RED
#define H0		LIAISON__V1__HANDLING_CODE__HANDLING_H0
#define H1		LIAISON__V1__HANDLING_CODE__HANDLING_H1
#define H2		LIAISON__V1__HANDLING_CODE__HANDLING_H2
#define H3		LIAISON__V1__HANDLING_CODE__HANDLING_H3

/* A plaintext that must never show up in ciphertext. */
static const char PLAIN[] = "Synthetic referral: victim located in "
    "Wellington, safeguarding requested (fictional).";

#define NPARTY	6
enum { AU, UK, US, NZ, IT, CA };
static const char *const ids[NPARTY] = {
	"au-afp", "uk-ceop", "us-ncmec", "nz-police", "it-polpost", "ca-rcmp",
};

struct party {
	struct lsn_keypair	*sign;
	struct lsn_keypair	*enc;
};

static struct party	P[NPARTY];
static uint8_t		note_body[256];
static size_t		note_len;

/* Envelope under construction, with its storage. */
struct envb {
	Liaison__V1__Envelope		 env;
	Liaison__V1__Handling		 h;
	Liaison__V1__HandlingCode	 codes[4];
	char				*to[8];
	uint8_t				 msgid[16];
	char				 sender[64];
	Liaison__V1__SealedBody		*sealed;
};

static int
lookup(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	(void) arg;
	for (int i = 0; i < NPARTY; i++)
		if (strcmp(signer, ids[i]) == 0 &&
		    strcmp(key_id, P[i].sign->key_id) == 0) {
			memcpy(pk, P[i].sign->pk, LSN_PK_BYTES);
			return (LSN_OK);
		}
	return (LSN_EUNKNOWNKEY);
}

static int
no_keys(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	(void) arg;
	(void) signer;
	(void) key_id;
	(void) pk;
	return (LSN_EUNKNOWNSENDER);
}

/*
 * Receiving a forward goes through the trust gate (trust.h) now: this
 * runs lsn_trust_forward in the offline role with a view whose keys come
 * from fn (no validity window). *reasonp is the failed rule's name.
 */
struct fn_view {
	lsn_key_lookup_fn	*fn;
};

static int
fn_keyrec(void *arg, const char *p, const char *k, struct lsn_dir_keyrec *r)
{
	struct fn_view	*v = arg;

	memset(r, 0, sizeof(*r));
	return (v->fn(NULL, p, k, r->pk));
}

static int
gate_forward(const Liaison__V1__Envelope *outer, const uint8_t *fb,
    size_t fblen, lsn_key_lookup_fn *fn, void *unused,
    Liaison__V1__Envelope **innerp, uint8_t **bodyp, size_t *lenp,
    const char **reasonp)
{
	struct fn_view		v = { fn };
	struct lsn_trust_dir	d;
	struct lsn_trust_ctx	c;
	struct lsn_trust_result	r;
	int			rv;

	(void) unused;
	memset(&d, 0, sizeof(d));
	d.arg = &v;
	d.sign_keyrec = fn_keyrec;
	memset(&c, 0, sizeof(c));
	c.role = LSN_TRUST_OFFLINE_CLI;
	c.dir = fn != NULL ? &d : NULL;
	c.now_ms = lsn_now_ms();
	memset(&r, 0, sizeof(r));
	rv = lsn_trust_forward(&c, outer, fb, fblen, innerp, bodyp, lenp, &r);
	*reasonp = lsn_trust_rule_name((int) r.rule);
	return (rv);
}

static int
setup(void **state)
{
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;

	(void) state;
	if (lsn_init() != LSN_OK)
		return (-1);
	for (int i = 0; i < NPARTY; i++)
		if (lsn_keypair_generate(LSN_KEY_SIGN, ids[i],
		    &P[i].sign) != LSN_OK ||
		    lsn_keypair_generate(LSN_KEY_ENCRYPT, ids[i],
		    &P[i].enc) != LSN_OK)
			return (-1);
	n.text = (char *) (uintptr_t) PLAIN;
	note_len = liaison__v1__note__pack(&n, note_body);
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	for (int i = 0; i < NPARTY; i++) {
		lsn_keypair_destroy(&P[i].sign);
		lsn_keypair_destroy(&P[i].enc);
	}
	return (0);
}

static struct lsn_seal_rcpt
rcpt(int i)
{
	struct lsn_seal_rcpt	r = { ids[i], P[i].enc->pk };

	return (r);
}

/* AD of (msgid, sender, type). */
static size_t
mkad(const uint8_t msgid[16], const char *sender, int type,
    uint8_t ad[LSN_SEAL_AD_MAX])
{
	size_t	adlen = 0;

	assert_ok(lsn_seal_ad(msgid, sender, type, ad, &adlen));
	return (adlen);
}

static void
test_seal_tlp_requires_seal(void **state)
{
	(void) state;
	assert_false(lsn_tlp_requires_seal(CLEAR));
	assert_false(lsn_tlp_requires_seal(GREEN));
	assert_true(lsn_tlp_requires_seal(AMBER));
	assert_true(lsn_tlp_requires_seal(STRICT));
	assert_true(lsn_tlp_requires_seal(RED));
	/* Unknown values fail closed. */
	assert_true(lsn_tlp_requires_seal(0));
	assert_true(lsn_tlp_requires_seal(42));
}

static void
test_seal_ad_layout(void **state)
{
	uint8_t	msgid[16], ad[LSN_SEAL_AD_MAX], want[LSN_SEAL_AD_MAX];
	size_t	adlen = 0, n = 0;
	char	long_sender[80];

	(void) state;
	for (int i = 0; i < 16; i++)
		msgid[i] = (uint8_t) i;
	assert_ok(lsn_seal_ad(msgid, "au-afp", 0x01020304, ad, &adlen));
	memcpy(want, "liaison/seal/v1", 16);	/* with the NUL */
	n = 16;
	memcpy(want + n, msgid, 16);
	n += 16;
	want[n++] = 6;
	memcpy(want + n, "au-afp", 6);
	n += 6;
	want[n++] = 1;
	want[n++] = 2;
	want[n++] = 3;
	want[n++] = 4;
	assert_int_equal(adlen, n);
	assert_memory_equal(ad, want, n);
	/* Maximum: a 63-character sender. */
	memset(long_sender, 'a', 63);
	long_sender[63] = '\0';
	assert_ok(lsn_seal_ad(msgid, long_sender, NOTE, ad, &adlen));
	assert_int_equal(adlen, LSN_SEAL_AD_MAX);
	assert_err(lsn_seal_ad(msgid, "Bad Sender", NOTE, ad, &adlen),
	    LSN_EINVAL);
	assert_err(lsn_seal_ad(msgid, "au-afp", 0, ad, &adlen), LSN_EINVAL);
	assert_err(lsn_seal_ad(NULL, "au-afp", NOTE, ad, &adlen),
	    LSN_EINVAL);
}

/* Checks the plaintext appears nowhere in the sealed body, packed. */
static void
assert_no_plaintext(const Liaison__V1__SealedBody *sb)
{
	size_t	 n = liaison__v1__sealed_body__get_packed_size(sb);
	uint8_t	*buf = malloc(n);

	assert_non_null(buf);
	liaison__v1__sealed_body__pack(sb, buf);
	assert_null(memmem(buf, n, PLAIN, 16));
	assert_null(memmem(buf, n, PLAIN + 40, 16));
	assert_null(memmem(sb->ciphertext.data, sb->ciphertext.len,
	    note_body, note_len));
	free(buf);
}

static void
test_seal_roundtrip_one_recipient(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r = rcpt(UK);
	uint8_t			 msgid[16], ad[LSN_SEAL_AD_MAX];
	uint8_t			*pt = NULL;
	size_t			 adlen, ptlen = 0;

	(void) state;
	lsn_random(msgid, sizeof(msgid));
	adlen = mkad(msgid, "au-afp", NOTE, ad);
	assert_ok(lsn_seal(note_body, note_len, ad, adlen, &r, 1, &sb));
	assert_int_equal(sb->n_keys, 1);
	assert_string_equal(sb->keys[0]->partner, "uk-ceop");
	assert_string_equal(sb->keys[0]->key_id, P[UK].enc->key_id);
	assert_int_equal(sb->keys[0]->sealed_key.len, LSN_SEAL_KEY_BYTES);
	assert_int_equal(sb->nonce.len, LSN_SEAL_NONCE_BYTES);
	assert_int_equal(sb->ciphertext.len, note_len + LSN_SEAL_TAG_BYTES);
	assert_int_equal(sb->key_commitment.len, LSN_SEAL_COMMIT_BYTES);
	assert_no_plaintext(sb);
	assert_ok(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc, &pt,
	    &ptlen));
	assert_int_equal(ptlen, note_len);
	assert_memory_equal(pt, note_body, note_len);
	/* The opened body is a valid note. */
	assert_ok(lsn_body_validate(NOTE, pt, ptlen, NOW, NULL));
	free(pt);
	lsn_sealed_free(&sb);
	assert_null(sb);
	lsn_sealed_free(NULL);
}

static void
test_seal_roundtrip_five_recipients(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r[5];
	uint8_t			 msgid[16], ad[LSN_SEAL_AD_MAX];
	size_t			 adlen;

	(void) state;
	for (int i = 0; i < 5; i++)
		r[i] = rcpt(i + 1);	/* everyone but au-afp */
	lsn_random(msgid, sizeof(msgid));
	adlen = mkad(msgid, "au-afp", NOTE, ad);
	assert_ok(lsn_seal(note_body, note_len, ad, adlen, r, 5, &sb));
	assert_int_equal(sb->n_keys, 5);
	assert_no_plaintext(sb);
	for (int i = 1; i < NPARTY; i++) {
		uint8_t	*pt = NULL;
		size_t	 ptlen = 0;

		assert_ok(lsn_unseal(sb, ad, adlen, ids[i], P[i].enc, &pt,
		    &ptlen));
		assert_int_equal(ptlen, note_len);
		assert_memory_equal(pt, note_body, note_len);
		free(pt);
	}
	/* The sender itself was not a recipient. */
	{
		uint8_t	*pt = NULL;
		size_t	 ptlen = 0;

		assert_err(lsn_unseal(sb, ad, adlen, "au-afp", P[AU].enc,
		    &pt, &ptlen), LSN_EUNSEAL);
		assert_null(pt);
	}
	lsn_sealed_free(&sb);
}

static void
test_seal_wrong_recipient_key(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r = rcpt(UK);
	struct lsn_keypair	*imp = NULL;
	uint8_t			 msgid[16], ad[LSN_SEAL_AD_MAX];
	uint8_t			*pt = NULL;
	size_t			 adlen, ptlen = 0;
	char			 saved[LSN_KEYID_HEXLEN + 1];

	(void) state;
	lsn_random(msgid, sizeof(msgid));
	adlen = mkad(msgid, "au-afp", NOTE, ad);
	assert_ok(lsn_seal(note_body, note_len, ad, adlen, &r, 1, &sb));
	/* Another partner's key. */
	assert_err(lsn_unseal(sb, ad, adlen, "us-ncmec", P[US].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	/* Claiming to be uk-ceop with us-ncmec's key: no entry matches. */
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[US].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	/* An impostor relabels the entry with its own key id: the sealed
	 * key does not open. */
	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT, "uk-ceop", &imp));
	memcpy(saved, sb->keys[0]->key_id, sizeof(saved));
	memcpy(sb->keys[0]->key_id, imp->key_id, sizeof(saved));
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", imp, &pt, &ptlen),
	    LSN_EUNSEAL);
	memcpy(sb->keys[0]->key_id, saved, sizeof(saved));
	/* A signing key is not an encryption key. */
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].sign, &pt,
	    &ptlen), LSN_EINVAL);
	assert_null(pt);
	/* Still opens for the right key. */
	assert_ok(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc, &pt,
	    &ptlen));
	free(pt);
	lsn_keypair_destroy(&imp);
	lsn_sealed_free(&sb);
}

static void
test_seal_tampering_refused(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r[2] = { rcpt(UK), rcpt(US) };
	uint8_t			 msgid[16], ad[LSN_SEAL_AD_MAX];
	uint8_t			 ad2[LSN_SEAL_AD_MAX];
	uint8_t			*pt = NULL;
	size_t			 adlen, ad2len, ptlen = 0;

	(void) state;
	lsn_random(msgid, sizeof(msgid));
	adlen = mkad(msgid, "au-afp", NOTE, ad);
	assert_ok(lsn_seal(note_body, note_len, ad, adlen, r, 2, &sb));

	/* Every byte of the ciphertext (and tag). */
	for (size_t i = 0; i < sb->ciphertext.len; i++) {
		sb->ciphertext.data[i] ^= 0x01;
		assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc,
		    &pt, &ptlen), LSN_EUNSEAL);
		sb->ciphertext.data[i] ^= 0x01;
	}
	/* Every byte of the nonce. */
	for (size_t i = 0; i < sb->nonce.len; i++) {
		sb->nonce.data[i] ^= 0x80;
		assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc,
		    &pt, &ptlen), LSN_EUNSEAL);
		sb->nonce.data[i] ^= 0x80;
	}
	/* The commitment and the sealed key. */
	sb->key_commitment.data[5] ^= 0x10;
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	sb->key_commitment.data[5] ^= 0x10;
	sb->has_key_commitment = 0;
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	sb->has_key_commitment = 1;
	sb->keys[0]->sealed_key.data[40] ^= 0x04;
	assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	sb->keys[0]->sealed_key.data[40] ^= 0x04;

	/* Every byte of the AD; and AD of another message, sender, type;
	 * and no AD at all. */
	for (size_t i = 0; i < adlen; i++) {
		ad[i] ^= 0x01;
		assert_err(lsn_unseal(sb, ad, adlen, "uk-ceop", P[UK].enc,
		    &pt, &ptlen), LSN_EUNSEAL);
		ad[i] ^= 0x01;
	}
	msgid[0] ^= 1;
	ad2len = mkad(msgid, "au-afp", NOTE, ad2);
	msgid[0] ^= 1;
	assert_err(lsn_unseal(sb, ad2, ad2len, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	ad2len = mkad(msgid, "uk-ceop", NOTE, ad2);
	assert_err(lsn_unseal(sb, ad2, ad2len, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	ad2len = mkad(msgid, "au-afp", HANDOFF, ad2);
	assert_err(lsn_unseal(sb, ad2, ad2len, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	assert_err(lsn_unseal(sb, NULL, 0, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	assert_err(lsn_unseal(sb, ad, adlen - 1, "uk-ceop", P[UK].enc, &pt,
	    &ptlen), LSN_EUNSEAL);
	assert_null(pt);

	/* Untouched, it opens. */
	assert_ok(lsn_unseal(sb, ad, adlen, "us-ncmec", P[US].enc, &pt,
	    &ptlen));
	free(pt);
	lsn_sealed_free(&sb);
}

/* A content key other than the committed one is refused even before
 * decryption; the right one (as a recipient obtains it) opens. */
static void
test_seal_key_commitment(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r = rcpt(UK);
	uint8_t			 msgid[16], ad[LSN_SEAL_AD_MAX];
	uint8_t			 key[32], bad[32];
	uint8_t			*pt = NULL;
	size_t			 adlen, ptlen = 0;

	(void) state;
	lsn_random(msgid, sizeof(msgid));
	adlen = mkad(msgid, "au-afp", NOTE, ad);
	assert_ok(lsn_seal(note_body, note_len, ad, adlen, &r, 1, &sb));
	assert_ok(lsn_unseal_key(sb, "uk-ceop", P[UK].enc, key));
	memcpy(bad, key, sizeof(bad));
	bad[31] ^= 1;
	assert_err(lsn_unseal_with_key(sb, ad, adlen, bad, &pt, &ptlen),
	    LSN_EUNSEAL);
	assert_ok(lsn_unseal_with_key(sb, ad, adlen, key, &pt, &ptlen));
	assert_memory_equal(pt, note_body, note_len);
	free(pt);
	assert_err(lsn_unseal_key(sb, "us-ncmec", P[US].enc, key),
	    LSN_EUNSEAL);
	sodium_memzero(key, sizeof(key));
	lsn_sealed_free(&sb);
}

static void
test_seal_refuses_bad_arguments(void **state)
{
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r[3] = { rcpt(UK), rcpt(US), rcpt(UK) };
	struct lsn_seal_rcpt	 bad = { "Not A Slug", P[UK].enc->pk };
	struct lsn_seal_rcpt	 nopk = { "uk-ceop", NULL };
	uint8_t			 zero[LSN_PK_BYTES] = { 0 };
	struct lsn_seal_rcpt	 lowpk = { "uk-ceop", zero };
	uint8_t			*pt = NULL;
	size_t			 ptlen = 0;

	(void) state;
	assert_err(lsn_seal(note_body, note_len, NULL, 0, r, 0, &sb),
	    LSN_EINVAL);
	assert_err(lsn_seal(note_body, note_len, NULL, 0, r, 3, &sb),
	    LSN_EINVAL);	/* uk-ceop twice */
	assert_err(lsn_seal(note_body, note_len, NULL, 0, &bad, 1, &sb),
	    LSN_EINVAL);
	assert_err(lsn_seal(note_body, note_len, NULL, 0, &nopk, 1, &sb),
	    LSN_EINVAL);
	assert_err(lsn_seal(note_body, note_len, NULL, 0, &lowpk, 1, &sb),
	    LSN_EINVAL);
	assert_err(lsn_seal(NULL, 5, NULL, 0, r, 1, &sb), LSN_EINVAL);
	assert_err(lsn_seal(note_body, 0, NULL, 0, r, 1, &sb), LSN_EINVAL);
	assert_err(lsn_seal(note_body, note_len, NULL, 3, r, 1, &sb),
	    LSN_EINVAL);
	assert_err(lsn_seal(note_body, LSN_BODY_MAX, NULL, 0, r, 1, &sb),
	    LSN_ETOOBIG);
	assert_null(sb);
	/* Malformed sealed bodies. */
	{
		Liaison__V1__SealedBody	s0 = LIAISON__V1__SEALED_BODY__INIT;

		assert_err(lsn_unseal(&s0, NULL, 0, "uk-ceop", P[UK].enc,
		    &pt, &ptlen), LSN_EINVAL);
		assert_err(lsn_unseal(NULL, NULL, 0, "uk-ceop", P[UK].enc,
		    &pt, &ptlen), LSN_EINVAL);
	}
	assert_null(pt);
}

/* ---- forwarding ------------------------------------------------------ */

/* An envelope from `from` to the given partners, marked tlp/codes, with
 * PLAIN as a note body (sealed to the named recipients when the TLP
 * requires it). */
static void
mkenv(struct envb *b, int from, const int *to, size_t nto, int tlp,
    const int *codes, size_t ncodes, int type)
{
	Liaison__V1__Envelope	e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	h = LIAISON__V1__HANDLING__INIT;

	memset(b, 0, sizeof(*b));
	b->env = e;
	b->h = h;
	lsn_random(b->msgid, sizeof(b->msgid));
	(void) lsn_strlcpy(b->sender, ids[from], sizeof(b->sender));
	b->env.has_version = 1;
	b->env.version = 1;
	b->env.has_message_id = 1;
	b->env.message_id.data = b->msgid;
	b->env.message_id.len = 16;
	b->env.sender = b->sender;
	for (size_t i = 0; i < nto; i++)
		b->to[i] = (char *) (uintptr_t) ids[to[i]];
	b->env.n_to = nto;
	b->env.to = b->to;
	b->env.has_created_ms = 1;
	b->env.created_ms = NOW;
	b->env.has_type = 1;
	b->env.type = (Liaison__V1__MessageType) type;
	b->h.has_tlp = 1;
	b->h.tlp = (Liaison__V1__Tlp) tlp;
	for (size_t i = 0; i < ncodes; i++)
		b->codes[i] = (Liaison__V1__HandlingCode) codes[i];
	b->h.n_codes = ncodes;
	b->h.codes = b->codes;
	b->env.handling = &b->h;
}

/* Sets body (plain or sealed to the envelope's named recipients). */
static void
set_body(struct envb *b, const uint8_t *body, size_t len)
{
	struct lsn_seal_rcpt	r[8];
	uint8_t			ad[LSN_SEAL_AD_MAX];
	size_t			adlen = 0;

	if (!lsn_tlp_requires_seal(b->h.tlp)) {
		b->env.has_body = 1;
		b->env.body.data = (uint8_t *) (uintptr_t) body;
		b->env.body.len = len;
		return;
	}
	for (size_t i = 0; i < b->env.n_to; i++)
		for (int p = 0; p < NPARTY; p++)
			if (strcmp(b->to[i], ids[p]) == 0)
				r[i] = rcpt(p);
	assert_ok(lsn_seal_ad_env(&b->env, ad, &adlen));
	assert_ok(lsn_seal(body, len, ad, adlen, r, b->env.n_to,
	    &b->sealed));
	b->env.sealed = b->sealed;
}

/* Signs b with party `by`; returns the SignedEnvelope bytes. */
static uint8_t *
sign_env(struct envb *b, int by, size_t *lenp)
{
	uint8_t		*out = NULL;
	const char	*field = NULL;
	int		 rv;

	rv = lsn_envelope_sign(&b->env, P[by].sign, &out, lenp, &field);
	if (rv != LSN_OK)
		fail_msg("sign: %s field %s", lsn_errname(rv),
		    field != NULL ? field : "-");
	return (out);
}

/* Parses and verifies SignedEnvelope bytes. */
static Liaison__V1__Envelope *
open_env(const uint8_t *buf, size_t len)
{
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	uint8_t				 pk[LSN_PK_BYTES];

	assert_ok(lsn_envelope_peek(buf, len, 0, &o, NULL));
	assert_ok(lookup(NULL, o->signer, o->key_id, pk));
	assert_ok(lsn_envelope_verify_parse(o, pk, &env, NULL));
	lsn_envelope_outer_destroy(&o);
	return (env);
}

static void
test_forward_check_policy(void **state)
{
	const int	 to[2] = { UK, US };
	const int	 h0[1] = { H0 }, h2[2] = { H0, H2 };
	const char	*nz[1] = { "nz-police" }, *self[1] = { "uk-ceop" };
	const char	*reason = NULL;
	struct envb	 b;

	(void) state;
	/* RED: never, whatever the permission. */
	mkenv(&b, AU, to, 2, RED, h0, 1, NOTE);
	assert_err(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 1, &reason),
	    LSN_EFORWARD);
	assert_string_equal(reason, "tlp red");
	assert_err(lsn_forward_check(&b.env, "uk-ceop", self, 1, 1, &reason),
	    LSN_EFORWARD);
	assert_err(lsn_forward_check(&b.env, "au-afp", nz, 1, 1, &reason),
	    LSN_EFORWARD);

	/* AMBER+STRICT: within the recipient organisation only. */
	mkenv(&b, AU, to, 2, STRICT, h0, 1, NOTE);
	assert_err(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 0, &reason),
	    LSN_EFORWARD);
	assert_string_equal(reason, "tlp amber+strict");
	assert_ok(lsn_forward_check(&b.env, "uk-ceop", self, 1, 0, &reason));

	/* H2: not without the provider's permission. */
	mkenv(&b, AU, to, 2, AMBER, h2, 2, NOTE);
	assert_err(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 0, &reason),
	    LSN_EFORWARD);
	assert_string_equal(reason, "h2 without permission");
	assert_ok(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 1, &reason));
	b.env.has_provider_permits_forward = 1;
	b.env.provider_permits_forward = 0;
	assert_err(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 0, &reason),
	    LSN_EFORWARD);
	b.env.provider_permits_forward = 1;
	assert_ok(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 0, &reason));
	/* The provider itself needs no permission. */
	b.env.has_provider_permits_forward = 0;
	assert_ok(lsn_forward_check(&b.env, "au-afp", nz, 1, 0, &reason));

	/* AMBER, GREEN, CLEAR without H2: allowed. */
	mkenv(&b, AU, to, 2, AMBER, h0, 1, NOTE);
	assert_ok(lsn_forward_check(&b.env, "uk-ceop", nz, 1, 0, &reason));
	mkenv(&b, AU, to, 2, CLEAR, NULL, 0, NOTE);
	assert_ok(lsn_forward_check(&b.env, "us-ncmec", nz, 1, 0, &reason));

	/* Only a recipient (or the sender) forwards. */
	assert_err(lsn_forward_check(&b.env, "it-polpost", nz, 1, 0,
	    &reason), LSN_EFORWARD);
	assert_string_equal(reason, "not a recipient");

	/* Bad arguments. */
	assert_err(lsn_forward_check(NULL, "uk-ceop", nz, 1, 0, &reason),
	    LSN_EINVAL);
	assert_err(lsn_forward_check(&b.env, "UK", nz, 1, 0, &reason),
	    LSN_EINVAL);
	assert_err(lsn_forward_check(&b.env, "uk-ceop", NULL, 1, 0, &reason),
	    LSN_EINVAL);
}

static void
test_forward_markings_not_weaker(void **state)
{
	Liaison__V1__Handling		in = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Handling		out = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__HandlingCode	ic[2] = { H1, H3 }, oc[3] = { H0, H1,
					    H3 };
	char				t1[] = "no press", t2[] = "other";

	(void) state;
	in.has_tlp = out.has_tlp = 1;
	in.tlp = AMBER;
	out.tlp = AMBER;
	assert_true(lsn_markings_not_weaker(&out, &in));
	out.tlp = RED;
	assert_true(lsn_markings_not_weaker(&out, &in));
	out.tlp = GREEN;
	assert_false(lsn_markings_not_weaker(&out, &in));
	out.tlp = AMBER;
	in.codes = ic;
	in.n_codes = 2;
	in.h3_text = t1;
	assert_false(lsn_markings_not_weaker(&out, &in));	/* codes */
	out.codes = oc;
	out.n_codes = 3;
	assert_false(lsn_markings_not_weaker(&out, &in));	/* h3 text */
	out.h3_text = t2;
	assert_false(lsn_markings_not_weaker(&out, &in));
	out.h3_text = t1;
	assert_true(lsn_markings_not_weaker(&out, &in));
	in.permitted_purpose = t2;
	assert_false(lsn_markings_not_weaker(&out, &in));
	out.permitted_purpose = t2;
	assert_true(lsn_markings_not_weaker(&out, &in));
	assert_false(lsn_markings_not_weaker(NULL, &in));
}

/* uk-ceop forwards au-afp's sealed AMBER note (with H2 and permission)
 * to nz-police; nz-police opens and verifies the whole chain. */
static void
test_forward_nested_roundtrip(void **state)
{
	const int		 to[2] = { UK, US }, fto[1] = { NZ };
	const int		 codes[2] = { H0, H2 };
	struct envb		 in, out;
	Liaison__V1__Envelope	*inner = NULL, *outer = NULL, *inner2 = NULL;
	uint8_t			 ck[32], ad[LSN_SEAL_AD_MAX];
	uint8_t			*ise, *ose, *fwd = NULL, *fb = NULL;
	uint8_t			*body = NULL;
	size_t			 ilen, olen, fwdlen = 0, fblen = 0;
	size_t			 blen = 0, adlen = 0;
	const char		*reason = NULL;
	char			 note[] = "For your action; permission from "
				     "au-afp given by phone.";

	(void) state;
	mkenv(&in, AU, to, 2, AMBER, codes, 2, NOTE);
	set_body(&in, note_body, note_len);
	ise = sign_env(&in, AU, &ilen);
	lsn_sealed_free(&in.sealed);

	/* uk-ceop receives it and obtains the content key. */
	inner = open_env(ise, ilen);
	assert_ok(lsn_unseal_key(inner->sealed, "uk-ceop", P[UK].enc, ck));

	/* Without permission: refused by the builder. */
	mkenv(&out, UK, fto, 1, AMBER, codes, 2, NOTE);
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, ck, note, 0,
	    &fwd, &fwdlen, &reason), LSN_EFORWARD);
	assert_string_equal(reason, "h2 without permission");
	assert_int_equal(out.env.type, NOTE);	/* untouched */
	assert_false(out.env.has_forwarded);
	/* Weaker markings: refused. */
	mkenv(&out, UK, fto, 1, GREEN, codes, 2, NOTE);
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, ck, note, 1,
	    &fwd, &fwdlen, &reason), LSN_EFORWARD);
	assert_string_equal(reason, "markings weaker");
	/* No content key for a sealed inner: refused. */
	mkenv(&out, UK, fto, 1, AMBER, codes, 2, NOTE);
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, NULL, note,
	    1, &fwd, &fwdlen, &reason), LSN_EINVAL);

	/* With permission. */
	assert_ok(lsn_forward_build(&out.env, ise, ilen, inner, ck, note, 1,
	    &fwd, &fwdlen, &reason));
	assert_int_equal(out.env.type, NOTE);
	assert_true(out.env.has_forwarded);
	assert_true(out.env.provider_permits_forward);
	assert_ok(lsn_body_validate(NOTE, fwd, fwdlen, NOW, NULL));
	set_body(&out, fwd, fwdlen);	/* sealed to nz-police */
	ose = sign_env(&out, UK, &olen);
	lsn_sealed_free(&out.sealed);
	sodium_memzero(fwd, fwdlen);
	free(fwd);

	/* The inner plaintext is in neither envelope's bytes. */
	assert_null(memmem(ise, ilen, PLAIN, 16));
	assert_null(memmem(ose, olen, PLAIN, 16));

	/* nz-police: verify the outer, open its Note body, verify the
	 * inner and open the inner body with the forwarded key. */
	outer = open_env(ose, olen);
	assert_ok(lsn_seal_ad_env(outer, ad, &adlen));
	assert_ok(lsn_unseal(outer->sealed, ad, adlen, "nz-police",
	    P[NZ].enc, &fb, &fblen));
	assert_ok(gate_forward(outer, fb, fblen, lookup, NULL, &inner2,
	    &body, &blen, &reason));
	assert_string_equal(inner2->sender, "au-afp");
	assert_memory_equal(inner2->message_id.data, in.msgid, 16);
	assert_int_equal(blen, note_len);
	assert_memory_equal(body, note_body, note_len);
	free(body);
	lsn_envelope_free(&inner2);
	/* Without asking for the body. */
	assert_ok(gate_forward(outer, NULL, 0, lookup, NULL, &inner2,
	    NULL, NULL, &reason));
	lsn_envelope_free(&inner2);

	/* A Note carrying a wrong forward key: refused. */
	{
		Liaison__V1__Note	*f;
		uint8_t			 tmp[256];
		size_t			 n;

		f = liaison__v1__note__unpack(NULL, fblen, fb);
		assert_non_null(f);
		assert_true(f->has_forward_key);
		f->forward_key.data[0] ^= 1;
		assert_true(liaison__v1__note__get_packed_size(f) <=
		    sizeof(tmp));
		n = liaison__v1__note__pack(f, tmp);
		liaison__v1__note__free_unpacked(f, NULL);
		assert_err(gate_forward(outer, tmp, n, lookup, NULL,
		    &inner2, &body, &blen, &reason), LSN_EFORWARD);
		assert_string_equal(reason, "fwd-body");
		assert_null(inner2);
	}
	free(fb);
	sodium_memzero(ck, sizeof(ck));
	lsn_envelope_free(&outer);
	lsn_envelope_free(&inner);
	free(ose);
	free(ise);
}

/* A forward of a GREEN note: no content key; the inner body is copied. */
static void
test_forward_unsealed_inner(void **state)
{
	const int		 to[1] = { UK }, fto[2] = { NZ, IT };
	struct envb		 in, out;
	Liaison__V1__Envelope	*inner = NULL, *outer = NULL, *inner2 = NULL;
	uint8_t			 ck[32];
	uint8_t			*ise, *ose, *fwd = NULL, *body = NULL;
	size_t			 ilen, olen, fwdlen = 0, blen = 0;
	const char		*reason = NULL;

	(void) state;
	memset(ck, 7, sizeof(ck));
	mkenv(&in, AU, to, 1, GREEN, NULL, 0, NOTE);
	set_body(&in, note_body, note_len);
	ise = sign_env(&in, AU, &ilen);
	inner = open_env(ise, ilen);
	mkenv(&out, UK, fto, 2, GREEN, NULL, 0, NOTE);
	/* A content key for an unsealed inner is refused. */
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, ck, NULL, 0,
	    &fwd, &fwdlen, &reason), LSN_EINVAL);
	/* inner_se that is not inner (envelope bytes or hint): refused. */
	ise[ilen / 2] ^= 1;
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, NULL, NULL,
	    0, &fwd, &fwdlen, &reason), LSN_EINVAL);
	ise[ilen / 2] ^= 1;
	ise[ilen - 1] ^= 1;	/* the last character of the key id hint */
	assert_err(lsn_forward_build(&out.env, ise, ilen, inner, NULL, NULL,
	    0, &fwd, &fwdlen, &reason), LSN_EINVAL);
	ise[ilen - 1] ^= 1;
	assert_ok(lsn_forward_build(&out.env, ise, ilen, inner, NULL, NULL, 0,
	    &fwd, &fwdlen, &reason));
	assert_false(out.env.has_provider_permits_forward);
	set_body(&out, fwd, fwdlen);
	ose = sign_env(&out, UK, &olen);
	outer = open_env(ose, olen);
	assert_ok(gate_forward(outer, fwd, fwdlen, lookup, NULL,
	    &inner2, &body, &blen, &reason));
	assert_int_equal(blen, note_len);
	assert_memory_equal(body, note_body, note_len);
	free(body);
	free(fwd);
	lsn_envelope_free(&inner2);
	lsn_envelope_free(&outer);
	lsn_envelope_free(&inner);
	free(ose);
	free(ise);
}

/* Outer envelopes built by hand (bypassing the builder), as a hostile
 * forwarder would: every rule is checked again by the verifier. */
static void
test_forward_verify_refuses(void **state)
{
	const int		 to[2] = { UK, US }, fto[1] = { NZ };
	const int		 h0[1] = { H0 }, h2[1] = { H2 };
	struct envb		 in, out;
	Liaison__V1__Envelope	*outer = NULL, *inner2 = NULL;
	Liaison__V1__Note	 f = LIAISON__V1__NOTE__INIT;
	uint8_t			 fb[16];
	char			 fnote[] = "fyi";
	uint8_t			*ise, *ose, *bad;
	size_t			 ilen, olen, fblen;
	const char		*reason = NULL;
	const struct {
		int	tlp, h2, outer_tlp, fwd_by;
		int	tamper, want;
		const char *name;
	} cases[] = {
		{ GREEN, 0, GREEN, UK, 0, LSN_OK, "control" },
		{ GREEN, 0, GREEN, UK, 1, LSN_EFORWARD, "tampered inner" },
		{ RED, 0, RED, UK, 0, LSN_EFORWARD, "red" },
		{ STRICT, 0, STRICT, UK, 0, LSN_EFORWARD, "amber+strict" },
		{ GREEN, 1, GREEN, UK, 0, LSN_EFORWARD, "h2" },
		{ AMBER, 0, GREEN, UK, 0, LSN_EFORWARD, "weaker" },
		{ GREEN, 0, GREEN, IT, 0, LSN_EFORWARD, "not a recipient" },
	};

	(void) state;
	f.text = fnote;
	fblen = liaison__v1__note__pack(&f, fb);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rv;

		mkenv(&in, AU, to, 2, cases[i].tlp, cases[i].h2 ? h2 : h0, 1,
		    NOTE);
		set_body(&in, note_body, note_len);
		ise = sign_env(&in, AU, &ilen);
		lsn_sealed_free(&in.sealed);
		bad = malloc(ilen);
		assert_non_null(bad);
		memcpy(bad, ise, ilen);
		if (cases[i].tamper)
			bad[ilen / 2] ^= 0x01;	/* inside the signed bytes */
		mkenv(&out, cases[i].fwd_by, fto, 1, cases[i].outer_tlp,
		    cases[i].h2 ? h2 : h0, 1, NOTE);
		out.env.has_forwarded = 1;
		out.env.forwarded.data = bad;
		out.env.forwarded.len = ilen;
		set_body(&out, fb, fblen);
		ose = sign_env(&out, cases[i].fwd_by, &olen);
		lsn_sealed_free(&out.sealed);
		outer = open_env(ose, olen);
		reason = NULL;
		rv = gate_forward(outer, NULL, 0, lookup, NULL, &inner2,
		    NULL, NULL, &reason);
		if (rv != cases[i].want)
			fail_msg("%s: got %s (%s), want %s", cases[i].name,
			    lsn_errname(rv), reason != NULL ? reason : "-",
			    lsn_errname(cases[i].want));
		if (rv == LSN_OK)
			lsn_envelope_free(&inner2);
		assert_null(inner2);
		lsn_envelope_free(&outer);
		free(ose);
		free(bad);
		free(ise);
	}
	/* Not a forward at all. */
	mkenv(&out, UK, fto, 1, GREEN, h0, 1, NOTE);
	set_body(&out, note_body, note_len);
	ose = sign_env(&out, UK, &olen);
	outer = open_env(ose, olen);
	assert_err(gate_forward(outer, NULL, 0, lookup, NULL, &inner2,
	    NULL, NULL, &reason), LSN_EFORWARD);
	assert_string_equal(reason, "fwd-shape");
	lsn_envelope_free(&outer);

	/* `forwarded` on another type than a note; an inner signer the
	 * lookup does not know (its refusal comes back). */
	mkenv(&in, AU, to, 2, GREEN, h0, 1, NOTE);
	set_body(&in, note_body, note_len);
	ise = sign_env(&in, AU, &ilen);
	mkenv(&out, UK, fto, 1, GREEN, h0, 1,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK);
	out.env.has_forwarded = 1;
	out.env.forwarded.data = ise;
	out.env.forwarded.len = ilen;
	set_body(&out, fb, fblen);
	free(ose);
	ose = sign_env(&out, UK, &olen);
	outer = open_env(ose, olen);
	assert_err(gate_forward(outer, NULL, 0, lookup, NULL, &inner2,
	    NULL, NULL, &reason), LSN_EFORWARD);
	assert_string_equal(reason, "fwd-shape");
	assert_err(gate_forward(outer, NULL, 0, NULL, NULL, &inner2,
	    NULL, NULL, &reason), LSN_EINVAL);
	outer->type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	assert_err(gate_forward(outer, NULL, 0, no_keys, NULL, &inner2,
	    NULL, NULL, &reason), LSN_EFORWARD);
	assert_string_equal(reason, "fwd-inner-signature");
	assert_ok(gate_forward(outer, NULL, 0, lookup, NULL, &inner2,
	    NULL, NULL, &reason));
	lsn_envelope_free(&inner2);
	lsn_envelope_free(&outer);
	free(ose);
	free(ise);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_tlp_requires_seal),
		cmocka_unit_test(test_seal_ad_layout),
		cmocka_unit_test(test_seal_roundtrip_one_recipient),
		cmocka_unit_test(test_seal_roundtrip_five_recipients),
		cmocka_unit_test(test_seal_wrong_recipient_key),
		cmocka_unit_test(test_seal_tampering_refused),
		cmocka_unit_test(test_seal_key_commitment),
		cmocka_unit_test(test_seal_refuses_bad_arguments),
		cmocka_unit_test(test_forward_check_policy),
		cmocka_unit_test(test_forward_markings_not_weaker),
		cmocka_unit_test(test_forward_nested_roundtrip),
		cmocka_unit_test(test_forward_unsealed_inner),
		cmocka_unit_test(test_forward_verify_refuses),
	};

	return (cmocka_run_group_tests_name("seal", tests, setup, teardown));
}
