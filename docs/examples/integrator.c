/*
 * integrator.c -- example: a case-management system using the C client
 * (include/liaison/client.h) to talk to its local liaison-agent.
 *
 * Agency A offers a TLP:AMBER referral to agency B (A's agent seals it to
 * B's encryption key); B's system waits for it in B's inbox (long poll),
 * reads it and acknowledges it; A's system then sees the acknowledgement.
 *
 * Build (installed library):
 *	cc -o integrator integrator.c -lliaison -lprotobuf-c -lzmq -lsodium
 * Run:
 *	./integrator ipc:///var/lib/liaison-a/api.sock \
 *	    ipc:///var/lib/liaison-b/api.sock agency-a agency-b
 *
 * The test suite compiles this file into tests/integration/
 * test_integrator_example.c (with INTEGRATOR_NO_MAIN) and runs it against
 * a real broker and two agents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/err.h"
#include "liaison/util.h"

#define EX_TIMEOUT_MS	15000

/* One call; the agent's verdict is checked. *rp is caller-owned. */
static int
ex_call(struct lsn_client *c, Liaison__V1__ApiRequest *req,
    Liaison__V1__ApiResponse **rp)
{
	int	rv;

	if ((rv = lsn_client_call(c, req, EX_TIMEOUT_MS, rp)) != LSN_OK)
		return (rv);
	if ((*rp)->has_code && (*rp)->code != 0) {
		fprintf(stderr, "agent: %s\n", (*rp)->detail != NULL ?
		    (*rp)->detail : "error");
		rv = lsn_err_from_wire((int) (*rp)->code);
		lsn_client_response_free(rp);
		return (rv);
	}
	return (LSN_OK);
}

static int
ex_submit(struct lsn_client *c, const char *to, int type,
    const ProtobufCMessage *body, int tlp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 buf[8192];
	char				*tov[1];
	int				 rv;

	if (protobuf_c_message_get_packed_size(body) > sizeof(buf))
		return (LSN_ETOOBIG);
	sr.body.len = protobuf_c_message_pack(body, buf);
	sr.body.data = buf;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = type;
	tov[0] = (char *) (uintptr_t) to;
	sr.n_to = 1;
	sr.to = tov;
	h.has_tlp = 1;
	h.tlp = tlp;
	sr.handling = &h;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = ex_call(c, &req, &r)) != LSN_OK)
		return (rv);
	lsn_client_response_free(&r);
	return (LSN_OK);
}

/*
 * Long-polls the inbox (include acked) for a message of `type` whose body
 * carries referral id rid (ReferralHandoff / ReferralResponse, both have
 * it as field 1); on success *bodyp / *lenp is a copy of the body.
 */
static int
ex_wait_for(struct lsn_client *c, int type, const uint8_t rid[16],
    uint8_t **bodyp, size_t *lenp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxListRequest	 il =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 after = 0;
	int				 rv;

	for (int round = 0; round < 20; round++) {
		il.has_include_acked = 1;
		il.include_acked = 1;
		il.has_type = 1;
		il.type = type;
		il.has_after_seq = 1;
		il.after_seq = after;
		il.has_wait_ms = 1;
		il.wait_ms = 1000;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
		req.inbox_list = &il;
		if ((rv = ex_call(c, &req, &r)) != LSN_OK)
			return (rv);
		for (size_t i = 0; r->inbox_list != NULL &&
		    i < r->inbox_list->n_items; i++) {
			Liaison__V1__InboxItem *it = r->inbox_list->items[i];
			ProtobufCBinaryData id = { 0, NULL };

			if (it->local_seq > after)
				after = it->local_seq;
			if (type ==
			    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF) {
				Liaison__V1__ReferralHandoff *h =
				    liaison__v1__referral_handoff__unpack(NULL,
				    it->body.len, it->body.data);

				if (h != NULL && h->referral_id.len == 16 &&
				    memcmp(h->referral_id.data, rid, 16) == 0)
					id.len = 16;
				if (h != NULL)
					liaison__v1__referral_handoff__free_unpacked(
					    h, NULL);
			} else {
				Liaison__V1__ReferralResponse *x =
				    liaison__v1__referral_response__unpack(
				    NULL, it->body.len, it->body.data);

				if (x != NULL && x->referral_id.len == 16 &&
				    memcmp(x->referral_id.data, rid, 16) == 0)
					id.len = 16;
				if (x != NULL)
					liaison__v1__referral_response__free_unpacked(
					    x, NULL);
			}
			if (id.len == 16) {
				if ((*bodyp = malloc(it->body.len + 1)) ==
				    NULL) {
					lsn_client_response_free(&r);
					return (LSN_ENOMEM);
				}
				memcpy(*bodyp, it->body.data, it->body.len);
				*lenp = it->body.len;
				lsn_client_response_free(&r);
				return (LSN_OK);
			}
		}
		lsn_client_response_free(&r);
	}
	return (LSN_ETIMEDOUT);
}

