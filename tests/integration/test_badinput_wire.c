/*
 * test_badinput_wire.c -- the bad-input matrix against the real
 * liaison-broker over CURVE (issue 8 item 4): every ingress rule and the
 * frame, envelope and directory-op decoders, fed forged, replayed,
 * revoked-key, suspended, spoofed, oversized, truncated, random, wrongly
 * framed, unknown-oneof, huge-length-prefix, invalid-UTF-8, out-of-range
 * enum and out-of-range time inputs. Every bad input must be answered with
 * the error code of its rule (compared exactly, not just "failed"); after
 * each batch a good message is still accepted; the broker's RSS is read
 * from /proc before and after and must stay bounded. Prints per category
 * how many bad inputs were tried and how many were rejected with the
 * right code.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_tally.h"
#include "lsn_test.h"

#define T_MS		10000	/* generous wait for an answer */
#define MAXMSG		65536	/* the broker's max_msg_bytes here */
#define BATCH		128	/* frames in flight before reading answers */

/* Answer kinds we wait for (ANS_NONE: no answer expected). */
enum { ANS_NONE, ANS_ACK, ANS_ERROR, ANS_DIRACK };

enum cat {
	C_FORGED, C_REPLAY, C_REVOKED, C_SUSPENDED, C_SPOOFED, C_OVERSIZED,
	C_TRUNC_OUTER, C_TRUNC_INNER, C_RANDOM_ENV, C_RANDOM_FRAME,
	C_FRAMECOUNT, C_ONEOF, C_HUGELEN, C_UTF8, C_ENUM, C_TIME, C_DIROP,
	C_FILES, C_N
};

static const char *const catname[C_N] = {
	"forged signature", "replayed", "revoked/unknown/expired key",
	"suspended/revoked partner", "spoofed sender", "oversized",
	"truncated outer (every offset)", "truncated inner (every offset)",
	"random envelope bytes", "random frame bytes", "wrong frame count",
	"unknown oneof / bad frame fields", "huge length prefixes",
	"invalid UTF-8 text", "out-of-range enums", "out-of-range times",
	"directory ops", "broker config / key files",
};

static struct lsn_tally	tally[C_N];
static long	good_after;	/* good messages accepted after a batch */
static long	mismatches;

struct bt {
	struct lsn_fixture	*fx;
	int			 pid;
	char			 ep[256];
	void			*ctx;
	void			*a;	/* p01's connection */
	void			*c;	/* p03's connection (dir submits) */
	void			*s4, *s5, *s6;	/* p04..p06, made early */
	void			*tmp;	/* a short-lived socket */
	long			 rss0;
};

static struct bt	*G;

/* ---- helpers ---- */

/* A count from the broker's database (lsn_test_db_count). */
static long long
db_count(const char *sql)
{
	return (lsn_test_db_count(G->fx->broker_db, sql));
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return (n);
}

/* tag (field, LEN) + length + bytes appended to out at *off. */
static void
put_len_field(uint8_t *out, size_t *off, uint32_t field, const uint8_t *b,
    size_t len)
{
	*off += put_varint(out + *off, (uint64_t) field << 3 | 2);
	*off += put_varint(out + *off, len);
	if (len > 0)
		memcpy(out + *off, b, len);
	*off += len;
}

/* Frame{publish = Publish{envelope = exactly env}} (malloc'd). */
static uint8_t *
publish_frame(const uint8_t *env, size_t len, size_t *outlen)
{
	uint8_t	*in, *out;
	size_t	 n = 0, m = 0;

	assert_non_null(in = malloc(len + 16));
	put_len_field(in, &n, 1, env, len);
	assert_non_null(out = malloc(n + 16));
	put_len_field(out, &m, 3, in, n);
	free(in);
	*outlen = m;
	return (out);
}

/* Field boundaries of a top-level protobuf message: ends[i] is the offset
 * just after field i. Returns the count. */
static size_t
pb_ends(const uint8_t *b, size_t len, size_t *ends, size_t max)
{
	size_t	off = 0, n = 0;

	while (off < len && n < max) {
		uint64_t	tag = 0, v = 0;
		int		sh = 0;

		do {
			tag |= (uint64_t) (b[off] & 0x7f) << sh;
			sh += 7;
		} while (b[off++] & 0x80);
		switch (tag & 7) {
		case 0:
			while (b[off++] & 0x80)
				;
			break;
		case 1:
			off += 8;
			break;
		case 5:
			off += 4;
			break;
		case 2:
			sh = 0;
			do {
				v |= (uint64_t) (b[off] & 0x7f) << sh;
				sh += 7;
			} while (b[off++] & 0x80);
			off += (size_t) v;
			break;
		default:
			fail_msg("unexpected wire type");
		}
		ends[n++] = off;
	}
	return (n);
}

/* ---- the in-flight batch: send many, then read the answers in order ---- */

struct item {
	uint8_t	*frame;		/* owned; NULL = multi-part (parts below) */
	size_t	 len;
	int	 nparts;	/* > 1: send frame nparts times with SNDMORE */
	int	 kind;		/* ANS_* */
	int	 want;		/* lsn_err */
	int	 cat;
	char	 what[48];
};

static struct item	items[BATCH];
static size_t		nitems;
static void		*bsock;

static int
answer_code(const Liaison__V1__Frame *f, int *kind)
{
	switch (f->kind_case) {
	case LIAISON__V1__FRAME__KIND_PUBLISH_ACK:
		*kind = ANS_ACK;
		return (lsn_err_from_wire((int) f->publish_ack->code));
	case LIAISON__V1__FRAME__KIND_ERROR:
		*kind = ANS_ERROR;
		return (lsn_err_from_wire((int) f->error->code));
	case LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK:
		*kind = ANS_DIRACK;
		return (lsn_err_from_wire((int) f->dir_submit_ack->code));
	default:
		*kind = ANS_NONE;
		return (0);
	}
}

static void
flush_items(void)
{
	for (size_t i = 0; i < nitems; i++) {
		struct item		*it = &items[i];
		Liaison__V1__Frame	*f = NULL;
		int			 kind = ANS_NONE, code;

		if (it->kind == ANS_NONE)
			goto next;
		do {
			if (f != NULL)
				liaison__v1__frame__free_unpacked(f, NULL);
			f = NULL;
			if (lsn_fixture_recv(bsock, T_MS, &f) != LSN_OK)
				fail_msg("no answer to bad input '%s' (%s)",
				    it->what, catname[it->cat]);
			code = answer_code(f, &kind);
		} while (kind == ANS_NONE);
		liaison__v1__frame__free_unpacked(f, NULL);
		tally[it->cat].tried++;
		if (kind == it->kind && code == it->want && code != LSN_OK)
			tally[it->cat].right++;
		else {
			if (mismatches++ < 20)
				fprintf(stderr, "MISMATCH %s / %s: answer kind "
				    "%d code %s, want kind %d code %s\n",
				    catname[it->cat], it->what, kind,
				    lsn_errname(code), it->kind,
				    lsn_errname(it->want));
		}
 next:
		free(it->frame);
		it->frame = NULL;
	}
	nitems = 0;
}

/* Queues one bad frame (raw bytes, owned) and sends it now. */
static void
send_bad(void *s, uint8_t *frame, size_t len, int nparts, int kind, int want,
    int cat, const char *what)
{
	struct item	*it;

	if (s != bsock || nitems == BATCH) {
		flush_items();
		bsock = s;
	}
	it = &items[nitems++];
	it->frame = frame;
	it->len = len;
	it->nparts = nparts < 1 ? 1 : nparts;
	it->kind = kind;
	it->want = want;
	it->cat = cat;
	lsn_strlcpy(it->what, what, sizeof(it->what));
	for (int p = 0; p < it->nparts; p++)
		assert_int_equal(zmq_send(s, frame, len,
		    p + 1 < it->nparts ? ZMQ_SNDMORE : 0), (int) len);
	if (kind == ANS_NONE)
		tally[cat].tried++, tally[cat].right++;
}

/* A bad envelope published (takes env, malloc'd). */
static void
bad_env(void *s, uint8_t *env, size_t len, int want, int cat,
    const char *what)
{
	size_t	 flen;
	uint8_t	*f = publish_frame(env, len, &flen);

	free(env);
	send_bad(s, f, flen, 1, ANS_ACK, want, cat, what);
}

/* Publishes a fresh good note from partner `from` over s: must be OK. */
static void
good(void *s, size_t from)
{
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	uint8_t			*env = NULL;
	size_t			 len = 0;
	int			 code = 999;

	flush_items();
	assert_ok(lsn_fixture_envelope(G->fx, from, &m, NULL, &env, &len));
	assert_ok(lsn_fixture_publish(s, env, len, T_MS, &code));
	free(env);
	assert_int_equal(code, LSN_OK);
	good_after++;
	assert_true(lsn_proc_alive(G->pid));
}

