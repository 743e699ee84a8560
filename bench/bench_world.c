/*
 * bench_world.c -- the benchmark's task force: the test fixture (8 partners
 * p01..p08 with key files and agent configurations) plus cfg->nbig "big"
 * partners b0001.. written straight into the broker database, with the
 * groups "fan" (the first nfan big partners, connected as lightweight raw
 * clients in the fan-out and memory cases) and "off" (the next noff, never
 * connected: their queues hold the memory case's messages).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/batchsig.h"
#include "liaison/dir.h"
#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "bench.h"
#include "lsn_proc.h"

#define DAY_MS		(24ULL * 3600 * 1000)
#define NFIXTURE	8

static size_t	env_pad;	/* Note padding for cfg->msg_bytes */
static int	env_pad_set;
static size_t	batch_pad;	/* the same for the batch form */
static int	batch_pad_set;

static void *
uc(const void *p)
{
	return ((void *) (uintptr_t) p);
}

static int
submit(struct bench_world *w, struct lsn_dir *d, Liaison__V1__DirOp *op,
    uint64_t now)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	char	 why[LSN_DIR_WHY_MAX] = "";
	int	 rv;

	op->has_created_ms = 1;
	op->created_ms = now;
	if ((rv = lsn_fixture_op_sign(w->fx, op, 1, &buf, &len)) != LSN_OK)
		return (rv);
	rv = lsn_dir_submit(d, buf, len, now, NULL, why, sizeof(why));
	if (rv != LSN_OK)
		bench_msg("submit %s: %s (%s)", lsn_dirop_action_name(op),
		    lsn_strerror(rv), why);
	free(buf);
	return (rv);
}

static void
keyrec(Liaison__V1__KeyRecord *kr, const char *kid, int purpose,
    const uint8_t *pk, uint64_t from)
{
	liaison__v1__key_record__init(kr);
	kr->key_id = uc(kid);
	kr->has_purpose = 1;
	kr->purpose = (Liaison__V1__KeyPurpose) purpose;
	kr->has_public_key = 1;
	kr->public_key.data = uc(pk);
	kr->public_key.len = LSN_PK_BYTES;
	kr->has_valid_from_ms = 1;
	kr->valid_from_ms = from;
}

static int
add_big(struct bench_world *w, struct lsn_dir *d, size_t i, uint64_t now)
{
	struct bench_big		*b = &w->big[i];
	Liaison__V1__DirOp		 op;
	Liaison__V1__AddPartner		 ap;
	Liaison__V1__Partner		 pr;
	Liaison__V1__PartnerNames	 nm;
	Liaison__V1__KeyRecord		 kr[3], *krp[3];
	uint8_t				 pk[3][LSN_PK_BYTES];
	char				 kid[3][LSN_KEYID_HEXLEN + 1];
	char				 official[64];
	int				 rv;

	snprintf(b->id, sizeof(b->id), "b%04zu", i + 1);
	if (i < w->cfg->nfan) {
		if ((rv = lsn_keypair_generate(LSN_KEY_TRANSPORT, b->id,
		    &b->transport)) != LSN_OK)
			return (rv);
		memcpy(pk[2], b->transport->pk, LSN_PK_BYTES);
	} else
		randombytes_buf(pk[2], LSN_PK_BYTES);
	randombytes_buf(pk[0], LSN_PK_BYTES);
	randombytes_buf(pk[1], LSN_PK_BYTES);
	for (int k = 0; k < 3; k++) {
		lsn_key_id(pk[k], kid[k]);
		keyrec(&kr[k], kid[k], k + 1, pk[k], now - DAY_MS);
		krp[k] = &kr[k];
	}
	snprintf(official, sizeof(official), "Synthetic bench unit %s", b->id);
	liaison__v1__partner_names__init(&nm);
	nm.official = official;
	liaison__v1__partner__init(&pr);
	pr.id = b->id;
	pr.names = &nm;
	pr.has_kind = 1;
	pr.kind = LIAISON__V1__PARTNER_KIND__KIND_HOTLINE;
	pr.country = uc("XX");
	pr.has_status = 1;
	pr.status = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
	pr.n_keys = 3;
	pr.keys = krp;
	liaison__v1__add_partner__init(&ap);
	ap.partner = &pr;
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = 0;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
	op.add_partner = &ap;
	return (submit(w, d, &op, now));
}

