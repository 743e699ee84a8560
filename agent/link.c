/*
 * link.c -- the connection to the broker: a DEALER with CURVE, a socket
 * monitor to learn about (re)connections, Hello after every handshake,
 * Ping/Pong, dead-peer detection and reconnects with backoff and jitter,
 * and the dispatch of incoming frames.
 *
 * Dead peer: the broker must answer within dead_after_ms. last_heard is
 * the time of the last frame that only comes back in answer to one of
 * ours (Welcome, Pong, PublishAck, DirSubmitAck), so a link that still
 * carries the broker's Delivers and Pings but loses ours (a one-way cut)
 * is noticed too. ZMTP heartbeats (interval ping_ms, timeout
 * dead_after_ms) and a handshake timeout of dead_after_ms cover the
 * transport; libzmq then reports a disconnection.
 *
 * Reconnects: every disconnection, handshake failure or timeout closes
 * the socket (link_reset) and opens a new one after the backoff plus
 * 0..50% jitter; the backoff doubles up to reconnect_max_ms and falls
 * back to reconnect_min_ms only when the broker answered Hello. Once the
 * broker refused this agency (link_refused, a refused handshake) the cap
 * is AGENT_REFUSED_BACKOFF_MAX_MS instead. (libzmq's
 * own reconnect starts over at its first interval after every accepted
 * TCP connection, so a peer or middlebox that accepts and then drops
 * would otherwise be retried at the minimum rate forever.)
 *
 * Several endpoints ([agent] broker lists brokers that share one store,
 * one of them active; docs/operations.md): every reset moves to the next
 * endpoint in the list (link_rotate). While fewer endpoints failed since
 * the last Welcome than there are, the next one is tried after
 * reconnect_min_ms (plus jitter) and the backoff is left alone; after a
 * full round of failures the backoff above applies. A refused connection
 * (CONNECT_RETRIED), no session (Welcome) within dead_after_ms of opening
 * the socket, and a broker that answers Hello with E_NOT_ACTIVE (a
 * standby) count as failures, so a dead or standby broker is left at once. The outbox, the delivery
 * cursor and the directory replica live in the database and are not
 * touched: the next broker gets the same Hello. With one endpoint
 * nothing of this applies and libzmq retries a refused connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

static int
setopt_int(void *s, int opt, int v)
{
	return (zmq_setsockopt(s, opt, &v, sizeof(v)));
}

/*
 * Creates the DEALER and its monitor and connects. The socket is created
 * again after link_reset() (dead peer, configuration change).
 */
