/*
 * test_key_rotation.c -- an encryption key rotation loses no sealed
 * message (issue 13, item 5; docs/operations.md section 7).
 *
 * The recipient p01 rotates its encryption key while p02 keeps sending
 * AMBER messages over the raw wire with its own keys:
 *   1. before the swap, the new key is in keys_dir as encrypt.next.key: a
 *      message sealed to it (a sender whose replica already has the new
 *      key) is opened;
 *   2. after the swap (new key as encrypt.key, the old one kept as
 *      encrypt.prev.key, agent restarted), a message sealed to the old
 *      key (in flight, or from a sender whose replica has not caught up)
 *      is opened.
 * Nothing is quarantined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/seal.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS	20000
#define RCPT	0	/* p01 */
#define SNDR	1	/* p02 */
#define UNDELIVERABLE	LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE


/* An AMBER note from p02 to p01 sealed to encryption key pk. */
static uint8_t *
amber_to(struct agent_it_wire *t, const uint8_t pk[LSN_PK_BYTES], size_t *len)
{
	Liaison__V1__Envelope	 e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 rc;
	uint8_t			 id[16], ad[LSN_SEAL_AD_MAX], body[256];
	uint8_t			*out = NULL;
	size_t			 adlen, blen;
	char			*tov[1];

	n.text = lsn_proc_mut("synthetic AMBER note across a key rotation");
	blen = liaison__v1__note__pack(&n, body);
	lsn_random(id, sizeof(id));
	tov[0] = t->fx->partners[RCPT].id;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_AMBER;
	e.has_version = 1;
	e.version = LSN_ENVELOPE_VERSION;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = 16;
	e.sender = t->fx->partners[SNDR].id;
	e.n_to = 1;
	e.to = tov;
	e.has_created_ms = 1;
	e.created_ms = lsn_now_ms();
	e.has_type = 1;
	e.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	e.handling = &h;
	rc.partner = t->fx->partners[RCPT].id;
	rc.pk = pk;
	assert_ok(lsn_seal_ad_env(&e, ad, &adlen));
	assert_ok(lsn_seal(body, blen, ad, adlen, &rc, 1, &sb));
	e.sealed = sb;
	assert_ok(lsn_envelope_sign(&e, t->fx->partners[SNDR].sign, &out, len,
	    NULL));
	lsn_sealed_free(&sb);
	return (out);
}

static void
publish_ok(struct agent_it_wire *t, const uint8_t *env, size_t len)
{
	Liaison__V1__Frame	*f = NULL;

	assert_ok(lsn_fixture_publish_raw(t->sock, env, len));
	assert_ok(lsn_fixture_recv_kind(t->sock,
	    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, T_MS, &f));
	assert_int_equal(lsn_err_from_wire((int) f->publish_ack->code),
	    LSN_OK);
	liaison__v1__frame__free_unpacked(f, NULL);
}

/* Waits until p01 handled n deliveries; they must all be in the inbox. */
static void
wait_stored(struct agent_it_wire *t, uint64_t n)
{
	uint64_t	deadline = lsn_mono_ms() + T_MS, inbox, quar;

	do {
		assert_ok(agent_it_counts(t->fx, RCPT, &inbox, &quar));
		if (inbox + quar >= n)
			break;
		lsn_proc_sleep_ms(50);
	} while (lsn_mono_ms() < deadline);
	assert_int_equal(quar, 0);
	assert_int_equal(inbox, n);
}

static void
key_path(struct agent_it_wire *t, const char *name, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%s", t->fx->partners[RCPT].dir, name);
}

static int
setup(void **state)
{
	return (agent_it_wire_setup(state, 2, -1, SNDR));
}

