/*
 * astore.h -- the agent's storage: every statement the agent runs on its
 * database, as named functions over query.h (lsn_store_q, lsn_q_*).
 * Callers in agent/ see neither sqlite3_* nor SQL text; a new query is a
 * new function here, in the astore_*.c file of its table:
 *   astore_inbox.c	inbox (received messages)
 *   astore_outbox.c	outbox (messages we send) and its states
 *   astore_track.c	tracking (referrals, alerts: deadlines, escalation;
 *			the handoff of a referral we received)
 *   astore_rcpt.c	receipts, receipts_sent, receipt_signed
 *   astore_events.c	events (the agent's event log)
 *   astore_meeting.c	meetings, meeting_invitees, rsvps
 *   astore_state.c	alerts, state, savepoints, counts for the metrics
 *   astore_schema.c	the tables (agent_migrations, agent.h)
 *
 * Callers: the agent's modules (agent.c, inbox.c, outbox_*.c, rcpt.c,
 * events.c, wf_*.c, web.c, ametrics.c, ...), on the loop's thread only
 * (a->st is not thread-safe; the HTTP thread reads snapshots).
 *
 * Ownership: the statements belong to a->st (cached by SQL text; see
 * query.h). Functions that return one row copy it into caller-owned
 * memory (fixed buffers, or malloc'd copies the caller frees, as each
 * says). Functions that walk rows call a callback with a row borrowed
 * for the callback's time only (copy what you keep); the callback may
 * call other astore functions, never the one walking. Every statement
 * is reset before the function returns. Transactions and savepoints
 * stay with the callers (agent.c owns the poll turn's). Errors: LSN_EDB
 * (or what lsn_q_step answers: LSN_EEXIST, LSN_EPERM), LSN_ENOENT where
 * a row is missing, LSN_ENOMEM.
 */
#ifndef LIAISON_AGENT_ASTORE_H
#define LIAISON_AGENT_ASTORE_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

struct agent;

/* astore_state.c */

/*
 * The newest alert texts, oldest first, at most max of them: *vp is a
 * calloc'd array of max malloc'd strings (free each of *np, then *vp).
 */
int	astore_alerts(struct agent *a, size_t max, char ***vp, size_t *np)
	    LSN_MUST_CHECK;

/* A savepoint in the open transaction: AGENT_SP_* (agent.h). */
int	astore_savepoint(struct agent *a, int op) LSN_MUST_CHECK;

/* The agent_state table: value of key (cut to valsz); LSN_ENOENT. */
int	astore_state_get(struct agent *a, const char *key, char *val,
	    size_t valsz) LSN_MUST_CHECK;
/* Sets key to val, inserting or replacing. */
int	astore_state_set(struct agent *a, const char *key, const char *val)
	    LSN_MUST_CHECK;

/* Counts for the metrics (ametrics.c). */
int	astore_count_outbox_pending(struct agent *a, int64_t *n,
	    int64_t *oldest_ms) LSN_MUST_CHECK;
int	astore_count_inbox_unacked(struct agent *a, int64_t *n)
	    LSN_MUST_CHECK;
/* Unacked open senders' items of kind alert (alert != 0) or priority
 * referral not yet escalated; *late: those with deadline < now. */
int	astore_count_escalation_pending(struct agent *a, int alert,
	    int64_t now, int64_t *n, int64_t *late) LSN_MUST_CHECK;
/* Unacked open items of kind alert (alert != 0) or referral past now. */
int	astore_count_overdue(struct agent *a, int alert, int64_t now,
	    int64_t *n) LSN_MUST_CHECK;

/* Is there an alert whose text is text? */
int	astore_alert_exists(struct agent *a, const char *text, int *found)
	    LSN_MUST_CHECK;
int	astore_alert_add(struct agent *a, int64_t time_ms, const char *text)
	    LSN_MUST_CHECK;