int
link_open(struct agent *a)
{
	char		 spk[LSN_Z85_KEYLEN + 1], ssk[LSN_Z85_KEYLEN + 1];
	char		 bpk[LSN_Z85_KEYLEN + 1];
	void		*d = NULL, *m = NULL;
	int64_t		 maxsz = AGENT_FRAME_MAX;
	int		 rv = LSN_EINTERNAL;
	int		 hb, ttl;

	if (lsn_key_z85(a->transport_kp->pk, spk) != LSN_OK ||
	    lsn_key_z85(a->transport_kp->sk, ssk) != LSN_OK ||
	    lsn_key_z85(a->broker_pk, bpk) != LSN_OK)
		goto out;
	if ((d = zmq_socket(a->zctx, ZMQ_DEALER)) == NULL)
		goto out;
	hb = (int) a->conf.ping_ms;
	/* ZMTP carries the TTL in deciseconds in 16 bits */
	ttl = a->conf.dead_after_ms > 6553500 ? 6553500 :
	    (int) a->conf.dead_after_ms;
	if (zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, bpk, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, spk, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, ssk, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(d, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz)) ||
	    setopt_int(d, ZMQ_SNDHWM, 4096) ||
	    setopt_int(d, ZMQ_RCVHWM, 4096) ||
	    setopt_int(d, ZMQ_LINGER, 0) ||
	    setopt_int(d, ZMQ_IMMEDIATE, 1) ||
	    setopt_int(d, ZMQ_HEARTBEAT_IVL, hb) ||
	    setopt_int(d, ZMQ_HEARTBEAT_TIMEOUT, (int) a->conf.dead_after_ms) ||
	    setopt_int(d, ZMQ_HEARTBEAT_TTL, ttl) ||
	    setopt_int(d, ZMQ_HANDSHAKE_IVL, (int) a->conf.dead_after_ms) ||
	    setopt_int(d, ZMQ_RECONNECT_IVL, (int) a->conf.reconnect_min_ms) ||
	    setopt_int(d, ZMQ_RECONNECT_IVL_MAX,
	    (int) a->conf.reconnect_max_ms)) {
		log_warnx("%s: socket options: %s", __func__,
		    zmq_strerror(errno));
		goto out;
	}
	sodium_memzero(ssk, sizeof(ssk));
	snprintf(a->mon_ep_buf, sizeof(a->mon_ep_buf),
	    "inproc://agent-monitor-%u", a->mon_gen++);
	if (zmq_socket_monitor(d, a->mon_ep_buf,
	    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
	    (a->conf.nbrokers > 1 ? ZMQ_EVENT_CONNECT_RETRIED : 0)) != 0)
		goto out;
	if ((m = zmq_socket(a->zctx, ZMQ_PAIR)) == NULL ||
	    setopt_int(m, ZMQ_LINGER, 0) != 0 ||
	    zmq_connect(m, a->mon_ep_buf) != 0)
		goto out;
	if (a->broker_idx >= a->conf.nbrokers)
		a->broker_idx = 0;
	if (zmq_connect(d, a->conf.brokers[a->broker_idx]) != 0) {
		log_warnx("%s: connect %s: %s", __func__,
		    a->conf.brokers[a->broker_idx], zmq_strerror(errno));
		goto out;
	}
	a->link_opened = lsn_mono_ms();
	a->dealer = d;
	a->mon = m;
	d = m = NULL;
	a->handshaken = 0;
	a->connected = 0;
	a->reopen_at = 0;
	rv = LSN_OK;
 out:
	sodium_memzero(ssk, sizeof(ssk));
	if (m != NULL)
		zmq_close(m);
	if (d != NULL) {
		zmq_socket_monitor(d, NULL, 0);
		zmq_close(d);
	}
	return (rv);
}

void
link_close(struct agent *a)
{
	if (a->dealer != NULL) {
		zmq_socket_monitor(a->dealer, NULL, 0);
		zmq_close(a->dealer);
		a->dealer = NULL;
	}
	if (a->mon != NULL) {
		zmq_close(a->mon);
		a->mon = NULL;
	}
	a->handshaken = 0;
	a->connected = 0;
	a->syncing = 0;
}

static void
lost_session(struct agent *a)
{
	a->connected = 0;
	a->syncing = 0;
	a->ob_pass = 0;
	for (size_t i = 0; i < a->ndeferred; i++)
		free(a->deferred[i].buf);
	a->ndeferred = 0;
	api_fail_dirsubs(a, LSN_ECLOSED, "connection to the broker lost");
}

/*
 * Moves to the next broker endpoint (see the top of this file). Returns 1
 * when a round of endpoints failed and the backoff applies, 0 when the
 * next endpoint is to be tried after reconnect_min_ms. One log line per
 * switch, rate-limited.
 */
static int
link_rotate(struct agent *a, const char *why)
{
	size_t	from = a->broker_idx;

	if (a->conf.nbrokers < 2)
		return (1);
	a->broker_idx = (from + 1) % a->conf.nbrokers;
	a->broker_switches++;
	if (lsn_log_ratelimit("broker-switch", 10))
		log_warnx("broker %s: %s; switching to %s",
		    a->conf.brokers[from], why,
		    a->conf.brokers[a->broker_idx]);
	if (++a->broker_fails < a->conf.nbrokers)
		return (0);
	a->broker_fails = 0;
	return (1);
}

/*
 * Closes the socket and schedules a new one after the backoff plus a
 * random 0..50% extra; the backoff doubles up to reconnect_max_ms. With
 * several endpoints the next one, within a round after reconnect_min_ms.
 */
