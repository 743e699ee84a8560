/*
 * agent.h -- private declarations of liaison-agent.
 *
 * One process, one thread, one zmq_poll loop (agent.c) over three sockets:
 *   - the DEALER to the broker (link.c) with its monitor PAIR socket,
 *   - the local API ROUTER (api.c).
 * Durable state lives in one sqlite file: the outbox (outbox.c), the
 * inbox, dedup ledger and quarantine (inbox.c), the directory replica
 * and its halted flag / alerts (replica.c). Its schema and every
 * statement on it are in the storage module (astore.h, astore_*.c).
 * With [agent] http_listen a second thread (libmicrohttpd, ametrics.c)
 * serves /metrics and the directory page from snapshots the loop renders
 * (struct lsn_snap); it reads nothing else of struct agent.
 *
 * Frames read from the broker in one loop turn are handled inside one
 * transaction (agent_tx_begin / agent_tx_end): DeliverAcks and answers to
 * waiting API callers go out only after the COMMIT. The timers that send
 * (wf_escalate.c, wf_contact.c) open one of their own the same way. Only
 * those functions of agent.c write in_tx.
 *
 * The send path runs one way: compose.c (check, seal, sign; no writes)
 * -> outbox.c (store inside the caller's transaction; send after the
 * COMMIT) -> link.c.
 */
#ifndef LIAISON_AGENT_H
#define LIAISON_AGENT_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "api.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/conf.h"
#include "liaison/dir.h"
#include "liaison/http.h"
#include "liaison/keys.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#define AGENT_PATH_MAX		192
#define AGENT_EP_MAX		192
#define AGENT_BROKERS_MAX	8	/* endpoints in [agent] broker */
#define AGENT_BROKER_LIST_MAX	1024	/* [agent] broker as written */
#define AGENT_PEER_ID_MAX	256	/* zmq routing id */
#define AGENT_WAITERS_MAX	64	/* long-polling inbox callers */
#define AGENT_DIRSUBS_MAX	64	/* API dir submits awaiting an ack */
#define AGENT_ACKS_MAX		1024	/* DeliverAcks per loop turn */
#define AGENT_RCPT_PENDING_MAX	1024	/* DELIVERED receipts per flush */
#define AGENT_DEFERRED_MAX	1024	/* Delivers held while syncing */
#define AGENT_FRAMES_PER_TURN	256
#define AGENT_API_TURN_MAX	256	/* API requests per transaction */
#define AGENT_FRAME_MAX		(16 * 1024 * 1024)	/* from the broker */
#define AGENT_API_REQ_MAX	(LSN_DIROP_MAX + 64 * 1024)
#define AGENT_OUTBOX_MAX	100000	/* pending messages */
#define AGENT_OUTBOX_BURST	200	/* sends per loop turn */
#define AGENT_OUTBOX_WINDOW	1024	/* unacknowledged publishes */
#define AGENT_SYNC_BATCH	64	/* DirSync.max_entries */
#define AGENT_DIRSUB_TIMEOUT_MS	10000
#define AGENT_WAIT_MAX_MS	30000
#define AGENT_LIST_DEFAULT	100
#define AGENT_LIST_MAX		1000
#define AGENT_LIST_BYTES_MAX	(4 * 1024 * 1024)
#define AGENT_DIR_RESULTS_MAX	1000
/* reconnect backoff cap once the broker refused this agency (link.c) */
#define AGENT_REFUSED_BACKOFF_MAX_MS	(15 * 60 * 1000)
#define AGENT_ALERTS_MAX	32
#define AGENT_DETAIL_MAX	256
#define AGENT_EPOCH_MAX		32	/* bytes of a broker_epoch kept */
#define AGENT_NOTE_MAX		4096

