/*
 * gen_api.c -- local-API request/response and wire-frame vectors
 * (gen.h), built around the GREEN note of gen_env.c.
 */
#include <string.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/util.h"
#include "gen.h"

static json_t *
named(const char *name, const char *about, const ProtobufCMessage *m)
{
	json_t	*v = gen_msg(m);

	json_object_set_new(v, "name", json_string(name));
	json_object_set_new(v, "about", json_string(about));
	return (v);
}

/*
 * Long but linear: each request, response and frame is filled in and
 * recorded in turn; splitting it would only scatter the fixed inputs.
 */
json_t *
gen_api(void)
{
	Liaison__V1__ApiRequest	 rq = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__ApiResponse rs = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__SubmitRequest sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__SubmitResponse sp = LIAISON__V1__SUBMIT_RESPONSE__INIT;
	Liaison__V1__InboxListRequest il =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Hello	 he = LIAISON__V1__HELLO__INIT;
	Liaison__V1__Publish	 pu = LIAISON__V1__PUBLISH__INIT;
	Liaison__V1__Deliver	 de = LIAISON__V1__DELIVER__INIT;
	Liaison__V1__DeliverAck	 da = LIAISON__V1__DELIVER_ACK__INIT;
	Liaison__V1__SignedEnvelope *se;
	char			*to[1] = { (char *) "nl-police" };
	const uint8_t		*note_se, *note_id;
	uint8_t			*b;
	size_t			 blen, note_selen;
	json_t			*v = json_object(), *a = json_array();

	gen_note(&note_se, &note_selen, &note_id);
	json_object_set_new(v, "about", json_string("Local API: one "
	    "serialized ApiRequest per ZeroMQ message, one ApiResponse back. "
	    "Wire: one serialized Frame per ZeroMQ message."));
	n.text = (char *) "Synthetic test note.";
	b = gen_pack(&n.base, &blen);
	sr.n_to = 1;
	sr.to = to;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	sr.has_body = 1;
	sr.body = gen_bin(b, blen);
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	sr.handling = &h;
	rq.has_request_id = 1;
	rq.request_id = 1;
	rq.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	rq.submit = &sr;
	json_array_append_new(a, named("api_submit", "submit a GREEN Note to "
	    "nl-police", &rq.base));
	rs.has_request_id = 1;
	rs.request_id = 1;
	rs.has_code = 1;
	rs.code = LIAISON__V1__ERROR_CODE__OK;
	rs.kind_case = LIAISON__V1__API_RESPONSE__KIND_SUBMIT;
	sp.has_message_id = 1;
	sp.message_id = gen_bin(note_id, 16);
	rs.submit = &sp;
	json_array_append_new(a, named("api_submit_ok", "its answer",
	    &rs.base));
	liaison__v1__api_request__init(&rq);
	rq.has_request_id = 1;
	rq.request_id = 2;
	rq.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	il.has_limit = 1;
	il.limit = 10;
	il.has_wait_ms = 1;
	il.wait_ms = 5000;
	rq.inbox_list = &il;
	json_array_append_new(a, named("api_inbox_list", "long-poll the "
	    "inbox for up to 5 s, at most 10 items", &rq.base));
	liaison__v1__api_response__init(&rs);
	rs.has_request_id = 1;
	rs.request_id = 3;
	rs.has_code = 1;
	rs.code = LIAISON__V1__ERROR_CODE__E_INVAL;
	rs.detail = (char *) "to: unknown partner xx-nobody";
	json_array_append_new(a, named("api_error", "a refusal: code and "
	    "detail, no kind", &rs.base));
	json_object_set_new(v, "api", a);
	free(b);

	a = json_array();
	he.has_protocol_version = 1;
	he.protocol_version = 1;
	he.partner = (char *) "au-afp";
	he.has_delivery_cursor = 1;
	he.delivery_cursor = 0;
	he.agent_version = (char *) "0.1.0";
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &he;
	json_array_append_new(a, named("frame_hello", "agent's first frame",
	    &f.base));
	if ((se = liaison__v1__signed_envelope__unpack(NULL, note_selen,
	    note_se)) == NULL)
		GEN_OK(LSN_EPROTO);
	pu.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH;
	f.publish = &pu;
	json_array_append_new(a, named("frame_publish", "Publish of "
	    "note_green", &f.base));
	de.has_seq = 1;
	de.seq = 1;
	de.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER;
	f.deliver = &de;
	json_array_append_new(a, named("frame_deliver", "Deliver of "
	    "note_green to nl-police, seq 1", &f.base));
	da.has_seq = 1;
	da.seq = 1;
	da.has_code = 1;
	da.code = LIAISON__V1__ERROR_CODE__OK;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
	f.deliver_ack = &da;
	json_array_append_new(a, named("frame_deliver_ack", "stored",
	    &f.base));
	json_object_set_new(v, "frames", a);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (v);
}
