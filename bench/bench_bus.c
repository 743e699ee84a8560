/*
 * bench_bus.c -- the message bus figures: broker ingress from 4 raw
 * pre-signing senders (batch-signed as agents sign, and single-signed),
 * end to end agent -> broker -> agent, latency at a fixed offered load,
 * fan-out to a group, broker memory with connected clients and queued
 * messages.
 *
 * Fixture partners: p01..p04 ingress senders (recipient p08, never
 * connected), p05 -> p06 end-to-end agents, p03 raw latency publisher
 * with p04's agent as recipient, p02 fan-out publisher, p07 first-sync
 * agent (bench_dir.c).
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

#define P_RECIP_INGRESS	7	/* p08 */
#define P_E2E_FROM	4	/* p05 */
#define P_E2E_TO	5	/* p06 */
#define P_LAT_FROM	2	/* p03 */
#define P_LAT_TO	3	/* p04 */
#define P_FAN_FROM	1	/* p02 */

#define INGRESS_SENDERS	4
#define INGRESS_WINDOW	256
#define E2E_WINDOW	256

/*
 * Profiling hook (docs/performance.md "Profiling one message"): with
 * LSN_BENCH_CALLGRIND set, the daemons are expected to run under
 * valgrind --tool=callgrind (LSN_BIN_DIR pointing at wrappers); the
 * counters of the three e2e processes are zeroed when the submits start
 * ("-z") and dumped once the run has drained ("-d"), so the dump holds
 * the messages and nothing of the start-up or the directory sync.
 */
static int
prof_on(void)
{
	return (getenv("LSN_BENCH_CALLGRIND") != NULL);
}

static void
prof_mark(const char *op, pid_t a, pid_t b, pid_t c)
{
	char	cmd[160];

	if (!prof_on())
		return;
	snprintf(cmd, sizeof(cmd), "callgrind_control %s %d >/dev/null; "
	    "callgrind_control %s %d >/dev/null; callgrind_control %s %d "
	    ">/dev/null", op, (int) a, op, (int) b, op, (int) c);
	if (system(cmd) != 0)
		bench_msg("prof: callgrind_control %s failed", op);
}