/* aconf.c: the [agent] section. */
struct agent_conf {
	char		partner[LSN_DIR_ID_MAX + 1];
	/* the endpoint list as written, and split by aconf_load */
	char		broker[AGENT_BROKER_LIST_MAX];
	char		brokers[AGENT_BROKERS_MAX][AGENT_EP_MAX];
	size_t		nbrokers;
	char		broker_key[AGENT_PATH_MAX];
	char		db[AGENT_PATH_MAX];
	char		keys_dir[AGENT_PATH_MAX];
	char		api[AGENT_EP_MAX];
	char		trust_root[2 * LSN_DIR_HASH_BYTES + 1];
	long long	ping_ms;
	long long	dead_after_ms;
	long long	reconnect_min_ms;
	long long	reconnect_max_ms;
	long long	resend_ms;
	long long	republish_window_ms;	/* link.c: new broker epoch */
	long long	verbose;
	char		test_clock_file[AGENT_PATH_MAX];
	long long	ack_p1_ms;
	long long	ack_p2_ms;
	long long	ack_p3_ms;
	long long	ack_p4_ms;
	long long	contact_check_ms;	/* wf.c: liveness, 0 = off */
	long long	contact_max_age_ms;
	long long	contact_auto_confirm;
	char		http_listen[LSN_HTTP_LISTEN_MAX];	/* ametrics.c */
	char		http_group[64];
	int		http_page;
	int		envelope_batch;		/* outbox_sign.c */
	long long	metrics_top;
	char		log_format[8];
	char		notify_cmd[AGENT_PATH_MAX];		/* notify.c */
	long long	notify_timeout_ms;
	long long	notify_retries;
	long long	notify_retry_ms;
	char		summary_max_tlp[8];			/* summary.c */
	/* apiauth.c: who may use the API ("" = the agent's own) */
	char		api_allow_user[64];
	char		api_allow_group[64];
	char		api_key[AGENT_PATH_MAX];	/* tcp:// only */
	char		api_allow_keys[AGENT_PATH_MAX];	/* tcp:// only */
	int		db_init;	/* --init (not from the file): an
					 * empty db file may become a new one */
};

/* A set of partner ids (recipients expanded from groups). */
struct agent_idset {
	char	(*ids)[LSN_DIR_ID_MAX + 1];
	size_t	  n;
	size_t	  cap;
};

/* A local API caller: routing id and whether it sent a REQ delimiter. */
struct api_peer {
	uint8_t		id[AGENT_PEER_ID_MAX];
	size_t		idlen;
	int		delim;
};

struct api_waiter {
	int		used;
	struct api_peer	peer;
	uint64_t	request_id;
	uint64_t	deadline;	/* mono ms */
	int		include_acked;
	int		type;
	char		sender[LSN_DIR_ID_MAX + 1];
	uint64_t	since_ms;
	uint32_t	limit;
	uint64_t	after_seq;
	int		events;		/* an EventsRequest */
	int		state;		/* InboxState filter, 0 = any */
};

struct dir_pending {
	int		used;
	struct api_peer	peer;
	uint64_t	request_id;
	uint8_t		rid[16];
	uint64_t	deadline;	/* mono ms */
};

struct deliver_ack {
	uint64_t	seq;
	int		code;		/* lsn_err */
	char		detail[AGENT_DETAIL_MAX];
};

/* A stored message whose DELIVERED receipt goes out at the turn's end
 * (rcpt_batch.c). */
struct rcpt_pending {
	char		sender[LSN_LABEL_MAX + 1];
	uint8_t		id[16];
	uint8_t		hash[LSN_HASH_BYTES];	/* of its signed Envelope */
	size_t		order;			/* arrival, for the sort */
};

/* A message stored this turn, signed before its COMMIT (outbox_sign.c). */
struct unsigned_msg {
	uint8_t		 id[16];
	uint8_t		 group[16];	/* hash of its recipients */
	char		 kid[LSN_KEYID_HEXLEN + 1];	/* its sender_key_id */
	uint8_t		*env;		/* Envelope bytes, owned */
	size_t		 envlen;
};

struct deferred {
	uint8_t		*buf;
	size_t		 len;
};

/* An API answer held until the API turn's COMMIT (api.c). */
struct api_held {
	struct api_peer	 peer;
	uint64_t	 request_id;
	int		 failed;	/* the answer is an error */
	uint8_t		*buf;		/* packed ApiResponse */
	size_t		 len;
};

struct agent {
	struct agent_conf	 conf;
	char			 conf_path[AGENT_PATH_MAX];
	char			 api_ep[AGENT_EP_MAX];

