/* broker.c -- liaison-broker: sockets, the loop, one transaction per turn,
 * signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/util.h"

#include "broker.h"
#include "leader.h"

static volatile sig_atomic_t	sig_term;
static volatile sig_atomic_t	sig_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_term = 1;
}

uint64_t
broker_now(const struct broker *b)
{
	return (lsn_clock_now(b->clock));
}

/*
 * The one place where a turn's transaction begins: on PostgreSQL it
 * first passes the leadership fence (leader.h), so that a broker that is
 * no longer the active one cannot commit anything.
 */
int
broker_tx(struct broker *b)
{
	int	rv;

	if (b->tx)
		return (b->tx_failed ? LSN_EDB : LSN_OK);
	if (b->indoubt)
		return (LSN_EDB);	/* stopping: nothing more is written */
	if (leader_lost(b))
		return (LSN_EDB);
	if ((rv = lsn_store_begin(b->st)) != LSN_OK) {
		log_warnx("store: cannot begin: %s", lsn_store_errmsg(b->st));
		leader_store_error(b, rv);
		return (rv == LSN_ECLOSED ? rv : LSN_EDB);
	}
	if ((rv = leader_fence(b)) != LSN_OK) {
		lsn_store_rollback(b->st);
		return (rv == LSN_ECLOSED ? rv : LSN_EDB);
	}
	b->tx = 1;
	b->tx_failed = 0;
	return (LSN_OK);
}

int
broker_tx_end(struct broker *b)
{
	int	rv = LSN_OK;

	if (!b->tx)
		return (LSN_OK);
	if (b->tx_failed)
		rv = LSN_EDB;
	else if ((rv = rcache_flush(b)) != LSN_OK)
		log_warnx("store: cannot write queue state: %s",
		    lsn_store_errmsg(b->st));
	else if ((rv = lsn_store_commit(b->st)) != LSN_OK)
		log_warnx("store: commit failed: %s", lsn_store_errmsg(b->st));
	if (rv != LSN_OK && lsn_store_in_doubt(b->st))
		bstore_in_doubt(b);
	if (rv != LSN_OK) {
		leader_store_error(b, rv);
		lsn_store_rollback(b->st);
		rcache_clear(b);
		/* Nothing of this turn happened: forget derived state. */
		free(b->cp);
		b->cp = NULL;
		b->cp_rev = 0;
		b->submitted_rev = b->pushed_rev;
		if (!b->indoubt)
			log_warnx("store: turn rolled back; its publishes "
			    "are answered E_DB");
	}
	b->tx = 0;
	b->tx_failed = 0;
	return (rv);
}

int
broker_open_state(struct broker *b)
{
	uint8_t		hash[LSN_DIR_HASH_BYTES];
	uint64_t	rev = 0;
	int		rv;

	(void) lsn_metrics_fsync_install();	/* before the first open */
	if (b->st == NULL && (rv = lsn_store_open(b->conf.db, broker_migrations,
	    LSN_STORE_OWNER | (b->db_init ? LSN_STORE_INIT : 0),
	    &b->st)) != LSN_OK) {
		log_warnx("cannot open database %s: %s", b->conf.db,
		    lsn_strerror(rv));
		return (rv);
	}
	if ((rv = lsn_dir_open(b->st, &b->dir)) != LSN_OK) {
		log_warnx("cannot open the directory: %s", lsn_strerror(rv));
		return (rv);
	}
	if ((rv = lsn_keypair_load(b->conf.sign_key, &b->seq_kp)) != LSN_OK) {
		log_warnx("sign_key %s: %s", b->conf.sign_key,
		    lsn_strerror(rv));
		return (rv);
	}
	if (b->seq_kp->kind != LSN_KEY_SIGN) {
		log_warnx("sign_key %s is not a sign key", b->conf.sign_key);
		return (LSN_EKEYFORMAT);
	}
	if ((rv = lsn_keypair_load(b->conf.transport_key,
	    &b->transport_kp)) != LSN_OK) {
		log_warnx("transport_key %s: %s", b->conf.transport_key,
		    lsn_strerror(rv));
		return (rv);
	}
	if (b->transport_kp->kind != LSN_KEY_TRANSPORT) {
		log_warnx("transport_key %s is not a transport key",
		    b->conf.transport_key);
		return (LSN_EKEYFORMAT);
	}
	if ((rv = baudit_head_open(b)) != LSN_OK)
		return (rv);
	if ((rv = lsn_dir_head(b->dir, &rev, hash)) != LSN_OK)
		return (rv);
	b->pushed_rev = b->submitted_rev = rev;
	if (rev > 0) {
		Liaison__V1__RootPolicy	*root = NULL;

		if (lsn_dir_root_get(b->dir, &root) == LSN_OK) {
			if (root->sequencer_key == NULL ||
			    !root->sequencer_key->has_public_key ||
			    root->sequencer_key->public_key.len !=
			    LSN_PK_BYTES ||
			    memcmp(root->sequencer_key->public_key.data,
			    b->seq_kp->pk, LSN_PK_BYTES) != 0)
				log_warnx("sign_key %s is not the root policy's "
				    "sequencer key: DirOps will carry no "
				    "checkpoint", b->conf.sign_key);
			liaison__v1__root_policy__free_unpacked(root, NULL);
		}
	}
	if (rev == 0)
		log_warnx("the directory is empty: every connection will be "
		    "refused until it has a genesis and partners");
	return (LSN_OK);
}

