/*
 * test_malbroker.c -- the malicious-broker suite (issue 8, item 5).
 *
 * The evil broker is the real liaison-broker behind a proxy that holds the
 * broker's secret keys: it terminates the agents' CURVE sessions with the
 * broker's transport key (its own ZAP handler maps client keys to
 * partners), and speaks to the real broker on each partner's behalf with
 * that partner's transport key. Every frame in either direction passes
 * through it in clear, so it sees and can do exactly what a compromised
 * broker process can: drop, alter, inject and re-sign (it also holds the
 * sequencer key that signs head checkpoints). Each test runs one attack
 * against real liaison-agent processes and checks that an honest agent
 * detects it -- an alert in its status API and in `liaison status`, and a
 * security ("auth") line in its log -- or that it is impossible:
 *
 *   forged op       an AddKey for another partner signed by the broker
 *   dropped op      one live op removed from the stream
 *   forked log      the victim is shown another validly signed op at the
 *                   same rev, chained and checkpointed consistently
 *   replayed op     an old genuine op (a suspension) appended again
 *   stale head      new ops withheld from the victim, fresh checkpoints of
 *                   the old head signed for it
 *   recipients      an intact envelope delivered to a partner it does not
 *                   name, and one with its recipient list rewritten
 *   sealed body     the broker tries to open an AMBER body, then replaces
 *                   it with one it sealed itself to the recipient's key
 *
 * The figures (attack, detected, how, time to detect) are printed at the
 * end. Times are measured, never asserted.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "directory.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/sig.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define PX_DRAIN_MAX	10000	/* frames per drain call */
#define PX_LIFE_MS	600000	/* the proxy thread's deadline */
#define NP		3		/* partners: p01 victim, p02, p03 */
#define VICTIM		0
#define PEER		1
#define RAW		2		/* the admins' direct connection */
#define FAKE_SEQ	1000000		/* seqs of deliveries the proxy made */
#define WAIT_MS		15000
#define INJ_MAX		8
#define RID_MAX		256

enum mode {
	MODE_PASS,
	MODE_DROP,	/* remove the entry at rev */
	MODE_FORK,	/* the victim sees fork_op at rev */
	MODE_STALE,	/* the victim never sees anything after rev */
	MODE_RCPT,	/* capture the peer's Publish; swallow fake acks */
	MODE_SEAL,	/* re-seal the first sealed body to the victim */
};

struct inj {
	int		 to;
	uint8_t		*buf;
	size_t		 len;
};

/* The evil broker. Fields below mu are shared with the proxy thread. */
struct px {
	const struct lsn_fixture *fx;
	void			*ctx;
	void			*zap;
	void			*front;
	void			*back[NP];
	char			 ep[256];
	char			 real_ep[256];
	pthread_t		 th;
	int			 running;
	pthread_mutex_t		 mu;

	int			 stop;
	uint8_t			 rid[NP][RID_MAX];
	size_t			 ridlen[NP];
	struct inj		 inj[INJ_MAX];
	size_t			 ninj;
	enum mode		 mode;
	uint64_t		 rev;
	uint8_t			*fork_op;
	size_t			 fork_oplen;
	uint8_t			 fork_prev[32];
	struct lsn_dir		*sdir;	/* what the victim is shown (scratch) */
	uint64_t		 t_attack;	/* mono ms of the first tamper */
	int			 tampered;
	int			 err;		/* the proxy failed: test fails */
	char			 errmsg[256];
	uint8_t			*cap_env;	/* RCPT: a SignedEnvelope */
	size_t			 cap_envlen;
	int			 acks[4];	/* DeliverAck codes, fake seqs */
	uint64_t		 seal_seq;	/* SEAL: the re-sealed delivery */
	int			 seal_ack;	/* its DeliverAck code, or 1 */
	int			 unseal_tries;
	int			 unseal_ok;
	int			 capture;	/* keep every byte seen */
	uint8_t			*seen;
	size_t			 seenlen, seencap;
};

struct env {
	struct lsn_fixture	*fx;
	struct lsn_store	*sst;
	struct px		 px;
	char			 real_ep[256];
	char			 scratch[LSN_FX_PATH_MAX + 16];
	int			 broker;
	pid_t			 agents[NP];
	uint64_t		 rev0;		/* head when the world started */
	uint8_t			 hash0[32];
};

struct result {
	const char	*attack;
	int		 detected;
	char		 how[400];
	long		 ms;
	const char	*from;
};

static struct result	results[16];
static size_t		nresults;


static void
record(const char *attack, int detected, const char *how, long ms,
    const char *from)
{
	struct result	*r;

	if (nresults >= sizeof(results) / sizeof(results[0]))
		return;
	r = &results[nresults++];
	r->attack = attack;
	r->detected = detected;
	snprintf(r->how, sizeof(r->how), "%s", how);
	r->ms = ms;
	r->from = from;
	printf("malbroker: %-12s detected=%s ms=%ld (%s) %s\n", attack,
	    detected ? "yes" : "no", ms, from, how);
	fflush(stdout);
}

/* ---- bytes ---- */

static void
frame_pack(const Liaison__V1__Frame *f, uint8_t **out, size_t *len)
{
	*len = liaison__v1__frame__get_packed_size(f);
	assert_non_null(*out = malloc(*len ? *len : 1));
	liaison__v1__frame__pack(f, *out);
}

static void
entry_hash(uint64_t rev, const uint8_t prev[32], const uint8_t *op,
    size_t oplen, uint8_t out[32])
{
	uint8_t	*buf;

	buf = malloc(40 + oplen);
	if (buf == NULL)
		abort();
	memcpy(buf, prev, 32);
	for (int i = 0; i < 8; i++)
		buf[32 + i] = (uint8_t) (rev >> (56 - 8 * i));
	memcpy(buf + 40, op, oplen);
	lsn_hash(buf, 40 + oplen, out);
	free(buf);
}

static int
mem_has(const uint8_t *p, size_t n, const char *s)
{
	size_t	sl = strlen(s);

	if (sl == 0 || n < sl)
		return (0);
	for (size_t i = 0; i + sl <= n; i++)
		if (p[i] == (uint8_t) s[0] && memcmp(p + i, s, sl) == 0)
			return (1);
	return (0);
}

static int
file_has(const char *path, const char *s)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 r;

	if (lsn_file_read(path, 256 * 1024 * 1024, &buf, &len) != LSN_OK)
		return (0);
	r = mem_has(buf, len, s);
	free(buf);
	return (r);
}

/* The first "auth" line of the agent's log containing s (copied to out). */
static int
log_auth_line(const struct lsn_fixture *fx, size_t i, const char *s,
    char *out, size_t outsz)
{
	FILE	*f;
	char	 line[1024];
	int	 found = 0;

	if ((f = fopen(fx->partners[i].agent_log, "r")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " auth ") == NULL || strstr(line, s) == NULL)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, outsz, "%s", strstr(line, "auth "));
		found = 1;
	}
	fclose(f);
	return (found);
}

/* ---- the proxy thread ---- */

static void
px_fail(struct px *px, const char *msg, int rv)
{
	if (px->err)
		return;
	px->err = 1;
	snprintf(px->errmsg, sizeof(px->errmsg), "%s: %s", msg,
	    lsn_strerror(rv));
}

static void
px_tampered(struct px *px)
{
	if (px->tampered++ == 0)
		px->t_attack = lsn_mono_ms();
}

static void
px_keep(struct px *px, const uint8_t *p, size_t n)
{
	if (!px->capture)
		return;
	if (px->seenlen + n > px->seencap) {
		size_t	 cap = px->seencap ? px->seencap : 65536;
		uint8_t	*q;

		while (cap < px->seenlen + n)
			cap *= 2;
		if ((q = realloc(px->seen, cap)) == NULL) {
			px_fail(px, "capture", LSN_ENOMEM);
			return;
		}
		px->seen = q;
		px->seencap = cap;
	}
	memcpy(px->seen + px->seenlen, p, n);
	px->seenlen += n;
}