void
link_reset(struct agent *a, const char *why)
{
	uint64_t	delay, jitter = 0;
	uint32_t	r;
	int		full;

	log_info("link reset: %s", why);
	lost_session(a);
	link_close(a);
	full = link_rotate(a, why);
	delay = full ? a->backoff_ms : (uint64_t) a->conf.reconnect_min_ms;
	if (delay / 2 > 0) {
		lsn_random(&r, sizeof(r));
		jitter = r % (delay / 2 + 1);
	}
	a->reopen_at = lsn_mono_ms() + delay + jitter;
	if (!full)
		return;
	a->backoff_ms *= 2;
	if (a->refused_code == 0 && !a->refused_auth &&
	    a->backoff_ms > (uint64_t) a->conf.reconnect_max_ms)
		a->backoff_ms = (uint64_t) a->conf.reconnect_max_ms;
	if (a->backoff_ms > AGENT_REFUSED_BACKOFF_MAX_MS)
		a->backoff_ms = AGENT_REFUSED_BACKOFF_MAX_MS;
}

/*
 * The broker refused this agency: we are revoked or suspended, or our
 * transport key was rotated or revoked. Nothing will be accepted until an
 * administrator acts, so retrying at the normal rate only loads the
 * broker: the backoff starts at twice reconnect_max_ms and doubles up to
 * AGENT_REFUSED_BACKOFF_MAX_MS. Pending outbox rows turn 'rejected' with
 * the code; `liaison status` shows "refused: <reason>".
 */
static void
link_refused(struct agent *a, int code, const char *detail)
{
	const char	*why;
	uint64_t	 floor = 2 * (uint64_t) a->conf.reconnect_max_ms;

	why = code == LSN_EPREVOKED ? "revoked" :
	    code == LSN_ESUSPENDED ? "suspended" :
	    code == LSN_EKEYREVOKED ? "key rotated" : "not a member";
	a->refused_code = code;
	snprintf(a->link_error, sizeof(a->link_error), "refused: %s (%s: "
	    "%.160s)", why, lsn_errname(code), detail != NULL ? detail : "");
	if (lsn_log_ratelimit("broker-refused", 10))
		log_warnx("the broker refused this agency: %s", a->link_error);
	if (outbox_refuse_pending(a, code, a->link_error) != LSN_OK)
		a->tx_failed = 1;
	if (a->backoff_ms < floor)
		a->backoff_ms = floor;
	link_reset(a, "refused by the broker");
}

/* 1 if code says the broker will not serve this agency any more. */
static int
refusal_code(int code)
{
	return (code == LSN_EPREVOKED || code == LSN_ESUSPENDED ||
	    code == LSN_EKEYREVOKED || code == LSN_EUNKNOWNSENDER);
}

/* Sends one frame (non-blocking). LSN_EAGAIN when not connected. */
int
link_send(struct agent *a, const Liaison__V1__Frame *f)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rv;

	if (a->dealer == NULL || !a->handshaken)
		return (LSN_EAGAIN);
	len = liaison__v1__frame__get_packed_size(f);
	if (len > AGENT_FRAME_MAX)
		return (LSN_ETOOBIG);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__frame__pack(f, buf);
	if (zmq_send(a->dealer, buf, len, ZMQ_DONTWAIT) < 0) {
		rv = errno == EAGAIN ? LSN_EAGAIN : LSN_EIO;
		if (rv != LSN_EAGAIN)
			log_warnx("%s: %s", __func__, zmq_strerror(errno));
	} else
		rv = LSN_OK;
	free(buf);
	return (rv);
}

