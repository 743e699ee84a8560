/* test_body.c -- typed body validation: every type valid, every invalid
 * field refused with its name, unknown fields refused, the media rule. */
#include "lsn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.pb-c.h"

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#define NOW		1700000000000ULL
#define HOUR		(3600ULL * 1000)
#define TY(x)		LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_##x
#define SAFEGUARDED	LIAISON__V1__CLOSE_OUTCOME__OUTCOME_VICTIM_SAFEGUARDED

/* Every body type, valid, with room for mutations. */
struct fx {
	Liaison__V1__Note		 note;
	Liaison__V1__MeetingNotice	 mn;
	Liaison__V1__Venue		 venue;
	Liaison__V1__MeetingResponse	 mr;
	Liaison__V1__Delegate		 dl[40];
	Liaison__V1__Delegate		*dlp[40];
	Liaison__V1__ReferralHandoff	 rh;
	Liaison__V1__Jurisdiction	 jur;
	Liaison__V1__Indicator		 ind[300];
	Liaison__V1__Indicator		*indp[300];
	Liaison__V1__EvidenceDescriptor	 ev[300];
	Liaison__V1__EvidenceDescriptor	*evp[300];
	Liaison__V1__ReferralResponse	 rr;
	Liaison__V1__ContactUpdate	 cu;
	Liaison__V1__ContactCheck	 cc;
	Liaison__V1__ContactConfirmed	 cf;
	Liaison__V1__Alert		 al;
	Liaison__V1__AlertAck		 aa;
	Liaison__V1__SignedReceipt	 sr;
	char				*agenda[70];
	char				*langs[20];
	uint8_t				 id[16];
	uint8_t				 id2[20];
	uint8_t				 hash[80];
	uint8_t				 op[64];
	uint8_t				 sig[64];
	uint8_t				 rcpt[LSN_BODY_RECEIPT_MAX + 8];
	uint8_t				 key[32];
	char				 big[LSN_BODY_TEXT_MAX + 8];
	uint8_t				 buf[LSN_BODY_MAX];
	size_t				 len;
};

static struct fx	*F;

static char s_text[] = "Plenary logistics confirmed; see agenda.";
static char s_title[] = "Specialist Group plenary 2027";
static char s_org[] = "int-interpol";
static char s_contact[] = "vid-desk";
static char s_tz[] = "Europe/Paris";
static char s_vname[] = "INTERPOL General Secretariat";
static char s_city[] = "Lyon";
static char s_fr[] = "FR";
static char s_link[] = "https://meet.example.org/sgcac";
static char s_item1[] = "Victim identification update";
static char s_item2[] = "Sextortion working group";
static char s_en[] = "en";
static char s_frfr[] = "fr-FR";
static char s_dname[] = "Jane Example";
static char s_drole[] = "Head of unit";
static char s_rnote[] = "Two delegates confirmed.";
static char s_case[] = "AFP-2026-0042";
static char s_summary[] = "Account distributing CSAM via file host; "
    "victim believed in jurisdiction.";
static char s_url[] = "https://files.example.com/f/abc";
static char s_acct[] = "example_handle";
static char s_platform[] = "example-chat";
static char s_ip[] = "192.0.2.44";
static char s_hexh[] = "9f86d081884c7d65";
static char s_sha[] = "sha256";
static char s_mt[] = "image/jpeg";
static char s_holder[] = "AFP evidence locker ref EV-77";
static char s_action[] = "Identify and safeguard the victim.";
static char s_au[] = "AU";
static char s_cid[] = "duty-officer";
static char s_signer[] = "uk-ceop";
static char s_kid[] = "0123456789abcdef";
static char s_nzp[] = "nz-police";

static void
fill_indicator(Liaison__V1__Indicator *ind, int kind)
{
	Liaison__V1__Indicator i0 = LIAISON__V1__INDICATOR__INIT;

	*ind = i0;
	ind->has_kind = 1;
	ind->kind = (Liaison__V1__IndicatorKind) kind;
	switch (kind) {
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_URL:
		ind->value = s_url;
		break;
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_ACCOUNT:
		ind->value = s_acct;
		ind->context = s_platform;
		break;
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_IP:
		ind->value = s_ip;
		ind->has_observed_ms = 1;
		ind->observed_ms = NOW - HOUR;
		break;
	default:
		ind->value = s_hexh;
		ind->context = s_sha;
		break;
	}
}

static void
fill_evidence(Liaison__V1__EvidenceDescriptor *e)
{
	Liaison__V1__EvidenceDescriptor e0 =
	    LIAISON__V1__EVIDENCE_DESCRIPTOR__INIT;

	*e = e0;
	e->hash_algorithm = s_sha;
	e->has_hash = 1;
	e->hash.data = F->hash;
	e->hash.len = 32;
	e->has_size = 1;
	e->size = 123456;
	e->media_type = s_mt;
	e->holder_ref = s_holder;
}

