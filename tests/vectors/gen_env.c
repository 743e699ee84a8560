/*
 * gen_env.c -- envelope, receipt, forward, API and wire-frame vectors
 * (gen.h). Every message has fixed ids and times; sealed bodies use the
 * generator's deterministic random source.
 */
#include <string.h>

#include <sodium.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/receipt.h"
#include "liaison/seal.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "liaison/workflow.h"
#include "gen.h"

ProtobufCBinaryData
gen_bin(const void *p, size_t n)
{
	ProtobufCBinaryData	b = { n, (uint8_t *) (uintptr_t) p };

	return (b);
}

/* Packs a body message; *lenp bytes, malloc'd. */
uint8_t *
gen_pack(const ProtobufCMessage *m, size_t *lenp)
{
	uint8_t	*b;

	*lenp = protobuf_c_message_get_packed_size(m);
	if ((b = malloc(*lenp + 1)) == NULL)
		GEN_OK(LSN_ENOMEM);
	(void) protobuf_c_message_pack(m, b);
	return (b);
}

void
gen_fixed_id(const char *name, uint8_t id[16])
{
	uint8_t	s[32];

	vec_seed(name, s);
	memcpy(id, s, 16);
}

/*
 * Seals body to the recipients, sets env->sealed, and records the inputs
 * and intermediate values in v. The caller frees *sbp.
 */
static void
seal_into(Liaison__V1__Envelope *env, const uint8_t *body, size_t blen,
    const struct lsn_keypair *const *rk, const char *const *rp, size_t n,
    Liaison__V1__SealedBody **sbp, json_t *v)
{
	struct lsn_seal_rcpt	 r[4];
	uint8_t			 ad[LSN_SEAL_AD_MAX], ck[32];
	size_t			 adlen;

	for (size_t i = 0; i < n; i++) {
		r[i].partner = rp[i];
		r[i].pk = rk[i]->pk;
	}
	GEN_OK(lsn_seal_ad_env(env, ad, &adlen));
	GEN_OK(lsn_seal(body, blen, ad, adlen, r, n, sbp));
	GEN_OK(lsn_unseal_key(*sbp, rp[0], rk[0], ck));
	env->sealed = *sbp;
	json_object_set_new(v, "associated_data", vec_hex(ad, adlen));
	json_object_set_new(v, "content_key", vec_hex(ck, 32));
	json_object_set_new(v, "sealed", gen_msg(&(*sbp)->base));
	sodium_memzero(ck, sizeof(ck));
}

/* Signs env with kp and records everything a verifier recomputes. */
static json_t *
sign_vec(const char *name, const char *about, Liaison__V1__Envelope *env,
    const struct lsn_keypair *kp, const ProtobufCMessage *body, json_t *v,
    uint8_t **sep, size_t *selenp)
{
	Liaison__V1__SignedEnvelope	*se;
	Liaison__V1__Envelope		*pe;
	uint8_t				*eb, *sb, sig[64], h[32];
	size_t				 elen, slen;
	const char			*field = NULL;
	const char			*pfx = lsn_sig_prefix(LSN_SIG_ENVELOPE);
	uint8_t				*in;
	size_t				 inlen;

	if (v == NULL)
		v = json_object();
	if (lsn_envelope_sign_detached(env, kp, &eb, &elen, sig, &field) !=
	    LSN_OK) {
		fprintf(stderr, "gen_vectors: %s: field %s\n", name,
		    field ? field : "?");
		exit(1);
	}
	GEN_OK(lsn_envelope_wrap(eb, elen, sig, kp->label, kp->key_id, &sb,
	    &slen));
	inlen = strlen(pfx) + 1 + elen;
	if ((in = malloc(inlen)) == NULL)
		GEN_OK(LSN_ENOMEM);
	memcpy(in, pfx, strlen(pfx) + 1);
	memcpy(in + strlen(pfx) + 1, eb, elen);
	pe = liaison__v1__envelope__unpack(NULL, elen, eb);
	se = liaison__v1__signed_envelope__unpack(NULL, slen, sb);
	if (pe == NULL || se == NULL)
		GEN_OK(LSN_EPROTO);
	lsn_hash(eb, elen, h);
	json_object_set_new(v, "name", json_string(name));
	json_object_set_new(v, "about", json_string(about));
	json_object_set_new(v, "signer_key", json_string(kp->label));
	if (body != NULL)
		json_object_set_new(v, "body", gen_msg(body));
	json_object_set_new(v, "envelope", gen_msg(&pe->base));
	json_object_set_new(v, "signing_input", vec_hex(in, inlen));
	json_object_set_new(v, "signature", vec_hex(sig, 64));
	json_object_set_new(v, "envelope_hash", vec_hex(h, 32));
	json_object_set_new(v, "signed_envelope", gen_msg(&se->base));
	liaison__v1__envelope__free_unpacked(pe, NULL);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	free(in);
	free(eb);
	if (sep != NULL) {
		*sep = sb;
		*selenp = slen;
	} else
		free(sb);
	return (v);
}