	int			 lock_fd;	/* <db>.lock, flock'ed */
	struct lsn_store	*st;
	struct lsn_dir		*dir;
	struct lsn_keypair	*sign_kp;
	struct lsn_keypair	*encrypt_kp;	/* NULL: cannot unseal */
	struct lsn_keypair	*transport_kp;
	uint8_t			 broker_pk[LSN_PK_BYTES];

	void			*zctx;
	void			*dealer;
	void			*mon;
	void			*api;
	unsigned		 mon_gen;
	char			 mon_ep_buf[64];

	/* link state */
	int			 handshaken;	/* CURVE handshake done */
	int			 connected;	/* Welcome received */
	uint64_t		 last_heard;	/* mono */
	uint64_t		 next_ping;	/* mono */
	uint64_t		 reopen_at;	/* mono; 0 = socket open */
	uint64_t		 backoff_ms;
	uint64_t		 last_connected_ms;	/* wall */
	/* several broker endpoints (link.c): the one in use, failures
	 * since the last Welcome, when the socket was opened (mono) */
	size_t			 broker_idx;	/* in conf.brokers */
	size_t			 broker_fails;
	uint64_t		 link_opened;
	uint64_t		 broker_switches;	/* since the start */
	uint64_t		 ping_nonce;
	char			 link_error[AGENT_DETAIL_MAX];
	/* the broker refused this agency (revoked, suspended, transport
	 * key rotated): LSN_E* code, 0 = not refused; cleared by Welcome */
	int			 refused_code;
	int			 refused_auth;	/* ZAP refused our key */

	/* inbox */
	uint64_t		 cursor;	/* delivery cursor (durable) */
	int			 cursor_dirty;	/* written at the COMMIT */
	int			 syncing;	/* DirSync in progress */
	uint64_t		 sync_started;	/* mono */
	uint64_t		 broker_rev;	/* broker's head per Welcome */
	struct deferred		 deferred[AGENT_DEFERRED_MAX];
	size_t			 ndeferred;

	/* outbox: a window of sent, unacknowledged messages (outbox.c) */
	int64_t			 ob_next;	/* highest oid sent */
	int			 ob_pass;	/* pending rows past ob_next */
	uint64_t		 ob_inflight;	/* sent, not yet acknowledged */
	uint64_t		 ob_check_at;	/* mono: next stall check */
	int64_t			 ob_low;	/* lowest pending oid then */
	int			 ob_counted;	/* ob_pending/ob_rejected valid */
	uint64_t		 ob_pending;	/* rows in state 'pending' */
	uint64_t		 ob_rejected;	/* rows in state 'rejected' */

	/* replica */
	int			 halted;

	/* workflows (wf.c) */
	struct lsn_clock	 clock;		/* workflow clock */
	uint64_t		 wf_next_tick;	/* mono */
	uint64_t		 wf_cc_next;	/* contact checks: workflow ms */

	/* per-turn transaction; in_tx is written by agent.c only */
	int			 in_tx;
	int			 tx_failed;
	int			 indoubt;	/* a COMMIT failed at sync: stop */
	int			 inbox_added;
	int			 outbox_added;	/* send after COMMIT */
	int			 events_added;	/* wake event waiters */
	struct deliver_ack	 acks[AGENT_ACKS_MAX];
	size_t			 nacks;
	struct rcpt_pending	 rq[AGENT_RCPT_PENDING_MAX];
	size_t			 nrq;
	struct unsigned_msg	*us;		/* outbox_sign.c */
	size_t			 nus, capus;

	/* API turn (api.c): answers held until the COMMIT */
	int			 api_batch;
	struct api_held		*held;
	size_t			 nheld;
	size_t			 capheld;

	struct api_waiter	 waiters[AGENT_WAITERS_MAX];
	struct dir_pending	 dirsubs[AGENT_DIRSUBS_MAX];

