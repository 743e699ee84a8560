/*
 * bench_load.c -- the message bus under a given load: latency at a fixed
 * offered rate (raw publisher -> broker -> agent), fan-out of a notice to
 * a group of connected clients, and the broker's memory with connected
 * clients and messages queued on disk. Fixture partners as in
 * bench_bus.c: p03 raw latency publisher with p04's agent as recipient,
 * p02 fan-out publisher.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/client.h"
#include "liaison/err.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "bench.h"
#include "lsn_proc.h"

#define P_LAT_FROM	2	/* p03 */
#define P_LAT_TO	3	/* p04 */
#define P_FAN_FROM	1	/* p02 */

/* ---- latency at a fixed offered load ---- */

static int
lat_collect(struct bench_world *w, const uint64_t *send_us, size_t n,
    uint64_t *lat, size_t *nlat)
{
	Liaison__V1__ApiResponse	*resp = NULL;
	uint64_t			 after = 0;
	size_t				 k = 0;
	int				 rv;

	for (;;) {
		Liaison__V1__InboxListResponse	*l;

		if ((rv = agent_it_inbox(w->fx, P_LAT_TO, after, &resp)) !=
		    LSN_OK)
			return (rv);
		if (resp->code != 0 || (l = resp->inbox_list) == NULL) {
			lsn_client_response_free(&resp);
			return (LSN_EPROTO);
		}
		if (l->n_items == 0) {
			lsn_client_response_free(&resp);
			break;
		}
		for (size_t i = 0; i < l->n_items; i++) {
			Liaison__V1__InboxItem	*it = l->items[i];
			uint64_t		 idx = 0, rx;

			after = it->local_seq;
			if (!it->has_message_id || it->message_id.len != 16)
				continue;
			for (int b = 0; b < 8; b++)
				idx = idx << 8 | it->message_id.data[b];
			if (idx >= n || k >= n)
				continue;
			/* received_ms is whole ms: take the upper end. */
			rx = (it->received_ms + 1) * 1000;
			lat[k++] = rx > send_us[idx] ? rx - send_us[idx] : 0;
		}
		lsn_client_response_free(&resp);
	}
	*nlat = k;
	return (LSN_OK);
}