/* An envelope with the fields every example shares. */
void
gen_env_init(Liaison__V1__Envelope *e, Liaison__V1__Handling *h,
    uint8_t id[16], const char *idname, int type, int tlp, uint64_t created,
    const struct lsn_keypair *kp)
{
	liaison__v1__envelope__init(e);
	e->sender = (char *) (uintptr_t) kp->label;
	e->sender_key_id = (char *) (uintptr_t) kp->key_id;
	liaison__v1__handling__init(h);
	gen_fixed_id(idname, id);
	e->has_version = 1;
	e->version = 1;
	e->has_message_id = 1;
	e->message_id = gen_bin(id, 16);
	e->has_created_ms = 1;
	e->created_ms = created;
	e->has_type = 1;
	e->type = (Liaison__V1__MessageType) type;
	h->has_tlp = 1;
	h->tlp = (Liaison__V1__Tlp) tlp;
	e->handling = h;
}

/* The GREEN note's SignedEnvelope, reused by the forward and the frames. */
static uint8_t	*note_se;
static size_t	 note_selen;
static uint8_t	 note_id[16];

static Liaison__V1__Indicator ind = LIAISON__V1__INDICATOR__INIT;

static json_t *
v_note(const struct gen_keys *k, uint64_t hrev, const uint8_t hh[32])
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__DirHead	dh = LIAISON__V1__DIR_HEAD__INIT;
	Liaison__V1__HandlingCode codes[1] = {
	    LIAISON__V1__HANDLING_CODE__HANDLING_H0 };
	char			*to[1] = { (char *) "nl-police" };
	uint8_t			 tid[16], *b;
	size_t			 blen;
	json_t			*v;

	gen_env_init(&e, &h, note_id, "message/note", 1, 2,
	    GEN_T0, k->au_sign);
	n.text = (char *) "Synthetic test note: please confirm the duty "
	    "desk for case AU-2026-0001.";
	b = gen_pack(&n.base, &blen);
	e.n_to = 1;
	e.to = to;
	h.n_codes = 1;
	h.codes = codes;
	e.has_priority = 1;
	e.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	e.case_ref = (char *) "AU-2026-0001";
	gen_fixed_id("thread/note", tid);
	e.has_thread_id = 1;
	e.thread_id = gen_bin(tid, 16);
	dh.has_rev = 1;
	dh.rev = hrev;
	dh.has_hash = 1;
	dh.hash = gen_bin(hh, 32);
	e.dir_head = &dh;
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	v = sign_vec("note_green", "TLP:GREEN Note from au-afp to nl-police, "
	    "plain body", &e, k->au_sign, &n.base, NULL, &note_se,
	    &note_selen);
	free(b);
	return (v);
}

