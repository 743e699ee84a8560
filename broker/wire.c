/*
 * wire.c -- frame encoding, the per-turn output queue and dead-peer
 * detection.
 *
 * Dead peers: libzmq closes a connection on its ZMTP heartbeat timeout
 * (heartbeat_ms, timeout 3x) or a TCP close, but the ROUTER tells the
 * broker only when a send to that routing id fails (ROUTER_MANDATORY). So
 * once per heartbeat_ms, at the end of a turn (wire_flush), every session
 * gets a Ping (the agent answers Pong), and a session whose Ping cannot be
 * sent is dropped: its connection is gone. A session is never dropped
 * while its connection is up, so an agent cannot be left connected without
 * a session; the cost is one small frame per session and heartbeat_ms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

size_t
wire_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return (n);
}

/* Reads a varint; 0 on malformed/truncated input. */
static size_t
get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t	r = 0;

	for (size_t i = 0; i < len && i < 10; i++) {
		r |= (uint64_t) (p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*v = r;
			return (i + 1);
		}
	}
	return (0);
}

/* Reads one length-delimited field with the given number that spans the
 * whole buffer. */
static int
only_field(const uint8_t *buf, size_t len, uint64_t num, const uint8_t **val,
    size_t *vlen)
{
	uint64_t	tag, l;
	size_t		n, m;

	if ((n = get_varint(buf, len, &tag)) == 0 || tag != (num << 3 | 2))
		return (0);
	if ((m = get_varint(buf + n, len - n, &l)) == 0)
		return (0);
	n += m;
	if (l != len - n)
		return (0);
	*val = buf + n;
	*vlen = (size_t) l;
	return (1);
}

int
wire_publish_envelope(const uint8_t *buf, size_t len, const uint8_t **env,
    size_t *envlen)
{
	const uint8_t	*pub, *e;
	size_t		 publen, elen;

	if (!only_field(buf, len, 3, &pub, &publen))
		return (0);
	if (!only_field(pub, publen, 1, &e, &elen))
		return (0);
	*env = e;
	*envlen = elen;
	return (1);
}

int
wire_is_deliver_ack(const uint8_t *buf, size_t len)
{
	const uint8_t	*a;
	size_t		 alen;

	return (only_field(buf, len, LIAISON__V1__FRAME__KIND_DELIVER_ACK,
	    &a, &alen));
}

int
wire_pack(const Liaison__V1__Frame *f, uint8_t **out, size_t *len)
{
	size_t	 n = liaison__v1__frame__get_packed_size(f);
	uint8_t	*buf;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__frame__pack(f, buf) != n) {
		free(buf);
		return (LSN_EINTERNAL);
	}
	*out = buf;
	*len = n;
	return (LSN_OK);
}

int
wire_queue(struct broker *b, const uint8_t *rid, size_t ridlen, uint8_t *ok,
    size_t oklen, uint8_t *fail, size_t faillen)
{
	struct outmsg	*o;

	if (ridlen > BROKER_RID_MAX)
		goto bad;
	if (b->nout == b->capout) {
		size_t		 ncap = b->capout == 0 ? 64 : b->capout * 2;
		struct outmsg	*n = realloc(b->out, ncap * sizeof(*n));

		if (n == NULL)
			goto bad;
		b->out = n;
		b->capout = ncap;
	}
	o = &b->out[b->nout++];
	memcpy(o->rid, rid, ridlen);
	o->ridlen = ridlen;
	o->ok = ok;
	o->oklen = oklen;
	o->fail = fail;
	o->faillen = faillen;
	return (LSN_OK);
 bad:
	free(ok);
	free(fail);
	return (LSN_ENOMEM);
}

int
wire_queue_frame(struct broker *b, const uint8_t *rid, size_t ridlen,
    const Liaison__V1__Frame *f)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rv;

	if ((rv = wire_pack(f, &buf, &len)) != LSN_OK)
		return (rv);
	return (wire_queue(b, rid, ridlen, buf, len, NULL, 0));
}

