/*
 * batchsig.c -- one signature over a batch of envelopes: the Merkle tree
 * (RFC 9162 shape), its inclusion proofs, and the process's cache of
 * verified batch signatures. See include/liaison/batchsig.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "liaison/batchsig.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#define LEAF_PREFIX	"liaison/batch-leaf/v1"
#define NODE_PREFIX	"liaison/batch-node/v1"
#define SIGNED_BYTES	(4 + LSN_HASH_BYTES)	/* u32be(count) || root */

/* Digests of the process's last verified batches (see batchsig.h). */
static pthread_mutex_t	cache_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t		cache[LSN_BATCH_CACHE][LSN_HASH_BYTES];
static uint64_t		cache_tag[LSN_BATCH_CACHE];	/* first 8 bytes */
static unsigned		cache_used, cache_next;

/* BLAKE2b-256 of prefix (with its NUL as the 0x00) || a || b. */
static void
prefixed(const char *prefix, size_t plen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[LSN_HASH_BYTES])
{
	crypto_generichash_state	h;

	crypto_generichash_init(&h, NULL, 0, LSN_HASH_BYTES);
	crypto_generichash_update(&h, (const uint8_t *) prefix, plen);
	crypto_generichash_update(&h, a, alen);
	if (blen > 0)
		crypto_generichash_update(&h, b, blen);
	crypto_generichash_final(&h, out, LSN_HASH_BYTES);
}

void
lsn_batch_leaf(const uint8_t *env, size_t len, uint8_t out[LSN_HASH_BYTES])
{
	prefixed(LEAF_PREFIX, sizeof(LEAF_PREFIX), env, len, NULL, 0, out);
}

static void
node(const uint8_t l[LSN_HASH_BYTES], const uint8_t r[LSN_HASH_BYTES],
    uint8_t out[LSN_HASH_BYTES])
{
	prefixed(NODE_PREFIX, sizeof(NODE_PREFIX), l, LSN_HASH_BYTES, r,
	    LSN_HASH_BYTES, out);
}

/* The largest power of two below n (n >= 2): RFC 9162's split. */
static size_t
split(size_t n)
{
	size_t	k = 1;

	while (k * 2 < n)
		k *= 2;
	return (k);
}

/*
 * The tree hash of leaves [lo, hi) into out; appends to the proof of each
 * leaf in the range the sibling subtree's hash at this level. Deeper
 * levels finish first, so every path is nearest sibling first. The depth
 * is at most LSN_BATCH_DEPTH_MAX for hi - lo <= LSN_BATCH_MAX.
 */
static void
tree(const uint8_t (*leaf)[LSN_HASH_BYTES], size_t lo, size_t hi,
    struct lsn_batch_proof *p, uint8_t out[LSN_HASH_BYTES])
{
	uint8_t	l[LSN_HASH_BYTES], r[LSN_HASH_BYTES];
	size_t	k;

	if (hi - lo == 1) {
		memcpy(out, leaf[lo], LSN_HASH_BYTES);
		return;
	}
	k = lo + split(hi - lo);
	tree(leaf, lo, k, p, l);
	tree(leaf, k, hi, p, r);
	for (size_t i = lo; i < hi; i++)
		memcpy(p[i].path[p[i].depth++], i < k ? r : l,
		    LSN_HASH_BYTES);
	node(l, r, out);
}

static void
signed_bytes(uint32_t count, const uint8_t root[LSN_HASH_BYTES],
    uint8_t out[SIGNED_BYTES])
{
	lsn_be32(out, count);
	memcpy(out + 4, root, LSN_HASH_BYTES);
}

int
lsn_batch_sign(const struct lsn_keypair *kp, const uint8_t *const *env,
    const size_t *len, size_t n, uint8_t sig[LSN_SIG_BYTES],
    struct lsn_batch_proof *proofs)
{
	uint8_t	leaf[LSN_BATCH_MAX][LSN_HASH_BYTES];
	uint8_t	root[LSN_HASH_BYTES], sb[SIGNED_BYTES];

	if (kp == NULL || env == NULL || len == NULL || sig == NULL ||
	    proofs == NULL || n < 2 || n > LSN_BATCH_MAX)
		return (LSN_EINVAL);
	for (size_t i = 0; i < n; i++) {
		if (env[i] == NULL || len[i] == 0)
			return (LSN_EINVAL);
		lsn_batch_leaf(env[i], len[i], leaf[i]);
		memset(&proofs[i], 0, sizeof(proofs[i]));
		proofs[i].index = (uint32_t) i;
		proofs[i].count = (uint32_t) n;
	}
	tree((const uint8_t (*)[LSN_HASH_BYTES]) leaf, 0, n, proofs, root);
	signed_bytes((uint32_t) n, root, sb);
	return (lsn_sig_sign(LSN_SIG_ENVELOPE_BATCH, kp, sb, sizeof(sb),
	    sig));
}

