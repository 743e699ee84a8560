/*
 * lsn_fixture.h -- a synthetic task force in a temp dir, built with the
 * libraries directly, for daemon and integration tests.
 *
 * lsn_fixture_create() makes, under a fresh temp dir D:
 *   D/admin-alice.key, D/admin-bob.key  two administrator SIGN keys
 *   D/broker/sign.key|.pub              the broker's sequencer key (SIGN)
 *   D/broker/transport.key|.pub         the broker's CURVE key
 *   D/broker/broker.db                  directory-only DB (lsn_dir_migrations,
 *                                       schema version 1) holding genesis,
 *                                       the partners and the groups; with
 *                                       LSN_TEST_STORE=pg a fresh database
 *                                       on a throwaway PostgreSQL instead
 *                                       (lsn_tstore.h: broker_db is its
 *                                       URI, and the broker.conf gets
 *                                       audit_head = D/broker/audit-head)
 *   D/broker/broker.conf                see lsn_fixture_write_broker_conf
 *   D/<id>/sign.key|.pub, encrypt.key|.pub, transport.key|.pub   per partner
 * Root policy: 2 admins, thresholds ROOT 2, SENSITIVE 2, ROUTINE 1; the
 * sequencer key is the broker's sign key. Partner keys are valid from one
 * day before creation. Partners alternate kinds: even index law
 * enforcement, odd index hotline. Groups: "all-members" (everyone),
 * "law-enforcement" (even indices), "hotlines" (odd indices), plus
 * opts->extra_group with the first opts->extra_group_n partners.
 *
 * Every function returns LSN_OK or a negative LSN_E* code and prints the
 * reason to stderr; tests wrap them in assert_ok(). Not thread-safe.
 */
#ifndef LSN_FIXTURE_H
#define LSN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "liaison/keys.h"
#include "liaison/dir.h"
#include "wire.pb-c.h"

#define LSN_FX_PATH_MAX		512
#define LSN_FX_PARTNERS_MAX	64

struct lsn_fixture_partner {
	char			 id[LSN_DIR_ID_MAX + 1];
	char			 dir[LSN_FX_PATH_MAX];	/* D/<id> */
	/* D/<id>/agent.conf, D/<id>/agent.db, D/<id>/agent.log */
	char			 agent_conf[LSN_FX_PATH_MAX];
	char			 agent_db[LSN_FX_PATH_MAX];
	char			 agent_log[LSN_FX_PATH_MAX];
	int			 kind;	/* Liaison__V1__PartnerKind */
	struct lsn_keypair	*sign;
	struct lsn_keypair	*encrypt;
	struct lsn_keypair	*transport;
};

struct lsn_fixture {
	char			 dir[LSN_FX_PATH_MAX];	/* D */
	char			 broker_dir[LSN_FX_PATH_MAX];	/* D/broker */
	char			 broker_conf[LSN_FX_PATH_MAX];
	char			 broker_db[LSN_FX_PATH_MAX];
	char			 broker_log[LSN_FX_PATH_MAX];
	/* D/broker/endpoint: the endpoint the broker bound */
	char			 endpoint_file[LSN_FX_PATH_MAX];
	char			 broker_sign_key[LSN_FX_PATH_MAX];
	char			 broker_transport_key[LSN_FX_PATH_MAX];
	char			 broker_transport_pub[LSN_FX_PATH_MAX];
	struct lsn_keypair	*admin[2];	/* admin-alice, admin-bob */
	struct lsn_keypair	*seq;		/* broker sequencer (SIGN) */
	struct lsn_keypair	*broker_transport;	/* CURVE */
	uint8_t			 trust_root[LSN_DIR_HASH_BYTES];
	char			 trust_root_hex[2 * LSN_DIR_HASH_BYTES + 1];
	uint64_t		 created_ms;
	size_t			 npartners;
	struct lsn_fixture_partner partners[LSN_FX_PARTNERS_MAX];
	int			 keep;	/* env LSN_KEEP_TMP set: keep D */
};

