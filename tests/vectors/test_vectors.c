/*
 * test_vectors.c -- checks the C library against every protocol test
 * vector in docs/vectors (LSN_VECTORS): key derivation and ids, envelope
 * verification, hashes and re-signing, sealed bodies opened by each
 * recipient, the receipt, the batch form (proofs, lsn_batch_sign), body
 * refusal codes, the directory log replayed into a fresh replica (chain,
 * signatures, trust anchor), the policy hash, both digests, the
 * checkpoint, and the API / wire encodings.
 * The independent recomputation from docs/protocol.md is
 * check_vectors.py; vectors_generated compares a fresh generator run.
 */
#include "lsn_test.h"

#include <stdlib.h>
#include <string.h>

#include "api.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/body.h"
#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/receipt.h"
#include "liaison/seal.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "liaison/workflow.h"
#include "vec_pb.h"

static json_t *
load(const char *file)
{
	const char	*dir = getenv("LSN_VECTORS");
	char		 path[4096];
	json_error_t	 err;
	json_t		*v;

	assert_non_null(dir);
	(void) snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((v = json_load_file(path, 0, &err)) == NULL)
		fail_msg("%s: %s", path, err.text);
	return (v);
}

static uint8_t *
hexof(const json_t *o, const char *k, size_t *len)
{
	uint8_t	*b = vec_unhex(o, k, len);

	if (b == NULL)
		fail_msg("no hex at %s", k);
	return (b);
}

/* The bytes of a message vector {"message", "fields", "bytes"}. */
static uint8_t *
bytesof(const json_t *o, const char *k, size_t *len)
{
	return (hexof(json_object_get(o, k), "bytes", len));
}

static void
assert_hex(const uint8_t *p, size_t len, const json_t *o, const char *k)
{
	size_t	 n;
	uint8_t	*want = hexof(o, k, &n);

	assert_int_equal(n, len);
	assert_memory_equal(p, want, len);
	free(want);
}

static struct lsn_keypair *
key_for(const char *label, const char *kind)
{
	char	name[128];

	(void) snprintf(name, sizeof(name), "%s/%s", label, kind);
	return (vec_keypair(name, strcmp(kind, "sign") == 0 ? LSN_KEY_SIGN :
	    strcmp(kind, "encrypt") == 0 ? LSN_KEY_ENCRYPT :
	    LSN_KEY_TRANSPORT, label));
}

/* The secret key file of the vector loads to the same key pair. */
static void
check_key_file(const json_t *k, const struct lsn_keypair *kp)
{
	char			*dir = lsn_test_tmpdir();
	char			*path = lsn_test_path(dir, "k.key");
	const char		*txt = json_string_value(json_object_get(k,
				    "secret_file"));
	struct lsn_keypair	*got = NULL;

	assert_non_null(txt);
	assert_ok(lsn_file_write_atomic(path, txt, strlen(txt), 0600));
	assert_ok(lsn_keypair_load(path, &got));
	assert_memory_equal(got->pk, kp->pk, LSN_PK_BYTES);
	assert_int_equal(got->kind, kp->kind);
	assert_string_equal(got->label, kp->label);
	lsn_keypair_destroy(&got);
	lsn_test_rmdir(dir);
	free(path);
	free(dir);
}

static void
test_vectors_keys(void **state)
{
	json_t	*v = load("keys.json"), *k;
	size_t	 i;
	uint8_t	 rfc[32];
	char	 kid[LSN_KEYID_HEXLEN + 1];

	(void) state;
	assert_ok(lsn_hex_decode("d75a980182b10ab7d54bfed3c964073a"
	    "0ee172f3daa62325af021a68f707511a", rfc, 32));
	lsn_key_id(rfc, kid);
	assert_string_equal(kid, "7849ac3049680be1");
	json_array_foreach(json_object_get(v, "keys"), i, k) {
		const char *lbl = json_string_value(json_object_get(k,
		    "label"));
		struct lsn_keypair *kp = key_for(lbl, json_string_value(
		    json_object_get(k, "kind")));

		assert_non_null(kp);
		assert_hex(kp->pk, 32, k, "public");
		lsn_key_id(kp->pk, kid);
		assert_string_equal(kid, json_string_value(json_object_get(k,
		    "key_id")));
		assert_string_equal(kp->key_id, kid);
		check_key_file(k, kp);
		lsn_keypair_destroy(&kp);
	}
	json_decref(v);
}

