/*
 * broker.h -- private declarations of liaison-broker.
 *
 * One thread, one loop (broker.c): a ZAP REP socket and the peer-facing
 * ROUTER. Each loop turn drains up to BROKER_BATCH frames without blocking,
 * runs them against the store inside ONE transaction (opened lazily by the
 * first write), commits, then sends the answers that depended on the commit
 * and the deliveries. See ARCHITECTURE.md and /work/notes/daemons.md.
 *
 * Module map: bconf.c (configuration, SIGHUP reload), bstore.c (schema),
 * bstore_*.c (every statement, bstore.h), leader.c (one active broker per PostgreSQL store, leader.h), zap.c (ZAP
 * handler), ingress.c (Publish rules and acceptance), session.c (sessions,
 * Hello/Welcome), queue.c (per-recipient queue rows, sequence numbers and
 * their cache), deliver.c (the Deliver pump, DeliverAck), expire.c
 * (expiry, the delivery gate's drops, pruning), dirsvc.c (DirSync,
 * DirSubmit, live pushes), audit.c (audit entries), wire.c (frame
 * encoding, output queue), control.c (local status socket), broker.c
 * (state, sockets, loop, signals, frame dispatch), main.c (flags).
 *
 * DirOps carry a checkpoint only when they end at the head (the last
 * batch of a sync, live pushes): lsn_dir_checkpoint_make signs the head.
 *
 * Functions return LSN_OK or a negative LSN_E* unless noted; nothing here
 * aborts on peer input.
 */
#ifndef LIAISON_BROKER_H
#define LIAISON_BROKER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zmq.h>

#include "wire.pb-c.h"

#include "liaison/audit.h"
#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/http.h"
#include "liaison/keys.h"
#include "liaison/query.h"
#include "liaison/store.h"
#include "liaison/trust.h"

#include "vpool.h"

#define BROKER_NAME		"liaison-broker"
#define BROKER_BATCH		256	/* frames per loop turn */
#define BROKER_RID_MAX		256	/* ZeroMQ routing ids are <= 255 */
#define BROKER_PATH_MAX		512
#define BROKER_RCPT_MAX		(LSN_ENV_TO_MAX + 1024)	/* expanded set */
#define BROKER_EXPIRE_BATCH	1000	/* expired rows per timer run */
#define ZAP_KEY_PROP		"X-Transport-Key"	/* ZAP metadata: hex */

/* ---- configuration (bconf.c) ---- */

struct broker;

struct bconf {
	char		listen[256];
	char		endpoint_file[BROKER_PATH_MAX];
	char		control[256];
	char		db[BROKER_PATH_MAX];
	char		sign_key[BROKER_PATH_MAX];
	char		transport_key[BROKER_PATH_MAX];
	long long	max_msg_bytes;
	long long	skew_ms;
	long long	queue_quota;
	long long	inflight_max;
	long long	dir_batch_max;
	long long	heartbeat_ms;
	long long	expiry_check_ms;
	long long	retain_ms;
	long long	hwm;
	long long	verify_threads;
	long long	sender_msgs_per_s;	/* limits.c; 0 = no limit */
	long long	sender_burst_msgs;
	long long	sender_bytes_per_s;	/* 0 = no limit */
	long long	sender_burst_bytes;
	long long	urgent_reserve;		/* queue room for P1 only */
	long long	refusal_audit_ms;	/* aggregation interval */
	int		verbose;
	char		metrics_listen[LSN_HTTP_LISTEN_MAX];	/* bmetrics.c */
	long long	metrics_top;
	char		log_format[8];
	char		audit_head[BROKER_PATH_MAX];	/* "": <db>.audit-head */
};

/* Loads path into *c (written only on success); err gets a message. */
int	bconf_load(const char *path, struct bconf *c, char *err,
	    size_t errlen);
/* Prints the effective configuration (for -n -v). */
int	bconf_dump(const struct bconf *c);
/*
 * SIGHUP: reloads b->conf_path into b->conf; options that need a restart
 * keep their running values (logged), an invalid file keeps everything.
 */