int
bench_latency(struct bench_world *w)
{
	size_t			 n = (size_t) w->cfg->lat_secs * 1000;
	uint64_t		*send_us = NULL, *lat = NULL, *ack_us = NULL;
	uint64_t		*mono_us = NULL;
	size_t			 nlat = 0, nack = 0, bad = 0;
	void			*s = NULL;
	pid_t			 pr = -1;
	struct bench_row	*r;
	double			 t0, t_end, cb0, cr0, cb1, cr1, t_run;
	int			 rv;

	send_us = calloc(n, sizeof(*send_us));
	mono_us = calloc(n, sizeof(*mono_us));
	ack_us = calloc(n, sizeof(*ack_us));
	lat = calloc(n, sizeof(*lat));
	if (send_us == NULL || lat == NULL || ack_us == NULL ||
	    mono_us == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((pr = bench_agent_start(w, P_LAT_TO)) == -1) {
		rv = LSN_EIO;
		goto out;
	}
	if ((rv = bench_wait_connected(w, P_LAT_TO)) != LSN_OK ||
	    (rv = bench_dealer(w, P_LAT_FROM, NULL, &s)) != LSN_OK)
		goto out;
	cb0 = bench_cpu_secs(w->broker);
	cr0 = bench_cpu_secs(pr);
	t0 = bench_mono();
	for (size_t i = 0; i <= n; i++) {
		double	due = t0 + (double) i / 1000.0;

		/* Until the next message is due: collect PublishAcks. */
		for (;;) {
			double			 left = due - bench_mono();
			zmq_pollitem_t		 pi = { s, -1, ZMQ_POLLIN, 0 };
			Liaison__V1__Frame	*f;

			if (i == n)
				left = nack + bad < n ? 10.0 : 0;
			if (left <= 0)
				break;
			if (zmq_poll(&pi, 1, (int) (left * 1000.0)) <= 0) {
				if (i == n)
					break;
				continue;
			}
			while (lsn_fixture_recv(s, 0, &f) == LSN_OK) {
				Liaison__V1__PublishAck	*a = f->publish_ack;
				uint64_t		 idx = 0;

				if (f->kind_case !=
				    LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
					liaison__v1__frame__free_unpacked(f,
					    NULL);
					continue;
				}
				if (a->code != 0)
					bad++;
				else if (a->has_message_id &&
				    a->message_id.len == 16) {
					for (int b = 0; b < 8; b++)
						idx = idx << 8 |
						    a->message_id.data[b];
					if (idx < n && ack_us[idx] == 0) {
						ack_us[idx] = (uint64_t)
						    (bench_mono() * 1e6) -
						    mono_us[idx];
						nack++;
					}
				}
				liaison__v1__frame__free_unpacked(f, NULL);
			}
		}
		if (i == n)
			break;
		{
			uint8_t	 id[16], *env = NULL;
			size_t	 elen = 0;

			for (int b = 0; b < 8; b++)
				id[b] = (uint8_t) (i >> (56 - 8 * b));
			randombytes_buf(id + 8, 8);
			if ((rv = bench_envelope(w, P_LAT_FROM,
			    w->fx->partners[P_LAT_TO].id, NULL, id, &env,
			    &elen)) != LSN_OK)
				goto out;
			mono_us[i] = (uint64_t) (bench_mono() * 1e6);
			send_us[i] = bench_wall_us();
			rv = lsn_fixture_publish_raw(s, env, elen);
			free(env);
			if (rv != LSN_OK)
				goto out;
		}
	}
	if (bad != 0 || nack != n) {
		bench_msg("latency: %zu acked, %zu refused of %zu", nack, bad,
		    n);
		rv = LSN_EPROTO;
		goto out;
	}
	if ((rv = bench_wait_inbox(w, P_LAT_TO, n, 120.0, &t_end)) != LSN_OK)
		goto out;
	t_run = t_end - t0;
	cb1 = bench_cpu_secs(w->broker);
	cr1 = bench_cpu_secs(pr);
	if ((rv = lat_collect(w, send_us, n, lat, &nlat)) != LSN_OK)
		goto out;
	if (nlat != n) {
		bench_msg("latency: %zu of %zu found in the inbox", nlat, n);
		rv = LSN_EPROTO;
		goto out;
	}
	qsort(lat, nlat, sizeof(*lat), bench_cmp_u64);
	qsort(ack_us, n, sizeof(*ack_us), bench_cmp_u64);
	r = bench_row_add(w, "latency publish -> inbox p50 @1,000/s",
	    (double) bench_pct(lat, nlat, 0.50) / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "%zu messages over %d s from a "
	    "raw publisher to an agent; upper bounds (received_ms is whole "
	    "ms)", n, w->cfg->lat_secs);
	r = bench_row_add(w, "latency publish -> inbox p99 @1,000/s",
	    (double) bench_pct(lat, nlat, 0.99) / 1000.0, "ms");
	snprintf(r->target, sizeof(r->target), "< 10 ms");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s",
	    (double) bench_pct(lat, nlat, 0.99) / 10000.0,
	    bench_pct(lat, nlat, 0.99) < 10000 ? "met" : "MISSED");
	r = bench_row_add(w, "latency publish -> inbox max @1,000/s",
	    (double) lat[nlat - 1] / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "last message stored %.1f s "
	    "after the first was sent; CPU us/msg: broker %.0f, recipient "
	    "agent %.0f (%.0f%% and %.0f%% of a core)", t_run,
	    1e6 * (cb1 - cb0) / (double) n, 1e6 * (cr1 - cr0) / (double) n,
	    100 * (cb1 - cb0) / t_run, 100 * (cr1 - cr0) / t_run);
	r = bench_row_add(w, "latency publish -> PublishAck p99 @1,000/s",
	    (double) bench_pct(ack_us, n, 0.99) / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "broker commit + ack, measured "
	    "in us: p50 %.2f ms, max %.2f ms",
	    (double) bench_pct(ack_us, n, 0.50) / 1000.0,
	    (double) ack_us[n - 1] / 1000.0);
	rv = LSN_OK;
 out:
	if (s != NULL)
		zmq_close(s);
	if (pr > 0)
		(void) lsn_proc_stop(pr);
	free(send_us);
	free(mono_us);
	free(ack_us);
	free(lat);
	return (rv);
}

