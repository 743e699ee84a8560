/*
 * test_envelope_view.c -- lsn_envelope_body_view: the plain body of
 * stored SignedEnvelope bytes found without unpacking them: the same bytes
 * protobuf-c unpacks, empty for an envelope without a body, LSN_ENOENT for
 * a sealed one, and every truncation or bent byte of a real envelope read
 * without overrunning the buffer (ASan in make test).
 */
#include "lsn_test.h"

#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/util.h"

struct fx {
	struct lsn_keypair	*kp;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL || lsn_init() != LSN_OK ||
	    lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &fx->kp) != LSN_OK)
		return (-1);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	lsn_keypair_destroy(&fx->kp);
	free(fx);
	return (0);
}

/* A signed GREEN note (body) or one with a SealedBody (sealed). */
static void
make(struct fx *fx, int sealed, int with_body, uint8_t **out, size_t *len)
{
	Liaison__V1__Envelope	e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__SealedBody	sb = LIAISON__V1__SEALED_BODY__INIT;
	Liaison__V1__SealedKey	k = LIAISON__V1__SEALED_KEY__INIT;
	Liaison__V1__SealedKey	*kp[1] = { &k };
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;
	uint8_t			id[16], body[128], nonce[24], ct[40], skey[80];
	uint8_t			commit[32];
	char			*to[1] = { (char *) (uintptr_t) "uk-ceop" };
	const char		*field = NULL;

	lsn_random(id, sizeof(id));
	n.text = (char *) (uintptr_t) "Synthetic note for the view test.";
	e.has_version = 1;
	e.version = 1;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = 16;
	e.n_to = 1;
	e.to = to;
	e.has_created_ms = 1;
	e.created_ms = 1700000000000ULL;
	e.has_type = 1;
	e.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	h.has_tlp = 1;
	h.tlp = sealed ? LIAISON__V1__TLP__TLP_AMBER :
	    LIAISON__V1__TLP__TLP_GREEN;
	e.handling = &h;
	if (sealed) {
		lsn_random(nonce, sizeof(nonce));
		lsn_random(ct, sizeof(ct));
		lsn_random(skey, sizeof(skey));
		lsn_random(commit, sizeof(commit));
		sb.has_nonce = sb.has_ciphertext = sb.has_key_commitment = 1;
		sb.nonce.data = nonce;
		sb.nonce.len = sizeof(nonce);
		sb.ciphertext.data = ct;
		sb.ciphertext.len = sizeof(ct);
		sb.key_commitment.data = commit;
		sb.key_commitment.len = sizeof(commit);
		k.partner = (char *) (uintptr_t) "uk-ceop";
		k.key_id = (char *) (uintptr_t) "0123456789abcdef";
		k.has_sealed_key = 1;
		k.sealed_key.data = skey;
		k.sealed_key.len = sizeof(skey);
		sb.n_keys = 1;
		sb.keys = kp;
		e.sealed = &sb;
	} else if (with_body) {
		e.has_body = 1;
		e.body.data = body;
		e.body.len = liaison__v1__note__pack(&n, body);
	}
	if (sealed || with_body) {
		assert_ok(lsn_envelope_sign(&e, fx->kp, out, len, &field));
		return;
	}
	/* no body is invalid to send: packed as is, wrapped unsigned */
	{
		uint8_t	eb[512], sig[64] = { 0 };
		size_t	m = liaison__v1__envelope__get_packed_size(&e);

		assert_true(m <= sizeof(eb));
		liaison__v1__envelope__pack(&e, eb);
		assert_ok(lsn_envelope_wrap(eb, m, sig, "au-afp",
		    fx->kp->key_id, out, len));
	}
}

static void
test_view_plain_body_is_the_unpacked_one(void **state)
{
	struct fx			*fx = *state;
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Envelope		*e;
	const uint8_t			*b;
	uint8_t				*buf;
	size_t				 len, blen;

	make(fx, 0, 1, &buf, &len);
	assert_ok(lsn_envelope_body_view(buf, len, &b, &blen));
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL, len,
	    buf));
	assert_non_null(e = liaison__v1__envelope__unpack(NULL,
	    se->envelope.len, se->envelope.data));
	assert_int_equal(blen, e->body.len);
	assert_memory_equal(b, e->body.data, blen);
	/* it points into buf: nothing was copied */
	assert_true(b > buf && b + blen <= buf + len);
	liaison__v1__envelope__free_unpacked(e, NULL);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	free(buf);
}

static void
test_view_no_body_and_sealed(void **state)
{
	struct fx	*fx = *state;
	const uint8_t	*b;
	uint8_t		*buf;
	size_t		 len, blen = 99;

	make(fx, 0, 0, &buf, &len);
	assert_ok(lsn_envelope_body_view(buf, len, &b, &blen));
	assert_non_null(b);
	assert_int_equal(blen, 0);
	free(buf);
	make(fx, 1, 0, &buf, &len);
	assert_err(lsn_envelope_body_view(buf, len, &b, &blen), LSN_ENOENT);
	free(buf);
	assert_err(lsn_envelope_body_view(NULL, 0, &b, &blen), LSN_EINVAL);
}

/* Every prefix, and every byte set to 0xff, of a real one: a verdict, and
 * a body (when OK) that lies inside the buffer. */
static void
test_view_truncated_and_bent(void **state)
{
	struct fx	*fx = *state;
	const uint8_t	*b;
	uint8_t		*buf, *cp;
	size_t		 len, blen;
	int		 rv;

	make(fx, 0, 1, &buf, &len);
	for (size_t n = 0; n < len; n++) {
		assert_non_null(cp = malloc(n > 0 ? n : 1));
		memcpy(cp, buf, n);
		rv = lsn_envelope_body_view(cp, n, &b, &blen);
		assert_true(rv == LSN_OK || rv == LSN_EPROTO ||
		    rv == LSN_ENOENT);
		if (rv == LSN_OK)
			assert_true(b >= cp && b + blen <= cp + n);
		free(cp);
	}
	assert_non_null(cp = malloc(len));
	for (size_t i = 0; i < len; i++) {
		memcpy(cp, buf, len);
		cp[i] = 0xff;
		rv = lsn_envelope_body_view(cp, len, &b, &blen);
		if (rv == LSN_OK)
			assert_true(b >= cp && b + blen <= cp + len);
	}
	free(cp);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_plain_body_is_the_unpacked_one),
		cmocka_unit_test(test_view_no_body_and_sealed),
		cmocka_unit_test(test_view_truncated_and_bent),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
