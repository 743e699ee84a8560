/*
 * dir.h -- the partner directory: signed operations, admin thresholds, the
 * hash-chained log, the materialised state and head checkpoints.
 *
 * The directory changes only through signed directory operations (DirOp in
 * proto/directory.proto) wrapped in a SignedDirOp (the exact DirOp bytes and
 * one or more Ed25519 signatures made with lsn_sig_sign(LSN_SIG_DIROP, ...)
 * over those bytes). The broker sequences accepted ops into an append-only
 * log; every replica (broker, agent, `liaison --db` files) materialises the
 * same state from the same log with the same code.
 *
 * Log entries. Entry `rev` (1, 2, ...) holds prev_hash (the previous entry's
 * hash, 32 zero bytes for rev 1), the serialized SignedDirOp and
 *     entry_hash = BLAKE2b-256(prev_hash(32) || u64be(rev) || signed_op)
 * The head of a directory is (rev, entry_hash) of its last entry, or
 * (0, 32 zero bytes) when the log is empty.
 *
 * Authorization (lsn_dir_authorize) is a pure function of the current state
 * and the signed op:
 *  - Every signature must verify (else LSN_EBADSIG) and be made by a key
 *    entitled to sign this op (else LSN_ENOTAUTH); a signature by a revoked
 *    key (revoked_at_ms set) fails the op with LSN_EKEYREVOKED, one by a key
 *    outside its validity window at the op's created_ms (and at now_ms when
 *    given) with LSN_EKEYEXPIRED. Garbage or foreign signatures are never
 *    ignored: they refuse the whole op. Several signatures by one key count
 *    once. At most LSN_DIROP_SIGS_MAX signatures.
 *  - author "admin": signatures by current administrator keys; at least k
 *    distinct ones, k being the root policy's threshold for the action's
 *    class (LSN_ETHRESHOLD otherwise). Classes:
 *      ROOT       replace root policy (adds, removes, rotates admins and the
 *                 sequencer key; needs the ROOT threshold of the old AND of
 *                 the new admin set, TUF's rule), init root (genesis: the
 *                 ROOT threshold of its own admin set, rev 1 only)
 *      SENSITIVE  set status (suspend, reinstate, revoke a partner), revoke
 *                 a key, add a SIGN key, delete a group
 *      ROUTINE    add / update partner, add an ENCRYPT or TRANSPORT key,
 *                 retire a key, set / remove unit, set / remove / confirm
 *                 contact, create group, add / remove member
 *  - author = a partner id (self-service): the partner must be ACTIVE
 *    (LSN_ESUSPENDED, LSN_EPREVOKED), every signature must be by one of its
 *    own SIGN keys, and the action must be set / remove unit or set / remove
 *    / confirm contact with partner_id == author (LSN_ENOTAUTH otherwise).
 *  - op_id already in the log: LSN_EOPREPLAY. expected_version differs from
 *    the target's version (partner, group or root policy; 0 = the target
 *    must not exist): LSN_ESTALE. A missing target: LSN_ENOENT (partner,
 *    unit, contact, key) or LSN_EUNKNOWNGROUP. Anything before genesis other
 *    than InitRoot, a second InitRoot, or a replacement root whose version
 *    is not old + 1: LSN_EROOT. A malformed field: LSN_EINVAL.
 *  - A REVOKED partner is final: only remove-unit, remove-contact and
 *    remove-member may still target it (LSN_EPREVOKED otherwise).
 *
 * Time. Keys are checked at the op's created_ms, which makes replay
 * deterministic: replaying a log at any later time gives the same state.
 * The sequencer additionally passes its clock (now_ms != 0) to
 * lsn_dir_authorize / lsn_dir_submit: keys must then also be valid at
 * now_ms, and an op created more than LSN_DIR_SKEW_MS after now_ms is
 * refused (LSN_ESKEW). Replicas (lsn_dir_apply_entry) and verification use
 * created_ms only. Timestamps in the state (created_ms, updated_ms) come
 * from the op, never from a clock.
 *
 * Versions. Every op on a partner raises its version by one (AddPartner
 * creates it at 1). Group ops raise the group's version (CreateGroup: 1);
 * member ops do not change the partner's version. The root policy's version
 * is the one in the policy (1 at genesis, +1 per replacement).
 *
 * State digest: BLAKE2b-256 over a canonical, length-prefixed serialisation
 * of the materialised state (root policy, partners with keys, units and
 * contacts, groups with members), rows in primary-key order (texts in
 * byte order, on either store backend). Same state =>
 * same digest, independent of the database's history. The log itself is not
 * part of the digest.
 *
 * Threads: a struct lsn_dir is used by one thread, like its store.
 * Errors: LSN_EDB for database failures (logged), LSN_ECLOSED when the
 * connection to the database server is lost, LSN_EPERM when the store is
 * read-only and a write was asked, LSN_ENOMEM, and the codes listed per
 * function. Walks (lsn_dir_entries_after, lsn_dir_group_members,
 * lsn_dir_groups, lsn_dir_list, lsn_dir_contacts_24x7) read their rows
 * (entries: a page of them) before calling back: a callback may use the
 * directory and its store. Out-parameters are written only on success.
 * Refusal details: functions taking (char *why, size_t whysz) write a
 * one-line human-readable reason there on failure when why != NULL
 * (e.g. "too few valid administrator signatures (1 of 2 needed)",
 * "op already applied", "partner au-afp may only change its own contacts
 * and units"); up to LSN_DIR_WHY_MAX bytes are useful.
 */