/* ---- fan-out and memory ---- */

struct fan {
	void		**c;		/* nfan client sockets */
	zmq_pollitem_t	 *pi;		/* nfan + 1 (publisher last) */
	uint8_t		 *got;
	size_t		  n;
};

static void
fan_free(struct fan *fa)
{
	if (fa->c != NULL)
		for (size_t i = 0; i < fa->n; i++)
			if (fa->c[i] != NULL)
				zmq_close(fa->c[i]);
	free(fa->c);
	free(fa->pi);
	free(fa->got);
	memset(fa, 0, sizeof(*fa));
}

/* Connects the lightweight clients and completes Hello/Welcome. */
static int
fan_connect(struct bench_world *w, struct fan *fa)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Hello	 h = LIAISON__V1__HELLO__INIT;
	size_t			 welcomed = 0;
	double			 t0 = bench_mono();
	int			 rv;

	fa->n = w->cfg->nfan;
	fa->c = calloc(fa->n, sizeof(*fa->c));
	fa->pi = calloc(fa->n + 1, sizeof(*fa->pi));
	fa->got = calloc(fa->n, 1);
	if (fa->c == NULL || fa->pi == NULL || fa->got == NULL)
		return (LSN_ENOMEM);
	h.has_protocol_version = 1;
	h.protocol_version = 1;
	h.has_delivery_cursor = 1;
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	for (size_t i = 0; i < fa->n; i++) {
		if ((rv = lsn_fixture_dealer(w->fx, w->zctx, 0,
		    w->big[i].transport, w->ep, &fa->c[i])) != LSN_OK)
			return (rv);
		/* Queued until the CURVE handshake is done. */
		if ((rv = lsn_fixture_send(fa->c[i], &f)) != LSN_OK)
			return (rv);
		fa->pi[i].socket = fa->c[i];
		fa->pi[i].fd = -1;
		fa->pi[i].events = ZMQ_POLLIN;
	}
	while (welcomed < fa->n) {
		if (bench_mono() - t0 > 120.0 ||
		    zmq_poll(fa->pi, (int) fa->n, 10000) <= 0) {
			bench_msg("fan: %zu of %zu welcomed", welcomed, fa->n);
			return (LSN_ETIMEDOUT);
		}
		for (size_t i = 0; i < fa->n; i++) {
			Liaison__V1__Frame *g;

			if (!(fa->pi[i].revents & ZMQ_POLLIN))
				continue;
			while (lsn_fixture_recv(fa->c[i], 0, &g) == LSN_OK) {
				if (g->kind_case ==
				    LIAISON__V1__FRAME__KIND_WELCOME &&
				    !fa->got[i]) {
					fa->got[i] = 1;
					welcomed++;
				} else if (g->kind_case ==
				    LIAISON__V1__FRAME__KIND_ERROR)
					bench_msg("fan: client %zu: error %s",
					    i, g->error->detail ?
					    g->error->detail : "");
				liaison__v1__frame__free_unpacked(g, NULL);
			}
		}
	}
	bench_msg("fan: %zu clients connected in %.2f s", fa->n,
	    bench_mono() - t0);
	return (LSN_OK);
}

