/*
 * audit_head.c -- the signed head of the audit chain (see
 * include/liaison/audit.h): written by the broker after its commits, read
 * by `liaison audit verify` to catch a truncated or rewritten tail.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/audit.h"
#include "liaison/query.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#define HEAD_MAGIC	"liaison-audit-head v1\n"

int
lsn_audit_head_current(struct lsn_store *st, struct lsn_audit_head *h)
{
	static const char sql[] =
	    "SELECT id, entry_hash FROM audit ORDER BY id DESC LIMIT 1";
	struct lsn_q	*s = NULL;
	const void	*p;
	size_t		 n;
	int		 rc, rv = LSN_EDB;

	if (lsn_store_q(st, sql, &s) != LSN_OK) {
		s = NULL;
		goto out;
	}
	memset(h, 0, sizeof(*h));
	if ((rc = lsn_q_step(s)) == LSN_ROW) {
		p = lsn_q_col_blob(s, 1, &n);
		if (lsn_q_col_i64(s, 0) <= 0 || p == NULL ||
		    n != LSN_AUDIT_HASH_BYTES)
			goto out;
		h->count = (uint64_t) lsn_q_col_i64(s, 0);
		memcpy(h->hash, p, LSN_AUDIT_HASH_BYTES);
	} else if (rc != LSN_OK) {
		if (rc == LSN_ECLOSED)
			rv = rc;
		goto out;
	}
	rv = LSN_OK;
 out:
	lsn_q_reset(s);
	return (rv);
}

/* The signed part of a head file into buf; its length, or 0. */
static size_t
head_payload(const struct lsn_audit_head *h, char *buf, size_t bufsz)
{
	char	hex[2 * LSN_AUDIT_HASH_BYTES + 1];
	int	n;

	lsn_hex_encode(h->hash, sizeof(h->hash), hex);
	n = snprintf(buf, bufsz, HEAD_MAGIC "count %" PRIu64 "\nhash %s\n"
	    "time-ms %" PRIu64 "\nkey-id %s\n", h->count, hex, h->time_ms,
	    h->key_id);
	if (n < 0 || (size_t) n >= bufsz)
		return (0);
	return ((size_t) n);
}

int
lsn_audit_head_format(const struct lsn_audit_head *h,
    const struct lsn_keypair *kp, char *buf, size_t bufsz, size_t *lenp)
{
	struct lsn_audit_head	hh;
	char			sighex[2 * LSN_SIG_BYTES + 1];
	uint8_t			sig[LSN_SIG_BYTES];
	size_t			len;
	int			n, rv;

	if (h == NULL || kp == NULL || kp->kind != LSN_KEY_SIGN)
		return (LSN_EINVAL);
	hh = *h;
	lsn_strlcpy(hh.key_id, kp->key_id, sizeof(hh.key_id));
	if ((len = head_payload(&hh, buf, bufsz)) == 0)
		return (LSN_EINVAL);
	if ((rv = lsn_sig_sign(LSN_SIG_AUDIT_HEAD, kp, (const uint8_t *) buf,
	    len, sig)) != LSN_OK)
		return (rv);
	lsn_hex_encode(sig, sizeof(sig), sighex);
	n = snprintf(buf + len, bufsz - len, "signature %s\n", sighex);
	if (n < 0 || (size_t) n >= bufsz - len)
		return (LSN_EINVAL);
	*lenp = len + (size_t) n;
	return (LSN_OK);
}

int
lsn_audit_head_save(const char *path, const struct lsn_audit_head *h,
    const struct lsn_keypair *kp)
{
	char	buf[LSN_AUDIT_HEAD_MAX];
	size_t	len;
	int	rv;

	if (path == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_audit_head_format(h, kp, buf, sizeof(buf), &len)) !=
	    LSN_OK)
		return (rv);
	return (lsn_file_write_atomic(path, buf, len, 0600));
}

/* Parses "name value\n" at *p into v (NUL-terminated in place). */
static int
head_line(char **p, char *end, const char *name, char **v)
{
	size_t	 nl = strlen(name);
	char	*eol;

	if ((size_t) (end - *p) <= nl + 1 || strncmp(*p, name, nl) != 0 ||
	    (*p)[nl] != ' ')
		return (LSN_EPROTO);
	if ((eol = memchr(*p, '\n', (size_t) (end - *p))) == NULL)
		return (LSN_EPROTO);
	*eol = '\0';
	*v = *p + nl + 1;
	*p = eol + 1;
	return (LSN_OK);
}

static int
head_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;

	if (*s == '\0' || strlen(s) > 19 || (s[0] == '0' && s[1] != '\0'))
		return (LSN_EPROTO);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (LSN_EPROTO);
		v = v * 10 + (uint64_t) (*s - '0');
	}
	*out = v;
	return (LSN_OK);
}