/* ---- envelopes built field by field ---- */

struct eb {
	Liaison__V1__Envelope	 e;
	Liaison__V1__Handling	 h;
	Liaison__V1__Note	 note;
	uint8_t			 id[16];
	uint8_t			 body[256];
	char			*to[2];
	const char		*hint_signer;	/* NULL = e.sender */
	const char		*hint_kid;	/* NULL = e.sender_key_id */
};

static char *
uc(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

/* A valid GREEN note from partners[from] to p02 (pointers into eb). */
static void
eb_init(struct eb *b, size_t from)
{
	const struct lsn_fixture_partner *p = &G->fx->partners[from];

	memset(b, 0, sizeof(*b));
	liaison__v1__note__init(&b->note);
	b->note.text = uc("bad-input matrix");
	liaison__v1__handling__init(&b->h);
	b->h.has_tlp = 1;
	b->h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	liaison__v1__envelope__init(&b->e);
	lsn_random(b->id, sizeof(b->id));
	b->e.has_version = 1;
	b->e.version = LSN_ENVELOPE_VERSION;
	b->e.has_message_id = 1;
	b->e.message_id.data = b->id;
	b->e.message_id.len = sizeof(b->id);
	b->e.sender = uc(p->id);
	b->e.sender_key_id = uc(p->sign->key_id);
	b->to[0] = uc("p02");
	b->e.n_to = 1;
	b->e.to = b->to;
	b->e.has_created_ms = 1;
	b->e.created_ms = lsn_now_ms();
	b->e.has_type = 1;
	b->e.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	b->e.handling = &b->h;
	b->e.has_priority = 1;
	b->e.priority = LIAISON__V1__PRIORITY__PRIORITY_P4;
	b->e.has_body = 1;
	b->e.body.data = b->body;
	b->e.body.len = liaison__v1__note__pack(&b->note, b->body);
}

/* SignedEnvelope{env bytes, sig, hints} packed without any check. */
static uint8_t *
wrap_raw(const uint8_t *env, size_t envlen, const uint8_t *sig,
    size_t siglen, const char *signer, const char *kid, size_t *outlen)
{
	Liaison__V1__SignedEnvelope	se;
	uint8_t				*out;

	liaison__v1__signed_envelope__init(&se);
	se.has_envelope = 1;
	se.envelope.data = (uint8_t *) (uintptr_t) env;
	se.envelope.len = envlen;
	if (sig != NULL) {
		se.has_signature = 1;
		se.signature.data = (uint8_t *) (uintptr_t) sig;
		se.signature.len = siglen;
	}
	se.signer = uc(signer);
	se.key_id = uc(kid);
	*outlen = liaison__v1__signed_envelope__get_packed_size(&se);
	assert_non_null(out = malloc(*outlen + 1));
	liaison__v1__signed_envelope__pack(&se, out);
	return (out);
}

/* Signs exactly env (any bytes) with kp and wraps it with the hints. */
static uint8_t *
sign_bytes(const uint8_t *env, size_t envlen, const struct lsn_keypair *kp,
    const char *signer, const char *kid, size_t *outlen)
{
	uint8_t	sig[LSN_SIG_BYTES];

	assert_ok(lsn_sig_sign(LSN_SIG_ENVELOPE, kp, env, envlen, sig));
	return (wrap_raw(env, envlen, sig, sizeof(sig), signer,
	    kid != NULL ? kid : kp->key_id, outlen));
}

/* Packs b->e as it is (no validation) and signs it with kp. */
static uint8_t *
eb_sign(struct eb *b, const struct lsn_keypair *kp, size_t *outlen)
{
	size_t	 n = liaison__v1__envelope__get_packed_size(&b->e);
	uint8_t	*raw, *out;

	assert_non_null(raw = malloc(n + 1));
	liaison__v1__envelope__pack(&b->e, raw);
	out = sign_bytes(raw, n, kp, b->hint_signer != NULL ? b->hint_signer :
	    b->e.sender, b->hint_kid != NULL ? b->hint_kid :
	    b->e.sender_key_id, outlen);
	free(raw);
	return (out);
}

/* A good envelope from partners[from] as bytes (malloc'd). */
static uint8_t *
good_env(size_t from, size_t *len)
{
	struct eb	b;

	eb_init(&b, from);
	return (eb_sign(&b, G->fx->partners[from].sign, len));
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 6 };
	struct bt		*t = calloc(1, sizeof(*t));

	if (t == NULL || lsn_init() != LSN_OK)
		return (-1);
	if (lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_write_broker_conf(t->fx, NULL,
	    "max_msg_bytes = 65536\nskew_ms = 60s\nheartbeat_ms = 5s\n") !=
	    LSN_OK)
		return (-1);
	if (lsn_fixture_start_broker(t->fx, getenv("LSN_TEST_VERBOSE") !=
	    NULL, &t->pid, t->ep,
	    sizeof(t->ep)) != LSN_OK)
		return (-1);
	t->ctx = zmq_ctx_new();
	if (lsn_fixture_dealer(t->fx, t->ctx, 0, NULL, t->ep, &t->a) !=
	    LSN_OK ||
	    lsn_fixture_dealer(t->fx, t->ctx, 2, NULL, t->ep, &t->c) != LSN_OK ||
	    lsn_fixture_dealer(t->fx, t->ctx, 3, NULL, t->ep, &t->s4) !=
	    LSN_OK ||
	    lsn_fixture_dealer(t->fx, t->ctx, 4, NULL, t->ep, &t->s5) !=
	    LSN_OK ||
	    lsn_fixture_dealer(t->fx, t->ctx, 5, NULL, t->ep, &t->s6) !=
	    LSN_OK)
		return (-1);
	G = t;
	*state = t;
	return (0);
}

static int
group_teardown(void **state)
{
	struct bt	*t = *state;
	long		 rss1;
	int		 rv = 0;

	if (t == NULL)
		return (0);
	rss1 = t->pid > 0 ? lsn_proc_rss_kb(t->pid) : -1;
	lsn_tally_print("broker wire", "rejected", catname, tally, C_N);
	printf("  good messages accepted after bad batches: %ld\n",
	    good_after);
	printf("  broker RSS: %ld kB before, %ld kB after\n", t->rss0, rss1);
	zmq_close(t->a);
	zmq_close(t->c);
	zmq_close(t->s4);
	zmq_close(t->s5);
	zmq_close(t->s6);
	if (t->tmp != NULL)
		zmq_close(t->tmp);
	zmq_ctx_term(t->ctx);
	if (t->pid > 0 && lsn_proc_alive(t->pid) &&
	    lsn_proc_stop(t->pid) != 0) {
		lsn_proc_dump_log(t->fx->broker_log, 8000);
		rv = -1;
	}
	lsn_proc_kill_all();
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (rv);
}

/* ---- tests ---- */

static void
test_badinput_wire_warmup_and_rss(void **state)
{
	struct bt	*t = *state;

	/* A few good ones first, so the RSS baseline includes the caches. */
	for (int i = 0; i < 20; i++)
		good(t->a, 0);
	/* p04..p06 connect now: later they are refused per frame */
	good(t->s4, 3);
	good(t->s5, 4);
	good(t->s6, 5);
	t->rss0 = lsn_proc_rss_kb(t->pid);
	assert_true(t->rss0 > 0);
}