void	bconf_reload(struct broker *b);
/* Prints the annotated example configuration (for -E). */
int	bconf_write_example(FILE *fp);
/* 1 if ep is a listen endpoint we accept (config endpoint or tcp *). */
int	bconf_listen_valid(const char *ep);

/* ---- storage (bstore.c) ---- */

extern const struct lsn_migration broker_migrations[];

/*
 * A failed store call's code as the broker's own functions return it:
 * LSN_ECLOSED (the connection to the store is lost) is kept so the
 * caller can stop using the store, anything else becomes LSN_EDB. What
 * a peer is answered stays E_DB (bstore_wire).
 */
int	bstore_err(int rv);
/* rv as a peer sees it: LSN_ECLOSED (store lost) becomes LSN_EDB. */
int	bstore_wire(int rv);

/* ---- sessions ---- */

struct session {
	char		partner[LSN_DIR_ID_MAX + 1];
	uint8_t		rid[BROKER_RID_MAX];
	size_t		ridlen;
	uint64_t	sent_upto;	/* highest seq sent this session */
	uint64_t	inflight;	/* sent, not yet acked */
	int		pump;		/* deliveries may be pending */
	/* outgate.c: the connection's CURVE key and the cached verdict of
	 * the directory on it (valid while gate_rev is the head and the
	 * clock is before gate_until, monotonic ms) */
	uint8_t		tkey[LSN_PK_BYTES];
	int		has_tkey;
	int		gate_code;
	uint64_t	gate_rev;
	uint64_t	gate_until;
};

/* ---- output queue (wire.c) ---- */

struct outmsg {
	uint8_t		 rid[BROKER_RID_MAX];
	size_t		 ridlen;
	uint8_t		*ok;		/* frame sent if the turn commits */
	size_t		 oklen;
	uint8_t		*fail;		/* frame sent if it does not (NULL:
					 * nothing) */
	size_t		 faillen;
};

struct pending;
struct bmemo;
struct limits;
struct leader;

/*
 * queue.c: a recipient's queue state, cached for the life of the
 * process (the broker is the only writer of the recipients and queue
 * tables). next_seq 0 = no recipients row yet. The next_seq of a dirty
 * entry is written once per turn, before the COMMIT (rcache_flush); a
 * rollback empties the cache (rcache_clear).
 */
struct rcache_ent {
	char		partner[LSN_DIR_ID_MAX + 1];
	uint64_t	next_seq;
	uint64_t	queued;		/* = recipients.queued */
	uint32_t	hash;
	int		used;
	int		dirty;
};

struct broker {
	struct bconf		 conf;
	char			 conf_path[BROKER_PATH_MAX];
	int			 db_init;	/* --init: an empty db file
						 * may become a new one */
	void			*ctx;
	void			*zap;
	void			*router;
	void			*control;	/* status REP, may be NULL */
	uint64_t		 started_mono;
	uint8_t			 epoch[16];	/* broker_epoch of Welcome:
						 * random, drawn at every start */
	struct lsn_store	*st;
	struct leader		*ldr;		/* leader.c: PostgreSQL only */
	struct lsn_dir		*dir;
	struct lsn_keypair	*seq_kp;	/* sequencer (checkpoints) */
	struct lsn_keypair	*transport_kp;
	const struct lsn_clock	*clock;

	struct session		*sess;
	size_t			 nsess, capsess;

	struct outmsg		*out;
	size_t			 nout, capout;

	struct vpool		*vp;		/* signature verification */
	struct pending		*pend;		/* publishes being verified */
	size_t			 npend;
	struct bmemo		*memo;		/* bdir.c: on during a run */
	struct bmemo		*memo_buf;

	int			 tx;		/* a transaction is open */
	int			 tx_failed;	/* a write failed this turn */
	int			 indoubt;	/* a commit failed at its sync:
						 * nothing more is written or
						 * answered, the loop stops */
	int			 turn_silent;	/* PostgreSQL: this turn's
						 * COMMIT lost its server: no
						 * answer (bstore_in_doubt) */

	struct rcache_ent	*rc;		/* queue.c, open addressing */
	size_t			 rc_cap, rc_n;
	size_t			*rc_dirty;	/* indexes into rc */
	size_t			 rc_ndirty, rc_capdirty;
	uint64_t		 pushed_rev;	/* last rev pushed live */
	uint64_t		 submitted_rev;	/* highest rev submitted */