/* Removes the alerts whose text is text. */
int	astore_alerts_delete(struct agent *a, const char *text) LSN_MUST_CHECK;

/* astore_events.c */

/* Appends an event; ids are 16 bytes or NULL, peer and detail may be NULL. */
int	astore_event_add(struct agent *a, int64_t time_ms, const char *kind,
	    const uint8_t *msgid, const uint8_t *itemid, const char *peer,
	    const char *detail) LSN_MUST_CHECK;

/* Is there an event of kind about item id (16 bytes) with peer? */
int	astore_event_exists(struct agent *a, const char *kind,
	    const uint8_t *itemid, const char *peer, int *found)
	    LSN_MUST_CHECK;

/* An event row, borrowed for the callback's time only. */
struct astore_event_row {
	int64_t		 id;
	int64_t		 time_ms;
	const char	*kind;		/* NULL-able, as the texts below */
	const uint8_t	*msgid;		/* 16 bytes or NULL */
	const uint8_t	*itemid;	/* 16 bytes or NULL */
	const char	*peer;
	const char	*detail;
};
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_event_fn(void *arg, const struct astore_event_row *e);

/* The events after id `after`, oldest first, at most limit. */
int	astore_events_list(struct agent *a, int64_t after, int64_t limit,
	    astore_event_fn *fn, void *arg) LSN_MUST_CHECK;

/* astore_inbox.c */

/* The TLP of an inbox message; 0 when we do not have it. */
int	astore_inbox_tlp(struct agent *a, const uint8_t *id, size_t len,
	    int *tlp) LSN_MUST_CHECK;

/*
 * A malloc'd copy of an inbox message's body, with its tlp and type;
 * LSN_ENOENT also when the body is not a blob (not opened).
 */
int	astore_inbox_body(struct agent *a, const uint8_t *msgid,
	    uint8_t **body, size_t *len, int *tlp, int *type) LSN_MUST_CHECK;

/* The dedup ledger: 1 if id is in it, 0 if not, or an error. */
int	astore_seen(struct agent *a, const uint8_t *id, size_t len);
int	astore_seen_add(struct agent *a, const uint8_t *id, size_t len)
	    LSN_MUST_CHECK;
/* A delivery we refuse to store as a message (buf NULL-able). */
int	astore_quarantine_add(struct agent *a, int64_t received_ms,
	    int64_t seq, int code, const char *detail, const uint8_t *buf,
	    size_t len) LSN_MUST_CHECK;

/* A message to store (all borrowed); body NULL: not opened. */
struct astore_inbox_new {
	const uint8_t	*msgid;
	size_t		 msgid_len;
	const char	*sender;
	int		 type;
	int64_t		 created_ms;
	int64_t		 received_ms;
	const uint8_t	*signed_env;
	size_t		 signed_len;
	const uint8_t	*body;
	size_t		 body_len;
	int		 priority;
	int		 tlp;
	int64_t		 seq;
};
/* Stores a message; a duplicate id is LSN_EDB. */
int	astore_inbox_add(struct agent *a, const struct astore_inbox_new *m)
	    LSN_MUST_CHECK;
int	astore_inbox_counts(struct agent *a, int64_t *total,
	    int64_t *unacked, int64_t *quarantined) LSN_MUST_CHECK;

/* An inbox row, borrowed for the callback's time only. */
struct astore_inbox_row {
	int64_t		 local_seq;
	const uint8_t	*msgid;
	size_t		 msgid_len;
	const char	*sender;	/* NULL-able */
	int		 type;
	int64_t		 created_ms;
	int64_t		 received_ms;
	int		 acked, read, actioned;
	int		 has_body;	/* a body: stored, or in signed */
	const uint8_t	*body;
	size_t		 body_len;
	int		 priority;
	int		 tlp;
	const uint8_t	*signed_env;
	size_t		 signed_len;
};
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_inbox_fn(void *arg, const struct astore_inbox_row *r);