static void
px_to_agent(struct px *px, int i, const uint8_t *buf, size_t len)
{
	if (px->ridlen[i] == 0)
		return;
	(void) zmq_send(px->front, px->rid[i], px->ridlen[i], ZMQ_SNDMORE);
	(void) zmq_send(px->front, buf, len, 0);
}

static void
px_send_frame(struct px *px, int i, const Liaison__V1__Frame *f)
{
	uint8_t	*buf;
	size_t	 len;

	len = liaison__v1__frame__get_packed_size(f);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		px_fail(px, "pack", LSN_ENOMEM);
		return;
	}
	liaison__v1__frame__pack(f, buf);
	px_to_agent(px, i, buf, len);
	free(buf);
}

static void
zap_answer(struct px *px)
{
	zmq_msg_t	 parts[8];
	int		 n = 0, more = 1, who = -1;
	const char	*status = "400";

	while (more && n < 8) {
		zmq_msg_init(&parts[n]);
		if (zmq_msg_recv(&parts[n], px->zap, 0) < 0) {
			zmq_msg_close(&parts[n]);
			break;
		}
		more = zmq_msg_more(&parts[n]);
		n++;
	}
	/* version, request id, domain, address, identity, mechanism, key */
	if (n >= 7 && zmq_msg_size(&parts[6]) == LSN_PK_BYTES)
		for (int i = 0; i < NP; i++)
			if (memcmp(zmq_msg_data(&parts[6]),
			    px->fx->partners[i].transport->pk,
			    LSN_PK_BYTES) == 0)
				who = i;
	if (who >= 0)
		status = "200";
	zmq_send(px->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(px->zap, n >= 2 ? zmq_msg_data(&parts[1]) : "",
	    n >= 2 ? zmq_msg_size(&parts[1]) : 0, ZMQ_SNDMORE);
	zmq_send(px->zap, status, 3, ZMQ_SNDMORE);
	zmq_send(px->zap, "", 0, ZMQ_SNDMORE);
	if (who >= 0)
		zmq_send(px->zap, px->fx->partners[who].id,
		    strlen(px->fx->partners[who].id), ZMQ_SNDMORE);
	else
		zmq_send(px->zap, "", 0, ZMQ_SNDMORE);
	zmq_send(px->zap, "", 0, 0);
	for (int i = 0; i < n; i++)
		zmq_msg_close(&parts[i]);
}

/* A fresh checkpoint of the scratch directory (what the victim holds). */
static Liaison__V1__SignedCheckpoint *
px_checkpoint(struct px *px)
{
	Liaison__V1__SignedCheckpoint	*cp;
	uint8_t				*buf = NULL;
	size_t				 len = 0;
	int				 rv;

	if ((rv = lsn_dir_checkpoint_make(px->sdir, px->fx->seq, lsn_now_ms(),
	    &buf, &len)) != LSN_OK) {
		px_fail(px, "checkpoint", rv);
		return (NULL);
	}
	cp = liaison__v1__signed_checkpoint__unpack(NULL, len, buf);
	free(buf);
	return (cp);
}

/* The victim is shown fork_op at px->rev; later entries are re-chained. */
static void
px_fork_ops(struct px *px, Liaison__V1__DirOps *ops)
{
	Liaison__V1__LogEntry		**v, **orig, *ne;
	Liaison__V1__SignedCheckpoint	*cp = NULL, *old;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	uint8_t				 h[32], head[32], *pk;
	size_t				 n = ops->n_entries, pklen;
	uint64_t			 srev;
	char				 why[LSN_DIR_WHY_MAX];
	int				 rv, changed = 0;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		Liaison__V1__LogEntry *e = ops->entries[k];

		v[k] = e;
		if (!e->has_rev || e->rev < px->rev || e->prev_hash.len != 32)
			continue;
		ne = malloc(sizeof(*ne));
		if (ne == NULL)
			abort();
		liaison__v1__log_entry__init(ne);
		ne->has_rev = 1;
		ne->rev = e->rev;
		ne->has_prev_hash = 1;
		ne->prev_hash.len = 32;
		ne->prev_hash.data = malloc(32);
		memcpy(ne->prev_hash.data, e->rev == px->rev ?
		    e->prev_hash.data : px->fork_prev, 32);
		ne->has_signed_op = 1;
		ne->signed_op.len = e->rev == px->rev ? px->fork_oplen :
		    e->signed_op.len;
		ne->signed_op.data = malloc(ne->signed_op.len);
		memcpy(ne->signed_op.data, e->rev == px->rev ? px->fork_op :
		    e->signed_op.data, ne->signed_op.len);
		entry_hash(ne->rev, ne->prev_hash.data, ne->signed_op.data,
		    ne->signed_op.len, h);
		ne->has_entry_hash = 1;
		ne->entry_hash.len = 32;
		ne->entry_hash.data = malloc(32);
		memcpy(ne->entry_hash.data, h, 32);
		memcpy(px->fork_prev, h, 32);
		v[k] = ne;
		changed = 1;
		/* keep the scratch replica equal to what the victim holds */
		if (lsn_dir_head(px->sdir, &srev, head) == LSN_OK &&
		    srev + 1 == ne->rev) {
			pklen = liaison__v1__log_entry__get_packed_size(ne);
			pk = malloc(pklen);
			liaison__v1__log_entry__pack(ne, pk);
			rv = lsn_dir_apply_entry(px->sdir, pk, pklen, why,
			    sizeof(why));
			free(pk);
			if (rv != LSN_OK)
				px_fail(px, "fork apply", rv);
		}
	}
	if (changed) {
		px_tampered(px);
		cp = px_checkpoint(px);
	}
	old = ops->checkpoint;
	orig = ops->entries;
	ops->entries = v;
	if (cp != NULL)
		ops->checkpoint = cp;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_OPS;
	f.dir_ops = ops;
	px_send_frame(px, VICTIM, &f);
	ops->checkpoint = old;
	ops->entries = orig;
	for (size_t k = 0; k < n; k++)
		if (v[k] != orig[k])
			liaison__v1__log_entry__free_unpacked(v[k], NULL);
	free(v);
	if (cp != NULL)
		liaison__v1__signed_checkpoint__free_unpacked(cp, NULL);
}

/*
 * DROP / STALE on a DirOps to the victim: keep some entries; STALE
 * replaces the checkpoint with a fresh one of the frozen head.
 */
static void
px_filter_ops(struct px *px, Liaison__V1__DirOps *ops)
{
	Liaison__V1__LogEntry		**orig = ops->entries, **v;
	Liaison__V1__SignedCheckpoint	*cp = NULL, *old = ops->checkpoint;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	size_t				 n = ops->n_entries, m = 0;
	int				 dropped = 0, omore = ops->more;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		Liaison__V1__LogEntry *e = orig[k];
		int drop = px->mode == MODE_DROP ? e->rev == px->rev :
		    e->rev > px->rev;

		if (drop)
			dropped = 1;
		else
			v[m++] = e;
	}
	if (dropped)
		px_tampered(px);
	if (px->mode == MODE_STALE && (dropped || old != NULL)) {
		cp = px_checkpoint(px);
		ops->checkpoint = cp;
		if (dropped)
			ops->more = 0;
	}
	if (!(dropped && m == 0 && ops->has_live && ops->live)) {
		ops->entries = v;
		ops->n_entries = m;
		f.kind_case = LIAISON__V1__FRAME__KIND_DIR_OPS;
		f.dir_ops = ops;
		px_send_frame(px, VICTIM, &f);
	}
	ops->entries = orig;
	ops->n_entries = n;
	ops->checkpoint = old;
	ops->more = omore;
	if (cp != NULL)
		liaison__v1__signed_checkpoint__free_unpacked(cp, NULL);
	free(v);
}