static void
test_badinput_wire_forged_signatures(void **state)
{
	struct bt			*t = *state;
	Liaison__V1__SignedEnvelope	*se;
	uint8_t				*env, *b, sig[LSN_SIG_BYTES];
	size_t				 len, n;
	char				 what[96];

	env = good_env(0, &len);
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL, len,
	    env));
	/* every bit of the signature */
	for (size_t bit = 0; bit < 8 * LSN_SIG_BYTES; bit++) {
		se->signature.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		b = wrap_raw(se->envelope.data, se->envelope.len,
		    se->signature.data, LSN_SIG_BYTES, se->signer, se->key_id,
		    &n);
		se->signature.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		snprintf(what, sizeof(what), "signature bit %zu", bit);
		bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED, what);
	}
	good(t->a, 0);
	/* every bit of the signed bytes, signature unchanged */
	for (size_t bit = 0; bit < 8 * se->envelope.len; bit++) {
		se->envelope.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		b = wrap_raw(se->envelope.data, se->envelope.len,
		    se->signature.data, LSN_SIG_BYTES, se->signer, se->key_id,
		    &n);
		se->envelope.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		snprintf(what, sizeof(what), "signed bytes bit %zu", bit);
		bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED, what);
	}
	good(t->a, 0);
	/* zero signature; signature made by p03's key; signature in the
	 * directory-op role; 63 and 65 byte signatures */
	memset(sig, 0, sizeof(sig));
	b = wrap_raw(se->envelope.data, se->envelope.len, sig,
	    sizeof(sig), se->signer, se->key_id, &n);
	bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED,
	    "zero signature");
	assert_ok(lsn_sig_sign(LSN_SIG_ENVELOPE, t->fx->partners[2].sign,
	    se->envelope.data, se->envelope.len, sig));
	b = wrap_raw(se->envelope.data, se->envelope.len, sig,
	    sizeof(sig), se->signer, se->key_id, &n);
	bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED,
	    "other partner's key");
	assert_ok(lsn_sig_sign(LSN_SIG_DIROP, t->fx->partners[0].sign,
	    se->envelope.data, se->envelope.len, sig));
	b = wrap_raw(se->envelope.data, se->envelope.len, sig,
	    sizeof(sig), se->signer, se->key_id, &n);
	bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED,
	    "dirop-role signature");
	b = wrap_raw(se->envelope.data, se->envelope.len, sig, 63,
	    se->signer, se->key_id, &n);
	bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED,
	    "63-byte signature");
	b = wrap_raw(se->envelope.data, se->envelope.len, NULL, 0,
	    se->signer, se->key_id, &n);
	bad_env(t->a, b, n, LSN_EBADSIG, C_FORGED,
	    "no signature");
	{
		uint8_t	big[LSN_SIG_BYTES + 1] = { 0 };

		b = wrap_raw(se->envelope.data, se->envelope.len,
		    big, sizeof(big), se->signer, se->key_id, &n);
		bad_env(t->a, b, n,
		    LSN_EBADSIG, C_FORGED, "65-byte signature");
	}
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	free(env);
	good(t->a, 0);
}

static void
test_badinput_wire_replays(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } }, mm;
	uint8_t			*env = NULL, id[16];
	size_t			 len = 0;
	uint64_t		 now = lsn_now_ms();
	long long		 before;
	int			 code;

	/* an accepted message replayed 50 times: acknowledged as the same
	 * message, stored and queued once */
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, id, &env, &len));
	assert_ok(lsn_fixture_publish(t->a, env, len, T_MS, &code));
	assert_int_equal(code, LSN_OK);
	flush_items();
	before = db_count("SELECT COUNT(*) FROM queue");
	for (int i = 0; i < 50; i++) {
		assert_ok(lsn_fixture_publish(t->a, env, len, T_MS, &code));
		assert_int_equal(code, LSN_OK);
	}
	assert_int_equal(db_count("SELECT COUNT(*) FROM queue"), before);
	tally[C_REPLAY].tried += 50;
	tally[C_REPLAY].right += 50;	/* neutralised: stored once */
	/* the same bytes replayed by another partner's connection */
	for (int i = 0; i < 10; i++) {
		uint8_t	*copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, env, len);
		bad_env(t->c, copy, len, LSN_ESENDER, C_REPLAY,
		    "replayed by p03");
	}
	flush_items();
	assert_int_equal(db_count("SELECT COUNT(*) FROM queue"), before);
	free(env);
	/* the same message id with other bytes */
	for (int i = 0; i < 20; i++) {
		char	text[32];

		mm = m;
		mm.message_id = id;
		snprintf(text, sizeof(text), "other text %d", i);
		mm.text = text;
		assert_ok(lsn_fixture_envelope(t->fx, 0, &mm, NULL, &env,
		    &len));
		bad_env(t->a, env, len, LSN_EDUPID, C_REPLAY, "same id");
	}
	/* a captured message replayed later (outside the skew window),
	 * or from the future */
	for (int i = 1; i <= 20; i++) {
		mm = m;
		mm.created_ms = now - (uint64_t) i * 5 * 60 * 1000;
		assert_ok(lsn_fixture_envelope(t->fx, 0, &mm, NULL, &env,
		    &len));
		bad_env(t->a, env, len, LSN_ESKEW, C_REPLAY, "old");
		mm.created_ms = now + (uint64_t) i * 5 * 60 * 1000;
		assert_ok(lsn_fixture_envelope(t->fx, 0, &mm, NULL, &env,
		    &len));
		bad_env(t->a, env, len, LSN_ESKEW, C_REPLAY, "future");
		mm.created_ms = now - 30000;
		mm.expires_ms = now - 30000 + (uint64_t) i;
		assert_ok(lsn_fixture_envelope(t->fx, 0, &mm, NULL, &env,
		    &len));
		bad_env(t->a, env, len, LSN_EEXPIRED, C_REPLAY, "expired");
	}
	good(t->a, 0);
}

static void
test_badinput_wire_spoofed_senders(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture	*fx = t->fx;
	struct lsn_keypair	*kp = NULL;
	struct eb		 b;
	uint8_t			*env;
	size_t			 len;
	void			*s;

	for (int i = 0; i < 10; i++) {
		/* p03's message over p01's connection */
		env = good_env(2, &len);
		bad_env(t->a, env, len, LSN_ESENDER, C_SPOOFED, "p03 via p01");
		/* hints p01 but the signed sender is p03 (p01's key) */
		eb_init(&b, 0);
		b.e.sender = uc("p03");
		b.hint_signer = "p01";
		env = eb_sign(&b, fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EBADSIG, C_SPOOFED,
		    "signed sender p03");
		/* signed by p03, hints claim p01 with p03's key id */
		eb_init(&b, 2);
		b.hint_signer = "p01";
		env = eb_sign(&b, fx->partners[2].sign, &len);
		bad_env(t->a, env, len, LSN_EUNKNOWNKEY, C_SPOOFED,
		    "p01 hint, p03 key");
		/* the hint key id is p01's, signature p03's */
		eb_init(&b, 0);
		b.hint_kid = fx->partners[0].sign->key_id;
		{
			size_t	 n = liaison__v1__envelope__get_packed_size(
				    &b.e);
			uint8_t	*raw = malloc(n + 1);

			assert_non_null(raw);
			liaison__v1__envelope__pack(&b.e, raw);
			env = sign_bytes(raw, n, fx->partners[2].sign, "p01",
			    fx->partners[0].sign->key_id, &len);
			free(raw);
		}
		bad_env(t->a, env, len, LSN_EBADSIG, C_SPOOFED,
		    "p03 signature, p01 key id");
		/* a sender not in the directory at all */
		eb_init(&b, 0);
		b.e.sender = uc("zz-stranger");
		env = eb_sign(&b, fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_ESENDER, C_SPOOFED, "stranger");
	}
	good(t->a, 0);
	/* a CURVE key outside the directory never gets an answer */
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "intruder", &kp));
	assert_ok(lsn_fixture_dealer(fx, t->ctx, 0, kp, t->ep, &s));
	t->tmp = s;
	env = good_env(0, &len);
	assert_ok(lsn_fixture_publish_raw(s, env, len));
	free(env);
	{
		Liaison__V1__Frame	*f = NULL;

		assert_err(lsn_fixture_recv(s, 500, &f), LSN_ETIMEDOUT);
	}
	tally[C_SPOOFED].tried++;
	tally[C_SPOOFED].right++;
	zmq_close(s);
	t->tmp = NULL;
	lsn_keypair_destroy(&kp);
	good(t->a, 0);
}