/* inbox_list's filters (see there); sender NULL: any. */
struct astore_inbox_filter {
	int64_t		 after_seq;
	int		 include_acked;
	int		 type;		/* 0: any */
	const char	*sender;
	int64_t		 since_ms;
	int		 state;		/* InboxState, 0: any */
	int64_t		 limit;
};
/* The rows after f->after_seq in local_seq order, filtered by f. */
int	astore_inbox_list(struct agent *a,
	    const struct astore_inbox_filter *f, astore_inbox_fn *fn,
	    void *arg) LSN_MUST_CHECK;
/* The row of msgid (fn called once); LSN_ENOENT. */
int	astore_inbox_get(struct agent *a, const uint8_t *msgid, size_t len,
	    astore_inbox_fn *fn, void *arg) LSN_MUST_CHECK;

#define ASTORE_INBOX_ACKED	1
#define ASTORE_INBOX_READ	2
#define ASTORE_INBOX_ACTIONED	3
/* Sets the acked, read or actioned flag of msgid; LSN_ENOENT. */
int	astore_inbox_mark(struct agent *a, const uint8_t *msgid, size_t len,
	    int what) LSN_MUST_CHECK;
/* A malloc'd copy of the signed envelope of msgid; LSN_ENOENT. */
int	astore_inbox_signed(struct agent *a, const uint8_t *msgid, size_t len,
	    uint8_t **buf, size_t *n) LSN_MUST_CHECK;

/* astore_outbox.c */

/* A malloc'd copy of the signed envelope of an outbox row; LSN_ENOENT. */
int	astore_outbox_signed(struct agent *a, const uint8_t *msgid,
	    uint8_t **buf, size_t *len) LSN_MUST_CHECK;

/*
 * The state, code and detail of an outbox row (state and detail cut to
 * their buffers; a NULL reads as ""); LSN_ENOENT.
 */
int	astore_outbox_state(struct agent *a, const uint8_t *msgid,
	    size_t len, char *state, size_t statesz, int *code, char *detail,
	    size_t detailsz) LSN_MUST_CHECK;
/* 'accepted' -> 'undeliverable' with code and detail. */
int	astore_outbox_undeliverable(struct agent *a, const uint8_t *msgid,
	    int code, const char *detail) LSN_MUST_CHECK;
/* Every 'pending' row -> 'rejected' with code and detail; *n: how many. */
int	astore_outbox_refuse_pending(struct agent *a, int code,
	    const char *detail, int64_t *n) LSN_MUST_CHECK;
/*
 * Back to 'pending' with detail, every 'accepted' row created at or
 * after since_ms; *n: how many.
 */
int	astore_outbox_republish(struct agent *a, const char *detail,
	    int64_t since_ms, int64_t *n) LSN_MUST_CHECK;

/* An outbox row, borrowed for the callback's time only. */
struct astore_outbox_row {
	int64_t		 oid;
	const uint8_t	*msgid;		/* LSN_MSGID_BYTES; NULL: other size */
	const uint8_t	*signed_env;	/* the SignedEnvelope; NULL-able */
	size_t		 signed_len;
	const char	*state;		/* NULL-able */
	int		 code;
	const char	*detail;	/* NULL-able */
	int64_t		 created_ms;
};
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_outbox_fn(void *arg, const struct astore_outbox_row *o);

/* The row of msgid (fn called once); LSN_ENOENT when there is none. */
int	astore_outbox_get(struct agent *a, const uint8_t *msgid, size_t len,
	    astore_outbox_fn *fn, void *arg) LSN_MUST_CHECK;
/* The rows with oid > after in oid order. */
int	astore_outbox_after(struct agent *a, int64_t after,
	    astore_outbox_fn *fn, void *arg) LSN_MUST_CHECK;

/*
 * Stores a composed message (msgid LSN_MSGID_BYTES, all borrowed) in
 * state with code and detail (NULL-able); a duplicate id is LSN_EDB.
 */
