/*
 * bench_bus.c -- the message bus figures: broker ingress from 4 raw
 * pre-signing senders (batch-signed as agents sign, and single-signed),
 * end to end agent -> broker -> agent; and the helpers bench_load.c
 * shares (CPU time, percentiles, waiting for an agent).
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
double
bench_cpu_secs(pid_t pid)
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

int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return (x < y ? -1 : x > y);
}

int
bench_cmp_dbl(const void *a, const void *b)
{
	double	x = *(const double *) a, y = *(const double *) b;

	return (x < y ? -1 : x > y);
}

uint64_t
bench_pct(const uint64_t *v, size_t n, double p)
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
	c0 = bench_cpu_secs(broker);
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
	c1 = bench_cpu_secs(broker);
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
int
bench_wait_connected(struct bench_world *w, size_t i)
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

int
bench_wait_inbox(struct bench_world *w, size_t i, uint64_t n, double limit,
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
	cb0 = bench_cpu_secs(w->broker);
	cr0 = bench_cpu_secs(pb);
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
	if ((rv = bench_wait_inbox(w, P_E2E_TO, base + n, 300.0, &t_end)) != LSN_OK)
		goto out;
	t_end -= t0;
	r = bench_row_add(w, "delivery: raw publisher -> broker -> agent",
	    (double) n / t_end, "msg/s");
	snprintf(r->note, sizeof(r->note), "%zu notes batch-signed %d per "
	    "signature, 256 in flight, until all are in the agent's inbox; "
	    "CPU us/msg: broker %.0f, recipient agent %.0f", n, BENCH_BATCH,
	    1e6 * (bench_cpu_secs(w->broker) - cb0) / (double) n,
	    1e6 * (bench_cpu_secs(pb) - cr0) / (double) n);
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
	if ((rv = bench_wait_connected(w, P_E2E_FROM)) != LSN_OK ||
	    (rv = bench_wait_connected(w, P_E2E_TO)) != LSN_OK)
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
	ca0 = bench_cpu_secs(pa);
	cb0 = bench_cpu_secs(w->broker);
	cr0 = bench_cpu_secs(pb);
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
	if ((rv = bench_wait_inbox(w, P_E2E_TO, n, 300.0, &t_end)) != LSN_OK)
		goto out;
	t_end -= t0;
	ca1 = bench_cpu_secs(pa);
	cb1 = bench_cpu_secs(w->broker);
	cr1 = bench_cpu_secs(pb);
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
		 * and its carrier per 64 messages), and each envelope's
		 * proof: ~0.25 verify-equivalents per message. Durable
		 * writes: the envelope is stored three times (sender's
		 * outbox_env, broker's messages, recipient's inbox), each a
		 * 1 KiB row as in the sqlite ceiling, and ~10 rows of under
		 * 100 bytes (states, queue, ledger, receipts, audit): ~4
		 * ceiling rows per message. 2 cores. */
		double bound = 2.0 / (0.25 / w->verify_per_s + 4.0 /
		    w->rows_per_s);

		r = bench_row_add(w, "bound: e2e from the ceilings, 2 cores",
		    bound, "msg/s");
		r->ceiling = 1;
		lsn_strlcpy(r->ratio, "derived", sizeof(r->ratio));
		snprintf(r->note, sizeof(r->note), "2 / (0.25 / verify/s + "
		    "4 / rows/s): ~0.25 verifications (batched) and ~4 "
		    "ceiling rows (3 envelopes, ~10 small) a message; e2e "
		    "%.2f x this bound",
		    (double) n / t_end / bound);
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
