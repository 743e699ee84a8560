/*
 * bench_ceil.c -- the machine's ceilings: Ed25519 verifications per second
 * on one core, libzmq CURVE throughput of 1 KiB messages over loopback,
 * sqlite WAL group-commit rows per second (synchronous=FULL, 64 rows of
 * 1 KiB per transaction).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "bench.h"
#include "lsn_test.h"

static int
ceil_verify(struct bench_world *w)
{
	uint8_t			 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t			 sk[crypto_sign_SECRETKEYBYTES];
	uint8_t			 msg[1024], sig[crypto_sign_BYTES];
	double			 t0, t;
	unsigned long		 n = 0, bad = 0;
	struct bench_row	*r;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	sodium_memzero(sk, sizeof(sk));
	t0 = bench_mono();
	do {
		for (int i = 0; i < 256; i++)
			if (crypto_sign_verify_detached(sig, msg, sizeof(msg),
			    pk) != 0)
				bad++;
		n += 256;
		t = bench_mono() - t0;
	} while (t < w->cfg->ceil_secs);
	if (bad != 0)
		return (LSN_EINTERNAL);
	w->verify_per_s = (double) n / t;
	r = bench_row_add(w, "ceiling: Ed25519 verify, 1 core, 1 KiB msg",
	    w->verify_per_s, "verify/s");
	r->ceiling = 1;
	lsn_strlcpy(r->ratio, "ceiling", sizeof(r->ratio));
	return (LSN_OK);
}

struct curve_rx {
	void	*sock;
	size_t	 want;
	size_t	 got;
	double	 t_first, t_last;
	int	 err;
};

static void *
curve_rx_main(void *arg)
{
	struct curve_rx	*rx = arg;
	zmq_msg_t	 m;
	int		 tmo = 10000;

	(void) zmq_setsockopt(rx->sock, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	zmq_msg_init(&m);
	while (rx->got < rx->want) {
		if (zmq_msg_recv(&m, rx->sock, 0) < 0) {
			rx->err = 1;
			break;
		}
		if (rx->got == 0)
			rx->t_first = bench_mono();
		rx->got++;
	}
	rx->t_last = bench_mono();
	zmq_msg_close(&m);
	return (NULL);
}

static int
ceil_curve(struct bench_world *w)
{
	char			 spub[41], ssec[41], cpub[41], csec[41];
	char			 ep[256];
	size_t			 eplen = sizeof(ep), n = w->cfg->curve_msgs;
	void			*ctx_s = NULL, *ctx_c = NULL, *pull = NULL;
	void			*push = NULL;
	uint8_t			 buf[1024];
	struct curve_rx		 rx;
	struct bench_row	*r;
	pthread_t		 th;
	int			 one = 1, zero = 0, hwm = 100000, rv = LSN_EIO;
	int			 started = 0;
	double			 t0;

	if (zmq_curve_keypair(spub, ssec) != 0 ||
	    zmq_curve_keypair(cpub, csec) != 0)
		return (LSN_EIO);
	/* Two contexts: each side has its own I/O thread, as two
	 * processes would. */
	ctx_s = zmq_ctx_new();
	ctx_c = zmq_ctx_new();
	if (ctx_s == NULL || ctx_c == NULL)
		goto out;
	pull = zmq_socket(ctx_s, ZMQ_PULL);
	push = zmq_socket(ctx_c, ZMQ_PUSH);
	if (pull == NULL || push == NULL)
		goto out;
	if (zmq_setsockopt(pull, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
	    zmq_setsockopt(pull, ZMQ_CURVE_SECRETKEY, ssec, 40) ||
	    zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof(hwm)) ||
	    zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_bind(pull, "tcp://127.0.0.1:*") ||
	    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &eplen))
		goto out;
	if (zmq_setsockopt(push, ZMQ_CURVE_SERVERKEY, spub, 40) ||
	    zmq_setsockopt(push, ZMQ_CURVE_PUBLICKEY, cpub, 40) ||
	    zmq_setsockopt(push, ZMQ_CURVE_SECRETKEY, csec, 40) ||
	    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
	    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_connect(push, ep))
		goto out;
	memset(&rx, 0, sizeof(rx));
	rx.sock = pull;
	rx.want = n;
	if (pthread_create(&th, NULL, curve_rx_main, &rx) != 0)
		goto out;
	started = 1;
	randombytes_buf(buf, sizeof(buf));
	t0 = bench_mono();
	for (size_t i = 0; i < n; i++)
		if (zmq_send(push, buf, sizeof(buf), 0) != (int) sizeof(buf))
			break;
	(void) pthread_join(th, NULL);
	started = 0;
	if (rx.err || rx.got != n) {
		bench_msg("curve: received %zu of %zu", rx.got, n);
		goto out;
	}
	r = bench_row_add(w, "ceiling: ZeroMQ CURVE 1 KiB, loopback",
	    (double) n / (rx.t_last - t0), "msg/s");
	r->ceiling = 1;
	lsn_strlcpy(r->ratio, "ceiling", sizeof(r->ratio));
	snprintf(r->note, sizeof(r->note), "PUSH -> PULL, %zu messages, "
	    "one direction, two contexts (one I/O thread each)", n);
	rv = LSN_OK;
 out:
	if (started) {
		/* Unblock the receiver: it times out after 10 s. */
		(void) pthread_join(th, NULL);
	}
	if (push != NULL)
		zmq_close(push);
	if (pull != NULL)
		zmq_close(pull);
	if (ctx_c != NULL)
		zmq_ctx_term(ctx_c);
	if (ctx_s != NULL)
		zmq_ctx_term(ctx_s);
	return (rv);
}