static void
test_badinput_wire_oversized(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct eb		 b;
	uint8_t			*env, *big;
	size_t			 len, n;
	char			**many;
	void			*s;

	/* over max_msg_bytes, under the socket limit */
	for (size_t pad = MAXMSG - 100; pad < MAXMSG + 3000; pad += 250) {
		m.pad = pad;
		assert_ok(lsn_fixture_envelope(t->fx, 0, &m, NULL, &env,
		    &len));
		bad_env(t->a, env, len, LSN_ETOOBIG, C_OVERSIZED,
		    "over max_msg_bytes");
	}
	/* counts over their limits, inside the size limit */
	assert_non_null(many = calloc(LSN_ENV_TO_MAX + 1, sizeof(*many)));
	for (size_t i = 0; i <= LSN_ENV_TO_MAX; i++) {
		assert_non_null(many[i] = malloc(8));
		snprintf(many[i], 8, "r%04zu", i);
	}
	eb_init(&b, 0);
	b.e.n_to = LSN_ENV_TO_MAX + 1;
	b.e.to = many;
	env = eb_sign(&b, t->fx->partners[0].sign, &len);
	bad_env(t->a, env, len,
	    LSN_ETOOBIG, C_OVERSIZED, "1025 recipients");
	eb_init(&b, 0);
	b.e.n_to_groups = LSN_ENV_GROUPS_MAX + 1;
	b.e.to_groups = many;
	env = eb_sign(&b, t->fx->partners[0].sign, &len);
	bad_env(t->a, env, len,
	    LSN_ETOOBIG, C_OVERSIZED, "65 groups");
	{
		Liaison__V1__HandlingCode codes[5] = { 1, 2, 3, 4, 1 };

		eb_init(&b, 0);
		b.h.n_codes = 5;
		b.h.codes = codes;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len,
		    LSN_ETOOBIG, C_OVERSIZED, "5 handling codes");
	}
	for (size_t i = 0; i <= LSN_ENV_TO_MAX; i++)
		free(many[i]);
	free(many);
	/* text fields one byte over their limits */
	{
		char	cref[LSN_ENV_CASE_REF_MAX + 2];

		memset(cref, 'c', sizeof(cref) - 1);
		cref[sizeof(cref) - 1] = '\0';
		eb_init(&b, 0);
		b.e.case_ref = cref;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len,
		    LSN_EINVAL, C_OVERSIZED, "case_ref 129 bytes");
	}
	good(t->a, 0);
	/* over the socket limit: ZeroMQ drops the connection; the broker
	 * serves the next one */
	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, 0, NULL, t->ep, &s));
	t->tmp = s;
	n = MAXMSG + 64 * 1024;
	assert_non_null(big = calloc(1, n));
	for (int i = 0; i < 5; i++)
		assert_int_equal(zmq_send(s, big, n, 0), (int) n);
	{
		Liaison__V1__Frame	*f = NULL;

		assert_err(lsn_fixture_recv(s, 500, &f), LSN_ETIMEDOUT);
	}
	tally[C_OVERSIZED].tried += 5;
	tally[C_OVERSIZED].right += 5;
	free(big);
	zmq_close(s);
	t->tmp = NULL;
	good(t->a, 0);
}

static void
test_badinput_wire_truncated_every_offset(void **state)
{
	struct bt	*t = *state;
	uint8_t		*env, *b;
	size_t		 len, ends[16], nends, iends[64], niends, n;
	char		 what[96];
	struct eb	 eb;

	/* the outer SignedEnvelope cut at every offset */
	env = good_env(0, &len);
	nends = pb_ends(env, len, ends, 16);
	assert_int_equal(nends, 4);	/* envelope, signature, signer, kid */
	for (size_t off = 0; off < len; off++) {
		int	want = LSN_EPROTO;

		if (off == ends[0])
			want = LSN_EBADSIG;	/* no signature */
		else if (off == ends[1] || off == ends[2])
			want = LSN_EINVAL;	/* no signer / key id hint */
		assert_non_null(b = malloc(off + 1));
		memcpy(b, env, off);
		snprintf(what, sizeof(what), "outer cut at %zu/%zu", off, len);
		bad_env(t->a, b, off, want, C_TRUNC_OUTER, what);
		if (off % 97 == 96)
			good(t->a, 0);
	}
	free(env);
	good(t->a, 0);
	/* the signed Envelope cut at every offset and signed as cut: the
	 * signature verifies, the decoder must still refuse it */
	eb_init(&eb, 0);
	n = liaison__v1__envelope__get_packed_size(&eb.e);
	assert_non_null(env = malloc(n + 1));
	liaison__v1__envelope__pack(&eb.e, env);
	niends = pb_ends(env, n, iends, 64);
	for (size_t off = 0; off < n; off++) {
		int	want = LSN_EPROTO, boundary = 0;

		for (size_t k = 0; k < niends; k++)
			if (iends[k] == off)
				boundary = 1;
		if (off == 0)
			want = LSN_EPROTO;	/* no envelope bytes */
		else if (boundary)
			want = LSN_EINVAL;	/* a required field missing */
		if (off == 0) {
			uint8_t	zsig[LSN_SIG_BYTES] = { 0 };

			b = wrap_raw(env, 0, zsig, sizeof(zsig), "p01",
			    t->fx->partners[0].sign->key_id, &len);
		} else
			b = sign_bytes(env, off, t->fx->partners[0].sign,
			    "p01", NULL, &len);
		snprintf(what, sizeof(what), "inner cut at %zu/%zu", off, n);
		bad_env(t->a, b, len, want, C_TRUNC_INNER, what);
	}
	free(env);
	good(t->a, 0);
}

/* xorshift64*: reproducible random inputs (seed printed). */
static uint64_t	rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545F4914F6CDD1DULL);
}

static void
test_badinput_wire_random_bytes(void **state)
{
	struct bt	*t = *state;
	uint8_t		*b;
	size_t		 n;

	lsn_random(&rng_state, sizeof(rng_state));
	rng_state |= 1;
	printf("random inputs: seed %llu\n", (unsigned long long) rng_state);
	/* random bytes as the envelope of a well-formed Publish: the code
	 * must be the one the envelope decoder gives for them */
	for (int i = 0; i < 600; i++) {
		struct lsn_envelope_outer	*o = NULL;
		int				 want;

		n = i < 500 ? 1 + rng() % 600 : 1 + rng() % (MAXMSG - 64);
		assert_non_null(b = malloc(n));
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t) rng();
		if (i % 3 == 0)
			b[0] = 0x0a;	/* starts like a SignedEnvelope */
		want = lsn_envelope_peek(b, n, MAXMSG, &o, NULL);
		if (want == LSN_OK) {
			/* well-shaped by chance: not a decoder case */
			lsn_envelope_outer_destroy(&o);
			free(b);
			continue;
		}
		bad_env(t->a, b, n, want, C_RANDOM_ENV, "random envelope");
		if (i % 100 == 99)
			good(t->a, 0);
	}
	good(t->a, 0);
	/* random whole frames that do not parse as a Frame */
	for (int i = 0; i < 600; i++) {
		Liaison__V1__Frame	*f;

		n = 1 + rng() % 2000;
		assert_non_null(b = malloc(n));
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t) rng();
		if (b[0] == 0x1a)
			b[0] = 0x1b;	/* not the Publish fast path */
		if ((f = liaison__v1__frame__unpack(NULL, n, b)) != NULL) {
			liaison__v1__frame__free_unpacked(f, NULL);
			free(b);
			continue;
		}
		send_bad(t->a, b, n, 1, ANS_ERROR, LSN_EPROTO, C_RANDOM_FRAME,
		    "random frame");
		if (i % 100 == 99)
			good(t->a, 0);
	}
	good(t->a, 0);
}

static void
test_badinput_wire_frame_count_and_oneof(void **state)
{
	struct bt	*t = *state;
	uint8_t		*env, *f, buf[64];
	size_t		 len, flen, n;
	static const uint32_t unknown[] = { 14, 15, 16, 99, 1000, 65535,
					    536870911 };
	static const int broker_only[] = {
		LIAISON__V1__FRAME__KIND_WELCOME,
		LIAISON__V1__FRAME__KIND_PUBLISH_ACK,
		LIAISON__V1__FRAME__KIND_DELIVER,
		LIAISON__V1__FRAME__KIND_DIR_OPS,
		LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK,
	};

	/* a good Publish sent as 2..6 parts of one message */
	env = good_env(0, &len);
	f = publish_frame(env, len, &flen);
	free(env);
	for (int parts = 2; parts <= 6; parts++)
		for (int i = 0; i < 10; i++) {
			uint8_t	*c = malloc(flen);

			assert_non_null(c);
			memcpy(c, f, flen);
			send_bad(t->a, c, flen, parts, ANS_ERROR, LSN_EPROTO,
			    C_FRAMECOUNT, "multi-part");
		}
	free(f);
	/* an empty message: a Frame with no kind */
	for (int i = 0; i < 10; i++)
		send_bad(t->a, malloc(1), 0, 1, ANS_ERROR, LSN_EPROTO,
		    C_FRAMECOUNT, "empty frame");
	good(t->a, 0);
	/* unknown oneof members, every wire type */
	for (size_t u = 0; u < sizeof(unknown) / sizeof(unknown[0]); u++)
		for (int wt = 0; wt <= 5; wt++) {
			if (wt == 3 || wt == 4)
				continue;	/* groups: malformed anyway */
			n = put_varint(buf, (uint64_t) unknown[u] << 3 |
			    (uint64_t) wt);
			if (wt == 0)
				buf[n++] = 0x01;
			else if (wt == 1) {
				memset(buf + n, 0x11, 8);
				n += 8;
			} else if (wt == 2) {
				buf[n++] = 0x02;
				buf[n++] = 0x08;
				buf[n++] = 0x01;
			} else {
				memset(buf + n, 0x22, 4);
				n += 4;
			}
			assert_non_null(f = malloc(n));
			memcpy(f, buf, n);
			send_bad(t->a, f, n, 1, ANS_ERROR, LSN_EPROTO,
			    C_ONEOF, "unknown frame kind");
		}
	/* kinds only the broker sends */
	for (size_t k = 0; k < sizeof(broker_only) / sizeof(broker_only[0]);
	    k++) {
		n = put_varint(buf, (uint64_t) broker_only[k] << 3 | 2);
		buf[n++] = 0x00;
		assert_non_null(f = malloc(n));
		memcpy(f, buf, n);
		send_bad(t->a, f, n, 1, ANS_ERROR, LSN_EPROTO, C_ONEOF,
		    "broker-only kind");
	}
	/* a Hello without protocol version 1; a DeliverAck without a seq */
	{
		static const int64_t vers[] = { -1, 0, 2, 99, 0xffffffffLL };
		Liaison__V1__Frame	fr;
		Liaison__V1__Hello	h;
		Liaison__V1__DeliverAck	da;

		for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
			liaison__v1__hello__init(&h);
			h.has_protocol_version = vers[i] >= 0;
			h.protocol_version = (uint32_t) (vers[i] >= 0 ?
			    vers[i] : 0);
			liaison__v1__frame__init(&fr);
			fr.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
			fr.hello = &h;
			n = liaison__v1__frame__get_packed_size(&fr);
			assert_non_null(f = malloc(n + 1));
			liaison__v1__frame__pack(&fr, f);
			send_bad(t->a, f, n, 1, ANS_ERROR, LSN_EVERSION,
			    C_ONEOF, "hello version");
		}
		for (int i = 0; i < 2; i++) {
			liaison__v1__deliver_ack__init(&da);
			da.has_seq = i;
			da.seq = 0;
			liaison__v1__frame__init(&fr);
			fr.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
			fr.deliver_ack = &da;
			n = liaison__v1__frame__get_packed_size(&fr);
			assert_non_null(f = malloc(n + 1));
			liaison__v1__frame__pack(&fr, f);
			send_bad(t->a, f, n, 1, ANS_ERROR, LSN_EINVAL,
			    C_ONEOF, "deliver ack without seq");
		}
	}
	/* a Publish that carries more than the envelope */
	env = good_env(0, &len);
	{
		uint8_t	*in = malloc(len + 32), *out = malloc(len + 48);
		size_t	 i = 0, o = 0;

		assert_non_null(in);
		assert_non_null(out);
		put_len_field(in, &i, 1, env, len);
		put_len_field(in, &i, 2, (const uint8_t *) "x", 1);
		put_len_field(out, &o, 3, in, i);
		free(in);
		send_bad(t->a, out, o, 1, ANS_ERROR, LSN_EPROTO, C_ONEOF,
		    "publish with an extra field");
	}
	free(env);
	good(t->a, 0);
}

