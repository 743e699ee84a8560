/*
 * replica.c -- the agent's directory replica: sync on connect, apply the
 * broker's pushed ops, check every head checkpoint, and halt (keep the
 * last good state, refuse further ops, raise an alert) on a forged op, a
 * broken chain or conflicting checkpoints. The halted flag is persisted
 * in the state table ("dir_halted" = reason).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "replica.h"

/*
 * Loads the trust anchor and the halted flag. A replica whose genesis
 * differs from the configured trust root is halted.
 */
int
replica_init(struct agent *a)
{
	uint8_t	anchor[LSN_DIR_HASH_BYTES], g[LSN_DIR_HASH_BYTES];
	char	reason[512];
	int	rv;

	if (lsn_hex_decode(a->conf.trust_root, anchor, sizeof(anchor)) !=
	    LSN_OK)
		return (LSN_ECONFIG);
	lsn_dir_set_trust_anchor(a->dir, anchor);
	rv = agent_state_get(a, "dir_halted", reason, sizeof(reason));
	if (rv == LSN_OK) {
		a->halted = 1;
		log_warnx("directory replica halted: %s", reason);
	} else if (rv == LSN_ENOENT)
		a->halted = 0;
	else
		return (rv);
	rv = lsn_dir_genesis_hash(a->dir, g);
	if (rv == LSN_OK && memcmp(g, anchor, sizeof(g)) != 0 && !a->halted)
		return (replica_halt(a, LSN_EROOT, "the replica's genesis "
		    "root policy differs from trust_root"));
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	return (LSN_OK);
}

/*
 * Halts the replica: persists the reason, raises an alert, stops syncing.
 * Returns code.
 */
int
replica_halt(struct agent *a, int code, const char *fmt, ...)
{
	char	why[400], reason[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(reason, sizeof(reason), "%s: %s", lsn_errname(code), why);
	a->halted = 1;
	a->syncing = 0;
	if (agent_state_set(a, "dir_halted", reason) != LSN_OK ||
	    agent_alert(a, "directory replica halted: %s", reason) != LSN_OK)
		log_warnx("%s: cannot persist the halt", __func__);
	log_auth("directory replica halted: %s", reason);
	return (code);
}

static void
send_sync(struct agent *a)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirSync	ds = LIAISON__V1__DIR_SYNC__INIT;
	uint8_t			hash[LSN_DIR_HASH_BYTES];
	uint64_t		rev;

	if (lsn_dir_head(a->dir, &rev, hash) != LSN_OK) {
		a->tx_failed = 1;
		return;
	}
	ds.has_after_rev = 1;
	ds.after_rev = rev;
	ds.has_max_entries = 1;
	ds.max_entries = AGENT_SYNC_BATCH;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SYNC;
	f.dir_sync = &ds;
	if (link_send(a, &f) == LSN_OK) {
		a->sync_started = lsn_mono_ms();	/* per batch */
		a->syncing = 1;
		log_debug("dir sync after rev %llu", (unsigned long long) rev);
	}
}

/* Starts a sync unless halted. */
void
replica_sync(struct agent *a)
{
	if (a->halted) {
		a->syncing = 0;
		return;
	}
	send_sync(a);
}

/* Processes the Delivers held back while syncing. */
static void
sync_done(struct agent *a)
{
	size_t	n = a->ndeferred;

	a->syncing = 0;
	a->ndeferred = 0;
	for (size_t i = 0; i < n; i++) {
		(void) link_dispatch(a, a->deferred[i].buf,
		    a->deferred[i].len);
		free(a->deferred[i].buf);
		a->deferred[i].buf = NULL;
	}
}

