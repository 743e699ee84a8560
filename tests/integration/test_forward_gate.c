/*
 * test_forward_gate.c -- forwarding attacks by a member speaking the wire
 * with its own keys (issue 13, item 2; docs/threat-model.md).
 *
 * A real broker, the victim's real agent (p01), and the attacker p02 on a
 * raw DEALER with p02's own transport and signing keys. The test also
 * holds p03's and p04's keys to make the messages they really sent (the
 * inner envelopes a forward carries).
 *
 * Refused by the broker at ingress (PublishAck E_FORWARD; nothing stored):
 *   weaker     a GREEN forward of an AMBER message;
 *   key        a GREEN note carrying the content key in clear;
 *   red        a forward of a TLP RED message (even sealed, at RED).
 * Refused by the recipient's agent (quarantined E_FORWARD, an event, the
 * quarantine count in `liaison status`):
 *   signature  the inner envelope's signature does not verify;
 *   old key    the inner is signed with its sender's key outside the key's
 *              validity (created before the key was valid);
 *   not rcpt   p02 forwards a message p03 sent only to p04.
 * Accepted: p02 forwards p03's sealed AMBER message to p01 at AMBER with
 * the content key; `liaison show` presents the verified inner message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS	20000
#define VICTIM	0	/* p01 */
#define ATT	1	/* p02 */
#define P03	2
#define P04	3
#define DAY_MS	(24ULL * 3600 * 1000)

#define GREEN	LIAISON__V1__TLP__TLP_GREEN
#define AMBER	LIAISON__V1__TLP__TLP_AMBER
#define RED	LIAISON__V1__TLP__TLP_RED

static uint8_t *
mutb(const uint8_t *s)
{
	union {
		const uint8_t	*c;
		uint8_t		*m;
	} u;

	u.c = s;
	return (u.m);
}


/* A packed Note (malloc'd). */
static uint8_t *
note(const char *text, const uint8_t *key, size_t *len)
{
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;
	uint8_t			*buf;

	n.text = lsn_proc_mut(text);
	if (key != NULL) {
		n.has_forward_key = 1;
		n.forward_key.data = mutb(key);
		n.forward_key.len = 32;
	}
	*len = liaison__v1__note__get_packed_size(&n);
	assert_non_null(buf = malloc(*len));
	liaison__v1__note__pack(&n, buf);
	return (buf);
}

/*
 * A signed NOTE from partners[from] to partners[to] at tlp with body
 * `body`, sealed to `to` when seal is set (content key into ck when not
 * NULL, opened with the recipient's key as a recipient would), carrying
 * fwd (flen bytes) as `forwarded` when not NULL. created 0 = now.
 */
static uint8_t *
mkenv(struct agent_it_wire *t, int from, int to, int tlp, int seal,
    const uint8_t *body, size_t blen, const uint8_t *fwd, size_t flen,
    uint64_t created, uint8_t ck[32], size_t *len)
{
	const struct lsn_fixture_partner *pf = &t->fx->partners[from];
	const struct lsn_fixture_partner *pt = &t->fx->partners[to];
	Liaison__V1__Envelope	 e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 rc;
	uint8_t			 id[16], ad[LSN_SEAL_AD_MAX], *out = NULL;
	size_t			 adlen;
	char			*tov[1];
	const char		*field = NULL;

	lsn_random(id, sizeof(id));
	tov[0] = lsn_proc_mut(pt->id);
	h.has_tlp = 1;
	h.tlp = tlp;
	e.has_version = 1;
	e.version = LSN_ENVELOPE_VERSION;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = sizeof(id);
	e.sender = lsn_proc_mut(pf->id);
	e.n_to = 1;
	e.to = tov;
	e.has_created_ms = 1;
	e.created_ms = created != 0 ? created : lsn_now_ms();
	e.has_type = 1;
	e.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	e.handling = &h;
	if (fwd != NULL) {
		e.has_forwarded = 1;
		e.forwarded.data = mutb(fwd);
		e.forwarded.len = flen;
	}
	if (seal) {
		rc.partner = pt->id;
		rc.pk = pt->encrypt->pk;
		assert_ok(lsn_seal_ad_env(&e, ad, &adlen));
		assert_ok(lsn_seal(body, blen, ad, adlen, &rc, 1, &sb));
		e.sealed = sb;
		if (ck != NULL)
			assert_ok(lsn_unseal_key(sb, pt->id, pt->encrypt, ck));
	} else {
		e.has_body = 1;
		e.body.data = mutb(body);
		e.body.len = blen;
	}
	if (lsn_envelope_sign(&e, pf->sign, &out, len, &field) != LSN_OK)
		fail_msg("sign: %s", field != NULL ? field : "-");
	lsn_sealed_free(&sb);
	return (out);
}