static void
test_badinput_wire_huge_length_prefixes(void **state)
{
	struct bt	*t = *state;
	static const uint64_t lens[] = { 128, 65536, 1ULL << 31, 1ULL << 32,
					 1ULL << 40, 1ULL << 62,
					 UINT64_MAX };
	uint8_t		*env, *b, buf[64];
	size_t		 len, n;
	struct eb	 eb;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		/* the Frame's publish length */
		n = put_varint(buf, 3 << 3 | 2);
		n += put_varint(buf + n, lens[i]);
		memcpy(buf + n, "\x0a\x01\x00", 3);
		n += 3;
		assert_non_null(b = malloc(n));
		memcpy(b, buf, n);
		send_bad(t->a, b, n, 1, ANS_ERROR, LSN_EPROTO, C_HUGELEN,
		    "frame length");
		/* the SignedEnvelope's envelope length */
		n = put_varint(buf, 1 << 3 | 2);
		n += put_varint(buf + n, lens[i]);
		memcpy(buf + n, "abcdef", 6);
		n += 6;
		assert_non_null(b = malloc(n));
		memcpy(b, buf, n);
		bad_env(t->a, b, n, LSN_EPROTO, C_HUGELEN, "envelope length");
		/* the signature's length, after a good envelope field */
		env = good_env(0, &len);
		assert_non_null(b = malloc(len + 32));
		{
			size_t	ends[8];

			(void) pb_ends(env, len, ends, 8);
			memcpy(b, env, ends[0]);
			n = ends[0];
		}
		n += put_varint(b + n, 2 << 3 | 2);
		n += put_varint(b + n, lens[i]);
		memset(b + n, 0x55, 8);
		n += 8;
		free(env);
		bad_env(t->a, b, n, LSN_EPROTO, C_HUGELEN, "signature length");
		/* inside the signed bytes: the body length, correctly signed */
		eb_init(&eb, 0);
		{
			size_t	 m = liaison__v1__envelope__get_packed_size(
				    &eb.e), ends[32], ne, o;
			uint8_t	*raw = malloc(m + 16), *cut = malloc(m + 32);

			assert_non_null(raw);
			assert_non_null(cut);
			liaison__v1__envelope__pack(&eb.e, raw);
			ne = pb_ends(raw, m, ends, 32);
			/* the body (field 16) is the last field */
			o = ne > 1 ? ends[ne - 2] : 0;
			memcpy(cut, raw, o);
			o += put_varint(cut + o, 16 << 3 | 2);
			o += put_varint(cut + o, lens[i]);
			memset(cut + o, 0x41, 4);
			o += 4;
			b = sign_bytes(cut, o, t->fx->partners[0].sign, "p01",
			    NULL, &len);
			free(raw);
			free(cut);
		}
		bad_env(t->a, b, len, LSN_EPROTO, C_HUGELEN, "body length");
	}
	/* over-long varints (11 bytes) for a tag and a length */
	memset(buf, 0xff, 10);
	buf[10] = 0x01;
	assert_non_null(b = malloc(11));
	memcpy(b, buf, 11);
	send_bad(t->a, b, 11, 1, ANS_ERROR, LSN_EPROTO, C_HUGELEN,
	    "11-byte tag");
	buf[0] = 0x0a;
	memset(buf + 1, 0x80, 10);
	buf[11] = 0x00;
	assert_non_null(b = malloc(12));
	memcpy(b, buf, 12);
	bad_env(t->a, b, 12, LSN_EPROTO, C_HUGELEN, "11-byte length");
	/* a non-minimal (padded) length varint of a good envelope: the
	 * canonical-encoding check refuses it */
	env = good_env(0, &len);
	{
		size_t	ends[8], hdr, o = 0;
		uint8_t	*p;

		(void) pb_ends(env, len, ends, 8);
		hdr = env[1] & 0x80 ? 3 : 2;	/* tag + length bytes */
		assert_non_null(p = malloc(len + 8));
		p[o++] = 0x0a;
		o += put_varint(p + o, ends[0] - hdr);
		p[o - 1] |= 0x80;	/* pad the varint by one byte */
		p[o++] = 0x00;
		memcpy(p + o, env + hdr, len - hdr);
		o += len - hdr;
		bad_env(t->a, p, o, LSN_EPROTO, C_HUGELEN, "padded varint");
	}
	free(env);
	good(t->a, 0);
}

static void
test_badinput_wire_invalid_utf8(void **state)
{
	struct bt	*t = *state;
	static const char *const bad[] = {
		"\xff", "ab\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xe2\x82", "\xc2\x80", "x\x01y", "\x7f",
		"\xf8\x88\x80\x80\x80", "\x80", "\xc2", "a\x1b[31m",
	};
	struct eb	 b;
	uint8_t		*env;
	size_t		 len;
	char		*to[1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		Liaison__V1__HandlingCode h3 =
		    LIAISON__V1__HANDLING_CODE__HANDLING_H3;

		eb_init(&b, 0);
		b.e.case_ref = uc(bad[i]);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8, "case_ref");
		eb_init(&b, 0);
		b.h.n_codes = 1;
		b.h.codes = &h3;
		b.h.h3_text = uc(bad[i]);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8, "h3_text");
		eb_init(&b, 0);
		b.h.permitted_purpose = uc(bad[i]);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8,
		    "permitted_purpose");
		eb_init(&b, 0);
		to[0] = uc(bad[i]);
		b.e.to = to;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8, "to");
		/* the unsigned signer hint */
		eb_init(&b, 0);
		b.hint_signer = bad[i];
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8, "signer hint");
		/* the signed sender */
		eb_init(&b, 0);
		b.e.sender = uc(bad[i]);
		b.hint_signer = "p01";
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_UTF8, "sender");
	}
	/* a NUL inside a string: protobuf-c would cut it short; the
	 * canonical-encoding check refuses it */
	eb_init(&b, 0);
	b.e.case_ref = uc("case-QQQ");
	{
		size_t	 n = liaison__v1__envelope__get_packed_size(&b.e);
		uint8_t	*raw = malloc(n + 1), *p;

		assert_non_null(raw);
		liaison__v1__envelope__pack(&b.e, raw);
		p = NULL;
		for (size_t k = 0; k + 3 <= n && p == NULL; k++)
			if (memcmp(raw + k, "QQQ", 3) == 0)
				p = raw + k;
		assert_non_null(p);
		p[1] = '\0';
		env = sign_bytes(raw, n, t->fx->partners[0].sign, "p01", NULL,
		    &len);
		free(raw);
	}
	bad_env(t->a, env, len, LSN_EPROTO, C_UTF8, "NUL in case_ref");
	good(t->a, 0);
}