/* CPU seconds (user + system) used so far by pid. */
static double
cpu_secs(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	FILE			*f;
	unsigned long long	 ut = 0, st = 0;
	size_t			 n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if ((f = fopen(path, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return (0);
	/* after ")": state(3) ... utime(14) stime(15) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		return (0);
	return ((double) (ut + st) / (double) sysconf(_SC_CLK_TCK));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return (x < y ? -1 : x > y);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double	x = *(const double *) a, y = *(const double *) b;

	return (x < y ? -1 : x > y);
}

static uint64_t
pct(const uint64_t *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return (0);
	i = (size_t) (p * (double) (n - 1) + 0.5);
	return (v[i < n ? i : n - 1]);
}

/* ---- ingress ---- */

/* Also the PostgreSQL scenario's driver (bench_pg.c). */

int
bench_ingress_drive(struct bench_world *w, const char *ep, pid_t broker,
    size_t total, int batch, struct bench_ingress_stat *out)
{
	void			*s[INGRESS_SENDERS] = { NULL };
	zmq_pollitem_t		 pi[INGRESS_SENDERS];
	uint8_t			**env = NULL;
	size_t			*elen = NULL, sent[INGRESS_SENDERS] = { 0 };
	size_t			 acked[INGRESS_SENDERS] = { 0 };
	size_t			 per = total / INGRESS_SENDERS;
	size_t			 n = per * INGRESS_SENDERS, ok = 0, bad = 0;
	double			 t0, t1 = 0, c0, c1;
	int			 rv = LSN_OK;

	env = calloc(n, sizeof(*env));
	elen = calloc(n, sizeof(*elen));
	if (env == NULL || elen == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	/* Pre-signed: the senders' cost is not measured. Sender i's
	 * envelopes are env[i * per ..], batch-signed in that order. */
	for (size_t i = 0; i < INGRESS_SENDERS; i++)
		if ((rv = bench_envelopes(w, i,
		    w->fx->partners[P_RECIP_INGRESS].id, per, batch,
		    &env[i * per], &elen[i * per])) != LSN_OK)
			goto out;
	for (int i = 0; i < INGRESS_SENDERS; i++) {
		if ((rv = bench_dealer_ep(w, ep, (size_t) i, NULL, &s[i])) !=
		    LSN_OK)
			goto out;
		pi[i].socket = s[i];
		pi[i].fd = -1;
		pi[i].events = ZMQ_POLLIN;
	}
	c0 = cpu_secs(broker);
	t0 = bench_mono();
	while (ok + bad < n) {
		for (int i = 0; i < INGRESS_SENDERS; i++)
			while (sent[i] < per &&
			    sent[i] - acked[i] < INGRESS_WINDOW) {
				size_t k = (size_t) i * per + sent[i];

				if ((rv = lsn_fixture_publish_raw(s[i],
				    env[k], elen[k])) != LSN_OK)
					goto out;
				sent[i]++;
			}
		if (zmq_poll(pi, INGRESS_SENDERS, 30000) <= 0) {
			bench_msg("ingress: no ack for 30 s (%zu of %zu)",
			    ok + bad, n);
			rv = LSN_ETIMEDOUT;
			goto out;
		}
		for (int i = 0; i < INGRESS_SENDERS; i++) {
			Liaison__V1__Frame *f;

			if (!(pi[i].revents & ZMQ_POLLIN))
				continue;
			while (lsn_fixture_recv(s[i], 0, &f) == LSN_OK) {
				if (f->kind_case ==
				    LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
					acked[i]++;
					if (f->publish_ack->code == 0)
						ok++;
					else if (bad++ == 0)
						bench_msg("ingress: refused: "
						    "%d %s",
						    f->publish_ack->code,
						    f->publish_ack->detail ?
						    f->publish_ack->detail :
						    "");
				}
				liaison__v1__frame__free_unpacked(f, NULL);
			}
		}
	}
	t1 = bench_mono() - t0;
	c1 = cpu_secs(broker);
	if (bad != 0) {
		bench_msg("ingress: %zu of %zu refused", bad, n);
		rv = LSN_EPROTO;
		goto out;
	}
	out->n = n;
	out->bytes = elen[0];
	out->per_s = (double) ok / t1;
	out->cpu_us = 1e6 * (c1 - c0) / (double) n;
	out->cpu_pct = 100.0 * (c1 - c0) / t1;
 out:
	for (int i = 0; i < INGRESS_SENDERS; i++)
		if (s[i] != NULL)
			zmq_close(s[i]);
	if (env != NULL)
		for (size_t k = 0; k < n; k++)
			free(env[k]);
	free(env);
	free(elen);
	return (rv);
}

/*
 * What agents send (batch-signed, issue 14), the figure with the target.
 * bench_ingress_single runs the same with every envelope single-signed
 * (the form of CLI sends and of older agents), for comparison, at the end
 * of the run: its 40,000 more queued rows would otherwise weigh on every
 * scenario after it (a bigger broker database: random message-id keys
 * touch more index pages per commit).
 */
int
bench_ingress(struct bench_world *w)
{
	struct bench_ingress_stat	 is;
	struct bench_row		*r;
	int				 rv;

	if ((rv = bench_ingress_drive(w, w->ep, w->broker,
	    w->cfg->ingress_msgs, 1, &is)) != LSN_OK)
		return (rv);
	r = bench_row_add(w, "broker ingress (4 senders, durable, acked)",
	    is.per_s, "msg/s");
	snprintf(r->target, sizeof(r->target), ">= 0.9 x verify ceiling");
	if (w->verify_per_s > 0)
		snprintf(r->ratio, sizeof(r->ratio), "%.2f x verify (1 "
		    "thread), %s", is.per_s / w->verify_per_s,
		    is.per_s >= 0.9 * w->verify_per_s ? "met" : "MISSED");
	snprintf(r->note, sizeof(r->note), "%zu envelopes of %zu bytes, "
	    "batch-signed %d per signature, window %d per sender; broker CPU "
	    "%.1f us per message (%.0f%% of one core)", is.n, is.bytes,
	    BENCH_BATCH, INGRESS_WINDOW, is.cpu_us, is.cpu_pct);
	return (LSN_OK);
}

int
bench_ingress_single(struct bench_world *w)
{
	struct bench_ingress_stat	 is;
	struct bench_row		*r;
	int				 rv;

	if ((rv = bench_ingress_drive(w, w->ep, w->broker,
	    w->cfg->ingress_msgs, 0, &is)) != LSN_OK)
		return (rv);
	r = bench_row_add(w, "broker ingress, single-signed envelopes",
	    is.per_s, "msg/s");
	if (w->verify_per_s > 0)
		snprintf(r->ratio, sizeof(r->ratio), "%.2f x verify (1 "
		    "thread)", is.per_s / w->verify_per_s);
	snprintf(r->note, sizeof(r->note), "as above, each envelope "
	    "single-signed (CLI sends); broker CPU %.1f us per message "
	    "(%.0f%% of one core)", is.cpu_us, is.cpu_pct);
	return (LSN_OK);
}

/* ---- end to end ---- */

static int
api_send_submit(void *sock, uint64_t rid, const char *to,
    const uint8_t *body, size_t blen)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	char				*tov[1];
	uint8_t				 buf[4096];
	size_t				 len;

	tov[0] = (char *) (uintptr_t) to;
	sr.n_to = 1;
	sr.to = tov;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	sr.has_body = 1;
	sr.body.data = (uint8_t *) (uintptr_t) body;
	sr.body.len = blen;
	req.has_request_id = 1;
	req.request_id = rid;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	len = liaison__v1__api_request__get_packed_size(&req);
	if (len > sizeof(buf))
		return (LSN_ETOOBIG);
	(void) liaison__v1__api_request__pack(&req, buf);
	if (zmq_send(sock, "", 0, ZMQ_SNDMORE) != 0 ||
	    zmq_send(sock, buf, len, 0) != (int) len)
		return (LSN_EIO);
	return (LSN_OK);
}

/* Receives one API response (delimiter + body); its code in *code. */
static int
api_recv(void *sock, int *code)
{
	zmq_msg_t			 m;
	Liaison__V1__ApiResponse	*r;
	int				 more = 1, rv = LSN_EPROTO;

	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return (LSN_ETIMEDOUT);
		}
		more = zmq_msg_more(&m);
		if (!more) {
			r = liaison__v1__api_response__unpack(NULL,
			    zmq_msg_size(&m), zmq_msg_data(&m));
			if (r != NULL) {
				*code = (int) r->code;
				if (r->code != 0 && r->detail != NULL)
					bench_msg("api: %s", r->detail);
				liaison__v1__api_response__free_unpacked(r,
				    NULL);
				rv = LSN_OK;
			}
		}
		zmq_msg_close(&m);
	}
	return (rv);
}

/* Connected and the first directory sync done (a fresh agent fetches the
 * whole log before anything else is measured). */
static int
wait_connected(struct bench_world *w, size_t i)
{
	uint64_t	rev = 0;
	int		conn = 0;

	for (int k = 0; k < (prof_on() ? 120000 : 6000); k++) {
		if (bench_agent_status(w, i, NULL, &rev, &conn) == LSN_OK &&
		    conn && rev >= w->dir_rev)
			return (LSN_OK);
		lsn_proc_sleep_ms(10);
	}
	return (LSN_ETIMEDOUT);
}

/*
 * The agent's inbox count read from its database with a read-only
 * connection (WAL: never blocks the agent). Asking the agent's status
 * instead would make it compute the directory digest (~50 ms of its loop
 * for 5,000 partners) on every poll, and the poll would cost the agent
 * more than the messages being measured.
 */
static int
inbox_count_db(struct bench_world *w, size_t i, uint64_t *n)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	int		 rv = LSN_EDB;

	if (sqlite3_open_v2(w->fx->partners[i].agent_db, &db,
	    SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	(void) sqlite3_busy_timeout(db, 1000);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM inbox", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		*n = (uint64_t) sqlite3_column_int64(s, 0);
		rv = LSN_OK;
	}
 out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return (rv);
}

static int
wait_inbox(struct bench_world *w, size_t i, uint64_t n, double limit,
    double *when)
{
	uint64_t	got = 0;
	double		t0 = bench_mono();

	while (bench_mono() - t0 < limit) {
		if (inbox_count_db(w, i, &got) == LSN_OK && got >= n) {
			*when = bench_mono();
			return (LSN_OK);
		}
		lsn_proc_sleep_ms(5);
	}
	bench_msg("inbox of %s: %llu of %llu", w->fx->partners[i].id,
	    (unsigned long long) got, (unsigned long long) n);
	return (LSN_ETIMEDOUT);
}

static size_t
note_body(uint8_t *buf, size_t bufsz, size_t textlen)
{
	Liaison__V1__Note	 note = LIAISON__V1__NOTE__INIT;
	char			 text[2048];
	size_t			 len;

	if (textlen >= sizeof(text))
		textlen = sizeof(text) - 1;
	memset(text, 'x', textlen);
	memcpy(text, "synthetic benchmark note ", 25);
	text[textlen] = '\0';
	note.text = text;
	len = liaison__v1__note__get_packed_size(&note);
	if (len > bufsz)
		return (0);
	return (liaison__v1__note__pack(&note, buf));
}

/*
 * The delivery half of the end-to-end path alone: a raw publisher (p01,
 * envelopes pre-signed as agents sign them, batches of BENCH_BATCH, 256 in
 * flight) floods p06's running agent; the rate
 * at which its inbox fills. What e2e would reach if the sender agent were
 * not the limit.
 */
static int
delivery_path(struct bench_world *w, pid_t pb, uint64_t base)
{
	size_t			 n = w->cfg->e2e_msgs, sent = 0, acked = 0;
	uint8_t			**env = NULL;
	size_t			*elen = NULL;
	void			*s = NULL;
	struct bench_row	*r;
	double			 t0, t_end, cb0, cr0;
	int			 rv = LSN_OK;

	env = calloc(n, sizeof(*env));
	elen = calloc(n, sizeof(*elen));
	if (env == NULL || elen == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = bench_envelopes(w, 0, w->fx->partners[P_E2E_TO].id, n, 1,
	    env, elen)) != LSN_OK)
		goto out;
	if ((rv = bench_dealer(w, 0, NULL, &s)) != LSN_OK)
		goto out;
	cb0 = cpu_secs(w->broker);
	cr0 = cpu_secs(pb);
	t0 = bench_mono();
	while (acked < n) {
		zmq_pollitem_t		 pi = { s, -1, ZMQ_POLLIN, 0 };
		Liaison__V1__Frame	*f;

		while (sent < n && sent - acked < INGRESS_WINDOW) {
			if ((rv = lsn_fixture_publish_raw(s, env[sent],
			    elen[sent])) != LSN_OK)
				goto out;
			sent++;
		}
		if (zmq_poll(&pi, 1, 30000) <= 0) {
			rv = LSN_ETIMEDOUT;
			goto out;
		}
		while (lsn_fixture_recv(s, 0, &f) == LSN_OK) {
			if (f->kind_case ==
			    LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
				if (f->publish_ack->code != 0)
					rv = LSN_EPROTO;
				acked++;
			}
			liaison__v1__frame__free_unpacked(f, NULL);
		}
		if (rv != LSN_OK)
			goto out;
	}
	if ((rv = wait_inbox(w, P_E2E_TO, base + n, 300.0, &t_end)) != LSN_OK)
		goto out;
	t_end -= t0;
	r = bench_row_add(w, "delivery: raw publisher -> broker -> agent",
	    (double) n / t_end, "msg/s");
	snprintf(r->note, sizeof(r->note), "%zu notes batch-signed %d per "
	    "signature, 256 in flight, until all are in the agent's inbox; "
	    "CPU us/msg: broker %.0f, recipient agent %.0f", n, BENCH_BATCH,
	    1e6 * (cpu_secs(w->broker) - cb0) / (double) n,
	    1e6 * (cpu_secs(pb) - cr0) / (double) n);
 out:
	if (s != NULL)
		zmq_close(s);
	if (env != NULL)
		for (size_t k = 0; k < n; k++)
			free(env[k]);
	free(env);
	free(elen);
	return (rv);
}

int
bench_e2e(struct bench_world *w)
{
	char			 ep[LSN_CLIENT_EP_MAX];
	uint8_t			 body[2048];
	size_t			 blen, n = w->cfg->e2e_msgs, sent = 0;
	size_t			 done = 0, bad = 0;
	void			*api = NULL;
	pid_t			 pa = -1, pb = -1;
	struct bench_row	*r;
	double			 t0, t_sub = 0, t_end = 0, cb0, cb1, ca0, ca1;
	double			 cr0, cr1;
	int			 zero = 0, code, rv;

	if ((pa = bench_agent_start(w, P_E2E_FROM)) == -1 ||
	    (pb = bench_agent_start(w, P_E2E_TO)) == -1) {
		rv = LSN_EIO;
		goto out;
	}
	if ((rv = wait_connected(w, P_E2E_FROM)) != LSN_OK ||
	    (rv = wait_connected(w, P_E2E_TO)) != LSN_OK)
		goto out;
	/* A ~1 KiB SignedEnvelope: the note text as in bench_envelope. */
	if ((blen = note_body(body, sizeof(body), 880)) == 0) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	agent_it_endpoint(w->fx, P_E2E_FROM, ep, sizeof(ep));
	if ((api = zmq_socket(w->zctx, ZMQ_DEALER)) == NULL) {
		rv = LSN_EIO;
		goto out;
	}
	(void) zmq_setsockopt(api, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(api, ep) != 0) {
		rv = LSN_EIO;
		goto out;
	}
	prof_mark("-z", pa, w->broker, pb);
	ca0 = cpu_secs(pa);
	cb0 = cpu_secs(w->broker);
	cr0 = cpu_secs(pb);
	t0 = bench_mono();
	while (done < n) {
		zmq_pollitem_t	pi = { api, -1, ZMQ_POLLIN, 0 };

		while (sent < n && sent - done < E2E_WINDOW) {
			if ((rv = api_send_submit(api, sent + 1,
			    w->fx->partners[P_E2E_TO].id, body, blen)) !=
			    LSN_OK)
				goto out;
			sent++;
		}
		if (zmq_poll(&pi, 1, 30000) <= 0) {
			bench_msg("e2e: no API answer for 30 s");
			rv = LSN_ETIMEDOUT;
			goto out;
		}
		while (api_recv(api, &code) == LSN_OK) {
			done++;
			if (code != 0)
				bad++;
		}
	}
	t_sub = bench_mono() - t0;
	if (bad != 0) {
		bench_msg("e2e: %zu submits refused", bad);
		rv = LSN_EPROTO;
		goto out;
	}
	if ((rv = wait_inbox(w, P_E2E_TO, n, 300.0, &t_end)) != LSN_OK)
		goto out;
	t_end -= t0;
	ca1 = cpu_secs(pa);
	cb1 = cpu_secs(w->broker);
	cr1 = cpu_secs(pb);
	r = bench_row_add(w, "end to end agent -> broker -> agent inbox",
	    (double) n / t_end, "msg/s");
	snprintf(r->target, sizeof(r->target), ">= 10,000 msg/s");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s",
	    (double) n / t_end / 10000.0,
	    (double) n / t_end >= 10000.0 ? "met" : "MISSED");
	snprintf(r->note, sizeof(r->note), "%zu notes via the sender's API "
	    "(window %d, submits took %.2f s); CPU us/msg: sender agent "
	    "%.0f, broker %.0f, recipient agent %.0f", n, E2E_WINDOW, t_sub,
	    1e6 * (ca1 - ca0) / (double) n, 1e6 * (cb1 - cb0) / (double) n,
	    1e6 * (cr1 - cr0) / (double) n);
	if (w->verify_per_s > 0 && w->rows_per_s > 0) {
		/* Batch-signed: one sign + two verifies (~2.5 verifies) per
		 * batch of up to 64, and the receipts' (one signed receipt
		 * and its carrier per 14 messages): ~0.25 verify-equivalents
		 * per message; ~7 durable rows per message; 2 cores. */
		double bound = 2.0 / (0.25 / w->verify_per_s + 7.0 /
		    w->rows_per_s);

		r = bench_row_add(w, "bound: e2e from the ceilings, 2 cores",
		    bound, "msg/s");
		r->ceiling = 1;
		lsn_strlcpy(r->ratio, "derived", sizeof(r->ratio));
		snprintf(r->note, sizeof(r->note), "2 / (0.25 / verify/s + "
		    "7 / rows/s): batch signatures leave ~0.25 verifications "
		    "per message, and ~7 durable rows; e2e measured %.2f x "
		    "this bound", (double) n / t_end / bound);
	}
	if (prof_on()) {
		/* The receipts still on their way back to the sender. */
		lsn_proc_sleep_ms(20000);
		prof_mark("-d", pa, w->broker, pb);
		goto out;
	}
	rv = delivery_path(w, pb, n);
 out:
	if (api != NULL)
		zmq_close(api);
	if (pa > 0)
		(void) lsn_proc_stop(pa);
	if (pb > 0)
		(void) lsn_proc_stop(pb);
	return (rv);
}

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
	if ((rv = wait_connected(w, P_LAT_TO)) != LSN_OK ||
	    (rv = bench_dealer(w, P_LAT_FROM, NULL, &s)) != LSN_OK)
		goto out;
	cb0 = cpu_secs(w->broker);
	cr0 = cpu_secs(pr);
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
	if ((rv = wait_inbox(w, P_LAT_TO, n, 120.0, &t_end)) != LSN_OK)
		goto out;
	t_run = t_end - t0;
	cb1 = cpu_secs(w->broker);
	cr1 = cpu_secs(pr);
	if ((rv = lat_collect(w, send_us, n, lat, &nlat)) != LSN_OK)
		goto out;
	if (nlat != n) {
		bench_msg("latency: %zu of %zu found in the inbox", nlat, n);
		rv = LSN_EPROTO;
		goto out;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	qsort(ack_us, n, sizeof(*ack_us), cmp_u64);
	r = bench_row_add(w, "latency publish -> inbox p50 @1,000/s",
	    (double) pct(lat, nlat, 0.50) / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "%zu messages over %d s from a "
	    "raw publisher to an agent; upper bounds (received_ms is whole "
	    "ms)", n, w->cfg->lat_secs);
	r = bench_row_add(w, "latency publish -> inbox p99 @1,000/s",
	    (double) pct(lat, nlat, 0.99) / 1000.0, "ms");
	snprintf(r->target, sizeof(r->target), "< 10 ms");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s",
	    (double) pct(lat, nlat, 0.99) / 10000.0,
	    pct(lat, nlat, 0.99) < 10000 ? "met" : "MISSED");
	r = bench_row_add(w, "latency publish -> inbox max @1,000/s",
	    (double) lat[nlat - 1] / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "last message stored %.1f s "
	    "after the first was sent; CPU us/msg: broker %.0f, recipient "
	    "agent %.0f (%.0f%% and %.0f%% of a core)", t_run,
	    1e6 * (cb1 - cb0) / (double) n, 1e6 * (cr1 - cr0) / (double) n,
	    100 * (cb1 - cb0) / t_run, 100 * (cr1 - cr0) / t_run);
	r = bench_row_add(w, "latency publish -> PublishAck p99 @1,000/s",
	    (double) pct(ack_us, n, 0.99) / 1000.0, "ms");
	snprintf(r->note, sizeof(r->note), "broker commit + ack, measured "
	    "in us: p50 %.2f ms, max %.2f ms",
	    (double) pct(ack_us, n, 0.50) / 1000.0,
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
	qsort(ta, (size_t) rounds, sizeof(double), cmp_dbl);
	qsort(tl, (size_t) rounds, sizeof(double), cmp_dbl);
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