/* STALE / FORK: the Welcome names the head the victim is shown. */
static void
px_welcome(struct px *px, Liaison__V1__Welcome *w)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirHead	*old = w->dir_head, dh =
	    LIAISON__V1__DIR_HEAD__INIT;
	uint8_t			 h[32];
	uint64_t		 rev;

	if (lsn_dir_head(px->sdir, &rev, h) != LSN_OK) {
		px_fail(px, "scratch head", LSN_EDB);
		return;
	}
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = h;
	dh.hash.len = 32;
	w->dir_head = &dh;
	f.kind_case = LIAISON__V1__FRAME__KIND_WELCOME;
	f.welcome = w;
	px_send_frame(px, VICTIM, &f);
	w->dir_head = old;
}

/*
 * SEAL: the broker tries to open the sealed body (it has every key of its
 * own, none of the recipient's), then replaces it with a body it sealed to
 * the recipient's public encryption key from the directory.
 */
static void
px_reseal(struct px *px, Liaison__V1__Deliver *d)
{
	Liaison__V1__SignedEnvelope	*se = d->envelope;
	Liaison__V1__Envelope		*env;
	Liaison__V1__SealedBody		*sb = NULL, *orig;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	const struct lsn_fixture	*fx = px->fx;
	struct lsn_keypair		 kp;
	struct lsn_seal_rcpt		 r;
	ProtobufCBinaryData		 oldb = se->envelope;
	uint8_t				 ad[LSN_SEAL_AD_MAX], body[128];
	uint8_t				*pt = NULL, *nb;
	size_t				 adlen, ptlen = 0, bl, nl;

	env = liaison__v1__envelope__unpack(NULL, se->envelope.len,
	    se->envelope.data);
	if (env == NULL || env->sealed == NULL ||
	    lsn_seal_ad_env(env, ad, &adlen) != LSN_OK) {
		if (env != NULL)
			liaison__v1__envelope__free_unpacked(env, NULL);
		px_fail(px, "reseal: not a sealed envelope", LSN_EINVAL);
		return;
	}
	/* 1. open it with the broker's own X25519 key, posing as the
	 * recipient's key id */
	memset(&kp, 0, sizeof(kp));
	kp.kind = LSN_KEY_ENCRYPT;
	snprintf(kp.key_id, sizeof(kp.key_id), "%s",
	    fx->partners[VICTIM].encrypt->key_id);
	memcpy(kp.pk, fx->broker_transport->pk, LSN_PK_BYTES);
	kp.sk = fx->broker_transport->sk;
	px->unseal_tries++;
	if (lsn_unseal(env->sealed, ad, adlen, fx->partners[VICTIM].id, &kp,
	    &pt, &ptlen) == LSN_OK) {
		px->unseal_ok++;
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	/* 2. its own body, sealed to the recipient's real public key */
	note.text = lsn_proc_mut("Synthetic: the meeting moved to the broker's room");
	bl = liaison__v1__note__pack(&note, body);
	r.partner = fx->partners[VICTIM].id;
	r.pk = fx->partners[VICTIM].encrypt->pk;
	if (lsn_seal(body, bl, ad, adlen, &r, 1, &sb) != LSN_OK) {
		liaison__v1__envelope__free_unpacked(env, NULL);
		px_fail(px, "reseal", LSN_EINVAL);
		return;
	}
	orig = env->sealed;
	env->sealed = sb;
	nl = liaison__v1__envelope__get_packed_size(env);
	nb = malloc(nl);
	liaison__v1__envelope__pack(env, nb);
	env->sealed = orig;
	lsn_sealed_free(&sb);
	se->envelope.data = nb;
	se->envelope.len = nl;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER;
	f.deliver = d;
	px_send_frame(px, VICTIM, &f);
	se->envelope = oldb;
	free(nb);
	liaison__v1__envelope__free_unpacked(env, NULL);
	px->seal_seq = d->seq;
	px->seal_ack = 1;
	px_tampered(px);
}

/* broker -> agent i */
static void
px_down(struct px *px, int i, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	*f;
	int			 done = 0;

	px_keep(px, buf, len);
	if (i != VICTIM || px->mode == MODE_PASS || px->mode == MODE_RCPT) {
		px_to_agent(px, i, buf, len);
		return;
	}
	if ((f = liaison__v1__frame__unpack(NULL, len, buf)) == NULL) {
		px_to_agent(px, i, buf, len);
		return;
	}
	switch (px->mode) {
	case MODE_DROP:
	case MODE_STALE:
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DIR_OPS) {
			px_filter_ops(px, f->dir_ops);
			done = 1;
		} else if (px->mode == MODE_STALE &&
		    f->kind_case == LIAISON__V1__FRAME__KIND_WELCOME) {
			px_welcome(px, f->welcome);
			done = 1;
		}
		break;
	case MODE_FORK:
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DIR_OPS) {
			px_fork_ops(px, f->dir_ops);
			done = 1;
		} else if (f->kind_case == LIAISON__V1__FRAME__KIND_WELCOME &&
		    px->tampered) {
			px_welcome(px, f->welcome);
			done = 1;
		}
		break;
	case MODE_SEAL:
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER &&
		    !px->tampered && f->deliver->envelope != NULL) {
			Liaison__V1__Envelope *env;

			env = liaison__v1__envelope__unpack(NULL,
			    f->deliver->envelope->envelope.len,
			    f->deliver->envelope->envelope.data);
			if (env != NULL && env->sealed != NULL) {
				px_reseal(px, f->deliver);
				done = 1;
			}
			if (env != NULL)
				liaison__v1__envelope__free_unpacked(env,
				    NULL);
		}
		break;
	default:
		break;
	}
	if (!done)
		px_to_agent(px, i, buf, len);
	liaison__v1__frame__free_unpacked(f, NULL);
}

