/*
 * test_badinput_api.c -- the bad-input matrix against the agent's local
 * API (issue 8 item 4): malformed and truncated requests, random bytes,
 * huge length prefixes, unknown oneof members, oversized requests and
 * fields, wrong frame counts, invalid UTF-8 in every text field, out of
 * range enums, times and ids. Every answered bad request must carry the
 * error code of its rule (compared exactly); a status request and a good
 * submit still work after each batch; the agent's RSS is read from /proc
 * before and after. The agent is connected to a broker, so its replica
 * knows every partner and refusals come from validation.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_tally.h"
#include "lsn_test.h"

#define T_MS		10000
#define API_MAX		(256 * 1024 + 64 * 1024)	/* AGENT_API_REQ_MAX */

enum cat {
	C_MALFORMED, C_TRUNC, C_RANDOM, C_HUGELEN, C_ONEOF, C_OVERSIZED,
	C_FRAMECOUNT, C_UTF8, C_ENUM, C_TIME, C_IDS, C_N
};

static const char *const catname[C_N] = {
	"malformed request", "truncated at every offset", "random bytes",
	"huge length prefixes", "unknown oneof / no kind", "oversized",
	"wrong frame count", "invalid UTF-8 text",
	"out-of-range enums", "out-of-range times", "bad ids",
};

static struct lsn_tally	tally[C_N];
static long	mismatches, good_after;

struct env {
	struct lsn_fixture	*fx;
	pid_t			 agent;
	int			 broker;
	void			*ctx;
	void			*s;	/* DEALER to the API */
	char			 api[256];
	long			 rss0;
	uint64_t		 rid;
};

static struct env	*E;

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