static int
reset(void **state)
{
	struct fx *f = F;
	Liaison__V1__Note n0 = LIAISON__V1__NOTE__INIT;
	Liaison__V1__MeetingNotice mn0 = LIAISON__V1__MEETING_NOTICE__INIT;
	Liaison__V1__Venue v0 = LIAISON__V1__VENUE__INIT;
	Liaison__V1__MeetingResponse mr0 =
	    LIAISON__V1__MEETING_RESPONSE__INIT;
	Liaison__V1__Delegate d0 = LIAISON__V1__DELEGATE__INIT;
	Liaison__V1__ReferralHandoff rh0 =
	    LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction j0 = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__ReferralResponse rr0 =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__ContactUpdate cu0 = LIAISON__V1__CONTACT_UPDATE__INIT;
	Liaison__V1__ContactCheck cc0 = LIAISON__V1__CONTACT_CHECK__INIT;
	Liaison__V1__ContactConfirmed cf0 =
	    LIAISON__V1__CONTACT_CONFIRMED__INIT;
	Liaison__V1__Alert al0 = LIAISON__V1__ALERT__INIT;
	Liaison__V1__AlertAck aa0 = LIAISON__V1__ALERT_ACK__INIT;
	Liaison__V1__SignedReceipt sr0 = LIAISON__V1__SIGNED_RECEIPT__INIT;

	(void) state;
	memset(f->id, 0x11, sizeof(f->id));
	memset(f->id2, 0x22, sizeof(f->id2));
	memset(f->hash, 0xab, sizeof(f->hash));
	memset(f->op, 0x5a, sizeof(f->op));
	memset(f->sig, 0x33, sizeof(f->sig));
	memset(f->rcpt, 0x44, sizeof(f->rcpt));
	memset(f->key, 0x66, sizeof(f->key));
	memset(f->big, 'a', sizeof(f->big));
	f->big[sizeof(f->big) - 1] = '\0';

	f->note = n0;
	f->note.text = s_text;

	f->mn = mn0;
	f->venue = v0;
	f->venue.name = s_vname;
	f->venue.city = s_city;
	f->venue.country = s_fr;
	f->mn.has_meeting_id = 1;
	f->mn.meeting_id.data = f->id;
	f->mn.meeting_id.len = 16;
	f->mn.has_version = 1;
	f->mn.version = 1;
	f->mn.title = s_title;
	f->mn.has_kind = 1;
	f->mn.kind = LIAISON__V1__MEETING_KIND__MEETING_PLENARY;
	f->mn.organiser_partner = s_org;
	f->mn.organiser_contact = s_contact;
	f->mn.has_start_ms = 1;
	f->mn.start_ms = NOW + 30 * 24 * HOUR;
	f->mn.has_end_ms = 1;
	f->mn.end_ms = f->mn.start_ms + 8 * HOUR;
	f->mn.time_zone = s_tz;
	f->mn.venue = &f->venue;
	f->mn.virtual_link = s_link;
	f->agenda[0] = s_item1;
	f->agenda[1] = s_item2;
	f->mn.n_agenda = 2;
	f->mn.agenda = f->agenda;
	f->langs[0] = s_en;
	f->langs[1] = s_frfr;
	f->mn.n_languages = 2;
	f->mn.languages = f->langs;
	f->mn.has_registration_deadline_ms = 1;
	f->mn.registration_deadline_ms = f->mn.start_ms - 7 * 24 * HOUR;
	f->mn.has_delegates_per_member = 1;
	f->mn.delegates_per_member = 3;
	f->mn.has_status = 1;
	f->mn.status = LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED;

	f->mr = mr0;
	for (int i = 0; i < 40; i++) {
		f->dl[i] = d0;
		f->dl[i].name = s_dname;
		f->dl[i].role = s_drole;
		f->dlp[i] = &f->dl[i];
	}
	f->mr.has_meeting_id = 1;
	f->mr.meeting_id.data = f->id;
	f->mr.meeting_id.len = 16;
	f->mr.has_version = 1;
	f->mr.version = 1;
	f->mr.has_answer = 1;
	f->mr.answer = LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING;
	f->mr.n_delegates = 2;
	f->mr.delegates = f->dlp;
	f->mr.note = s_rnote;

	f->rh = rh0;
	f->jur = j0;
	f->jur.country = s_au;
	f->jur.has_basis = 1;
	f->jur.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	for (int i = 0; i < 300; i++) {
		fill_indicator(&f->ind[i], 1 + i % 4);
		f->indp[i] = &f->ind[i];
		fill_evidence(&f->ev[i]);
		f->evp[i] = &f->ev[i];
	}
	f->rh.has_referral_id = 1;
	f->rh.referral_id.data = f->id;
	f->rh.referral_id.len = 16;
	f->rh.sender_case_ref = s_case;
	f->rh.has_priority = 1;
	f->rh.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	f->rh.has_category = 1;
	f->rh.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_SEXTORTION;
	f->rh.jurisdiction = &f->jur;
	f->rh.summary = s_summary;
	f->rh.n_indicators = 4;
	f->rh.indicators = f->indp;
	f->rh.n_evidence = 2;
	f->rh.evidence = f->evp;
	f->rh.requested_action = s_action;
	f->rh.has_response_deadline_ms = 1;
	f->rh.response_deadline_ms = NOW + 24 * HOUR;

	f->rr = rr0;
	f->rr.has_referral_id = 1;
	f->rr.referral_id.data = f->id;
	f->rr.referral_id.len = 16;
	f->rr.has_action = 1;
	f->rr.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK;

	f->cu = cu0;
	f->cu.has_change = 1;
	f->cu.change = LIAISON__V1__CONTACT_CHANGE__CONTACT_CHANGE;
	f->cu.contact_id = s_cid;
	f->cu.has_signed_dir_op = 1;
	f->cu.signed_dir_op.data = f->op;
	f->cu.signed_dir_op.len = sizeof(f->op);

	f->cc = cc0;
	f->cc.contact_id = s_cid;
	f->cc.has_check_id = 1;
	f->cc.check_id = 7;

	f->cf = cf0;
	f->cf.contact_id = s_cid;
	f->cf.has_check_id = 1;
	f->cf.check_id = 7;
	f->cf.has_signed_dir_op = 1;
	f->cf.signed_dir_op.data = f->op;
	f->cf.signed_dir_op.len = sizeof(f->op);

	f->al = al0;
	f->al.has_alert_id = 1;
	f->al.alert_id.data = f->id;
	f->al.alert_id.len = 16;
	f->al.has_kind = 1;
	f->al.kind = LIAISON__V1__ALERT_KIND__ALERT_TRAVELLING_OFFENDER;
	f->al.has_priority = 1;
	f->al.priority = LIAISON__V1__PRIORITY__PRIORITY_P2;
	f->al.summary = s_summary;
	f->al.n_indicators = 2;
	f->al.indicators = f->indp;
	f->al.has_valid_from_ms = 1;
	f->al.valid_from_ms = NOW;
	f->al.has_valid_until_ms = 1;
	f->al.valid_until_ms = NOW + 72 * HOUR;

	f->aa = aa0;
	f->aa.has_alert_id = 1;
	f->aa.alert_id.data = f->id;
	f->aa.alert_id.len = 16;
	f->aa.text = s_text;

	f->sr = sr0;
	f->sr.has_receipt = 1;
	f->sr.receipt.data = f->rcpt;
	f->sr.receipt.len = 90;
	f->sr.has_signature = 1;
	f->sr.signature.data = f->sig;
	f->sr.signature.len = 64;
	f->sr.signer = s_signer;
	f->sr.key_id = s_kid;
	return (0);
}

static int
setup(void **state)
{
	(void) state;
	if (lsn_init() != LSN_OK)
		return (-1);
	if ((F = calloc(1, sizeof(*F))) == NULL)
		return (-1);
	return (reset(NULL));
}

static int
teardown(void **state)
{
	(void) state;
	free(F);
	F = NULL;
	return (0);
}

