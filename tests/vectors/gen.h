/*
 * gen.h -- internals of the test-vector generator (gen_vectors.c,
 * gen_dir.c, gen_env.c, gen_batch.c). The generator is a build tool: on
 * any library failure it prints the cause and exits 1 (GEN_OK), it never
 * writes a partial vector.
 */
#ifndef GEN_H
#define GEN_H

#include <stdio.h>
#include <stdlib.h>

#include "envelope.pb-c.h"

#include "liaison/keys.h"
#include "vec_pb.h"

#define GEN_T0		1767225600000ULL	/* 2026-01-01T00:00:00Z */

#define GEN_OK(expr) do {						\
	int gen_rv_ = (expr);						\
	if (gen_rv_ != 0) {						\
		fprintf(stderr, "gen_vectors: %s:%d: %s: %d\n",		\
		    __FILE__, __LINE__, #expr, gen_rv_);		\
		exit(1);						\
	}								\
} while (0)

/* The key pairs of the vectors (owned by gen_vectors.c). */
struct gen_keys {
	struct lsn_keypair *au_sign, *au_enc, *au_tr;
	struct lsn_keypair *nl_sign, *nl_enc, *nl_tr;
	struct lsn_keypair *be_sign, *be_enc, *be_tr;
	struct lsn_keypair *admin_a, *admin_b, *seq;
};

/* {"message": type, "fields": ..., "bytes": hex(packed m)}; new ref. */
json_t	*gen_msg(const ProtobufCMessage *m);

/*
 * The directory vectors: genesis, partners, contact, group, the log, the
 * policy hash, state and content digests and a checkpoint. Fills *head_rev
 * and head_hash (for envelopes' dir_head). New reference.
 */
json_t	*gen_directory(const struct gen_keys *k, uint64_t *head_rev,
	    uint8_t head_hash[32]);

/*
 * Envelope vectors (gen_env.c): notes, a sealed referral and its answer, a
 * meeting notice and RSVP, an alert and its acknowledgement, a receipt and
 * the envelope carrying it, a forward. dir_head = (head_rev, head_hash).
 */
json_t	*gen_envelopes(const struct gen_keys *k, uint64_t head_rev,
	    const uint8_t head_hash[32]);

/* Local-API requests/responses and wire frames (gen_api.c); call after
 * gen_envelopes, before gen_env_done. */
json_t	*gen_api(void);

/* The GREEN note's SignedEnvelope and message id (borrowed from gen_env.c,
 * valid until gen_env_done). */
void	 gen_note(const uint8_t **se, size_t *selen, const uint8_t **id);
void	 gen_env_done(void);

/*
 * The batch form of SignedEnvelope (gen_batch.c): three GREEN notes from
 * au-afp to nl-police under one batch signature. New reference.
 */
json_t	*gen_env_batch(const struct gen_keys *k);

/* Helpers (gen_env.c): a borrowed ProtobufCBinaryData; a packed message,
 * malloc'd, *lenp bytes. */
ProtobufCBinaryData gen_bin(const void *p, size_t n);
uint8_t	*gen_pack(const ProtobufCMessage *m, size_t *lenp);

/* id = the first 16 bytes of BLAKE2b-256(name) (gen_env.c). */
void	 gen_fixed_id(const char *name, uint8_t id[16]);

/*
 * Initialises *e and *h (caller's) with the fields every example shares:
 * version 1, message id gen_fixed_id(idname) into id, sender and key id of
 * kp (borrowed), created, type and TLP (gen_env.c).
 */
void	 gen_env_init(Liaison__V1__Envelope *e, Liaison__V1__Handling *h,
	    uint8_t id[16], const char *idname, int type, int tlp,
	    uint64_t created, const struct lsn_keypair *kp);

#endif /* GEN_H */