/*
 * The root that leaf hash r and p lead to: RFC 9162 section 2.1.3.2.
 * LSN_EBADSIG when the path's length does not fit (index, count).
 */
static int
root_of(const struct lsn_batch_proof *p, uint8_t r[LSN_HASH_BYTES])
{
	uint8_t		t[LSN_HASH_BYTES];
	uint32_t	fn = p->index, sn = p->count - 1;

	for (size_t i = 0; i < p->depth; i++) {
		if (sn == 0)
			return (LSN_EBADSIG);	/* path too long */
		if ((fn & 1) != 0 || fn == sn) {
			node(p->path[i], r, t);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			node(r, p->path[i], t);
		memcpy(r, t, LSN_HASH_BYTES);
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 ? LSN_OK : LSN_EBADSIG);	/* else too short */
}

static int
cache_has(const uint8_t d[LSN_HASH_BYTES])
{
	uint64_t	tag;
	int		found = 0;

	/*
	 * The digests hash public values (key, signed bytes, signature), so
	 * the scan may stop early: an 8-byte tag first, the whole digest
	 * only where it matches (a byte-wise constant-time compare of all
	 * 64 entries was 4 % of the broker's CPU).
	 */
	memcpy(&tag, d, sizeof(tag));
	pthread_mutex_lock(&cache_mu);
	for (unsigned i = 0; !found && i < cache_used; i++)
		found = cache_tag[i] == tag &&
		    sodium_memcmp(cache[i], d, LSN_HASH_BYTES) == 0;
	pthread_mutex_unlock(&cache_mu);
	return (found);
}

static void
cache_add(const uint8_t d[LSN_HASH_BYTES])
{
	pthread_mutex_lock(&cache_mu);
	memcpy(cache[cache_next], d, LSN_HASH_BYTES);
	memcpy(&cache_tag[cache_next], d, sizeof(cache_tag[0]));
	cache_next = (cache_next + 1) % LSN_BATCH_CACHE;
	if (cache_used < LSN_BATCH_CACHE)
		cache_used++;
	pthread_mutex_unlock(&cache_mu);
}

/*
 * The digest a verification of (pk, env under p, sig) decides on: of pk,
 * u32be(count) || root, and sig; *sb receives the signed bytes.
 * LSN_EBADSIG for a bad argument or a proof that does not fit.
 */
static int
digest(const uint8_t pk[LSN_PK_BYTES], const uint8_t *env, size_t envlen,
    const struct lsn_batch_proof *p, const uint8_t *sig, size_t siglen,
    uint8_t sb[SIGNED_BYTES], uint8_t d[LSN_HASH_BYTES])
{
	crypto_generichash_state	h;
	uint8_t				r[LSN_HASH_BYTES];
	int				rv;

	if (pk == NULL || env == NULL || envlen == 0 || p == NULL ||
	    sig == NULL || siglen != LSN_SIG_BYTES || p->count < 2 ||
	    p->count > LSN_BATCH_MAX || p->index >= p->count ||
	    p->depth > LSN_BATCH_DEPTH_MAX)
		return (LSN_EBADSIG);
	lsn_batch_leaf(env, envlen, r);
	if ((rv = root_of(p, r)) != LSN_OK)
		return (rv);
	signed_bytes(p->count, r, sb);
	crypto_generichash_init(&h, NULL, 0, LSN_HASH_BYTES);
	crypto_generichash_update(&h, pk, LSN_PK_BYTES);
	crypto_generichash_update(&h, sb, SIGNED_BYTES);
	crypto_generichash_update(&h, sig, LSN_SIG_BYTES);
	crypto_generichash_final(&h, d, LSN_HASH_BYTES);
	return (LSN_OK);
}

int
lsn_batch_known(const uint8_t pk[LSN_PK_BYTES], const uint8_t *env,
    size_t envlen, const struct lsn_batch_proof *p, const uint8_t *sig,
    size_t siglen)
{
	uint8_t	sb[SIGNED_BYTES], d[LSN_HASH_BYTES];

	return (digest(pk, env, envlen, p, sig, siglen, sb, d) == LSN_OK &&
	    cache_has(d));
}

int
lsn_batch_verify(const uint8_t pk[LSN_PK_BYTES], const uint8_t *env,
    size_t envlen, const struct lsn_batch_proof *p, const uint8_t *sig,
    size_t siglen)
{
	uint8_t	sb[SIGNED_BYTES], d[LSN_HASH_BYTES];
	int	rv;

	if ((rv = digest(pk, env, envlen, p, sig, siglen, sb, d)) != LSN_OK)
		goto out;
	if (cache_has(d)) {
		rv = LSN_OK;
		goto out;
	}
	if ((rv = lsn_sig_verify(LSN_SIG_ENVELOPE_BATCH, pk, sb, sizeof(sb),
	    sig, siglen)) != LSN_OK)
		goto out;
	cache_add(d);
 out:
	return (rv);
}