/* The message of a type in the fixture. */
static ProtobufCMessage *
msg_for(int type)
{
	switch (type) {
	case TY(NOTE):			return (&F->note.base);
	case TY(MEETING_NOTICE):	return (&F->mn.base);
	case TY(MEETING_RESPONSE):	return (&F->mr.base);
	case TY(REFERRAL_HANDOFF):	return (&F->rh.base);
	case TY(REFERRAL_RESPONSE):	return (&F->rr.base);
	case TY(CONTACT_UPDATE):	return (&F->cu.base);
	case TY(ALERT):			return (&F->al.base);
	case TY(RECEIPT):		return (&F->sr.base);
	case TY(CONTACT_CHECK):		return (&F->cc.base);
	case TY(CONTACT_CONFIRMED):	return (&F->cf.base);
	case TY(ALERT_ACK):		return (&F->aa.base);
	}
	return (NULL);
}

/* Packs the fixture's message of `type` and validates it. */
static int
check(int type, const char **fieldp)
{
	ProtobufCMessage	*m = msg_for(type);
	size_t			 n;

	assert_non_null(m);
	n = protobuf_c_message_get_packed_size(m);
	assert_true(n <= sizeof(F->buf));
	F->len = protobuf_c_message_pack(m, F->buf);
	assert_int_equal(F->len, n);
	return (lsn_body_validate(type, F->buf, F->len, NOW, fieldp));
}

static void
test_body_every_type_valid(void **state)
{
	const char	*field = NULL;

	(void) state;
	for (int t = TY(NOTE); t <= TY(ALERT_ACK); t++) {
		int rv = check(t, &field);

		if (rv != LSN_OK)
			fail_msg("type %d (%s): %s, field %s", t,
			    lsn_envelope_type_name(t), lsn_errname(rv),
			    field != NULL ? field : "-");
		/* The unpacked form validates the same. */
		assert_ok(lsn_body_validate_msg(msg_for(t), NOW, &field));
		assert_int_equal(lsn_body_type_for(lsn_body_descriptor(t)), t);
	}
	/* A forwarding note with the inner content key. */
	F->note.has_forward_key = 1;
	F->note.forward_key.data = F->key;
	F->note.forward_key.len = LSN_BODY_FORWARD_KEY_BYTES;
	assert_ok(check(TY(NOTE), &field));
	assert_null(lsn_body_descriptor(0));
	assert_null(lsn_body_descriptor(12));
	assert_null(lsn_body_descriptor(99));
	assert_int_equal(lsn_body_type_for(&liaison__v1__venue__descriptor),
	    0);
}

/* ---- mutations: one per invalid field -------------------------------- */

struct mutation {
	const char	*name;
	int		 type;
	void		(*fn)(struct fx *);
	int		 want;
	const char	*field;
};

#define M(fname, body) static void fname(struct fx *f) { body; }

static char s_empty[] = "";
static char s_bad_utf8[] = "caf\xc3";
static char s_ctrl[] = "line\x01two";
static char s_bad_slug[] = "Not A Slug";
static char s_bad_country[] = "FRA";
static char s_bad_lang[] = "e";
static char s_bad_lang2[] = "en--GB";
static char s_bad_tz[] = "Europe//Paris";
static char s_bad_tz2[] = "/Paris";
static char s_space_link[] = "https://meet example";
static char s_bad_mt[] = "image";
static char s_bad_mt2[] = "image/j peg";
static char s_bad_alg[] = "SHA 256";
static char s_bad_hex[] = "xyz1";
static char s_odd_hex[] = "abc";

/* note */
M(m_note_missing, f->note.text = NULL)
M(m_note_empty, f->note.text = s_empty)
M(m_note_long, f->note.text = f->big)
M(m_note_utf8, f->note.text = s_bad_utf8)
M(m_note_ctrl, f->note.text = s_ctrl)
/* meeting notice */
M(m_mn_noid, f->mn.has_meeting_id = 0)
M(m_mn_id15, f->mn.meeting_id.len = 15)
M(m_mn_id17, f->mn.meeting_id.data = f->id2; f->mn.meeting_id.len = 17)
M(m_mn_version0, f->mn.version = 0)
M(m_mn_noversion, f->mn.has_version = 0)
M(m_mn_notitle, f->mn.title = NULL)
M(m_mn_title_long, f->big[LSN_BODY_TITLE_MAX + 1] = '\0';
    f->mn.title = f->big)
M(m_mn_nokind, f->mn.has_kind = 0)
M(m_mn_kind0, f->mn.kind = 0)
M(m_mn_kind99, f->mn.kind = 99)
M(m_mn_noorg, f->mn.organiser_partner = NULL)
M(m_mn_badorg, f->mn.organiser_partner = s_bad_slug)
M(m_mn_badcontact, f->mn.organiser_contact = s_bad_slug)
M(m_mn_nostart, f->mn.has_start_ms = 0)
M(m_mn_start0, f->mn.start_ms = 0)
M(m_mn_noend, f->mn.has_end_ms = 0)
M(m_mn_end_eq, f->mn.end_ms = f->mn.start_ms)
M(m_mn_end_before, f->mn.end_ms = f->mn.start_ms - 1)
M(m_mn_end_huge, f->mn.end_ms = 1ULL << 60)
M(m_mn_notz, f->mn.time_zone = NULL)
M(m_mn_badtz, f->mn.time_zone = s_bad_tz)
M(m_mn_badtz2, f->mn.time_zone = s_bad_tz2)
M(m_mn_nowhere, f->mn.venue = NULL; f->mn.virtual_link = NULL)
M(m_mn_venue_noname, f->venue.name = NULL)
M(m_mn_venue_city, f->venue.city = s_ctrl)
M(m_mn_venue_country, f->venue.country = s_bad_country)
M(m_mn_link_space, f->mn.virtual_link = s_space_link)
M(m_mn_link_long, f->big[LSN_BODY_LINK_MAX + 1] = '\0';
    f->mn.virtual_link = f->big)
M(m_mn_agenda_many, for (int i = 0; i < 65; i++) f->agenda[i] = s_item1;
    f->mn.n_agenda = 65)
M(m_mn_agenda_empty, f->agenda[1] = s_empty)
M(m_mn_agenda_long, f->big[LSN_BODY_AGENDA_ITEM_MAX + 1] = '\0';
    f->agenda[0] = f->big)
M(m_mn_langs_many, for (int i = 0; i < 17; i++) f->langs[i] = s_en;
    f->mn.n_languages = 17)
