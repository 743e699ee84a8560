/*
 * gen.h -- internals of the test-vector generator (gen_vectors.c,
 * gen_dir.c). The generator is a build tool: on any library failure it
 * prints the cause and exits 1 (GEN_OK), it never writes a partial vector.
 */
#ifndef GEN_H
#define GEN_H

#include <stdio.h>
#include <stdlib.h>

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

/* Helpers (gen_env.c): a borrowed ProtobufCBinaryData; a packed message,
 * malloc'd, *lenp bytes. */
ProtobufCBinaryData gen_bin(const void *p, size_t n);
uint8_t	*gen_pack(const ProtobufCMessage *m, size_t *lenp);

#endif /* GEN_H */
