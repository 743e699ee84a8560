/*
 * session.c -- the broker's sessions: one per connected partner (its
 * routing id, transport key, delivery window), opened by Hello (answered
 * Welcome) and dropped when the partner leaves or the gate refuses it.
 * The queue rows a Hello's cursor acknowledges are trimmed by queue.c;
 * what a session is sent, by deliver.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

struct session *
session_find(struct broker *b, const char *partner)
{
	for (size_t i = 0; i < b->nsess; i++)
		if (strcmp(b->sess[i].partner, partner) == 0)
			return (&b->sess[i]);
	return (NULL);
}

void
session_drop_at(struct broker *b, size_t i)
{
	log_debug("session: %s closed", b->sess[i].partner);
	if (i + 1 < b->nsess)
		b->sess[i] = b->sess[b->nsess - 1];
	b->nsess--;
}

void
session_drop(struct broker *b, const char *partner)
{
	for (size_t i = 0; i < b->nsess; i++)
		if (strcmp(b->sess[i].partner, partner) == 0) {
			session_drop_at(b, i);
			return;
		}
}

int
session_hello(struct broker *b, const char *partner, const uint8_t *rid,
    size_t ridlen, uint64_t cursor, uint64_t *acked)
{
	struct session	*ss;
	int		 rv;

	if (ridlen > BROKER_RID_MAX)
		return (LSN_EINVAL);
	if ((rv = queue_trim(b, partner, &cursor)) != LSN_OK)
		return (rv);
	if ((ss = session_find(b, partner)) == NULL) {
		if (b->nsess == b->capsess) {
			size_t		 ncap = b->capsess == 0 ? 16 :
					    b->capsess * 2;
			struct session	*n = realloc(b->sess,
					    ncap * sizeof(*n));

			if (n == NULL)
				return (LSN_ENOMEM);
			b->sess = n;
			b->capsess = ncap;
		}
		ss = &b->sess[b->nsess++];
		memset(ss, 0, sizeof(*ss));
		lsn_strlcpy(ss->partner, partner, sizeof(ss->partner));
	}
	memcpy(ss->rid, rid, ridlen);
	ss->ridlen = ridlen;
	ss->has_tkey = 0;	/* deliver_hello sets the connection's key */
	ss->gate_rev = 0;	/* ask the directory again */
	ss->sent_upto = cursor;
	ss->inflight = 0;
	ss->pump = 1;
	return (queue_acked_seq(b, partner, acked));
}

int
deliver_hello(struct broker *b, const char *partner, const uint8_t *tkey,
    const uint8_t *rid, size_t ridlen, const Liaison__V1__Hello *h)
{
	struct session		*ss;
	Liaison__V1__Frame	f;
	Liaison__V1__Welcome	w;
	Liaison__V1__DirHead	dh;
	uint8_t			hash[LSN_DIR_HASH_BYTES];
	uint64_t		rev = 0, acked = 0;
	int			rv;

	if (!h->has_protocol_version || h->protocol_version != 1)
		return (wire_queue_error(b, rid, ridlen, LSN_EVERSION,
		    "protocol version 1 required"));
	rv = session_hello(b, partner, rid, ridlen, h->has_delivery_cursor ?
	    h->delivery_cursor : 0, &acked);
	if (rv != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, bstore_wire(rv),
		    "cannot open session"));
	if (tkey != NULL && (ss = session_find(b, partner)) != NULL) {
		memcpy(ss->tkey, tkey, LSN_PK_BYTES);
		ss->has_tkey = 1;
	}
	if ((rv = lsn_dir_head(b->dir, &rev, hash)) != LSN_OK)
		return (wire_queue_error(b, rid, ridlen, rv,
		    "directory error"));
	liaison__v1__dir_head__init(&dh);
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	liaison__v1__welcome__init(&w);
	w.has_protocol_version = 1;
	w.protocol_version = 1;
	w.partner = (char *) (uintptr_t) partner;
	w.dir_head = &dh;
	w.has_delivery_cursor = 1;
	w.delivery_cursor = acked;
	w.has_server_time_ms = 1;
	w.server_time_ms = broker_now(b);
	w.has_max_msg_bytes = 1;
	w.max_msg_bytes = (uint32_t) b->conf.max_msg_bytes;
	w.has_skew_ms = 1;
	w.skew_ms = (uint32_t) b->conf.skew_ms;
	w.has_broker_epoch = 1;
	w.broker_epoch.data = b->epoch;
	w.broker_epoch.len = sizeof(b->epoch);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_WELCOME;
	f.welcome = &w;
	if (lsn_log_ratelimit(partner, 10))
		log_info("session: %s hello (cursor %llu, acked %llu)",
		    partner, (unsigned long long) (h->has_delivery_cursor ?
		    h->delivery_cursor : 0), (unsigned long long) acked);
	return (wire_queue_frame(b, rid, ridlen, &f));
}