static json_t *
v_referral(const struct gen_keys *k, uint8_t rid[16], uint8_t mid[16])
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__ReferralHandoff r = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction j = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__EvidenceDescriptor ev =
	    LIAISON__V1__EVIDENCE_DESCRIPTOR__INIT;
	Liaison__V1__Indicator	*inds[1] = { &ind };
	Liaison__V1__EvidenceDescriptor *evs[1] = { &ev };
	Liaison__V1__SealedBody	*sb = NULL;
	Liaison__V1__HandlingCode codes[2] = {
	    LIAISON__V1__HANDLING_CODE__HANDLING_H1,
	    LIAISON__V1__HANDLING_CODE__HANDLING_H2 };
	char			*to[2] = { (char *) "nl-police",
	    (char *) "be-hotline" };
	const struct lsn_keypair *rk[2] = { k->nl_enc, k->be_enc };
	const char		*rp[2] = { "nl-police", "be-hotline" };
	uint8_t			 eh[32], *b;
	size_t			 blen;
	json_t			*v = json_object();

	gen_env_init(&e, &h, mid, "message/referral", 4, 3,
	    GEN_T0 + 60000, k->au_sign);
	gen_fixed_id("referral/1", rid);
	r.has_referral_id = 1;
	r.referral_id = gen_bin(rid, 16);
	r.sender_case_ref = (char *) "AU-2026-0001";
	r.has_priority = 1;
	r.priority = LIAISON__V1__PRIORITY__PRIORITY_P2;
	r.has_category = 1;
	r.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
	j.country = (char *) "NL";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_OFFENDER_LOCATION;
	r.jurisdiction = &j;
	r.summary = (char *) "Synthetic case: an account is reported to "
	    "groom minors; subscriber data points to the Netherlands.";
	ind.has_kind = 1;
	ind.kind = LIAISON__V1__INDICATOR_KIND__INDICATOR_ACCOUNT;
	ind.value = (char *) "synthetic_user_01";
	ind.context = (char *) "example-platform";
	r.n_indicators = 1;
	r.indicators = inds;
	ev.hash_algorithm = (char *) "sha256";
	vec_seed("evidence/1", eh);
	ev.has_hash = 1;
	ev.hash = gen_bin(eh, 32);
	ev.has_size = 1;
	ev.size = 48213;
	ev.media_type = (char *) "image/jpeg";
	ev.holder_ref = (char *) "AFP-EV-0001";
	r.n_evidence = 1;
	r.evidence = evs;
	r.requested_action = (char *) "Identify the account holder.";
	r.has_response_deadline_ms = 1;
	r.response_deadline_ms = GEN_T0 + 7 * 86400000ULL;
	b = gen_pack(&r.base, &blen);
	e.n_to = 2;
	e.to = to;
	h.n_codes = 2;
	h.codes = codes;
	e.has_priority = 1;
	e.priority = LIAISON__V1__PRIORITY__PRIORITY_P2;
	e.case_ref = (char *) "AU-2026-0001";
	seal_into(&e, b, blen, rk, rp, 2, &sb, v);
	sign_vec("referral_amber_sealed", "TLP:AMBER ReferralHandoff from "
	    "au-afp to nl-police and be-hotline, body sealed to both", &e,
	    k->au_sign, &r.base, v, NULL, NULL);
	lsn_sealed_free(&sb);
	free(b);
	return (v);
}

static json_t *
v_referral_accept(const struct gen_keys *k, const uint8_t rid[16],
    const uint8_t rmid[16])
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__ReferralResponse r = LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	char			*to[1] = { (char *) "au-afp" };
	const struct lsn_keypair *rk[1] = { k->au_enc };
	const char		*rp[1] = { "au-afp" };
	uint8_t			 id[16], *b;
	size_t			 blen;
	json_t			*v = json_object();

	gen_env_init(&e, &h, id, "message/referral-accept", 5, 3,
	    GEN_T0 + 120000, k->nl_sign);
	r.has_referral_id = 1;
	r.referral_id = gen_bin(rid, 16);
	r.has_action = 1;
	r.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT;
	r.recipient_case_ref = (char *) "NL-2026-0042";
	b = gen_pack(&r.base, &blen);
	e.n_to = 1;
	e.to = to;
	e.has_in_reply_to = 1;
	e.in_reply_to = gen_bin(rmid, 16);
	seal_into(&e, b, blen, rk, rp, 1, &sb, v);
	sign_vec("referral_accept", "ReferralResponse ACCEPT from nl-police "
	    "to au-afp: referral_id binds it to the handoff, in_reply_to to "
	    "the handoff's envelope; sealed (TLP:AMBER like the handoff)", &e,
	    k->nl_sign, &r.base, v, NULL, NULL);
	lsn_sealed_free(&sb);
	free(b);
	return (v);
}

