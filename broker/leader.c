/*
 * leader.c -- one active broker per PostgreSQL store, fenced by a session
 * advisory lock and an epoch (see leader.h for the design and ownership).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"
#include "leader.h"

#define LEADER_HOST_MAX		128
#define LEADER_HEALTH_MS	1000	/* backend health refresh */

struct leader {
	int		 on;		/* backend is PostgreSQL */
	int		 active;	/* we hold the lease */
	int		 lost;		/* stop serving */
	int64_t		 epoch;		/* ours, while active */
	int64_t		 since_ms;	/* when we took it (server clock) */
	char		 holder[LEADER_HOLDER_MAX];	/* ours */
	uint8_t		 store_epoch[16];
	int		 has_store_epoch;
	uint64_t	 renew_at;	/* monotonic */
	uint64_t	 health_at;
	/* what the status shows: the lease as last read, the server */
	int64_t		 seen_epoch;
	int64_t		 seen_since_ms;
	int64_t		 seen_age_ms;
	char		 seen_holder[LEADER_HOLDER_MAX];
	char		 host[LEADER_HOST_MAX];
	int		 in_recovery;
	int		 connected;
};

int
leader_on(const struct broker *b)
{
	return (b->ldr != NULL && b->ldr->on);
}

int64_t
leader_epoch(const struct broker *b)
{
	if (!leader_on(b) || !b->ldr->active || b->ldr->lost)
		return (0);
	return (b->ldr->epoch);
}

int
leader_lost(const struct broker *b)
{
	return (b->ldr != NULL && b->ldr->on && b->ldr->lost);
}

void
leader_free(struct broker *b)
{
	free(b->ldr);
	b->ldr = NULL;
}

void
leader_store_error(struct broker *b, int rv)
{
	if (!leader_on(b) || rv != LSN_ECLOSED || b->ldr->lost)
		return;
	b->ldr->lost = 1;
	b->ldr->connected = 0;
	log_warnx("leader: the connection to the store is lost: this broker "
	    "stops serving (epoch %lld) and becomes a standby",
	    (long long) b->ldr->epoch);
}

/* The server's address and recovery state, for the status. */
static void
health(struct broker *b)
{
	struct leader	*l = b->ldr;
	int		 rv;

	if ((rv = bstore_lease_health(b, l->host, sizeof(l->host),
	    &l->in_recovery)) == LSN_OK)
		l->connected = 1;
	if (rv == LSN_ECLOSED)
		l->connected = 0;
}

/* Reads the lease row into seen_*; LSN_ENOENT when there is none yet. */
static int
lease_read(struct broker *b)
{
	struct leader		*l = b->ldr;
	struct bstore_lease	 le;

	le.epoch = &l->seen_epoch;
	le.holder = l->seen_holder;
	le.holdersz = sizeof(l->seen_holder);
	le.since_ms = &l->seen_since_ms;
	le.age_ms = &l->seen_age_ms;
	return (bstore_lease_read(b, &le));
}

/*
 * The lock is held by someone else. A lease not renewed for LEADER_TTL_MS
 * belongs to a broker that is hung, paused or cut off while the server
 * still holds its session: that session is terminated (its transaction,
 * if any, rolled back), which frees the lock for the next attempt.
 */
static void
standby_check(struct broker *b, int *logged_epoch)
{
	struct leader	*l = b->ldr;
	int64_t		 n = 0;
	int		 rv;

	if ((rv = lease_read(b)) != LSN_OK)
		return;
	if (*logged_epoch != (int) l->seen_epoch) {
		*logged_epoch = (int) l->seen_epoch;
		log_info("leader: standby; the active broker is %s (epoch "
		    "%lld)", l->seen_holder[0] != '\0' ? l->seen_holder : "?",
		    (long long) l->seen_epoch);
	}
	if (l->seen_age_ms <= LEADER_TTL_MS)
		return;
	if (bstore_lease_kill(b, &n) == LSN_OK && n > 0)
		log_warnx("leader: the lease of %s (epoch %lld) was not "
		    "renewed for %lld ms: terminated its server session to "
		    "take over",
		    l->seen_holder, (long long) l->seen_epoch,
		    (long long) l->seen_age_ms);
}

/* Takes the lease in its own transaction: epoch + 1, holder = us. */
static int
lease_take(struct broker *b)
{
	struct leader	*l = b->ldr;
	int		 rv;

	if ((rv = lsn_store_begin(b->st)) != LSN_OK)
		return (rv);
	if ((rv = bstore_lease_create(b)) != LSN_OK ||
	    (rv = bstore_lease_take(b, l->holder, &l->epoch,
	    &l->since_ms)) != LSN_OK ||
	    (rv = bstore_store_epoch(b, l->store_epoch,
	    sizeof(l->store_epoch), &l->has_store_epoch)) != LSN_OK)
		goto out;
	rv = lsn_store_commit(b->st);
 out:
	if (rv != LSN_OK)
		lsn_store_rollback(b->st);
	return (rv);
}

