/*
 * audit.c -- the broker's audit entries (chain logic in lib/audit.c) and
 * the signed head file (lib/audit_head.c) that makes a cut or rewritten
 * tail visible to `liaison audit verify`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/thread.h"
#include "liaison/util.h"

#include "broker.h"

int
baudit(struct broker *b, const char *kind, const char *subject,
    const uint8_t *data_hash, const char *fmt, ...)
{
	char	detail[LSN_AUDIT_TEXT_MAX];
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	(void) vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	rv = lsn_audit_append(b->st, broker_now(b), kind, subject, detail,
	    data_hash, NULL);
	if (rv != LSN_OK) {
		log_warnx("audit: cannot append %s entry: %s", kind,
		    lsn_strerror(rv));
		b->tx_failed = 1;
	} else
		b->audit_dirty = 1;
	return (rv);
}

/*
 * The table's head now, signed into the head file: by the writer thread
 * (the loop does not wait for its two syncs) or, with sync, here after
 * the writer has finished (at stop).
 */
static int
head_save(struct broker *b, int sync)
{
	struct lsn_audit_head	h;
	char			buf[LSN_AUDIT_HEAD_MAX];
	size_t			len;
	int			rv;

	if ((rv = lsn_audit_head_current(b->st, &h)) != LSN_OK)
		return (rv);
	h.time_ms = broker_now(b);
	if (sync) {
		(void) lsn_filew_close(&b->audit_w);
		return (lsn_audit_head_save(b->audit_head, &h, b->seq_kp));
	}
	if ((rv = lsn_audit_head_format(&h, b->seq_kp, buf, sizeof(buf),
	    &len)) != LSN_OK)
		return (rv);
	if (b->audit_w == NULL && (rv = lsn_filew_open(b->audit_head, 0600,
	    &b->audit_w)) != LSN_OK)
		return (rv);
	return (lsn_filew_put(b->audit_w, buf, len));
}

void
baudit_head_close(struct broker *b)
{
	(void) lsn_filew_close(&b->audit_w);
}

int
baudit_head_open(struct broker *b)
{
	struct lsn_audit_result	res;
	struct lsn_audit_head	h, cur;
	int			rv;

	if (b->conf.audit_head[0] != '\0')
		lsn_strlcpy(b->audit_head, b->conf.audit_head,
		    sizeof(b->audit_head));
	else if (snprintf(b->audit_head, sizeof(b->audit_head),
	    "%s.audit-head", b->conf.db) >= (int) sizeof(b->audit_head))
		return (LSN_ETOOBIG);
	if ((rv = lsn_audit_head_current(b->st, &cur)) != LSN_OK)
		return (rv);
	rv = lsn_audit_head_load(b->audit_head, b->seq_kp->pk, &h);
	if (rv == LSN_ENOENT) {
		if (cur.count == 0)
			return (LSN_OK);
		/* the cut cannot be seen from here: it is recorded */
		log_auth("audit head %s missing with %llu entries: signing "
		    "the current head; rows removed before now cannot be "
		    "detected", b->audit_head,
		    (unsigned long long) cur.count);
		if ((rv = lsn_store_begin(b->st)) != LSN_OK)
			return (rv);
		if ((rv = lsn_audit_append(b->st, broker_now(b), "audithead",
		    "missing", "head file missing at start; a new head was "
		    "signed", NULL, NULL)) != LSN_OK ||
		    (rv = lsn_store_commit(b->st)) != LSN_OK) {
			lsn_store_rollback(b->st);
			return (rv);
		}
		b->audit_dirty = 1;
		baudit_head_write(b, 1);
		return (LSN_OK);
	}
	if (rv != LSN_OK) {
		log_auth("audit head %s: %s: refusing to start", b->audit_head,
		    lsn_strerror(rv));
		return (rv);
	}
	memset(&res, 0, sizeof(res));
	if ((rv = lsn_audit_head_check(b->st, &h, &res)) != LSN_OK) {
		log_auth("audit log %s since its signed head (%s): refusing "
		    "to start; run liaison audit verify", res.why[0] != '\0' ?
		    "cut or rewritten" : "unreadable", res.why);
		return (rv);
	}
	b->audit_dirty = cur.count != h.count;
	return (LSN_OK);
}

void
baudit_head_write(struct broker *b, int force)
{
	uint64_t	now = lsn_mono_ms();
	int		rv;

	if (!b->audit_dirty || b->st == NULL || b->seq_kp == NULL ||
	    b->audit_head[0] == '\0')
		return;
	if (!force && b->audit_head_mono != 0 &&
	    now - b->audit_head_mono < BROKER_AUDIT_HEAD_MS)
		return;
	if ((rv = head_save(b, force)) != LSN_OK) {
		if (lsn_log_ratelimit("audithead", 60))
			log_warnx("audit head %s: %s", b->audit_head,
			    lsn_strerror(rv));
		return;
	}
	b->audit_dirty = 0;
	b->audit_head_mono = now;
}