static void
v_meeting(const struct gen_keys *k, json_t *a)
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__MeetingNotice n = LIAISON__V1__MEETING_NOTICE__INIT;
	Liaison__V1__MeetingResponse r = LIAISON__V1__MEETING_RESPONSE__INIT;
	Liaison__V1__Venue	ve = LIAISON__V1__VENUE__INIT;
	Liaison__V1__Delegate	dl = LIAISON__V1__DELEGATE__INIT, *dls[1];
	char			*groups[1] = { (char *) "ops-room" };
	char			*to[1] = { (char *) "au-afp" };
	char			*agenda[2] = { (char *) "Case round",
	    (char *) "Next steps" };
	char			*langs[1] = { (char *) "en" };
	uint8_t			 mid[16], nid[16], rid[16], *b;
	size_t			 blen;

	gen_env_init(&e, &h, nid, "message/meeting", 2, 2,
	    GEN_T0 + 180000, k->au_sign);
	gen_fixed_id("meeting/1", mid);
	n.has_meeting_id = 1;
	n.meeting_id = gen_bin(mid, 16);
	n.has_version = 1;
	n.version = 1;
	n.title = (char *) "Operational meeting (synthetic)";
	n.has_kind = 1;
	n.kind = LIAISON__V1__MEETING_KIND__MEETING_OPERATIONAL;
	n.organiser_partner = (char *) "au-afp";
	n.organiser_contact = (char *) "duty-desk";
	n.has_start_ms = 1;
	n.start_ms = GEN_T0 + 14 * 86400000ULL;
	n.has_end_ms = 1;
	n.end_ms = n.start_ms + 7200000;
	n.time_zone = (char *) "Europe/Amsterdam";
	ve.name = (char *) "Conference room 1";
	ve.city = (char *) "The Hague";
	ve.country = (char *) "NL";
	n.venue = &ve;
	n.n_agenda = 2;
	n.agenda = agenda;
	n.n_languages = 1;
	n.languages = langs;
	n.has_status = 1;
	n.status = LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED;
	b = gen_pack(&n.base, &blen);
	e.n_to_groups = 1;
	e.to_groups = groups;
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	json_array_append_new(a, sign_vec("meeting_notice", "MeetingNotice "
	    "version 1 from au-afp to the group ops-room", &e, k->au_sign,
	    &n.base, NULL, NULL, NULL));
	free(b);

	gen_env_init(&e, &h, rid, "message/rsvp", 3, 2,
	    GEN_T0 + 240000, k->nl_sign);
	r.has_meeting_id = 1;
	r.meeting_id = gen_bin(mid, 16);
	r.has_version = 1;
	r.version = 1;
	r.has_answer = 1;
	r.answer = LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING;
	dl.name = (char *) "Delegate A (synthetic)";
	dl.role = (char *) "Case officer";
	dls[0] = &dl;
	r.n_delegates = 1;
	r.delegates = dls;
	b = gen_pack(&r.base, &blen);
	e.n_to = 1;
	e.to = to;
	e.has_in_reply_to = 1;
	e.in_reply_to = gen_bin(nid, 16);
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	json_array_append_new(a, sign_vec("meeting_rsvp", "MeetingResponse "
	    "(RSVP) from nl-police: meeting_id and version bind it to the "
	    "notice, in_reply_to to the notice's envelope", &e, k->nl_sign,
	    &r.base, NULL, NULL, NULL));
	free(b);
}

static void
v_alert(const struct gen_keys *k, json_t *a)
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__Alert	al = LIAISON__V1__ALERT__INIT;
	Liaison__V1__AlertAck	ack = LIAISON__V1__ALERT_ACK__INIT;
	Liaison__V1__Indicator	*inds[1] = { &ind };
	char			*to[1] = { (char *) "nl-police" };
	char			*back[1] = { (char *) "au-afp" };
	uint8_t			 aid[16], mid[16], kid[16], *b;
	size_t			 blen;

	gen_env_init(&e, &h, mid, "message/alert", 7, 2,
	    GEN_T0 + 300000, k->au_sign);
	gen_fixed_id("alert/1", aid);
	al.has_alert_id = 1;
	al.alert_id = gen_bin(aid, 16);
	al.has_kind = 1;
	al.kind = LIAISON__V1__ALERT_KIND__ALERT_THREAT_WARNING;
	al.has_priority = 1;
	al.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	al.summary = (char *) "Synthetic warning: the account below is "
	    "contacting minors on several platforms.";
	al.n_indicators = 1;
	al.indicators = inds;
	al.has_valid_from_ms = 1;
	al.valid_from_ms = GEN_T0;
	b = gen_pack(&al.base, &blen);
	e.n_to = 1;
	e.to = to;
	e.has_priority = 1;
	e.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	json_array_append_new(a, sign_vec("alert", "Alert P1 from au-afp to "
	    "nl-police", &e, k->au_sign, &al.base, NULL, NULL, NULL));
	free(b);

	gen_env_init(&e, &h, kid, "message/alert-ack", 11, 2,
	    GEN_T0 + 360000, k->nl_sign);
	ack.has_alert_id = 1;
	ack.alert_id = gen_bin(aid, 16);
	ack.text = (char *) "Received, checking.";
	b = gen_pack(&ack.base, &blen);
	e.n_to = 1;
	e.to = back;
	e.has_in_reply_to = 1;
	e.in_reply_to = gen_bin(mid, 16);
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	json_array_append_new(a, sign_vec("alert_ack", "AlertAck from "
	    "nl-police: alert_id binds it to the alert", &e, k->nl_sign,
	    &ack.base, NULL, NULL, NULL));
	free(b);
}