/* Verifies one signed-envelope vector; returns the parsed Envelope. */
static Liaison__V1__Envelope *
check_env(const json_t *e)
{
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	struct lsn_keypair		*kp;
	uint8_t				*se, *eb, *eb2, sig[64], h[32];
	size_t				 selen, elen, elen2;
	const char			*field = NULL;

	kp = key_for(json_string_value(json_object_get(e, "signer_key")),
	    "sign");
	se = bytesof(e, "signed_envelope", &selen);
	assert_ok(lsn_envelope_peek(se, selen, 0, &o, &field));
	assert_ok(lsn_envelope_verify_parse(o, kp->pk, &env, &field));
	assert_ok(lsn_envelope_hash(o, h));
	assert_hex(h, 32, e, "envelope_hash");
	assert_hex(o->sig, 64, e, "signature");
	eb = bytesof(e, "envelope", &elen);
	assert_int_equal(o->envlen, elen);
	assert_memory_equal(o->env, eb, elen);
	/* the library signs the parsed envelope to the same bytes */
	assert_ok(lsn_envelope_sign_detached(env, kp, &eb2, &elen2, sig,
	    &field));
	assert_int_equal(elen2, elen);
	assert_memory_equal(eb2, eb, elen);
	assert_hex(sig, 64, e, "signature");
	/* one flipped signature bit is refused */
	o->se->signature.data[0] ^= 1;	/* o->sig borrows it */
	{
		Liaison__V1__Envelope *bad = NULL;

		assert_err(lsn_envelope_verify_parse(o, kp->pk, &bad,
		    &field), LSN_EBADSIG);
	}
	free(eb);
	free(eb2);
	free(se);
	lsn_envelope_outer_destroy(&o);
	lsn_keypair_destroy(&kp);
	return (env);
}

static void
check_sealed(const json_t *e, const Liaison__V1__Envelope *env)
{
	uint8_t		 ad[LSN_SEAL_AD_MAX], ck[32], *body, *want;
	size_t		 adlen, blen, wlen;

	assert_non_null(env->sealed);
	assert_ok(lsn_seal_ad_env(env, ad, &adlen));
	assert_hex(ad, adlen, e, "associated_data");
	want = bytesof(e, "body", &wlen);
	for (size_t i = 0; i < env->sealed->n_keys; i++) {
		const char *p = env->sealed->keys[i]->partner;
		struct lsn_keypair *kp = key_for(p, "encrypt");

		assert_ok(lsn_unseal_key(env->sealed, p, kp, ck));
		assert_hex(ck, 32, e, "content_key");
		assert_ok(lsn_unseal(env->sealed, ad, adlen, p, kp, &body,
		    &blen));
		assert_int_equal(blen, wlen);
		assert_memory_equal(body, want, wlen);
		free(body);
		lsn_keypair_destroy(&kp);
	}
	free(want);
}

/* Every envelope, the redirect id, the receipt and the body refusals (one
 * function so that the JSON is loaded once; each part is a short block). */