static void
send_hello(struct agent *a)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Hello	h = LIAISON__V1__HELLO__INIT;
	Liaison__V1__DirHead	dh = LIAISON__V1__DIR_HEAD__INIT;
	uint8_t			hash[LSN_DIR_HASH_BYTES];
	uint64_t		rev;

	if (lsn_dir_head(a->dir, &rev, hash) != LSN_OK) {
		link_reset(a, "cannot read the directory head");
		return;
	}
	h.has_protocol_version = 1;
	h.protocol_version = 1;
	h.partner = a->conf.partner;
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	h.dir_head = &dh;
	h.has_delivery_cursor = 1;
	h.delivery_cursor = a->cursor;
	h.agent_version = (char *) LSN_VERSION;
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	if (link_send(a, &f) != LSN_OK)
		log_warnx("%s: cannot send Hello", __func__);
	else
		log_debug("hello sent: rev %llu cursor %llu",
		    (unsigned long long) rev, (unsigned long long) a->cursor);
}

void
link_on_monitor(struct agent *a)
{
	zmq_msg_t	m;
	uint16_t	ev;
	int		more, n = 0;

	while (a->mon != NULL && n++ < 64) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, a->mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		ev = 0;
		if (zmq_msg_size(&m) >= 6)
			memcpy(&ev, zmq_msg_data(&m), sizeof(ev));
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
		while (more) {	/* endpoint frame */
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, a->mon, 0) < 0) {
				zmq_msg_close(&m);
				return;
			}
			more = zmq_msg_more(&m);
			zmq_msg_close(&m);
		}
		switch (ev) {
		case ZMQ_EVENT_CONNECT_RETRIED:
			/* only asked for with several endpoints: this one
			 * refused the connection; try the next. Closes
			 * a->mon: the loop ends. */
			link_reset(a, "connection refused");
			break;
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
			log_info("connected to broker %s",
			    a->conf.brokers[a->broker_idx]);
			lost_session(a);
			a->handshaken = 1;
			a->link_error[0] = '\0';
			a->last_heard = lsn_mono_ms();
			a->next_ping = a->last_heard + a->conf.ping_ms;
			send_hello(a);
			break;
		case ZMQ_EVENT_DISCONNECTED:
			/* Reconnect on our backoff, not libzmq's (see the
			 * top of this file). Closes a->mon: the loop ends. */
			link_reset(a, a->handshaken ? "disconnected from "
			    "broker" : "connection lost before the handshake "
			    "completed");
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
			if (a->refused_code == 0)
				snprintf(a->link_error, sizeof(a->link_error),
				    "broker refused our transport key");
			if (lsn_log_ratelimit("link-handshake", 10))
				log_auth("broker refused our transport key");
			/* libzmq would retry at its first interval after
			 * every refused handshake: back off ourselves.
			 * Closes a->mon: the loop ends. */
			if (!a->refused_auth && a->backoff_ms <
			    2 * (uint64_t) a->conf.reconnect_max_ms)
				a->backoff_ms = 2 *
				    (uint64_t) a->conf.reconnect_max_ms;
			a->refused_auth = 1;
			link_reset(a, "handshake refused by the broker");
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
			/* Also a connection lost or timed out during the
			 * handshake; a wrong broker key looks the same. */
			snprintf(a->link_error, sizeof(a->link_error),
			    "handshake with the broker failed");
			if (lsn_log_ratelimit("link-handshake", 10))
				log_auth("handshake with broker failed (wrong "
				    "broker key, or the connection was lost)");
			break;
		default:
			break;
		}
	}
}

static void
on_welcome(struct agent *a, const Liaison__V1__Welcome *w)
{
	int	rv;

	if (!w->has_protocol_version || w->protocol_version != 1) {
		link_reset(a, "broker speaks another protocol version");
		return;
	}
	if (w->partner != NULL && strcmp(w->partner, a->conf.partner) != 0)
		log_warnx("broker authenticated us as %s, configured as %s",
		    w->partner, a->conf.partner);
	a->connected = 1;
	a->last_heard = lsn_mono_ms();
	a->backoff_ms = (uint64_t) a->conf.reconnect_min_ms;
	a->broker_fails = 0;
	if (a->refused_code != 0 || a->refused_auth)
		log_info("the broker accepts this agency again");
	a->refused_code = 0;
	a->refused_auth = 0;
	a->link_error[0] = '\0';
	a->last_connected_ms = lsn_now_ms();
	log_info("session established with %s (broker cursor %llu, ours "
	    "%llu)", a->conf.brokers[a->broker_idx],
	    (unsigned long long) w->delivery_cursor,
	    (unsigned long long) a->cursor);
	if ((rv = resync_check(a, w)) != LSN_OK) {
		/* the turn is rolled back; the next Welcome tries again */
		log_warnx("cannot record the broker's epoch: %s",
		    lsn_strerror(rv));
		a->tx_failed = 1;
	}
	replica_on_welcome(a, w->dir_head);
	outbox_start_pass(a);
}

