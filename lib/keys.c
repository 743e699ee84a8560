/*
 * keys.c -- key pairs, key ids and key files.
 *
 * Key file format (docs/protocol.md, "Key files"): a small text file of
 * exactly five (public) or six (secret) lines, each "keyword SP value LF",
 * in this order:
 *
 *	liaison-key v1
 *	kind sign|encrypt|transport
 *	label <slug>
 *	key-id <16 lower-case hex>
 *	public <64 lower-case hex>
 *	secret <128 (sign) or 64 (encrypt, transport) lower-case hex>
 *
 * The parser is strict: bounded size, no other lines, no blank lines, no
 * CR, one space after each keyword, the key id must be the id of the public
 * key and the secret must belong to the public key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/keys.h"
#include "liaison/util.h"

#define KEYFILE_MAGIC	"liaison-key v1"
#define KEYFILE_MAX	4096	/* bytes; a real file is under 400 */
#define KEYFILE_LINES	6

static size_t
sk_bytes(enum lsn_key_kind kind)
{
	switch (kind) {
	case LSN_KEY_SIGN:
		return (LSN_SIGN_SK_BYTES);
	case LSN_KEY_ENCRYPT:
	case LSN_KEY_TRANSPORT:
		return (LSN_BOX_SK_BYTES);
	}
	return (0);
}

void
lsn_key_id(const uint8_t pk[LSN_PK_BYTES], char out[LSN_KEYID_HEXLEN + 1])
{
	uint8_t	h[LSN_HASH_BYTES];

	/* BLAKE2b-256 (not BLAKE2b with an 8-byte output: a different
	 * function), truncated to its first 8 bytes. */
	lsn_hash(pk, LSN_PK_BYTES, h);
	lsn_hex_encode(h, LSN_KEYID_BYTES, out);
}

const char *
lsn_key_kind_name(enum lsn_key_kind kind)
{
	switch (kind) {
	case LSN_KEY_SIGN:
		return ("sign");
	case LSN_KEY_ENCRYPT:
		return ("encrypt");
	case LSN_KEY_TRANSPORT:
		return ("transport");
	}
	return ("?");
}

int
lsn_key_kind_parse(const char *s, enum lsn_key_kind *kind)
{
	if (s == NULL)
		return (LSN_EINVAL);
	if (strcmp(s, "sign") == 0)
		*kind = LSN_KEY_SIGN;
	else if (strcmp(s, "encrypt") == 0)
		*kind = LSN_KEY_ENCRYPT;
	else if (strcmp(s, "transport") == 0)
		*kind = LSN_KEY_TRANSPORT;
	else
		return (LSN_EINVAL);
	return (LSN_OK);
}