static void
test_vectors_envelopes(void **state)
{
	json_t	*v = load("envelopes.json"), *e, *r;
	size_t	 i, len, blen;
	uint8_t	*b;

	(void) state;
	json_array_foreach(json_object_get(v, "envelopes"), i, e) {
		Liaison__V1__Envelope *env = check_env(e);
		const char *field = NULL;

		if (json_object_get(e, "sealed") != NULL)
			check_sealed(e, env);
		else {
			b = bytesof(e, "body", &blen);
			assert_int_equal(env->body.len, blen);
			assert_memory_equal(env->body.data, b, blen);
			assert_ok(lsn_body_validate((int) env->type, b, blen,
			    0, &field));
			free(b);
		}
		lsn_envelope_free(&env);
	}
	/* the linked referral id of a redirect */
	r = json_object_get(v, "redirect_id");
	{
		uint8_t nid[LSN_REDIRECT_ID_BYTES], *rid;

		rid = hexof(r, "referral_id", &len);
		assert_int_equal(len, LSN_REDIRECT_ID_BYTES);
		assert_ok(lsn_referral_redirect_id(rid, json_string_value(
		    json_object_get(r, "redirect_to")), nid));
		assert_hex(nid, sizeof(nid), r, "redirected_id");
		free(rid);
	}
	/* the receipt and its carrier */
	r = json_object_get(v, "receipt");
	{
		Liaison__V1__SignedReceipt *sr = NULL;
		Liaison__V1__Receipt *rc = NULL;
		Liaison__V1__Envelope *c = check_env(json_object_get(r,
		    "carrier"));
		struct lsn_keypair *kp = key_for("nl-police", "sign");
		const char *field = NULL;

		b = bytesof(r, "signed_receipt", &len);
		assert_ok(lsn_receipt_peek(b, len, &sr));
		assert_ok(lsn_receipt_verify_parse(sr, kp->pk, &rc));
		assert_int_equal(rc->stage, 1);
		assert_int_equal(c->body.len, len);
		assert_memory_equal(c->body.data, b, len);
		assert_ok(lsn_body_validate((int) c->type, c->body.data,
		    c->body.len, 0, &field));
		lsn_receipt_free(&rc);
		lsn_receipt_signed_free(&sr);
		free(b);
		/* the batch form: two messages, the note first */
		b = bytesof(json_object_get(r, "batch"), "signed_receipt",
		    &len);
		assert_ok(lsn_receipt_peek(b, len, &sr));
		assert_ok(lsn_receipt_verify_parse(sr, kp->pk, &rc));
		assert_int_equal(lsn_receipt_count(rc), 2);
		assert_false(rc->has_message_id);
		assert_memory_equal(rc->batch_message_ids[0].data,
		    c->in_reply_to.data, 16);
		lsn_receipt_free(&rc);
		lsn_receipt_signed_free(&sr);
		lsn_envelope_free(&c);
		lsn_keypair_destroy(&kp);
		free(b);
	}
	/* each body refusal answers the recorded code */
	json_array_foreach(json_object_get(v, "body_refusals"), i, r) {
		const ProtobufCEnumValue *t, *c;
		const char *field = NULL;

		t = protobuf_c_enum_descriptor_get_value_by_name(
		    &liaison__v1__message_type__descriptor,
		    json_string_value(json_object_get(r, "type")));
		c = protobuf_c_enum_descriptor_get_value_by_name(
		    &liaison__v1__error_code__descriptor,
		    json_string_value(json_object_get(r, "code")));
		assert_non_null(t);
		assert_non_null(c);
		b = hexof(r, "body", &len);
		assert_err(lsn_body_validate(t->value, b, len, 0, &field),
		    -c->value);
		if (c->value != 0)
			assert_string_equal(field, json_string_value(
			    json_object_get(r, "field")));
		free(b);
	}
	json_decref(v);
}

/*
 * One member of the batch vector: peek and verify_parse accept it (the
 * proof is leaf i of n), it hashes as the vector says; a bent index, a
 * flipped signature bit, the same signature read as a single one, and a
 * count out of range (peek: field "batch") are refused. Copies the
 * envelope bytes to *ebp (caller frees) and the proof to *pp.
 */
static void
check_batch_member(const json_t *b, const json_t *e, size_t i, size_t n,
    const struct lsn_keypair *kp, uint8_t **ebp, size_t *elenp,
    struct lsn_batch_proof *pp)
{
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__SignedEnvelope	*pse;
	Liaison__V1__Envelope		*env = NULL;
	uint8_t				*se, *bad, h[32];
	size_t				 selen, blen;
	const char			*field = NULL;