static void
reconnect(void)
{
	int	zero = 0;

	if (E->s != NULL)
		zmq_close(E->s);
	assert_non_null(E->s = zmq_socket(E->ctx, ZMQ_DEALER));
	assert_int_equal(zmq_setsockopt(E->s, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	assert_int_equal(zmq_connect(E->s, E->api), 0);
}

/*
 * Sends one request (as a REQ socket would: empty delimiter first) and
 * waits for the answer; NULL after timeout_ms. Caller frees.
 */
static Liaison__V1__ApiResponse *
raw(const void *buf, size_t len, int timeout_ms)
{
	Liaison__V1__ApiResponse	*r = NULL;
	zmq_pollitem_t			 pi;
	zmq_msg_t			 m;

	assert_true(zmq_send(E->s, "", 0, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(E->s, buf, len, 0) >= 0);
	for (;;) {
		pi.socket = E->s;
		pi.events = ZMQ_POLLIN;
		pi.revents = 0;
		if (zmq_poll(&pi, 1, timeout_ms) != 1)
			return (NULL);
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, E->s, 0) >= 0);
		if (zmq_msg_more(&m)) {	/* the delimiter */
			zmq_msg_close(&m);
			continue;
		}
		r = liaison__v1__api_response__unpack(NULL, zmq_msg_size(&m),
		    zmq_msg_data(&m));
		zmq_msg_close(&m);
		assert_non_null(r);
		assert_true(r->has_code);
		assert_non_null(r->detail);
		return (r);
	}
}

static uint8_t *
pack_req(Liaison__V1__ApiRequest *req, size_t *len)
{
	uint8_t	*buf;

	*len = liaison__v1__api_request__get_packed_size(req);
	assert_non_null(buf = malloc(*len + 1));
	liaison__v1__api_request__pack(req, buf);
	return (buf);
}

static void
check(int cat, const char *what, Liaison__V1__ApiResponse *r, int want)
{
	int	code = r != NULL ? lsn_err_from_wire((int) r->code) : 999;

	tally[cat].tried++;
	if (r != NULL && code == want && want != LSN_OK)
		tally[cat].right++;
	else if (mismatches++ < 30)
		fprintf(stderr, "MISMATCH %s / %s: got %s (%s), want %s\n",
		    catname[cat], what, r != NULL ? lsn_errname(code) :
		    "no answer", r != NULL ? r->detail : "-",
		    lsn_errname(want));
	if (r != NULL)
		liaison__v1__api_response__free_unpacked(r, NULL);
}

/* Raw bytes in, code out. */
static void
bad_raw(int cat, const char *what, const uint8_t *buf, size_t len, int want)
{
	check(cat, what, raw(buf, len, T_MS), want);
}

static void
bad_req(int cat, const char *what, Liaison__V1__ApiRequest *req, int want)
{
	uint8_t	*buf;
	size_t	 len;

	req->has_request_id = 1;
	req->request_id = ++E->rid;
	buf = pack_req(req, &len);
	bad_raw(cat, what, buf, len, want);
	free(buf);
}

/* ---- request builders ---- */

struct sb {
	Liaison__V1__SubmitRequest	 s;
	Liaison__V1__Handling		 h;
	Liaison__V1__Note		 note;
	Liaison__V1__ApiRequest		 req;
	char				*to[1];
	uint8_t				 body[8192];
};

/* A good TLP:GREEN note to p02. */
static void
sb_init(struct sb *b, const char *text)
{
	memset(b, 0, sizeof(*b));
	liaison__v1__note__init(&b->note);
	b->note.text = uc(text != NULL ? text : "bad-input matrix (api)");
	liaison__v1__handling__init(&b->h);
	b->h.has_tlp = 1;
	b->h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	liaison__v1__submit_request__init(&b->s);
	b->to[0] = uc("p02");
	b->s.n_to = 1;
	b->s.to = b->to;
	b->s.has_type = 1;
	b->s.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	b->s.handling = &b->h;
	b->s.has_body = 1;
	b->s.body.data = b->body;
	b->s.body.len = liaison__v1__note__get_packed_size(&b->note);
	assert_true(b->s.body.len <= sizeof(b->body));
	liaison__v1__note__pack(&b->note, b->body);
	liaison__v1__api_request__init(&b->req);
	b->req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	b->req.submit = &b->s;
}

/* Status answers OK and a good note is accepted (stored pending). */
static void
good(void)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	 st = LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r;
	struct sb			 b;
	uint8_t				*buf;
	size_t				 len;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	buf = pack_req(&req, &len);
	assert_non_null(r = raw(buf, len, T_MS));
	free(buf);
	assert_int_equal(r->code, 0);
	liaison__v1__api_response__free_unpacked(r, NULL);
	sb_init(&b, NULL);
	buf = pack_req(&b.req, &len);
	assert_non_null(r = raw(buf, len, T_MS));
	free(buf);
	if (r->code != 0)
		fail_msg("good submit refused: %s", r->detail);
	liaison__v1__api_response__free_unpacked(r, NULL);
	assert_true(lsn_proc_alive(E->agent));
	good_after++;
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 3 };
	struct env		*e;
	char			 ep[256];

	if (lsn_init() != LSN_OK || (e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (lsn_fixture_create(&o, &e->fx) != LSN_OK)
		return (-1);
	/* a broker, so the replica knows every partner (sealing, contact
	 * ops): refusals come from validation, not from missing state */
	if (lsn_fixture_write_broker_conf(e->fx, NULL, NULL) != LSN_OK ||
	    lsn_fixture_start_broker(e->fx, 0, &e->broker, ep,
	    sizeof(ep)) != LSN_OK)
		return (-1);
	e->agent = agent_it_start(e->fx, 0, ep, NULL);
	if (e->agent <= 0 || agent_it_wait_connected(e->fx, 0, 1, 20000) !=
	    LSN_OK)
		return (-1);
	agent_it_endpoint(e->fx, 0, e->api, sizeof(e->api));
	if ((e->ctx = zmq_ctx_new()) == NULL)
		return (-1);
	E = e;
	reconnect();
	*state = e;
	return (0);
}

static int
group_teardown(void **state)
{
	struct env	*e = *state;
	long		 rss1;
	int		 rv = 0;

	if (e == NULL)
		return (0);
	rss1 = e->agent > 0 ? lsn_proc_rss_kb(e->agent) : -1;
	lsn_tally_print("agent local API", "rejected", catname, tally, C_N);
	printf("  good requests served after bad batches: %ld\n", good_after);
	printf("  agent RSS: %ld kB before, %ld kB after\n", e->rss0, rss1);
	if (e->s != NULL)
		zmq_close(e->s);
	zmq_ctx_term(e->ctx);
	if (e->agent > 0 && lsn_proc_alive(e->agent) &&
	    lsn_proc_stop(e->agent) != 0) {
		lsn_proc_dump_log(e->fx->partners[0].agent_log, 8000);
		rv = -1;
	}
	if (e->broker > 0 && lsn_proc_alive(e->broker) &&
	    lsn_proc_stop(e->broker) != 0) {
		lsn_proc_dump_log(e->fx->broker_log, 8000);
		rv = -1;
	}
	lsn_proc_kill_all();
	lsn_fixture_destroy(&e->fx);
	free(e);
	return (rv);
}

/* ---- tests ---- */

static void
test_badinput_api_warmup_and_rss(void **state)
{
	struct env	*e = *state;

	for (int i = 0; i < 20; i++)
		good();
	e->rss0 = lsn_proc_rss_kb(e->agent);
	assert_true(e->rss0 > 0);
}

/* The code the agent must give for request bytes that are not a usable
 * request: undecodable EPROTO; decodable without a kind EINVAL; 0 for
 * bytes that decode into a request with a kind (not comparable). */
static int
req_code(const uint8_t *buf, size_t len)
{
	Liaison__V1__ApiRequest	*r;
	int			 k;

	if ((r = liaison__v1__api_request__unpack(NULL, len, buf)) == NULL)
		return (LSN_EPROTO);
	k = r->kind_case;
	/* non-canonical but decodable: covered by the NUL case */
	if (liaison__v1__api_request__get_packed_size(r) != len)
		k = LIAISON__V1__API_REQUEST__KIND_STATUS;
	liaison__v1__api_request__free_unpacked(r, NULL);
	return (k == LIAISON__V1__API_REQUEST__KIND__NOT_SET ? LSN_EINVAL :
	    LSN_OK);
}

static void
test_badinput_api_malformed_truncated_random(void **state)
{
	struct sb	 b;
	uint8_t		*buf, junk[2048];
	size_t		 len, n;
	uint64_t	 seed;

	(void) state;
	/* a good submit cut at every offset */
	sb_init(&b, NULL);
	b.req.has_request_id = 1;
	b.req.request_id = 4242;
	buf = pack_req(&b.req, &len);
	for (size_t off = 0; off < len; off++) {
		int	want = req_code(buf, off);

		if (want == LSN_OK)
			continue;
		bad_raw(C_TRUNC, "cut", buf, off, want);
	}
	free(buf);
	good();
	/* random bytes */
	lsn_random(&seed, sizeof(seed));
	for (int i = 0; i < 400; i++) {
		int	want;

		n = 1 + (size_t) (i * 37) % sizeof(junk);
		lsn_random(junk, n);
		if (i % 4 == 0)
			junk[0] = 0x52;	/* starts like a submit (field 10) */
		if ((want = req_code(junk, n)) == LSN_OK)
			continue;
		bad_raw(C_RANDOM, "random", junk, n, want);
		if (i % 100 == 99)
			good();
	}
	good();
	/* well-formed protobuf framing, broken content */
	{
		static const uint8_t m1[] = { 0x08 };	/* varint cut */
		static const uint8_t m2[] = { 0x08, 0x80, 0x80 };
		static const uint8_t m3[] = { 0x0f };	/* wire type 7 */
		static const uint8_t m4[] = { 0x00, 0x01 };	/* field 0 */
		static const uint8_t m5[] = { 0x52, 0x02, 0x0a };
		static const uint8_t m6[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff,
					      0x01 };

		bad_raw(C_MALFORMED, "cut varint", m1, sizeof(m1), LSN_EPROTO);
		bad_raw(C_MALFORMED, "cut varint 2", m2, sizeof(m2),
		    LSN_EPROTO);
		bad_raw(C_MALFORMED, "wire type 7", m3, sizeof(m3),
		    LSN_EPROTO);
		bad_raw(C_MALFORMED, "field 0", m4, sizeof(m4), LSN_EPROTO);
		bad_raw(C_MALFORMED, "cut submit", m5, sizeof(m5),
		    LSN_EPROTO);
		bad_raw(C_MALFORMED, "11-byte tag", m6, sizeof(m6),
		    LSN_EPROTO);
	}
	/* a body with an unknown field (99, length-delimited) answers the
	 * code protocol.md section 12 names: E_PROTO, field "unknown" */
	{
		static const uint8_t unk[] = { 0x9a, 0x06, 0x01, 0x78 };

		sb_init(&b, NULL);
		memcpy(b.body + b.s.body.len, unk, sizeof(unk));
		b.s.body.len += sizeof(unk);
		bad_req(C_MALFORMED, "unknown body field", &b.req, LSN_EPROTO);
	}
	good();
}

static void
test_badinput_api_huge_lengths_and_unknown_kinds(void **state)
{
	static const uint64_t lens[] = { 100, 65536, 1ULL << 31, 1ULL << 32,
					 1ULL << 40, 1ULL << 63, UINT64_MAX };
	static const uint32_t unknown[] = { 2, 3, 9, 25, 26, 99, 1000,
					    536870911 };
	uint8_t		 buf[64];
	size_t		 n;

	(void) state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		/* ApiRequest.submit length */
		n = put_varint(buf, 10 << 3 | 2);
		n += put_varint(buf + n, lens[i]);
		memcpy(buf + n, "\x0a\x03p02", 5);
		n += 5;
		bad_raw(C_HUGELEN, "submit length", buf, n, LSN_EPROTO);
		/* SubmitRequest.to length, inside a well-framed submit */
		{
			uint8_t	in[32];
			size_t	k = put_varint(in, 1 << 3 | 2);

			k += put_varint(in + k, lens[i]);
			memcpy(in + k, "p02", 3);
			k += 3;
			n = put_varint(buf, 10 << 3 | 2);
			n += put_varint(buf + n, k);
			memcpy(buf + n, in, k);
			n += k;
		}
		bad_raw(C_HUGELEN, "to length", buf, n, LSN_EPROTO);
		/* request_id as an over-long varint */
		n = put_varint(buf, 1 << 3 | 0);
		memset(buf + n, 0xff, 10);
		n += 10;
		buf[n++] = 0x01;
		bad_raw(C_HUGELEN, "request_id varint", buf, n, LSN_EPROTO);
	}
	good();
	/* unknown oneof members (and no member at all); 23 and 24 are
	 * outbox_fetch / outbox_list since issue 17 */
	for (size_t u = 0; u < sizeof(unknown) / sizeof(unknown[0]); u++) {
		if (unknown[u] == 2 || unknown[u] == 3) {
			n = put_varint(buf, (uint64_t) unknown[u] << 3 | 0);
			buf[n++] = 0x05;
		} else {
			n = put_varint(buf, (uint64_t) unknown[u] << 3 | 2);
			buf[n++] = 0x00;
		}
		bad_raw(C_ONEOF, "unknown kind", buf, n, LSN_EINVAL);
	}
	n = put_varint(buf, 1 << 3 | 0);
	buf[n++] = 0x07;
	bad_raw(C_ONEOF, "request_id only", buf, n, LSN_EINVAL);
	bad_raw(C_ONEOF, "empty request", buf, 0, LSN_EINVAL);
	good();
}