/* agent i -> broker */
static void
px_up(struct px *px, int i, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	*f;
	int			 swallow = 0;

	px_keep(px, buf, len);
	if ((px->mode == MODE_RCPT || px->mode == MODE_SEAL) &&
	    (f = liaison__v1__frame__unpack(NULL, len, buf)) != NULL) {
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER_ACK &&
		    i == VICTIM) {
			Liaison__V1__DeliverAck *a = f->deliver_ack;
			int code = a->has_code ? -(int) a->code : 0;

			if (a->seq >= FAKE_SEQ && a->seq < FAKE_SEQ + 4) {
				px->acks[a->seq - FAKE_SEQ] = code;
				swallow = 1;
			} else if (px->seal_seq != 0 && a->seq == px->seal_seq)
				px->seal_ack = code;
		}
		if (f->kind_case == LIAISON__V1__FRAME__KIND_PUBLISH &&
		    i == PEER && px->mode == MODE_RCPT &&
		    px->cap_env == NULL && f->publish->envelope != NULL) {
			Liaison__V1__SignedEnvelope *se = f->publish->envelope;

			px->cap_envlen =
			    liaison__v1__signed_envelope__get_packed_size(se);
			if ((px->cap_env = malloc(px->cap_envlen)) != NULL)
				liaison__v1__signed_envelope__pack(se,
				    px->cap_env);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
	if (!swallow)
		(void) zmq_send(px->back[i], buf, len, 0);
}

/* The agent reconnected: so does its session with the real broker. */
static void
px_reconnect(struct px *px, int i)
{
	int	rv;

	zmq_close(px->back[i]);
	px->back[i] = NULL;
	if ((rv = lsn_fixture_dealer(px->fx, px->ctx, (size_t) i, NULL,
	    px->real_ep, &px->back[i])) != LSN_OK)
		px_fail(px, "reconnect", rv);
}

static void
px_drain_front(struct px *px)
{
	/* Bounded: a flood cannot keep the proxy thread here. */
	for (int n = 0; n < PX_DRAIN_MAX; n++) {
		zmq_msg_t	 rid, body;
		const char	*uid;
		int		 i;

		zmq_msg_init(&rid);
		if (zmq_msg_recv(&rid, px->front, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			return;
		}
		zmq_msg_init(&body);
		if (!zmq_msg_more(&rid) ||
		    zmq_msg_recv(&body, px->front, 0) < 0) {
			zmq_msg_close(&rid);
			zmq_msg_close(&body);
			continue;
		}
		uid = zmq_msg_gets(&body, "User-Id");
		i = uid != NULL ? lsn_fixture_find(px->fx, uid) : -1;
		if (i >= 0 && i < NP && zmq_msg_size(&rid) <= RID_MAX) {
			if (px->ridlen[i] != 0 && (px->ridlen[i] !=
			    zmq_msg_size(&rid) || memcmp(px->rid[i],
			    zmq_msg_data(&rid), px->ridlen[i]) != 0))
				px_reconnect(px, i);
			memcpy(px->rid[i], zmq_msg_data(&rid),
			    zmq_msg_size(&rid));
			px->ridlen[i] = zmq_msg_size(&rid);
			px_up(px, i, zmq_msg_data(&body), zmq_msg_size(&body));
		}
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}

static void
px_drain_back(struct px *px, int i)
{
	for (int n = 0; n < PX_DRAIN_MAX; n++) {
		zmq_msg_t	m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, px->back[i], ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		px_down(px, i, zmq_msg_data(&m), zmq_msg_size(&m));
		zmq_msg_close(&m);
	}
}

static void *
px_main(void *arg)
{
	struct px	*px = arg;
	zmq_pollitem_t	 it[2 + NP];
	uint64_t	 end = lsn_mono_ms() + PX_LIFE_MS;

	for (;;) {
		pthread_mutex_lock(&px->mu);
		if (!px->stop && lsn_mono_ms() > end) {
			/* The test hangs somewhere: fail, do not hang. */
			px_fail(px, "proxy deadline", LSN_ETIMEDOUT);
			px->stop = 1;
		}
		if (px->stop) {
			pthread_mutex_unlock(&px->mu);
			break;
		}
		for (size_t k = 0; k < px->ninj; k++) {
			px_to_agent(px, px->inj[k].to, px->inj[k].buf,
			    px->inj[k].len);
			free(px->inj[k].buf);
			px_tampered(px);
		}
		px->ninj = 0;
		pthread_mutex_unlock(&px->mu);
		it[0].socket = px->zap;
		it[1].socket = px->front;
		for (int i = 0; i < NP; i++)
			it[2 + i].socket = px->back[i];
		for (int i = 0; i < 2 + NP; i++) {
			it[i].fd = 0;
			it[i].events = ZMQ_POLLIN;
			it[i].revents = 0;
		}
		if (zmq_poll(it, 2 + NP, 10) <= 0)
			continue;
		pthread_mutex_lock(&px->mu);
		if (it[0].revents & ZMQ_POLLIN)
			zap_answer(px);
		if (it[1].revents & ZMQ_POLLIN)
			px_drain_front(px);
		for (int i = 0; i < NP; i++)
			if (it[2 + i].revents & ZMQ_POLLIN)
				px_drain_back(px, i);
		pthread_mutex_unlock(&px->mu);
	}
	return (NULL);
}

static void
px_start(struct env *e)
{
	struct px	*px = &e->px;
	char		 sk[LSN_Z85_KEYLEN + 1];
	int		 one = 1, zero = 0;
	size_t		 len = sizeof(px->ep);

	px->fx = e->fx;
	snprintf(px->real_ep, sizeof(px->real_ep), "%s", e->real_ep);
	assert_int_equal(pthread_mutex_init(&px->mu, NULL), 0);
	assert_non_null(px->ctx = zmq_ctx_new());
	assert_non_null(px->zap = zmq_socket(px->ctx, ZMQ_REP));
	assert_int_equal(zmq_bind(px->zap, "inproc://zeromq.zap.01"), 0);
	assert_non_null(px->front = zmq_socket(px->ctx, ZMQ_ROUTER));
	assert_ok(lsn_key_z85(e->fx->broker_transport->sk, sk));
	assert_int_equal(zmq_setsockopt(px->front, ZMQ_CURVE_SERVER, &one,
	    sizeof(one)), 0);
	assert_int_equal(zmq_setsockopt(px->front, ZMQ_CURVE_SECRETKEY, sk,
	    LSN_Z85_KEYLEN), 0);
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(zmq_setsockopt(px->front, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	assert_int_equal(zmq_bind(px->front, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(px->front, ZMQ_LAST_ENDPOINT, px->ep,
	    &len), 0);
	for (int i = 0; i < NP; i++)
		assert_ok(lsn_fixture_dealer(e->fx, px->ctx, (size_t) i, NULL,
		    e->real_ep, &px->back[i]));
	assert_int_equal(pthread_create(&px->th, NULL, px_main, px), 0);
	px->running = 1;
}

static void
px_stop(struct px *px)
{
	if (px->running) {
		pthread_mutex_lock(&px->mu);
		px->stop = 1;
		pthread_mutex_unlock(&px->mu);
		pthread_join(px->th, NULL);
		px->running = 0;
		pthread_mutex_destroy(&px->mu);
	}
	for (size_t k = 0; k < px->ninj; k++)
		free(px->inj[k].buf);
	for (int i = 0; i < NP; i++)
		if (px->back[i] != NULL)
			zmq_close(px->back[i]);
	if (px->front != NULL)
		zmq_close(px->front);
	if (px->zap != NULL)
		zmq_close(px->zap);
	if (px->ctx != NULL)
		zmq_ctx_term(px->ctx);
	free(px->fork_op);
	free(px->cap_env);
	free(px->seen);
}

/* Queues a frame for agent i; sent by the proxy thread (the tampering). */
static void
px_inject(struct px *px, int i, const Liaison__V1__Frame *f)
{
	uint8_t	*buf;
	size_t	 len;

	frame_pack(f, &buf, &len);
	pthread_mutex_lock(&px->mu);
	assert_true(px->ninj < INJ_MAX);
	px->inj[px->ninj].to = i;
	px->inj[px->ninj].buf = buf;
	px->inj[px->ninj].len = len;
	px->ninj++;
	pthread_mutex_unlock(&px->mu);
}

static void
px_set(struct px *px, enum mode m, uint64_t rev)
{
	pthread_mutex_lock(&px->mu);
	px->mode = m;
	px->rev = rev;
	pthread_mutex_unlock(&px->mu);
}

static uint64_t
px_attack_time(struct px *px)
{
	uint64_t	t;

	pthread_mutex_lock(&px->mu);
	assert_false(px->err);
	t = px->tampered ? px->t_attack : 0;
	pthread_mutex_unlock(&px->mu);
	return (t);
}

/* The time of the first tampering, waiting for it at most ATTACK_MS: a
 * proxy that never tampers fails the test instead of hanging it. */
#define ATTACK_MS	60000
static uint64_t
wait_attack(struct px *px)
{
	uint64_t	t0, end = lsn_mono_ms() + ATTACK_MS;

	while ((t0 = px_attack_time(px)) == 0) {
		if (lsn_mono_ms() > end)
			fail_msg("the proxy did not tamper within %d ms",
			    ATTACK_MS);
		lsn_proc_sleep_ms(5);
	}
	return (t0);
}

/* ---- the world ---- */

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = NP;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	e->broker = -1;
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		px_stop(&e->px);
		lsn_dir_close(&e->px.sdir);
		lsn_store_close(&e->sst);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

static void
copy_file(const char *from, const char *to)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;

	assert_ok(lsn_file_read(from, 64 * 1024 * 1024, &buf, &len));
	assert_ok(lsn_file_write_atomic(to, buf, len, 0600));
	free(buf);
}

/*
 * Copies the directory as it is now (the scratch replica: what a victim
 * is shown), starts the real broker, the proxy, and agents 0..n-1 through
 * the proxy, and waits until they are in sync.
 */
static void
world_start(struct env *e, size_t n)
{
	snprintf(e->scratch, sizeof(e->scratch), "%s/scratch.db", e->fx->dir);
	copy_file(e->fx->broker_db, e->scratch);
	assert_ok(lsn_store_open(e->scratch, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &e->sst));
	assert_ok(lsn_dir_open(e->sst, &e->px.sdir));
	assert_ok(lsn_dir_head(e->px.sdir, &e->rev0, e->hash0));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->real_ep,
	    sizeof(e->real_ep)));
	px_start(e);
	for (size_t i = 0; i < n; i++) {
		e->agents[i] = agent_it_start(e->fx, i, e->px.ep, NULL);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < n; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, e->rev0, WAIT_MS));
}

/* The admins submit a signed op through their own connection (as p03). */
static uint64_t
admin_submit(struct env *e, const uint8_t *op, size_t len)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT, *ack = NULL;
	Liaison__V1__DirSubmit	 ds = LIAISON__V1__DIR_SUBMIT__INIT;
	void			*ctx, *s = NULL;
	uint8_t			 rid[16];
	uint64_t		 rev;

	assert_non_null(ctx = zmq_ctx_new());
	assert_ok(lsn_fixture_dealer(e->fx, ctx, RAW, NULL, e->real_ep, &s));
	assert_ok(lsn_fixture_hello(s, 0, 5000, NULL));
	lsn_random(rid, sizeof(rid));
	ds.has_request_id = 1;
	ds.request_id.data = rid;
	ds.request_id.len = sizeof(rid);
	assert_non_null(ds.op = liaison__v1__signed_dir_op__unpack(NULL, len,
	    op));
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	assert_ok(lsn_fixture_send(s, &f));
	assert_ok(lsn_fixture_recv_kind(s,
	    LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK, 5000, &ack));
	assert_int_equal(ack->dir_submit_ack->code, 0);
	rev = ack->dir_submit_ack->rev;
	liaison__v1__frame__free_unpacked(ack, NULL);
	liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return (rev);
}

/* Agent i's directory head. */
static void
agent_head(struct env *e, size_t i, uint64_t *rev, uint8_t hash[32])
{
	Liaison__V1__ApiResponse	*r = NULL;

	assert_ok(agent_it_status(e->fx, i, &r));
	assert_non_null(r->status);
	assert_non_null(r->status->dir_head);
	*rev = r->status->dir_head->rev;
	if (hash != NULL) {
		assert_int_equal(r->status->dir_head->hash.len, 32);
		memcpy(hash, r->status->dir_head->hash.data, 32);
	}
	lsn_client_response_free(&r);
}

static void
wait_head(struct env *e, size_t i, uint64_t rev)
{
	uint64_t	r = 0;

	for (int k = 0; k < WAIT_MS / 20; k++) {
		agent_head(e, i, &r, NULL);
		if (r >= rev)
			return;
		lsn_proc_sleep_ms(20);
	}
	fail_msg("agent %zu stuck at rev %llu (want %llu)", i,
	    (unsigned long long) r, (unsigned long long) rev);
}

/* Number of alerts at agent i. */
static size_t
nalerts(struct env *e, size_t i)
{
	Liaison__V1__ApiResponse	*r = NULL;
	size_t				 n;

	assert_ok(agent_it_status(e->fx, i, &r));
	n = r->status != NULL ? r->status->n_alerts : 0;
	lsn_client_response_free(&r);
	return (n);
}

/*
 * Polls agent i's status until an alert containing s shows (copied to
 * out); returns the mono time it was seen, 0 if it never did.
 */
static uint64_t
wait_alert(struct env *e, size_t i, const char *s, char *out, size_t outsz)
{
	Liaison__V1__ApiResponse	*r = NULL;

	for (int k = 0; k < WAIT_MS / 20; k++) {
		assert_ok(agent_it_status(e->fx, i, &r));
		for (size_t j = 0; r->status != NULL &&
		    j < r->status->n_alerts; j++)
			if (strstr(r->status->alerts[j], s) != NULL) {
				snprintf(out, outsz, "%s",
				    r->status->alerts[j]);
				lsn_client_response_free(&r);
				return (lsn_mono_ms());
			}
		lsn_client_response_free(&r);
		lsn_proc_sleep_ms(20);
	}
	return (0);
}

/*
 * The detection as the operators see it: the alert in the status API
 * (waited for), in `liaison status`, and a security line in the agent's
 * log. Records the figure; returns 1 when all three are there.
 */
static int
detected(struct env *e, size_t i, const char *attack, const char *alert,
    const char *logtext, uint64_t t0, const char *from)
{
	char		 a[512] = "", line[512] = "", how[400], *out = NULL;
	uint64_t	 t;
	int		 cli = 0, lg;

	t = wait_alert(e, i, alert, a, sizeof(a));
	if (t != 0 && agent_it_cli(e->fx, i, &out, "status", NULL) == 0 &&
	    out != NULL)
		cli = strstr(out, "ALERT: ") != NULL && strstr(out, alert);
	free(out);
	lg = log_auth_line(e->fx, i, logtext, line, sizeof(line));
	snprintf(how, sizeof(how), "%.16s alert \"%.90s\"; log \"%.60s\"",
	    e->fx->partners[i].id, a, line);
	record(attack, t != 0 && cli && lg, how,
	    t != 0 ? (long) (t - t0) : -1, from);
	if (t == 0 || !cli || !lg) {
		lsn_proc_dump_log(e->fx->partners[i].agent_log, 4000);
		print_error("alert=%d cli=%d log=%d\n", t != 0, cli, lg);
	}
	return (t != 0 && cli && lg);
}

/* A note from partner `from` to `to` with TLP tlp (GREEN/AMBER). */
static void
send_note(struct env *e, size_t from, const char *to, const char *group,
    int tlp, const char *text, uint8_t *msgid)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	char				*tov[1], *grv[1];
	uint8_t				 body[1024];

	note.text = lsn_proc_mut(text);
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	h.has_tlp = 1;
	h.tlp = (Liaison__V1__Tlp) tlp;
	sr.handling = &h;
	if (to != NULL) {
		tov[0] = lsn_proc_mut(to);
		sr.n_to = 1;
		sr.to = tov;
	}
	if (group != NULL) {
		grv[0] = lsn_proc_mut(group);
		sr.n_to_groups = 1;
		sr.to_groups = grv;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	assert_ok(agent_it_call(e->fx, from, &req, &r));
	assert_int_equal(r->code, 0);
	if (msgid != NULL) {
		assert_non_null(r->submit);
		assert_int_equal(r->submit->message_id.len, 16);
		memcpy(msgid, r->submit->message_id.data, 16);
	}
	lsn_client_response_free(&r);
}

/* A live DirOps push of one entry (rev, prev, op) to the victim. */
static void
inject_entry(struct env *e, uint64_t rev, const uint8_t prev[32],
    const uint8_t *op, size_t oplen)
{
	Liaison__V1__Frame	f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirOps	ops = LIAISON__V1__DIR_OPS__INIT;
	Liaison__V1__LogEntry	le = LIAISON__V1__LOG_ENTRY__INIT;
	Liaison__V1__LogEntry	*v[1];
	uint8_t			h[32], p[32];

	memcpy(p, prev, 32);
	entry_hash(rev, p, op, oplen, h);
	le.has_rev = 1;
	le.rev = rev;
	le.has_prev_hash = 1;
	le.prev_hash.data = p;
	le.prev_hash.len = 32;
	le.has_signed_op = 1;
	le.signed_op.data = (uint8_t *) (uintptr_t) op;
	le.signed_op.len = oplen;
	le.has_entry_hash = 1;
	le.entry_hash.data = h;
	le.entry_hash.len = 32;
	v[0] = &le;
	ops.n_entries = 1;
	ops.entries = v;
	ops.has_live = 1;
	ops.live = 1;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_OPS;
	f.dir_ops = &ops;
	px_inject(&e->px, VICTIM, &f);
}

/*
 * A directory query for partner id at agent i: its wire code, the detail
 * in why (may be NULL).
 */
static int
dir_query_code(struct env *e, size_t i, const char *id, char *why,
    size_t whysz)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 q =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	int				 code;

	q.partner_id = lsn_proc_mut(id);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &q;
	assert_ok(agent_it_call(e->fx, i, &req, &r));
	code = (int) r->code;
	if (why != NULL)
		snprintf(why, whysz, "%s", r->detail != NULL ? r->detail : "");
	if (code == 0)
		assert_int_equal(r->dir_query->n_partners, 1);
	lsn_client_response_free(&r);
	return (code);
}