static int
add_group(struct bench_world *w, struct lsn_dir *d, const char *name,
    size_t first, size_t n, uint64_t now)
{
	Liaison__V1__DirOp		op;
	Liaison__V1__CreateGroup	cg;
	Liaison__V1__AddMember		am;
	int				rv;

	liaison__v1__create_group__init(&cg);
	cg.name = uc(name);
	cg.description = uc("synthetic benchmark group");
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = 0;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	if ((rv = submit(w, d, &op, now)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < n; i++) {
		liaison__v1__add_member__init(&am);
		am.group = uc(name);
		am.partner_id = w->big[first + i].id;
		liaison__v1__dir_op__init(&op);
		op.has_expected_version = 1;
		op.expected_version = 1 + i;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
		op.add_member = &am;
		if ((rv = submit(w, d, &op, now)) != LSN_OK)
			return (rv);
	}
	return (LSN_OK);
}

int
bench_world_build(struct bench_world *w)
{
	struct lsn_fixture_opts	 o;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	const struct bench_cfg	*c = w->cfg;
	uint8_t			 head[LSN_DIR_HASH_BYTES];
	uint64_t		 now;
	double			 t0 = bench_mono();
	int			 rv;

	if (c->nfan + c->noff > c->nbig)
		return (LSN_EINVAL);
	if ((w->zctx = zmq_ctx_new()) == NULL ||
	    zmq_ctx_set(w->zctx, ZMQ_MAX_SOCKETS, 8192) != 0)
		return (LSN_EIO);
	memset(&o, 0, sizeof(o));
	o.npartners = NFIXTURE;
	o.id_prefix = "p";
	if ((rv = lsn_fixture_create(&o, &w->fx)) != LSN_OK)
		return (rv);
	if ((rv = lsn_fixture_write_broker_conf(w->fx, NULL,
	    "queue_quota = 10000000\n"
	    /* capacity, not the limits: buckets on but never empty */
	    "sender_msgs_per_s = 1000000\nsender_burst_msgs = 10000000\n"
	    "sender_bytes_per_s = 1099511627776\n"
	    "sender_burst_bytes = 1099511627776\n")) != LSN_OK)
		return (rv);
	if ((w->big = calloc(c->nbig, sizeof(*w->big))) == NULL)
		return (LSN_ENOMEM);
	now = lsn_now_ms();
	if ((rv = lsn_store_open(w->fx->broker_db, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st)) != LSN_OK)
		goto out;
	if ((rv = lsn_dir_open(st, &d)) != LSN_OK ||
	    (rv = lsn_store_begin(st)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < c->nbig; i++)
		if ((rv = add_big(w, d, i, now)) != LSN_OK)
			goto out;
	if ((rv = add_group(w, d, "fan", 0, c->nfan, now)) != LSN_OK ||
	    (rv = add_group(w, d, "off", c->nfan, c->noff, now)) != LSN_OK)
		goto out;
	if ((rv = lsn_store_commit(st)) != LSN_OK ||
	    (rv = lsn_dir_head(d, &w->dir_rev, head)) != LSN_OK)
		goto out;
	w->dir_partners = NFIXTURE + c->nbig;
	bench_msg("world: %zu partners, directory rev %llu, built in %.1f s "
	    "(%s)", w->dir_partners, (unsigned long long) w->dir_rev,
	    bench_mono() - t0, w->fx->dir);
 out:
	if (st != NULL)
		lsn_store_rollback(st);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	return (rv);
}

void
bench_world_free(struct bench_world *w)
{
	if (w->broker > 0) {
		(void) lsn_proc_stop(w->broker);
		w->broker = -1;
	}
	lsn_proc_kill_all();
	if (w->big != NULL) {
		for (size_t i = 0; i < w->cfg->nbig; i++)
			lsn_keypair_destroy(&w->big[i].transport);
		free(w->big);
		w->big = NULL;
	}
	lsn_fixture_destroy(&w->fx);
	if (w->zctx != NULL) {
		zmq_ctx_term(w->zctx);
		w->zctx = NULL;
	}
}

int
bench_broker_start(struct bench_world *w)
{
	int	pid = -1, rv;

	if ((rv = lsn_fixture_start_broker(w->fx, 0, &pid, w->ep,
	    sizeof(w->ep))) != LSN_OK)
		return (rv);
	w->broker = pid;
	bench_msg("broker pid %d at %s", pid, w->ep);
	return (LSN_OK);
}

pid_t
bench_agent_start(struct bench_world *w, size_t i)
{
	char	 sock[LSN_FX_PATH_MAX + 16];
	char	*bin, *argv[5];
	pid_t	 pid;

	if (lsn_fixture_write_agent_conf(w->fx, i, w->ep, NULL) != LSN_OK)
		return (-1);
	snprintf(sock, sizeof(sock), "%s/api.sock", w->fx->partners[i].dir);
	(void) remove(sock);
	if ((bin = lsn_proc_bin(LSN_BIN_AGENT)) == NULL)
		return (-1);
	argv[0] = bin;
	argv[1] = uc("-d");
	argv[2] = uc("-c");
	argv[3] = w->fx->partners[i].agent_conf;
	argv[4] = NULL;
	pid = lsn_proc_spawn(bin, argv, w->fx->partners[i].agent_log);
	free(bin);
	if (pid == -1)
		return (-1);
	if (lsn_proc_wait_file(sock, 10000, pid) != 0) {
		lsn_proc_dump_log(w->fx->partners[i].agent_log, 4000);
		return (-1);
	}
	return (pid);
}

int
bench_envelope(struct bench_world *w, size_t from, const char *to,
    const char *group, const uint8_t *id, uint8_t **out, size_t *outlen)
{
	struct lsn_fixture_msg	 m;
	uint8_t			*buf;
	size_t			 len;
	int			 rv;

	memset(&m, 0, sizeof(m));
	m.to[0] = to;
	m.groups[0] = group;
	m.text = "synthetic benchmark note ";
	m.message_id = id;
	if (!env_pad_set) {
		if ((rv = lsn_fixture_envelope(w->fx, from, &m, NULL, &buf,
		    &len)) != LSN_OK)
			return (rv);
		free(buf);
		env_pad = len < w->cfg->msg_bytes ?
		    w->cfg->msg_bytes - len : 0;
		env_pad_set = 1;
	}
	m.pad = env_pad;
	return (lsn_fixture_envelope(w->fx, from, &m, NULL, out, outlen));
}

/*
 * The bytes a full-depth BatchProof adds to a SignedEnvelope: the batch
 * form's Note is padded that much less, so both forms are cfg->msg_bytes.
 */
static size_t
batch_overhead(void)
{
	struct lsn_batch_proof	 p;
	uint8_t			 sig[LSN_SIG_BYTES], *a = NULL, *b = NULL;
	size_t			 la = 0, lb = 0;

	memset(&p, 0, sizeof(p));
	memset(sig, 0, sizeof(sig));
	p.index = LSN_BATCH_MAX - 1;
	p.count = LSN_BATCH_MAX;
	p.depth = LSN_BATCH_DEPTH_MAX;
	if (lsn_envelope_wrap_batch(uc("x"), 1, sig, "p01",
	    "0000000000000000", NULL, &a, &la) != LSN_OK ||
	    lsn_envelope_wrap_batch(uc("x"), 1, sig, "p01",
	    "0000000000000000", &p, &b, &lb) != LSN_OK)
		lb = la = 0;
	free(a);
	free(b);
	return (lb - la);
}

/* One run of c (2..LSN_BATCH_MAX) envelopes under one signature. */
static int
batch_run(struct bench_world *w, size_t from, const char *to, size_t c,
    uint8_t **out, size_t *outlen)
{
	const struct lsn_fixture_partner *p = &w->fx->partners[from];
	struct lsn_fixture_msg	 m;
	struct lsn_batch_proof	*proofs;
	uint8_t			*raw[LSN_BATCH_MAX] = { NULL };
	size_t			 rlen[LSN_BATCH_MAX], j;
	uint8_t			 sig[LSN_SIG_BYTES];
	int			 rv = LSN_OK;

	if ((proofs = calloc(c, sizeof(*proofs))) == NULL)
		return (LSN_ENOMEM);
	memset(&m, 0, sizeof(m));
	m.to[0] = to;
	m.text = "synthetic benchmark note ";
	m.pad = batch_pad;
	for (j = 0; j < c; j++)
		if ((rv = lsn_fixture_envelope_pack(w->fx, from, &m, NULL,
		    &raw[j], &rlen[j])) != LSN_OK)
			goto out;
	if ((rv = lsn_batch_sign(p->sign, (const uint8_t *const *) raw, rlen,
	    c, sig, proofs)) != LSN_OK)
		goto out;
	for (j = 0; j < c; j++)
		if ((rv = lsn_envelope_wrap_batch(raw[j], rlen[j], sig, p->id,
		    p->sign->key_id, &proofs[j], &out[j], &outlen[j])) !=
		    LSN_OK)
			goto out;
 out:
	for (j = 0; j < c; j++)
		free(raw[j]);
	free(proofs);
	return (rv);
}

int
bench_envelopes(struct bench_world *w, size_t from, const char *to,
    size_t n, int batch, uint8_t **out, size_t *outlen)
{
	size_t	k, c, ovh;
	int	rv;

	if (batch && !batch_pad_set) {
		/* bench_envelope sets env_pad */
		if (!env_pad_set) {
			if ((rv = bench_envelope(w, from, to, NULL, NULL,
			    &out[0], &outlen[0])) != LSN_OK)
				return (rv);
			free(out[0]);
			out[0] = NULL;
		}
		ovh = batch_overhead();
		batch_pad = env_pad > ovh ? env_pad - ovh : 0;
		batch_pad_set = 1;
	}
	for (k = 0; k < n; k += c) {
		c = n - k < BENCH_BATCH ? n - k : BENCH_BATCH;
		if (batch && c > 1) {
			if ((rv = batch_run(w, from, to, c, &out[k],
			    &outlen[k])) != LSN_OK)
				return (rv);
			continue;
		}
		for (size_t j = 0; j < c; j++)
			if ((rv = bench_envelope(w, from, to, NULL, NULL,
			    &out[k + j], &outlen[k + j])) != LSN_OK)
				return (rv);
	}
	return (LSN_OK);
}

int
bench_dealer(struct bench_world *w, size_t i, const struct lsn_keypair *kp,
    void **sock)
{
	return (bench_dealer_ep(w, w->ep, i, kp, sock));
}

int
bench_dealer_ep(struct bench_world *w, const char *ep, size_t i,
    const struct lsn_keypair *kp, void **sock)
{
	void	*s = NULL;
	int	 hwm = 100000, rv;

	if ((rv = lsn_fixture_dealer(w->fx, w->zctx, i, kp, ep, &s)) !=
	    LSN_OK)
		return (rv);
	(void) zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	(void) zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	if ((rv = lsn_fixture_hello(s, 0, 20000, NULL)) != LSN_OK) {
		zmq_close(s);
		return (rv);
	}
	*sock = s;
	return (LSN_OK);
}

int
bench_agent_status(struct bench_world *w, size_t i, uint64_t *inbox,
    uint64_t *rev, int *connected)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 rv;

	if ((rv = agent_it_status(w->fx, i, &r)) != LSN_OK)
		return (rv);
	if (r->code != 0 || r->status == NULL) {
		lsn_client_response_free(&r);
		return (LSN_EPROTO);
	}
	if (inbox != NULL)
		*inbox = r->status->inbox_total;
	if (rev != NULL)
		*rev = r->status->dir_head != NULL ?
		    r->status->dir_head->rev : 0;
	if (connected != NULL)
		*connected = r->status->connected;
	lsn_client_response_free(&r);
	return (LSN_OK);
}

int
bench_rss(pid_t pid, long *rss_kib, long *hwm_kib)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 rss = -1, hwm = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	if ((f = fopen(path, "r")) == NULL)
		return (LSN_ENOENT);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			hwm = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	if (rss < 0 || hwm < 0)
		return (LSN_EIO);
	*rss_kib = rss;
	*hwm_kib = hwm;
	return (LSN_OK);
}