M(m_mn_lang_bad, f->langs[0] = s_bad_lang)
M(m_mn_lang_bad2, f->langs[1] = s_bad_lang2)
M(m_mn_regdl_late, f->mn.registration_deadline_ms = f->mn.end_ms + 1)
M(m_mn_regdl0, f->mn.registration_deadline_ms = 0)
M(m_mn_deleg0, f->mn.delegates_per_member = 0)
M(m_mn_deleg_many, f->mn.delegates_per_member = 33)
M(m_mn_nostatus, f->mn.has_status = 0)
M(m_mn_status9, f->mn.status = 9)
/* meeting response */
M(m_mr_noid, f->mr.has_meeting_id = 0)
M(m_mr_version0, f->mr.version = 0)
M(m_mr_noanswer, f->mr.has_answer = 0)
M(m_mr_answer0, f->mr.answer = 0)
M(m_mr_deleg_many, f->mr.n_delegates = 33)
M(m_mr_deleg_noname, f->dl[1].name = NULL)
M(m_mr_deleg_longname, f->big[LSN_BODY_PERSON_MAX + 1] = '\0';
    f->dl[0].name = f->big)
M(m_mr_deleg_role, f->dl[0].role = s_bad_utf8)
M(m_mr_deleg_notatt, f->mr.answer =
    LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING)
M(m_mr_note_long, f->big[LSN_BODY_NOTE_MAX + 1] = '\0';
    f->mr.note = f->big)
/* referral handoff */
M(m_rh_noid, f->rh.has_referral_id = 0)
M(m_rh_id15, f->rh.referral_id.len = 15)
M(m_rh_case_long, f->big[LSN_BODY_CASE_REF_MAX + 1] = '\0';
    f->rh.sender_case_ref = f->big)
M(m_rh_rcase_empty, f->rh.recipient_case_ref = s_empty)
M(m_rh_noprio, f->rh.has_priority = 0)
M(m_rh_prio5, f->rh.priority = 5)
M(m_rh_nocat, f->rh.has_category = 0)
M(m_rh_cat0, f->rh.category = 0)
M(m_rh_nojur, f->rh.jurisdiction = NULL)
M(m_rh_jur_country, f->jur.country = s_bad_country)
M(m_rh_jur_basis, f->jur.has_basis = 0)
M(m_rh_nosummary, f->rh.summary = NULL)
M(m_rh_summary_long, f->rh.summary = f->big)
M(m_rh_ind_many, f->rh.n_indicators = 257)
M(m_rh_ind_nokind, f->ind[0].has_kind = 0)
M(m_rh_ind_kind9, f->ind[0].kind = 9)
M(m_rh_ind_novalue, f->ind[0].value = NULL)
M(m_rh_ind_value_long, f->big[LSN_BODY_IND_VALUE_MAX + 1] = '\0';
    f->ind[0].value = f->big)
M(m_rh_ind_url_space, f->ind[0].value = s_space_link)
M(m_rh_ind_ctx_long, f->big[LSN_BODY_IND_CONTEXT_MAX + 1] = '\0';
    f->ind[0].context = f->big)
M(m_rh_ind_acct_noctx, f->ind[1].context = NULL)
M(m_rh_ind_ip_notime, f->ind[2].has_observed_ms = 0)
M(m_rh_ind_future, f->ind[2].observed_ms = NOW + 25 * HOUR)
M(m_rh_ind_time0, f->ind[2].observed_ms = 0)
M(m_rh_ind_hash_alg, f->ind[3].context = s_bad_alg)
M(m_rh_ind_hash_hex, f->ind[3].value = s_bad_hex)
M(m_rh_ind_hash_odd, f->ind[3].value = s_odd_hex)
M(m_rh_ev_many, f->rh.n_evidence = 257)
M(m_rh_ev_noalg, f->ev[0].hash_algorithm = NULL)
M(m_rh_ev_badalg, f->ev[0].hash_algorithm = s_bad_alg)
M(m_rh_ev_nohash, f->ev[0].has_hash = 0)
M(m_rh_ev_hash0, f->ev[0].hash.len = 0)
M(m_rh_ev_hash65, f->ev[0].hash.len = 65)
M(m_rh_ev_nosize, f->ev[1].has_size = 0)
M(m_rh_ev_size0, f->ev[1].size = 0)
M(m_rh_ev_nomt, f->ev[0].media_type = NULL)
M(m_rh_ev_badmt, f->ev[0].media_type = s_bad_mt)
M(m_rh_ev_badmt2, f->ev[0].media_type = s_bad_mt2)
M(m_rh_ev_noholder, f->ev[0].holder_ref = NULL)
M(m_rh_ev_holder_long, f->big[LSN_BODY_HOLDER_REF_MAX + 1] = '\0';
    f->ev[0].holder_ref = f->big)
M(m_rh_action_long, f->big[LSN_BODY_NOTE_MAX + 1] = '\0';
    f->rh.requested_action = f->big)
M(m_rh_deadline0, f->rh.response_deadline_ms = 0)
M(m_rh_redir15, f->rh.has_redirected_from = 1;
    f->rh.redirected_from.data = f->id; f->rh.redirected_from.len = 15)
/* referral response */
M(m_rr_noid, f->rr.has_referral_id = 0)
M(m_rr_noaction, f->rr.has_action = 0)
M(m_rr_action9, f->rr.action = 9)
M(m_rr_decline_noreason, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE)
M(m_rr_decline_other_notext, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE;
    f->rr.has_decline_reason = 1;
    f->rr.decline_reason = LIAISON__V1__DECLINE_REASON__DECLINE_OTHER)
M(m_rr_reason_on_ack, f->rr.has_decline_reason = 1;
    f->rr.decline_reason = LIAISON__V1__DECLINE_REASON__DECLINE_DUPLICATE)
M(m_rr_close_nooutcome, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE)
M(m_rr_close_outcome0, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE;
    f->rr.has_outcome = 1; f->rr.outcome = 0)
M(m_rr_outcome_on_ack, f->rr.has_outcome = 1;
    f->rr.outcome = LIAISON__V1__CLOSE_OUTCOME__OUTCOME_ARREST)
M(m_rr_redirect_noto, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT)
M(m_rr_redirect_badto, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT;
    f->rr.redirect_to = s_bad_slug)
M(m_rr_to_on_ack, f->rr.redirect_to = s_nzp)
M(m_rr_reqinfo_notext, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO)
M(m_rr_supply_notext, f->rr.action =
    LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO)