static void
test_badinput_api_oversized(void **state)
{
	struct env	*e = *state;
	struct sb	 b;
	uint8_t		*big;
	char		**many, cref[LSN_ENV_CASE_REF_MAX + 2];
	char		 text[4098];

	/* a body over LSN_BODY_MAX, under the socket limit */
	assert_non_null(big = calloc(1, LSN_BODY_MAX + 100));
	sb_init(&b, NULL);
	b.s.body.data = big;
	b.s.body.len = LSN_BODY_MAX + 1;
	bad_req(C_OVERSIZED, "body", &b.req, LSN_ETOOBIG);
	free(big);
	/* counts over their limits */
	assert_non_null(many = calloc(LSN_ENV_TO_MAX + 1, sizeof(*many)));
	for (size_t i = 0; i <= LSN_ENV_TO_MAX; i++) {
		assert_non_null(many[i] = malloc(8));
		snprintf(many[i], 8, "r%04zu", i);
	}
	sb_init(&b, NULL);
	b.s.n_to = LSN_ENV_TO_MAX + 1;
	b.s.to = many;
	bad_req(C_OVERSIZED, "1025 recipients", &b.req, LSN_ETOOBIG);
	sb_init(&b, NULL);
	b.s.n_to_groups = LSN_ENV_GROUPS_MAX + 1;
	b.s.to_groups = many;
	bad_req(C_OVERSIZED, "65 groups", &b.req, LSN_ETOOBIG);
	for (size_t i = 0; i <= LSN_ENV_TO_MAX; i++)
		free(many[i]);
	free(many);
	/* text one byte over its limit */
	memset(cref, 'c', sizeof(cref) - 1);
	cref[sizeof(cref) - 1] = '\0';
	sb_init(&b, NULL);
	b.s.case_ref = cref;
	bad_req(C_OVERSIZED, "case_ref 129", &b.req, LSN_EINVAL);
	memset(text, 't', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	sb_init(&b, text);
	bad_req(C_OVERSIZED, "note text 4097", &b.req, LSN_ETOOBIG);
	good();
	/* over the socket limit: dropped by ZeroMQ with the connection;
	 * the agent serves the next one */
	assert_non_null(big = calloc(1, API_MAX + 4096));
	for (int i = 0; i < 3; i++) {
		assert_null(raw(big, API_MAX + 4096, 300));
		tally[C_OVERSIZED].tried++;
		tally[C_OVERSIZED].right++;
		reconnect();
	}
	free(big);
	assert_true(lsn_proc_alive(e->agent));
	good();
}

static void
test_badinput_api_wrong_frame_count(void **state)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	 st = LIAISON__V1__STATUS_REQUEST__INIT;
	uint8_t				*buf;
	size_t				 len;
	zmq_pollitem_t			 pi;

	(void) state;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	buf = pack_req(&req, &len);
	/*
	 * 3..6 parts, or a non-empty delimiter: not a request. The API
	 * cannot tell which part is the request: it answers E_PROTO with
	 * no request id (logged, rate-limited).
	 */
	for (int parts = 2; parts <= 5; parts++)
		for (int i = 0; i < 5; i++) {
			for (int p = 0; p < parts; p++)
				assert_true(zmq_send(E->s, p == 0 && i % 2 ?
				    "x" : (const char *) buf, p == 0 && i % 2 ?
				    1 : len, p + 1 < parts ? ZMQ_SNDMORE : 0) >=
				    0);
			tally[C_FRAMECOUNT].tried++;
		}
	for (long k = 0; k < tally[C_FRAMECOUNT].tried; k++) {
		Liaison__V1__ApiResponse	*r;
		zmq_msg_t			 m;

		pi.socket = E->s;
		pi.events = ZMQ_POLLIN;
		pi.revents = 0;
		assert_int_equal(zmq_poll(&pi, 1, T_MS), 1);
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, E->s, 0) >= 0);
		assert_false(zmq_msg_more(&m));
		r = liaison__v1__api_response__unpack(NULL, zmq_msg_size(&m),
		    zmq_msg_data(&m));
		zmq_msg_close(&m);
		assert_non_null(r);
		assert_int_equal(lsn_err_from_wire((int) r->code), LSN_EPROTO);
		assert_int_equal(r->request_id, 0);
		liaison__v1__api_response__free_unpacked(r, NULL);
		tally[C_FRAMECOUNT].right++;
	}
	free(buf);
	good();
}