	se = bytesof(e, "signed_envelope", &selen);
	assert_ok(lsn_envelope_peek(se, selen, 0, &o, &field));
	assert_true(o->has_batch);
	assert_int_equal(o->batch.index, i);
	assert_int_equal(o->batch.count, n);
	assert_ok(lsn_envelope_verify_parse(o, kp->pk, &env, &field));
	lsn_envelope_free(&env);
	assert_hex(o->sig, 64, b, "signature");
	assert_ok(lsn_envelope_hash(o, h));
	assert_hex(h, 32, e, "envelope_hash");
	lsn_batch_leaf(o->env, o->envlen, h);
	assert_hex(h, 32, e, "leaf_hash");
	*ebp = bytesof(e, "envelope", elenp);
	assert_int_equal(o->envlen, *elenp);
	assert_memory_equal(o->env, *ebp, *elenp);
	*pp = o->batch;
	/* bent: another index; one flipped signature bit; the single form */
	o->batch.index = (uint32_t) ((i + 1) % n);
	assert_err(lsn_envelope_verify_parse(o, kp->pk, &env, &field),
	    LSN_EBADSIG);
	o->batch.index = (uint32_t) i;
	o->se->signature.data[0] ^= 1;	/* o->sig borrows it */
	assert_err(lsn_envelope_verify_parse(o, kp->pk, &env, &field),
	    LSN_EBADSIG);
	o->se->signature.data[0] ^= 1;
	o->has_batch = 0;
	assert_err(lsn_envelope_verify_parse(o, kp->pk, &env, &field),
	    LSN_EBADSIG);
	lsn_envelope_outer_destroy(&o);
	/* a count above LSN_BATCH_MAX is refused at peek, field "batch" */
	assert_non_null(pse = liaison__v1__signed_envelope__unpack(NULL,
	    selen, se));
	pse->batch->leaf_count = LSN_BATCH_MAX + 1;
	blen = liaison__v1__signed_envelope__get_packed_size(pse);
	assert_non_null(bad = malloc(blen));
	(void) liaison__v1__signed_envelope__pack(pse, bad);
	assert_err(lsn_envelope_peek(bad, blen, 0, &o, &field), LSN_EBADSIG);
	assert_string_equal(field, "batch");
	liaison__v1__signed_envelope__free_unpacked(pse, NULL);
	free(bad);
	free(se);
}

/* The batch form: every member verifies; lsn_batch_sign gives the same
 * signature and proofs from the envelope bytes. */
static void
test_vectors_envelope_batch(void **state)
{
	json_t			*v = load("envelopes.json"), *b, *e;
	struct lsn_keypair	*kp;
	struct lsn_batch_proof	 want[LSN_BATCH_MAX], got[LSN_BATCH_MAX];
	uint8_t			*eb[LSN_BATCH_MAX], sig[64];
	size_t			 elen[LSN_BATCH_MAX], i, n;

	(void) state;
	b = json_object_get(v, "envelope_batch");
	n = json_array_size(json_object_get(b, "envelopes"));
	assert_true(n >= 2 && n <= LSN_BATCH_MAX);
	assert_int_equal(json_integer_value(json_object_get(b, "leaf_count")),
	    n);
	kp = key_for(json_string_value(json_object_get(b, "signer_key")),
	    "sign");
	json_array_foreach(json_object_get(b, "envelopes"), i, e)
		check_batch_member(b, e, i, n, kp, &eb[i], &elen[i], &want[i]);
	assert_ok(lsn_batch_sign(kp, (const uint8_t *const *) eb, elen, n,
	    sig, got));
	assert_hex(sig, 64, b, "signature");
	for (i = 0; i < n; i++) {
		assert_int_equal(got[i].index, want[i].index);
		assert_int_equal(got[i].count, want[i].count);
		assert_int_equal(got[i].depth, want[i].depth);
		assert_memory_equal(got[i].path, want[i].path,
		    got[i].depth * LSN_HASH_BYTES);
		free(eb[i]);
	}
	lsn_keypair_destroy(&kp);
	json_decref(v);
}