M(m_rr_text_long, f->rr.text = f->big)
M(m_rr_case_bad, f->rr.recipient_case_ref = s_ctrl)
/* contact update / check / confirmed */
M(m_cu_nochange, f->cu.has_change = 0)
M(m_cu_change9, f->cu.change = 9)
M(m_cu_nocid, f->cu.contact_id = NULL)
M(m_cu_badcid, f->cu.contact_id = s_bad_slug)
M(m_cu_noop, f->cu.has_signed_dir_op = 0)
M(m_cu_op0, f->cu.signed_dir_op.len = 0)
M(m_cc_nocid, f->cc.contact_id = NULL)
M(m_cc_nocheck, f->cc.has_check_id = 0)
M(m_cc_check0, f->cc.check_id = 0)
M(m_cf_badcid, f->cf.contact_id = s_bad_slug)
M(m_cf_check0, f->cf.check_id = 0)
M(m_cf_noop, f->cf.has_signed_dir_op = 0)
/* alert / ack */
M(m_al_noid, f->al.has_alert_id = 0)
M(m_al_nokind, f->al.has_kind = 0)
M(m_al_kind9, f->al.kind = 9)
M(m_al_noprio, f->al.has_priority = 0)
M(m_al_nosummary, f->al.summary = NULL)
M(m_al_summary_long, f->al.summary = f->big)
M(m_al_ind_many, f->al.n_indicators = 257)
M(m_al_ind_bad, f->ind[0].value = s_empty)
M(m_al_until_eq, f->al.valid_until_ms = f->al.valid_from_ms)
M(m_al_from0, f->al.valid_from_ms = 0)
M(m_al_until_huge, f->al.valid_until_ms = UINT64_MAX)
M(m_aa_noid, f->aa.has_alert_id = 0)
M(m_aa_id17, f->aa.alert_id.data = f->id2; f->aa.alert_id.len = 17)
M(m_aa_text_long, f->aa.text = f->big)
/* signed receipt (shape) */
M(m_sr_noreceipt, f->sr.has_receipt = 0)
M(m_sr_receipt_big, f->sr.receipt.len = LSN_BODY_RECEIPT_MAX + 1)
M(m_sr_sig63, f->sr.signature.len = 63)
M(m_sr_nosigner, f->sr.signer = NULL)
M(m_sr_badkid, f->sr.key_id = s_bad_slug)
M(m_note_key31, f->note.has_forward_key = 1;
    f->note.forward_key.data = f->key; f->note.forward_key.len = 31)
M(m_note_key33, f->note.has_forward_key = 1;
    f->note.forward_key.data = f->key; f->note.forward_key.len = 33)

#define MN	TY(MEETING_NOTICE)
#define MR	TY(MEETING_RESPONSE)
#define RH	TY(REFERRAL_HANDOFF)
#define RR	TY(REFERRAL_RESPONSE)
#define EI	LSN_EINVAL
#define EB	LSN_ETOOBIG