static void
test_badinput_api_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff", "ab\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xe2\x82", "\xc2\x80", "x\x01y", "\x7f",
		"\xf8\x88\x80\x80\x80", "\x80", "a\x1b[31m",
	};
	struct sb			 b;
	char				*one[1];
	Liaison__V1__ApiResponse	*r;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		Liaison__V1__ApiRequest		req =
		    LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__InboxListRequest	il =
		    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
		Liaison__V1__WorkflowListRequest wl =
		    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
		Liaison__V1__ContactRequest	cr =
		    LIAISON__V1__CONTACT_REQUEST__INIT;
		Liaison__V1__HandlingCode	h3 =
		    LIAISON__V1__HANDLING_CODE__HANDLING_H3;

		sb_init(&b, NULL);
		b.s.case_ref = uc(bad[i]);
		bad_req(C_UTF8, "case_ref", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		one[0] = uc(bad[i]);
		b.s.to = one;
		bad_req(C_UTF8, "to", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.s.n_to_groups = 1;
		b.s.to_groups = one;
		bad_req(C_UTF8, "to_groups", &b.req, LSN_EINVAL);
		sb_init(&b, bad[i]);
		bad_req(C_UTF8, "note text", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.h.n_codes = 1;
		b.h.codes = &h3;
		b.h.h3_text = uc(bad[i]);
		bad_req(C_UTF8, "h3_text", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.h.permitted_purpose = uc(bad[i]);
		bad_req(C_UTF8, "permitted_purpose", &b.req, LSN_EINVAL);
		il.sender = uc(bad[i]);
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
		req.inbox_list = &il;
		bad_req(C_UTF8, "inbox_list sender", &req, LSN_EINVAL);
		wl.kind = uc(bad[i]);
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
		req.workflow_list = &wl;
		bad_req(C_UTF8, "workflow_list kind", &req, LSN_EINVAL);
		cr.action = uc(bad[i]);
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_CONTACT;
		req.contact = &cr;
		bad_req(C_UTF8, "contact action", &req, LSN_EINVAL);
		if (i % 4 == 3)
			good();
	}
	/* a NUL inside a string (protobuf-c would cut it short) */
	{
		static const char *const nul_to[] = { "p02", "p03" };

		for (size_t i = 0; i < 2; i++) {
			uint8_t	*buf, *p;
			size_t	 len;

			sb_init(&b, NULL);
			b.to[0] = uc(nul_to[i]);
			b.s.case_ref = uc("case-QQQ");
			b.req.has_request_id = 1;
			b.req.request_id = ++E->rid;
			buf = pack_req(&b.req, &len);
			p = NULL;
			for (size_t k = 0; k + 3 <= len && p == NULL; k++)
				if (memcmp(buf + k, "QQQ", 3) == 0)
					p = buf + k;
			assert_non_null(p);
			p[1] = '\0';
			/* protobuf-c cuts the string at the NUL: agent/api.c
			 * handle() refuses a request that does not re-encode to
			 * its own size (E_PROTO). */
			r = raw(buf, len, T_MS);
			assert_non_null(r);
			tally[C_UTF8].tried++;
			assert_int_equal(lsn_err_from_wire((int) r->code),
			    LSN_EPROTO);
			tally[C_UTF8].right++;
			liaison__v1__api_response__free_unpacked(r, NULL);
			free(buf);
		}
	}
	good();
}

static void
test_badinput_api_enums_out_of_range(void **state)
{
	static const int vals[] = { 0, 12, 99, 1000, 0x7fffffff, -1 };
	struct sb	 b;

	(void) state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int	v = vals[i];

		sb_init(&b, NULL);
		b.s.type = (Liaison__V1__MessageType) v;
		bad_req(C_ENUM, "type", &b.req, LSN_EINVAL);
		if (v != 0) {	/* tlp / priority 0: the default */
			sb_init(&b, NULL);
			b.h.tlp = (Liaison__V1__Tlp) (v == 12 ? 6 : v);
			bad_req(C_ENUM, "tlp", &b.req, LSN_EINVAL);
			sb_init(&b, NULL);
			b.s.has_priority = 1;
			b.s.priority = (Liaison__V1__Priority) (v == 12 ? 5 :
			    v);
			bad_req(C_ENUM, "priority", &b.req, LSN_EINVAL);
		}
		{
			Liaison__V1__HandlingCode c =
			    (Liaison__V1__HandlingCode) (v == 12 ? 5 : v);

			sb_init(&b, NULL);
			b.h.n_codes = 1;
			b.h.codes = &c;
			bad_req(C_ENUM, "handling code", &b.req, LSN_EINVAL);
		}
		sb_init(&b, NULL);
		b.h.has_reliability = 1;
		b.h.reliability = (Liaison__V1__SourceReliability) (v == 12 ?
		    5 : v);
		bad_req(C_ENUM, "reliability", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.h.has_accuracy = 1;
		b.h.accuracy = (Liaison__V1__InfoAccuracy) (v == 12 ? 5 : v);
		bad_req(C_ENUM, "accuracy", &b.req, LSN_EINVAL);
	}
	/* mark stages out of range (checked before the message lookup) */
	{
		static const int stages[] = { 0, 4, 99, -1, 0x7fffffff };
		Liaison__V1__ApiRequest		req =
		    LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__InboxMarkRequest	mr =
		    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
		Liaison__V1__InboxListRequest	il =
		    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
		uint8_t				id[16] = { 7 };

		for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]);
		    i++) {
			mr.has_message_id = 1;
			mr.message_id.data = id;
			mr.message_id.len = sizeof(id);
			mr.has_stage = 1;
			mr.stage = (Liaison__V1__MarkStage) stages[i];
			req.kind_case =
			    LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
			req.inbox_mark = &mr;
			bad_req(C_ENUM, "mark stage", &req, LSN_EINVAL);
		}
		/* an unknown message type as a list filter */
		il.has_type = 1;
		il.type = (Liaison__V1__MessageType) 99;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
		req.inbox_list = &il;
		bad_req(C_ENUM, "inbox type filter", &req, LSN_EINVAL);
	}
	/* receipts are made by the agent only */
	sb_init(&b, NULL);
	b.s.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT;
	bad_req(C_ENUM, "receipt type", &b.req, LSN_EINVAL);
	good();
}