/* ---- the attacks ---- */

/*
 * After the halt, directory queries over the API and `liaison agent-dir`
 * answer E_DIR_HALTED with the reason, not the suspect replica's data.
 */
static void
halted_dir_refused(struct env *e)
{
	char	 why[512], errlog[LSN_FX_PATH_MAX + 16], ep[256];
	char	*bin, *argv[8], *out = NULL, *err = NULL;
	size_t	 len = 0;

	assert_int_equal(dir_query_code(e, VICTIM, "p02", why, sizeof(why)),
	    lsn_err_to_wire(LSN_EDIRHALTED));
	assert_non_null(strstr(why, "halted"));
	assert_non_null(strstr(why, "LSN_ENOTAUTH"));
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	agent_it_endpoint(e->fx, VICTIM, ep, sizeof(ep));
	snprintf(errlog, sizeof(errlog), "%s/agentdir.err", e->fx->dir);
	argv[0] = bin;
	argv[1] = lsn_proc_mut("agent-dir");
	argv[2] = lsn_proc_mut("show");
	argv[3] = lsn_proc_mut("p02");
	argv[4] = lsn_proc_mut("--agent");
	argv[5] = ep;
	argv[6] = NULL;
	assert_int_not_equal(lsn_proc_run(bin, argv, &out, errlog, 30000), 0);
	assert_ok(lsn_file_read(errlog, 1 << 20, (uint8_t **) &err, &len));
	assert_non_null(strstr(err, "LSN_EDIRHALTED"));
	assert_non_null(strstr(err, "LSN_ENOTAUTH"));
	assert_null(strstr(out != NULL ? out : "", "p02"));
	free(out);
	free(err);
	free(bin);
}