void
broker_close(struct broker *b)
{
	bmetrics_close(b);
	publish_close(b);
	baudit_head_close(b);
	vpool_close(&b->vp);
	limits_close(b);
	bdir_free(b);
	wire_flush(b, 0);
	free(b->out);
	b->out = NULL;
	b->capout = 0;
	free(b->sess);
	rcache_clear(b);
	b->sess = NULL;
	b->nsess = b->capsess = 0;
	free(b->cp);
	b->cp = NULL;
	if (b->router != NULL)
		zmq_close(b->router);
	if (b->control != NULL)
		zmq_close(b->control);
	b->control = NULL;
	if (b->zap != NULL)
		zmq_close(b->zap);
	b->router = b->zap = NULL;
	if (b->ctx != NULL)
		zmq_ctx_term(b->ctx);
	b->ctx = NULL;
	if (b->st != NULL && lsn_store_in_tx(b->st))
		lsn_store_rollback(b->st);
	lsn_dir_close(&b->dir);
	lsn_store_close(&b->st);	/* frees the leadership lock */
	leader_free(b);
	lsn_keypair_destroy(&b->seq_kp);
	lsn_keypair_destroy(&b->transport_kp);
}

/* ---- one frame ---- */

static void
pong(struct broker *b, const uint8_t *rid, size_t ridlen,
    const Liaison__V1__Ping *p)
{
	Liaison__V1__Frame	f;
	Liaison__V1__Pong	po;

	liaison__v1__pong__init(&po);
	po.has_nonce = p->has_nonce;
	po.nonce = p->nonce;
	po.has_time_ms = 1;
	po.time_ms = broker_now(b);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PONG;
	f.pong = &po;
	(void) wire_queue_frame(b, rid, ridlen, &f);
}

/* broker.h: the connection's key must still be the partner's current
 * transport key and the partner ACTIVE. */
