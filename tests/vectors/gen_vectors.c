/*
 * gen_vectors.c -- writes the protocol test vectors (docs/vectors/ (JSON))
 * from the library: keys from fixed seeds, signed envelopes of each kind
 * (plain and sealed bodies, a receipt, a forward, RSVP), the directory log,
 * policy hash, digests and checkpoint, and local-API and wire frames.
 *
 * Usage: gen_vectors OUTDIR. The output is deterministic: libsodium's
 * random source is replaced by a fixed ChaCha20 stream before
 * initialisation, so content keys, nonces, crypto_box_seal's ephemeral
 * keys and op ids are the same on every run, and the ctest
 * vectors_generated compares a fresh run with the committed files.
 * Never use this random source anywhere else.
 */
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/receipt.h"
#include "liaison/seal.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "gen.h"

/* ---- deterministic random source (vectors only) ---- */

static uint64_t	det_ctr;

static void
det_buf(void *buf, size_t n)
{
	uint8_t	seed[randombytes_SEEDBYTES];

	memset(seed, 0, sizeof(seed));
	memcpy(seed, "liaison test vectors", 20);
	for (int i = 0; i < 8; i++)
		seed[24 + i] = (uint8_t) (det_ctr >> (8 * i));
	det_ctr++;
	randombytes_buf_deterministic(buf, n, seed);
}

static uint32_t
det_random(void)
{
	uint32_t	x;

	det_buf(&x, sizeof(x));
	return (x);
}

static const char *
det_name(void)
{
	return ("liaison-vectors");
}

static randombytes_implementation det_impl = {
	.implementation_name = det_name,
	.random = det_random,
	.buf = det_buf,
};

/* ---- helpers ---- */

json_t *
gen_msg(const ProtobufCMessage *m)
{
	size_t	 n = protobuf_c_message_get_packed_size(m);
	uint8_t	*b = malloc(n + 1);
	json_t	*v = json_object();

	if (b == NULL)
		GEN_OK(LSN_ENOMEM);
	(void) protobuf_c_message_pack(m, b);
	json_object_set_new(v, "message", json_string(m->descriptor->name));
	json_object_set_new(v, "fields", vec_pb_json(m));
	json_object_set_new(v, "bytes", vec_hex(b, n));
	free(b);
	return (v);
}

/* The text of a key file lsn_keypair_save writes (secret or public). */
static json_t *
key_file(const struct lsn_keypair *kp, int secret)
{
	char	 dir[] = "/tmp/lsn-vec-XXXXXX", path[64];
	uint8_t	*buf = NULL;
	size_t	 len;
	json_t	*v;

	if (mkdtemp(dir) == NULL)
		GEN_OK(LSN_EIO);
	(void) snprintf(path, sizeof(path), "%s/k", dir);
	GEN_OK(lsn_keypair_save(kp, secret ? path : NULL, secret ? NULL :
	    path));
	GEN_OK(lsn_file_read(path, 4096, &buf, &len));
	v = json_stringn((const char *) buf, len);
	sodium_memzero(buf, len);
	free(buf);
	(void) unlink(path);
	(void) rmdir(dir);
	return (v);
}

static json_t *
key_vec(const struct lsn_keypair *kp, const char *seedname)
{
	uint8_t	 seed[32];
	json_t	*v = json_object();

	vec_seed(seedname, seed);
	json_object_set_new(v, "seed_name", json_string(seedname));
	json_object_set_new(v, "seed", vec_hex(seed, 32));
	json_object_set_new(v, "label", json_string(kp->label));
	json_object_set_new(v, "kind", json_string(lsn_key_kind_name(
	    kp->kind)));
	json_object_set_new(v, "public", vec_hex(kp->pk, 32));
	json_object_set_new(v, "key_id", json_string(kp->key_id));
	/* test keys only: the seed is public here anyway */
	json_object_set_new(v, "public_file", key_file(kp, 0));
	json_object_set_new(v, "secret_file", key_file(kp, 1));
	return (v);
}