static const struct mutation mutations[] = {
	{ "note missing", TY(NOTE), m_note_missing, EI, "text" },
	{ "note empty", TY(NOTE), m_note_empty, EI, "text" },
	{ "note too long", TY(NOTE), m_note_long, EB, "text" },
	{ "note bad utf-8", TY(NOTE), m_note_utf8, EI, "text" },
	{ "note control", TY(NOTE), m_note_ctrl, EI, "text" },
	{ "mn no id", MN, m_mn_noid, EI, "meeting_id" },
	{ "mn id 15", MN, m_mn_id15, EI, "meeting_id" },
	{ "mn id 17", MN, m_mn_id17, EI, "meeting_id" },
	{ "mn version 0", MN, m_mn_version0, EI, "version" },
	{ "mn no version", MN, m_mn_noversion, EI, "version" },
	{ "mn no title", MN, m_mn_notitle, EI, "title" },
	{ "mn title long", MN, m_mn_title_long, EB, "title" },
	{ "mn no kind", MN, m_mn_nokind, EI, "kind" },
	{ "mn kind 0", MN, m_mn_kind0, EI, "kind" },
	{ "mn kind 99", MN, m_mn_kind99, EI, "kind" },
	{ "mn no organiser", MN, m_mn_noorg, EI, "organiser_partner" },
	{ "mn bad organiser", MN, m_mn_badorg, EI, "organiser_partner" },
	{ "mn bad contact", MN, m_mn_badcontact, EI, "organiser_contact" },
	{ "mn no start", MN, m_mn_nostart, EI, "start_ms" },
	{ "mn start 0", MN, m_mn_start0, EI, "start_ms" },
	{ "mn no end", MN, m_mn_noend, EI, "end_ms" },
	{ "mn end = start", MN, m_mn_end_eq, EI, "end_ms" },
	{ "mn end < start", MN, m_mn_end_before, EI, "end_ms" },
	{ "mn end absurd", MN, m_mn_end_huge, EI, "end_ms" },
	{ "mn no tz", MN, m_mn_notz, EI, "time_zone" },
	{ "mn bad tz", MN, m_mn_badtz, EI, "time_zone" },
	{ "mn bad tz 2", MN, m_mn_badtz2, EI, "time_zone" },
	{ "mn no venue nor link", MN, m_mn_nowhere, EI, "venue" },
	{ "mn venue no name", MN, m_mn_venue_noname, EI, "venue.name" },
	{ "mn venue city", MN, m_mn_venue_city, EI, "venue.city" },
	{ "mn venue country", MN, m_mn_venue_country, EI, "venue.country" },
	{ "mn link space", MN, m_mn_link_space, EI, "virtual_link" },
	{ "mn link long", MN, m_mn_link_long, EB, "virtual_link" },
	{ "mn agenda 65", MN, m_mn_agenda_many, EB, "agenda" },
	{ "mn agenda empty", MN, m_mn_agenda_empty, EI, "agenda" },
	{ "mn agenda long", MN, m_mn_agenda_long, EB, "agenda" },
	{ "mn languages 17", MN, m_mn_langs_many, EB, "languages" },
	{ "mn language bad", MN, m_mn_lang_bad, EI, "languages" },
	{ "mn language bad 2", MN, m_mn_lang_bad2, EI, "languages" },
	{ "mn registration late", MN, m_mn_regdl_late, EI,
	    "registration_deadline_ms" },
	{ "mn registration 0", MN, m_mn_regdl0, EI,
	    "registration_deadline_ms" },
	{ "mn delegates 0", MN, m_mn_deleg0, EI, "delegates_per_member" },
	{ "mn delegates 33", MN, m_mn_deleg_many, EI,
	    "delegates_per_member" },
	{ "mn no status", MN, m_mn_nostatus, EI, "status" },
	{ "mn status 9", MN, m_mn_status9, EI, "status" },
	{ "mr no id", MR, m_mr_noid, EI, "meeting_id" },
	{ "mr version 0", MR, m_mr_version0, EI, "version" },
	{ "mr no answer", MR, m_mr_noanswer, EI, "answer" },
	{ "mr answer 0", MR, m_mr_answer0, EI, "answer" },
	{ "mr delegates 33", MR, m_mr_deleg_many, EB, "delegates" },
	{ "mr delegate no name", MR, m_mr_deleg_noname, EI,
	    "delegates.name" },
	{ "mr delegate name long", MR, m_mr_deleg_longname, EB,
	    "delegates.name" },
	{ "mr delegate role", MR, m_mr_deleg_role, EI, "delegates.role" },
	{ "mr delegates not attending", MR, m_mr_deleg_notatt, EI,
	    "delegates" },
	{ "mr note long", MR, m_mr_note_long, EB, "note" },
	{ "rh no id", RH, m_rh_noid, EI, "referral_id" },
	{ "rh id 15", RH, m_rh_id15, EI, "referral_id" },
	{ "rh case ref long", RH, m_rh_case_long, EB, "sender_case_ref" },
	{ "rh recipient case empty", RH, m_rh_rcase_empty, EI,
	    "recipient_case_ref" },
	{ "rh no priority", RH, m_rh_noprio, EI, "priority" },
	{ "rh priority 5", RH, m_rh_prio5, EI, "priority" },
	{ "rh no category", RH, m_rh_nocat, EI, "category" },
	{ "rh category 0", RH, m_rh_cat0, EI, "category" },
	{ "rh no jurisdiction", RH, m_rh_nojur, EI, "jurisdiction.country" },
	{ "rh jurisdiction country", RH, m_rh_jur_country, EI,
	    "jurisdiction.country" },
	{ "rh jurisdiction basis", RH, m_rh_jur_basis, EI,
	    "jurisdiction.basis" },
	{ "rh no summary", RH, m_rh_nosummary, EI, "summary" },
	{ "rh summary long", RH, m_rh_summary_long, EB, "summary" },
	{ "rh indicators 257", RH, m_rh_ind_many, EB, "indicators" },
	{ "rh indicator no kind", RH, m_rh_ind_nokind, EI,
	    "indicators.kind" },
	{ "rh indicator kind 9", RH, m_rh_ind_kind9, EI, "indicators.kind" },
	{ "rh indicator no value", RH, m_rh_ind_novalue, EI,
	    "indicators.value" },
	{ "rh indicator value long", RH, m_rh_ind_value_long, EB,
	    "indicators.value" },
	{ "rh indicator url space", RH, m_rh_ind_url_space, EI,
	    "indicators.value" },
	{ "rh indicator context long", RH, m_rh_ind_ctx_long, EB,
	    "indicators.context" },
	{ "rh account without platform", RH, m_rh_ind_acct_noctx, EI,
	    "indicators.context" },
	{ "rh ip without time", RH, m_rh_ind_ip_notime, EI,
	    "indicators.observed_ms" },
	{ "rh indicator in the future", RH, m_rh_ind_future, EI,
	    "indicators.observed_ms" },
	{ "rh indicator time 0", RH, m_rh_ind_time0, EI,
	    "indicators.observed_ms" },
	{ "rh hash indicator algorithm", RH, m_rh_ind_hash_alg, EI,
	    "indicators.context" },
	{ "rh hash indicator not hex", RH, m_rh_ind_hash_hex, EI,
	    "indicators.value" },
	{ "rh hash indicator odd", RH, m_rh_ind_hash_odd, EI,
	    "indicators.value" },
	{ "rh evidence 257", RH, m_rh_ev_many, EB, "evidence" },
	{ "rh evidence no algorithm", RH, m_rh_ev_noalg, EI,
	    "evidence.hash_algorithm" },
	{ "rh evidence bad algorithm", RH, m_rh_ev_badalg, EI,
	    "evidence.hash_algorithm" },
	{ "rh evidence no hash", RH, m_rh_ev_nohash, EI, "evidence.hash" },
	{ "rh evidence hash 0", RH, m_rh_ev_hash0, EI, "evidence.hash" },
	{ "rh evidence hash 65 (content)", RH, m_rh_ev_hash65, EB,
	    "evidence.hash" },
	{ "rh evidence no size", RH, m_rh_ev_nosize, EI, "evidence.size" },
	{ "rh evidence size 0", RH, m_rh_ev_size0, EI, "evidence.size" },
	{ "rh evidence no media type", RH, m_rh_ev_nomt, EI,
	    "evidence.media_type" },
	{ "rh evidence bad media type", RH, m_rh_ev_badmt, EI,
	    "evidence.media_type" },
	{ "rh evidence bad media type 2", RH, m_rh_ev_badmt2, EI,
	    "evidence.media_type" },
	{ "rh evidence no holder", RH, m_rh_ev_noholder, EI,
	    "evidence.holder_ref" },
	{ "rh evidence holder long", RH, m_rh_ev_holder_long, EB,
	    "evidence.holder_ref" },
	{ "rh requested action long", RH, m_rh_action_long, EB,
	    "requested_action" },
	{ "rh deadline 0", RH, m_rh_deadline0, EI, "response_deadline_ms" },
	{ "rh redirected_from 15", RH, m_rh_redir15, EI, "redirected_from" },
	{ "rr no id", RR, m_rr_noid, EI, "referral_id" },
	{ "rr no action", RR, m_rr_noaction, EI, "action" },
	{ "rr action 9", RR, m_rr_action9, EI, "action" },
	{ "rr decline without reason", RR, m_rr_decline_noreason, EI,
	    "decline_reason" },
	{ "rr decline other without text", RR, m_rr_decline_other_notext,
	    EI, "text" },
	{ "rr reason on ack", RR, m_rr_reason_on_ack, EI, "decline_reason" },
	{ "rr close without outcome", RR, m_rr_close_nooutcome, EI,
	    "outcome" },
	{ "rr close outcome 0", RR, m_rr_close_outcome0, EI, "outcome" },
	{ "rr outcome on ack", RR, m_rr_outcome_on_ack, EI, "outcome" },
	{ "rr redirect without target", RR, m_rr_redirect_noto, EI,
	    "redirect_to" },
	{ "rr redirect bad target", RR, m_rr_redirect_badto, EI,
	    "redirect_to" },
	{ "rr target on ack", RR, m_rr_to_on_ack, EI, "redirect_to" },
	{ "rr request info without text", RR, m_rr_reqinfo_notext, EI,
	    "text" },
	{ "rr supply info without text", RR, m_rr_supply_notext, EI,
	    "text" },
	{ "rr text long", RR, m_rr_text_long, EB, "text" },
	{ "rr case ref control", RR, m_rr_case_bad, EI,
	    "recipient_case_ref" },
	{ "cu no change", TY(CONTACT_UPDATE), m_cu_nochange, EI, "change" },
	{ "cu change 9", TY(CONTACT_UPDATE), m_cu_change9, EI, "change" },
	{ "cu no contact", TY(CONTACT_UPDATE), m_cu_nocid, EI,
	    "contact_id" },
	{ "cu bad contact", TY(CONTACT_UPDATE), m_cu_badcid, EI,
	    "contact_id" },
	{ "cu no op", TY(CONTACT_UPDATE), m_cu_noop, EI, "signed_dir_op" },
	{ "cu empty op", TY(CONTACT_UPDATE), m_cu_op0, EI, "signed_dir_op" },
	{ "cc no contact", TY(CONTACT_CHECK), m_cc_nocid, EI, "contact_id" },
	{ "cc no check", TY(CONTACT_CHECK), m_cc_nocheck, EI, "check_id" },
	{ "cc check 0", TY(CONTACT_CHECK), m_cc_check0, EI, "check_id" },
	{ "cf bad contact", TY(CONTACT_CONFIRMED), m_cf_badcid, EI,
	    "contact_id" },
	{ "cf check 0", TY(CONTACT_CONFIRMED), m_cf_check0, EI, "check_id" },
	{ "cf no op", TY(CONTACT_CONFIRMED), m_cf_noop, EI,
	    "signed_dir_op" },
	{ "al no id", TY(ALERT), m_al_noid, EI, "alert_id" },
	{ "al no kind", TY(ALERT), m_al_nokind, EI, "kind" },
	{ "al kind 9", TY(ALERT), m_al_kind9, EI, "kind" },
	{ "al no priority", TY(ALERT), m_al_noprio, EI, "priority" },
	{ "al no summary", TY(ALERT), m_al_nosummary, EI, "summary" },
	{ "al summary long", TY(ALERT), m_al_summary_long, EB, "summary" },
	{ "al indicators 257", TY(ALERT), m_al_ind_many, EB, "indicators" },
	{ "al indicator empty", TY(ALERT), m_al_ind_bad, EI,
	    "indicators.value" },
	{ "al until = from", TY(ALERT), m_al_until_eq, EI,
	    "valid_until_ms" },
	{ "al from 0", TY(ALERT), m_al_from0, EI, "valid_from_ms" },
	{ "al until absurd", TY(ALERT), m_al_until_huge, EI,
	    "valid_until_ms" },
	{ "aa no id", TY(ALERT_ACK), m_aa_noid, EI, "alert_id" },
	{ "aa id 17", TY(ALERT_ACK), m_aa_id17, EI, "alert_id" },
	{ "aa text long", TY(ALERT_ACK), m_aa_text_long, EB, "text" },
	{ "sr no receipt", TY(RECEIPT), m_sr_noreceipt, EI, "receipt" },
	{ "sr receipt big", TY(RECEIPT), m_sr_receipt_big, EB, "receipt" },
	{ "sr signature 63", TY(RECEIPT), m_sr_sig63, EI, "signature" },
	{ "sr no signer", TY(RECEIPT), m_sr_nosigner, EI, "signer" },
	{ "sr bad key id", TY(RECEIPT), m_sr_badkid, EI, "key_id" },
	{ "note forward key 31", TY(NOTE), m_note_key31, EI,
	    "forward_key" },
	{ "note forward key 33", TY(NOTE), m_note_key33, EI,
	    "forward_key" },
};