static void
test_badinput_wire_enums_out_of_range(void **state)
{
	struct bt	*t = *state;
	static const int vals[] = { 0, 12, 99, 1000, 0x7fffffff, -1, -99 };
	static const uint32_t vers[] = { 0, 2, 3, 255, 0xffffffffu };
	struct eb	 b;
	uint8_t		*env;
	size_t		 len;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int	v = vals[i];

		eb_init(&b, 0);
		b.e.type = (Liaison__V1__MessageType) v;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "type");
		eb_init(&b, 0);
		b.h.tlp = (Liaison__V1__Tlp) (v == 12 ? 6 : v);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "tlp");
		eb_init(&b, 0);
		b.e.priority = (Liaison__V1__Priority) (v == 12 ? 5 : v);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "priority");
		{
			Liaison__V1__HandlingCode c =
			    (Liaison__V1__HandlingCode) (v == 12 ? 5 : v);

			eb_init(&b, 0);
			b.h.n_codes = 1;
			b.h.codes = &c;
			env = eb_sign(&b, t->fx->partners[0].sign, &len);
			bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "codes");
		}
		eb_init(&b, 0);
		b.h.has_reliability = 1;
		b.h.reliability = (Liaison__V1__SourceReliability) (v == 12 ?
		    5 : v);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "reliability");
		eb_init(&b, 0);
		b.h.has_accuracy = 1;
		b.h.accuracy = (Liaison__V1__InfoAccuracy) (v == 12 ? 5 : v);
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EINVAL, C_ENUM, "accuracy");
	}
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		eb_init(&b, 0);
		b.e.version = vers[i];
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EVERSION, C_ENUM, "version");
	}
	/* TLP AMBER / AMBER+STRICT / RED with a plain body */
	for (int tlp = 3; tlp <= 5; tlp++) {
		eb_init(&b, 0);
		b.h.tlp = (Liaison__V1__Tlp) tlp;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_ENOTSEALED, C_ENUM,
		    "plain body above GREEN");
	}
	good(t->a, 0);
}

