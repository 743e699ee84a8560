/* agent.c -- liaison-agent: storage, start-up, the poll loop, reload. */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

volatile sig_atomic_t agent_quit;
volatile sig_atomic_t agent_reload;

const char *
agent_name(void)
{
	return ("liaison-agent");
}

static int
load_keys(struct agent *a, const struct agent_conf *c)
{
	char			 path[AGENT_PATH_MAX + 32];
	enum lsn_key_kind	 kind;
	struct lsn_keypair	*sk = NULL, *tk = NULL, *ek = NULL;
	uint8_t			 bpk[LSN_PK_BYTES];
	int			 rv;

	snprintf(path, sizeof(path), "%s/sign.key", c->keys_dir);
	if ((rv = lsn_keypair_load(path, &sk)) != LSN_OK) {
		log_warnx("%s: %s: %s", __func__, path, lsn_strerror(rv));
		goto out;
	}
	if (sk->kind != LSN_KEY_SIGN) {
		log_warnx("%s: %s is not a signing key", __func__, path);
		rv = LSN_EKEYFORMAT;
		goto out;
	}
	/* encrypt.key opens sealed bodies; without it they go to
	 * quarantine (LSN_EUNSEAL), everything else still works */
	snprintf(path, sizeof(path), "%s/encrypt.key", c->keys_dir);
	if ((rv = lsn_keypair_load(path, &ek)) == LSN_EFILEPERM) {
		/* a missing key is a choice; one others can read is not */
		log_warnx("%s: %s: %s", __func__, path, lsn_strerror(rv));
		goto out;
	} else if (rv != LSN_OK)
		log_warnx("%s: %s: %s: sealed messages cannot be opened",
		    __func__, path, lsn_strerror(rv));
	else if (ek->kind != LSN_KEY_ENCRYPT) {
		log_warnx("%s: %s is not an encryption key", __func__, path);
		rv = LSN_EKEYFORMAT;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/transport.key", c->keys_dir);
	if ((rv = lsn_keypair_load(path, &tk)) != LSN_OK) {
		log_warnx("%s: %s: %s", __func__, path, lsn_strerror(rv));
		goto out;
	}
	if (tk->kind != LSN_KEY_TRANSPORT) {
		log_warnx("%s: %s is not a transport key", __func__, path);
		rv = LSN_EKEYFORMAT;
		goto out;
	}
	/* the broker's key is a trust anchor: nobody else may rewrite it */
	if ((rv = lsn_file_check_perms(c->broker_key, 0)) != LSN_OK) {
		log_warnx("%s: %s: %s (must be a regular file not writable "
		    "by group or others)", __func__, c->broker_key,
		    lsn_strerror(rv));
		goto out;
	}
	if ((rv = lsn_pubkey_load(c->broker_key, &kind, bpk, NULL)) !=
	    LSN_OK) {
		log_warnx("%s: %s: %s", __func__, c->broker_key,
		    lsn_strerror(rv));
		goto out;
	}
	if (kind != LSN_KEY_TRANSPORT) {
		log_warnx("%s: %s is not a transport key", __func__,
		    c->broker_key);
		rv = LSN_EKEYFORMAT;
		goto out;
	}
	lsn_keypair_destroy(&a->sign_kp);
	lsn_keypair_destroy(&a->encrypt_kp);
	lsn_keypair_destroy(&a->transport_kp);
	a->sign_kp = sk;
	a->encrypt_kp = ek;
	a->transport_kp = tk;
	sk = tk = ek = NULL;
	memcpy(a->broker_pk, bpk, sizeof(bpk));
	rv = LSN_OK;
 out:
	lsn_keypair_destroy(&sk);
	lsn_keypair_destroy(&ek);
	lsn_keypair_destroy(&tk);
	return (rv);
}

/*
 * One agent per database: an exclusive lock on <db>.lock, held for the
 * life of the process. LSN_EEXIST if another process holds it.
 */
static int
lock_db(struct agent *a, const char *db)
{
	char	path[AGENT_PATH_MAX + 8];
	int	fd;

	snprintf(path, sizeof(path), "%s.lock", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s: %s", __func__, path);
		return (LSN_EIO);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("%s is in use by another liaison-agent", db);
		close(fd);
		return (LSN_EEXIST);
	}
	a->lock_fd = fd;
	return (LSN_OK);
}

/*
 * Opens the agent: database (migrated), replica, keys, zmq context, the
 * API socket and the broker link. *out is owned by the caller
 * (agent_close). c is copied.
 */
int
agent_open(const char *conf_path, const struct agent_conf *c,
    struct agent **out)
{
	struct agent	*a;
	int		 rv;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (LSN_ENOMEM);
	a->conf = *c;
	wf_clock_init(a);
	a->lock_fd = -1;
	if (conf_path != NULL)
		lsn_strlcpy(a->conf_path, conf_path, sizeof(a->conf_path));
	a->backoff_ms = (uint64_t) c->reconnect_min_ms;
	if ((rv = load_keys(a, c)) != LSN_OK)
		goto out;
	if ((rv = lock_db(a, c->db)) != LSN_OK)
		goto out;
	(void) lsn_metrics_fsync_install();	/* before the first open */
	if ((rv = lsn_store_open(c->db, agent_migrations, LSN_STORE_OWNER |
	    (c->db_init ? LSN_STORE_INIT : 0), &a->st)) != LSN_OK) {
		log_warnx("%s: database %s: %s", __func__, c->db,
		    lsn_strerror(rv));
		goto out;
	}
	if ((rv = lsn_dir_open(a->st, &a->dir)) != LSN_OK)
		goto out;
	if ((rv = replica_init(a)) != LSN_OK)
		goto out;
	if ((rv = inbox_cursor_load(a)) != LSN_OK)
		goto out;
	if ((a->zctx = zmq_ctx_new()) == NULL) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	if ((rv = api_open(a)) != LSN_OK)
		goto out;
	if ((rv = link_open(a)) != LSN_OK)
		goto out;
	if ((rv = ametrics_open(a)) != LSN_OK)
		goto out;
	*out = a;
	a = NULL;
	rv = LSN_OK;
 out:
	agent_close(&a);
	return (rv);
}

void
agent_close(struct agent **ap)
{
	struct agent	*a;

	if (ap == NULL || (a = *ap) == NULL)
		return;
	ametrics_close(a);	/* stops the HTTP thread first */
	notify_close(a);
	if (a->in_tx)
		lsn_store_rollback(a->st);
	outbox_sign_drop(a);
	free(a->us);
	for (size_t i = 0; i < a->nheld; i++)
		free(a->held[i].buf);
	free(a->held);
	for (size_t i = 0; i < a->ndeferred; i++)
		free(a->deferred[i].buf);
	link_close(a);
	api_close(a);
	if (a->zctx != NULL)
		zmq_ctx_term(a->zctx);
	lsn_dir_close(&a->dir);
	lsn_store_close(&a->st);
	lsn_keypair_destroy(&a->sign_kp);
	lsn_keypair_destroy(&a->encrypt_kp);
	lsn_keypair_destroy(&a->transport_kp);
	if (a->lock_fd != -1)
		close(a->lock_fd);
	free(a);
	*ap = NULL;
}

/*
 * SIGHUP: reload the configuration into a new struct; on error keep the
 * old one. Settings that only need new values (timers) apply at once;
 * a changed broker endpoint or key reconnects; db, partner and api need a
 * restart (logged).
 */
void
agent_do_reload(struct agent *a)
{
	struct agent_conf	nc;
	char			err[512];
	int			relink;

	if (a->conf_path[0] == '\0')
		return;
	if (aconf_load(a->conf_path, &nc, err, sizeof(err)) != LSN_OK) {
		log_warnx("reload: %s; keeping the old configuration", err);
		return;
	}
	if (strcmp(nc.db, a->conf.db) != 0 ||
	    strcmp(nc.partner, a->conf.partner) != 0 ||
	    strcmp(nc.api, a->conf.api) != 0 ||
	    strcmp(nc.trust_root, a->conf.trust_root) != 0)
		log_warnx("reload: db, partner, api and trust_root changes "
		    "need a restart; they are ignored");
	lsn_strlcpy(nc.db, a->conf.db, sizeof(nc.db));
	lsn_strlcpy(nc.partner, a->conf.partner, sizeof(nc.partner));
	lsn_strlcpy(nc.api, a->conf.api, sizeof(nc.api));
	/* API access is resolved at start (apiauth.c): restart to change */
	memcpy(nc.api_allow_user, a->conf.api_allow_user,
	    sizeof(nc.api_allow_user));
	memcpy(nc.api_allow_group, a->conf.api_allow_group,
	    sizeof(nc.api_allow_group));
	memcpy(nc.api_key, a->conf.api_key, sizeof(nc.api_key));
	memcpy(nc.api_allow_keys, a->conf.api_allow_keys,
	    sizeof(nc.api_allow_keys));
	lsn_strlcpy(nc.trust_root, a->conf.trust_root,
	    sizeof(nc.trust_root));
	if (load_keys(a, &nc) != LSN_OK) {
		log_warnx("reload: keys not loadable; keeping the old "
		    "configuration");
		return;
	}
	relink = strcmp(nc.broker, a->conf.broker) != 0 ||
	    strcmp(nc.broker_key, a->conf.broker_key) != 0 ||
	    strcmp(nc.keys_dir, a->conf.keys_dir) != 0;
	a->conf = nc;
	log_setverbose((int) nc.verbose);
	log_info("configuration reloaded");
	if (relink) {
		link_reset(a, "configuration changed");
		/* a new list starts over at its first endpoint */
		a->broker_idx = 0;
		a->broker_fails = 0;
	}
}

/* ---- per-turn transaction ---- */

int
agent_tx_begin(struct agent *a)
{
	int	rv;

	if (a->in_tx)
		return (a->tx_failed ? LSN_EDB : LSN_OK);
	if (a->indoubt)
		return (LSN_EINDOUBT);	/* stopping: nothing more is written */
	if ((rv = lsn_store_begin(a->st)) != LSN_OK)
		return (rv);
	a->in_tx = 1;
	a->tx_failed = 0;
	return (LSN_OK);
}

/*
 * For work that may run inside or outside the turn (an API request
 * outside a batch, a receipt): joins the open transaction (*own = 0) or
 * opens it (*own = 1: the caller ends it with agent_tx_commit).
 */
int
agent_tx_join(struct agent *a, int *own)
{
	*own = !a->in_tx;
	return (agent_tx_begin(a));
}

static void
send_acks(struct agent *a)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DeliverAck	da = LIAISON__V1__DELIVER_ACK__INIT;

	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
	f.deliver_ack = &da;
	for (size_t i = 0; i < a->nacks; i++) {
		da.has_seq = 1;
		da.seq = a->acks[i].seq;
		da.has_code = 1;
		da.code = lsn_err_to_wire(a->acks[i].code);
		da.detail = a->acks[i].detail[0] != '\0' ?
		    a->acks[i].detail : NULL;
		if (link_send(a, &f) != LSN_OK)
			break;
	}
	a->nacks = 0;
}