int
lsn_key_id_valid(const char *s)
{
	if (s == NULL || strlen(s) != LSN_KEYID_HEXLEN)
		return (0);
	for (size_t i = 0; i < LSN_KEYID_HEXLEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

/* A new key pair object with room for the secret; label already checked. */
static int
keypair_alloc(enum lsn_key_kind kind, const char *label,
    struct lsn_keypair **out)
{
	struct lsn_keypair	*kp;
	size_t			 n = sk_bytes(kind);

	if (n == 0 || !lsn_slug_valid(label))
		return (LSN_EINVAL);
	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return (LSN_ENOMEM);
	if ((kp->sk = sodium_malloc(n)) == NULL) {
		free(kp);
		return (LSN_ENOMEM);
	}
	kp->kind = kind;
	(void) lsn_strlcpy(kp->label, label, sizeof(kp->label));
	*out = kp;
	return (LSN_OK);
}

int
lsn_keypair_generate(enum lsn_key_kind kind, const char *label,
    struct lsn_keypair **out)
{
	struct lsn_keypair	*kp = NULL;
	int			 rv;

	if (out == NULL)
		return (LSN_EINVAL);
	if ((rv = keypair_alloc(kind, label, &kp)) != LSN_OK)
		return (rv);
	if (kind == LSN_KEY_SIGN)
		rv = crypto_sign_keypair(kp->pk, kp->sk);
	else
		rv = crypto_box_keypair(kp->pk, kp->sk);
	if (rv != 0) {
		lsn_keypair_destroy(&kp);
		return (LSN_EINTERNAL);
	}
	lsn_key_id(kp->pk, kp->key_id);
	*out = kp;
	return (LSN_OK);
}

int
lsn_keypair_from_seed(const uint8_t seed[32], const char *label,
    struct lsn_keypair **out)
{
	struct lsn_keypair	*kp = NULL;
	int			 rv;

	if (seed == NULL || out == NULL)
		return (LSN_EINVAL);
	if ((rv = keypair_alloc(LSN_KEY_SIGN, label, &kp)) != LSN_OK)
		return (rv);
	if (crypto_sign_seed_keypair(kp->pk, kp->sk, seed) != 0) {
		lsn_keypair_destroy(&kp);
		return (LSN_EINTERNAL);
	}
	lsn_key_id(kp->pk, kp->key_id);
	*out = kp;
	return (LSN_OK);
}

void
lsn_keypair_destroy(struct lsn_keypair **kpp)
{
	struct lsn_keypair	*kp;

	if (kpp == NULL || (kp = *kpp) == NULL)
		return;
	sodium_free(kp->sk);	/* wipes; NULL is a no-op */
	sodium_memzero(kp, sizeof(*kp));
	free(kp);
	*kpp = NULL;
}

/*
 * Formats a key file into buf (size bufsz). With secret != 0 the secret
 * line is included: the caller must wipe buf.
 */
static int
keyfile_format(const struct lsn_keypair *kp, int secret, char *buf,
    size_t bufsz, size_t *lenp)
{
	char	pkhex[2 * LSN_PK_BYTES + 1];
	char	skhex[2 * LSN_SIGN_SK_BYTES + 1];
	size_t	skn = sk_bytes(kp->kind);
	int	n, rv = LSN_OK;

	lsn_hex_encode(kp->pk, LSN_PK_BYTES, pkhex);
	n = snprintf(buf, bufsz,
	    KEYFILE_MAGIC "\nkind %s\nlabel %s\nkey-id %s\npublic %s\n",
	    lsn_key_kind_name(kp->kind), kp->label, kp->key_id, pkhex);
	if (n < 0 || (size_t) n >= bufsz)
		return (LSN_EINTERNAL);
	if (secret) {
		size_t	off = (size_t) n;

		lsn_hex_encode(kp->sk, skn, skhex);
		n = snprintf(buf + off, bufsz - off, "secret %s\n", skhex);
		sodium_memzero(skhex, sizeof(skhex));
		if (n < 0 || (size_t) n >= bufsz - off)
			rv = LSN_EINTERNAL;
		else
			n += (int) off;
	}
	if (rv == LSN_OK)
		*lenp = (size_t) n;
	return (rv);
}

int
lsn_keypair_save(const struct lsn_keypair *kp, const char *secret_path,
    const char *public_path)
{
	char	buf[1024];
	size_t	len = 0;
	int	rv;

	if (kp == NULL || (secret_path == NULL && public_path == NULL) ||
	    sk_bytes(kp->kind) == 0 || !lsn_slug_valid(kp->label) ||
	    !lsn_key_id_valid(kp->key_id))
		return (LSN_EINVAL);
	if (secret_path != NULL) {
		if (kp->sk == NULL)
			return (LSN_EINVAL);
		rv = keyfile_format(kp, 1, buf, sizeof(buf), &len);
		if (rv == LSN_OK)
			rv = lsn_file_write_atomic(secret_path, buf, len,
			    0600);
		sodium_memzero(buf, sizeof(buf));
		if (rv != LSN_OK)
			return (rv);
	}
	if (public_path != NULL) {
		rv = keyfile_format(kp, 0, buf, sizeof(buf), &len);
		if (rv == LSN_OK)
			rv = lsn_file_write_atomic(public_path, buf, len,
			    0644);
		if (rv != LSN_OK)
			return (rv);
	}
	return (LSN_OK);
}

/*
 * Splits the next line off *pp (which must end with LF inside end) and
 * checks it is "keyword SP value" with a value of 1..maxval printable,
 * space-free bytes. On success *valp points into the buffer, whose LF
 * has been replaced by NUL.
 */
static int
keyfile_line(char **pp, char *end, const char *keyword, size_t maxval,
    char **valp)
{
	char	*p = *pp, *nl, *v;
	size_t	 kwlen = strlen(keyword), vlen;

	if (p >= end || (nl = memchr(p, '\n', (size_t) (end - p))) == NULL)
		return (LSN_EKEYFORMAT);
	*nl = '\0';
	if (strncmp(p, keyword, kwlen) != 0 || p[kwlen] != ' ')
		return (LSN_EKEYFORMAT);
	v = p + kwlen + 1;
	vlen = (size_t) (nl - v);
	if (vlen == 0 || vlen > maxval)
		return (LSN_EKEYFORMAT);
	for (size_t i = 0; i < vlen; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f)
			return (LSN_EKEYFORMAT);
	*valp = v;
	*pp = nl + 1;
	return (LSN_OK);
}

/* Decodes lower-case hex of exactly outlen bytes. */
static int
keyfile_hex(const char *hex, uint8_t *out, size_t outlen)
{
	for (const char *c = hex; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'F')
			return (LSN_EKEYFORMAT);
	if (lsn_hex_decode(hex, out, outlen) != LSN_OK)
		return (LSN_EKEYFORMAT);
	return (LSN_OK);
}

/* Checks that sk is the secret of kp->pk (constant-time comparison). */
static int
keyfile_check_secret(const struct lsn_keypair *kp)
{
	uint8_t	*tmp = NULL;
	uint8_t	 pk[LSN_PK_BYTES];
	int	 rv = LSN_EKEYFORMAT;

	if ((tmp = sodium_malloc(LSN_SIGN_SK_BYTES)) == NULL)
		return (LSN_ENOMEM);
	if (kp->kind == LSN_KEY_SIGN) {
		/* Re-derive from the seed: checks the embedded public key
		 * and that the seed produces it. */
		if (crypto_sign_seed_keypair(pk, tmp, kp->sk) != 0)
			goto out;
		if (sodium_memcmp(tmp, kp->sk, LSN_SIGN_SK_BYTES) != 0 ||
		    sodium_memcmp(pk, kp->pk, LSN_PK_BYTES) != 0)
			goto out;
	} else {
		if (crypto_scalarmult_base(pk, kp->sk) != 0)
			goto out;
		if (sodium_memcmp(pk, kp->pk, LSN_PK_BYTES) != 0)
			goto out;
	}
	rv = LSN_OK;
 out:
	sodium_free(tmp);
	return (rv);
}

/*
 * Parses a key file held in buf (len bytes, NUL after them; buf is
 * modified). want_secret: 1 = the secret line is required, 0 = optional
 * (it is still fully checked when present, then dropped).
 */
static int
keyfile_parse(char *buf, size_t len, int want_secret,
    struct lsn_keypair **out)
{
	struct lsn_keypair	*kp = NULL;
	enum lsn_key_kind	 kind;
	char			*p = buf, *end = buf + len, *v;
	char			 kid[LSN_KEYID_HEXLEN + 1];
	uint8_t			 pk[LSN_PK_BYTES];
	int			 rv = LSN_EKEYFORMAT, has_secret;

	if (len == 0 || len > KEYFILE_MAX || memchr(buf, '\0', len) != NULL)
		goto out;
	if (strncmp(p, KEYFILE_MAGIC "\n", sizeof(KEYFILE_MAGIC)) != 0)
		goto out;
	p += sizeof(KEYFILE_MAGIC);
	if (keyfile_line(&p, end, "kind", 16, &v) != LSN_OK ||
	    lsn_key_kind_parse(v, &kind) != LSN_OK)
		goto out;
	if (keyfile_line(&p, end, "label", LSN_LABEL_MAX, &v) != LSN_OK ||
	    !lsn_slug_valid(v))
		goto out;
	if ((rv = keypair_alloc(kind, v, &kp)) != LSN_OK) {
		if (rv == LSN_EINVAL)
			rv = LSN_EKEYFORMAT;
		goto out;
	}
	rv = LSN_EKEYFORMAT;
	if (keyfile_line(&p, end, "key-id", LSN_KEYID_HEXLEN, &v) != LSN_OK ||
	    !lsn_key_id_valid(v))
		goto out;
	(void) lsn_strlcpy(kp->key_id, v, sizeof(kp->key_id));
	if (keyfile_line(&p, end, "public", 2 * LSN_PK_BYTES, &v) != LSN_OK ||
	    keyfile_hex(v, pk, LSN_PK_BYTES) != LSN_OK)
		goto out;
	memcpy(kp->pk, pk, LSN_PK_BYTES);
	lsn_key_id(kp->pk, kid);
	if (strcmp(kid, kp->key_id) != 0)
		goto out;
	has_secret = (p < end);
	if (want_secret && !has_secret)
		goto out;
	if (has_secret) {
		if (keyfile_line(&p, end, "secret", 2 * sk_bytes(kind),
		    &v) != LSN_OK || keyfile_hex(v, kp->sk,
		    sk_bytes(kind)) != LSN_OK)
			goto out;
		if ((rv = keyfile_check_secret(kp)) != LSN_OK)
			goto out;
		rv = LSN_EKEYFORMAT;
	}
	if (p != end)
		goto out;
	if (!has_secret) {
		sodium_free(kp->sk);
		kp->sk = NULL;
	}
	*out = kp;
	kp = NULL;
	rv = LSN_OK;
 out:
	lsn_keypair_destroy(&kp);
	return (rv);
}

/* Reads and parses a key file; wipes the file buffer. */
static int
keyfile_load(const char *path, int want_secret, struct lsn_keypair **out)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	if (path == NULL || out == NULL)
		return (LSN_EINVAL);
	/* Reads one byte past the limit so an oversize file is refused
	 * as malformed rather than truncated. */
	rv = lsn_file_read(path, KEYFILE_MAX, &buf, &len);
	if (rv == LSN_ETOOBIG)
		return (LSN_EKEYFORMAT);
	if (rv != LSN_OK)
		return (rv);
	rv = keyfile_parse((char *) buf, len, want_secret, out);
	sodium_memzero(buf, len);
	free(buf);
	return (rv);
}

int
lsn_keypair_load(const char *secret_path, struct lsn_keypair **out)
{
	int	rv;

	if (secret_path == NULL || out == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_file_check_perms(secret_path, 1)) != LSN_OK)
		return (rv);
	return (keyfile_load(secret_path, 1, out));
}

int
lsn_pubkey_load(const char *path, enum lsn_key_kind *kind,
    uint8_t pk[LSN_PK_BYTES], char *label)
{
	struct lsn_keypair	*kp = NULL;
	int			 rv;

	if (kind == NULL || pk == NULL)
		return (LSN_EINVAL);
	if ((rv = keyfile_load(path, 0, &kp)) != LSN_OK)
		return (rv);
	*kind = kp->kind;
	memcpy(pk, kp->pk, LSN_PK_BYTES);
	if (label != NULL)
		(void) lsn_strlcpy(label, kp->label, LSN_LABEL_MAX + 1);
	lsn_keypair_destroy(&kp);
	return (LSN_OK);
}

int
lsn_key_z85(const uint8_t key[32], char out[LSN_Z85_KEYLEN + 1])
{
	char	tmp[LSN_Z85_KEYLEN + 1];

	if (key == NULL || out == NULL)
		return (LSN_EINVAL);
	if (zmq_z85_encode(tmp, key, 32) == NULL)
		return (LSN_EINVAL);
	memcpy(out, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return (LSN_OK);
}