	/* ametrics.c, web.c, notify.c */
	struct lsn_metrics	*m;		/* NULL: http_listen off */
	struct lsn_snap		*m_snap;	/* /metrics text */
	struct lsn_snap		*w_snap;	/* the directory page */
	struct lsn_http		*http;
	gid_t			 http_gid;	/* http_group; set before the */
	int			 http_gid_set;	/* HTTP thread starts */
	uint64_t		 cp_time_ms;	/* last checkpoint checked */
	struct notify		*nt;		/* notifier runs in flight */
	/* API access (apiauth.c), resolved at api_open */
	void			*api_zap;	/* ZAP handler (REP) */
	uid_t			 api_uid;
	gid_t			 api_gid;
	uint8_t			(*api_keys)[LSN_PK_BYTES];	/* tcp:// */
	size_t			 api_nkeys;
	struct lsn_keypair	*api_kp;	/* tcp:// CURVE server key */
};

/* Signals, set by main.c handlers, read by the loop. */
extern volatile sig_atomic_t agent_quit;
extern volatile sig_atomic_t agent_reload;

/* aconf.c */
extern const struct lsn_conf_opt agent_conf_table[];
int		 aconf_load(const char *path, struct agent_conf *c, char *err,
		    size_t errlen);
int		 aconf_api_endpoint(const struct agent_conf *c, char *out,
		    size_t outsz);

/* agent.c; agent_migrations: astore_schema.c */
extern const struct lsn_migration agent_migrations[];
const char	*agent_name(void);
int		 agent_open(const char *conf_path, const struct agent_conf *c,
		    struct agent **out);
void		 agent_close(struct agent **ap);
int		 agent_run(struct agent *a);
void		 agent_do_reload(struct agent *a);
int		 agent_tx_begin(struct agent *a);
int		 agent_tx_commit(struct agent *a);
/* Joins the open transaction (*own = 0) or opens it (*own = 1: the
 * caller ends it with agent_tx_commit). */
int		 agent_tx_join(struct agent *a, int *own);
void		 agent_tx_end(struct agent *a);
/* A commit failed at its sync: answer E_IN_DOUBT, stop (status 1). */
void		 agent_set_in_doubt(struct agent *a);
#define AGENT_SP_BEGIN		0
#define AGENT_SP_RELEASE	1
#define AGENT_SP_ROLLBACK	2
int		 agent_savepoint(struct agent *a, int op);
int		 agent_state_get(struct agent *a, const char *key,
		    char *val, size_t valsz);
int		 agent_state_set(struct agent *a, const char *key,
		    const char *val);