	uint8_t			*cp;		/* cached head checkpoint */
	size_t			 cplen;
	uint64_t		 cp_rev;

	struct limits		*lim;		/* limits.c */

	uint64_t		 next_expiry_ms;	/* monotonic */
	uint64_t		 stat_accepted;
	uint64_t		 stat_refused;
	uint64_t		 stat_delivered;

	struct lsn_metrics	*m;		/* bmetrics.c; NULL: off */
	struct lsn_snap		*m_snap;
	struct lsn_http		*m_http;
	char			 audit_head[BROKER_PATH_MAX + 16]; /* audit.c */
	int			 audit_dirty;	/* rows since the head file */
	struct lsn_filew	*audit_w;	/* writes the head file */
	uint64_t		 audit_head_mono;	/* its last write */
};

/* ---- broker.c ---- */

/*
 * Opens the store (migrating it) unless b->st is open already
 * (leader_acquire), the directory and the keys named by b->conf; b must
 * be zeroed with conf and clock set. No sockets.
 */
int	broker_open_state(struct broker *b);
/* Closes everything broker_open_state and broker_run opened. */
void	broker_close(struct broker *b);
/*
 * Binds the sockets and runs the loop until SIGTERM/SIGINT (LSN_OK) or,
 * on PostgreSQL, until this broker is no longer the active one
 * (LSN_ENOTACTIVE: leader.h).
 */
int	broker_run(struct broker *b);
/* Installs the signal handlers (idempotent). */
void	broker_signals(void);
/* 1 once SIGTERM or SIGINT arrived. */
int	broker_stopping(void);
/* Opens a transaction for this turn if none is open. */
int	broker_tx(struct broker *b);
/* Ends the turn's transaction (commit; rollback on failure). Returns
 * LSN_OK if nothing was open or the commit succeeded. A commit that
 * failed at its sync sets b->indoubt (PostgreSQL's rule). */
int	broker_tx_end(struct broker *b);
/* bstore.c: a commit failed at its sync (lsn_store_in_doubt): sets
 * b->indoubt and logs it once; the loop then stops (status 1). */
void	bstore_in_doubt(struct broker *b);
uint64_t broker_now(const struct broker *b);

/*
 * May a frame of partner on a connection with CURVE key tkey (NULL: the
 * partner's status only) be handled or sent? The key must still be the
 * partner's transport key and the partner ACTIVE: LSN_OK or the refusal
 * (LSN_EKEYREVOKED, LSN_ESUSPENDED, LSN_EPREVOKED, LSN_EUNKNOWNSENDER,
 * LSN_EDB).
 */
int	broker_gate(struct broker *b, const char *partner,
	    const uint8_t *tkey);

/* ---- publish.c: the Publish frames of one turn ---- */

/* Allocates b->pend (BROKER_BATCH entries); publish_close finishes and
 * frees it (idempotent). */
int	publish_open(struct broker *b);
void	publish_close(struct broker *b);
/* One Publish (env: its SignedEnvelope bytes) checked, stored and
 * answered now, without the pool. */
void	publish_one(struct broker *b, const char *partner,
	    const uint8_t *rid, size_t ridlen, const uint8_t *env,
	    size_t envlen);
/* Takes a Publish frame (msg is moved into b->pend) whose connection
 * passed the gate: the rules before the signature now, the signature to
 * the pool; flushes first if b->pend is full. */
void	publish_add(struct broker *b, const char *partner,
	    const uint8_t *rid, size_t ridlen, zmq_msg_t *msg);
/* Finishes every pending publish in arrival order (signature, remaining
 * rules, store, answer). Called before any other frame is handled and at
 * the end of the drain. */
void	publish_flush(struct broker *b);
/* PublishAck{code, detail} for a publish refused before its envelope was
 * read; msgid (LSN_MSGID_BYTES) names it when known, or NULL. */
void	publish_refuse(struct broker *b, const uint8_t *rid, size_t ridlen,
	    const uint8_t *msgid, int code, const char *detail);