static void
test_badinput_wire_times_out_of_range(void **state)
{
	struct bt	*t = *state;
	uint64_t	 now = lsn_now_ms();
	struct eb	 b;
	uint8_t		*env;
	size_t		 len;
	struct {
		int		has_c;
		uint64_t	c;
		int		has_e;
		uint64_t	e;
		int		want;
		const char	*what;
	} cases[] = {
		{ 0, 0, 0, 0, LSN_EINVAL, "no created_ms" },
		{ 1, 0, 0, 0, LSN_EINVAL, "created_ms 0" },
		{ 1, 1, 0, 0, LSN_EKEYEXPIRED, "created_ms 1970" },
		{ 1, now - 2 * 86400000ULL, 0, 0, LSN_EKEYEXPIRED,
		    "created before the key" },
		{ 1, now + 3600000, 0, 0, LSN_ESKEW, "created +1h" },
		{ 1, now + 86400000ULL * 365 * 100, 0, 0, LSN_ESKEW,
		    "created +100y" },
		{ 1, LSN_ENV_TIME_MAX, 0, 0, LSN_ESKEW, "created max" },
		{ 1, LSN_ENV_TIME_MAX + 1, 0, 0, LSN_EINVAL,
		    "created 2^53" },
		{ 1, UINT64_MAX, 0, 0, LSN_EINVAL, "created 2^64-1" },
		{ 1, 1ULL << 63, 0, 0, LSN_EINVAL, "created 2^63" },
		{ 1, now, 1, now, LSN_EINVAL, "expires == created" },
		{ 1, now, 1, now - 1, LSN_EINVAL, "expires < created" },
		{ 1, now, 1, 1, LSN_EINVAL, "expires 1" },
		{ 1, now - 5000, 1, now - 4000, LSN_EEXPIRED, "expired" },
		{ 1, now, 1, LSN_ENV_TIME_MAX + 1, LSN_EINVAL,
		    "expires 2^53" },
		{ 1, now, 1, 1ULL << 63, LSN_EINVAL, "expires 2^63" },
		{ 1, now, 1, UINT64_MAX, LSN_EINVAL, "expires 2^64-1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eb_init(&b, 0);
		b.e.has_created_ms = cases[i].has_c;
		b.e.created_ms = cases[i].c;
		b.e.has_expires_ms = cases[i].has_e;
		b.e.expires_ms = cases[i].e;
		env = eb_sign(&b, t->fx->partners[0].sign, &len);
		bad_env(t->a, env, len, cases[i].want, C_TIME, cases[i].what);
	}
	/* the far-future expiry that was accepted before (and stored as
	 * a negative sqlite integer): refused, nothing stored */
	good(t->a, 0);
	assert_int_equal(db_count("SELECT COUNT(*) FROM messages WHERE "
	    "expires_ms < 0"), 0);
}

/* ---- directory ops and partner state (last: they change it) ---- */

static int
submit_raw(void *s, const uint8_t *sop, size_t len, int want, int cat,
    const char *what)
{
	Liaison__V1__Frame	 f;
	Liaison__V1__DirSubmit	 ds;
	Liaison__V1__SignedDirOp *op;
	uint8_t			*buf, reqid[4] = { 9, 9, 9, 9 };
	size_t			 n;

	liaison__v1__dir_submit__init(&ds);
	ds.has_request_id = 1;
	ds.request_id.data = reqid;
	ds.request_id.len = sizeof(reqid);
	op = sop != NULL ? liaison__v1__signed_dir_op__unpack(NULL, len, sop) :
	    NULL;
	if (sop != NULL && op == NULL) {
		/* undecodable SignedDirOp bytes go in as they are */
		uint8_t	*in = malloc(len + 32);
		size_t	 i = 0, o = 0;

		assert_non_null(in);
		put_len_field(in, &i, 1, reqid, sizeof(reqid));
		put_len_field(in, &i, 2, sop, len);
		assert_non_null(buf = malloc(i + 16));
		put_len_field(buf, &o, 9, in, i);
		free(in);
		send_bad(s, buf, o, 1, ANS_ERROR, want, cat, what);
		return (0);
	}
	ds.op = op;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	n = liaison__v1__frame__get_packed_size(&f);
	assert_non_null(buf = malloc(n + 1));
	liaison__v1__frame__pack(&f, buf);
	if (op != NULL)
		liaison__v1__signed_dir_op__free_unpacked(op, NULL);
	send_bad(s, buf, n, 1, ANS_DIRACK, want, cat, what);
	return (0);
}

/*
 * The code the broker's directory must give for signed-op bytes whose
 * signatures do not verify (sigok 0) or do (sigok 1): the op bytes are
 * decoded and validated before the signatures are checked (lib/dir_auth.c
 * parse_signed), so undecodable bytes are EPROTO, invalid fields the
 * validator's code, a creation time in the future ESKEW, init-root EROOT,
 * an author that is not "admin" ENOTAUTH, and only then
 * a bad signature EBADSIG.
 */
static int
op_code(const uint8_t *op, size_t len, int sigok)
{
	Liaison__V1__DirOp	*d;
	char			 why[LSN_DIR_WHY_MAX];
	int			 rv;

	if (len == 0 || (d = liaison__v1__dir_op__unpack(NULL, len, op)) ==
	    NULL)
		return (LSN_EPROTO);
	rv = lsn_dirop_validate(d, why, sizeof(why));
	/* created in the future (a flipped high bit of created_ms) */
	if (rv == LSN_OK && d->created_ms > lsn_now_ms() &&
	    d->created_ms - lsn_now_ms() > LSN_DIR_SKEW_MS)
		rv = LSN_ESKEW;
	/* a second root policy */
	if (rv == LSN_OK && d->action_case ==
	    LIAISON__V1__DIR_OP__ACTION_INIT_ROOT)
		rv = LSN_EROOT;
	/* an author other than the admins: not authorized, whatever the
	 * signatures */
	if (rv == LSN_OK && !sigok && (d->author == NULL ||
	    strcmp(d->author, LSN_DIR_AUTHOR_ADMIN) != 0))
		rv = LSN_ENOTAUTH;
	liaison__v1__dir_op__free_unpacked(d, NULL);
	if (rv != LSN_OK)
		return (rv);
	return (sigok ? LSN_OK : LSN_EBADSIG);
}

/* A signed op (2 admins) that the broker accepts; returns it packed. */
static uint8_t *
op_status(const char *partner, int status, int nadmins, size_t *len)
{
	uint64_t	 ver = 0;
	uint8_t		*op = NULL;

	assert_ok(lsn_fixture_partner_version(G->fx, partner, &ver));
	assert_ok(lsn_fixture_op_set_status(G->fx, partner, status, ver,
	    nadmins, &op, len));
	return (op);
}

static int
submit_now(void *s, const uint8_t *sop, size_t len)
{
	Liaison__V1__Frame	 f, *a = NULL;
	Liaison__V1__DirSubmit	 ds;
	int			 code;

	flush_items();
	liaison__v1__dir_submit__init(&ds);
	ds.op = liaison__v1__signed_dir_op__unpack(NULL, len, sop);
	assert_non_null(ds.op);
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	assert_ok(lsn_fixture_send(s, &f));
	liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
	assert_ok(lsn_fixture_recv_kind(s,
	    LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK, T_MS, &a));
	code = lsn_err_from_wire((int) a->dir_submit_ack->code);
	liaison__v1__frame__free_unpacked(a, NULL);
	return (code);
}

/* SignedDirOp{op bytes, signatures of the given admins} built by hand. */
static uint8_t *
sign_op_bytes(const uint8_t *op, size_t oplen, int nadmins, size_t *len)
{
	Liaison__V1__SignedDirOp	 s;
	Liaison__V1__OpSignature	 sg[2], *sp[2];
	uint8_t				 sig[2][LSN_SIG_BYTES], *out;

	liaison__v1__signed_dir_op__init(&s);
	s.has_op = 1;
	s.op.data = (uint8_t *) (uintptr_t) op;
	s.op.len = oplen;
	for (int i = 0; i < nadmins; i++) {
		assert_ok(lsn_sig_sign(LSN_SIG_DIROP, G->fx->admin[i], op,
		    oplen, sig[i]));
		liaison__v1__op_signature__init(&sg[i]);
		sg[i].key_id = G->fx->admin[i]->key_id;
		sg[i].has_signature = 1;
		sg[i].signature.data = sig[i];
		sg[i].signature.len = LSN_SIG_BYTES;
		sp[i] = &sg[i];
	}
	s.n_signatures = (size_t) nadmins;
	s.signatures = sp;
	*len = liaison__v1__signed_dir_op__get_packed_size(&s);
	assert_non_null(out = malloc(*len + 1));
	liaison__v1__signed_dir_op__pack(&s, out);
	return (out);
}

static void
test_badinput_wire_directory_ops(void **state)
{
	struct bt			*t = *state;
	Liaison__V1__SignedDirOp	*so;
	uint8_t				*op, *b, junk[300];
	size_t				 len, n;
	char				 what[96];

	/* a valid sensitive op (suspend p05) to mutate */
	op = op_status("p05", LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED,
	    2, &len);
	assert_non_null(so = liaison__v1__signed_dir_op__unpack(NULL, len,
	    op));
	/* every bit of both admin signatures */
	for (size_t k = 0; k < 2; k++)
		for (size_t bit = 0; bit < 8 * LSN_SIG_BYTES; bit += 3) {
			ProtobufCBinaryData *sg = &so->signatures[k]->signature;

			sg->data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
			n = liaison__v1__signed_dir_op__get_packed_size(so);
			assert_non_null(b = malloc(n));
			liaison__v1__signed_dir_op__pack(so, b);
			sg->data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
			snprintf(what, sizeof(what), "op sig %zu bit %zu", k,
			    bit);
			submit_raw(t->c, b, n, LSN_EBADSIG, C_DIROP, what);
			free(b);
		}
	/* every bit of the signed op bytes */
	for (size_t bit = 0; bit < 8 * so->op.len; bit += 5) {
		int	want;

		so->op.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		n = liaison__v1__signed_dir_op__get_packed_size(so);
		assert_non_null(b = malloc(n));
		liaison__v1__signed_dir_op__pack(so, b);
		want = op_code(so->op.data, so->op.len, 0);
		so->op.data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		snprintf(what, sizeof(what), "op bytes bit %zu", bit);
		submit_raw(t->c, b, n, want, C_DIROP, what);
		free(b);
	}
	/* one signature only on a sensitive op; none at all */
	b = sign_op_bytes(so->op.data, so->op.len, 1, &n);
	submit_raw(t->c, b, n, LSN_ETHRESHOLD, C_DIROP, "one admin");
	free(b);
	b = sign_op_bytes(so->op.data, so->op.len, 0, &n);
	submit_raw(t->c, b, n, LSN_EBADSIG, C_DIROP, "no signature");
	free(b);
	/* the op cut at every offset, signed as cut */
	for (size_t off = 1; off < so->op.len; off += 2) {
		int	want = op_code(so->op.data, off, 1);

		if (want == LSN_OK)
			continue;	/* a shorter valid op: not bad input */
		b = sign_op_bytes(so->op.data, off, 2, &n);
		submit_raw(t->c, b, n, want, C_DIROP, "op cut");
		free(b);
	}
	/* an unknown action (field 27), signed by both admins */
	{
		uint8_t	*u = malloc(so->op.len + 8);
		size_t	 o = 0, ends[16], ne;

		assert_non_null(u);
		ne = pb_ends(so->op.data, so->op.len, ends, 16);
		assert_true(ne >= 2);
		memcpy(u, so->op.data, ends[ne - 2]);
		o = ends[ne - 2];
		put_len_field(u, &o, 27, (const uint8_t *) "\x0a\x02zz", 4);
		b = sign_op_bytes(u, o, 2, &n);
		submit_raw(t->c, b, n, LSN_EINVAL, C_DIROP, "unknown action");
		free(b);
		free(u);
	}
	/* random SignedDirOp bytes */
	for (int i = 0; i < 50; i++) {
		Liaison__V1__SignedDirOp *x;

		lsn_random(junk, sizeof(junk));
		junk[0] = 0xff;
		if ((x = liaison__v1__signed_dir_op__unpack(NULL,
		    sizeof(junk), junk)) != NULL) {
			liaison__v1__signed_dir_op__free_unpacked(x, NULL);
			continue;
		}
		submit_raw(t->c, junk, sizeof(junk), LSN_EPROTO, C_DIROP,
		    "random op");
	}
	/* no op at all */
	submit_raw(t->c, NULL, 0, LSN_EINVAL, C_DIROP, "no op");
	flush_items();
	good(t->a, 0);
	/* the good op applies once; its replay is refused */
	assert_int_equal(submit_now(t->c, op, len), LSN_OK);
	submit_raw(t->c, op, len, LSN_EOPREPLAY, C_DIROP, "replayed op");
	/* a stale expected_version (p05 moved on) */
	free(op);
	liaison__v1__signed_dir_op__free_unpacked(so, NULL);
	{
		Liaison__V1__DirOp	d;
		Liaison__V1__SetStatus	ss;
		uint8_t			*o2 = NULL;
		size_t			 l2 = 0;

		liaison__v1__set_status__init(&ss);
		ss.partner_id = uc("p05");
		ss.has_status = 1;
		ss.status = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
		liaison__v1__dir_op__init(&d);
		d.has_expected_version = 1;
		d.expected_version = 1;
		d.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
		d.set_status = &ss;
		assert_ok(lsn_fixture_op_sign(t->fx, &d, 2, &o2, &l2));
		submit_raw(t->c, o2, l2, LSN_ESTALE, C_DIROP, "stale version");
		free(o2);
	}
	good(t->a, 0);
}

static void
test_badinput_wire_partner_and_key_state(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture	*fx = t->fx;
	struct lsn_keypair	*k = NULL, *saved;
	Liaison__V1__DirOp	 op;
	Liaison__V1__RevokeKey	 rk;
	uint8_t			*sop, *env, buf[8];
	size_t			 len;
	uint64_t		 ver = 0;
	void			*s4 = t->s4, *s5 = t->s5, *s6 = t->s6;

	/* unknown signing key id (a fresh key labelled p01) */
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "p01", &k));
	saved = fx->partners[0].sign;
	fx->partners[0].sign = k;
	for (int i = 0; i < 10; i++) {
		env = good_env(0, &len);
		bad_env(t->a, env, len, LSN_EUNKNOWNKEY, C_REVOKED,
		    "unknown key");
	}
	flush_items();
	fx->partners[0].sign = saved;
	lsn_keypair_destroy(&k);

	/* p04's signing key revoked: EKEYREVOKED */
	assert_ok(lsn_fixture_partner_version(fx, "p04", &ver));
	liaison__v1__revoke_key__init(&rk);
	rk.partner_id = uc("p04");
	rk.key_id = fx->partners[3].sign->key_id;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = lsn_now_ms() - 1000;
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = ver;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_ok(lsn_fixture_op_sign(fx, &op, 2, &sop, &len));
	assert_int_equal(submit_now(t->c, sop, len), LSN_OK);
	free(sop);
	for (int i = 0; i < 10; i++) {
		env = good_env(3, &len);
		bad_env(s4, env, len, LSN_EKEYREVOKED, C_REVOKED,
		    "revoked signing key");
	}
	flush_items();

	/* p05 was suspended by the directory-op test: every frame refused */
	for (int i = 0; i < 10; i++) {
		env = good_env(4, &len);
		bad_env(s5, env, len, LSN_ESUSPENDED, C_SUSPENDED,
		    "suspended publish");
		buf[0] = 0x5a;	/* Ping{} */
		buf[1] = 0x00;
		assert_non_null(sop = malloc(2));
		memcpy(sop, buf, 2);
		send_bad(s5, sop, 2, 1, ANS_ERROR, LSN_ESUSPENDED,
		    C_SUSPENDED, "suspended ping");
	}
	flush_items();
	/* p06 revoked as a partner */
	sop = op_status("p06", LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED,
	    2, &len);
	assert_int_equal(submit_now(t->c, sop, len), LSN_OK);
	free(sop);
	for (int i = 0; i < 10; i++) {
		env = good_env(5, &len);
		bad_env(s6, env, len, LSN_EPREVOKED, C_SUSPENDED,
		    "revoked partner");
	}
	flush_items();
	/* and a message to them is refused */
	for (int i = 0; i < 10; i++) {
		struct eb	b;

		eb_init(&b, 0);
		b.to[0] = uc(i % 2 ? "p05" : "p06");
		env = eb_sign(&b, fx->partners[0].sign, &len);
		bad_env(t->a, env, len, LSN_EUNKNOWNRCPT, C_SUSPENDED,
		    "to a suspended/revoked partner");
	}
	good(t->a, 0);
}