int	astore_outbox_add(struct agent *a, const uint8_t *msgid,
	    const uint8_t *signed_env, size_t len, const uint8_t *env_hash,
	    const char *state, int64_t created_ms, const char *recipients,
	    int code, const char *detail) LSN_MUST_CHECK;
/*
 * The envelope hash (lsn_envelope_hash) of our message msgid: the stored
 * one, or for a row from before the column the stored envelope's.
 * LSN_ENOENT when there is no such row.
 */
int	astore_outbox_env_hash(struct agent *a, const uint8_t *msgid,
	    uint8_t h[LSN_HASH_BYTES]) LSN_MUST_CHECK;
/*
 * A PublishAck for msgid: a 'pending' row gets state, code and detail,
 * but a 'rejected' answer to a re-publish (detail
 * OUTBOX_REPUBLISH_DETAIL) puts it back to 'accepted' with code 0; *n:
 * rows changed (0: not pending any more, or no such row).
 */
int	astore_outbox_ack(struct agent *a, const uint8_t *msgid, size_t len,
	    const char *state, int code, const char *detail, int64_t *n)
	    LSN_MUST_CHECK;
/*
 * The signed bytes of a row stored in this transaction with a placeholder
 * signature (outbox_sign.c); *n: rows changed (0: the row was rolled back
 * with its savepoint).
 */
int	astore_outbox_set_signed(struct agent *a, const uint8_t *msgid,
	    const uint8_t *signed_env, size_t len, int64_t *n) LSN_MUST_CHECK;
/* The lowest oid in state 'pending'; 0 when there is none. */
int	astore_outbox_low_pending(struct agent *a, int64_t *oid)
	    LSN_MUST_CHECK;
/* The numbers of rows in state 'pending' and 'rejected'. */
int	astore_outbox_counts(struct agent *a, int64_t *pending,
	    int64_t *rejected) LSN_MUST_CHECK;
/* The 'pending' rows with oid > after in oid order, at most limit. */
int	astore_outbox_pending(struct agent *a, int64_t after, int64_t limit,
	    astore_outbox_fn *fn, void *arg) LSN_MUST_CHECK;

/* astore_rcpt.c */

/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_receipt_fn(void *arg, const char *signer, int stage,
	    int64_t time_ms);
/* The receipts of our message msgid, in arrival order; signer NULL-able. */
int	astore_receipts_of(struct agent *a, const uint8_t *msgid,
	    astore_receipt_fn *fn, void *arg) LSN_MUST_CHECK;

/* A receipt row (INSERT OR IGNORE); srlen 0 keeps an empty `signed`. */
int	astore_rcpt_add(struct agent *a, const uint8_t *message_id,
	    int stage, const char *signer, int64_t time_ms,
	    const uint8_t *sr, size_t srlen, const uint8_t *carrier)
	    LSN_MUST_CHECK;
/* A batch receipt's bytes, once by carrier (INSERT OR IGNORE). */
int	astore_rcpt_signed_add(struct agent *a, const uint8_t *carrier,
	    const uint8_t *sr, size_t srlen) LSN_MUST_CHECK;
/* Records a receipt going out: *added 1 the first time, else 0. */
int	astore_rcpt_mark_sent(struct agent *a, const uint8_t *message_id,
	    int stage, int *added) LSN_MUST_CHECK;
/*
 * A malloc'd copy of the SignedEnvelope of msgid from the outbox (*ours
 * 1) or else the inbox (*ours 0; ours may be NULL); LSN_ENOENT.
 */
int	astore_signed_of(struct agent *a, const uint8_t *msgid,
	    uint8_t **bufp, size_t *lenp, int *ours) LSN_MUST_CHECK;
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_rcpt_fn(void *arg, const uint8_t *sr, size_t srlen,
	    const uint8_t *carrier);
/*
 * The signed receipts of msgid in arrival order (a batch's bytes from
 * receipt_signed), with their 16-byte carrier; all borrowed.
 */
