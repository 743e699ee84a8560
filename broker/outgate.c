/*
 * outgate.c -- the gate on every outbound frame of a session.
 *
 * A session's connection was accepted by ZAP with a CURVE key that was
 * then the partner's transport key. libzmq 4.3 (no draft API) cannot
 * close one ROUTER peer, so a key rotated or revoked in the directory, or
 * a partner suspended or revoked, would keep its open connection and go
 * on receiving Deliver and DirOps frames. Every outbound frame of a
 * session therefore asks outgate_check first; the verdict of the
 * directory (broker_gate) is cached in the session until the directory
 * head moves (a committed op) or a second passes (key validity that ends
 * by time), so the check costs two comparisons per frame.
 *
 * A refused session is told why once (an Error frame with the code) and
 * dropped: nothing more is pushed to it. Frames the peer still sends on
 * that connection are refused one by one by the inbound gate (broker.c),
 * each answered with the same code: one answer per frame of its own, so
 * no amplification, and a client learns why whatever it sends.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

#define OUTGATE_TTL_MS		1000	/* re-ask the directory at least */

int
outgate_check(struct broker *b, struct session *ss)
{
	uint64_t	mono = lsn_mono_ms();

	if (ss->gate_rev == b->submitted_rev + 1 && mono < ss->gate_until)
		return (ss->gate_code);
	ss->gate_code = broker_gate(b, ss->partner, ss->has_tkey ? ss->tkey :
	    NULL);
	if (ss->gate_code == LSN_EDB) {
		/* not a verdict: ask again next time, keep sending */
		ss->gate_rev = 0;
		return (LSN_OK);
	}
	/* +1: 0 means "never checked" */
	ss->gate_rev = b->submitted_rev + 1;
	ss->gate_until = mono + OUTGATE_TTL_MS;
	return (ss->gate_code);
}

const char *
outgate_reason(int code)
{
	switch (code) {
	case LSN_ESUSPENDED:
		return ("partner suspended");
	case LSN_EPREVOKED:
		return ("partner revoked");
	case LSN_EKEYREVOKED:
		return ("transport key no longer valid (revoked or rotated)");
	default:
		return ("partner not accepted");
	}
}

void
outgate_refuse(struct broker *b, const struct session *ss, int code)
{
	Liaison__V1__Frame	 f;
	Liaison__V1__Error	 e;
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	liaison__v1__error__init(&e);
	e.has_code = 1;
	e.code = (Liaison__V1__ErrorCode) lsn_err_to_wire(code);
	e.detail = (char *) (uintptr_t) outgate_reason(code);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_ERROR;
	f.error = &e;
	if (wire_pack(&f, &buf, &len) == LSN_OK)
		(void) wire_send_now(b, ss->rid, ss->ridlen, buf, len);
	free(buf);
	limits_count(b, ss->partner, LIM_FRAME, code);
	if (lsn_log_ratelimit(ss->partner, 10))
		log_auth("session of %s closed: %s (%s)", ss->partner,
		    lsn_errname(code), outgate_reason(code));
}