static void
on_error(struct agent *a, const Liaison__V1__Error *e)
{
	int	code = lsn_err_from_wire(e->has_code ? (int) e->code : 4);

	if (refusal_code(code)) {
		link_refused(a, code, e->detail);
		return;
	}
	if (code == LSN_ENOTACTIVE) {
		/* a standby of a deployment with several brokers: the
		 * next endpoint at once, the backoff untouched */
		snprintf(a->link_error, sizeof(a->link_error), "%s is not "
		    "the active broker", a->conf.brokers[a->broker_idx]);
		link_reset(a, "not the active broker");
		return;
	}
	snprintf(a->link_error, sizeof(a->link_error), "%s: %.200s",
	    lsn_errname(code), e->detail != NULL ? e->detail : "");
	if (lsn_log_ratelimit("broker-error", 10))
		log_warnx("broker error %s: %s", lsn_errname(code),
		    e->detail != NULL ? e->detail : "");
}

static void
on_ping(struct agent *a, const Liaison__V1__Ping *p)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Pong	po = LIAISON__V1__PONG__INIT;

	po.has_nonce = p->has_nonce;
	po.nonce = p->nonce;
	po.has_time_ms = 1;
	po.time_ms = lsn_now_ms();
	f.kind_case = LIAISON__V1__FRAME__KIND_PONG;
	f.pong = &po;
	(void) link_send(a, &f);
}

/*
 * Handles one serialized Frame from the broker. Called inside the turn's
 * transaction. Returns LSN_OK or an error for a malformed frame (logged;
 * the frame is dropped).
 */
int
link_dispatch(struct agent *a, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	*f;
	int			 rv = LSN_OK;

	if ((f = liaison__v1__frame__unpack(NULL, len, buf)) == NULL) {
		if (lsn_log_ratelimit("broker-frame", 10))
			log_warnx("unparseable frame from broker (%zu bytes)",
			    len);
		return (LSN_EPROTO);
	}
	switch (f->kind_case) {
	case LIAISON__V1__FRAME__KIND_WELCOME:
		on_welcome(a, f->welcome);
		break;
	case LIAISON__V1__FRAME__KIND_PUBLISH_ACK:
		a->last_heard = lsn_mono_ms();
		rv = outbox_on_ack(a, f->publish_ack);
		break;
	case LIAISON__V1__FRAME__KIND_DELIVER:
		if (a->syncing) {
			/* Hold it until the replica caught up, so a new
			 * partner's or key's message is not refused. */
			if (a->ndeferred < AGENT_DEFERRED_MAX &&
			    (a->deferred[a->ndeferred].buf = malloc(len)) !=
			    NULL) {
				memcpy(a->deferred[a->ndeferred].buf, buf,
				    len);
				a->deferred[a->ndeferred++].len = len;
			} else
				a->tx_failed = 1;
			break;
		}
		rv = inbox_on_deliver(a, f->deliver);
		break;
	case LIAISON__V1__FRAME__KIND_DIR_OPS:
		rv = replica_on_ops(a, f->dir_ops);
		break;
	case LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK:
		a->last_heard = lsn_mono_ms();
		api_on_dirsubmit_ack(a, f->dir_submit_ack);
		break;
	case LIAISON__V1__FRAME__KIND_PING:
		on_ping(a, f->ping);
		break;
	case LIAISON__V1__FRAME__KIND_PONG:
		/* A round trip: the broker hears us. */
		a->last_heard = lsn_mono_ms();
		break;
	case LIAISON__V1__FRAME__KIND_ERROR:
		on_error(a, f->error);
		break;
	default:
		if (lsn_log_ratelimit("broker-frame", 10))
			log_warnx("unexpected frame kind %d from broker",
			    (int) f->kind_case);
		rv = LSN_EPROTO;
		break;
	}
	liaison__v1__frame__free_unpacked(f, NULL);
	return (rv);
}