/* The whole exchange; LSN_OK when A saw B's acknowledgement. */
static int
integrator_run(const char *a_ep, const char *b_ep, const char *a_id,
    const char *b_id)
{
	struct lsn_client		*a = NULL, *b = NULL;
	Liaison__V1__ReferralHandoff	 h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	 j = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__ReferralResponse	 ack =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__ReferralHandoff	*got = NULL;
	uint8_t				 rid[16], *body = NULL;
	size_t				 len = 0;
	int				 rv;

	if ((rv = lsn_client_open(a_ep, &a)) != LSN_OK ||
	    (rv = lsn_client_open(b_ep, &b)) != LSN_OK)
		goto out;
	/* A offers a referral, TLP:AMBER (sealed by A's agent) */
	lsn_random(rid, sizeof(rid));
	h.has_referral_id = 1;
	h.referral_id.data = rid;
	h.referral_id.len = sizeof(rid);
	h.has_priority = 1;
	h.priority = LIAISON__V1__PRIORITY__PRIORITY_P2;
	h.has_category = 1;
	h.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_SEXTORTION;
	j.country = (char *) (uintptr_t) "DE";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_VICTIM_LOCATION;
	h.jurisdiction = &j;
	h.summary = (char *) (uintptr_t)
	    "Synthetic referral from the C integrator";
	if ((rv = ex_submit(a, b_id,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, &h.base,
	    LIAISON__V1__TLP__TLP_AMBER)) != LSN_OK)
		goto out;
	/* B's system picks it up and acknowledges it */
	if ((rv = ex_wait_for(b,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, rid,
	    &body, &len)) != LSN_OK)
		goto out;
	if ((got = liaison__v1__referral_handoff__unpack(NULL, len, body)) ==
	    NULL || strcmp(got->summary, h.summary) != 0) {
		rv = LSN_EPROTO;
		goto out;
	}
	free(body);
	body = NULL;
	ack.has_referral_id = 1;
	ack.referral_id.data = rid;
	ack.referral_id.len = sizeof(rid);
	ack.has_action = 1;
	ack.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK;
	/* a reply keeps the referral's marking (weaker is E_MARKING) */
	if ((rv = ex_submit(b, a_id,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &ack.base, LIAISON__V1__TLP__TLP_AMBER)) != LSN_OK)
		goto out;
	/* A's system sees the acknowledgement */
	rv = ex_wait_for(a,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE, rid,
	    &body, &len);
 out:
	if (got != NULL)
		liaison__v1__referral_handoff__free_unpacked(got, NULL);
	free(body);
	lsn_client_close(&a);
	lsn_client_close(&b);
	return (rv);
}

#ifndef INTEGRATOR_NO_MAIN
int
main(int argc, char *argv[])
{
	int	rv;

	if (argc != 5) {
		fprintf(stderr, "usage: integrator A_API B_API A_ID B_ID\n");
		return (2);
	}
	if (lsn_init() != LSN_OK)
		return (1);
	rv = integrator_run(argv[1], argv[2], argv[3], argv[4]);
	printf("%s\n", rv == LSN_OK ? "integrator example OK" :
	    lsn_strerror(rv));
	return (rv == LSN_OK ? 0 : 1);
}
#endif
