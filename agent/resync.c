/*
 * resync.c -- re-sync with a broker that may have lost data: restored
 * from an older backup, started on an empty database, or simply
 * restarted (docs/reliability.md, "Broker restored from a backup").
 * Called from the Welcome, inside the turn's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

/*
 * Sends again the rows the broker accepted within window_ms (0: none).
 * *nout: how many.
 */
int
outbox_republish(struct agent *a, uint64_t window_ms, int *nout)
{
	uint64_t	 now = lsn_now_ms();
	int64_t		 n;
	int		 rv;

	*nout = 0;
	if (window_ms == 0)
		return (LSN_OK);
	if ((rv = astore_outbox_republish(a, OUTBOX_REPUBLISH_DETAIL,
	    (int64_t) (now > window_ms ? now - window_ms : 0), &n)) != LSN_OK)
		return (rv);
	*nout = (int) n;
	outbox_counts_reset(a);
	outbox_start_pass(a);
	return (LSN_OK);
}

/*
 * Broker epochs (docs/reliability.md). The broker draws a new epoch at
 * every start; one that differs from the epoch of our last Welcome, or a
 * delivery cursor below the highest seq we stored, means the broker may
 * have lost what it acknowledged (restored from a backup, started empty).
 * Returns 1 and says why, 0 when nothing changed, or an LSN_E* code.
 * The first epoch ever seen is only recorded.
 */
static int
broker_epoch_changed(struct agent *a, const Liaison__V1__Welcome *w,
    char *why, size_t whysz)
{
	char		hex[2 * AGENT_EPOCH_MAX + 1];
	char		old[2 * AGENT_EPOCH_MAX + 1];
	uint8_t		hash[LSN_DIR_HASH_BYTES];
	uint64_t	rev = 0;
	int		rv, changed = 0;

	if (w->has_broker_epoch && w->broker_epoch.len > 0 &&
	    w->broker_epoch.len <= AGENT_EPOCH_MAX) {
		lsn_hex_encode(w->broker_epoch.data, w->broker_epoch.len,
		    hex);
		rv = agent_state_get(a, "broker_epoch", old, sizeof(old));
		if (rv != LSN_OK && rv != LSN_ENOENT)
			return (rv);
		if (rv == LSN_OK && strcmp(old, hex) != 0) {
			snprintf(why, whysz, "new broker epoch %.16s (was "
			    "%.16s): restarted, restored or started empty",
			    hex, old);
			changed = 1;
		}
		if ((rv == LSN_ENOENT || changed) &&
		    (rv = agent_state_set(a, "broker_epoch", hex)) != LSN_OK)
			return (rv);
	}
	if (!changed && w->dir_head != NULL && w->dir_head->has_rev &&
	    lsn_dir_head(a->dir, &rev, hash) == LSN_OK &&
	    w->dir_head->rev < rev) {
		snprintf(why, whysz, "the broker's directory head (rev %llu) "
		    "is behind our replica (rev %llu): it lost data",
		    (unsigned long long) w->dir_head->rev,
		    (unsigned long long) rev);
		changed = 1;
	}
	if (!changed && w->delivery_cursor < a->cursor) {
		snprintf(why, whysz, "the broker's delivery cursor %llu is "
		    "behind the %llu we stored: it lost data",
		    (unsigned long long) w->delivery_cursor,
		    (unsigned long long) a->cursor);
		changed = 1;
	}
	return (changed);
}

/*
 * Re-sync with a broker that may have lost data: its seqs are accepted
 * again from its cursor (the inbox drops what it already has by
 * message_id), and what it acknowledged within republish_window_ms is
 * published again (it answers "already stored" for what it kept).
 */
static int
resync_apply(struct agent *a, const Liaison__V1__Welcome *w,
    const char *why)
{
	char	v[32];
	int	rv, n = 0;

	if (w->delivery_cursor < a->cursor) {
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long) w->delivery_cursor);
		if ((rv = agent_state_set(a, "delivery_cursor", v)) != LSN_OK)
			return (rv);
		a->cursor = w->delivery_cursor;
	}
	if ((rv = outbox_republish(a, (uint64_t) a->conf.republish_window_ms,
	    &n)) != LSN_OK)
		return (rv);
	return (agent_alert(a, "broker re-sync: %s; deliveries accepted "
	    "again from seq %llu, %d message(s) the broker acknowledged "
	    "re-published", why, (unsigned long long) a->cursor + 1, n));
}

/*
 * Checks the Welcome w against what this agent saw of the broker before
 * and re-syncs when the broker may have lost data. LSN_OK or an LSN_E*
 * code (the caller fails the turn).
 */
int
resync_check(struct agent *a, const Liaison__V1__Welcome *w)
{
	char	why[160];
	int	rv;

	if ((rv = broker_epoch_changed(a, w, why, sizeof(why))) == 1)
		rv = resync_apply(a, w, why);
	return (rv);
}