int
broker_gate(struct broker *b, const char *partner, const uint8_t *tkey)
{
	char	owner[LSN_DIR_ID_MAX + 1];
	int	rv, st;

	if (tkey != NULL) {
		rv = bdir_transport_owner(b, tkey, broker_now(b), owner);
		if (rv == LSN_OK)
			return (strcmp(owner, partner) == 0 ? LSN_OK :
			    LSN_EKEYREVOKED);
		if (rv == LSN_ESUSPENDED || rv == LSN_EPREVOKED)
			return (rv);
		if (rv != LSN_ENOENT)
			return (LSN_EDB);
		/* The key is gone: report the partner's state if it changed. */
	}
	rv = bdir_partner_status(b, partner, &st);
	if (rv == LSN_ENOENT)
		return (LSN_EUNKNOWNSENDER);
	if (rv != LSN_OK)
		return (LSN_EDB);
	if (st == LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED)
		return (LSN_ESUSPENDED);
	if (st == LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED)
		return (LSN_EPREVOKED);
	if (st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (LSN_EUNKNOWNSENDER);
	return (tkey != NULL ? LSN_EKEYREVOKED : LSN_OK);
}

/* Over 80 lines: the connection gate, then one short case per frame kind
 * (protocol.md section 6), kept together so a reader sees every kind. */
void
broker_frame(struct broker *b, const char *partner, const uint8_t *tkey,
    const uint8_t *rid, size_t ridlen, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	*f = NULL;
	const uint8_t		*env;
	const char		*detail;
	size_t			 envlen;
	int			 code;

	/*
	 * Suspension, revocation and transport key changes take effect on
	 * the next frame.
	 */
	if ((code = broker_gate(b, partner, tkey)) != LSN_OK) {
		struct session	*ss = session_find(b, partner);

		/* This connection's session only: a newer one (new key) of
		 * the same partner stays; suspended partners lose every
		 * session in deliver_pump. */
		if (ss != NULL && ss->ridlen == ridlen &&
		    memcmp(ss->rid, rid, ridlen) == 0)
			session_drop(b, partner);
		if (lsn_log_ratelimit(partner, 10))
			log_auth("frame from %s refused: %s", partner,
			    lsn_errname(code));
		/* one aggregated audit row per peer and interval */
		if (code != LSN_EDB)
			limits_count(b, partner, LIM_FRAME, code);
		detail = outgate_reason(code);
		if (wire_publish_envelope(buf, len, &env, &envlen))
			publish_refuse(b, rid, ridlen, NULL, code, detail);
		else
			(void) wire_queue_error(b, rid, ridlen, code, detail);
		return;
	}
	if (wire_publish_envelope(buf, len, &env, &envlen)) {
		publish_one(b, partner, rid, ridlen, env, envlen);
		return;
	}
	if ((f = liaison__v1__frame__unpack(NULL, len, buf)) == NULL) {
		if (lsn_log_ratelimit(partner, 10))
			log_info("frame from %s: malformed (%zu bytes)",
			    partner, len);
		(void) wire_queue_error(b, rid, ridlen, LSN_EPROTO,
		    "malformed frame");
		return;
	}
	switch (f->kind_case) {
	case LIAISON__V1__FRAME__KIND_HELLO:
		(void) deliver_hello(b, partner, tkey, rid, ridlen,
		    f->hello);
		break;
	case LIAISON__V1__FRAME__KIND_PUBLISH:
		/* A Publish that is not exactly {envelope}: refuse. */
		(void) wire_queue_error(b, rid, ridlen, LSN_EPROTO,
		    "publish must carry exactly one envelope");
		break;
	case LIAISON__V1__FRAME__KIND_DELIVER_ACK:
		if (deliver_ack(b, partner, rid, ridlen, f->deliver_ack) ==
		    LSN_EINVAL)
			(void) wire_queue_error(b, rid, ridlen, LSN_EINVAL,
			    "deliver ack without seq");
		break;
	case LIAISON__V1__FRAME__KIND_DIR_SYNC:
		(void) dirsvc_sync(b, rid, ridlen, f->dir_sync);
		break;
	case LIAISON__V1__FRAME__KIND_DIR_SUBMIT:
		(void) dirsvc_submit(b, partner, rid, ridlen, f->dir_submit);
		break;
	case LIAISON__V1__FRAME__KIND_PING:
		pong(b, rid, ridlen, f->ping);
		break;
	case LIAISON__V1__FRAME__KIND_PONG:
		break;
	case LIAISON__V1__FRAME__KIND_ERROR:
		if (lsn_log_ratelimit(partner, 10))
			log_info("error from %s: %s %s", partner,
			    lsn_errname(lsn_err_from_wire(f->error->has_code ?
			    (int) f->error->code : 0)),
			    f->error->detail != NULL ? "(with detail)" : "");
		break;
	default:
		(void) wire_queue_error(b, rid, ridlen, LSN_EPROTO,
		    "unexpected frame");
		break;
	}
	liaison__v1__frame__free_unpacked(f, NULL);
}

/* ---- sockets ---- */

static int
write_endpoint(struct broker *b)
{
	char	ep[256];
	size_t	sz = sizeof(ep);
	int	rv;

	if (zmq_getsockopt(b->router, ZMQ_LAST_ENDPOINT, ep, &sz) == -1) {
		log_warnx("cannot read the bound endpoint: %s",
		    zmq_strerror(zmq_errno()));
		return (LSN_EIO);
	}
	ep[sizeof(ep) - 1] = '\0';
	log_info("listening on %s", ep);
	if (b->conf.endpoint_file[0] == '\0')
		return (LSN_OK);
	sz = strlen(ep);
	ep[sz++] = '\n';
	if ((rv = lsn_file_write_atomic(b->conf.endpoint_file, ep, sz,
	    0644)) != LSN_OK)
		log_warnx("cannot write %s: %s", b->conf.endpoint_file,
		    lsn_strerror(rv));
	return (rv);
}

static int
open_sockets(struct broker *b)
{
	char	sec[LSN_Z85_KEYLEN + 1];
	int	one = 1, zero = 0, hwm = (int) b->conf.hwm;
	int	ivl = (int) b->conf.heartbeat_ms, tmo = 3 * ivl;
	/* ZMTP carries the TTL in deciseconds in 16 bits. */
	int	ttl = tmo > 6553500 ? 6553500 : tmo;
	int64_t	maxsz = b->conf.max_msg_bytes + 4096;

	if ((b->ctx = zmq_ctx_new()) == NULL)
		return (LSN_EIO);
	/* ZAP first, so no connection is ever accepted unauthenticated. */
	if ((b->zap = zmq_socket(b->ctx, ZMQ_REP)) == NULL ||
	    zmq_setsockopt(b->zap, ZMQ_LINGER, &zero, sizeof(zero)) == -1 ||
	    zmq_bind(b->zap, "inproc://zeromq.zap.01") == -1) {
		log_warnx("zap: %s", zmq_strerror(zmq_errno()));
		return (LSN_EIO);
	}
	if (lsn_key_z85(b->transport_kp->sk, sec) != LSN_OK)
		return (LSN_EINTERNAL);
	b->router = zmq_socket(b->ctx, ZMQ_ROUTER);
	if (b->router == NULL ||
	    zmq_setsockopt(b->router, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
	    zmq_setsockopt(b->router, ZMQ_CURVE_SECRETKEY, sec,
	    LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(b->router, ZMQ_ZAP_DOMAIN, "liaison", 7) ||
	    zmq_setsockopt(b->router, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz)) ||
	    zmq_setsockopt(b->router, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
	    zmq_setsockopt(b->router, ZMQ_RCVHWM, &hwm, sizeof(hwm)) ||
	    zmq_setsockopt(b->router, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl)) ||
	    zmq_setsockopt(b->router, ZMQ_HEARTBEAT_TIMEOUT, &tmo,
	    sizeof(tmo)) ||
	    zmq_setsockopt(b->router, ZMQ_HEARTBEAT_TTL, &ttl, sizeof(ttl)) ||
	    zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &one,
	    sizeof(one)) ||
	    zmq_setsockopt(b->router, ZMQ_LINGER, &zero, sizeof(zero))) {
		sodium_memzero(sec, sizeof(sec));
		log_warnx("router: %s", zmq_strerror(zmq_errno()));
		return (LSN_EIO);
	}
	sodium_memzero(sec, sizeof(sec));
	if (zmq_bind(b->router, b->conf.listen) == -1) {
		log_warnx("cannot listen on %s: %s", b->conf.listen,
		    zmq_strerror(zmq_errno()));
		return (LSN_EIO);
	}
	return (write_endpoint(b));
}

/* Reads up to BROKER_BATCH peer frames without blocking. */
static void
drain_frames(struct broker *b)
{
	for (int i = 0; i < BROKER_BATCH; i++) {
		zmq_msg_t	 id, msg;
		const char	*uid, *tk;
		const uint8_t	*env;
		size_t		 envlen;
		char		 partner[LSN_DIR_ID_MAX + 1];
		uint8_t		 tkey[LSN_PK_BYTES];
		int		 more;

		zmq_msg_init(&id);
		if (zmq_msg_recv(&id, b->router, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&id);
			return;
		}
		if (!zmq_msg_more(&id)) {
			zmq_msg_close(&id);
			continue;
		}
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, b->router, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&msg);
			zmq_msg_close(&id);
			return;
		}
		more = zmq_msg_more(&msg);
		uid = zmq_msg_gets(&msg, "User-Id");
		tk = zmq_msg_gets(&msg, ZAP_KEY_PROP);
		if (tk == NULL || strlen(tk) != 2 * LSN_PK_BYTES ||
		    lsn_hex_decode(tk, tkey, sizeof(tkey)) != LSN_OK)
			uid = NULL;	/* every accepted peer has it */
		if (uid == NULL || lsn_strlcpy(partner, uid, sizeof(partner)) >=
		    sizeof(partner) || !lsn_slug_valid(partner)) {
			log_auth("frame without a valid User-Id dropped");
		} else if (more) {
			/* A DEALER sends exactly one frame per message. */
			publish_flush(b);
			(void) wire_queue_error(b, zmq_msg_data(&id),
			    zmq_msg_size(&id), LSN_EPROTO,
			    "one frame per message");
		} else if (limits_frame(b, partner, zmq_msg_size(&msg),
		    wire_publish_envelope(zmq_msg_data(&msg),
		    zmq_msg_size(&msg), &env, &envlen)) != LSN_OK) {
			publish_flush(b);
			limits_refuse(b, zmq_msg_data(&id), zmq_msg_size(&id),
			    zmq_msg_data(&msg), zmq_msg_size(&msg));
		} else if (b->pend != NULL && zmq_msg_size(&id) <=
		    BROKER_RID_MAX && wire_publish_envelope(zmq_msg_data(&msg),
		    zmq_msg_size(&msg), &env, &envlen) &&
		    (b->npend > 0 || (bdir_memo(b, 1), 1)) &&
		    broker_gate(b, partner, tkey) == LSN_OK)
			publish_add(b, partner, zmq_msg_data(&id),
			    zmq_msg_size(&id), &msg);
		else {
			/* A DeliverAck touches only its sender's queue rows:
			 * the publishes before it need not be finished first,
			 * so a recipient's acks do not cut a sender's run. */
			if (!wire_is_deliver_ack(zmq_msg_data(&msg),
			    zmq_msg_size(&msg)))
				publish_flush(b);
			broker_frame(b, partner, tkey, zmq_msg_data(&id),
			    zmq_msg_size(&id), zmq_msg_data(&msg),
			    zmq_msg_size(&msg));
		}
		while (more) {
			zmq_msg_close(&msg);
			zmq_msg_init(&msg);
			if (zmq_msg_recv(&msg, b->router, ZMQ_DONTWAIT) == -1)
				break;
			more = zmq_msg_more(&msg);
		}
		zmq_msg_close(&msg);
		zmq_msg_close(&id);
	}
}

