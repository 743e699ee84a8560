/*
 * envelope_view.c -- the Envelope bytes and the plain body inside stored
 * SignedEnvelope bytes, found by walking the protobuf wire format without
 * unpacking (lsn_envelope_view, lsn_envelope_body_view in
 * include/liaison/envelope.h). The bytes are
 * the agent's own copy of an envelope that passed the trust gate, but
 * they are read from a file, so every length is checked against the
 * buffer and anything malformed is LSN_EPROTO.
 */
#include <stddef.h>
#include <stdint.h>

#include "liaison/envelope.h"

#define SE_ENVELOPE	1	/* SignedEnvelope.envelope */
#define ENV_BODY	16	/* Envelope.body */
#define ENV_SEALED	17	/* Envelope.sealed */

/* Reads a varint at *p (below end) into *v; LSN_EPROTO when cut. */
static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t	x = 0;

	for (unsigned s = 0; s < 64 && *p < end; s += 7) {
		uint8_t	b = *(*p)++;

		x |= (uint64_t) (b & 0x7f) << s;
		if ((b & 0x80) == 0) {
			*v = x;
			return (LSN_OK);
		}
	}
	return (LSN_EPROTO);
}

/*
 * Walks the fields of buf: *val / *vlen receive the last length-delimited
 * field numbered want (LSN_ENOENT when there is none); *other is set when
 * a field numbered flag is present (flag 0: none).
 */
static int
field(const uint8_t *buf, size_t len, uint32_t want, uint32_t flag,
    const uint8_t **val, size_t *vlen, int *other)
{
	const uint8_t	*p = buf, *end = buf + len;
	uint64_t	 key, n;
	int		 rv = LSN_ENOENT;

	while (p < end) {
		if (varint(&p, end, &key) != LSN_OK)
			return (LSN_EPROTO);
		if (flag != 0 && key >> 3 == flag)
			*other = 1;
		switch (key & 7) {
		case 0:
			if (varint(&p, end, &n) != LSN_OK)
				return (LSN_EPROTO);
			break;
		case 1:
		case 5:
			n = (key & 7) == 1 ? 8 : 4;
			if ((uint64_t) (end - p) < n)
				return (LSN_EPROTO);
			p += n;
			break;
		case 2:
			if (varint(&p, end, &n) != LSN_OK ||
			    (uint64_t) (end - p) < n)
				return (LSN_EPROTO);
			if (key >> 3 == want) {
				*val = p;
				*vlen = (size_t) n;
				rv = LSN_OK;
			}
			p += n;
			break;
		default:
			return (LSN_EPROTO);
		}
	}
	return (rv);
}

int
lsn_envelope_view(const uint8_t *se, size_t selen, const uint8_t **env,
    size_t *envlen)
{
	int	unused = 0, rv;

	if (se == NULL || env == NULL || envlen == NULL)
		return (LSN_EINVAL);
	rv = field(se, selen, SE_ENVELOPE, 0, env, envlen, &unused);
	return (rv == LSN_ENOENT ? LSN_EPROTO : rv);
}

int
lsn_envelope_body_view(const uint8_t *se, size_t selen,
    const uint8_t **body, size_t *bodylen)
{
	const uint8_t	*env = NULL;
	size_t		 envlen = 0;
	int		 sealed = 0, rv;

	if (body == NULL || bodylen == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_envelope_view(se, selen, &env, &envlen)) != LSN_OK)
		return (rv);
	*body = env;	/* an absent body is empty, not NULL */
	*bodylen = 0;
	rv = field(env, envlen, ENV_BODY, ENV_SEALED, body, bodylen, &sealed);
	if (rv == LSN_EPROTO)
		return (rv);
	return (sealed ? LSN_ENOENT : LSN_OK);
}