static void
test_badinput_api_times_and_ids(void **state)
{
	uint64_t	 now = lsn_now_ms();
	static const uint64_t bad_exp[] = { 1, 1000, 0 /* now - 1 */,
					    LSN_ENV_TIME_MAX + 1, 1ULL << 60,
					    1ULL << 63, UINT64_MAX };
	static const size_t bad_len[] = { 0, 1, 15, 17, 32, 1000 };
	struct sb	 b;
	uint8_t		 idb[1000];

	(void) state;
	for (size_t i = 0; i < sizeof(bad_exp) / sizeof(bad_exp[0]); i++) {
		uint64_t	x = bad_exp[i] == 0 ? now - 1 : bad_exp[i];

		sb_init(&b, NULL);
		b.s.has_expires_ms = 1;
		b.s.expires_ms = x;
		bad_req(C_TIME, "expires_ms", &b.req, x <= now ? LSN_EEXPIRED :
		    LSN_EINVAL);
	}
	/* alert bodies with times out of range */
	{
		Liaison__V1__Alert	al = LIAISON__V1__ALERT__INIT;
		uint8_t			aid[16], body[512];
		static const struct {
			uint64_t	from, until;
		} t[] = {
			{ 0, 0 }, { 1ULL << 60, 0 }, { 0, UINT64_MAX },
			{ 2000, 1000 }, { 5000, 5000 },
			{ LSN_BODY_TIME_MAX + 1, 0 },
		};

		lsn_random(aid, sizeof(aid));
		al.has_alert_id = 1;
		al.alert_id.data = aid;
		al.alert_id.len = sizeof(aid);
		al.has_kind = 1;
		al.kind = LIAISON__V1__ALERT_KIND__ALERT_TRAVELLING_OFFENDER;
		al.has_priority = 1;
		al.priority = LIAISON__V1__PRIORITY__PRIORITY_P2;
		al.summary = uc("synthetic alert for the bad-input matrix");
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			al.has_valid_from_ms = 1;
			al.valid_from_ms = t[i].from;
			al.has_valid_until_ms = t[i].until != 0;
			al.valid_until_ms = t[i].until;
			if (t[i].from == 0 && t[i].until == 0)
				al.valid_from_ms = 0;
			if (t[i].from == 0 && t[i].until != 0)
				al.has_valid_from_ms = 0;
			sb_init(&b, NULL);
			b.s.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT;
			assert_true(liaison__v1__alert__get_packed_size(&al) <=
			    sizeof(body));
			b.s.body.data = body;
			b.s.body.len = liaison__v1__alert__pack(&al, body);
			bad_req(C_TIME, "alert times", &b.req, LSN_EINVAL);
		}
	}
	good();
	/* ids of the wrong length everywhere an id is taken */
	memset(idb, 0x42, sizeof(idb));
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		Liaison__V1__ApiRequest		 req =
		    LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__OutboxStatusRequest os =
		    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
		Liaison__V1__InboxFetchRequest	 fr =
		    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
		Liaison__V1__InboxMarkRequest	 mr =
		    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
		Liaison__V1__CustodyRequest	 cu =
		    LIAISON__V1__CUSTODY_REQUEST__INIT;
		Liaison__V1__MeetingShowRequest	 ms =
		    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;
		ProtobufCBinaryData		 id = { bad_len[i], idb };

		os.has_message_id = 1;
		os.message_id = id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
		req.outbox_status = &os;
		bad_req(C_IDS, "outbox_status id", &req, LSN_EINVAL);
		fr.has_message_id = 1;
		fr.message_id = id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
		req.inbox_fetch = &fr;
		bad_req(C_IDS, "inbox_fetch id", &req, LSN_EINVAL);
		mr.has_message_id = 1;
		mr.message_id = id;
		mr.has_stage = 1;
		mr.stage = LIAISON__V1__MARK_STAGE__MARK_READ;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
		req.inbox_mark = &mr;
		bad_req(C_IDS, "inbox_mark id", &req, LSN_EINVAL);
		cu.has_message_id = 1;
		cu.message_id = id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
		req.custody = &cu;
		bad_req(C_IDS, "custody id", &req, LSN_EINVAL);
		ms.has_meeting_id = 1;
		ms.meeting_id = id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
		req.meeting_show = &ms;
		bad_req(C_IDS, "meeting_show id", &req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.s.has_in_reply_to = 1;
		b.s.in_reply_to = id;
		bad_req(C_IDS, "in_reply_to", &b.req, LSN_EINVAL);
		sb_init(&b, NULL);
		b.s.has_thread_id = 1;
		b.s.thread_id = id;
		bad_req(C_IDS, "thread_id", &b.req, LSN_EINVAL);
		/* recipients that are not partner ids */
		{
			char	*to[1];
			char	 s[80];

			snprintf(s, sizeof(s), "%.*s", (int) (bad_len[i] % 70),
			    "UPPER-case-and-too-long-xxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
			to[0] = s;
			sb_init(&b, NULL);
			b.s.to = to;
			bad_req(C_IDS, "recipient id", &b.req, LSN_EINVAL);
		}
	}
	/* no recipient at all; no body; no type */
	sb_init(&b, NULL);
	b.s.n_to = 0;
	bad_req(C_IDS, "no recipient", &b.req, LSN_EINVAL);
	sb_init(&b, NULL);
	b.s.has_body = 0;
	bad_req(C_IDS, "no body", &b.req, LSN_EINVAL);
	sb_init(&b, NULL);
	b.s.has_type = 0;
	bad_req(C_IDS, "no type", &b.req, LSN_EINVAL);
	good();
}