/*
 * COMMITs the turn's transaction, then sends what was held for it (the
 * DeliverAcks), lets the outbox pump send the messages stored in it and
 * wakes long-polling API callers. On failure (or when a handler marked it
 * failed) everything of the turn is rolled back and the in-memory state
 * is reloaded from the database; the caller decides what else to do
 * (LSN_EDB).
 */
int
agent_tx_commit(struct agent *a)
{
	double	t0;
	int	ok;

	if (!a->in_tx)
		return (LSN_OK);
	/* the turn's DELIVERED receipts and delivery cursor, inside its
	 * transaction */
	if (!a->tx_failed && (rcpt_flush(a) != LSN_OK ||
	    inbox_cursor_save(a) != LSN_OK))
		a->tx_failed = 1;
	/* then the signatures of every message stored in it, receipts
	 * included: no row is committed unsigned (outbox_sign.c) */
	if (!a->tx_failed && outbox_sign_flush(a) != LSN_OK)
		a->tx_failed = 1;
	a->in_tx = 0;
	t0 = ametrics_clock();
	ok = !a->tx_failed && lsn_store_commit(a->st) == LSN_OK;
	if (ok)
		ametrics_commit(a, ametrics_clock() - t0);
	if (!ok && lsn_store_in_doubt(a->st))
		agent_set_in_doubt(a);
	if (!ok) {
		lsn_store_rollback(a->st);
		outbox_sign_drop(a);
		a->nacks = 0;
		a->cursor_dirty = 0;
		rcpt_drop(a);
		a->inbox_added = 0;
		a->outbox_added = 0;
		a->events_added = 0;
		outbox_counts_reset(a);
		if (inbox_cursor_load(a) != LSN_OK || replica_init(a) != LSN_OK)
			log_warnx("%s: cannot reload state", __func__);
		return (LSN_EDB);
	}
	send_acks(a);
	if (a->outbox_added) {
		/* messages (receipts, API submits) stored in the turn:
		 * outbox_pump sends them at the top of the next loop turn */
		a->outbox_added = 0;
		a->ob_pass = 1;
	}
	if (a->inbox_added || a->events_added) {
		a->inbox_added = 0;
		a->events_added = 0;
		api_inbox_changed(a);
	}
	return (LSN_OK);
}