static void
test_key_rotation_loses_nothing(void **state)
{
	struct agent_it_wire	*t = *state;
	struct lsn_keypair	*nk = NULL;
	uint8_t			 oldpk[LSN_PK_BYTES], *env;
	char			 cur[1024], prev[1024], next[1024];
	size_t			 len;

	memcpy(oldpk, t->fx->partners[RCPT].encrypt->pk, LSN_PK_BYTES);
	key_path(t, "encrypt.key", cur, sizeof(cur));
	key_path(t, "encrypt.prev.key", prev, sizeof(prev));
	key_path(t, "encrypt.next.key", next, sizeof(next));
	/* step 1 of the rotation: the new key generated next to the old */
	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT,
	    t->fx->partners[RCPT].id, &nk));
	assert_ok(lsn_keypair_save(nk, next, NULL));
	t->agent = agent_it_start(t->fx, RCPT, t->ep, NULL);
	assert_true(t->agent > 0);
	assert_ok(agent_it_wait_connected(t->fx, RCPT, 0, T_MS));
	/* steady traffic, then a sender that already seals to the new key */
	env = amber_to(t, oldpk, &len);
	publish_ok(t, env, len);
	free(env);
	env = amber_to(t, nk->pk, &len);
	publish_ok(t, env, len);
	free(env);
	wait_stored(t, 2);
	/* step 3: swap (old kept as prev), restart; meanwhile a message
	 * sealed to the old key is in flight */
	assert_ok(lsn_proc_stop(t->agent));
	assert_int_equal(rename(cur, prev), 0);
	assert_int_equal(rename(next, cur), 0);
	env = amber_to(t, oldpk, &len);
	publish_ok(t, env, len);
	free(env);
	t->agent = agent_it_start(t->fx, RCPT, t->ep, NULL);
	assert_true(t->agent > 0);
	assert_ok(agent_it_wait_connected(t->fx, RCPT, 0, T_MS));
	env = amber_to(t, nk->pk, &len);
	publish_ok(t, env, len);
	free(env);
	wait_stored(t, 4);
	lsn_keypair_destroy(&nk);
}

/* A body sealed to no key of the recipient: quarantined there, and the
 * sender gets a receipt signed by the recipient saying undeliverable. */
static void
test_key_rotation_unopenable_answered(void **state)
{
	struct agent_it_wire		*t = *state;
	struct lsn_keypair		*junk = NULL;
	Liaison__V1__Frame		*f = NULL;
	Liaison__V1__Envelope		*e;
	Liaison__V1__SignedReceipt	*sr;
	Liaison__V1__Receipt		*rc;
	uint64_t			 inbox, quar, deadline;
	uint8_t				*env;
	size_t				 len;
	int				 stage = 0;

	if (t->agent <= 0) {
		t->agent = agent_it_start(t->fx, RCPT, t->ep, NULL);
		assert_ok(agent_it_wait_connected(t->fx, RCPT, 0, T_MS));
	}
	assert_ok(agent_it_counts(t->fx, RCPT, &inbox, &quar));
	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT, "p01", &junk));
	env = amber_to(t, junk->pk, &len);
	lsn_keypair_destroy(&junk);
	publish_ok(t, env, len);
	free(env);
	/* the sender's session: deliveries to p02 */
	assert_ok(lsn_fixture_hello(t->sock, 0, T_MS, NULL));
	deadline = lsn_mono_ms() + T_MS;
	while (stage != LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE &&
	    lsn_mono_ms() < deadline) {
		if (lsn_fixture_recv(t->sock, 500, &f) != LSN_OK)
			continue;
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER &&
		    f->deliver->envelope != NULL) {
			assert_ok(lsn_fixture_deliver_ack(t->sock,
			    f->deliver->seq));
			e = liaison__v1__envelope__unpack(NULL,
			    f->deliver->envelope->envelope.len,
			    f->deliver->envelope->envelope.data);
			if (e != NULL && e->type ==
			    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT &&
			    e->has_body &&
			    (sr = liaison__v1__signed_receipt__unpack(NULL,
			    e->body.len, e->body.data)) != NULL) {
				if ((rc = liaison__v1__receipt__unpack(NULL,
				    sr->receipt.len, sr->receipt.data)) !=
				    NULL) {
					if (rc->stage == UNDELIVERABLE)
						stage = (int) rc->stage;
					liaison__v1__receipt__free_unpacked(
					    rc, NULL);
				}
				liaison__v1__signed_receipt__free_unpacked(sr,
				    NULL);
			}
			if (e != NULL)
				liaison__v1__envelope__free_unpacked(e, NULL);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
		f = NULL;
	}
	assert_int_equal(stage,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE);
	assert_ok(agent_it_counts(t->fx, RCPT, &inbox, &quar));
	assert_int_equal(quar, 1);
}