/* Parses buf (len bytes, NUL after them; modified) and checks it. */
static int
head_parse(char *buf, size_t len, const uint8_t pk[32],
    struct lsn_audit_head *out)
{
	struct lsn_audit_head	 h;
	char			*p = buf, *end = buf + len, *v, *sigline;
	char			 kid[LSN_KEYID_HEXLEN + 1];
	uint8_t			 sig[LSN_SIG_BYTES];

	memset(&h, 0, sizeof(h));
	if (memchr(buf, '\0', len) != NULL ||
	    strncmp(buf, HEAD_MAGIC, sizeof(HEAD_MAGIC) - 1) != 0)
		return (LSN_EPROTO);
	p += sizeof(HEAD_MAGIC) - 1;
	if (head_line(&p, end, "count", &v) != LSN_OK ||
	    head_u64(v, &h.count) != LSN_OK ||
	    head_line(&p, end, "hash", &v) != LSN_OK ||
	    strlen(v) != 2 * LSN_AUDIT_HASH_BYTES ||
	    lsn_hex_decode(v, h.hash, sizeof(h.hash)) != LSN_OK ||
	    head_line(&p, end, "time-ms", &v) != LSN_OK ||
	    head_u64(v, &h.time_ms) != LSN_OK ||
	    head_line(&p, end, "key-id", &v) != LSN_OK ||
	    !lsn_key_id_valid(v))
		return (LSN_EPROTO);
	lsn_strlcpy(h.key_id, v, sizeof(h.key_id));
	sigline = p;
	if (head_line(&p, end, "signature", &v) != LSN_OK ||
	    strlen(v) != 2 * LSN_SIG_BYTES ||
	    lsn_hex_decode(v, sig, sizeof(sig)) != LSN_OK || p != end)
		return (LSN_EPROTO);
	lsn_key_id(pk, kid);
	if (strcmp(kid, h.key_id) != 0)
		return (LSN_EBADSIG);
	/* the signed bytes are the canonical rendering of what we parsed */
	if (head_payload(&h, buf, (size_t) (sigline - buf) + 1) !=
	    (size_t) (sigline - buf))
		return (LSN_EPROTO);
	if (lsn_sig_verify(LSN_SIG_AUDIT_HEAD, pk, (const uint8_t *) buf,
	    (size_t) (sigline - buf), sig, sizeof(sig)) != LSN_OK)
		return (LSN_EBADSIG);
	*out = h;
	return (LSN_OK);
}

int
lsn_audit_head_load(const char *path, const uint8_t pk[32],
    struct lsn_audit_head *out)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	if (path == NULL || pk == NULL || out == NULL)
		return (LSN_EINVAL);
	rv = lsn_file_read(path, LSN_AUDIT_HEAD_MAX, &buf, &len);
	if (rv == LSN_ETOOBIG)
		rv = LSN_EPROTO;
	if (rv != LSN_OK)
		return (rv);
	rv = head_parse((char *) buf, len, pk, out);
	free(buf);
	return (rv);
}

int
lsn_audit_head_check(struct lsn_store *st, const struct lsn_audit_head *h,
    struct lsn_audit_result *res)
{
	static const char sql[] = "SELECT entry_hash FROM audit WHERE id = ?";
	struct lsn_audit_head	 cur;
	struct lsn_q		*s = NULL;
	const void		*p;
	size_t			 n = 0;
	int			 rc, rv = LSN_EDB;
	char			 why[sizeof(res->why)];

	if ((rc = lsn_audit_head_current(st, &cur)) != LSN_OK) {
		rv = rc;
		goto out;
	}
	if (cur.count < h->count) {
		snprintf(why, sizeof(why), "truncated: the signed head "
		    "covers %" PRIu64 " entries, the table ends at %" PRIu64,
		    h->count, cur.count);
		res->bad_id = cur.count + 1;
		lsn_strlcpy(res->why, why, sizeof(res->why));
		rv = LSN_ECHAIN;
		goto out;
	}
	if (h->count == 0) {
		rv = LSN_OK;
		goto out;
	}
	if (lsn_store_q(st, sql, &s) != LSN_OK) {
		s = NULL;
		goto out;
	}
	lsn_q_i64(s, 1, (int64_t) h->count);
	rc = lsn_q_step(s);
	p = rc == LSN_ROW ? lsn_q_col_blob(s, 0, &n) : NULL;
	if (rc != LSN_ROW && rc != LSN_OK) {
		if (rc == LSN_ECLOSED)
			rv = rc;
		goto out;
	}
	if (p == NULL || n != LSN_AUDIT_HASH_BYTES ||
	    sodium_memcmp(p, h->hash, LSN_AUDIT_HASH_BYTES) != 0) {
		snprintf(why, sizeof(why), "rewritten: entry %" PRIu64
		    " differs from the signed head", h->count);
		res->bad_id = h->count;
		lsn_strlcpy(res->why, why, sizeof(res->why));
		rv = LSN_ECHAIN;
		goto out;
	}
	rv = LSN_OK;
 out:
	lsn_q_reset(s);
	return (rv);
}