/*
 * The broker forges a directory op: its own key added as a SIGN key of
 * p02 (it could then sign messages as p02), "signed" by the broker's
 * sequencer key, correctly chained after the victim's head.
 */
static void
test_malbroker_forged_op_refused_replica_halts(void **state)
{
	struct env		*e = *state;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__AddKey	 ak = LIAISON__V1__ADD_KEY__INIT;
	Liaison__V1__KeyRecord	 kr = LIAISON__V1__KEY_RECORD__INIT;
	uint8_t			*u = NULL, *s = NULL, h[32];
	size_t			 ul = 0, sl = 0;
	uint64_t		 v, rev, t0;

	assert_ok(lsn_fixture_partner_version(e->fx, "p02", &v));
	world_start(e, 1);
	kr.key_id = e->fx->seq->key_id;
	kr.has_purpose = 1;
	kr.purpose = LIAISON__V1__KEY_PURPOSE__KEY_SIGN;
	kr.has_public_key = 1;
	kr.public_key.data = e->fx->seq->pk;
	kr.public_key.len = LSN_PK_BYTES;
	kr.has_valid_from_ms = 1;
	kr.valid_from_ms = lsn_now_ms() - 1000;
	ak.partner_id = lsn_proc_mut("p02");
	ak.key = &kr;
	op.has_expected_version = 1;
	op.expected_version = v;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_KEY;
	op.add_key = &ak;
	assert_ok(lsn_fixture_op_sign(e->fx, &op, 0, &u, &ul));
	assert_ok(lsn_dirop_sign(u, ul, e->fx->seq, &s, &sl));
	/* before the attack the replica answers directory queries */
	assert_int_equal(dir_query_code(e, VICTIM, "p02", NULL, 0), 0);
	agent_head(e, VICTIM, &rev, h);
	inject_entry(e, rev + 1, h, s, sl);
	t0 = wait_attack(&e->px);
	assert_true(detected(e, VICTIM, "forged-op", "halted",
	    "directory replica halted", t0, "tamper"));
	agent_head(e, VICTIM, &v, NULL);
	assert_int_equal(v, rev);	/* the forged op was not applied */
	halted_dir_refused(e);
	free(u);
	free(s);
}

/* The broker drops one live op; the next one arrives after a gap. */
static void
test_malbroker_dropped_op_breaks_chain(void **state)
{
	struct env	*e = *state;
	uint8_t		*o1 = NULL, *o2 = NULL;
	size_t		 l1 = 0, l2 = 0;
	uint64_t	 r1, r2, t0, rev;

	world_start(e, 2);
	px_set(&e->px, MODE_DROP, e->rev0 + 1);
	assert_ok(lsn_fixture_op_create_group(e->fx, "drop-one", 1, &o1,
	    &l1));
	assert_ok(lsn_fixture_op_create_group(e->fx, "drop-two", 1, &o2,
	    &l2));
	r1 = admin_submit(e, o1, l1);
	r2 = admin_submit(e, o2, l2);
	assert_int_equal(r1, e->rev0 + 1);
	assert_int_equal(r2, e->rev0 + 2);
	wait_head(e, PEER, r2);		/* the honest path is unaffected */
	t0 = wait_attack(&e->px);
	assert_true(detected(e, VICTIM, "dropped-op", "LSN_ECHAIN",
	    "directory replica halted", t0, "tamper"));
	agent_head(e, VICTIM, &rev, NULL);
	assert_int_equal(rev, e->rev0);
	free(o1);
	free(o2);
}

/*
 * Equivocation: the admins' op W is sequenced at rev R+1 for everyone but
 * the victim, who is shown another validly signed op Z at R+1, chained
 * and with a checkpoint the broker signed for it. Each side's log verifies
 * on its own; the heads the partners sign into their messages expose it.
 */
static void
test_malbroker_forked_log_detected_by_both_sides(void **state)
{
	struct env	*e = *state;
	uint8_t		*w = NULL, *z = NULL, ha[32], hb[32];
	size_t		 wl = 0;
	uint64_t	 ra, rb, t0;

	world_start(e, 2);
	assert_ok(lsn_fixture_op_create_group(e->fx, "fork-z", 1, &z,
	    &e->px.fork_oplen));
	assert_ok(lsn_fixture_op_create_group(e->fx, "fork-w", 1, &w, &wl));
	pthread_mutex_lock(&e->px.mu);
	e->px.fork_op = z;
	e->px.mode = MODE_FORK;
	e->px.rev = e->rev0 + 1;
	pthread_mutex_unlock(&e->px.mu);
	assert_int_equal(admin_submit(e, w, wl), e->rev0 + 1);
	wait_head(e, VICTIM, e->rev0 + 1);
	wait_head(e, PEER, e->rev0 + 1);
	agent_head(e, VICTIM, &ra, ha);
	agent_head(e, PEER, &rb, hb);
	assert_int_equal(ra, rb);
	assert_memory_not_equal(ha, hb, 32);	/* the fork is in place */
	assert_int_equal(nalerts(e, VICTIM), 0);	/* and locally valid */
	assert_int_equal(nalerts(e, PEER), 0);
	t0 = lsn_mono_ms();
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_GREEN,
	    "Synthetic coordination note after the fork", NULL);
	send_note(e, VICTIM, "p02", NULL, LIAISON__V1__TLP__TLP_GREEN,
	    "Synthetic reply after the fork", NULL);
	assert_true(detected(e, PEER, "forked-log", "directory fork",
	    "directory fork", t0, "first message"));
	assert_true(detected(e, VICTIM, "forked-log", "directory fork",
	    "directory fork", t0, "first message"));
	free(w);
}

/* The broker appends an old genuine op again: a suspension of p03. */
static void
test_malbroker_replayed_op_refused(void **state)
{
	struct env	*e = *state;
	uint8_t		*sus = NULL, *rei = NULL, h[32];
	size_t		 sl = 0, rl = 0;
	uint64_t	 v, rev, t0;

	assert_ok(lsn_fixture_partner_version(e->fx, "p03", &v));
	assert_ok(lsn_fixture_op_set_status(e->fx, "p03",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, v, 2, &sus, &sl));
	assert_ok(lsn_fixture_apply(e->fx, sus, sl));
	assert_ok(lsn_fixture_op_set_status(e->fx, "p03",
	    LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE, v + 1, 2, &rei, &rl));
	assert_ok(lsn_fixture_apply(e->fx, rei, rl));
	world_start(e, 1);
	agent_head(e, VICTIM, &rev, h);
	inject_entry(e, rev + 1, h, sus, sl);
	t0 = wait_attack(&e->px);
	assert_true(detected(e, VICTIM, "replayed-op", "LSN_EOPREPLAY",
	    "directory replica halted", t0, "tamper"));
	agent_head(e, VICTIM, &v, NULL);
	assert_int_equal(v, rev);
	free(sus);
	free(rei);
}