/* Sleeps ms in 100 ms steps, answering the control socket; 1 on stop. */
static int
standby_sleep(struct broker *b, uint64_t ms, int (*stop)(void))
{
	uint64_t	end = lsn_mono_ms() + ms;

	while (!stop()) {
		uint64_t	now = lsn_mono_ms();
		zmq_pollitem_t	pi = { .socket = b->control,
				    .events = ZMQ_POLLIN };

		if (now >= end)
			return (0);
		if (b->control != NULL) {
			(void) zmq_poll(&pi, 1, (long) (end - now > 100 ? 100 :
			    end - now));
			control_serve(b);
		} else {
			struct timespec	ts = { 0, 100 * 1000000L };

			(void) nanosleep(&ts, NULL);
		}
	}
	return (1);
}

/* The control socket of a standby (closed again before broker_run). */
static void
standby_control(struct broker *b, int open)
{
	if (open && b->ctx == NULL && b->conf.control[0] != '\0') {
		if ((b->ctx = zmq_ctx_new()) != NULL &&
		    control_open(b) != LSN_OK && b->control != NULL) {
			zmq_close(b->control);
			b->control = NULL;
		}
		return;
	}
	if (open)
		return;
	if (b->control != NULL)
		zmq_close(b->control);
	b->control = NULL;
	if (b->ctx != NULL)
		zmq_ctx_term(b->ctx);
	b->ctx = NULL;
}

/* Opens the store; a standby keeps trying while the server is away. */
static int
store_open(struct broker *b, int first)
{
	int	rv;

	rv = lsn_store_open(b->conf.db, broker_migrations,
	    LSN_STORE_OWNER | (b->db_init ? LSN_STORE_INIT : 0), &b->st);
	if (rv == LSN_OK)
		return (LSN_OK);
	if (lsn_log_ratelimit("leader-open", 10) || first)
		log_warnx("cannot open database %s: %s", b->conf.db,
		    lsn_strerror(rv));
	return (rv);
}

/*
 * One standby attempt on an open store: 1 when the lease is ours, 0 when
 * another broker holds the lock, or the store's error.
 */
static int
try_take(struct broker *b, int *logged_epoch)
{
	struct leader	*l = b->ldr;
	int64_t		 got = 0;
	int		 rv;

	health(b);
	if (l->in_recovery) {
		if (lsn_log_ratelimit("leader-ro", 10))
			log_warnx("leader: the store's server %s is a standby "
			    "(in recovery): add target_session_attrs="
			    "read-write to the URI; reconnecting", l->host);
		return (LSN_EPERM);
	}
	if ((rv = bstore_lease_trylock(b, &got)) != LSN_OK)
		return (rv);
	if (!got) {
		standby_check(b, logged_epoch);
		return (0);
	}
	if ((rv = lease_take(b)) != LSN_OK) {
		log_warnx("leader: cannot take the lease: %s",
		    lsn_store_errmsg(b->st));
		return (rv);
	}
	return (1);
}

int
leader_acquire(struct broker *b, int (*stop)(void), int first)
{
	struct leader	*l;
	char		 host[64] = "?";
	size_t		 n;
	int		 rv, logged = -1;

	if (b->ldr == NULL && (b->ldr = calloc(1, sizeof(*b->ldr))) == NULL)
		return (LSN_ENOMEM);
	l = b->ldr;
	(void) gethostname(host, sizeof(host) - 1);
	/* host and pid, then as much of the endpoint as fits */
	(void) snprintf(l->holder, sizeof(l->holder), "%s pid %ld ", host,
	    (long) getpid());
	n = strlen(l->holder);
	lsn_strlcpy(l->holder + n, b->conf.listen, sizeof(l->holder) - n);
	for (;;) {
		if (stop())
			return (LEADER_STOPPED);
		if (b->st == NULL && (rv = store_open(b, first)) != LSN_OK) {
			/* sqlite, and clear errors at the first start (a
			 * newer schema, a refused login), stay fatal; a
			 * server that is away is waited for */
			if (!lsn_store_is_uri(b->conf.db) ||
			    (first && (rv == LSN_EVERSION ||
			    rv == LSN_ECONFIG || rv == LSN_EINVAL ||
			    rv == LSN_EPERM || rv == LSN_ENOMEM)))
				return (rv);
			first = 0;
			standby_control(b, 1);
			if (standby_sleep(b, LEADER_RECONNECT_MS, stop))
				return (LEADER_STOPPED);
			continue;
		}
		first = 0;
		l->on = lsn_store_backend(b->st) == LSN_BACKEND_PG;
		if (!l->on) {
			l->active = 1;
			return (LSN_OK);
		}
		l->lost = 0;
		l->active = 0;
		if ((rv = try_take(b, &logged)) == 1)
			break;
		if (rv < 0) {
			/* lost or unusable connection: a new one next time */
			lsn_store_close(&b->st);
			l->connected = 0;
		}
		standby_control(b, 1);
		if (standby_sleep(b, rv < 0 ? LEADER_RECONNECT_MS :
		    LEADER_RETRY_MS, stop))
			return (LEADER_STOPPED);
	}
	standby_control(b, 0);
	l->active = 1;
	l->renew_at = lsn_mono_ms() + LEADER_RENEW_MS;
	l->health_at = 0;
	log_info("leader: active broker of the store (epoch %lld, %s, server "
	    "%s)", (long long) l->epoch, l->holder, l->host);
	return (LSN_OK);
}