int		 agent_alert(struct agent *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		 agent_alert_once(struct agent *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* link.c */
int		 link_open(struct agent *a);
void		 link_close(struct agent *a);
void		 link_reset(struct agent *a, const char *why);
int		 link_send(struct agent *a, const Liaison__V1__Frame *f);
void		 link_on_monitor(struct agent *a);
void		 link_on_readable(struct agent *a);
void		 link_timers(struct agent *a, uint64_t now);
int		 link_dispatch(struct agent *a, const uint8_t *buf, size_t len);
long		 link_timeout(struct agent *a, uint64_t now);

/*
 * compose.c: a submitted message checked (request, recipients, quota,
 * workflow step, marking), built, sealed and packed; nothing stored.
 * A struct composed owns rcpts, env and signed_env (composed_free).
 */
struct composed {
	uint8_t			 id[16];
	uint8_t			*env;		/* Envelope bytes, unsigned */
	size_t			 envlen;
	uint8_t			*signed_env;	/* SignedEnvelope bytes */
	size_t			 len;
	struct agent_idset	 rcpts;		/* expanded partner ids */
	char			 recipients[1024]; /* as named, for the row */
	uint8_t			 group[16];	/* their hash: outbox_sign.c */
	uint64_t		 created_ms;
	int			 type;		/* MessageType */
	int			 priority;
	int			 tlp;		/* the marking sent */
};
struct wf_link;
int		 compose(struct agent *a,
		    const Liaison__V1__SubmitRequest *req, int flags,
		    const struct wf_link *linked, struct composed *c,
		    char *detail, size_t detailsz);
void		 composed_free(struct composed *c);
int		 compose_expand(struct agent *a,
		    const Liaison__V1__SubmitRequest *r,
		    struct agent_idset *set, char *detail, size_t detailsz);
int		 idset_add(void *arg, const char *id);
void		 idset_free(struct agent_idset *set);

/*
 * outbox_sign.c: the turn's signatures. outbox_sign_queue takes c->env
 * (c->env NULL after); outbox_sign_flush signs everything queued, before
 * the COMMIT (agent_tx_commit); outbox_sign_drop forgets it (rollback).
 */
int		 outbox_sign_queue(struct agent *a, struct composed *c);
int		 outbox_sign_flush(struct agent *a);
void		 outbox_sign_drop(struct agent *a);

/*
 * outbox.c. outbox_submit_tx: compose, store (with the follow-ups of its
 * workflow step) inside the caller's transaction. outbox_submit and
 * outbox_submit_flags: the same for a caller that may hold no
 * transaction (one of its own then; see outbox.c).
 */
int		 outbox_submit_tx(struct agent *a,
		    const Liaison__V1__SubmitRequest *req, int flags,
		    uint8_t msgid[16], char *detail, size_t detailsz);
int		 outbox_submit(struct agent *a,
		    const Liaison__V1__SubmitRequest *req, uint8_t msgid[16],
		    char *detail, size_t detailsz);
int		 outbox_status(struct agent *a, const uint8_t *msgid,
		    size_t len, Liaison__V1__OutboxStatusResponse *resp,
		    char *detail, size_t detailsz);
/* A signed negative receipt from rcpt: the sent message is marked
 * "undeliverable: cannot open (RCPT)" (OutboxStatus UNDELIVERABLE). */
int		 outbox_undeliverable(struct agent *a,
		    const uint8_t msgid[16], const char *rcpt);
int		 outbox_on_ack(struct agent *a,
		    const Liaison__V1__PublishAck *ack);
void		 outbox_start_pass(struct agent *a);
void		 outbox_pump(struct agent *a, uint64_t now);
int		 outbox_counts(struct agent *a, uint64_t *pending,
		    uint64_t *rejected);
void		 outbox_counts_reset(struct agent *a);
/*
 * The detail of an outbox row sent again after a broker epoch change
 * (resync.c): the broker acknowledged it once, so a refusal of the copy
 * (its clock rule refuses an old envelope it no longer has) leaves it
 * accepted (outbox_on_ack).
 */
#define OUTBOX_REPUBLISH_DETAIL	"re-published: the broker may have lost it"
int		 outbox_republish(struct agent *a, uint64_t window_ms,
		    int *nout);
int		 resync_check(struct agent *a, const Liaison__V1__Welcome *w);
/* Turns every pending outbox row 'rejected' with code (the broker
 * refused this agency); inside or outside a transaction. */
int		 outbox_refuse_pending(struct agent *a, int code,
		    const char *detail);
int		 outbox_can_send(const struct agent *a);

#define OUTBOX_F_AGENT	0x01	/* agent-made types (RECEIPT) allowed */
int		 outbox_submit_flags(struct agent *a,
		    const Liaison__V1__SubmitRequest *req, int flags,
		    uint8_t msgid[16], char *detail, size_t detailsz);

/* outbox_read.c: sent messages with their opened bodies and delivery
 * state per recipient (OutboxFetch / OutboxList; see the file comment).
 * outbox_fetch: LSN_ENOENT when msgid is not in our outbox; *itemp is
 * freed with outbox_item_free. outbox_list fills resp (outbox_list_free). */
int		 outbox_fetch(struct agent *a, const uint8_t *msgid,
		    size_t len, Liaison__V1__OutboxItem **itemp);
int		 outbox_list(struct agent *a,
		    const Liaison__V1__OutboxListRequest *q,
		    Liaison__V1__OutboxListResponse *resp);
void		 outbox_item_free(Liaison__V1__OutboxItem *it);
void		 outbox_list_free(Liaison__V1__OutboxListResponse *resp);

/* wf.c */
int		 wf_meeting_show(struct agent *a,
		    const Liaison__V1__MeetingShowRequest *q,
		    Liaison__V1__MeetingShowResponse *out);
void		 wf_meeting_show_free(Liaison__V1__MeetingShowResponse *m);
void		 wf_clock_init(struct agent *a);
uint64_t	 agent_now(struct agent *a);
void		 wf_deadlines(const struct agent *a, struct lsn_deadlines *d);
/* The REDIRECT whose linked offer is being submitted: the redirected
 * referral's id and the third partner (wf_referral.c). */
struct wf_link {
	uint8_t		rid[16];
	char		to[LSN_DIR_ID_MAX + 1];
};
/*
 * A message a submitted one brings with it (a REDIRECT's linked offer):
 * made by the workflow step when it records the submitted message, then
 * composed and stored after it, in the same savepoint (outbox_submit_tx).
 * Owns what req points to; what: the reason's prefix when it fails;
 * done: the log line when it is stored.
 */
struct wf_followup {
	Liaison__V1__SubmitRequest	 req;
	struct wf_link			 link;
	char				*to[1];		/* link.to */
	uint8_t				*body;
	size_t				 len;
	char				*case_ref;
	Liaison__V1__Envelope		*orig;		/* owns req.handling */
	char				 what[96];
	char				 done[128];
};
#define WF_FOLLOWUPS_MAX	4	/* one per REDIRECT: one response */
struct wf_followups {
	struct wf_followup	v[WF_FOLLOWUPS_MAX];	/* never moved */
	size_t			n;
};
void		 wf_followups_free(struct wf_followups *fu);
/*
 * Checks a message being submitted (apply 0, from compose), or records
 * it (apply 1, after it is stored; fu receives its follow-ups). linked:
 * the REDIRECT whose linked offer r is, NULL for anything else.
 */
int		 wf_on_submit(struct agent *a,
		    const Liaison__V1__SubmitRequest *r,
		    const struct agent_idset *rcpts,
		    const uint8_t msgid[16], const struct wf_link *linked,
		    int apply, struct wf_followups *fu, char *detail,
		    size_t detailsz);
int		 wf_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
		    const uint8_t *signed_env, size_t signed_len,
		    const uint8_t *body, size_t len, char *detail,
		    size_t detailsz);
/* A verified receipt of stage by signer for our message msgid, inside
 * the turn that stores it: the message type's on_receipt (wf_int.h). */
int		 wf_on_receipt(struct agent *a, const uint8_t msgid[16],
		    const char *signer, int stage);
void		 wf_timers(struct agent *a, uint64_t mono);
int		 wf_list(struct agent *a,
		    const Liaison__V1__WorkflowListRequest *q,
		    Liaison__V1__WorkflowListResponse *resp);
void		 wf_list_free(Liaison__V1__WorkflowListResponse *resp);

/* replies keep the case's marking (wfmark.c) */
/* Before signing r: h (r's handling, or zeroed) gets the thread's TLP
 * when it has none; a weaker one is LSN_EMARKING with detail. */
int		 wfmark_submit(struct agent *a,
		    const Liaison__V1__SubmitRequest *r,
		    Liaison__V1__Handling *h, char *detail, size_t detailsz);
/* Remembers the strictest TLP of the thread of a sent or received
 * message (no-op for types outside a thread). LSN_EDB. */
int		 wfmark_note(struct agent *a, int type, const uint8_t *body,
		    size_t len, int tlp);

/* events (wf.c) */
int		 agent_event(struct agent *a, const char *kind,
		    const uint8_t *msgid, const uint8_t *itemid,
		    const char *peer, const char *detail);
int		 events_list(struct agent *a, uint64_t after, uint32_t limit,
		    Liaison__V1__EventsResponse *resp);
void		 events_list_free(Liaison__V1__EventsResponse *resp);

/* rcpt.c */
#define RCPT_CONSUMED	1	/* a receipt: stored, not an inbox item */
int		 rcpt_send_for(struct agent *a, const uint8_t *signed_env,
		    size_t len, int stage);
int		 rcpt_mark_sent(struct agent *a, const uint8_t message_id[16],
		    int stage);
int		 rcpt_submit(struct agent *a, const char *to,
		    const uint8_t (*ids)[16],
		    const uint8_t (*hashes)[LSN_HASH_BYTES], size_t n,
		    int stage);

/* rcpt_batch.c */
int		 rcpt_delivered(struct agent *a,
		    const Liaison__V1__Envelope *env, const uint8_t *env_bytes,
		    size_t env_len);
int		 rcpt_flush(struct agent *a);
void		 rcpt_drop(struct agent *a);
int		 rcpt_on_receive(struct agent *a,
		    const Liaison__V1__Envelope *e, const uint8_t *body,
		    size_t len, char *detail, size_t detailsz);
int		 rcpt_custody(struct agent *a,
		    const Liaison__V1__CustodyRequest *q,
		    Liaison__V1__CustodyResponse *out);
void		 rcpt_custody_free(Liaison__V1__CustodyResponse *out);
int		 inbox_find_sign_pk(struct agent *a, const char *partner,
		    const char *key_id, uint8_t pk[LSN_PK_BYTES]);

/* inbox.c */
int		 inbox_on_deliver(struct agent *a,
		    const Liaison__V1__Deliver *d);
int		 inbox_verify(struct agent *a, const uint8_t *buf, size_t len,
		    Liaison__V1__Envelope **envp, char *detail,
		    size_t detailsz);
/* inbox_gate.c: the trust gate over the replica. inbox_gate: a delivery
 * (identity and addressing; *envp on LSN_OK). inbox_forward: the forward
 * phase for a verified outer envelope e and its opened note; innerp /
 * ibodyp may be NULL. inbox_fetch_forward: a fetched forward's verified
 * inner on the item (LSN_ENOMEM / LSN_EDB only). */
int		 inbox_gate(struct agent *a, const uint8_t *buf, size_t len,
		    Liaison__V1__Envelope **envp, char *detail,
		    size_t detailsz);
int		 inbox_fetch_forward(struct agent *a,
		    Liaison__V1__InboxItem *it);
int		 inbox_forward(struct agent *a,
		    const Liaison__V1__Envelope *e, const uint8_t *note,
		    size_t note_len, Liaison__V1__Envelope **innerp,
		    uint8_t **ibodyp, size_t *ilenp, char *detail,
		    size_t detailsz);
int		 inbox_counts(struct agent *a, uint64_t *total,
		    uint64_t *unacked, uint64_t *quarantined);
int		 inbox_list(struct agent *a, const struct api_waiter *q,
		    Liaison__V1__InboxListResponse *resp);
void		 inbox_list_free(Liaison__V1__InboxListResponse *resp);
int		 inbox_fetch(struct agent *a, const uint8_t *msgid, size_t len,
		    Liaison__V1__InboxItem **itemp);
void		 inbox_item_free(Liaison__V1__InboxItem *it);
int		 inbox_mark(struct agent *a, const uint8_t *msgid, size_t len,
		    int stage);
int		 inbox_cursor_load(struct agent *a);
int		 inbox_cursor_save(struct agent *a);
/* Opens sb with our encryption key, else encrypt.prev.key /
 * encrypt.next.key (a rotation); as lsn_unseal. Also for our own
 * outbox copies (outbox_read.c). */
int		 inbox_unseal(struct agent *a,
		    const Liaison__V1__SealedBody *sb, const uint8_t *ad,
		    size_t adlen, uint8_t **pt, size_t *ptlen);
int		 inbox_open_body(struct agent *a,
		    const Liaison__V1__Envelope *e, uint8_t **bodyp,
		    size_t *lenp, char *detail, size_t detailsz);

/* replica.c */
int		 replica_init(struct agent *a);
void		 replica_sync(struct agent *a);
int		 replica_on_ops(struct agent *a, const Liaison__V1__DirOps *ops);
void		 replica_on_welcome(struct agent *a,
		    const Liaison__V1__DirHead *h);
int		 replica_halt(struct agent *a, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
int		 replica_alerts(struct agent *a, char ***alertsp, size_t *np);
void		 replica_alerts_free(char **alerts, size_t n);

/* apiauth.c: who may use the local API (ipc: peer uid/gid, tcp: CURVE
 * client keys), checked by libzmq's IPC filters and our ZAP handler at
 * connect and by apiauth_request_ok on every request. */
int		 apiauth_resolve(const struct agent_conf *c, uid_t *uid,
		    gid_t *gid, char *err, size_t errlen);
int		 apiauth_check_conf(const struct agent_conf *c, char *err,
		    size_t errlen);
int		 apiauth_open(struct agent *a);	/* before bind */
int		 apiauth_bound(struct agent *a);	/* after bind */
void		 apiauth_serve(struct agent *a);	/* ZAP readable */
int		 apiauth_request_ok(zmq_msg_t *m);
void		 apiauth_close(struct agent *a);

/* api.c */
/* Answers r to p (held until the COMMIT inside an API turn); fills in
 * code and a default detail. api_reply_err: an error answer (detail NULL
 * or empty: lsn_strerror(code)). */
void		 api_reply(struct agent *a, const struct api_peer *p,
		    Liaison__V1__ApiResponse *r);
void		 api_reply_err(struct agent *a, const struct api_peer *p,
		    uint64_t request_id, int code, const char *detail);
/* api_reply of a response to request rid whose oneof is kind, holding
 * msg (that kind's response message, borrowed). */
void		 api_answer(struct agent *a, const struct api_peer *p,
		    uint64_t rid, Liaison__V1__ApiResponse__KindCase kind,
		    void *msg);
/* api_read.c: 1 if a request's message id (has, id) is 16 bytes, else
 * 0 once an LSN_EINVAL answer to rid is sent. api_result: the answer of
 * a request whose call gave rv: msg as kind (api_answer) on LSN_OK,
 * else an error with detail noent for LSN_ENOENT, inval for LSN_EINVAL,
 * other for the rest (NULL: lsn_strerror). */
int		 api_msgid_ok(struct agent *a, const struct api_peer *p,
		    uint64_t rid, protobuf_c_boolean has,
		    const ProtobufCBinaryData *id);
void		 api_result(struct agent *a, const struct api_peer *p,
		    uint64_t rid, int rv,
		    Liaison__V1__ApiResponse__KindCase kind, void *msg,
		    const char *noent, const char *inval, const char *other);
int		 api_open(struct agent *a);
void		 api_close(struct agent *a);
void		 api_on_readable(struct agent *a);
void		 api_timers(struct agent *a, uint64_t now);
void		 api_inbox_changed(struct agent *a);
void		 api_on_dirsubmit_ack(struct agent *a,
		    const Liaison__V1__DirSubmitAck *ack);
void		 api_fail_dirsubs(struct agent *a, int code, const char *why);
long		 api_timeout(struct agent *a, uint64_t now);

/*
 * The request handlers of the table in api.c (one per ApiRequest kind):
 * each reads its own member of the request's oneof and answers through
 * api_reply / api_reply_err, now or later.
 */
typedef void	 api_handler_fn(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);

/* api_dir.c: dir_query, dir_submit and contact (see the file comment);
 * api_on_dirsubmit_ack / api_fail_dirsubs above answer the submits. */
void		 api_dir_query(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_dir_submit(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_contact(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);

/* api_read.c: the read-only requests about sent messages, workflows,
 * meetings and custody (the handlers; the data comes from outbox_read.c,
 * wf.c and rcpt.c). */
void		 api_outbox_status(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_outbox_fetch(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_outbox_list(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_workflow_list(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_meeting_show(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);
void		 api_custody(struct agent *a, const struct api_peer *p,
		    uint64_t rid, const Liaison__V1__ApiRequest *rq);

/* ametrics.c: /metrics and the page listener (see the file comment) */
int		 ametrics_open(struct agent *a);
void		 ametrics_close(struct agent *a);
void		 ametrics_tick(struct agent *a);
void		 ametrics_msg(struct agent *a, int in, int type, int priority);
void		 ametrics_refusal(struct agent *a, const char *where,
		    int code);
void		 ametrics_escalation(struct agent *a, const char *kind);
void		 ametrics_notify(struct agent *a, const char *result);
double		 ametrics_clock(void);
void		 ametrics_commit(struct agent *a, double seconds);

/* web.c: renders the read-only directory page (main loop only) */
int		 web_render(struct agent *a, char **out, size_t *len);
extern const char web_css[];

/* summary.c: an item's summary if its marking allows (summary_max_tlp) */
int		 summary_max_tlp(const char *s);
int		 item_summary(struct agent *a, const uint8_t *msgid,
		    char *out, size_t outsz);

/* notify.c: out-of-band notifiers for escalations */
int		 notify_escalation(struct agent *a, const char *kind,
		    const uint8_t *id, const char *peer, int priority,
		    const char *contacts);
void		 notify_timers(struct agent *a, uint64_t mono);
void		 notify_close(struct agent *a);

#endif