/*
 * The broker withholds new ops from the victim and keeps serving it
 * freshly signed checkpoints of the old head (it holds the sequencer
 * key). A message from a partner that has the new op carries its head.
 */
static void
test_malbroker_stale_head_detected(void **state)
{
	struct env	*e = *state;
	uint8_t		*w = NULL;
	size_t		 wl = 0;
	uint64_t	 rev, t0, ta;

	world_start(e, 2);
	px_set(&e->px, MODE_STALE, e->rev0);
	assert_ok(lsn_fixture_op_create_group(e->fx, "withheld", 1, &w, &wl));
	assert_int_equal(admin_submit(e, w, wl), e->rev0 + 1);
	wait_head(e, PEER, e->rev0 + 1);
	ta = wait_attack(&e->px);
	assert_int_equal(nalerts(e, VICTIM), 0);
	t0 = lsn_mono_ms();
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_GREEN,
	    "Synthetic note signed at the new head", NULL);
	assert_true(detected(e, VICTIM, "stale-head", "directory withheld",
	    "directory withheld", t0, "first message"));
	agent_head(e, VICTIM, &rev, NULL);
	assert_int_equal(rev, e->rev0);
	printf("malbroker: stale-head withheld for %llu ms before the first "
	    "message from an up-to-date partner\n",
	    (unsigned long long) (t0 - ta));
	free(w);
}

/*
 * Recipients: p02 writes to p03 only. The broker delivers (a) the intact
 * envelope to p01 and (b) a copy whose recipient list it rewrote to p01.
 * A group message that names p01 through a group still arrives.
 */
static void
test_malbroker_altered_recipients_refused(void **state)
{
	struct env			*e = *state;
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Envelope		*env;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Deliver		 d = LIAISON__V1__DELIVER__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	char				*to[1], **oto;
	uint8_t				*nb;
	size_t				 nl, ono;
	uint64_t			 t0, inbox, q;
	int				 a0, a1;

	world_start(e, 2);
	px_set(&e->px, MODE_RCPT, 0);
	send_note(e, PEER, "p03", NULL, LIAISON__V1__TLP__TLP_GREEN,
	    "Synthetic note for p03 only", NULL);
	for (int k = 0; k < WAIT_MS / 10; k++) {
		pthread_mutex_lock(&e->px.mu);
		nl = e->px.cap_envlen;
		pthread_mutex_unlock(&e->px.mu);
		if (nl > 0)
			break;
		lsn_proc_sleep_ms(10);
	}
	assert_true(nl > 0);
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL,
	    e->px.cap_envlen, e->px.cap_env));
	/* (a) intact, to a partner it does not name */
	d.has_seq = 1;
	d.seq = FAKE_SEQ + 1;
	d.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER;
	f.deliver = &d;
	px_inject(&e->px, VICTIM, &f);
	/* (b) the recipient list rewritten to name p01 */
	assert_non_null(env = liaison__v1__envelope__unpack(NULL,
	    se->envelope.len, se->envelope.data));
	oto = env->to;
	ono = env->n_to;
	to[0] = lsn_proc_mut("p01");
	env->to = to;
	env->n_to = 1;
	nl = liaison__v1__envelope__get_packed_size(env);
	assert_non_null(nb = malloc(nl));
	liaison__v1__envelope__pack(env, nb);
	env->to = oto;
	env->n_to = ono;
	liaison__v1__envelope__free_unpacked(env, NULL);
	{
		ProtobufCBinaryData old = se->envelope;

		se->envelope.data = nb;
		se->envelope.len = nl;
		d.seq = FAKE_SEQ + 2;
		px_inject(&e->px, VICTIM, &f);
		se->envelope = old;
	}
	free(nb);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	t0 = wait_attack(&e->px);
	assert_true(detected(e, VICTIM, "recipients", "LSN_EUNKNOWNRCPT",
	    "LSN_EUNKNOWNRCPT", t0, "tamper"));
	assert_true(detected(e, VICTIM, "recipients", "LSN_EBADSIG",
	    "LSN_EBADSIG", t0, "tamper"));
	for (int k = 0; k < WAIT_MS / 10; k++) {
		pthread_mutex_lock(&e->px.mu);
		a0 = e->px.acks[1];
		a1 = e->px.acks[2];
		pthread_mutex_unlock(&e->px.mu);
		if (a0 != 0 && a1 != 0)
			break;
		lsn_proc_sleep_ms(10);
	}
	assert_int_equal(a0, LSN_EUNKNOWNRCPT);	/* refused in the ack */
	assert_int_equal(a1, LSN_EBADSIG);
	assert_ok(agent_it_counts(e->fx, VICTIM, &inbox, &q));
	assert_int_equal(inbox, 0);
	assert_int_equal(q, 2);
	/* a message that names p01 through a group is delivered */
	send_note(e, PEER, NULL, "law-enforcement",
	    LIAISON__V1__TLP__TLP_GREEN, "Synthetic note to a group", NULL);
	assert_ok(agent_it_wait_inbox(e->fx, VICTIM, 1, WAIT_MS));
	assert_ok(agent_it_inbox(e->fx, VICTIM, 0, &r));
	assert_int_equal(r->inbox_list->n_items, 1);
	lsn_client_response_free(&r);
}

/*
 * The broker replays a message p01 already has, under a new delivery
 * sequence number: acknowledged (a redelivery after a reconnect looks the
 * same) but stored once, so the integrator never sees it twice.
 */
static void
test_malbroker_replayed_message_stored_once(void **state)
{
	struct env			*e = *state;
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Deliver		 d = LIAISON__V1__DELIVER__INIT;
	uint64_t			 inbox, q, t0;
	int				 ack = 1;
	char				 how[200];

	world_start(e, 2);
	px_set(&e->px, MODE_RCPT, 0);
	pthread_mutex_lock(&e->px.mu);
	e->px.acks[3] = 1;
	pthread_mutex_unlock(&e->px.mu);
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_GREEN,
	    "Synthetic note delivered once", NULL);
	assert_ok(agent_it_wait_inbox(e->fx, VICTIM, 1, WAIT_MS));
	pthread_mutex_lock(&e->px.mu);
	assert_non_null(e->px.cap_env);
	se = liaison__v1__signed_envelope__unpack(NULL, e->px.cap_envlen,
	    e->px.cap_env);
	pthread_mutex_unlock(&e->px.mu);
	assert_non_null(se);
	d.has_seq = 1;
	d.seq = FAKE_SEQ + 3;
	d.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER;
	f.deliver = &d;
	px_inject(&e->px, VICTIM, &f);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	t0 = wait_attack(&e->px);
	for (int k = 0; k < WAIT_MS / 10 && ack == 1; k++) {
		pthread_mutex_lock(&e->px.mu);
		ack = e->px.acks[3];
		pthread_mutex_unlock(&e->px.mu);
		if (ack == 1)
			lsn_proc_sleep_ms(10);
	}
	assert_int_equal(ack, LSN_OK);
	assert_ok(agent_it_counts(e->fx, VICTIM, &inbox, &q));
	assert_int_equal(inbox, 1);
	assert_int_equal(q, 0);
	snprintf(how, sizeof(how), "prevented: acknowledged as a duplicate, "
	    "inbox still %llu item, nothing quarantined",
	    (unsigned long long) inbox);
	record("replayed-msg", 1, how, (long) (lsn_mono_ms() - t0),
	    "tamper");
}

/*
 * Not an attack: p01 leaves a group while a message to the group waits
 * for it at the broker. The broker expanded the group when the message
 * came in, so it is still p01's, and no alert is raised.
 */