/* ---- outgate.c: the gate on every outbound frame of a session ---- */

/*
 * The directory's verdict on session ss (broker_gate), cached per
 * session until the directory head moves (a committed op) or a second
 * passes (key validity ends by time): O(1) per frame. LSN_OK or the
 * refusal code.
 */
int	outgate_check(struct broker *b, struct session *ss);
/*
 * Tells the peer of ss why it gets nothing more (one Error frame with
 * code), counts and logs it (rate-limited). The caller drops the session.
 */
void	outgate_refuse(struct broker *b, const struct session *ss, int code);
/* A short text for a gate code ("partner revoked", ...); static. */
const char *outgate_reason(int code);

/* ---- limits.c: rates, quotas, aggregated refusals ---- */

enum lim_kind {
	LIM_HANDSHAKE = 0,	/* ZAP refused */
	LIM_FRAME,		/* frame refused by the gate */
	LIM_RATE,		/* frame refused by a rate limit */
	LIM_QUOTA,		/* publish refused by a recipient quota */
	LIM_NKINDS
};

/* aggregated audit rows: kind "authfail", subject the peer */
#define BROKER_AUDIT_REFUSALS	LSN_AUDIT_AUTHFAIL

int	limits_open(struct broker *b);
void	limits_close(struct broker *b);
/*
 * Charges one frame of len bytes from partner against its token buckets
 * (a publish also takes one message token). LSN_OK, or LSN_ERATE (the
 * refusal is counted) when a bucket is empty.
 */
int	limits_frame(struct broker *b, const char *partner, size_t len,
	    int publish);
/*
 * Answers a frame refused by limits_frame: a Publish gets PublishAck
 * {E_RATE} with the message id read from the (unverified) envelope, any
 * other frame Error{E_RATE}. Queued like every answer of the turn.
 */
void	limits_refuse(struct broker *b, const uint8_t *rid, size_t ridlen,
	    const uint8_t *buf, size_t len);
/* Counts one refusal of kind about peer (a partner id or a key id) for
 * the next aggregated audit row; code is the refusal (last one kept). */
void	limits_count(struct broker *b, const char *peer, enum lim_kind kind,
	    int code);
/* Writes one audit row per peer with refusals once per
 * refusal_audit_ms, or now when force (at shutdown); call once per turn,
 * inside it. */
void	limits_tick(struct broker *b, int force);
/*
 * The recipient quota: LSN_OK when rcpt's queue has room for one more
 * message of this priority (the last urgent_reserve places are for P1),
 * else LSN_EQUOTA with detail filled (and the refusal counted for
 * sender), or LSN_EDB.
 */
int	limits_quota(struct broker *b, const char *sender, const char *rcpt,
	    int priority, char *detail, size_t detailsz);

/* ---- wire.c ---- */

/* Packs f into a malloc'd buffer. */
int	wire_pack(const Liaison__V1__Frame *f, uint8_t **out, size_t *len);
/* Queues frame bytes (taken over) for rid; fail (taken over, may be NULL)
 * replaces them when the turn's commit fails. */
int	wire_queue(struct broker *b, const uint8_t *rid, size_t ridlen,
	    uint8_t *ok, size_t oklen, uint8_t *fail, size_t faillen);
/* Queues a frame (packed here) that does not depend on the commit. */
int	wire_queue_frame(struct broker *b, const uint8_t *rid, size_t ridlen,
	    const Liaison__V1__Frame *f);
/* Packs Error{code, detail} into a malloc'd buffer. */
int	wire_pack_error(int err, const char *detail, uint8_t **out,
	    size_t *len);
/* Queues Error{code, detail}. */
int	wire_queue_error(struct broker *b, const uint8_t *rid, size_t ridlen,
	    int err, const char *detail);
/* Sends (committed != 0) or the fail variants of every queued frame and
 * empties the queue. Without a router (tests) or once b->indoubt, the
 * queue is just freed. */
void	wire_flush(struct broker *b, int committed);
/* Sends one frame now; LSN_ECLOSED if the peer is gone. */
int	wire_send_now(struct broker *b, const uint8_t *rid, size_t ridlen,
	    const uint8_t *buf, size_t len);
