/* audit.c -- the broker's audit entries (chain logic in lib/audit.c). */
#include <stdarg.h>
#include <stdio.h>

#include "liaison/audit.h"
#include "liaison/log.h"

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
	}
	return (rv);
}