/*
 * PostgreSQL's rule for a failed fsync (lsn_store_in_doubt): what is
 * durable is unknown, so stop before anything else is written or
 * answered; the next start's recovery decides, and the requests of the
 * failed commit are answered E_IN_DOUBT.
 */
void
agent_set_in_doubt(struct agent *a)
{
	if (a->indoubt)
		return;
	a->indoubt = 1;
	agent_quit = 1;
	log_warnx("database %s: a commit failed at its sync: whether it was "
	    "stored is unknown; stopping (exit status 1) so that the next "
	    "start decides; its API requests are answered E_IN_DOUBT",
	    a->conf.db);
}

/*
 * Ends the broker link's turn: agent_tx_commit; on failure the link is
 * reset so the broker redelivers what was not acknowledged.
 */
void
agent_tx_end(struct agent *a)
{
	if (!a->in_tx)
		return;
	if (agent_tx_commit(a) != LSN_OK)
		link_reset(a, "database error");
}

/*
 * A savepoint inside the open transaction (nestable: each BEGIN is undone
 * by one RELEASE or one ROLLBACK, innermost first): AGENT_SP_BEGIN,
 * AGENT_SP_RELEASE (keep the work), AGENT_SP_ROLLBACK (undo the work since
 * the matching BEGIN and drop the savepoint).
 */