/* Publishes env on the attacker's connection; the PublishAck code. */
static int
publish(struct agent_it_wire *t, const uint8_t *env, size_t len)
{
	Liaison__V1__Frame	*f = NULL;
	int			 code;

	assert_ok(lsn_fixture_publish_raw(t->sock, env, len));
	assert_ok(lsn_fixture_recv_kind(t->sock,
	    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, T_MS, &f));
	code = lsn_err_from_wire((int) f->publish_ack->code);
	liaison__v1__frame__free_unpacked(f, NULL);
	return (code);
}

/* Waits until the victim's inbox + quarantine hold n messages. */
static void
wait_handled(struct agent_it_wire *t, uint64_t n, uint64_t *inbox,
    uint64_t *quar)
{
	uint64_t	deadline = lsn_mono_ms() + T_MS;

	do {
		assert_ok(agent_it_counts(t->fx, VICTIM, inbox, quar));
		if (*inbox + *quar >= n)
			return;
		lsn_proc_sleep_ms(50);
	} while (lsn_mono_ms() < deadline);
	fail_msg("victim handled %llu of %llu messages",
	    (unsigned long long) (*inbox + *quar), (unsigned long long) n);
}

static int
setup(void **state)
{
	return (agent_it_wire_setup(state, 4, VICTIM, ATT));
}

/* What the broker can see without keys is refused at ingress. */
static void
test_forward_ingress_refusals(void **state)
{
	struct agent_it_wire	*t = *state;
	uint8_t			*b, *nb, *in, *out, ck[32];
	size_t			 bl, nl, il, ol;

	/* weaker: p03's AMBER message to p02, forwarded at GREEN */
	b = note("synthetic AMBER case notes", NULL, &bl);
	in = mkenv(t, P03, ATT, AMBER, 1, b, bl, NULL, 0, 0, ck, &il);
	nb = note("fyi", NULL, &nl);
	out = mkenv(t, ATT, VICTIM, GREEN, 0, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_EFORWARD);
	free(out);
	free(nb);
	/* key: the content key of a sealed inner in a note in clear */
	free(in);
	in = mkenv(t, P03, ATT, GREEN, 1, b, bl, NULL, 0, 0, ck, &il);
	nb = note("fyi", ck, &nl);
	out = mkenv(t, ATT, VICTIM, GREEN, 0, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_EFORWARD);
	free(out);
	free(nb);
	free(in);
	/* red: a RED message forwarded, even sealed at RED */
	in = mkenv(t, P03, ATT, RED, 1, b, bl, NULL, 0, 0, ck, &il);
	nb = note("fyi", ck, &nl);
	out = mkenv(t, ATT, VICTIM, RED, 1, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_EFORWARD);
	free(out);
	free(nb);
	free(in);
	free(b);
}