static void
drain_router(struct broker *b)
{
	drain_frames(b);
	publish_flush(b);
}

int
broker_stopping(void)
{
	return (sig_term != 0);
}

void
broker_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGTERM, &sa, NULL);
	(void) sigaction(SIGINT, &sa, NULL);
	(void) sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void) sigaction(SIGPIPE, &sa, NULL);
}

/* Over 80 lines: the turn's steps in their order (drain, commit, answers,
 * audit head, pushes, pump, control, leadership) read best in one place. */
int
broker_run(struct broker *b)
{
	int	rv = LSN_OK;

	broker_signals();
	b->started_mono = lsn_mono_ms();
	/* On PostgreSQL the store's epoch: the same for every broker of
	 * the store, so that a failover is not a restore (leader.h). */
	if (!leader_store_epoch(b, b->epoch))
		randombytes_buf(b->epoch, sizeof(b->epoch));
	if ((rv = open_sockets(b)) != LSN_OK ||
	    (rv = control_open(b)) != LSN_OK ||
	    (rv = bmetrics_open(b)) != LSN_OK)
		return (rv);
	if ((rv = vpool_open((int) b->conf.verify_threads, &b->vp)) !=
	    LSN_OK) {
		log_warnx("cannot start %lld verification thread(s): %s",
		    b->conf.verify_threads, lsn_strerror(rv));
		return (rv);
	}
	if ((rv = publish_open(b)) != LSN_OK)
		return (rv);
	if (b->lim == NULL && (rv = limits_open(b)) != LSN_OK)
		return (rv);
	b->next_expiry_ms = lsn_mono_ms() + (uint64_t) b->conf.expiry_check_ms;
	log_info("%s %s started", BROKER_NAME, LSN_VERSION);

	while (!sig_term) {
		zmq_pollitem_t	pi[3] = {
			{ .socket = b->zap, .events = ZMQ_POLLIN },
			{ .socket = b->router, .events = ZMQ_POLLIN },
			{ .socket = b->control, .events = ZMQ_POLLIN },
		};
		uint64_t	mono = lsn_mono_ms();
		long		tmo;
		int		committed, busy;

		if (sig_hup) {
			sig_hup = 0;
			bconf_reload(b);
		}
		tmo = b->next_expiry_ms > mono ?
		    (long) (b->next_expiry_ms - mono) : 0;
		if (tmo > 1000)
			tmo = 1000;
		/* the session ping round (wire.c) runs once per turn */
		if (tmo > (long) b->conf.heartbeat_ms)
			tmo = (long) b->conf.heartbeat_ms;
		busy = 0;
		for (size_t i = 0; i < b->nsess; i++)
			if (b->sess[i].pump)
				busy = 1;
		if (busy && tmo > 10)
			tmo = 10;	/* a send queue was full: retry soon */
		if (zmq_poll(pi, b->control != NULL ? 3 : 2, tmo) == -1) {
			if (zmq_errno() == EINTR)
				continue;
			log_warnx("poll: %s", zmq_strerror(zmq_errno()));
			rv = LSN_EIO;
			break;
		}
		/* One turn: ZAP, frames, expiry; one commit; then output. */
		zap_serve(b);
		drain_router(b);
		if (lsn_mono_ms() >= b->next_expiry_ms) {
			size_t	n = 0;

			(void) deliver_expire(b, broker_now(b), &n);
			(void) deliver_prune(b, broker_now(b), &n);
			b->next_expiry_ms = lsn_mono_ms() +
			    (uint64_t) b->conf.expiry_check_ms;
		}
		limits_tick(b, 0);
		{
			int	had_tx = b->tx;
			double	t0 = bmetrics_clock();

			committed = broker_tx_end(b) == LSN_OK;
			if (had_tx && committed)
				bmetrics_commit(b, bmetrics_clock() - t0);
		}
		wire_flush(b, committed);
		if (b->indoubt) {
			rv = LSN_EDB;
			break;
		}
		if (committed)
			baudit_head_write(b, 0);
		if (committed)
			dirsvc_push(b);
		deliver_pump(b);
		if (b->indoubt) {
			rv = LSN_EDB;
			break;
		}
		control_serve(b);
		bmetrics_tick(b);
		leader_tick(b);
		if (leader_lost(b)) {
			leader_step_down(b);
			return (LSN_ENOTACTIVE);
		}
	}
	if (!b->indoubt) {
		/* the refusals of the last, unfinished interval */
		limits_tick(b, 1);
		(void) broker_tx_end(b);
		baudit_head_write(b, 1);
	}
	log_info("%s stopping (accepted %llu, refused %llu, delivered %llu)",
	    BROKER_NAME, (unsigned long long) b->stat_accepted,
	    (unsigned long long) b->stat_refused,
	    (unsigned long long) b->stat_delivered);
	return (rv);
}