struct lsn_fixture_opts {
	size_t		 npartners;	/* 0 = 3 */
	const char	*id_prefix;	/* ids "<prefix>01", ...; NULL = "p" */
	const char	*extra_group;	/* optional extra group name */
	size_t		 extra_group_n;	/* its first n partners */
};

/*
 * Creates the fixture (see the top of this file). opts may be NULL for the
 * defaults. *out is caller-owned: lsn_fixture_destroy().
 */
int	lsn_fixture_create(const struct lsn_fixture_opts *opts,
	    struct lsn_fixture **out);

/*
 * Frees the fixture and removes D (kept when LSN_KEEP_TMP is set in the
 * environment). Does not stop processes (lsn_proc_kill_all does). Accepts
 * NULL; sets *fxp = NULL.
 */
void	lsn_fixture_destroy(struct lsn_fixture **fxp);

/* Index of partner id, or -1. */
int	lsn_fixture_find(const struct lsn_fixture *fx, const char *id);

/*
 * (Re)writes D/broker/broker.conf (mode 0600):
 *   [broker]
 *   listen = <listen, NULL = tcp://127.0.0.1:*>
 *   endpoint_file, db, sign_key, transport_key = the fixture's paths
 *   <extra: more "name = value" lines of [broker], may be NULL>
 */
int	lsn_fixture_write_broker_conf(struct lsn_fixture *fx,
	    const char *listen, const char *extra);

/*
 * Writes partners[i].agent_conf (mode 0600):
 *   [agent]
 *   partner, broker = endpoint, broker_key = D/broker/transport.pub,
 *   db = D/<id>/agent.db, keys_dir = D/<id>, trust_root = hex
 *   <extra lines, may be NULL>
 */
int	lsn_fixture_write_agent_conf(struct lsn_fixture *fx, size_t i,
	    const char *endpoint, const char *extra);

/*
 * Reads the endpoint the broker wrote to D/broker/endpoint into buf
 * (trailing newline removed). LSN_ENOENT when not there yet.
 */
int	lsn_fixture_endpoint(const struct lsn_fixture *fx, char *buf,
	    size_t bufsz);

/*
 * Starts liaison-broker -d -c D/broker/broker.conf (plus -v when verbose)
 * with its log in D/broker/broker.log, after removing a stale endpoint file,
 * and waits (<= 10 s) for the endpoint file; *pid receives the pid, ep (if
 * not NULL, epsz bytes) the endpoint. LSN_EIO if it did not come up (its
 * log is dumped to stderr).
 */
int	lsn_fixture_start_broker(struct lsn_fixture *fx, int verbose,
	    int *pid, char *ep, size_t epsz);

/* ---- directory ops ---- */

/*
 * Packs op (a DirOp with its action set; author, created_ms and op_id
 * filled when unset: "admin", now, random) and signs it with the first
 * nadmins administrators (0, 1 or 2). *out malloc'd (caller frees).
 */
int	lsn_fixture_op_sign(const struct lsn_fixture *fx,
	    const Liaison__V1__DirOp *op, int nadmins, uint8_t **out,
	    size_t *outlen);

/* A SetStatus(partner, status) op with expected_version, signed by
 * nadmins administrators. */
int	lsn_fixture_op_set_status(const struct lsn_fixture *fx,
	    const char *partner, int status, uint64_t expected_version,
	    int nadmins, uint8_t **out, size_t *outlen);

/* A CreateGroup(name) op (routine), signed by nadmins administrators. */
int	lsn_fixture_op_create_group(const struct lsn_fixture *fx,
	    const char *name, int nadmins, uint8_t **out, size_t *outlen);

/* The partner's current version in the broker DB (open it while the
 * broker is not writing, or accept a racy read). */
int	lsn_fixture_partner_version(const struct lsn_fixture *fx,
	    const char *partner, uint64_t *version);