static void
test_body_each_invalid_field(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]);
	    i++) {
		const struct mutation	*m = &mutations[i];
		const char		*field = NULL;
		int			 rv;

		reset(NULL);
		m->fn(F);
		rv = check(m->type, &field);
		if (rv != m->want || field == NULL ||
		    strcmp(field, m->field) != 0)
			fail_msg("%s: got %s field %s, want %s field %s",
			    m->name, lsn_errname(rv),
			    field != NULL ? field : "(null)",
			    lsn_errname(m->want), m->field);
	}
	reset(NULL);
}

/* Limits are inclusive: exactly at each limit passes. */
static void
test_body_limits_inclusive(void **state)
{
	const char	*field = NULL;

	(void) state;
	F->big[LSN_BODY_TEXT_MAX] = '\0';
	F->note.text = F->big;
	assert_ok(check(TY(NOTE), &field));
	F->rh.n_indicators = LSN_BODY_INDICATORS_MAX;
	F->rh.n_evidence = LSN_BODY_EVIDENCE_MAX;
	F->ev[0].hash.len = LSN_BODY_HASH_MAX;
	assert_ok(check(TY(REFERRAL_HANDOFF), &field));
	for (int i = 0; i < LSN_BODY_AGENDA_MAX; i++)
		F->agenda[i] = s_item1;
	F->mn.n_agenda = LSN_BODY_AGENDA_MAX;
	for (int i = 0; i < LSN_BODY_LANGS_MAX; i++)
		F->langs[i] = s_frfr;
	F->mn.n_languages = LSN_BODY_LANGS_MAX;
	F->mn.delegates_per_member = LSN_BODY_DELEGATES_MAX;
	F->mn.venue = NULL;	/* virtual only */
	assert_ok(check(MN, &field));
	F->mr.n_delegates = LSN_BODY_DELEGATES_MAX;
	assert_ok(check(MR, &field));
	/* Declining without delegates; no note. */
	F->mr.n_delegates = 0;
	F->mr.note = NULL;
	F->mr.answer = LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING;
	assert_ok(check(MR, &field));
	/* A future indicator within the skew, and without a clock. */
	F->ind[2].observed_ms = NOW + LSN_BODY_SKEW_MS;
	assert_ok(check(TY(REFERRAL_HANDOFF), &field));
	F->ind[2].observed_ms = NOW + 10 * LSN_BODY_SKEW_MS;
	assert_ok(lsn_body_validate_msg(&F->rh.base, 0, &field));
	reset(NULL);
}

/* Each referral action with its data validates. */
static void
test_body_referral_response_actions(void **state)
{
	static char	info[] = "Please send the account creation date.";
	const char	*field = NULL;

	(void) state;
	for (int a = 1; a <= 8; a++) {
		reset(NULL);
		F->rr.action = (Liaison__V1__ReferralAction) a;
		F->rr.text = info;
		if (a == LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE) {
			F->rr.has_decline_reason = 1;
			F->rr.decline_reason =
			    LIAISON__V1__DECLINE_REASON__DECLINE_OTHER;
		}
		if (a == LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE) {
			F->rr.has_outcome = 1;
			F->rr.outcome = SAFEGUARDED;
		}
		if (a == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT)
			F->rr.redirect_to = s_nzp;
		if (check(RR, &field) != LSN_OK)
			fail_msg("action %d refused, field %s", a, field);
	}
	reset(NULL);
}