static const struct lsn_migration ceil_migs[] = {
	{ 1, "CREATE TABLE t(id INTEGER PRIMARY KEY, k BLOB, v BLOB);"
	    "CREATE INDEX t_k ON t(k);", NULL },
	{ 0, NULL, NULL },
};

static int
ceil_sqlite(struct bench_world *w)
{
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*s;
	char			*dir, *path = NULL;
	uint8_t			 row[1024];
	unsigned long		 rows = 0, tx = 0;
	double			 t0, t;
	struct bench_row	*r;
	int			 rv;

	dir = lsn_test_tmpdir();
	path = lsn_test_path(dir, "ceil.db");
	/* lsn_store_open: WAL, synchronous=FULL (the daemons' setting). */
	if ((rv = lsn_store_open(path, ceil_migs, 0, &st)) != LSN_OK)
		goto out;
	randombytes_buf(row, sizeof(row));
	t0 = bench_mono();
	do {
		if ((rv = lsn_store_begin(st)) != LSN_OK)
			goto out;
		for (int i = 0; i < 64; i++) {
			uint8_t	k[16];

			randombytes_buf(k, sizeof(k));
			if ((rv = lsn_store_stmt(st,
			    "INSERT INTO t(k, v) VALUES (?, ?)", &s)) !=
			    LSN_OK)
				goto out;
			if (sqlite3_bind_blob(s, 1, k, sizeof(k),
			    SQLITE_STATIC) != SQLITE_OK ||
			    sqlite3_bind_blob(s, 2, row, sizeof(row),
			    SQLITE_STATIC) != SQLITE_OK ||
			    sqlite3_step(s) != SQLITE_DONE) {
				rv = LSN_EDB;
				goto out;
			}
			rows++;
		}
		if ((rv = lsn_store_commit(st)) != LSN_OK)
			goto out;
		tx++;
		t = bench_mono() - t0;
	} while (t < w->cfg->ceil_secs);
	w->rows_per_s = (double) rows / t;
	r = bench_row_add(w, "ceiling: sqlite WAL FULL, 64 x 1 KiB rows/tx",
	    w->rows_per_s, "rows/s");
	r->ceiling = 1;
	lsn_strlcpy(r->ratio, "ceiling", sizeof(r->ratio));
	snprintf(r->note, sizeof(r->note), "%.0f commits/s (%.2f ms per "
	    "fsync'd commit), one indexed 16-byte key per row",
	    (double) tx / t, 1000.0 * t / (double) tx);
 out:
	if (rv != LSN_OK && st != NULL)
		bench_msg("sqlite: %s", lsn_store_errmsg(st));
	lsn_store_close(&st);
	free(path);
	lsn_test_rmdir(dir);
	free(dir);
	return (rv);
}

int
bench_ceilings(struct bench_world *w)
{
	int	rv;

	if ((rv = ceil_verify(w)) != LSN_OK)
		return (rv);
	if ((rv = ceil_curve(w)) != LSN_OK)
		return (rv);
	return (ceil_sqlite(w));
}