/* Runs liaison-broker -n -c conf; returns its exit status, stderr in
 * errbuf. */
static int
broker_check(const char *conf, char *errbuf, size_t errsz)
{
	char	*bin = lsn_proc_bin(LSN_BIN_BROKER), *out = NULL, *lp;
	char	*argv[] = { bin, uc("-n"), uc("-c"), uc(conf), NULL };
	FILE	*fp;
	size_t	 n;
	int	 st;

	lp = malloc(strlen(G->fx->dir) + 16);
	assert_non_null(lp);
	sprintf(lp, "%s/check.err", G->fx->dir);
	(void) unlink(lp);
	st = lsn_proc_run(bin, argv, &out, lp, 10000);
	errbuf[0] = '\0';
	if ((fp = fopen(lp, "r")) != NULL) {
		n = fread(errbuf, 1, errsz - 1, fp);
		errbuf[n] = '\0';
		fclose(fp);
	}
	free(out);
	free(lp);
	free(bin);
	return (st);
}

static void
test_badinput_wire_daemon_config_and_key_files(void **state)
{
	struct bt	*t = *state;
	struct lsn_fixture *fx = t->fx;
	char		 err[2048], path[LSN_FX_PATH_MAX + 32], *conf;
	FILE		*fp;
	struct {
		const char	*extra;
		const char	*want;
	} confs[] = {
		{ "no_such_option = 1\n", "unknown option" },
		{ "max_msg_bytes = 1\n", "must be between" },
		{ "max_msg_bytes = lots\n", "is not a number" },
		{ "skew_ms = 5 parsecs\n", "is not a duration" },
		{ "queue_quota = 0\n", "must be between" },
		{ "hwm = 99999999999999999999\n", "must be between" },
		{ "max_msg_bytes = 4096\nmax_msg_bytes = 8192\n",
		    "duplicate option" },
		{ "# \x01\n", "control character" },
		{ "# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		    "line longer than" },
	};

	/* the running broker keeps its configuration on a bad SIGHUP */
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		assert_ok(lsn_fixture_write_broker_conf(fx, NULL,
		    confs[i].extra));
		tally[C_FILES].tried++;
		if (broker_check(fx->broker_conf, err, sizeof(err)) == 1 &&
		    strstr(err, confs[i].want) != NULL)
			tally[C_FILES].right++;
		else if (mismatches++ < 20)
			fprintf(stderr, "MISMATCH config %zu: %s\n", i, err);
		assert_int_equal(lsn_proc_signal(t->pid, SIGHUP), 0);
		good(t->a, 0);
	}
	assert_ok(lsn_fixture_write_broker_conf(fx, NULL,
	    "max_msg_bytes = 65536\nskew_ms = 60s\nheartbeat_ms = 5s\n"));
	conf = fx->broker_conf;
	assert_int_equal(broker_check(conf, err, sizeof(err)), 0);
	/* writable by group */
	assert_int_equal(chmod(conf, 0620), 0);
	tally[C_FILES].tried++;
	if (broker_check(conf, err, sizeof(err)) == 1 &&
	    strstr(err, "writable by group or others") != NULL)
		tally[C_FILES].right++;
	else if (mismatches++ < 20)
		fprintf(stderr, "MISMATCH config perms: %s\n", err);
	assert_int_equal(chmod(conf, 0600), 0);
	/* the broker's secret keys: group-readable, then garbage */
	assert_int_equal(chmod(fx->broker_sign_key, 0640), 0);
	tally[C_FILES].tried++;
	if (broker_check(conf, err, sizeof(err)) == 1 &&
	    strstr(err, "sign_key") != NULL &&
	    strstr(err, lsn_strerror(LSN_EFILEPERM)) != NULL)
		tally[C_FILES].right++;
	else if (mismatches++ < 20)
		fprintf(stderr, "MISMATCH sign key perms: %s\n", err);
	assert_int_equal(chmod(fx->broker_sign_key, 0600), 0);
	snprintf(path, sizeof(path), "%s.good", fx->broker_transport_key);
	assert_int_equal(rename(fx->broker_transport_key, path), 0);
	assert_non_null(fp = fopen(fx->broker_transport_key, "w"));
	fputs("liaison-key v1\nkind transport\nlabel broker\n", fp);
	fclose(fp);
	assert_int_equal(chmod(fx->broker_transport_key, 0600), 0);
	tally[C_FILES].tried++;
	if (broker_check(conf, err, sizeof(err)) == 1 &&
	    strstr(err, "transport_key") != NULL &&
	    strstr(err, lsn_strerror(LSN_EKEYFORMAT)) != NULL)
		tally[C_FILES].right++;
	else if (mismatches++ < 20)
		fprintf(stderr, "MISMATCH transport key: %s\n", err);
	assert_int_equal(rename(path, fx->broker_transport_key), 0);
	assert_int_equal(broker_check(conf, err, sizeof(err)), 0);
	assert_int_equal(lsn_proc_signal(t->pid, SIGHUP), 0);
	good(t->a, 0);
}

static void
test_badinput_wire_all_rejected_and_memory_bounded(void **state)
{
	struct bt	*t = *state;
	long		 tried, right, rss1;

	flush_items();
	good(t->a, 0);
	/* every category was exercised */
	assert_int_equal(lsn_tally_sum(tally, C_N, &tried, &right), 0);
	assert_int_equal(mismatches, 0);
	assert_int_equal(tried, right);
	rss1 = lsn_proc_rss_kb(t->pid);
	assert_true(rss1 > 0);
	/* bounded: nothing per bad input is kept (allocator and sanitizer
	 * quarantine slack allowed) */
#if defined(__SANITIZE_ADDRESS__)
	assert_true(rss1 - t->rss0 < 512 * 1024);
#else
	assert_true(rss1 - t->rss0 < 64 * 1024);
#endif
	assert_true(lsn_proc_alive(t->pid));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badinput_wire_warmup_and_rss),
		cmocka_unit_test(test_badinput_wire_forged_signatures),
		cmocka_unit_test(test_badinput_wire_replays),
		cmocka_unit_test(test_badinput_wire_spoofed_senders),
		cmocka_unit_test(test_badinput_wire_oversized),
		cmocka_unit_test(test_badinput_wire_truncated_every_offset),
		cmocka_unit_test(test_badinput_wire_random_bytes),
		cmocka_unit_test(test_badinput_wire_frame_count_and_oneof),
		cmocka_unit_test(test_badinput_wire_huge_length_prefixes),
		cmocka_unit_test(test_badinput_wire_invalid_utf8),
		cmocka_unit_test(test_badinput_wire_enums_out_of_range),
		cmocka_unit_test(test_badinput_wire_times_out_of_range),
		cmocka_unit_test(test_badinput_wire_directory_ops),
		cmocka_unit_test(test_badinput_wire_partner_and_key_state),
		cmocka_unit_test(
		    test_badinput_wire_daemon_config_and_key_files),
		cmocka_unit_test(
		    test_badinput_wire_all_rejected_and_memory_bounded),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