int	astore_rcpt_signed_of(struct agent *a, const uint8_t *msgid,
	    astore_rcpt_fn *fn, void *arg) LSN_MUST_CHECK;
/*
 * The distinct message ids recorded in events for (kind, item id), but
 * except, in order of first appearance: at most max into ids, *np.
 */
int	astore_events_thread(struct agent *a, const char *kind,
	    const uint8_t *id, const uint8_t *except, uint8_t (*ids)[16],
	    size_t max, size_t *np) LSN_MUST_CHECK;

/* astore_track.c */

/* The message id (LSN_MSGID_BYTES) of a tracked item; LSN_ENOENT. */
int	astore_track_msgid(struct agent *a, const char *kind,
	    const uint8_t *item_id, const char *peer, uint8_t *msgid)
	    LSN_MUST_CHECK;

/* The row of (kind, item id, peer); LSN_ENOENT. */
int	astore_track_get(struct agent *a, const char *kind, const uint8_t *id,
	    const char *peer, char *role, size_t rolesz, int *state,
	    int *priority, int64_t *sent_ms, int64_t *deadline) LSN_MUST_CHECK;
int	astore_track_insert(struct agent *a, const char *kind,
	    const uint8_t *id, const char *peer, const char *role, int state,
	    int priority, int64_t sent_ms, int64_t deadline,
	    int64_t updated_ms, const uint8_t *msgid) LSN_MUST_CHECK;
/* Sets state; acked_ms too when acked and not acknowledged before. */
int	astore_track_update(struct agent *a, const char *kind,
	    const uint8_t *id, const char *peer, int state, int acked,
	    int64_t acked_ms, int64_t updated_ms) LSN_MUST_CHECK;
int	astore_track_set_escalated(struct agent *a, const char *kind,
	    const uint8_t *id, const char *peer) LSN_MUST_CHECK;

/*
 * The referral rid (LSN_BODY_ID_BYTES) that peer sent us: malloc'd
 * copies of its inbox message's SignedEnvelope and body (free both;
 * *blen 0: not opened); LSN_ENOENT when there is no such message.
 */
int	astore_referral_received(struct agent *a, const uint8_t *rid,
	    const char *peer, uint8_t **se, size_t *selen, uint8_t **body,
	    size_t *blen) LSN_MUST_CHECK;

/* A tracking row, borrowed for the callback's time only. */
struct astore_track_row {
	const char	*kind;
	const uint8_t	*item_id;	/* LSN_BODY_ID_BYTES */
	const char	*peer;
	const char	*role;		/* NULL in astore_track_due */
	int		 state;
	int		 priority;
	int64_t		 sent_ms;
	int64_t		 acked_ms;	/* 0 in astore_track_due */
	int64_t		 deadline;	/* 0 in astore_track_due */
	int		 escalated;
	int64_t		 updated_ms;
	const uint8_t	*msgid;		/* astore_track_open only; NULL-able */
	int64_t		 undeliverable_ms; /* astore_track_due only */
};
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_track_fn(void *arg, const struct astore_track_row *t);

/*
 * Every row of kind and item id (each NULL: any), newest sent first;
 * rows with a NULL text or a bad item id are skipped.
 */
int	astore_track_list(struct agent *a, const char *kind,
	    const uint8_t *item_id, size_t item_len, astore_track_fn *fn,
	    void *arg) LSN_MUST_CHECK;
/*
 * Open, unacknowledged sender rows of kind not escalated yet, past
 * deadline < now or marked undeliverable, alerts and priority-1 referrals
 * (at most 256).
 */
int	astore_track_due(struct agent *a, const char *kind, int64_t now,
	    astore_track_fn *fn, void *arg) LSN_MUST_CHECK;
/*
 * Marks our (sender) row of kind whose offer was message msgid to peer as
 * undeliverable at `when` (once): its item id in item_id; LSN_ENOENT when
 * no unmarked row matches.
 */
