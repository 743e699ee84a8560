/*
 * gen_batch.c -- the batch form of SignedEnvelope (docs/protocol.md
 * section 4): three GREEN notes from au-afp to nl-police, one turn, one
 * recipient list, under one batch signature (lsn_batch_sign). Records the
 * leaf hashes, the root, the signing input, the signature and each
 * SignedEnvelope with its proof (gen.h).
 */
#include <string.h>

#include <sodium.h>

#include "envelope.pb-c.h"

#include "liaison/batchsig.h"
#include "liaison/envelope.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "gen.h"

#define NBATCH	3

static const char *const texts[NBATCH] = {
	"Synthetic test note 1 of 3: duty desk roster for week 2.",
	"Synthetic test note 2 of 3: contact list updated.",
	"Synthetic test note 3 of 3: next liaison call on Tuesday.",
};

/*
 * node = BLAKE2b-256("liaison/batch-node/v1\0" || l || r), written out
 * here (the library keeps it private) only to record the root; the root is
 * then checked against the signature with the library below.
 */
static void
batch_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	static const char		 pfx[] = "liaison/batch-node/v1";
	crypto_generichash_state	 h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *) pfx, sizeof(pfx));
	crypto_generichash_update(&h, l, 32);
	crypto_generichash_update(&h, r, 32);
	crypto_generichash_final(&h, out, 32);
}

/* One batch member: the note, the envelope, its leaf and SignedEnvelope. */
static json_t *
member(int i, const uint8_t *eb, size_t elen, const uint8_t *body,
    size_t blen, const uint8_t sig[64], const struct lsn_batch_proof *p,
    const struct lsn_keypair *kp)
{
	Liaison__V1__Envelope		*pe;
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Note		*n;
	uint8_t				*sb, leaf[32], h[32];
	size_t				 slen;
	char				 name[32];
	json_t				*v = json_object();

	GEN_OK(lsn_envelope_wrap_batch(eb, elen, sig, kp->label, kp->key_id,
	    p, &sb, &slen));
	GEN_OK(lsn_batch_verify(kp->pk, eb, elen, p, sig, 64));
	pe = liaison__v1__envelope__unpack(NULL, elen, eb);
	se = liaison__v1__signed_envelope__unpack(NULL, slen, sb);
	n = liaison__v1__note__unpack(NULL, blen, body);
	if (pe == NULL || se == NULL || n == NULL)
		GEN_OK(LSN_EPROTO);
	lsn_batch_leaf(eb, elen, leaf);
	lsn_hash(eb, elen, h);
	(void) snprintf(name, sizeof(name), "batch_note_%d", i + 1);
	json_object_set_new(v, "name", json_string(name));
	json_object_set_new(v, "body", gen_msg(&n->base));
	json_object_set_new(v, "envelope", gen_msg(&pe->base));
	json_object_set_new(v, "leaf_hash", vec_hex(leaf, 32));
	json_object_set_new(v, "envelope_hash", vec_hex(h, 32));
	json_object_set_new(v, "signed_envelope", gen_msg(&se->base));
	liaison__v1__note__free_unpacked(n, NULL);
	liaison__v1__envelope__free_unpacked(pe, NULL);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	free(sb);
	return (v);
}

json_t *
gen_env_batch(const struct gen_keys *k)
{
	Liaison__V1__Envelope	 e;
	Liaison__V1__Handling	 h;
	Liaison__V1__Note	 n;
	Liaison__V1__HandlingCode codes[1] = {
	    LIAISON__V1__HANDLING_CODE__HANDLING_H0 };
	struct lsn_batch_proof	 proofs[NBATCH];
	char			*to[1] = { (char *) "nl-police" };
	const char		*pfx = lsn_sig_prefix(LSN_SIG_ENVELOPE_BATCH);
	const char		*field = NULL;
	uint8_t			*eb[NBATCH], *body[NBATCH], id[16], sig[64];
	uint8_t			 leaf[NBATCH][32], n01[32], root[32];
	uint8_t			 in[64], *p;
	size_t			 elen[NBATCH], blen[NBATCH], inlen;
	char			 idname[32];
	json_t			*v = json_object(), *a = json_array();

	for (int i = 0; i < NBATCH; i++) {
		(void) snprintf(idname, sizeof(idname), "message/batch/%d",
		    i + 1);
		gen_env_init(&e, &h, id, idname, 1, 2, GEN_T0 + 600000 +
		    (uint64_t) i, k->au_sign);
		liaison__v1__note__init(&n);
		n.text = (char *) (uintptr_t) texts[i];
		body[i] = gen_pack(&n.base, &blen[i]);
		e.n_to = 1;
		e.to = to;
		h.n_codes = 1;
		h.codes = codes;
		e.has_body = 1;
		e.body = gen_bin(body[i], blen[i]);
		if (lsn_envelope_pack(&e, k->au_sign, &eb[i], &elen[i],
		    &field) != LSN_OK) {
			fprintf(stderr, "gen_vectors: batch: field %s\n",
			    field ? field : "?");
			exit(1);
		}
		lsn_batch_leaf(eb[i], elen[i], leaf[i]);
	}
	GEN_OK(lsn_batch_sign(k->au_sign, (const uint8_t *const *) eb, elen,
	    NBATCH, sig, proofs));
	/* RFC 9162 shape for 3 leaves: root = node(node(l0, l1), l2) */
	batch_node(leaf[0], leaf[1], n01);
	batch_node(n01, leaf[2], root);
	inlen = strlen(pfx) + 1;
	memcpy(in, pfx, inlen);
	p = in + inlen;
	p[0] = p[1] = p[2] = 0;
	p[3] = NBATCH;
	memcpy(p + 4, root, 32);
	inlen += 4 + 32;
	GEN_OK(lsn_sig_verify(LSN_SIG_ENVELOPE_BATCH, k->au_sign->pk, p,
	    4 + 32, sig, 64));
	json_object_set_new(v, "about", json_string("batch form (protocol.md "
	    "section 4): three TLP:GREEN notes from au-afp to nl-police sent "
	    "in one turn, signed once. leaf = BLAKE2b-256(\"liaison/batch-leaf"
	    "/v1\" || 0x00 || envelope bytes); node = BLAKE2b-256(\"liaison/"
	    "batch-node/v1\" || 0x00 || left || right); root = node(node(leaf0, "
	    "leaf1), leaf2); signing_input = \"liaison/envelope-batch/v1\" || "
	    "0x00 || u32be(leaf_count) || root"));
	json_object_set_new(v, "signer_key", json_string(k->au_sign->label));
	json_object_set_new(v, "leaf_count", json_integer(NBATCH));
	json_object_set_new(v, "root", vec_hex(root, 32));
	json_object_set_new(v, "signing_input", vec_hex(in, inlen));
	json_object_set_new(v, "signature", vec_hex(sig, 64));
	for (int i = 0; i < NBATCH; i++) {
		json_array_append_new(a, member(i, eb[i], elen[i], body[i],
		    blen[i], sig, &proofs[i], k->au_sign));
		free(eb[i]);
		free(body[i]);
	}
	json_object_set_new(v, "envelopes", a);
	return (v);
}