/* The DELIVERED receipt for the note and the envelope carrying it. */
/*
 * A batch DELIVERED receipt (section 10, batch form) naming the note and a
 * second message: id 16 x 0x11, hash BLAKE2b-256("second envelope").
 */
static json_t *
v_receipt_batch(const struct gen_keys *k, const uint8_t note_eh[32])
{
	Liaison__V1__SignedReceipt *sr;
	Liaison__V1__Receipt	*r;
	const char		*pfx = lsn_sig_prefix(LSN_SIG_RECEIPT);
	uint8_t			 ids[2][16], hs[2][32], *buf, *in;
	size_t			 len, inlen;
	json_t			*v = json_object();

	memcpy(ids[0], note_id, 16);
	memcpy(hs[0], note_eh, 32);
	memset(ids[1], 0x11, 16);
	lsn_hash("second envelope", 15, hs[1]);
	GEN_OK(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, 2, 1, GEN_T0 + 6000, "nl-police",
	    k->nl_sign, &buf, &len));
	if ((sr = liaison__v1__signed_receipt__unpack(NULL, len, buf)) ==
	    NULL || (r = liaison__v1__receipt__unpack(NULL, sr->receipt.len,
	    sr->receipt.data)) == NULL)
		GEN_OK(LSN_EPROTO);
	inlen = strlen(pfx) + 1 + sr->receipt.len;
	if ((in = malloc(inlen)) == NULL)
		GEN_OK(LSN_ENOMEM);
	memcpy(in, pfx, strlen(pfx) + 1);
	memcpy(in + strlen(pfx) + 1, sr->receipt.data, sr->receipt.len);
	json_object_set_new(v, "name", json_string("receipt_batch"));
	json_object_set_new(v, "about", json_string("batch DELIVERED receipt "
	    "signed by nl-police for note_green and a second message (id 16 "
	    "x 0x11, envelope hash BLAKE2b-256(\"second envelope\")): "
	    "message_id and envelope_hash absent, batch_message_ids and "
	    "batch_envelope_hashes pairwise"));
	json_object_set_new(v, "receipt", gen_msg(&r->base));
	json_object_set_new(v, "signing_input", vec_hex(in, inlen));
	json_object_set_new(v, "signed_receipt", gen_msg(&sr->base));
	liaison__v1__receipt__free_unpacked(r, NULL);
	liaison__v1__signed_receipt__free_unpacked(sr, NULL);
	free(in);
	free(buf);
	return (v);
}