static void
test_vectors_directory(void **state)
{
	json_t				*v = load("directory.json"), *e, *cp;
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__RootPolicy		*p;
	struct lsn_dir_checkpoint	 c;
	struct lsn_keypair		*seq = key_for("sequencer", "sign");
	uint8_t				*b, h[32], head[32];
	uint64_t			 rev;
	size_t				 i, len;
	char				 why[LSN_DIR_WHY_MAX] = "";

	(void) state;
	b = bytesof(json_object_get(v, "root_policy_hash"), "policy", &len);
	assert_non_null(p = liaison__v1__root_policy__unpack(NULL, len, b));
	lsn_dir_policy_hash(p, h);
	assert_hex(h, 32, json_object_get(v, "root_policy_hash"), "hash");
	liaison__v1__root_policy__free_unpacked(p, NULL);
	free(b);

	assert_ok(lsn_store_open(":memory:", lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st));
	assert_ok(lsn_dir_open(st, &d));
	lsn_dir_set_trust_anchor(d, h);
	json_array_foreach(json_object_get(v, "log"), i, e) {
		b = bytesof(e, "log_entry", &len);
		if (lsn_dir_apply_entry(d, b, len, why, sizeof(why)) !=
		    LSN_OK)
			fail_msg("rev %zu: %s", i + 1, why);
		/* the same entry again is refused: the chain moved on */
		assert_err(lsn_dir_apply_entry(d, b, len, NULL, 0),
		    LSN_ECHAIN);
		free(b);
	}
	assert_ok(lsn_dir_head(d, &rev, head));
	/* the op batch file loads to the signed ops of revs 2 and 3 */
	{
		struct lsn_dirop_batch *bt = NULL;
		json_t *bf = json_object_get(v, "batch_file");
		uint8_t *op;
		size_t oplen;

		b = hexof(bf, "file", &len);
		assert_ok(lsn_dirop_batch_load(b, len, &bt));
		assert_int_equal(bt->n, 2);
		json_array_foreach(json_object_get(bf, "ops"), i, e) {
			size_t k = i;

			op = vec_unhex(e, NULL, &oplen);
			assert_non_null(op);
			assert_int_equal(bt->lens[k], oplen);
			assert_memory_equal(bt->ops[k], op, oplen);
			free(op);
		}
		lsn_dirop_batch_free(&bt);
		free(b);
	}
	cp = json_object_get(v, "checkpoint");
	assert_ok(lsn_dir_digest(d, h));
	assert_hex(h, 32, json_object_get(v, "digest"), "state_digest");
	assert_ok(lsn_dir_content_digest(d, h));
	assert_hex(h, 32, json_object_get(v, "digest"), "content_digest");
	b = bytesof(cp, "signed_checkpoint", &len);
	assert_ok(lsn_dir_checkpoint_parse(b, len, seq->pk, &c));
	assert_int_equal(c.rev, rev);
	assert_memory_equal(c.entry_hash, head, 32);
	assert_ok(lsn_dir_checkpoint_check(d, b, len, NULL));
	free(b);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	lsn_keypair_destroy(&seq);
	json_decref(v);
}

/* Unpacks each message with protobuf-c and packs it again. */
static void
test_vectors_api(void **state)
{
	static const ProtobufCMessageDescriptor *descs[] = {
		&liaison__v1__api_request__descriptor,
		&liaison__v1__api_response__descriptor,
		&liaison__v1__frame__descriptor,
	};
	json_t	*v = load("api.json"), *m;
	size_t	 i, len, n = 0;
	uint8_t	*b, *again;
	const char *groups[] = { "api", "frames" };

	(void) state;
	for (int g = 0; g < 2; g++)
		json_array_foreach(json_object_get(v, groups[g]), i, m) {
			const char *name = json_string_value(
			    json_object_get(m, "message"));
			const ProtobufCMessageDescriptor *d = NULL;
			ProtobufCMessage *pm;

			for (size_t k = 0; k < 3; k++)
				if (strcmp(descs[k]->name, name) == 0)
					d = descs[k];
			assert_non_null(d);
			b = hexof(m, "bytes", &len);
			assert_non_null(pm = protobuf_c_message_unpack(d, NULL,
			    len, b));
			assert_int_equal(pm->n_unknown_fields, 0);
			assert_int_equal(protobuf_c_message_get_packed_size(pm),
			    len);
			again = malloc(len + 1);
			(void) protobuf_c_message_pack(pm, again);
			assert_memory_equal(again, b, len);
			protobuf_c_message_free_unpacked(pm, NULL);
			free(again);
			free(b);
			n++;
		}
	assert_true(n >= 8);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_keys),
		cmocka_unit_test(test_vectors_envelopes),
		cmocka_unit_test(test_vectors_envelope_batch),
		cmocka_unit_test(test_vectors_directory),
		cmocka_unit_test(test_vectors_api),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