/* One notice to group "fan": *t_ack, *t_all in seconds. */
static int
fan_round(struct bench_world *w, struct fan *fa, void *pub, double *t_ack,
    double *t_all)
{
	uint8_t		*env = NULL;
	size_t		 elen = 0, delivered = 0;
	double		 t0;
	int		 acked = 0, rv;

	memset(fa->got, 0, fa->n);
	if ((rv = bench_envelope(w, P_FAN_FROM, NULL, "fan", NULL, &env,
	    &elen)) != LSN_OK)
		return (rv);
	fa->pi[fa->n].socket = pub;
	fa->pi[fa->n].fd = -1;
	fa->pi[fa->n].events = ZMQ_POLLIN;
	t0 = bench_mono();
	rv = lsn_fixture_publish_raw(pub, env, elen);
	free(env);
	if (rv != LSN_OK)
		return (rv);
	while (!acked || delivered < fa->n) {
		if (bench_mono() - t0 > 60.0 ||
		    zmq_poll(fa->pi, (int) fa->n + 1, 10000) <= 0) {
			bench_msg("fan: acked %d, delivered %zu of %zu", acked,
			    delivered, fa->n);
			return (LSN_ETIMEDOUT);
		}
		for (size_t i = 0; i <= fa->n; i++) {
			Liaison__V1__Frame	*g;
			void			*sk = fa->pi[i].socket;

			if (!(fa->pi[i].revents & ZMQ_POLLIN))
				continue;
			while (lsn_fixture_recv(sk, 0, &g) == LSN_OK) {
				if (i == fa->n && g->kind_case ==
				    LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
					if (g->publish_ack->code != 0) {
						bench_msg("fan: refused %d %s",
						    g->publish_ack->code,
						    g->publish_ack->detail ?
						    g->publish_ack->detail :
						    "");
						liaison__v1__frame__free_unpacked(
						    g, NULL);
						return (LSN_EPROTO);
					}
					*t_ack = bench_mono() - t0;
					acked = 1;
				} else if (i < fa->n && g->kind_case ==
				    LIAISON__V1__FRAME__KIND_DELIVER) {
					(void) lsn_fixture_deliver_ack(sk,
					    g->deliver->seq);
					if (!fa->got[i]) {
						fa->got[i] = 1;
						delivered++;
					}
				}
				liaison__v1__frame__free_unpacked(g, NULL);
			}
		}
	}
	*t_all = bench_mono() - t0;
	return (LSN_OK);
}

/* Queues cfg->off_msgs notices to group "off" (never connected). */
static int
fill_queues(struct bench_world *w, void *pub, double *secs)
{
	size_t		 n = w->cfg->off_msgs, sent = 0, acked = 0;
	double		 t0 = bench_mono();
	int		 rv;

	while (acked < n) {
		zmq_pollitem_t		 pi = { pub, -1, ZMQ_POLLIN, 0 };
		Liaison__V1__Frame	*g;

		while (sent < n && sent - acked < 16) {
			uint8_t	*env = NULL;
			size_t	 elen = 0;

			if ((rv = bench_envelope(w, P_FAN_FROM, NULL, "off",
			    NULL, &env, &elen)) != LSN_OK)
				return (rv);
			rv = lsn_fixture_publish_raw(pub, env, elen);
			free(env);
			if (rv != LSN_OK)
				return (rv);
			sent++;
		}
		if (zmq_poll(&pi, 1, 60000) <= 0)
			return (LSN_ETIMEDOUT);
		while (lsn_fixture_recv(pub, 0, &g) == LSN_OK) {
			if (g->kind_case ==
			    LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
				if (g->publish_ack->code != 0) {
					bench_msg("fill: refused %d",
					    g->publish_ack->code);
					liaison__v1__frame__free_unpacked(g,
					    NULL);
					return (LSN_EPROTO);
				}
				acked++;
			}
			liaison__v1__frame__free_unpacked(g, NULL);
		}
	}
	*secs = bench_mono() - t0;
	return (LSN_OK);
}