/* Drains up to AGENT_FRAMES_PER_TURN frames in one transaction. */
void
link_on_readable(struct agent *a)
{
	zmq_msg_t	m;
	int		n;

	if (agent_tx_begin(a) != LSN_OK) {
		link_reset(a, "cannot begin a transaction");
		return;
	}
	for (n = 0; n < AGENT_FRAMES_PER_TURN && a->dealer != NULL; n++) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, a->dealer, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			break;
		}
		if (zmq_msg_more(&m)) {
			/* a DEALER from a ROUTER gets single frames */
			zmq_msg_close(&m);
			continue;
		}
		(void) link_dispatch(a, zmq_msg_data(&m), zmq_msg_size(&m));
		zmq_msg_close(&m);
		if (a->nacks >= AGENT_ACKS_MAX - 1 || a->tx_failed)
			break;
	}
	agent_tx_end(a);
}

void
link_timers(struct agent *a, uint64_t now)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Ping	p = LIAISON__V1__PING__INIT;

	if (a->dealer == NULL) {
		if (a->reopen_at != 0 && now >= a->reopen_at &&
		    link_open(a) != LSN_OK) {
			log_warnx("cannot open the broker link");
			a->reopen_at = now + (link_rotate(a, "cannot connect") ?
			    a->backoff_ms : (uint64_t) a->conf.reconnect_min_ms);
		}
		return;
	}
	if (a->conf.nbrokers > 1 && !a->connected &&
	    now - a->link_opened > (uint64_t) a->conf.dead_after_ms) {
		/* several endpoints: one that neither refuses nor gives a
		 * session (host down, packets dropped, a standby that
		 * answers Pings but never Welcome) */
		link_reset(a, "no session within dead_after_ms");
		return;
	}
	if (!a->handshaken)
		return;
	if (now > a->last_heard &&
	    now - a->last_heard > (uint64_t) a->conf.dead_after_ms) {
		link_reset(a, "broker did not answer in dead_after_ms");
		return;
	}
	if (a->syncing && now - a->sync_started >
	    (uint64_t) a->conf.dead_after_ms) {
		link_reset(a, "directory sync not answered");
		return;
	}
	if (now >= a->next_ping) {
		a->next_ping = now + a->conf.ping_ms;
		p.has_nonce = 1;
		p.nonce = ++a->ping_nonce;
		p.has_time_ms = 1;
		p.time_ms = lsn_now_ms();
		f.kind_case = LIAISON__V1__FRAME__KIND_PING;
		f.ping = &p;
		(void) link_send(a, &f);
	}
}

/* Milliseconds until the next link timer, or -1. */
long
link_timeout(struct agent *a, uint64_t now)
{
	uint64_t	dead;

	if (a->dealer == NULL)
		return (a->reopen_at > now ? (long) (a->reopen_at - now) : 0);
	if (!a->handshaken) {
		if (a->conf.nbrokers < 2)
			return (-1);
		dead = a->link_opened + (uint64_t) a->conf.dead_after_ms + 1;
		return (dead > now ? (long) (dead - now) : 0);
	}
	/* the earlier of the next ping and the dead-peer check */
	dead = a->last_heard + (uint64_t) a->conf.dead_after_ms + 1;
	if (dead > a->next_ping)
		dead = a->next_ping;
	if (a->conf.nbrokers > 1 && !a->connected && dead > a->link_opened +
	    (uint64_t) a->conf.dead_after_ms + 1)
		dead = a->link_opened + (uint64_t) a->conf.dead_after_ms + 1;
	return (dead > now ? (long) (dead - now) : 0);
}