static json_t *
v_receipt(const struct gen_keys *k)
{
	Liaison__V1__SignedReceipt *sr;
	Liaison__V1__Receipt	*r;
	Liaison__V1__SignedEnvelope *se;
	Liaison__V1__Envelope	 e;
	Liaison__V1__Handling	 h;
	const char		*pfx = lsn_sig_prefix(LSN_SIG_RECEIPT);
	char			*to[1] = { (char *) "au-afp" };
	uint8_t			 eh[32], *buf, *in, id[16];
	size_t			 len, inlen;
	json_t			*v = json_object(), *c;

	se = liaison__v1__signed_envelope__unpack(NULL, note_selen, note_se);
	if (se == NULL)
		GEN_OK(LSN_EPROTO);
	lsn_hash(se->envelope.data, se->envelope.len, eh);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	GEN_OK(lsn_receipt_sign(note_id, eh, 1, GEN_T0 + 5000, "nl-police",
	    k->nl_sign, &buf, &len));
	if ((sr = liaison__v1__signed_receipt__unpack(NULL, len, buf)) ==
	    NULL || (r = liaison__v1__receipt__unpack(NULL, sr->receipt.len,
	    sr->receipt.data)) == NULL)
		GEN_OK(LSN_EPROTO);
	inlen = strlen(pfx) + 1 + sr->receipt.len;
	if ((in = malloc(inlen)) == NULL)
		GEN_OK(LSN_ENOMEM);
	memcpy(in, pfx, strlen(pfx) + 1);
	memcpy(in + strlen(pfx) + 1, sr->receipt.data, sr->receipt.len);
	json_object_set_new(v, "name", json_string("receipt_delivered"));
	json_object_set_new(v, "about", json_string("DELIVERED receipt "
	    "signed by nl-police for note_green"));
	json_object_set_new(v, "receipt", gen_msg(&r->base));
	json_object_set_new(v, "signing_input", vec_hex(in, inlen));
	json_object_set_new(v, "signed_receipt", gen_msg(&sr->base));
	/* the carrier: type RECEIPT, body = SignedReceipt, P4, GREEN */
	gen_env_init(&e, &h, id, "message/receipt", 8, 2,
	    GEN_T0 + 5000, k->nl_sign);
	e.n_to = 1;
	e.to = to;
	e.has_in_reply_to = 1;
	e.in_reply_to = gen_bin(note_id, 16);
	e.has_priority = 1;
	e.priority = LIAISON__V1__PRIORITY__PRIORITY_P4;
	e.has_body = 1;
	e.body = gen_bin(buf, len);
	c = sign_vec("receipt_carrier", "the envelope carrying the receipt: "
	    "type RECEIPT from nl-police to au-afp, in_reply_to = the note",
	    &e, k->nl_sign, NULL, NULL, NULL, NULL);
	json_object_set_new(v, "carrier", c);
	json_object_set_new(v, "batch", v_receipt_batch(k, eh));
	liaison__v1__receipt__free_unpacked(r, NULL);
	liaison__v1__signed_receipt__free_unpacked(sr, NULL);
	free(in);
	free(buf);
	return (v);
}

static json_t *
v_forward(const struct gen_keys *k)
{
	Liaison__V1__Envelope	e;
	Liaison__V1__Handling	h;
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__HandlingCode codes[1] = {
	    LIAISON__V1__HANDLING_CODE__HANDLING_H0 };
	char			*to[1] = { (char *) "be-hotline" };
	uint8_t			 id[16], *b;
	size_t			 blen;
	json_t			*v;

	gen_env_init(&e, &h, id, "message/forward", 1, 2,
	    GEN_T0 + 420000, k->nl_sign);
	n.text = (char *) "Forwarded for your information.";
	b = gen_pack(&n.base, &blen);
	e.n_to = 1;
	e.to = to;
	h.n_codes = 1;
	h.codes = codes;
	e.has_body = 1;
	e.body = gen_bin(b, blen);
	e.has_forwarded = 1;
	e.forwarded = gen_bin(note_se, note_selen);
	v = sign_vec("forward", "nl-police forwards note_green to be-hotline: "
	    "a Note whose envelope carries the original SignedEnvelope bytes "
	    "in `forwarded`", &e, k->nl_sign, &n.base, NULL, NULL, NULL);
	free(b);
	return (v);
}


/* One body refusal: the code and field lsn_body_validate gives. */
static json_t *
refusal(const char *about, int type, const uint8_t *b, size_t len)
{
	const ProtobufCEnumValue	*ev;
	const char			*field = NULL;
	json_t				*v = json_object();
	int				 rv;

	rv = lsn_body_validate(type, b, len, 0, &field);
	ev = protobuf_c_enum_descriptor_get_value(
	    &liaison__v1__error_code__descriptor, -rv);
	json_object_set_new(v, "about", json_string(about));
	json_object_set_new(v, "type", json_string(
	    protobuf_c_enum_descriptor_get_value(
	    &liaison__v1__message_type__descriptor, type)->name));
	json_object_set_new(v, "body", vec_hex(b, len));
	json_object_set_new(v, "code", json_string(ev != NULL ? ev->name :
	    "?"));
	json_object_set_new(v, "field", json_string(field != NULL ? field :
	    ""));
	return (v);
}

/*
 * Bodies a receiver (and the agent on submit) refuses, with the code the
 * library answers: docs/protocol.md lists each case with its code, and
 * check_vectors.py compares the two.
 */
