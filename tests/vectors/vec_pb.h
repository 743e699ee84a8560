/*
 * vec_pb.h -- helpers shared by the test-vector generator and the C vector
 * test: a protobuf-c message as a JSON object (field names as in the
 * .proto, enums by name, bytes as lower-case hex), hex helpers and the
 * deterministic key derivation of the vectors.
 *
 * Ownership: every json_t returned is a new reference the caller owns
 * (json_decref). Key pairs are caller-owned (lsn_keypair_destroy).
 */
#ifndef VEC_PB_H
#define VEC_PB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "liaison/keys.h"

/* A message as JSON: present fields only, in field-number order. */
json_t	*vec_pb_json(const ProtobufCMessage *m);

/* Lower-case hex string of len bytes. */
json_t	*vec_hex(const uint8_t *p, size_t len);

/*
 * Decodes the hex string at key k of object o (or o itself, a string,
 * when k is NULL) into a malloc'd buffer (*lenp bytes; a 1-byte
 * allocation for ""). Returns NULL when the key is missing or not hex.
 */
uint8_t	*vec_unhex(const json_t *o, const char *k, size_t *lenp);

/* seed = BLAKE2b-256(name), the vectors' key seed. */
void	 vec_seed(const char *name, uint8_t seed[32]);

/*
 * The vectors' key pair for (name, kind), labelled label: sign = Ed25519
 * from the seed (crypto_sign_seed_keypair); encrypt and transport = the
 * seed used as the X25519 secret scalar. NULL on failure.
 */
struct lsn_keypair *vec_keypair(const char *name, enum lsn_key_kind kind,
	    const char *label);

#endif /* VEC_PB_H */