void
replica_on_welcome(struct agent *a, const Liaison__V1__DirHead *h)
{
	enum lsn_dir_cmp	cmp;
	uint64_t		fork_rev = 0;

	a->broker_rev = 0;
	if (h != NULL && h->has_rev) {
		a->broker_rev = h->rev;
		if (h->has_hash && h->hash.len == LSN_DIR_HASH_BYTES &&
		    !a->halted &&
		    lsn_dir_compare_head(a->dir, h->rev, h->hash.data, &cmp,
		    &fork_rev) == LSN_OK) {
			if (cmp == LSN_DIR_FORK) {
				(void) replica_halt(a, LSN_EFORK, "broker "
				    "head at rev %llu differs from ours",
				    (unsigned long long) h->rev);
				return;
			}
			if (cmp == LSN_DIR_AHEAD)
				(void) agent_alert(a, "broker directory head "
				    "(rev %llu) is behind the replica: the "
				    "broker lost directory ops (restored from "
				    "a backup?); the replica keeps its ops "
				    "and does not roll back",
				    (unsigned long long) h->rev);
		}
	}
	replica_sync(a);
}

/*
 * A sync answer said "nothing more": our head must now be at least the
 * head the broker announced in its Welcome and the highest head an honest
 * partner signed in an envelope. If not, the broker withholds directory
 * ops from us (a stale head): alert once per rev. The replica is not
 * halted, what it holds is still good.
 */
static int
check_withheld(struct agent *a)
{
	char			 v[128], peer[LSN_DIR_ID_MAX + 1];
	uint8_t			 hash[LSN_DIR_HASH_BYTES];
	uint64_t		 head;
	unsigned long long	 prev = 0;
	int			 rv;

	if ((rv = lsn_dir_head(a->dir, &head, hash)) != LSN_OK) {
		a->tx_failed = 1;
		return (rv);
	}
	if (a->broker_rev > head) {
		if (lsn_log_ratelimit("withheld", 5))
			log_auth("directory withheld: the broker announced "
			    "rev %llu but serves rev %llu",
			    (unsigned long long) a->broker_rev,
			    (unsigned long long) head);
		(void) agent_alert_once(a, "directory withheld (%s): the "
		    "broker announced rev %llu but does not serve it",
		    lsn_errname(LSN_ESTALE),
		    (unsigned long long) a->broker_rev);
	}
	rv = agent_state_get(a, "dir_peer_head", v, sizeof(v));
	if (rv == LSN_ENOENT)
		return (LSN_OK);
	if (rv != LSN_OK)
		return (rv);
	peer[0] = '\0';
	if (sscanf(v, "%llu %63s", &prev, peer) != 2)
		return (LSN_OK);
	if (prev <= head)
		return (LSN_OK);
	if (lsn_log_ratelimit("withheld", 5))
		log_auth("directory withheld: %s signed with head rev %llu, "
		    "the broker serves rev %llu", peer, prev,
		    (unsigned long long) head);
	/* once per (peer, rev): our head is not in the text */
	return (agent_alert_once(a, "directory withheld (%s): %s signed with "
	    "head rev %llu, which the broker does not serve us",
	    lsn_errname(LSN_ESTALE), peer, prev));
}

/*
 * The directory head a partner signed into an envelope (verified, from
 * peer). A rev we have with another hash: the broker gave the sender and
 * us different histories (alert once per sender and rev). A rev beyond
 * ours: remember the highest one and sync; if the broker then says there
 * is nothing more, check_withheld raises the alert. The message itself is
 * kept either way.
 */
void
replica_peer_head(struct agent *a, const char *peer,
    const Liaison__V1__DirHead *h)
{
	enum lsn_dir_cmp	cmp;
	uint64_t		fork_rev = 0;
	unsigned long long	prev = 0;
	char			v[128], old[LSN_DIR_ID_MAX + 1];

	if (h == NULL || !h->has_rev || !h->has_hash || h->hash.len != 32 ||
	    h->rev > LSN_DIR_TIME_MAX)
		return;
	if (lsn_dir_compare_head(a->dir, h->rev, h->hash.data, &cmp,
	    &fork_rev) != LSN_OK)
		return;
	if (cmp == LSN_DIR_FORK) {
		log_auth("directory fork: %s signed with head rev %llu whose "
		    "hash differs from ours", peer,
		    (unsigned long long) h->rev);
		(void) agent_alert_once(a, "directory fork (%s): %s signed "
		    "with head rev %llu whose hash differs from ours",
		    lsn_errname(LSN_EFORK), peer,
		    (unsigned long long) h->rev);
		return;
	}
	if (cmp != LSN_DIR_BEHIND || a->halted)
		return;
	if (agent_state_get(a, "dir_peer_head", v, sizeof(v)) == LSN_OK &&
	    sscanf(v, "%llu %63s", &prev, old) == 2 &&
	    prev >= h->rev)
		return;
	snprintf(v, sizeof(v), "%llu %s", (unsigned long long) h->rev, peer);
	if (agent_state_set(a, "dir_peer_head", v) != LSN_OK)
		return;
	log_info("%s signed with directory rev %llu, ahead of ours: sync",
	    peer, (unsigned long long) h->rev);
	if (a->connected && !a->syncing)
		replica_sync(a);
}