int
agent_savepoint(struct agent *a, int op)
{
	return (astore_savepoint(a, op));
}

/* ---- state table ---- */

int
agent_state_get(struct agent *a, const char *key, char *val, size_t valsz)
{
	return (astore_state_get(a, key, val, valsz));
}

int
agent_state_set(struct agent *a, const char *key, const char *val)
{
	int	rv;

	rv = astore_state_set(a, key, val);
	if (rv != LSN_OK)
		log_warnx("%s: %s", __func__, lsn_store_errmsg(a->st));
	return (rv);
}

static int
alert_insert(struct agent *a, const char *text, int once)
{
	int	rv, found;

	if (once) {
		if ((rv = astore_alert_exists(a, text, &found)) != LSN_OK)
			return (rv);
		if (found)
			return (LSN_OK);
	}
	log_warnx("ALERT: %s", text);
	return (astore_alert_add(a, (int64_t) lsn_now_ms(), text));
}

/* Records an alert (shown by `liaison status`) and logs it. */
int
agent_alert(struct agent *a, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return (alert_insert(a, text, 0));
}

/* As agent_alert, unless the same alert text was already recorded. */
int
agent_alert_once(struct agent *a, const char *fmt, ...)
{
	char	text[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return (alert_insert(a, text, 1));
}

/* ---- loop ---- */

static long
min_timeout(long t1, long t2)
{
	if (t1 < 0)
		return (t2);
	if (t2 < 0)
		return (t1);
	return (t1 < t2 ? t1 : t2);
}

/*
 * The event loop: runs until SIGTERM/SIGINT. Returns LSN_OK on a clean
 * stop, LSN_EINDOUBT after a commit failed at its sync (agent_tx_commit).
 */
int
agent_run(struct agent *a)
{
	zmq_pollitem_t	items[4];
	int		n, zi, rv;
	long		timeout;
	uint64_t	now;

	log_info("%s %s started for %s, broker %s, api %s", agent_name(),
	    LSN_VERSION, a->conf.partner, a->conf.broker, a->api_ep);
	while (!agent_quit) {
		if (agent_reload) {
			agent_reload = 0;
			agent_do_reload(a);
		}
		now = lsn_mono_ms();
		link_timers(a, now);
		api_timers(a, now);
		wf_timers(a, now);
		notify_timers(a, now);
		outbox_pump(a, now);
		ametrics_tick(a);
		now = lsn_mono_ms();
		timeout = min_timeout(link_timeout(a, now),
		    api_timeout(a, now));
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		if (outbox_can_send(a) && timeout > 10)
			timeout = 10;
		n = 0;
		items[n].socket = a->api;
		items[n].fd = -1;
		items[n].events = ZMQ_POLLIN;
		items[n++].revents = 0;
		if (a->dealer != NULL) {
			items[n].socket = a->dealer;
			items[n].fd = -1;
			items[n].events = ZMQ_POLLIN;
			items[n++].revents = 0;
			items[n].socket = a->mon;
			items[n].fd = -1;
			items[n].events = ZMQ_POLLIN;
			items[n++].revents = 0;
		}
		zi = -1;
		if (a->api_zap != NULL) {
			zi = n;
			items[n].socket = a->api_zap;
			items[n].fd = -1;
			items[n].events = ZMQ_POLLIN;
			items[n++].revents = 0;
		}
		rv = zmq_poll(items, n, timeout);
		if (rv < 0) {
			if (errno == EINTR)
				continue;
			log_warn("zmq_poll");
			return (LSN_EINTERNAL);
		}
		if (zi >= 0 && (items[zi].revents & ZMQ_POLLIN))
			apiauth_serve(a);
		if (n > 1 && zi != 1 && (items[2].revents & ZMQ_POLLIN))
			link_on_monitor(a);
		if (n > 1 && zi != 1 && a->dealer != NULL &&
		    (items[1].revents & ZMQ_POLLIN))
			link_on_readable(a);
		if (items[0].revents & ZMQ_POLLIN)
			api_on_readable(a);
	}
	log_info("stopping");
	return (a->indoubt ? LSN_EINDOUBT : LSN_OK);
}