static void
test_malbroker_left_group_message_still_accepted(void **state)
{
	struct env		*e = *state;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__RemoveMember rm = LIAISON__V1__REMOVE_MEMBER__INIT;
	Liaison__V1__Group	*g = NULL;
	uint8_t			*o = NULL, id[16];
	size_t			 ol = 0;
	uint64_t		 inbox, q;
	int			 st = 0, code = 0;

	world_start(e, 2);
	pthread_mutex_lock(&e->px.mu);
	assert_ok(lsn_dir_group_get(e->px.sdir, "law-enforcement", &g));
	pthread_mutex_unlock(&e->px.mu);
	assert_int_equal(lsn_proc_stop(e->agents[VICTIM]), 0);
	send_note(e, PEER, NULL, "law-enforcement",
	    LIAISON__V1__TLP__TLP_GREEN, "Synthetic note to the group", id);
	assert_ok(agent_it_wait_outbox(e->fx, PEER, id, WAIT_MS, &st, &code));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	rm.group = lsn_proc_mut("law-enforcement");
	rm.partner_id = lsn_proc_mut("p01");
	op.has_expected_version = 1;
	op.expected_version = g->version;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER;
	op.remove_member = &rm;
	assert_ok(lsn_fixture_op_sign(e->fx, &op, 1, &o, &ol));
	assert_int_equal(admin_submit(e, o, ol), e->rev0 + 1);
	e->agents[VICTIM] = agent_it_start(e->fx, VICTIM, e->px.ep, NULL);
	assert_true(e->agents[VICTIM] > 0);
	assert_ok(agent_it_wait_connected(e->fx, VICTIM, e->rev0 + 1,
	    WAIT_MS));
	assert_ok(agent_it_wait_inbox(e->fx, VICTIM, 1, WAIT_MS));
	assert_ok(agent_it_counts(e->fx, VICTIM, &inbox, &q));
	assert_int_equal(q, 0);
	assert_int_equal(nalerts(e, VICTIM), 0);
	lsn_dir_group_free(&g);
	free(o);
}

/* Bytes of `s` found in the broker's readable memory (0 when none). */
static int
broker_mem_has(pid_t pid, const char *s, size_t *scanned)
{
	char	 path[64], line[512];
	FILE	*maps;
	int	 fd, found = 0;
	size_t	 sl = strlen(s);

	*scanned = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
	if ((maps = fopen(path, "r")) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int) pid);
	if ((fd = open(path, O_RDONLY)) < 0) {
		fclose(maps);
		return (-1);
	}
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		unsigned long	 lo, hi;
		char		 perm[8];
		uint8_t		*buf;
		ssize_t		 n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 ||
		    perm[0] != 'r' || perm[1] != 'w' || hi - lo > (64UL << 20))
			continue;
		if ((buf = malloc(hi - lo)) == NULL)
			continue;
		n = pread(fd, buf, hi - lo, (off_t) lo);
		if (n > 0) {
			*scanned += (size_t) n;
			if ((size_t) n >= sl && mem_has(buf, (size_t) n, s))
				found = 1;
		}
		free(buf);
	}
	close(fd);
	fclose(maps);
	return (found);
}

/*
 * Sealed bodies: everything the broker process receives or sends for
 * the agents passes through the proxy; the AMBER text never does, never
 * reaches its database or log, and is not in its memory. The broker's
 * keys do not open it, and a body it re-seals to the recipient's public
 * key fails the sender's signature at the recipient.
 */
static void
test_malbroker_sealed_body_unreadable_and_reseal_refused(void **state)
{
	struct env			*e = *state;
	static const char		 secret[] =
	    "Synthetic-Amber-Text-3e91c0d7";
	static const char		 green[] = "Synthetic-Green-Text-52aa";
	char				 wal[LSN_FX_PATH_MAX + 8], how[200];
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__Note		*n;
	uint64_t			 t0, inbox, q;
	size_t				 scanned = 0;
	int				 ack = 1, readable = 0, inmem;

	world_start(e, 2);
	pthread_mutex_lock(&e->px.mu);
	e->px.mode = MODE_SEAL;
	e->px.capture = 1;
	pthread_mutex_unlock(&e->px.mu);
	/* the first sealed delivery is re-sealed by the broker */
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_AMBER, secret,
	    NULL);
	t0 = wait_attack(&e->px);
	assert_true(detected(e, VICTIM, "sealed-body", "LSN_EBADSIG",
	    "LSN_EBADSIG", t0, "tamper"));
	for (int k = 0; k < WAIT_MS / 10 && ack == 1; k++) {
		pthread_mutex_lock(&e->px.mu);
		ack = e->px.seal_ack;
		pthread_mutex_unlock(&e->px.mu);
		lsn_proc_sleep_ms(10);
	}
	assert_int_equal(ack, LSN_EBADSIG);
	/* the second one passes: the recipient reads the text */
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_AMBER, secret,
	    NULL);
	send_note(e, PEER, "p01", NULL, LIAISON__V1__TLP__TLP_GREEN, green,
	    NULL);
	assert_ok(agent_it_wait_inbox(e->fx, VICTIM, 2, WAIT_MS));
	assert_ok(agent_it_inbox(e->fx, VICTIM, 0, &r));
	for (size_t i = 0; i < r->inbox_list->n_items; i++) {
		Liaison__V1__InboxItem *it = r->inbox_list->items[i];

		n = liaison__v1__note__unpack(NULL, it->body.len,
		    it->body.data);
		if (n != NULL && strcmp(n->text, secret) == 0 &&
		    it->tlp == LIAISON__V1__TLP__TLP_AMBER)
			readable = 1;
		if (n != NULL)
			liaison__v1__note__free_unpacked(n, NULL);
	}
	lsn_client_response_free(&r);
	assert_true(readable);
	assert_ok(agent_it_counts(e->fx, VICTIM, &inbox, &q));
	assert_int_equal(q, 1);
	/* what the broker had: never the AMBER text, the GREEN one yes */
	pthread_mutex_lock(&e->px.mu);
	assert_int_equal(e->px.unseal_tries, 1);
	assert_int_equal(e->px.unseal_ok, 0);
	assert_true(mem_has(e->px.seen, e->px.seenlen, green));
	assert_false(mem_has(e->px.seen, e->px.seenlen, secret));
	pthread_mutex_unlock(&e->px.mu);
	snprintf(wal, sizeof(wal), "%s-wal", e->fx->broker_db);
	assert_true(file_has(e->fx->broker_db, green) ||
	    file_has(wal, green));
	assert_false(file_has(e->fx->broker_db, secret));
	assert_false(file_has(wal, secret));
	assert_false(file_has(e->fx->broker_log, secret));
	inmem = broker_mem_has(e->broker, secret, &scanned);
	assert_true(inmem != 1);
	snprintf(how, sizeof(how), "impossible: broker keys open nothing "
	    "(%d/%d); text absent from %zu frame bytes, db, wal, log, "
	    "%s", e->px.unseal_ok, e->px.unseal_tries, e->px.seenlen,
	    inmem < 0 ? "memory not readable" : "its memory");
	record("read-sealed", 1, how, 0, "n/a");
	if (inmem == 0)
		printf("malbroker: broker memory scanned: %zu MiB\n",
		    scanned >> 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_malbroker_forged_op_refused_replica_halts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_dropped_op_breaks_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_forked_log_detected_by_both_sides,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_replayed_op_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_stale_head_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_altered_recipients_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_sealed_body_unreadable_and_reseal_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_replayed_message_stored_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malbroker_left_group_message_still_accepted,
		    setup, teardown),
	};
	int	rv;

	if (lsn_init() != LSN_OK)
		return (1);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	printf("\nmalicious-broker suite: %zu findings\n", nresults);
	printf("%-12s %-8s %9s  %-14s %s\n", "attack", "detected", "ms",
	    "from", "how");
	for (size_t i = 0; i < nresults; i++)
		printf("%-12s %-8s %9ld  %-14s %s\n", results[i].attack,
		    results[i].detected ? "yes" : "no", results[i].ms,
		    results[i].from, results[i].how);
	return (rv);
}