/*
 * A delivery refused by the envelope checks (the trust gate in
 * inbox.c, not the body's). A bad envelope signature or
 * an envelope that does not name us cannot come from an honest broker (it
 * verifies signatures at ingress and routes on the signed recipients):
 * alert once per code.
 */
void
replica_on_refused(struct agent *a, int code)
{
	if (code != LSN_EBADSIG && code != LSN_EUNKNOWNRCPT)
		return;
	(void) agent_alert_once(a, "broker delivered an envelope that fails "
	    "verification (%s): see the quarantine", lsn_errname(code));
}

static int
pack_entry(const Liaison__V1__LogEntry *e, uint8_t **out, size_t *len)
{
	size_t	n;

	n = liaison__v1__log_entry__get_packed_size(e);
	if (n > LSN_DIR_ENTRY_MAX)
		return (LSN_ETOOBIG);
	if ((*out = malloc(n ? n : 1)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__log_entry__pack(e, *out);
	*len = n;
	return (LSN_OK);
}

static int
is_refusal(int rv)
{
	return (rv != LSN_EDB && rv != LSN_ENOMEM && rv != LSN_EINTERNAL);
}

/*
 * Applies the entries of ops beyond our head (*head, raised by each);
 * one we have must be the same entry. LSN_OK, or the error after the
 * replica halted or the turn's transaction was failed.
 */
static int
apply_entries(struct agent *a, const Liaison__V1__DirOps *ops,
    uint64_t *head)
{
	uint8_t			 our[32];
	char			 why[LSN_DIR_WHY_MAX];
	uint8_t			*buf = NULL;
	size_t			 len, applied = 0;
	int			 rv;

	for (size_t i = 0; i < ops->n_entries; i++) {
		const Liaison__V1__LogEntry *e = ops->entries[i];

		if (e->has_rev && e->rev <= *head) {
			/* already applied: it must be the same entry */
			if (!e->has_entry_hash || e->entry_hash.len != 32 ||
			    lsn_dir_hash_at(a->dir, e->rev, our) != LSN_OK ||
			    memcmp(our, e->entry_hash.data, 32) != 0)
				return (replica_halt(a, LSN_EFORK, "entry at "
				    "rev %llu differs from ours",
				    (unsigned long long) e->rev));
			continue;
		}
		if ((rv = pack_entry(e, &buf, &len)) != LSN_OK) {
			if (rv == LSN_ENOMEM) {
				a->tx_failed = 1;
				return (rv);
			}
			return (replica_halt(a, rv, "oversized log entry"));
		}
		why[0] = '\0';
		rv = lsn_dir_apply_entry(a->dir, buf, len, why, sizeof(why));
		free(buf);
		buf = NULL;
		if (rv != LSN_OK) {
			if (!is_refusal(rv)) {
				a->tx_failed = 1;
				return (rv);
			}
			return (replica_halt(a, rv, "refused log entry rev "
			    "%llu: %s", e->has_rev ?
			    (unsigned long long) e->rev : 0ULL,
			    why[0] != '\0' ? why : lsn_strerror(rv)));
		}
		(*head)++;
		applied++;
		log_debug("directory rev %llu applied",
		    (unsigned long long) *head);
	}
	if (applied > 0)
		log_info("directory at rev %llu (%zu new %s)",
		    (unsigned long long) *head, applied,
		    applied == 1 ? "entry" : "entries");
	return (LSN_OK);
}

/* Checks the checkpoint that came with a DirOps against our log; LSN_OK
 * also for one beyond our head (ignored), else the error after the
 * replica halted or the turn's transaction was failed. */
static int
check_checkpoint(struct agent *a, const Liaison__V1__SignedCheckpoint *cp)
{
	struct lsn_dir_checkpoint	 c = { 0 };
	uint8_t				*buf;
	size_t				 n;
	int				 rv;

	n = liaison__v1__signed_checkpoint__get_packed_size(cp);
	if (n > LSN_DIR_CHECKPOINT_MAX)
		return (replica_halt(a, LSN_ETOOBIG, "oversized checkpoint"));
	if ((buf = malloc(n ? n : 1)) == NULL) {
		a->tx_failed = 1;
		return (LSN_ENOMEM);
	}
	liaison__v1__signed_checkpoint__pack(cp, buf);
	rv = lsn_dir_checkpoint_check(a->dir, buf, n, &c);
	free(buf);
	if (rv == LSN_EDB || rv == LSN_ENOMEM) {
		a->tx_failed = 1;
		return (rv);
	}
	if (rv == LSN_ENOENT)
		log_warnx("checkpoint beyond our head ignored");
	else if (rv != LSN_OK)
		return (replica_halt(a, rv, "checkpoint at rev %llu "
		    "refused: %s", (unsigned long long) c.rev,
		    lsn_strerror(rv)));
	else
		a->cp_time_ms = c.time_ms;
	return (LSN_OK);
}

/*
 * DirOps from the broker (sync answer or live push). Applies the entries
 * in order, then checks the checkpoint. Runs inside the turn's
 * transaction.
 */
int
replica_on_ops(struct agent *a, const Liaison__V1__DirOps *ops)
{
	uint8_t			 hash[LSN_DIR_HASH_BYTES], our[32];
	uint64_t		 head;
	int			 rv;

	if (a->halted) {
		log_debug("replica halted: DirOps ignored");
		a->syncing = 0;
		sync_done(a);
		return (LSN_EDIRHALTED);
	}
	if (ops->n_entries > 4096) {
		/* not a verification failure: ignore it, resync later */
		log_warnx("DirOps with %zu entries ignored", ops->n_entries);
		return (LSN_ETOOBIG);
	}
	if (lsn_dir_head(a->dir, &head, hash) != LSN_OK) {
		a->tx_failed = 1;
		return (LSN_EDB);
	}
	if (ops->has_live && ops->live && ops->n_entries > 0) {
		const Liaison__V1__LogEntry *e = ops->entries[0];

		if (!e->has_rev || e->rev != head + 1) {
			/* a gap or something we have: ask for a sync */
			if (!e->has_rev || e->rev > head + 1)
				replica_sync(a);
			else if (e->has_entry_hash && e->entry_hash.len == 32 &&
			    lsn_dir_hash_at(a->dir, e->rev, our) == LSN_OK &&
			    memcmp(our, e->entry_hash.data, 32) != 0)
				return (replica_halt(a, LSN_EFORK, "pushed "
				    "entry at rev %llu differs from ours",
				    (unsigned long long) e->rev));
			return (LSN_OK);
		}
	}
	if ((rv = apply_entries(a, ops, &head)) != LSN_OK)
		return (rv);
	if (ops->checkpoint != NULL &&
	    (rv = check_checkpoint(a, ops->checkpoint)) != LSN_OK)
		return (rv);
	if (ops->has_more && ops->more)
		send_sync(a);
	else if (!(ops->has_live && ops->live)) {
		sync_done(a);
		return (check_withheld(a));
	}
	return (LSN_OK);
}

/*
 * The alert texts, newest last (at most AGENT_ALERTS_MAX). *alertsp is an
 * array of malloc'd strings; free with replica_alerts_free.
 */
int
replica_alerts(struct agent *a, char ***alertsp, size_t *np)
{
	return (astore_alerts(a, AGENT_ALERTS_MAX, alertsp, np));
}

void
replica_alerts_free(char **alerts, size_t n)
{
	if (alerts == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(alerts[i]);
	free(alerts);
}