/* Appends an unknown field (tag 99, length-delimited) at the end of the
 * packed bytes of m into F->buf; returns the length. */
static size_t
pack_with_unknown(ProtobufCMessage *m, uint32_t tag)
{
	size_t	n = protobuf_c_message_pack(m, F->buf);

	/* key = (tag << 3) | 2, as a varint (tag < 2048) */
	F->buf[n++] = (uint8_t) (((tag << 3) | 2) & 0x7f) | 0x80;
	F->buf[n++] = (uint8_t) ((tag << 3) >> 7);
	F->buf[n++] = 4;
	memcpy(F->buf + n, "\xff\xd8\xff\xe0", 4);	/* a JPEG header */
	return (n + 4);
}

static void
test_body_unknown_fields_refused(void **state)
{
	const char	*field = NULL;
	size_t		 n;

	(void) state;
	/* Top level, every type. */
	for (int t = TY(NOTE); t <= TY(ALERT_ACK); t++) {
		n = pack_with_unknown(msg_for(t), 99);
		field = NULL;
		assert_err(lsn_body_validate(t, F->buf, n, NOW, &field),
		    LSN_EPROTO);
		assert_string_equal(field, "unknown");
	}
	/* Inside a sub-message: an indicator carrying a new tag. The
	 * packed indicator gets the unknown field, then the handoff is
	 * rebuilt with the raw indicator bytes spliced in. */
	{
		Liaison__V1__Indicator	*ind;
		uint8_t			 raw[256];
		size_t			 rn;

		rn = pack_with_unknown(&F->ind[0].base, 50);
		assert_true(rn < sizeof(raw));
		memcpy(raw, F->buf, rn);
		ind = liaison__v1__indicator__unpack(NULL, rn, raw);
		assert_non_null(ind);
		assert_int_equal(ind->base.n_unknown_fields, 1);
		F->indp[0] = ind;
		n = protobuf_c_message_pack(&F->rh.base, F->buf);
		field = NULL;
		assert_err(lsn_body_validate(RH, F->buf, n, NOW, &field),
		    LSN_EPROTO);
		assert_string_equal(field, "unknown");
		assert_err(lsn_body_validate_msg(&F->rh.base, NOW, &field),
		    LSN_EPROTO);
		liaison__v1__indicator__free_unpacked(ind, NULL);
		F->indp[0] = &F->ind[0];
	}
	reset(NULL);
}

static void
test_body_malformed_and_noncanonical(void **state)
{
	const char	*field = NULL;
	uint8_t		 b[64];
	size_t		 n;

	(void) state;
	/* Garbage. */
	memset(b, 0xff, sizeof(b));
	assert_err(lsn_body_validate(TY(NOTE), b, sizeof(b), NOW, &field),
	    LSN_EPROTO);
	assert_string_equal(field, "body");
	/* A field repeated: the first text is hidden by the second. */
	n = 0;
	b[n++] = 0x0a; b[n++] = 3; memcpy(b + n, "abc", 3); n += 3;
	b[n++] = 0x0a; b[n++] = 3; memcpy(b + n, "def", 3); n += 3;
	assert_err(lsn_body_validate(TY(NOTE), b, n, NOW, &field),
	    LSN_EPROTO);
	/* An overlong length varint. */
	n = 0;
	b[n++] = 0x0a; b[n++] = 0x83; b[n++] = 0x00;
	memcpy(b + n, "abc", 3); n += 3;
	assert_err(lsn_body_validate(TY(NOTE), b, n, NOW, &field),
	    LSN_EPROTO);
	/* Empty body: parses, but the text is required. */
	field = NULL;
	assert_err(lsn_body_validate(TY(NOTE), NULL, 0, NOW, &field),
	    LSN_EINVAL);
	assert_string_equal(field, "text");
	/* Unknown type, NULL with a length, too big. */
	assert_err(lsn_body_validate(0, b, 1, NOW, &field), LSN_EINVAL);
	assert_string_equal(field, "type");
	assert_err(lsn_body_validate(99, b, 1, NOW, &field), LSN_EINVAL);
	assert_err(lsn_body_validate(TY(NOTE), NULL, 5, NOW, &field),
	    LSN_EINVAL);
	assert_err(lsn_body_validate(TY(NOTE), F->buf, LSN_BODY_MAX + 1, NOW,
	    &field), LSN_ETOOBIG);
	/* NULL fieldp is allowed. */
	assert_err(lsn_body_validate(TY(NOTE), b, sizeof(b), NOW, NULL),
	    LSN_EPROTO);
	assert_err(lsn_body_validate_msg(NULL, NOW, &field), LSN_EINVAL);
	assert_err(lsn_body_validate_msg(&F->venue.base, NOW, &field),
	    LSN_EINVAL);
}

/* Walks a body schema: every bytes field is one of the small, bounded
 * kinds the validator limits (ids, hashes, keys, signatures, signed ops
 * and receipts), never repeated. Returns the number of bytes fields. */
static int
walk_bytes_fields(const ProtobufCMessageDescriptor *d, int depth)
{
	static const char *const ok[] = {
		"meeting_id", "referral_id", "alert_id", "redirected_from",
		"hash", "signed_dir_op", "receipt", "signature",
		"forward_key",
	};
	int	n = 0;

	assert_true(depth < 4);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		int known = 0;

		if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			n += walk_bytes_fields(fd->descriptor, depth + 1);
			continue;
		}
		if (fd->type != PROTOBUF_C_TYPE_BYTES)
			continue;
		n++;
		assert_int_not_equal(fd->label, PROTOBUF_C_LABEL_REPEATED);
		for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
			if (strcmp(fd->name, ok[k]) == 0)
				known = 1;
		if (!known)
			fail_msg("%s.%s: unexpected bytes field", d->name,
			    fd->name);
	}
	return (n);
}

/* The media rule: no body has a field that could carry content. */
static void
test_body_no_content_fields(void **state)
{
	(void) state;
	for (int t = TY(NOTE); t <= TY(ALERT_ACK); t++)
		(void) walk_bytes_fields(lsn_body_descriptor(t), 0);
	/* The evidence hash is the only bytes field of a descriptor. */
	assert_int_equal(walk_bytes_fields(
	    &liaison__v1__evidence_descriptor__descriptor, 0), 1);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_body_every_type_valid),
		T(test_body_each_invalid_field),
		T(test_body_limits_inclusive),
		T(test_body_referral_response_actions),
		T(test_body_unknown_fields_refused),
		T(test_body_malformed_and_noncanonical),
		T(test_body_no_content_fields),
	};
#undef T
	return (cmocka_run_group_tests_name("body", tests, setup, teardown));
}