#ifndef LIAISON_DIR_H
#define LIAISON_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "directory.pb-c.h"

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/store.h"

#define LSN_DIR_HASH_BYTES	32
#define LSN_DIR_ID_MAX		63	/* partner id / slug length */
#define LSN_DIROP_ID_BYTES	16	/* DirOp.op_id */
#define LSN_DIROP_MAX		(256 * 1024)	/* serialized SignedDirOp */
#define LSN_DIR_ENTRY_MAX	(LSN_DIROP_MAX + 256)	/* LogEntry */
#define LSN_DIR_CHECKPOINT_MAX	1024	/* serialized SignedCheckpoint */
#define LSN_DIROP_SIGS_MAX	32	/* signatures on one op */
#define LSN_DIR_ADMINS_MAX	32	/* administrators in a root policy */
#define LSN_DIR_KEYS_MAX	32	/* keys per partner, retired too */
#define LSN_DIR_UNITS_MAX	64	/* units per partner */
#define LSN_DIR_CONTACTS_MAX	128	/* contacts per partner */
#define LSN_DIR_LANGS_MAX	16	/* languages per contact */
#define LSN_DIR_SKEW_MS		(10 * 60 * 1000)	/* future created_ms */
#define LSN_DIR_TIME_MAX	((1ULL << 53) - 1)	/* any *_ms in an op */
#define LSN_DIR_WHY_MAX		256
#define LSN_DIR_AUTHOR_ADMIN	"admin"	/* DirOp.author of admin ops */
#define LSN_DIROP_BATCH_MAX	(64 * 1024 * 1024)	/* batch file */
#define LSN_DIROP_BATCH_OPS_MAX	200000

struct lsn_dir;

/*
 * Schema. lsn_dir_schema_v1 is the SQL creating the directory tables (all
 * named dir_*); a daemon lists it as one step of its own migration array
 * for lsn_store_open. lsn_dir_migrations is a ready-made array (v1 only,
 * NULL-terminated) for a database holding only the directory (CLI --db).
 * Later directory schema changes will come as lsn_dir_schema_v2, ... that
 * daemons append to their arrays.
 */
extern const char lsn_dir_schema_v1[];
/* The same tables on PostgreSQL (lib/dir_pg.c; lsn_migration.pg_sql). */
extern const char lsn_dir_schema_pg_v1[];
extern const struct lsn_migration lsn_dir_migrations[];

/*
 * Binds a directory to an open store whose schema includes
 * lsn_dir_schema_v1. The store is borrowed: it must outlive the dir and is
 * not closed by lsn_dir_close. *out is caller-owned (lsn_dir_close).
 * LSN_EDB if the tables are missing.
 */
int	lsn_dir_open(struct lsn_store *st, struct lsn_dir **out)
	    LSN_MUST_CHECK;
/* Frees the dir (not the store); accepts NULL; sets *dp = NULL. */
void	lsn_dir_close(struct lsn_dir **dp);
/* The store the dir is bound to (borrowed). */
struct lsn_store *lsn_dir_store(struct lsn_dir *d);

/*
 * Trust anchor (agents): the hash (lsn_dir_policy_hash) of the genesis root
 * policy the replica trusts. When set, applying rev 1 requires its InitRoot
 * policy to have exactly this hash (LSN_EROOT otherwise). Copied.
 */