static int
write_json(const char *dir, const char *file, json_t *v)
{
	char	path[4096];

	(void) snprintf(path, sizeof(path), "%s/%s", dir, file);
	return (json_dump_file(v, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII) == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	struct gen_keys	 k;
	json_t		*keys, *dir, *env, *api;
	uint64_t	 hrev;
	uint8_t		 hhash[32];
	int		 rv = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_vectors OUTDIR\n");
		return (2);
	}
	if (randombytes_set_implementation(&det_impl) != 0)
		GEN_OK(LSN_EINTERNAL);
	GEN_OK(lsn_init());
	k.au_sign = vec_keypair("au-afp/sign", LSN_KEY_SIGN, "au-afp");
	k.au_enc = vec_keypair("au-afp/encrypt", LSN_KEY_ENCRYPT, "au-afp");
	k.au_tr = vec_keypair("au-afp/transport", LSN_KEY_TRANSPORT, "au-afp");
	k.nl_sign = vec_keypair("nl-police/sign", LSN_KEY_SIGN, "nl-police");
	k.nl_enc = vec_keypair("nl-police/encrypt", LSN_KEY_ENCRYPT,
	    "nl-police");
	k.nl_tr = vec_keypair("nl-police/transport", LSN_KEY_TRANSPORT,
	    "nl-police");
	k.be_sign = vec_keypair("be-hotline/sign", LSN_KEY_SIGN, "be-hotline");
	k.be_enc = vec_keypair("be-hotline/encrypt", LSN_KEY_ENCRYPT,
	    "be-hotline");
	k.be_tr = vec_keypair("be-hotline/transport", LSN_KEY_TRANSPORT,
	    "be-hotline");
	k.admin_a = vec_keypair("admin-alice/sign", LSN_KEY_SIGN,
	    "admin-alice");
	k.admin_b = vec_keypair("admin-bob/sign", LSN_KEY_SIGN, "admin-bob");
	k.seq = vec_keypair("sequencer/sign", LSN_KEY_SIGN, "sequencer");
	for (struct lsn_keypair **p = &k.au_sign; p <= &k.seq; p++)
		if (*p == NULL)
			GEN_OK(LSN_EINTERNAL);

	keys = json_object();
	json_object_set_new(keys, "about", json_string("Key pairs of the "
	    "vectors: seed = BLAKE2b-256(seed_name); sign keys are Ed25519 "
	    "from the seed, encrypt and transport keys use the seed as the "
	    "X25519 secret. key_id = hex(BLAKE2b-256(public)[0..8])."));
	{
		json_t *a = json_array();
		const char *names[] = { "au-afp/sign", "au-afp/encrypt",
		    "au-afp/transport", "nl-police/sign", "nl-police/encrypt",
		    "nl-police/transport", "be-hotline/sign",
		    "be-hotline/encrypt", "be-hotline/transport",
		    "admin-alice/sign", "admin-bob/sign", "sequencer/sign" };
		int i = 0;

		for (struct lsn_keypair **p = &k.au_sign; p <= &k.seq; p++)
			json_array_append_new(a, key_vec(*p, names[i++]));
		json_object_set_new(keys, "keys", a);
	}
	dir = gen_directory(&k, &hrev, hhash);
	env = gen_envelopes(&k, hrev, hhash);
	api = gen_api();
	gen_env_done();
	rv |= write_json(argv[1], "keys.json", keys);
	rv |= write_json(argv[1], "directory.json", dir);
	rv |= write_json(argv[1], "envelopes.json", env);
	rv |= write_json(argv[1], "api.json", api);
	json_decref(keys);
	json_decref(dir);
	json_decref(env);
	json_decref(api);
	for (struct lsn_keypair **p = &k.au_sign; p <= &k.seq; p++)
		lsn_keypair_destroy(p);
	return (rv);
}