static void
test_badinput_api_all_rejected_and_memory_bounded(void **state)
{
	struct env	*e = *state;
	long		 tried, right, rss1;

	good();
	/* every category was exercised */
	assert_int_equal(lsn_tally_sum(tally, C_N, &tried, &right), 0);
	assert_int_equal(mismatches, 0);
	assert_int_equal(tried, right);
	rss1 = lsn_proc_rss_kb(e->agent);
	assert_true(rss1 > 0);
#if defined(__SANITIZE_ADDRESS__)
	assert_true(rss1 - e->rss0 < 512 * 1024);
#else
	assert_true(rss1 - e->rss0 < 64 * 1024);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badinput_api_warmup_and_rss),
		cmocka_unit_test(test_badinput_api_malformed_truncated_random),
		cmocka_unit_test(
		    test_badinput_api_huge_lengths_and_unknown_kinds),
		cmocka_unit_test(test_badinput_api_oversized),
		cmocka_unit_test(test_badinput_api_wrong_frame_count),
		cmocka_unit_test(test_badinput_api_invalid_utf8),
		cmocka_unit_test(test_badinput_api_enums_out_of_range),
		cmocka_unit_test(test_badinput_api_times_and_ids),
		cmocka_unit_test(
		    test_badinput_api_all_rejected_and_memory_bounded),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
