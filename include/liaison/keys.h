/*
 * keys.h -- Ed25519 signing, X25519 encryption and CURVE transport key pairs.
 *
 * Every partner holds three key pairs (ARCHITECTURE.md "Identities and
 * keys"). A key id is the first 8 bytes of BLAKE2b(public key), written as
 * 16 lower-case hex characters; it is stable for a public key.
 *
 * Secret key material lives only in sodium_malloc'd memory (guard pages,
 * wiped by sodium_free) and is never logged. Secret key files are written
 * 0600 and refused at load when group- or world-accessible (LSN_EFILEPERM).
 * The key-file format is documented in docs/protocol.md ("Key files").
 *
 * Call lsn_init() before using this module. Functions are thread-safe on
 * distinct objects.
 */
#ifndef LIAISON_KEYS_H
#define LIAISON_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

#define LSN_PK_BYTES		32	/* every public key is 32 bytes */
#define LSN_SIGN_SK_BYTES	64	/* Ed25519 secret (seed || pk) */
#define LSN_BOX_SK_BYTES	32	/* X25519 / CURVE secret */
#define LSN_SIG_BYTES		64
#define LSN_KEYID_BYTES		8
#define LSN_KEYID_HEXLEN	16	/* + NUL = 17 */
#define LSN_Z85_KEYLEN		40	/* CURVE keys in Z85, + NUL = 41 */
#define LSN_LABEL_MAX		63	/* owner label (partner id, admin name) */

/* Values equal KeyPurpose in proto/directory.proto. */
enum lsn_key_kind {
	LSN_KEY_SIGN = 1,	/* Ed25519 */
	LSN_KEY_ENCRYPT = 2,	/* X25519 (crypto_box_seal) */
	LSN_KEY_TRANSPORT = 3,	/* CURVE for ZeroMQ (X25519) */
};

struct lsn_keypair {
	enum lsn_key_kind kind;
	char		 label[LSN_LABEL_MAX + 1];	/* owner: partner id or admin name */
	char		 key_id[LSN_KEYID_HEXLEN + 1];
	uint8_t		 pk[LSN_PK_BYTES];
	uint8_t		*sk;	/* sodium_malloc'd; 64 (sign) or 32 bytes */
};

/* Computes the key id of a public key into out (17 bytes with NUL). */
void	lsn_key_id(const uint8_t pk[LSN_PK_BYTES],
	    char out[LSN_KEYID_HEXLEN + 1]);

/* Returns "sign", "encrypt", "transport" (or "?"). */
const char *lsn_key_kind_name(enum lsn_key_kind kind);

/* Parses "sign", "encrypt" or "transport" into *kind. LSN_EINVAL. */
int	lsn_key_kind_parse(const char *s, enum lsn_key_kind *kind)
	    LSN_MUST_CHECK;

/* 1 if s is a key id: exactly 16 lower-case hex characters. */
int	lsn_key_id_valid(const char *s);

/*
 * Generates a fresh key pair of the given kind, labelled `label` (a partner
 * id or admin name, <= 63 chars; it must be a slug, lsn_slug_valid()). On success *out is a new object the caller
 * frees with lsn_keypair_destroy(). LSN_EINVAL, LSN_ENOMEM.
 */
int	lsn_keypair_generate(enum lsn_key_kind kind, const char *label,
	    struct lsn_keypair **out) LSN_MUST_CHECK;

/* Derives an Ed25519 key pair from a 32-byte seed (tests, RFC 8032). */
int	lsn_keypair_from_seed(const uint8_t seed[32], const char *label,
	    struct lsn_keypair **out) LSN_MUST_CHECK;

/* Frees a key pair and wipes its secret; accepts NULL; sets *kpp = NULL. */
void	lsn_keypair_destroy(struct lsn_keypair **kpp);

/*
 * Writes the secret key file (mode 0600, atomically) at secret_path and,
 * if public_path is not NULL, the public key file (mode 0644). secret_path
 * may be NULL to write only the public file (not both NULL). Existing files
 * are replaced. kp stays owned by the caller. Temporary copies of the
 * secret are wiped. LSN_EINVAL (bad key pair or arguments), LSN_EIO.
 */
int	lsn_keypair_save(const struct lsn_keypair *kp, const char *secret_path,
	    const char *public_path) LSN_MUST_CHECK;

/*
 * Loads a secret key file. Refuses a file accessible by group or others
 * (LSN_EFILEPERM), a malformed one (LSN_EKEYFORMAT), one whose public key
 * does not match its secret (LSN_EKEYFORMAT). *out is caller-owned.
 * A missing file is LSN_ENOENT; a file over 4 KiB is LSN_EKEYFORMAT.
 */
int	lsn_keypair_load(const char *secret_path, struct lsn_keypair **out)
	    LSN_MUST_CHECK;

/*
 * Loads a public key file (or the public part of a secret file). Writes the
 * kind, the public key, and the label (LSN_LABEL_MAX + 1 bytes) if label is
 * not NULL. The file is checked as strictly as by lsn_keypair_load() (a
 * secret line, if present, must match) except for its permissions.
 * LSN_ENOENT, LSN_EIO, LSN_EKEYFORMAT.
 */
int	lsn_pubkey_load(const char *path, enum lsn_key_kind *kind,
	    uint8_t pk[LSN_PK_BYTES], char *label) LSN_MUST_CHECK;

/* CURVE keys as ZeroMQ wants them: Z85 text (41 bytes with NUL). */
int	lsn_key_z85(const uint8_t key[32], char out[LSN_Z85_KEYLEN + 1])
	    LSN_MUST_CHECK;

#endif /* LIAISON_KEYS_H */