void	lsn_dir_set_trust_anchor(struct lsn_dir *d,
	    const uint8_t hash[LSN_DIR_HASH_BYTES]);

/* ---- head, digest, root ---- */

/* Current head: rev 0 and 32 zero bytes for an empty log. */
int	lsn_dir_head(struct lsn_dir *d, uint64_t *rev,
	    uint8_t hash[LSN_DIR_HASH_BYTES]) LSN_MUST_CHECK;
/* The entry hash at rev (1..head). LSN_ENOENT if there is no such rev. */
int	lsn_dir_hash_at(struct lsn_dir *d, uint64_t rev,
	    uint8_t hash[LSN_DIR_HASH_BYTES]) LSN_MUST_CHECK;

/* State digest of the materialised state (see above). */
int	lsn_dir_digest(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
	    LSN_MUST_CHECK;

/*
 * Content digest: like lsn_dir_digest but leaving out the metadata that
 * ops set from their own fields rather than from the directory's content:
 * partner version, created_ms, updated_ms; contact updated_ms; group
 * version. Two directories with the same root policy, partners (names,
 * kind, country, status, keys with validity and revocation, units,
 * contacts incl. verified_at_ms) and groups (description, members) have
 * the same content digest: this is what an export -> import round trip
 * preserves.
 */
int	lsn_dir_content_digest(struct lsn_dir *d,
	    uint8_t out[LSN_DIR_HASH_BYTES]) LSN_MUST_CHECK;

/*
 * Hash of a root policy: BLAKE2b-256 over its canonical serialisation
 * (version, sequencer key, admins sorted by key id, thresholds by class),
 * independent of protobuf encoding. An agent's trust anchor is the hash of
 * the genesis policy (`liaison admin init` prints it).
 */
void	lsn_dir_policy_hash(const Liaison__V1__RootPolicy *p,
	    uint8_t out[LSN_DIR_HASH_BYTES]);
/* Hash of the current root policy. LSN_ENOENT before genesis. */
int	lsn_dir_root_hash(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
	    LSN_MUST_CHECK;
/* Hash of the genesis (rev 1) root policy. LSN_ENOENT before genesis. */
int	lsn_dir_genesis_hash(struct lsn_dir *d,
	    uint8_t out[LSN_DIR_HASH_BYTES]) LSN_MUST_CHECK;
/*
 * The current root policy. *out is caller-owned: free it with
 * liaison__v1__root_policy__free_unpacked(p, NULL). LSN_ENOENT before
 * genesis.
 */
int	lsn_dir_root_get(struct lsn_dir *d, Liaison__V1__RootPolicy **out)
	    LSN_MUST_CHECK;

/* ---- authorization, sequencing, replication ---- */

/*
 * Decides whether the signed op (serialized SignedDirOp, len <=
 * LSN_DIROP_MAX) would be accepted as the next log entry. Changes nothing.
 * now_ms: the sequencer's clock, or 0 to check keys at the op's created_ms
 * only (replicas, verification). Returns LSN_OK or a refusal (see the top of
 * this file): LSN_ETOOBIG, LSN_EPROTO, LSN_EINVAL, LSN_EBADSIG,
 * LSN_ETHRESHOLD, LSN_ENOTAUTH, LSN_EKEYREVOKED, LSN_EKEYEXPIRED, LSN_ESKEW,
 * LSN_EOPREPLAY, LSN_ESTALE, LSN_EROOT, LSN_ENOENT, LSN_EEXIST,
 * LSN_EUNKNOWNGROUP, LSN_ESUSPENDED, LSN_EPREVOKED; why as above.
 */
int	lsn_dir_authorize(struct lsn_dir *d, const uint8_t *signed_op,
	    size_t len, uint64_t now_ms, char *why, size_t whysz)
	    LSN_MUST_CHECK;

/*
 * Whether signed_op (a serialized SignedDirOp, as a ContactUpdate or a
 * ContactConfirmed message carries it) is partner's own op of `action` on
 * its own contact contact_id: a SetContact, RemoveContact or
 * ConfirmContact (LSN_DIR_CONTACT_*), authored by partner, every signature
 * by a signing key of partner valid at the op's created_ms, partner
 * active. The log is not consulted (the op may be applied already, or
 * not yet). LSN_OK, or a refusal with why: LSN_EPROTO, LSN_ETOOBIG,
 * LSN_EBADSIG, LSN_EINVAL (another contact or action), LSN_ENOTAUTH
 * (another author, key or partner), LSN_EPREVOKED, LSN_ESUSPENDED,
 * LSN_EKEYREVOKED, LSN_EKEYEXPIRED; LSN_EDB.
 */
#define LSN_DIR_CONTACT_SET	1
#define LSN_DIR_CONTACT_REMOVE	2
#define LSN_DIR_CONTACT_CONFIRM	3
int	lsn_dir_contact_op_check(struct lsn_dir *d, const uint8_t *signed_op,
	    size_t len, const char *partner, const char *contact_id,
	    int action, char *why, size_t whysz) LSN_MUST_CHECK;

/*
 * Sequencer side: authorize, append the next log entry and apply it. Runs
 * inside the caller's transaction if one is open on the store (as a
 * savepoint: on failure nothing of this call remains, the caller's
 * transaction stays open), else in its own transaction. On success *rev_out
 * (may be NULL) is the new head rev. Errors as lsn_dir_authorize, plus
 * LSN_EDB.
 */
int	lsn_dir_submit(struct lsn_dir *d, const uint8_t *signed_op, size_t len,
	    uint64_t now_ms, uint64_t *rev_out, char *why, size_t whysz)
	    LSN_MUST_CHECK;

/*
 * Replica side: applies one serialized LogEntry (len <= LSN_DIR_ENTRY_MAX)
 * received from the sequencer. Checks rev == head + 1 and prev_hash == head
 * hash (LSN_ECHAIN), entry_hash recomputed (LSN_ECHAIN), then authorizes the
 * op at its created_ms (no clock: replicas that sync late must accept what
 * was valid when it was made) and applies it. Transactions as
 * lsn_dir_submit. On any failure the state is unchanged.
 */
int	lsn_dir_apply_entry(struct lsn_dir *d, const uint8_t *entry,
	    size_t len, char *why, size_t whysz) LSN_MUST_CHECK;

/* ---- log access ---- */

/*
 * Called for each entry with its rev and the serialized LogEntry (borrowed,
 * valid during the call). A non-zero return stops the walk and is returned
 * by the walking function.
 */
typedef int lsn_dir_entry_fn(void *arg, uint64_t rev, const uint8_t *entry,
    size_t len);

/*
 * Walks the entries with rev > after_rev in order, at most max of them
 * (0 = no limit). Returns LSN_OK, LSN_EDB, or the callback's value.
 */
int	lsn_dir_entries_after(struct lsn_dir *d, uint64_t after_rev,
	    size_t max, lsn_dir_entry_fn *fn, void *arg) LSN_MUST_CHECK;

/* One serialized LogEntry; *out malloc'd (caller frees). LSN_ENOENT. */
int	lsn_dir_entry_get(struct lsn_dir *d, uint64_t rev, uint8_t **out,
	    size_t *len) LSN_MUST_CHECK;

/* ---- verification and fork finding ---- */

struct lsn_dir_verify_result {
	uint64_t	rev;		/* head rev */
	uint8_t		head[LSN_DIR_HASH_BYTES];
	uint8_t		digest[LSN_DIR_HASH_BYTES]; /* replayed state digest */
	uint64_t	bad_rev;	/* first bad entry; 0 = none */
	int		digest_mismatch; /* stored state != replayed state */
};

/*
 * Re-verifies the whole log from rev 1: chain, entry hashes, stored op ids,
 * every signature and authorization, by replaying it into a fresh in-memory
 * directory, then compares the replayed state digest with the stored one.
 * Returns LSN_OK (res filled) or: LSN_ECHAIN / a refusal code with
 * res->bad_rev set to the first bad entry's rev; LSN_EFORK with
 * res->digest_mismatch = 1 when the log is good but the stored state
 * differs from it. res is filled on failure too (as far as known). A
 * trust anchor set on d is applied to the replay.
 */
int	lsn_dir_verify(struct lsn_dir *d, struct lsn_dir_verify_result *res,
	    char *why, size_t whysz) LSN_MUST_CHECK;

enum lsn_dir_cmp {
	LSN_DIR_EQUAL = 0,	/* same head */
	LSN_DIR_AHEAD = 1,	/* the other log is a prefix of ours */
	LSN_DIR_BEHIND = 2,	/* ours is a prefix of the other (or its
				 * head is beyond ours, not yet checkable) */
	LSN_DIR_FORK = 3,	/* the logs differ at fork_rev */
};

/*
 * Compares two logs. On success *cmp is the relation of a to b and
 * *fork_rev (may be NULL) the first rev whose entry hashes differ (for
 * LSN_DIR_FORK; 0 otherwise). Because each hash commits to its prefix, one
 * comparison at the shorter head decides prefix vs fork, and a binary search
 * finds the fork point.
 */
int	lsn_dir_compare(struct lsn_dir *a, struct lsn_dir *b,
	    enum lsn_dir_cmp *cmp, uint64_t *fork_rev) LSN_MUST_CHECK;

/*
 * Compares our log with a foreign head (rev, hash), e.g. from a Hello or an
 * envelope's dir_head. rev <= our head: EQUAL / AHEAD if our hash at rev
 * matches, else FORK with *fork_rev = rev (diverged at or before rev).
 * rev > our head: BEHIND (we must sync; the chain check then decides).
 */
int	lsn_dir_compare_head(struct lsn_dir *d, uint64_t rev,
	    const uint8_t hash[LSN_DIR_HASH_BYTES], enum lsn_dir_cmp *cmp,
	    uint64_t *fork_rev) LSN_MUST_CHECK;

/* ---- head checkpoints ---- */

struct lsn_dir_checkpoint {
	uint64_t	rev;
	uint8_t		entry_hash[LSN_DIR_HASH_BYTES];
	uint8_t		state_digest[LSN_DIR_HASH_BYTES];
	uint64_t	time_ms;
	char		key_id[LSN_KEYID_HEXLEN + 1];
};

/*
 * Makes a serialized SignedCheckpoint of the current head (rev, entry hash,
 * state digest, now_ms) signed by the sequencer key pair, which must be the
 * root policy's sequencer_key (LSN_EPERM otherwise). *out malloc'd (caller
 * frees). LSN_ENOENT on an empty log.
 */
int	lsn_dir_checkpoint_make(struct lsn_dir *d,
	    const struct lsn_keypair *sequencer, uint64_t now_ms,
	    uint8_t **out, size_t *outlen) LSN_MUST_CHECK;

/*
 * Verifies a SignedCheckpoint against a sequencer public key (signature
 * first, then parse; all fields required and sized) and writes its content.
 * LSN_ETOOBIG, LSN_EPROTO, LSN_EINVAL, LSN_EBADSIG.
 */
int	lsn_dir_checkpoint_parse(const uint8_t *cp, size_t len,
	    const uint8_t sequencer_pk[LSN_PK_BYTES],
	    struct lsn_dir_checkpoint *out) LSN_MUST_CHECK;

/*
 * Checks a SignedCheckpoint against the local log: signed by the current
 * root policy's sequencer key (LSN_EBADSIG), (rev, entry_hash) equal to our
 * entry at that rev (LSN_EFORK if it differs; LSN_ENOENT if rev is beyond
 * our head), and at rev == our head the state digest equal to ours
 * (LSN_EFORK). LSN_OK when consistent. out (may be NULL) receives the
 * parsed checkpoint whenever the signature verified.
 */
int	lsn_dir_checkpoint_check(struct lsn_dir *d, const uint8_t *cp,
	    size_t len, struct lsn_dir_checkpoint *out) LSN_MUST_CHECK;

/*
 * Fork proof: LSN_EFORK if both checkpoints verify under sequencer_pk and
 * name the same rev with different entry hashes (or the same rev and hash
 * with different state digests); LSN_OK if they do not conflict; LSN_EBADSIG
 * (or a parse error) if either is not a valid checkpoint of that key.
 */
int	lsn_dir_checkpoints_conflict(const uint8_t sequencer_pk[LSN_PK_BYTES],
	    const uint8_t *cp1, size_t len1, const uint8_t *cp2, size_t len2)
	    LSN_MUST_CHECK;

/* ---- lookups for the daemons ---- */

/*
 * The SIGN public key key_id of partner_id, usable at at_ms. Errors, checked
 * in this order: LSN_EUNKNOWNSENDER (no such partner), LSN_EPREVOKED
 * (partner revoked), LSN_ESUSPENDED (partner suspended), LSN_EUNKNOWNKEY
 * (no such key for that partner, or not a SIGN key), LSN_EKEYREVOKED
 * (revoked_at_ms != 0 and <= at_ms), LSN_EKEYEXPIRED (at_ms before
 * valid_from_ms or at/after valid_until_ms).
 */
int	lsn_dir_sign_key(struct lsn_dir *d, const char *partner_id,
	    const char *key_id, uint64_t at_ms, uint8_t pk[LSN_PK_BYTES])
	    LSN_MUST_CHECK;

/* A partner's status (enum Liaison__V1__PartnerStatus). LSN_ENOENT. */
int	lsn_dir_partner_status(struct lsn_dir *d, const char *partner_id,
	    int *status) LSN_MUST_CHECK;

/*
 * The partner owning CURVE public key curve_pk (for the broker's ZAP
 * handler): the key must be a TRANSPORT key, not revoked at now_ms, valid
 * at now_ms, and the partner ACTIVE. partner receives the id (NUL-
 * terminated, <= 63 chars). LSN_ENOENT (no such valid key), LSN_ESUSPENDED,
 * LSN_EPREVOKED.
 */
int	lsn_dir_transport_owner(struct lsn_dir *d,
	    const uint8_t curve_pk[LSN_PK_BYTES], uint64_t now_ms,
	    char partner[LSN_DIR_ID_MAX + 1]) LSN_MUST_CHECK;

/*
 * The time-independent part of a key lookup, for callers that look the
 * same key up many times while the directory does not change (the
 * broker, within one loop turn): lsn_dir_sign_key(d, p, k, at, pk) ==
 * lsn_dir_sign_keyrec(d, p, k, &r) then lsn_dir_sign_keyrec_at(&r, at, pk),
 * and the same for lsn_dir_transport_owner. A record is only valid while
 * the directory is unchanged.
 */
struct lsn_dir_keyrec {
	char		partner[LSN_DIR_ID_MAX + 1];
	uint8_t		pk[LSN_PK_BYTES];
	uint64_t	valid_from, valid_until, revoked_at;
	int		status_rv;	/* transport: the owner's status check */
};

/* The partner and key checks of lsn_dir_sign_key (same errors, same
 * order, without the two time checks); *r written on LSN_OK. */
int	lsn_dir_sign_keyrec(struct lsn_dir *d, const char *partner_id,
	    const char *key_id, struct lsn_dir_keyrec *r) LSN_MUST_CHECK;
/* The time checks of lsn_dir_sign_key on a record: LSN_EKEYREVOKED,
 * LSN_EKEYEXPIRED or LSN_OK with pk. */
int	lsn_dir_sign_keyrec_at(const struct lsn_dir_keyrec *r, uint64_t at_ms,
	    uint8_t pk[LSN_PK_BYTES]) LSN_MUST_CHECK;
/* The lookups of lsn_dir_transport_owner: LSN_ENOENT (no TRANSPORT key
 * with that public key) or LSN_OK with *r. */
int	lsn_dir_transport_keyrec(struct lsn_dir *d,
	    const uint8_t curve_pk[LSN_PK_BYTES], struct lsn_dir_keyrec *r)
	    LSN_MUST_CHECK;
/* The checks of lsn_dir_transport_owner on a record, in its order (time,
 * then the owner's status). */
int	lsn_dir_transport_keyrec_at(const struct lsn_dir_keyrec *r,
	    uint64_t now_ms, char partner[LSN_DIR_ID_MAX + 1]) LSN_MUST_CHECK;

/*
 * The encryption key to seal to for partner_id at now_ms: among its
 * ENCRYPT keys valid and not revoked at now_ms, the one with the latest
 * valid_from_ms (ties: smallest key id). LSN_EUNKNOWNRCPT (no such
 * partner), LSN_EPREVOKED, LSN_ESUSPENDED, LSN_EUNKNOWNKEY (no usable key).
 */
int	lsn_dir_encrypt_key(struct lsn_dir *d, const char *partner_id,
	    uint64_t now_ms, char key_id[LSN_KEYID_HEXLEN + 1],
	    uint8_t pk[LSN_PK_BYTES]) LSN_MUST_CHECK;

/* Called per partner id (borrowed, valid during the call); non-zero stops
 * the walk and is returned. */
typedef int lsn_dir_id_fn(void *arg, const char *id);

/*
 * Walks the members of group in id order; active_only != 0 skips members
 * that are not ACTIVE. LSN_EUNKNOWNGROUP if there is no such group.
 */
int	lsn_dir_group_members(struct lsn_dir *d, const char *group,
	    int active_only, lsn_dir_id_fn *fn, void *arg) LSN_MUST_CHECK;

/* Walks all group names in order. */
int	lsn_dir_groups(struct lsn_dir *d, lsn_dir_id_fn *fn, void *arg)
	    LSN_MUST_CHECK;

/*
 * Whether partner was a member of group at some rev >= since_rev, the
 * current state included: replays the membership ops (AddMember,
 * RemoveMember, DeleteGroup) of the log. For a recipient that left a
 * group after a message to it was sent (the broker expanded the group at
 * or after the sender's head since_rev). *member is 1 or 0. LSN_EDB,
 * LSN_ENOMEM.
 */
int	lsn_dir_member_since(struct lsn_dir *d, const char *group,
	    const char *partner, uint64_t since_rev, int *member)
	    LSN_MUST_CHECK;

/*
 * A whole partner record (keys by key id, units and contacts by id, groups
 * sorted; verified_at_ms = latest verified_at_ms of its contacts). *out is
 * caller-owned: free it with lsn_dir_partner_free() (which calls
 * liaison__v1__partner__free_unpacked). LSN_ENOENT.
 */
int	lsn_dir_partner_get(struct lsn_dir *d, const char *partner_id,
	    Liaison__V1__Partner **out) LSN_MUST_CHECK;
/* The same record serialized (Partner); *out malloc'd, caller frees. */
int	lsn_dir_partner_pack(struct lsn_dir *d, const char *partner_id,
	    uint8_t **out, size_t *len) LSN_MUST_CHECK;
void	lsn_dir_partner_free(Liaison__V1__Partner **pp);

/* A group with its members. Caller frees with lsn_dir_group_free().
 * LSN_EUNKNOWNGROUP. */
int	lsn_dir_group_get(struct lsn_dir *d, const char *name,
	    Liaison__V1__Group **out) LSN_MUST_CHECK;
void	lsn_dir_group_free(Liaison__V1__Group **gp);

/* Called per partner (borrowed, valid during the call). */
typedef int lsn_dir_partner_fn(void *arg, const Liaison__V1__Partner *p);

/*
 * Walks partners in id order. query NULL or "" = all; otherwise only those
 * where query occurs (ASCII case-insensitive) in the id, a name, the
 * country, a unit's id or name, or a contact's name, role or email
 * (`liaison dir search`).
 */
int	lsn_dir_list(struct lsn_dir *d, const char *query,
	    lsn_dir_partner_fn *fn, void *arg) LSN_MUST_CHECK;

/* Called per contact (borrowed, valid during the call). */
typedef int lsn_dir_contact_fn(void *arg, const Liaison__V1__Contact *c);

/*
 * Walks partner_id's 24/7 contacts (is_24x7 set) in contact id order, for
 * urgent routing and escalation. LSN_ENOENT if there is no such partner.
 */
int	lsn_dir_contacts_24x7(struct lsn_dir *d, const char *partner_id,
	    lsn_dir_contact_fn *fn, void *arg) LSN_MUST_CHECK;

/* ---- building and signing ops ---- */

/*
 * Validates op's fields without looking at any state (the same checks as
 * authorization's field validation): LSN_OK or LSN_EINVAL / LSN_ETOOBIG
 * with why. Used by `liaison admin propose`.
 */
int	lsn_dirop_validate(const Liaison__V1__DirOp *op, char *why,
	    size_t whysz) LSN_MUST_CHECK;

/*
 * Packs op into a new SignedDirOp without signatures. If op->op_id is
 * unset, 16 random bytes are used (op is not modified); if created_ms is
 * unset (0), lsn_now_ms(). The op is validated first (lsn_dirop_validate).
 * *out malloc'd (caller frees).
 */
int	lsn_dirop_new(const Liaison__V1__DirOp *op, uint8_t **out,
	    size_t *outlen, char *why, size_t whysz) LSN_MUST_CHECK;

/*
 * Adds kp's signature (LSN_SIG_DIROP over the exact op bytes) to a
 * serialized SignedDirOp, returning a new serialization in *out (malloc'd,
 * caller frees). A signature already present for kp's key id is replaced,
 * never duplicated. LSN_EPROTO for a malformed input, LSN_ETOOBIG when
 * LSN_DIROP_SIGS_MAX would be exceeded, LSN_EINVAL for a non-SIGN key.
 */
int	lsn_dirop_sign(const uint8_t *signed_op, size_t len,
	    const struct lsn_keypair *kp, uint8_t **out, size_t *outlen)
	    LSN_MUST_CHECK;

/*
 * Unpacks a SignedDirOp and its DirOp (no signature check: for display and
 * tools). Both are caller-owned: free with
 * liaison__v1__signed_dir_op__free_unpacked / liaison__v1__dir_op__free_
 * unpacked (NULL allocator). sop or op may be NULL if not wanted.
 */
int	lsn_dirop_parse(const uint8_t *signed_op, size_t len,
	    Liaison__V1__SignedDirOp **sop, Liaison__V1__DirOp **op)
	    LSN_MUST_CHECK;

/* The action's name ("add-partner", ...; "none" if unset). Static. */
const char *lsn_dirop_action_name(const Liaison__V1__DirOp *op);

/*
 * The admin threshold class the op needs (Liaison__V1__ActionClass value;
 * CLASS_ROOT for InitRoot / ReplaceRoot), or 0 if no action is set.
 */
int	lsn_dirop_class(const Liaison__V1__DirOp *op);

/* Human-readable name of a class ("routine", "sensitive", "root"). */
const char *lsn_dir_class_name(int action_class);

/* ---- op batches (files passed between admins) ---- */

/*
 * A batch is a list of serialized SignedDirOps. Its file form is the ASCII
 * magic LSN_DIROP_BATCH_MAGIC followed by a serialized SignedDirOpBatch; a
 * file holding one serialized SignedDirOp (no magic) is read as a batch of
 * one. Ops are applied in order.
 */
#define LSN_DIROP_BATCH_MAGIC	"LSNDIRB1"	/* 8 bytes, no NUL */

struct lsn_dirop_batch {
	size_t		  n;
	uint8_t		**ops;	/* each malloc'd */
	size_t		 *lens;
};

/* A new empty batch (caller frees with lsn_dirop_batch_free). */
int	lsn_dirop_batch_new(struct lsn_dirop_batch **out) LSN_MUST_CHECK;
void	lsn_dirop_batch_free(struct lsn_dirop_batch **bp);
/* Appends a copy of op (len <= LSN_DIROP_MAX). */
int	lsn_dirop_batch_add(struct lsn_dirop_batch *b, const uint8_t *op,
	    size_t len) LSN_MUST_CHECK;
/* Parses a file's bytes (batch or single op); *out caller-owned. */
int	lsn_dirop_batch_load(const uint8_t *buf, size_t len,
	    struct lsn_dirop_batch **out) LSN_MUST_CHECK;
/*
 * Serializes: a batch of exactly one op as that SignedDirOp alone when
 * single != 0, else magic + SignedDirOpBatch. *out malloc'd.
 */
int	lsn_dirop_batch_save(const struct lsn_dirop_batch *b, int single,
	    uint8_t **out, size_t *outlen) LSN_MUST_CHECK;
/* Adds kp's signature to every op of the batch (lsn_dirop_sign). */
int	lsn_dirop_batch_sign(struct lsn_dirop_batch *b,
	    const struct lsn_keypair *kp) LSN_MUST_CHECK;

/* ---- JSON export / import (jansson) ---- */

/*
 * Exports the whole directory as a new JSON object (caller owns the
 * reference: json_decref):
 *   { "format": "liaison-directory-v1", "head": {"rev", "hash"},
 *     "digest": hex, "root": {...}, "partners": [...], "groups": [...] }
 * Field names follow proto/directory.proto; keys are hex, enums are lower
 * case words ("law_enforcement", "active", "sign", ...). Declared as void*
 * to keep jansson out of this header: it is a json_t *.
 */
int	lsn_dir_export_json(struct lsn_dir *d, void **out) LSN_MUST_CHECK;

/*
 * Builds the unsigned op batch that recreates the partners and groups of
 * a JSON document shaped like lsn_dir_export_json's (root, head, digest and
 * metadata fields are ignored; only "partners" and "groups" are read) in a
 * directory that has a root policy and no partners or groups yet:
 * AddPartner (with keys, units, contacts), RevokeKey for revoked keys,
 * ConfirmContact for contacts with verified_at_ms, CreateGroup + AddMember,
 * then SetStatus for non-active partners. Ops are authored "admin" with
 * created_ms = now_ms and consecutive expected versions. json is a
 * const json_t *. *out caller-owned. LSN_EINVAL with why naming the bad
 * field.
 */
int	lsn_dir_import_json(const void *json, uint64_t now_ms,
	    struct lsn_dirop_batch **out, char *why, size_t whysz)
	    LSN_MUST_CHECK;

#endif /* LIAISON_DIR_H */