static int
db_counts(struct bench_world *w, long long *queue, long long *msgs,
    long long *bytes)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	char		 wal[LSN_FX_PATH_MAX + 8];
	long long	 v[2] = { -1, -1 };
	const char	*q[2] = { "SELECT count(*) FROM queue",
			    "SELECT count(*) FROM messages" };
	FILE		*f;

	if (sqlite3_open_v2(w->fx->broker_db, &db, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return (LSN_EDB);
	}
	(void) sqlite3_busy_timeout(db, 5000);
	for (int i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(db, q[i], -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			v[i] = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
	}
	sqlite3_close(db);
	*queue = v[0];
	*msgs = v[1];
	*bytes = 0;
	snprintf(wal, sizeof(wal), "%s-wal", w->fx->broker_db);
	for (int i = 0; i < 2; i++)
		if ((f = fopen(i == 0 ? w->fx->broker_db : wal, "r")) !=
		    NULL) {
			if (fseek(f, 0, SEEK_END) == 0)
				*bytes += ftell(f);
			fclose(f);
		}
	return (v[0] >= 0 && v[1] >= 0 ? LSN_OK : LSN_EDB);
}

int
bench_fanout_memory(struct bench_world *w)
{
	struct fan		 fa;
	struct bench_row	*r;
	void			*pub = NULL;
	double			 ta[16], tl[16], fill_s = 0, ma, ml;
	long			 rss0 = 0, hwm0 = 0, rss1 = 0, hwm1 = 0;
	long			 rss2 = 0, hwm2 = 0;
	long long		 nq = 0, nm = 0, dbb = 0;
	int			 rounds = w->cfg->fan_rounds, rv;

	memset(&fa, 0, sizeof(fa));
	if (rounds > 16)
		rounds = 16;
	(void) bench_rss(w->broker, &rss0, &hwm0);
	if ((rv = fan_connect(w, &fa)) != LSN_OK ||
	    (rv = bench_dealer(w, P_FAN_FROM, NULL, &pub)) != LSN_OK)
		goto out;
	(void) bench_rss(w->broker, &rss1, &hwm1);
	for (int k = 0; k < rounds; k++) {
		/* Let the broker finish the previous round's DeliverAcks so
		 * that each round starts from an idle broker. */
		lsn_proc_sleep_ms(w->cfg->shortmode ? 200 : 1000);
		if ((rv = fan_round(w, &fa, pub, &ta[k], &tl[k])) != LSN_OK)
			goto out;
	}
	qsort(ta, (size_t) rounds, sizeof(double), bench_cmp_dbl);
	qsort(tl, (size_t) rounds, sizeof(double), bench_cmp_dbl);
	ma = ta[rounds / 2];
	ml = tl[rounds / 2];
	r = bench_row_add(w, "fan-out: notice to group, committed", 1000 * ma,
	    "ms");
	snprintf(r->target, sizeof(r->target), "< 50 ms (1,000 partners)");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s", ma / 0.05,
	    ma < 0.05 ? "met" : "MISSED");
	snprintf(r->note, sizeof(r->note), "group of %zu connected raw "
	    "clients, median of %d rounds from an idle broker (min %.1f, "
	    "max %.1f ms)", fa.n, rounds, 1000 * ta[0],
	    1000 * ta[rounds - 1]);
	r = bench_row_add(w, "fan-out: delivered to all connected", 1000 * ml,
	    "ms");
	snprintf(r->note, sizeof(r->note), "median of %d rounds (min %.1f, "
	    "max %.1f ms); every client acks its Deliver", rounds,
	    1000 * tl[0], 1000 * tl[rounds - 1]);

	/* Memory: the clients stay connected; queues of "off" fill up. */
	if ((rv = fill_queues(w, pub, &fill_s)) != LSN_OK)
		goto out;
	lsn_proc_sleep_ms(1000);
	if ((rv = bench_rss(w->broker, &rss2, &hwm2)) != LSN_OK ||
	    (rv = db_counts(w, &nq, &nm, &dbb)) != LSN_OK)
		goto out;
	r = bench_row_add(w, "broker RSS, clients + queued on disk",
	    (double) rss2 / 1024.0, "MiB");
	snprintf(r->target, sizeof(r->target), "< 64 MiB");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s",
	    (double) rss2 / 1024.0 / 64.0, rss2 < 64 * 1024 ? "met" :
	    "MISSED");
	snprintf(r->note, sizeof(r->note), "%zu connected clients, %lld "
	    "queue rows (%lld messages, DB %.0f MiB); RSS idle %.1f, with "
	    "clients %.1f MiB; VmHWM %.1f MiB", fa.n, nq, nm,
	    (double) dbb / 1048576.0, rss0 / 1024.0, rss1 / 1024.0,
	    hwm2 / 1024.0);
	r = bench_row_add(w, "memory case: queue rows written",
	    (double) (w->cfg->off_msgs * w->cfg->noff) / fill_s, "rows/s");
	snprintf(r->note, sizeof(r->note), "%zu notices x %zu offline "
	    "members of group \"off\" in %.1f s (window 16)",
	    w->cfg->off_msgs, w->cfg->noff, fill_s);
	rv = LSN_OK;
 out:
	if (pub != NULL)
		zmq_close(pub);
	fan_free(&fa);
	return (rv);
}