/*
 * Finds the exact serialized SignedEnvelope of a Frame holding exactly a
 * Publish (field 3) with its envelope (field 1), without unpacking it.
 * 1 and env/envlen (borrowed from buf) when it is one, 0 otherwise.
 */
int	wire_publish_envelope(const uint8_t *buf, size_t len,
	    const uint8_t **env, size_t *envlen);
/* 1 if buf is exactly a Frame holding one DeliverAck (field 6); its
 * content is checked later, when the frame is handled. */
int	wire_is_deliver_ack(const uint8_t *buf, size_t len);
/* Appends a protobuf varint / length-delimited field to a buffer. */
size_t	wire_varint(uint8_t *p, uint64_t v);

/* ---- bdir.c ---- */

/*
 * Directory lookups of the ingress path: as lsn_dir_partner_status,
 * lsn_dir_sign_key and lsn_dir_transport_owner, answered from a memo while
 * it is on. bdir_memo(b, 1) starts a run with an empty memo (only while
 * the directory cannot change: see bdir.c), bdir_memo(b, 0) ends it.
 */
void	bdir_memo(struct broker *b, int on);
void	bdir_free(struct broker *b);
int	bdir_partner_status(struct broker *b, const char *partner,
	    int *status);
/* As lsn_dir_sign_keyrec (the time checks are the trust gate's). */
int	bdir_sign_keyrec(struct broker *b, const char *partner,
	    const char *key_id, struct lsn_dir_keyrec *r);
int	bdir_transport_owner(struct broker *b,
	    const uint8_t tkey[LSN_PK_BYTES], uint64_t now_ms,
	    char owner[LSN_DIR_ID_MAX + 1]);

/* ---- audit.c ---- */