/* The recipient verifies what the broker cannot. */
static void
test_forward_recipient_refusals(void **state)
{
	struct agent_it_wire		*t = *state;
	Liaison__V1__SignedEnvelope	*se;
	uint8_t				*b, *nb, *in, *out;
	size_t				 bl, nl, il, ol;
	uint64_t			 inbox0, quar0, inbox, quar;
	char				*txt = NULL;

	assert_ok(agent_it_counts(t->fx, VICTIM, &inbox0, &quar0));
	b = note("synthetic report text", NULL, &bl);
	nb = note("fyi", NULL, &nl);
	/* signature: p03's message to p02 with its signature altered */
	in = mkenv(t, P03, ATT, GREEN, 0, b, bl, NULL, 0, 0, NULL, &il);
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL, il,
	    in));
	se->signature.data[7] ^= 0x20;
	assert_int_equal(liaison__v1__signed_envelope__pack(se, in), il);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	out = mkenv(t, ATT, VICTIM, GREEN, 0, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_OK);
	free(out);
	free(in);
	/* old key: signed two days ago, before p03's key was valid */
	in = mkenv(t, P03, ATT, GREEN, 0, b, bl, NULL, 0,
	    t->fx->created_ms - 2 * DAY_MS, NULL, &il);
	out = mkenv(t, ATT, VICTIM, GREEN, 0, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_OK);
	free(out);
	free(in);
	/* not a recipient: p03 wrote to p04 only */
	in = mkenv(t, P03, P04, GREEN, 0, b, bl, NULL, 0, 0, NULL, &il);
	out = mkenv(t, ATT, VICTIM, GREEN, 0, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_OK);
	free(out);
	free(in);
	wait_handled(t, inbox0 + quar0 + 3, &inbox, &quar);
	assert_int_equal(inbox, inbox0);
	assert_int_equal(quar, quar0 + 3);
	/* the operator sees them */
	assert_int_equal(agent_it_cli(t->fx, VICTIM, &txt, "status", NULL),
	    0);
	assert_non_null(strstr(txt, "quarantined:"));
	free(txt);
	free(nb);
	free(b);
}

/* A legitimate AMBER forward is delivered and shown with its inner. */
static void
test_forward_accepted_shows_inner(void **state)
{
	struct agent_it_wire		*t = *state;
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__Envelope		*oe;
	uint8_t				*b, *nb, *in, *out, ck[32];
	size_t				 bl, nl, il, ol;
	uint64_t			 inbox0, quar0, inbox, quar;
	char				*txt = NULL, hex[33];
	const char			*marker = "synthetic-inner-7f3a";

	assert_ok(agent_it_counts(t->fx, VICTIM, &inbox0, &quar0));
	b = note(marker, NULL, &bl);
	in = mkenv(t, P03, ATT, AMBER, 1, b, bl, NULL, 0, 0, ck, &il);
	nb = note("for your action", ck, &nl);
	out = mkenv(t, ATT, VICTIM, AMBER, 1, nb, nl, in, il, 0, NULL, &ol);
	assert_int_equal(publish(t, out, ol), LSN_OK);
	wait_handled(t, inbox0 + quar0 + 1, &inbox, &quar);
	assert_int_equal(inbox, inbox0 + 1);
	assert_int_equal(quar, quar0);
	/* the message id of the outer */
	{
		Liaison__V1__SignedEnvelope *se;

		assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL,
		    ol, out));
		assert_non_null(oe = liaison__v1__envelope__unpack(NULL,
		    se->envelope.len, se->envelope.data));
		lsn_hex_encode(oe->message_id.data, 16, hex);
		liaison__v1__envelope__free_unpacked(oe, NULL);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	}
	assert_int_equal(agent_it_cli(t->fx, VICTIM, &txt, "show", hex,
	    NULL), 0);
	if (strstr(txt, "forwarded message") == NULL ||
	    strstr(txt, "from:     p03") == NULL ||
	    strstr(txt, marker) == NULL)
		fail_msg("show does not present the inner message:\n%s", txt);
	free(txt);
	lsn_client_response_free(&r);
	free(out);
	free(nb);
	free(in);
	free(b);
	sodium_memzero(ck, sizeof(ck));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_ingress_refusals),
		cmocka_unit_test(test_forward_recipient_refusals),
		cmocka_unit_test(test_forward_accepted_shows_inner),
	};

	return (cmocka_run_group_tests(tests, setup, agent_it_wire_teardown));
}
