/* zap.c -- the ZAP handler (RFC 27): a CURVE key is accepted only when it is
 * the current transport key of an ACTIVE partner; User-Id = partner id. */
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

#define ZAP_FRAMES	7

int
zap_decide(struct broker *b, const char *mechanism, const uint8_t *key,
    size_t keylen, const char *address, char status[4], char *text,
    size_t textsz, char user[LSN_DIR_ID_MAX + 1])
{
	char	 kid[LSN_KEYID_HEXLEN + 1] = "-";
	char	 who[LSN_DIR_ID_MAX + 1];
	int	 rv;

	user[0] = '\0';
	if (strcmp(mechanism, "CURVE") != 0 || keylen != LSN_PK_BYTES) {
		rv = LSN_EPROTO;
		lsn_strlcpy(text, "CURVE required", textsz);
	} else {
		lsn_key_id(key, kid);
		rv = lsn_dir_transport_owner(b->dir, key, broker_now(b), who);
		if (rv == LSN_OK) {
			memcpy(status, "200", 4);
			lsn_strlcpy(text, "OK", textsz);
			lsn_strlcpy(user, who, LSN_DIR_ID_MAX + 1);
			log_debug("zap: %s accepted as %s from %s", kid, who,
			    address);
			return (LSN_OK);
		}
		lsn_strlcpy(text, rv == LSN_ESUSPENDED ? "partner suspended" :
		    rv == LSN_EPREVOKED ? "partner revoked" :
		    rv == LSN_ENOENT ? "unknown transport key" :
		    "directory error", textsz);
	}
	memcpy(status, rv == LSN_EDB ? "500" : "400", 4);
	if (lsn_log_ratelimit(address, 10))
		log_auth("zap: refused key %s from %s: %s", kid, address,
		    text);
	{
		/* one aggregated audit row per peer and interval */
		char	peer[LSN_DIR_ID_MAX + 8];

		if (kid[0] != '-')
			snprintf(peer, sizeof(peer), "key:%s", kid);
		else
			snprintf(peer, sizeof(peer), "addr:%.60s", address);
		if (rv != LSN_EDB)
			limits_count(b, peer, LIM_HANDSHAKE, rv);
	}
	return (rv);
}

static int
frame_str(zmq_msg_t *m, char *buf, size_t bufsz)
{
	size_t	n = zmq_msg_size(m);

	if (n >= bufsz)
		return (-1);
	memcpy(buf, zmq_msg_data(m), n);
	buf[n] = '\0';
	/* Printable ASCII only: these end up in logs. */
	for (size_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
	return (0);
}

/* Over 80 lines: one ZAP request (RFC 27), frame by frame. */
static void
zap_one(struct broker *b)
{
	zmq_msg_t	 fr[ZAP_FRAMES];
	char		 version[8], reqid[256], domain[256], address[256];
	char		 mech[16], status[4], text[64];
	char		 user[LSN_DIR_ID_MAX + 1] = "";
	const uint8_t	*key = NULL;
	size_t		 keylen = 0, reqlen = 0;
	int		 n = 0, more = 1, ok = 1;

	while (more) {
		zmq_msg_t	tmp;

		zmq_msg_init(&tmp);
		if (zmq_msg_recv(&tmp, b->zap, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&tmp);
			ok = 0;
			break;
		}
		more = zmq_msg_more(&tmp);
		if (n < ZAP_FRAMES)
			fr[n++] = tmp;
		else {
			zmq_msg_close(&tmp);
			ok = 0;
		}
	}
	if (n == 0)
		return;
	if (n < 6 || !ok) {
		log_warnx("zap: malformed request (%d frames)", n);
		goto reply_raw;
	}
	if (frame_str(&fr[0], version, sizeof(version)) == -1 ||
	    frame_str(&fr[2], domain, sizeof(domain)) == -1 ||
	    frame_str(&fr[3], address, sizeof(address)) == -1 ||
	    frame_str(&fr[5], mech, sizeof(mech)) == -1 ||
	    strcmp(version, "1.0") != 0) {
		log_warnx("zap: malformed request");
		ok = 0;
	}
	if (n >= 7) {
		key = zmq_msg_data(&fr[6]);
		keylen = zmq_msg_size(&fr[6]);
	}
	if (ok)
		(void) zap_decide(b, mech, key, keylen, address, status, text,
		    sizeof(text), user);
	else {
		memcpy(status, "400", 4);
		lsn_strlcpy(text, "malformed", sizeof(text));
	}
 reply_raw:
	if (n < 2) {
		/* Cannot even echo a request id; REP still needs a reply. */
		memcpy(status, "400", 4);
		lsn_strlcpy(text, "malformed", sizeof(text));
	}
	reqlen = n >= 2 ? zmq_msg_size(&fr[1]) : 0;
	if (reqlen > sizeof(reqid))
		reqlen = 0;
	if (reqlen > 0)
		memcpy(reqid, zmq_msg_data(&fr[1]), reqlen);
	if (n < 6 || !ok) {
		memcpy(status, "400", 4);
		if (n < 6)
			lsn_strlcpy(text, "malformed", sizeof(text));
		user[0] = '\0';
	}
	(void) zmq_send(b->zap, "1.0", 3, ZMQ_SNDMORE);
	(void) zmq_send(b->zap, reqid, reqlen, ZMQ_SNDMORE);
	(void) zmq_send(b->zap, status, 3, ZMQ_SNDMORE);
	(void) zmq_send(b->zap, text, strlen(text), ZMQ_SNDMORE);
	(void) zmq_send(b->zap, user, strlen(user), ZMQ_SNDMORE);
	if (user[0] != '\0' && keylen == LSN_PK_BYTES) {
		/* Metadata (ZMTP property): the accepted key, so every frame
		 * can be checked against the directory again. */
		uint8_t	meta[1 + sizeof(ZAP_KEY_PROP) - 1 + 4 +
			    2 * LSN_PK_BYTES];
		char	hex[2 * LSN_PK_BYTES + 1];
		size_t	m = 0;

		lsn_hex_encode(key, LSN_PK_BYTES, hex);
		meta[m++] = sizeof(ZAP_KEY_PROP) - 1;
		memcpy(meta + m, ZAP_KEY_PROP, sizeof(ZAP_KEY_PROP) - 1);
		m += sizeof(ZAP_KEY_PROP) - 1;
		meta[m++] = 0;
		meta[m++] = 0;
		meta[m++] = 0;
		meta[m++] = 2 * LSN_PK_BYTES;
		memcpy(meta + m, hex, 2 * LSN_PK_BYTES);
		m += 2 * LSN_PK_BYTES;
		(void) zmq_send(b->zap, meta, m, 0);
	} else
		(void) zmq_send(b->zap, "", 0, 0);
	for (int i = 0; i < n; i++)
		zmq_msg_close(&fr[i]);
}

void
zap_serve(struct broker *b)
{
	int	ev;
	size_t	sz;

	for (int i = 0; i < BROKER_BATCH; i++) {
		sz = sizeof(ev);
		if (zmq_getsockopt(b->zap, ZMQ_EVENTS, &ev, &sz) == -1 ||
		    !(ev & ZMQ_POLLIN))
			return;
		zap_one(b);
	}
}