int	baudit(struct broker *b, const char *kind, const char *subject,
	    const uint8_t *data_hash, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/*
 * The signed audit head file (conf audit_head, default <db>.audit-head).
 * baudit_head_open, at start-up after the keys: a head file the database
 * is shorter than, or whose entry differs, or that is not signed by
 * sign_key refuses the start (LSN_ECHAIN / LSN_EBADSIG, security log
 * line); a missing one with rows present is logged, audited as an
 * "audithead" entry and written anew. baudit_head_write, after a
 * committed turn: rewrites the file when rows were added and at least
 * BROKER_AUDIT_HEAD_MS passed since the last write, from a writer thread
 * (lsn_filew: the loop does not wait for its syncs; the head is read
 * after the commit, so the file never runs ahead of the database); with
 * force (start, stop) now and synchronously, after the writer finished.
 */
#define BROKER_AUDIT_HEAD_MS	1000
int	baudit_head_open(struct broker *b);
void	baudit_head_write(struct broker *b, int force);
/* Writes a pending head file and stops its writer thread (idempotent). */
void	baudit_head_close(struct broker *b);

/* ---- control.c ---- */

/* Binds the status socket when `control` is set (ipc:// only). */
int	control_open(struct broker *b);
/* Answers pending status requests without blocking. */
void	control_serve(struct broker *b);
/* The status as a JSON text (*out malloc'd, caller frees). */
int	control_status(struct broker *b, char **out);

/* ---- zap.c ---- */

/*
 * Decides one ZAP request (frames as received, RFC 27): writes the reply
 * status ("200"/"400"/"500"), text and user id (partner id on 200).
 * Refusals are logged (rate-limited per address) and counted for the
 * aggregated audit row of the peer (limits.c). Pure of sockets.
 */
int	zap_decide(struct broker *b, const char *mechanism,
	    const uint8_t *client_key, size_t keylen, const char *address,
	    char status[4], char *text, size_t textsz,
	    char user[LSN_DIR_ID_MAX + 1]);
/* Serves every pending ZAP request on b->zap without blocking. */
void	zap_serve(struct broker *b);

/* ---- ingress.c ---- */

struct ingress_result {
	int		code;		/* LSN_OK or the refusal */
	char		detail[160];
	uint8_t		msgid[LSN_MSGID_BYTES];
	int		has_msgid;
	int		duplicate;	/* OK because already stored */
	char		**rcpts;	/* expanded recipients (on OK) */
	size_t		nrcpts;
	int		type;		/* MessageType, for metrics */
	int		priority;	/* Priority, 0 if absent */
};

/* ---- bmetrics.c: /metrics (OpenMetrics), see the file comment ---- */

int	bmetrics_open(struct broker *b);
void	bmetrics_close(struct broker *b);
/* Main loop: renders a fresh snapshot when a scrape waits for one. */
void	bmetrics_tick(struct broker *b);
void	bmetrics_publish(struct broker *b, const struct ingress_result *res);
void	bmetrics_delivered(struct broker *b);
void	bmetrics_sent(struct broker *b, const uint8_t *env, size_t len);
double	bmetrics_clock(void);
void	bmetrics_commit(struct broker *b, double seconds);

/* A publish between its two halves (the signature check in between). */
struct ingress_job {
	struct vjob			 vj;
	struct lsn_trust_msg		 m;	/* the gate's state */
	const uint8_t			*env;	/* borrowed */
	size_t				 envlen;
	char				 partner[LSN_DIR_ID_MAX + 1];
	uint64_t			 now;
	int				 verify;	/* vj is to be run */
};

/*
 * The rules before the signature (size, outer unpack, signer hint, sender
 * partner, key valid now): LSN_OK when the signature is next (j->vj
 * holds the outer envelope and the key: the caller runs it through a
 * vpool, then calls ingress_finish), otherwise the refusal, with *res
 * filled. env is borrowed until ingress_finish returns. Free j with
 * ingress_job_free in every case.
 */
int	ingress_begin(struct broker *b, const char *partner,
	    const uint8_t *env, size_t envlen, struct ingress_job *j,
	    struct ingress_result *res);
/* The rules after the signature and the acceptance (as ingress_publish);
 * j->vj must have been waited for. Returns res->code. */
int	ingress_finish(struct broker *b, struct ingress_job *j,
	    struct ingress_result *res);
void	ingress_job_free(struct ingress_job *j);

/*
 * Runs every ingress rule on the serialized SignedEnvelope `env` published
 * by partner (the connection's User-Id) and, when accepted, stores it in
 * the open turn transaction (messages, queue rows, audit entry) and marks
 * the recipients' sessions for delivery. *res is always filled; free it
 * with ingress_result_free. Returns res->code.
 */
int	ingress_publish(struct broker *b, const char *partner,
	    const uint8_t *env, size_t envlen, struct ingress_result *res);
void	ingress_result_free(struct ingress_result *res);

/* ---- session.c: who is connected (struct session), Hello/Welcome ---- */

struct session *session_find(struct broker *b, const char *partner);
/* Drops partner's session (it no longer receives anything). */
void	session_drop(struct broker *b, const char *partner);
/* Drops b->sess[i] (the last one takes its place). */
void	session_drop_at(struct broker *b, size_t i);
/* Records a session for partner at rid (replacing an older one), after
 * queue_trim of its cursor; *acked = queue_acked_seq. */
int	session_hello(struct broker *b, const char *partner,
	    const uint8_t *rid, size_t ridlen, uint64_t cursor,
	    uint64_t *acked);
/* Handles Hello (answers Welcome). */
int	deliver_hello(struct broker *b, const char *partner,
	    const uint8_t *tkey, const uint8_t *rid, size_t ridlen,
	    const Liaison__V1__Hello *h);

/* ---- queue.c: the per-recipient queue rows and their cached state ---- */

/* Queue rows: next seq (assigns), counts, ack, expiry. */
int	queue_add(struct broker *b, const char *rcpt, const uint8_t *msgid,
	    uint64_t expires_ms, uint64_t *seq);
int	queue_count(struct broker *b, const char *rcpt, uint64_t *n);
int	queue_ack(struct broker *b, const char *rcpt, uint64_t seq,
	    int *found);
int	queue_acked_seq(struct broker *b, const char *rcpt, uint64_t *acked);
/* The message id queued at (rcpt, seq); 0 found, 1 not found. */
int	queue_msgid(struct broker *b, const char *rcpt, uint64_t seq,
	    uint8_t msgid[LSN_MSGID_BYTES]);
/* A Hello's cursor: clamped to the assigned seqs; rows up to it go. */
int	queue_trim(struct broker *b, const char *partner, uint64_t *cursor);
/* Writes the turn's deferred next_seq values (before COMMIT). */
int	rcache_flush(struct broker *b);
/* Forgets the cached queue state (after a rollback; at close). */
void	rcache_clear(struct broker *b);
/* queued -= n for a cached partner (rows deleted from its queue). */
void	rcache_dequeued(struct broker *b, const char *partner, uint64_t n);

/* ---- deliver.c: the pump (Deliver) and DeliverAck ---- */

/* Marks partner's session (if any) for a pump after the commit. */
void	deliver_mark(struct broker *b, const char *partner);
/* The same for every id of ids[0..n), sorted (strcmp) and unique. */
void	deliver_mark_set(struct broker *b, char *const *ids, size_t n);
/* Sends Deliver frames to every marked session (after a commit). */
void	deliver_pump(struct broker *b);
/* Handles a DeliverAck from partner. */
int	deliver_ack(struct broker *b, const char *partner,
	    const uint8_t *rid, size_t ridlen,
	    const Liaison__V1__DeliverAck *a);

/* ---- expire.c: queued messages leaving a queue undelivered ---- */

/*
 * The delivery role of the trust gate (docs/protocol.md 4) on a message
 * queued for session ss, from the created_ms / expires_ms its messages
 * row holds (no parse, no signature check) and the session's cached
 * directory verdict: O(1). LSN_OK to send; else *r says why (a rule:
 * drop it with deliver_gate_drop; LSN_RULE_NONE: a local error, send
 * nothing now).
 */
int	deliver_gate(struct broker *b, struct session *ss,
	    uint64_t created_ms, uint64_t expires_ms,
	    struct lsn_trust_result *r);
/* Deletes the queue row (ss, seq) refused by deliver_gate with one audit
 * row (kind "expired" for not-expired, else "quarantined"), in the
 * turn's transaction. */
int	deliver_gate_drop(struct broker *b, struct session *ss, uint64_t seq,
	    const uint8_t *msgid, const struct lsn_trust_result *r);
/* Deletes expired queue rows (with audit entries); *n = rows removed. */
int	deliver_expire(struct broker *b, uint64_t now_ms, size_t *n);
/*
 * Drops the bytes of messages accepted before now_ms - retain_ms that no
 * queue row needs any more; message id, hash and recipients stay (the
 * idempotency ledger). *n = messages pruned (at most one batch).
 */
int	deliver_prune(struct broker *b, uint64_t now_ms, size_t *n);
/* ---- dirsvc.c ---- */

int	dirsvc_sync(struct broker *b, const uint8_t *rid, size_t ridlen,
	    const Liaison__V1__DirSync *ds);
int	dirsvc_submit(struct broker *b, const char *partner,
	    const uint8_t *rid, size_t ridlen, const Liaison__V1__DirSubmit *s);
/* After a commit: pushes ops submitted this turn to every session. */
void	dirsvc_push(struct broker *b);
/* The head checkpoint (cached per rev); borrowed. LSN_ENOENT if empty. */
int	dirsvc_checkpoint(struct broker *b, const uint8_t **cp, size_t *len);
/*
 * Encodes a Frame holding DirOps with the entries [from, to] (revs, no
 * byte budget), the checkpoint (may be NULL), more = false and live.
 * *out malloc'd.
 */
int	dirsvc_encode(struct broker *b, uint64_t from, uint64_t to,
	    const uint8_t *cp, size_t cplen, int live, uint8_t **out,
	    size_t *outlen);

/* ---- broker.c: one frame ---- */

/*
 * Handles one frame from partner/rid (the dispatcher of the loop). tkey:
 * the connection's CURVE key (from the ZAP metadata), checked against the
 * directory again on every frame; NULL checks the partner's status only.
 */
void	broker_frame(struct broker *b, const char *partner,
	    const uint8_t *tkey, const uint8_t *rid, size_t ridlen,
	    const uint8_t *buf, size_t len);

#endif