int	astore_track_set_undeliverable(struct agent *a, const char *kind,
	    const uint8_t *msgid, const char *peer, int64_t when,
	    uint8_t item_id[16]) LSN_MUST_CHECK;
/*
 * For the status page: referrals in states 1, 2, 3, 5 and unacknowledged
 * alerts, earliest deadline first (at most 500). Rows with a NULL kind
 * or a bad item id are skipped; peer and role may be NULL; no
 * sent_ms, escalated, updated_ms.
 */
int	astore_track_open(struct agent *a, astore_track_fn *fn, void *arg)
	    LSN_MUST_CHECK;

/* astore_meeting.c */

/* A meetings row, borrowed for the callback's time only. */
struct astore_meeting_row {
	const uint8_t	*meeting_id;	/* LSN_BODY_ID_BYTES */
	const char	*organiser;	/* NULL-able */
	const char	*role;		/* NULL-able */
	int64_t		 start_ms;
	int		 version;
};
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_meeting_fn(void *arg,
	    const struct astore_meeting_row *m);

/* Meetings not cancelled starting at or after now (at most 200). */
int	astore_meetings_upcoming(struct agent *a, int64_t now,
	    astore_meeting_fn *fn, void *arg) LSN_MUST_CHECK;

/* Our row of (meeting id, organiser): role, version, status; LSN_ENOENT. */
int	astore_meeting_get(struct agent *a, const uint8_t *mid,
	    const char *organiser, char *role, size_t rolesz,
	    int64_t *version, int *status) LSN_MUST_CHECK;
/* Inserts or updates (meeting id, organiser); notice: the body. */
int	astore_meeting_put(struct agent *a, const uint8_t *mid,
	    const char *organiser, const char *role, int64_t version,
	    int status, int64_t start_ms, int64_t updated_ms,
	    const uint8_t *notice, size_t len) LSN_MUST_CHECK;
/*
 * For meeting show: the row of meeting id (ours as organiser first),
 * with a malloc'd copy of its notice (NULL when empty or over
 * LSN_BODY_MAX); LSN_ENOENT.
 */
int	astore_meeting_show(struct agent *a, const uint8_t *mid, char *org,
	    size_t orgsz, char *role, size_t rolesz, int64_t *version,
	    int *status, uint8_t **notice, size_t *nlen) LSN_MUST_CHECK;
int	astore_invitee_add(struct agent *a, const uint8_t *mid,
	    const char *partner) LSN_MUST_CHECK;
int	astore_invitee_is(struct agent *a, const uint8_t *mid,
	    const char *partner, int *found) LSN_MUST_CHECK;
/* 0: next row; > 0: stop (LSN_OK); < 0: stop with this error. */
typedef int astore_name_fn(void *arg, const char *name);
/* The invitees of a meeting, sorted (NULL names skipped). */
int	astore_invitees(struct agent *a, const uint8_t *mid,
	    astore_name_fn *fn, void *arg) LSN_MUST_CHECK;
int	astore_rsvp_add(struct agent *a, const uint8_t *mid,
	    const char *partner, int64_t version, int answer, int64_t time_ms)
	    LSN_MUST_CHECK;
/* partner's latest RSVP to a meeting: *found 0 when there is none. */
int	astore_rsvp_latest(struct agent *a, const uint8_t *mid,
	    const char *partner, int *found, int *answer, int64_t *version)
	    LSN_MUST_CHECK;
typedef int astore_rsvp_fn(void *arg, const char *partner, int64_t version,
	    int answer, int64_t time_ms);
/* The RSVPs to a meeting in arrival order (NULL partners skipped). */
int	astore_rsvps(struct agent *a, const uint8_t *mid, astore_rsvp_fn *fn,
	    void *arg) LSN_MUST_CHECK;

#endif /* LIAISON_AGENT_ASTORE_H */
