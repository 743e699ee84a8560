/*
 * body_rules.c -- each body type's field rules (the per-type list in
 * body.h), built from the field checks of body_field.c, and the table of
 * body types body.c dispatches on. Runs on hostile input: counts are
 * checked before loops, strings before use. Nothing here allocates.
 */
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/util.h"

#include "body_int.h"

#define T(x)	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_##x

static int
v_note(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__Note	*b = m;

	(void) now_ms;
	if (b->has_forward_key && (b->forward_key.data == NULL ||
	    b->forward_key.len != LSN_BODY_FORWARD_KEY_BYTES)) {
		*fp = "forward_key";
		return (LSN_EINVAL);
	}
	return (body_text(b->text, LSN_BODY_TEXT_MAX, 1, "text", fp));
}

static int
v_venue(const Liaison__V1__Venue *v, const char **fp)
{
	int	rv;

	if ((rv = body_text(v->name, LSN_BODY_VENUE_NAME_MAX, 1, "venue.name",
	    fp)) != LSN_OK ||
	    (rv = body_text(v->city, LSN_BODY_CITY_MAX, 0, "venue.city", fp)) !=
	    LSN_OK)
		return (rv);
	if (v->country != NULL && !lsn_country_valid(v->country)) {
		*fp = "venue.country";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* The meeting a notice or a response is about: its id and version >= 1. */
static int
meeting_ref(int has_id, const ProtobufCBinaryData *id, int has_version,
    uint32_t version, const char **fp)
{
	int	rv;

	if ((rv = body_id16(has_id, id, "meeting_id", fp)) != LSN_OK)
		return (rv);
	if (!has_version || version == 0) {
		*fp = "version";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_meeting_notice(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__MeetingNotice	*b = m;
	int					 rv;

	(void) now_ms;
	if ((rv = meeting_ref(b->has_meeting_id, &b->meeting_id,
	    b->has_version, b->version, fp)) != LSN_OK)
		return (rv);
	if ((rv = body_text(b->title, LSN_BODY_TITLE_MAX, 1, "title", fp)) !=
	    LSN_OK ||
	    (rv = body_enum(b->has_kind, (int) b->kind,
	    &liaison__v1__meeting_kind__descriptor, "kind", fp)) != LSN_OK ||
	    (rv = body_slug(b->organiser_partner, 1, "organiser_partner",
	    fp)) != LSN_OK ||
	    (rv = body_slug(b->organiser_contact, 0, "organiser_contact",
	    fp)) != LSN_OK ||
	    (rv = body_time(b->has_start_ms, b->start_ms, 1, "start_ms", fp)) !=
	    LSN_OK ||
	    (rv = body_time(b->has_end_ms, b->end_ms, 1, "end_ms", fp)) !=
	    LSN_OK)
		return (rv);
	if (b->end_ms <= b->start_ms) {
		*fp = "end_ms";
		return (LSN_EINVAL);
	}
	if (!body_tz_valid(b->time_zone)) {
		*fp = "time_zone";
		return (LSN_EINVAL);
	}
	if (b->venue == NULL && b->virtual_link == NULL) {
		*fp = "venue";
		return (LSN_EINVAL);
	}
	if (b->venue != NULL && (rv = v_venue(b->venue, fp)) != LSN_OK)
		return (rv);
	if ((rv = body_token_text(b->virtual_link, LSN_BODY_LINK_MAX, 0,
	    "virtual_link", fp)) != LSN_OK)
		return (rv);
	if ((rv = body_count(b->n_agenda, b->agenda, LSN_BODY_AGENDA_MAX,
	    "agenda", fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_agenda; i++)
		if ((rv = body_text(b->agenda[i], LSN_BODY_AGENDA_ITEM_MAX, 1,
		    "agenda", fp)) != LSN_OK)
			return (rv);
	if ((rv = body_count(b->n_languages, b->languages, LSN_BODY_LANGS_MAX,
	    "languages", fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_languages; i++)
		if (!body_lang_valid(b->languages[i])) {
			*fp = "languages";
			return (LSN_EINVAL);
		}
	if ((rv = body_time(b->has_registration_deadline_ms,
	    b->registration_deadline_ms, 0, "registration_deadline_ms", fp)) !=
	    LSN_OK)
		return (rv);
	if (b->has_registration_deadline_ms &&
	    b->registration_deadline_ms > b->end_ms) {
		*fp = "registration_deadline_ms";
		return (LSN_EINVAL);
	}
	if (b->has_delegates_per_member && (b->delegates_per_member == 0 ||
	    b->delegates_per_member > LSN_BODY_DELEGATES_MAX)) {
		*fp = "delegates_per_member";
		return (LSN_EINVAL);
	}
	return (body_enum(b->has_status, (int) b->status,
	    &liaison__v1__meeting_status__descriptor, "status", fp));
}

static int
v_meeting_response(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__MeetingResponse	*b = m;
	int					 rv;

	(void) now_ms;
	if ((rv = meeting_ref(b->has_meeting_id, &b->meeting_id,
	    b->has_version, b->version, fp)) != LSN_OK)
		return (rv);
	if ((rv = body_enum(b->has_answer, (int) b->answer,
	    &liaison__v1__rsvp_answer__descriptor, "answer", fp)) != LSN_OK ||
	    (rv = body_count(b->n_delegates, b->delegates,
	    LSN_BODY_DELEGATES_MAX, "delegates", fp)) != LSN_OK)
		return (rv);
	/* Not attending: no names to keep (data minimisation). */
	if (b->n_delegates > 0 &&
	    b->answer == LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING) {
		*fp = "delegates";
		return (LSN_EINVAL);
	}
	for (size_t i = 0; i < b->n_delegates; i++) {
		const Liaison__V1__Delegate *d = b->delegates[i];

		if (d == NULL) {
			*fp = "delegates";
			return (LSN_EINVAL);
		}
		if ((rv = body_text(d->name, LSN_BODY_PERSON_MAX, 1,
		    "delegates.name", fp)) != LSN_OK ||
		    (rv = body_text(d->role, LSN_BODY_PERSON_MAX, 0,
		    "delegates.role", fp)) != LSN_OK)
			return (rv);
	}
	return (body_text(b->note, LSN_BODY_NOTE_MAX, 0, "note", fp));
}

static int
v_indicator(const Liaison__V1__Indicator *ind, uint64_t now_ms,
    const char **fp)
{
	int	rv;

	if (ind == NULL) {
		*fp = "indicators";
		return (LSN_EINVAL);
	}
	if ((rv = body_enum(ind->has_kind, (int) ind->kind,
	    &liaison__v1__indicator_kind__descriptor, "indicators.kind",
	    fp)) != LSN_OK ||
	    (rv = body_text(ind->value, LSN_BODY_IND_VALUE_MAX, 1,
	    "indicators.value", fp)) != LSN_OK ||
	    (rv = body_text(ind->context, LSN_BODY_IND_CONTEXT_MAX, 0,
	    "indicators.context", fp)) != LSN_OK ||
	    (rv = body_time(ind->has_observed_ms, ind->observed_ms, 0,
	    "indicators.observed_ms", fp)) != LSN_OK)
		return (rv);
	if (now_ms != 0 && ind->has_observed_ms &&
	    ind->observed_ms > now_ms + LSN_BODY_SKEW_MS) {
		*fp = "indicators.observed_ms";
		return (LSN_EINVAL);
	}
	switch (ind->kind) {
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_URL:
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_IP:
		if (strpbrk(ind->value, " \t\n") != NULL) {
			*fp = "indicators.value";
			return (LSN_EINVAL);
		}
		/* An address without a time is useless (dynamic IPs). */
		if (ind->kind == LIAISON__V1__INDICATOR_KIND__INDICATOR_IP &&
		    !ind->has_observed_ms) {
			*fp = "indicators.observed_ms";
			return (LSN_EINVAL);
		}
		break;
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_ACCOUNT:
		if (ind->context == NULL) {
			*fp = "indicators.context";
			return (LSN_EINVAL);
		}
		break;
	case LIAISON__V1__INDICATOR_KIND__INDICATOR_HASH:
		if (!body_alg_valid(ind->context)) {
			*fp = "indicators.context";
			return (LSN_EINVAL);
		}
		if (!body_hex_valid(ind->value)) {
			*fp = "indicators.value";
			return (LSN_EINVAL);
		}
		break;
	default:
		*fp = "indicators.kind";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_indicators(Liaison__V1__Indicator *const *arr, size_t n, uint64_t now_ms,
    const char **fp)
{
	int	rv;

	if ((rv = body_count(n, arr, LSN_BODY_INDICATORS_MAX, "indicators",
	    fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < n; i++)
		if ((rv = v_indicator(arr[i], now_ms, fp)) != LSN_OK)
			return (rv);
	return (LSN_OK);
}

/* Evidence is described, never carried: all five fields required. */
static int
v_evidence(const Liaison__V1__EvidenceDescriptor *e, const char **fp)
{
	if (e == NULL) {
		*fp = "evidence";
		return (LSN_EINVAL);
	}
	if (!body_alg_valid(e->hash_algorithm)) {
		*fp = "evidence.hash_algorithm";
		return (LSN_EINVAL);
	}
	if (!e->has_hash || e->hash.len == 0 || e->hash.data == NULL) {
		*fp = "evidence.hash";
		return (LSN_EINVAL);
	}
	if (e->hash.len > LSN_BODY_HASH_MAX) {
		*fp = "evidence.hash";
		return (LSN_ETOOBIG);
	}
	if (!e->has_size || e->size == 0) {
		*fp = "evidence.size";
		return (LSN_EINVAL);
	}
	if (!body_media_type_valid(e->media_type)) {
		*fp = "evidence.media_type";
		return (LSN_EINVAL);
	}
	return (body_text(e->holder_ref, LSN_BODY_HOLDER_REF_MAX, 1,
	    "evidence.holder_ref", fp));
}

static int
v_referral_handoff(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__ReferralHandoff	*b = m;
	int					 rv;

	if ((rv = body_id16(b->has_referral_id, &b->referral_id, "referral_id",
	    fp)) != LSN_OK ||
	    (rv = body_text(b->sender_case_ref, LSN_BODY_CASE_REF_MAX, 0,
	    "sender_case_ref", fp)) != LSN_OK ||
	    (rv = body_text(b->recipient_case_ref, LSN_BODY_CASE_REF_MAX, 0,
	    "recipient_case_ref", fp)) != LSN_OK ||
	    (rv = body_enum(b->has_priority, (int) b->priority,
	    &liaison__v1__priority__descriptor, "priority", fp)) != LSN_OK ||
	    (rv = body_enum(b->has_category, (int) b->category,
	    &liaison__v1__referral_category__descriptor, "category", fp)) !=
	    LSN_OK)
		return (rv);
	if (b->jurisdiction == NULL ||
	    !lsn_country_valid(b->jurisdiction->country)) {
		*fp = "jurisdiction.country";
		return (LSN_EINVAL);
	}
	if ((rv = body_enum(b->jurisdiction->has_basis,
	    (int) b->jurisdiction->basis,
	    &liaison__v1__jurisdiction_basis__descriptor,
	    "jurisdiction.basis", fp)) != LSN_OK ||
	    (rv = body_text(b->summary, LSN_BODY_TEXT_MAX, 1, "summary", fp)) !=
	    LSN_OK ||
	    (rv = v_indicators(b->indicators, b->n_indicators, now_ms, fp)) !=
	    LSN_OK ||
	    (rv = body_count(b->n_evidence, b->evidence, LSN_BODY_EVIDENCE_MAX,
	    "evidence", fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_evidence; i++)
		if ((rv = v_evidence(b->evidence[i], fp)) != LSN_OK)
			return (rv);
	if ((rv = body_text(b->requested_action, LSN_BODY_NOTE_MAX, 0,
	    "requested_action", fp)) != LSN_OK ||
	    (rv = body_time(b->has_response_deadline_ms,
	    b->response_deadline_ms, 0, "response_deadline_ms", fp)) != LSN_OK)
		return (rv);
	if (b->has_redirected_from)
		return (body_id16(1, &b->redirected_from, "redirected_from",
		    fp));
	return (LSN_OK);
}

static int
v_referral_response(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__ReferralResponse	*b = m;
	int					 rv, need_text = 0;

	(void) now_ms;
	if ((rv = body_id16(b->has_referral_id, &b->referral_id, "referral_id",
	    fp)) != LSN_OK ||
	    (rv = body_enum(b->has_action, (int) b->action,
	    &liaison__v1__referral_action__descriptor, "action", fp)) !=
	    LSN_OK)
		return (rv);
	/* Action data: present exactly with its action. */
	if (b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE) {
		if ((rv = body_enum(b->has_decline_reason,
		    (int) b->decline_reason,
		    &liaison__v1__decline_reason__descriptor, "decline_reason",
		    fp)) != LSN_OK)
			return (rv);
		need_text = b->decline_reason ==
		    LIAISON__V1__DECLINE_REASON__DECLINE_OTHER;
	} else if (b->has_decline_reason) {
		*fp = "decline_reason";
		return (LSN_EINVAL);
	}
	if (b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE) {
		if ((rv = body_enum(b->has_outcome, (int) b->outcome,
		    &liaison__v1__close_outcome__descriptor, "outcome", fp)) !=
		    LSN_OK)
			return (rv);
	} else if (b->has_outcome) {
		*fp = "outcome";
		return (LSN_EINVAL);
	}
	if ((rv = body_slug(b->redirect_to,
	    b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT,
	    "redirect_to", fp)) != LSN_OK)
		return (rv);
	if (b->redirect_to != NULL &&
	    b->action != LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT) {
		*fp = "redirect_to";
		return (LSN_EINVAL);
	}
	if (b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO ||
	    b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO)
		need_text = 1;
	if ((rv = body_text(b->text, LSN_BODY_TEXT_MAX, need_text, "text",
	    fp)) != LSN_OK)
		return (rv);
	return (body_text(b->recipient_case_ref, LSN_BODY_CASE_REF_MAX, 0,
	    "recipient_case_ref", fp));
}

/* A signed directory op carried by a body: present, bounded (the whole
 * body is <= LSN_BODY_MAX; the directory verifies the op itself). */
static int
dir_op(int has, const ProtobufCBinaryData *b, const char **fp)
{
	if (!has || b->len == 0 || b->data == NULL) {
		*fp = "signed_dir_op";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_contact_update(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__ContactUpdate	*b = m;
	int					 rv;

	(void) now_ms;
	if ((rv = body_enum(b->has_change, (int) b->change,
	    &liaison__v1__contact_change__descriptor, "change", fp)) !=
	    LSN_OK ||
	    (rv = body_slug(b->contact_id, 1, "contact_id", fp)) != LSN_OK)
		return (rv);
	return (dir_op(b->has_signed_dir_op, &b->signed_dir_op, fp));
}

/* The contact a check or its confirmation names, and check_id > 0. */
static int
contact_check_ref(const char *contact_id, int has_check_id,
    uint64_t check_id, const char **fp)
{
	int	rv;

	if ((rv = body_slug(contact_id, 1, "contact_id", fp)) != LSN_OK)
		return (rv);
	if (!has_check_id || check_id == 0) {
		*fp = "check_id";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_contact_check(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__ContactCheck	*b = m;

	(void) now_ms;
	return (contact_check_ref(b->contact_id, b->has_check_id, b->check_id,
	    fp));
}

static int
v_contact_confirmed(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__ContactConfirmed	*b = m;
	int					 rv;

	(void) now_ms;
	if ((rv = contact_check_ref(b->contact_id, b->has_check_id,
	    b->check_id, fp)) != LSN_OK)
		return (rv);
	return (dir_op(b->has_signed_dir_op, &b->signed_dir_op, fp));
}

static int
v_alert(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__Alert	*b = m;
	int				 rv;

	if ((rv = body_id16(b->has_alert_id, &b->alert_id, "alert_id", fp)) !=
	    LSN_OK ||
	    (rv = body_enum(b->has_kind, (int) b->kind,
	    &liaison__v1__alert_kind__descriptor, "kind", fp)) != LSN_OK ||
	    (rv = body_enum(b->has_priority, (int) b->priority,
	    &liaison__v1__priority__descriptor, "priority", fp)) != LSN_OK ||
	    (rv = body_text(b->summary, LSN_BODY_TEXT_MAX, 1, "summary", fp)) !=
	    LSN_OK ||
	    (rv = v_indicators(b->indicators, b->n_indicators, now_ms, fp)) !=
	    LSN_OK ||
	    (rv = body_time(b->has_valid_from_ms, b->valid_from_ms, 0,
	    "valid_from_ms", fp)) != LSN_OK ||
	    (rv = body_time(b->has_valid_until_ms, b->valid_until_ms, 0,
	    "valid_until_ms", fp)) != LSN_OK)
		return (rv);
	if (b->has_valid_from_ms && b->has_valid_until_ms &&
	    b->valid_until_ms <= b->valid_from_ms) {
		*fp = "valid_until_ms";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_alert_ack(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__AlertAck	*b = m;
	int				 rv;

	(void) now_ms;
	if ((rv = body_id16(b->has_alert_id, &b->alert_id, "alert_id", fp)) !=
	    LSN_OK)
		return (rv);
	return (body_text(b->text, LSN_BODY_TEXT_MAX, 0, "text", fp));
}

/* Shape only; receipt.h verifies. */
static int
v_signed_receipt(const void *m, uint64_t now_ms, const char **fp)
{
	const Liaison__V1__SignedReceipt	*b = m;

	(void) now_ms;
	if (!b->has_receipt || b->receipt.len == 0 ||
	    b->receipt.data == NULL) {
		*fp = "receipt";
		return (LSN_EINVAL);
	}
	if (b->receipt.len > LSN_BODY_RECEIPT_MAX) {
		*fp = "receipt";
		return (LSN_ETOOBIG);
	}
	if (!b->has_signature || b->signature.len != LSN_SIG_BYTES ||
	    b->signature.data == NULL) {
		*fp = "signature";
		return (LSN_EINVAL);
	}
	if (!lsn_slug_valid(b->signer)) {
		*fp = "signer";
		return (LSN_EINVAL);
	}
	if (!lsn_key_id_valid(b->key_id)) {
		*fp = "key_id";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

const struct body_type body_types[] = {
	{ T(NOTE), &liaison__v1__note__descriptor, v_note },
	{ T(MEETING_NOTICE), &liaison__v1__meeting_notice__descriptor,
	    v_meeting_notice },
	{ T(MEETING_RESPONSE), &liaison__v1__meeting_response__descriptor,
	    v_meeting_response },
	{ T(REFERRAL_HANDOFF), &liaison__v1__referral_handoff__descriptor,
	    v_referral_handoff },
	{ T(REFERRAL_RESPONSE), &liaison__v1__referral_response__descriptor,
	    v_referral_response },
	{ T(CONTACT_UPDATE), &liaison__v1__contact_update__descriptor,
	    v_contact_update },
	{ T(ALERT), &liaison__v1__alert__descriptor, v_alert },
	{ T(RECEIPT), &liaison__v1__signed_receipt__descriptor,
	    v_signed_receipt },
	{ T(CONTACT_CHECK), &liaison__v1__contact_check__descriptor,
	    v_contact_check },
	{ T(CONTACT_CONFIRMED), &liaison__v1__contact_confirmed__descriptor,
	    v_contact_confirmed },
	{ T(ALERT_ACK), &liaison__v1__alert_ack__descriptor, v_alert_ack },
};
const size_t body_ntypes = sizeof(body_types) / sizeof(body_types[0]);
