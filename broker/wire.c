/* wire.c -- frame encoding and the per-turn output queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/log.h"

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
wire_queue_error(struct broker *b, const uint8_t *rid, size_t ridlen,
    int err, const char *detail)
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
	return (wire_queue_frame(b, rid, ridlen, &f));
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

void
wire_flush(struct broker *b, int committed)
{
	for (size_t i = 0; i < b->nout; i++) {
		struct outmsg	*o = &b->out[i];
		const uint8_t	*buf = committed ? o->ok : o->fail;
		size_t		 len = committed ? o->oklen : o->faillen;

		if (buf != NULL)
			(void) wire_send_now(b, o->rid, o->ridlen, buf, len);
		free(o->ok);
		free(o->fail);
	}
	b->nout = 0;
}