int
wire_pack_error(int err, const char *detail, uint8_t **out, size_t *len)
{
	Liaison__V1__Frame	f;
	Liaison__V1__Error	e;

	liaison__v1__error__init(&e);
	e.has_code = 1;
	e.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(err);
	e.detail = (char *) (uintptr_t) detail;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_ERROR;
	f.error = &e;
	return (wire_pack(&f, out, len));
}

int
wire_queue_error(struct broker *b, const uint8_t *rid, size_t ridlen,
    int err, const char *detail)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rv;

	if ((rv = wire_pack_error(err, detail, &buf, &len)) != LSN_OK)
		return (rv);
	return (wire_queue(b, rid, ridlen, buf, len, NULL, 0));
}

int
wire_send_now(struct broker *b, const uint8_t *rid, size_t ridlen,
    const uint8_t *buf, size_t len)
{
	if (b->router == NULL)
		return (LSN_OK);
	if (zmq_send(b->router, rid, ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) ==
	    -1 || zmq_send(b->router, buf, len, ZMQ_DONTWAIT) == -1) {
		if (zmq_errno() == EHOSTUNREACH)
			return (LSN_ECLOSED);
		log_debug("send: %s", zmq_strerror(zmq_errno()));
		return (LSN_EAGAIN);
	}
	return (LSN_OK);
}

/* Ping{nonce, time_ms} packed; *out malloc'd. */
static int
probe_frame(struct broker *b, uint64_t nonce, uint8_t **out, size_t *len)
{
	Liaison__V1__Frame	f;
	Liaison__V1__Ping	p;

	liaison__v1__ping__init(&p);
	p.has_nonce = 1;
	p.nonce = nonce;
	p.has_time_ms = 1;
	p.time_ms = broker_now(b);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PING;
	f.ping = &p;
	return (wire_pack(&f, out, len));
}

/*
 * Pings every session once per heartbeat_ms and drops the sessions whose
 * connection is gone (see the top of the file). The round's time is
 * process state: one broker loop per process.
 */
static void
probe_sessions(struct broker *b, uint64_t now)
{
	static uint64_t	 next;		/* mono: next round */
	char		 partner[LSN_DIR_ID_MAX + 1];
	uint8_t		*buf = NULL;
	size_t		 len = 0, i = 0;

	if (b->router == NULL || b->nsess == 0 || now < next)
		return;
	next = now + (uint64_t) b->conf.heartbeat_ms;
	if (probe_frame(b, now, &buf, &len) != LSN_OK)
		return;
	while (i < b->nsess) {
		int	code;

		/* the outbound gate (outgate.c): also ends, within a
		 * heartbeat, an idle session whose key expired by time */
		if ((code = outgate_check(b, &b->sess[i])) != LSN_OK) {
			outgate_refuse(b, &b->sess[i], code);
			lsn_strlcpy(partner, b->sess[i].partner,
			    sizeof(partner));
			session_drop(b, partner);
			continue;
		}
		if (wire_send_now(b, b->sess[i].rid, b->sess[i].ridlen, buf,
		    len) != LSN_ECLOSED) {
			i++;	/* sent, or its queue is full: still there */
			continue;
		}
		lsn_strlcpy(partner, b->sess[i].partner, sizeof(partner));
		if (lsn_log_ratelimit(partner, 10))
			log_info("session: %s dropped: its connection is "
			    "gone", partner);
		session_drop(b, partner);	/* moves another one into i */
	}
	free(buf);
}

void
wire_flush(struct broker *b, int committed)
{
	for (size_t i = 0; i < b->nout; i++) {
		struct outmsg	*o = &b->out[i];
		const uint8_t	*buf = committed ? o->ok : o->fail;
		size_t		 len = committed ? o->oklen : o->faillen;

		/* in doubt: neither the answer nor its refusal is true */
		if (buf != NULL && !b->indoubt && !b->turn_silent)
			(void) wire_send_now(b, o->rid, o->ridlen, buf, len);
		free(o->ok);
		free(o->fail);
	}
	b->nout = 0;
	b->turn_silent = 0;
	probe_sessions(b, lsn_mono_ms());
}