static json_t *
v_refusals(void)
{
	Liaison__V1__Note		n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__MeetingResponse	r = LIAISON__V1__MEETING_RESPONSE__INIT;
	Liaison__V1__ReferralResponse	rr =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	uint8_t				 buf[128], *b, mid[16];
	size_t				 len;
	json_t				*a = json_array();

	n.text = (char *) "hello";
	b = gen_pack(&n.base, &len);
	json_array_append_new(a, refusal("a valid Note", 1, b, len));
	/* field 99, length-delimited, 1 byte: an unknown field */
	memcpy(buf, b, len);
	buf[len] = 0x9a;
	buf[len + 1] = 0x06;
	buf[len + 2] = 0x01;
	buf[len + 3] = 0x78;
	json_array_append_new(a, refusal("unknown field", 1, buf, len + 4));
	/* the text field twice: parses (the last wins) but is not canonical */
	memcpy(buf + len, b, len);
	json_array_append_new(a, refusal("field given twice", 1, buf,
	    2 * len));
	free(b);
	n.text = NULL;
	b = gen_pack(&n.base, &len);
	json_array_append_new(a, refusal("required field missing", 1, b,
	    len));
	free(b);
	buf[0] = 0x0a;
	buf[1] = 0x02;
	buf[2] = 0xc3;
	buf[3] = 0x28;
	json_array_append_new(a, refusal("text not UTF-8", 1, buf, 4));
	gen_fixed_id("meeting/1", mid);
	r.has_meeting_id = 1;
	r.meeting_id = gen_bin(mid, 16);
	r.has_version = 1;
	r.version = 1;
	r.has_answer = 1;
	r.answer = (Liaison__V1__RsvpAnswer) 9;
	b = gen_pack(&r.base, &len);
	json_array_append_new(a, refusal("enum value not named", 3, b, len));
	free(b);
	r.meeting_id.len = 8;
	r.answer = LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING;
	b = gen_pack(&r.base, &len);
	json_array_append_new(a, refusal("id not 16 bytes", 3, b, len));
	free(b);
	rr.has_referral_id = 1;
	rr.referral_id = gen_bin(mid, 16);
	rr.has_action = 1;
	rr.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE;
	b = gen_pack(&rr.base, &len);
	json_array_append_new(a, refusal("DECLINE without decline_reason", 5,
	    b, len));
	free(b);
	return (a);
}

json_t *
gen_envelopes(const struct gen_keys *k, uint64_t hrev,
    const uint8_t hh[32])
{
	json_t	*v = json_object(), *a = json_array();
	uint8_t	 rid[16], rmid[16];

	json_object_set_new(v, "about", json_string("Signed envelopes. "
	    "signing_input = \"liaison/envelope/v1\" || 0x00 || envelope "
	    "bytes; envelope_hash = BLAKE2b-256(envelope bytes). Sealed "
	    "bodies: see docs/protocol.md section 8."));
	json_array_append_new(a, v_note(k, hrev, hh));
	json_array_append_new(a, v_referral(k, rid, rmid));
	json_array_append_new(a, v_referral_accept(k, rid, rmid));
	v_meeting(k, a);
	v_alert(k, a);
	json_array_append_new(a, v_forward(k));
	json_object_set_new(v, "envelopes", a);
	{
		uint8_t	 nid[16];
		json_t	*r = json_object();

		GEN_OK(lsn_referral_redirect_id(rid, "be-hotline", nid));
		json_object_set_new(r, "about", json_string("the referral id "
		    "of the linked referral a REDIRECT to be-hotline creates"));
		json_object_set_new(r, "referral_id", vec_hex(rid, 16));
		json_object_set_new(r, "redirect_to", json_string(
		    "be-hotline"));
		json_object_set_new(r, "redirected_id", vec_hex(nid, 16));
		json_object_set_new(v, "redirect_id", r);
	}
	json_object_set_new(v, "receipt", v_receipt(k));
	json_object_set_new(v, "envelope_batch", gen_env_batch(k));
	json_object_set_new(v, "body_refusals", v_refusals());
	return (v);
}

void
gen_note(const uint8_t **se, size_t *selen, const uint8_t **id)
{
	*se = note_se;
	*selen = note_selen;
	*id = note_id;
}

void
gen_env_done(void)
{
	free(note_se);
	note_se = NULL;
}