/* An AMBER note (sealed by the agent) from partner i to `to` over the
 * local API; the message id in msgid. */
static void
api_send_amber(struct agent_it_wire *t, size_t i, const char *to,
    uint8_t msgid[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note		 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 body[256];
	char				*tov[1];

	n.text = lsn_proc_mut("synthetic AMBER note to a recipient without its key");
	sr.body.len = liaison__v1__note__pack(&n, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	tov[0] = lsn_proc_mut(to);
	sr.n_to = 1;
	sr.to = tov;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_AMBER;
	sr.handling = &h;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	assert_ok(agent_it_call(t->fx, i, &req, &r));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_OK);
	assert_non_null(r->submit);
	assert_int_equal(r->submit->message_id.len, 16);
	memcpy(msgid, r->submit->message_id.data, 16);
	lsn_client_response_free(&r);
}

/* The sender's outbox status of msgid over the API: state and detail. */
static int
outbox_state(struct agent_it_wire *t, size_t i, const uint8_t msgid[16],
    char *detail, size_t detailsz)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__OutboxStatusRequest os =
	    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 id[16];
	int				 st = -1;

	memcpy(id, msgid, 16);
	os.has_message_id = 1;
	os.message_id.data = id;
	os.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
	req.outbox_status = &os;
	assert_ok(agent_it_call(t->fx, i, &req, &r));
	detail[0] = '\0';
	if (lsn_err_from_wire((int) r->code) == LSN_OK &&
	    r->outbox_status != NULL) {
		st = (int) r->outbox_status->state;
		if (r->outbox_status->publish_detail != NULL)
			lsn_strlcpy(detail, r->outbox_status->publish_detail,
			    detailsz);
	}
	lsn_client_response_free(&r);
	return (st);
}

/*
 * The integrator's view of the same refusal: p02 sends through its own
 * agent a note sealed (by the agent) to p01's key in the directory; p01
 * has lost that key (no encrypt.prev.key after the swap). The sender's
 * outbox must then show the message as undeliverable, over the API.
 */
static void
test_key_rotation_unopenable_in_sender_outbox(void **state)
{
	struct agent_it_wire	*t = *state;
	pid_t			 sender;
	uint8_t			 id[16];
	uint64_t		 deadline;
	char			 prev[1024], gone[1040], detail[256], want[128];
	int			 st = -1;

	if (t->agent > 0)
		assert_ok(lsn_proc_stop(t->agent));
	key_path(t, "encrypt.prev.key", prev, sizeof(prev));
	key_path(t, "encrypt.prev.key.gone", gone, sizeof(gone));
	(void) rename(prev, gone);
	t->agent = agent_it_start(t->fx, RCPT, t->ep, NULL);
	assert_true(t->agent > 0);
	assert_ok(agent_it_wait_connected(t->fx, RCPT, 0, T_MS));
	sender = agent_it_start(t->fx, SNDR, t->ep, NULL);
	assert_true(sender > 0);
	assert_ok(agent_it_wait_connected(t->fx, SNDR, 0, T_MS));
	api_send_amber(t, SNDR, t->fx->partners[RCPT].id, id);
	snprintf(want, sizeof(want), "undeliverable: cannot open (%s)",
	    t->fx->partners[RCPT].id);
	deadline = lsn_mono_ms() + T_MS;
	do {
		st = outbox_state(t, SNDR, id, detail, sizeof(detail));
		if (st == LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE)
			break;
		lsn_proc_sleep_ms(100);
	} while (lsn_mono_ms() < deadline);
	if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE)
		fprintf(stderr, "outbox state %d detail '%s'\n", st, detail);
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE);
	assert_string_equal(detail, want);
	assert_ok(lsn_proc_stop(sender));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_rotation_loses_nothing),
		cmocka_unit_test(test_key_rotation_unopenable_answered),
		cmocka_unit_test(test_key_rotation_unopenable_in_sender_outbox),
	};

	return (cmocka_run_group_tests(tests, setup, agent_it_wire_teardown));
}