int
leader_fence(struct broker *b)
{
	struct leader	*l = b->ldr;
	int64_t		 e = 0;
	int		 rv;

	if (!leader_on(b))
		return (LSN_OK);
	if (l->lost)
		return (LSN_ENOTACTIVE);
	if ((rv = bstore_lease_fence(b, &e)) != LSN_OK)
		goto fail;
	if (e == l->epoch)
		return (LSN_OK);
	l->lost = 1;
	log_warnx("leader: fenced: the lease's epoch is %lld, ours %lld: "
	    "another broker took over; this turn is rolled back and this "
	    "broker becomes a standby", (long long) e, (long long) l->epoch);
	return (LSN_ENOTACTIVE);
 fail:
	log_warnx("leader: cannot check the lease: %s",
	    lsn_store_errmsg(b->st));
	leader_store_error(b, rv);
	return (rv == LSN_ECLOSED ? rv : LSN_EDB);
}

void
leader_tick(struct broker *b)
{
	struct leader	*l = b->ldr;
	uint64_t	 now = lsn_mono_ms();
	int64_t		 n = 0;
	int		 rv;

	if (!leader_on(b) || l->lost || now < l->renew_at)
		return;
	l->renew_at = now + LEADER_RENEW_MS;
	rv = bstore_lease_renew(b, l->epoch, &n);
	if (rv == LSN_OK && n != 1) {
		l->lost = 1;
		log_warnx("leader: the lease is no longer ours (epoch %lld): "
		    "another broker took over; this broker becomes a standby",
		    (long long) l->epoch);
		return;
	}
	if (rv != LSN_OK) {
		if (lsn_log_ratelimit("leader-renew", 10))
			log_warnx("leader: cannot renew the lease: %s",
			    lsn_store_errmsg(b->st));
		leader_store_error(b, rv);
		return;
	}
	if (now >= l->health_at) {
		l->health_at = now + LEADER_HEALTH_MS;
		health(b);
	}
}

int
leader_store_epoch(const struct broker *b, uint8_t out[16])
{
	if (!leader_on(b) || !b->ldr->has_store_epoch)
		return (0);
	memcpy(out, b->ldr->store_epoch, 16);
	return (1);
}

int
leader_status(struct broker *b, json_t *o)
{
	struct leader	*l = b->ldr;
	json_t		*lease, *store;
	const char	*role;

	if (!leader_on(b)) {
		return (json_object_set_new(o, "backend",
		    json_string("sqlite")) == 0 && json_object_set_new(o,
		    "role", json_string("active")) == 0 ? LSN_OK :
		    LSN_ENOMEM);
	}
	role = l->active && !l->lost ? "active" : "standby";
	if (l->active && !l->lost)
		lease = json_pack("{s:I, s:s, s:I}", "epoch",
		    (json_int_t) l->epoch, "holder", l->holder, "since_ms",
		    (json_int_t) l->since_ms);
	else
		lease = json_pack("{s:I, s:s, s:I, s:I}", "epoch",
		    (json_int_t) l->seen_epoch, "holder", l->seen_holder,
		    "since_ms", (json_int_t) l->seen_since_ms,
		    "renewed_ago_ms", (json_int_t) l->seen_age_ms);
	store = json_pack("{s:s, s:b, s:b}", "host", l->host, "connected",
	    b->st != NULL && l->connected, "in_recovery", l->in_recovery);
	if (json_object_set_new(o, "backend", json_string("postgresql")) ||
	    json_object_set_new(o, "role", json_string(role)) ||
	    json_object_set_new(o, "lease", lease) ||
	    json_object_set_new(o, "store", store))
		return (LSN_ENOMEM);
	return (LSN_OK);
}

void
leader_step_down(struct broker *b)
{
	for (size_t i = 0; i < b->nsess; i++)
		(void) wire_queue_error(b, b->sess[i].rid, b->sess[i].ridlen,
		    LSN_ENOTACTIVE, "this broker is no longer the active one");
	wire_flush(b, 1);
	log_warnx("%s: no longer the active broker: stopped serving "
	    "(accepted %llu, refused %llu, delivered %llu); back to standby",
	    BROKER_NAME, (unsigned long long) b->stat_accepted,
	    (unsigned long long) b->stat_refused,
	    (unsigned long long) b->stat_delivered);
}