/* Applies a signed op to the broker DB directly (broker not running). */
int	lsn_fixture_apply(const struct lsn_fixture *fx, const uint8_t *op,
	    size_t len);

/* ---- envelopes ---- */

struct lsn_fixture_msg {
	const char	*to[8];		/* NULL-terminated list of partners */
	const char	*groups[8];	/* NULL-terminated list of groups */
	const char	*text;		/* Note text; NULL = "synthetic test" */
	size_t		 pad;		/* extra bytes of padding in the text */
	uint64_t	 created_ms;	/* 0 = now */
	uint64_t	 expires_ms;	/* 0 = none */
	const uint8_t	*message_id;	/* 16 bytes; NULL = random */
	const char	*sender;	/* signed sender; NULL = the partner */
	int		 priority;	/* Liaison__V1__Priority; 0 = none */
};

/*
 * Builds a TLP:GREEN note envelope from partners[from] and signs it with
 * that partner's sign key. msgid (may be NULL) receives the message id.
 * *out is the serialized SignedEnvelope (malloc'd, caller frees).
 */
int	lsn_fixture_envelope(const struct lsn_fixture *fx, size_t from,
	    const struct lsn_fixture_msg *m, uint8_t msgid[16], uint8_t **out,
	    size_t *outlen);

/*
 * The same Envelope, validated and packed but not signed (lsn_envelope_pack
 * with that partner's sign key): *out is the Envelope bytes (malloc'd,
 * caller frees), for lsn_batch_sign() and lsn_envelope_wrap_batch().
 */
int	lsn_fixture_envelope_pack(const struct lsn_fixture *fx, size_t from,
	    const struct lsn_fixture_msg *m, uint8_t msgid[16], uint8_t **out,
	    size_t *outlen);

/* ---- raw wire clients (a DEALER speaking Frames) ---- */

/*
 * Opens a DEALER on ctx with CURVE client keys = partners[i]'s transport
 * key (or kp when not NULL), server key = the broker's transport key,
 * LINGER 0, and connects to endpoint. *sock is caller-owned (zmq_close).
 */
int	lsn_fixture_dealer(const struct lsn_fixture *fx, void *ctx, size_t i,
	    const struct lsn_keypair *kp, const char *endpoint, void **sock);

/* Packs and sends one Frame. */
int	lsn_fixture_send(void *sock, const Liaison__V1__Frame *f);

/*
 * Receives one Frame within timeout_ms. LSN_ETIMEDOUT when nothing came;
 * LSN_EPROTO on garbage. *out: free with liaison__v1__frame__free_unpacked
 * (f, NULL).
 */
int	lsn_fixture_recv(void *sock, int timeout_ms, Liaison__V1__Frame **out);

/*
 * Receives frames until one of kind `kind` (LIAISON__V1__FRAME__KIND_*)
 * arrives, within timeout_ms in total; frames of other kinds are dropped
 * (Deliver frames too: use lsn_fixture_recv to see everything).
 */
int	lsn_fixture_recv_kind(void *sock, int kind, int timeout_ms,
	    Liaison__V1__Frame **out);

/* Sends Hello {protocol_version 1, delivery_cursor} and waits for
 * Welcome (timeout_ms). *welcome (may be NULL) caller-owned frame. */
int	lsn_fixture_hello(void *sock, uint64_t cursor, int timeout_ms,
	    Liaison__V1__Frame **welcome);

/* Sends Publish{envelope}; waits for the PublishAck; returns its code as
 * an lsn_err (LSN_OK, LSN_EBADSIG, ...) or a transport error. */
int	lsn_fixture_publish(void *sock, const uint8_t *env, size_t len,
	    int timeout_ms, int *code);

/* Sends Publish{envelope = exactly these bytes} without waiting. */
int	lsn_fixture_publish_raw(void *sock, const uint8_t *env, size_t len);

/* Sends DeliverAck{seq, OK}. */
int	lsn_fixture_deliver_ack(void *sock, uint64_t seq);

#endif
