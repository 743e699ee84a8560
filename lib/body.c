/*
 * body.c -- validation of the typed message bodies (body.h).
 *
 * Order: size, unpack, canonical re-encoding, unknown fields (anywhere in
 * the tree), then the per-type field rules. Everything here runs on
 * hostile input: counts are checked before loops, strings before use.
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/util.h"

#define FAIL(code, name) do {						\
	rv = (code);							\
	field = (name);							\
	goto out;							\
} while (0)

#define T(x)	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_##x

static void
set_field(const char **fieldp, const char *field)
{
	if (fieldp != NULL && field != NULL)
		*fieldp = field;
}

/* 1 if v is a named value of the enum other than 0 (UNSPECIFIED). */
static int
enum_known(const ProtobufCEnumDescriptor *d, int v)
{
	return (v != 0 && protobuf_c_enum_descriptor_get_value(d, v) != NULL);
}

/*
 * A string field: required (s must be non-NULL and non-empty) or optional
 * (NULL passes; empty does not: absent is how "nothing" is said). Too long
 * is LSN_ETOOBIG, not UTF-8 or with controls LSN_EINVAL.
 */
static int
text(const char *s, size_t max, int required, const char *name,
    const char **fieldp)
{
	if (s == NULL && !required)
		return (LSN_OK);
	*fieldp = name;
	if (s == NULL || s[0] == '\0')
		return (LSN_EINVAL);
	if (strnlen(s, max + 1) > max)
		return (LSN_ETOOBIG);
	if (!lsn_text_valid(s, max))
		return (LSN_EINVAL);
	*fieldp = NULL;
	return (LSN_OK);
}

/* Text without any whitespace (links, handles in URLs). */
static int
token_text(const char *s, size_t max, int required, const char *name,
    const char **fieldp)
{
	int	rv;

	if ((rv = text(s, max, required, name, fieldp)) != LSN_OK ||
	    s == NULL)
		return (rv);
	if (strpbrk(s, " \t\n") != NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
slug(const char *s, int required, const char *name, const char **fieldp)
{
	if (s == NULL && !required)
		return (LSN_OK);
	if (!lsn_slug_valid(s)) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* A 16-byte id; always required. */
static int
id16(int has, const ProtobufCBinaryData *b, const char *name,
    const char **fieldp)
{
	if (!has || b->len != LSN_BODY_ID_BYTES || b->data == NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
req_enum(int has, int v, const ProtobufCEnumDescriptor *d, const char *name,
    const char **fieldp)
{
	if (!has || !enum_known(d, v)) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* A time: required or optional; when present in (0, LSN_BODY_TIME_MAX]. */
static int
time_ms(int has, uint64_t v, int required, const char *name,
    const char **fieldp)
{
	if (!has && !required)
		return (LSN_OK);
	if (!has || v == 0 || v > LSN_BODY_TIME_MAX) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
count(size_t n, const void *arr, size_t max, const char *name,
    const char **fieldp)
{
	if (n > max) {
		*fieldp = name;
		return (LSN_ETOOBIG);
	}
	if (n > 0 && arr == NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* BCP 47 shape: alpha{2,8} ("-" alnum{1,8})*, at most 35 bytes. */
static int
lang_valid(const char *s)
{
	size_t	seg = 0, nseg = 0, len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_LANG_MAX + 1)) == 0 ||
	    len > LSN_BODY_LANG_MAX)
		return (0);
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '-' || c == '\0') {
			if (seg == 0 || seg > 8 || (nseg == 0 && seg < 2))
				return (0);
			nseg++;
			seg = 0;
			continue;
		}
		if (nseg == 0 && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			return (0);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return (0);
		seg++;
	}
	return (1);
}

/* IANA time zone name shape: [A-Za-z0-9_+-] parts separated by single
 * '/', first part starts with a letter ("UTC", "Europe/Lyon",
 * "America/Argentina/Buenos_Aires", "Etc/GMT+5"). */
static int
tz_valid(const char *s)
{
	size_t	len, part = 0;

	if (s == NULL || (len = strnlen(s, LSN_BODY_TZ_MAX + 1)) == 0 ||
	    len > LSN_BODY_TZ_MAX)
		return (0);
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return (0);
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (part == 0)
				return (0);
			part = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-'))
			return (0);
		part++;
	}
	return (1);
}

/* RFC 6838 restricted-name: alnum then alnum or !#$&-^_.+ (1..63). */
static int
restricted_name(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return (0);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (i == 0 && !alnum)
			return (0);
		if (!alnum && strchr("!#$&-^_.+", c) == NULL)
			return (0);
	}
	return (1);
}

static int
media_type_valid(const char *s)
{
	const char	*slash;
	size_t		 len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_MEDIA_TYPE_MAX + 1)) ==
	    0 || len > LSN_BODY_MEDIA_TYPE_MAX ||
	    (slash = strchr(s, '/')) == NULL)
		return (0);
	return (restricted_name(s, (size_t) (slash - s)) &&
	    restricted_name(slash + 1, len - (size_t) (slash - s) - 1));
}

/* Hash algorithm names: [a-z0-9-]{1,32}, e.g. "sha256", "pdq", "md5". */
static int
alg_valid(const char *s)
{
	size_t	len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_HASH_ALG_MAX + 1)) == 0 ||
	    len > LSN_BODY_HASH_ALG_MAX)
		return (0);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return (0);
	return (1);
}

static int
hex_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len % 2 != 0)
		return (0);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return (0);
	return (1);
}

/*
 * 0 if m or any message below it carries unknown fields. Walks the
 * descriptor: the body schemas are not recursive, so depth is bounded by
 * the schema (at most 3 levels).
 */
static int
no_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields != 0)
		return (0);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *) m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n;
			ProtobufCMessage *const *arr;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (size_t k = 0; k < n; k++)
				if (arr[k] == NULL || !no_unknown(arr[k]))
					return (0);
		} else {
			const ProtobufCMessage *sub;

			memcpy(&sub, base + f->offset, sizeof(sub));
			if (sub != NULL && !no_unknown(sub))
				return (0);
		}
	}
	return (1);
}

static int
v_note(const Liaison__V1__Note *b, const char **fp)
{
	if (b->has_forward_key && (b->forward_key.data == NULL ||
	    b->forward_key.len != LSN_BODY_FORWARD_KEY_BYTES)) {
		*fp = "forward_key";
		return (LSN_EINVAL);
	}
	return (text(b->text, LSN_BODY_TEXT_MAX, 1, "text", fp));
}

static int
v_venue(const Liaison__V1__Venue *v, const char **fp)
{
	int	rv;

	if ((rv = text(v->name, LSN_BODY_VENUE_NAME_MAX, 1, "venue.name",
	    fp)) != LSN_OK ||
	    (rv = text(v->city, LSN_BODY_CITY_MAX, 0, "venue.city", fp)) !=
	    LSN_OK)
		return (rv);
	if (v->country != NULL && !lsn_country_valid(v->country)) {
		*fp = "venue.country";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_meeting_notice(const Liaison__V1__MeetingNotice *b, const char **fp)
{
	int	rv;

	if ((rv = id16(b->has_meeting_id, &b->meeting_id, "meeting_id",
	    fp)) != LSN_OK)
		return (rv);
	if (!b->has_version || b->version == 0) {
		*fp = "version";
		return (LSN_EINVAL);
	}
	if ((rv = text(b->title, LSN_BODY_TITLE_MAX, 1, "title", fp)) !=
	    LSN_OK ||
	    (rv = req_enum(b->has_kind, (int) b->kind,
	    &liaison__v1__meeting_kind__descriptor, "kind", fp)) != LSN_OK ||
	    (rv = slug(b->organiser_partner, 1, "organiser_partner", fp)) !=
	    LSN_OK ||
	    (rv = slug(b->organiser_contact, 0, "organiser_contact", fp)) !=
	    LSN_OK ||
	    (rv = time_ms(b->has_start_ms, b->start_ms, 1, "start_ms", fp)) !=
	    LSN_OK ||
	    (rv = time_ms(b->has_end_ms, b->end_ms, 1, "end_ms", fp)) !=
	    LSN_OK)
		return (rv);
	if (b->end_ms <= b->start_ms) {
		*fp = "end_ms";
		return (LSN_EINVAL);
	}
	if (!tz_valid(b->time_zone)) {
		*fp = "time_zone";
		return (LSN_EINVAL);
	}
	if (b->venue == NULL && b->virtual_link == NULL) {
		*fp = "venue";
		return (LSN_EINVAL);
	}
	if (b->venue != NULL && (rv = v_venue(b->venue, fp)) != LSN_OK)
		return (rv);
	if ((rv = token_text(b->virtual_link, LSN_BODY_LINK_MAX, 0,
	    "virtual_link", fp)) != LSN_OK)
		return (rv);
	if ((rv = count(b->n_agenda, b->agenda, LSN_BODY_AGENDA_MAX, "agenda",
	    fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_agenda; i++)
		if ((rv = text(b->agenda[i], LSN_BODY_AGENDA_ITEM_MAX, 1,
		    "agenda", fp)) != LSN_OK)
			return (rv);
	if ((rv = count(b->n_languages, b->languages, LSN_BODY_LANGS_MAX,
	    "languages", fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_languages; i++)
		if (!lang_valid(b->languages[i])) {
			*fp = "languages";
			return (LSN_EINVAL);
		}
	if ((rv = time_ms(b->has_registration_deadline_ms,
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
	return (req_enum(b->has_status, (int) b->status,
	    &liaison__v1__meeting_status__descriptor, "status", fp));
}

static int
v_meeting_response(const Liaison__V1__MeetingResponse *b, const char **fp)
{
	int	rv;

	if ((rv = id16(b->has_meeting_id, &b->meeting_id, "meeting_id",
	    fp)) != LSN_OK)
		return (rv);
	if (!b->has_version || b->version == 0) {
		*fp = "version";
		return (LSN_EINVAL);
	}
	if ((rv = req_enum(b->has_answer, (int) b->answer,
	    &liaison__v1__rsvp_answer__descriptor, "answer", fp)) != LSN_OK ||
	    (rv = count(b->n_delegates, b->delegates, LSN_BODY_DELEGATES_MAX,
	    "delegates", fp)) != LSN_OK)
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
		if ((rv = text(d->name, LSN_BODY_PERSON_MAX, 1,
		    "delegates.name", fp)) != LSN_OK ||
		    (rv = text(d->role, LSN_BODY_PERSON_MAX, 0,
		    "delegates.role", fp)) != LSN_OK)
			return (rv);
	}
	return (text(b->note, LSN_BODY_NOTE_MAX, 0, "note", fp));
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
	if ((rv = req_enum(ind->has_kind, (int) ind->kind,
	    &liaison__v1__indicator_kind__descriptor, "indicators.kind",
	    fp)) != LSN_OK ||
	    (rv = text(ind->value, LSN_BODY_IND_VALUE_MAX, 1,
	    "indicators.value", fp)) != LSN_OK ||
	    (rv = text(ind->context, LSN_BODY_IND_CONTEXT_MAX, 0,
	    "indicators.context", fp)) != LSN_OK ||
	    (rv = time_ms(ind->has_observed_ms, ind->observed_ms, 0,
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
		if (!alg_valid(ind->context)) {
			*fp = "indicators.context";
			return (LSN_EINVAL);
		}
		if (!hex_valid(ind->value)) {
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

	if ((rv = count(n, arr, LSN_BODY_INDICATORS_MAX, "indicators", fp)) !=
	    LSN_OK)
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
	if (!alg_valid(e->hash_algorithm)) {
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
	if (!media_type_valid(e->media_type)) {
		*fp = "evidence.media_type";
		return (LSN_EINVAL);
	}
	return (text(e->holder_ref, LSN_BODY_HOLDER_REF_MAX, 1,
	    "evidence.holder_ref", fp));
}

static int
v_referral_handoff(const Liaison__V1__ReferralHandoff *b, uint64_t now_ms,
    const char **fp)
{
	int	rv;

	if ((rv = id16(b->has_referral_id, &b->referral_id, "referral_id",
	    fp)) != LSN_OK ||
	    (rv = text(b->sender_case_ref, LSN_BODY_CASE_REF_MAX, 0,
	    "sender_case_ref", fp)) != LSN_OK ||
	    (rv = text(b->recipient_case_ref, LSN_BODY_CASE_REF_MAX, 0,
	    "recipient_case_ref", fp)) != LSN_OK ||
	    (rv = req_enum(b->has_priority, (int) b->priority,
	    &liaison__v1__priority__descriptor, "priority", fp)) != LSN_OK ||
	    (rv = req_enum(b->has_category, (int) b->category,
	    &liaison__v1__referral_category__descriptor, "category", fp)) !=
	    LSN_OK)
		return (rv);
	if (b->jurisdiction == NULL ||
	    !lsn_country_valid(b->jurisdiction->country)) {
		*fp = "jurisdiction.country";
		return (LSN_EINVAL);
	}
	if ((rv = req_enum(b->jurisdiction->has_basis,
	    (int) b->jurisdiction->basis,
	    &liaison__v1__jurisdiction_basis__descriptor,
	    "jurisdiction.basis", fp)) != LSN_OK ||
	    (rv = text(b->summary, LSN_BODY_TEXT_MAX, 1, "summary", fp)) !=
	    LSN_OK ||
	    (rv = v_indicators(b->indicators, b->n_indicators, now_ms, fp)) !=
	    LSN_OK ||
	    (rv = count(b->n_evidence, b->evidence, LSN_BODY_EVIDENCE_MAX,
	    "evidence", fp)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < b->n_evidence; i++)
		if ((rv = v_evidence(b->evidence[i], fp)) != LSN_OK)
			return (rv);
	if ((rv = text(b->requested_action, LSN_BODY_NOTE_MAX, 0,
	    "requested_action", fp)) != LSN_OK ||
	    (rv = time_ms(b->has_response_deadline_ms,
	    b->response_deadline_ms, 0, "response_deadline_ms", fp)) != LSN_OK)
		return (rv);
	if (b->has_redirected_from)
		return (id16(1, &b->redirected_from, "redirected_from", fp));
	return (LSN_OK);
}

static int
v_referral_response(const Liaison__V1__ReferralResponse *b,
    const char **fp)
{
	int	rv, need_text = 0;

	if ((rv = id16(b->has_referral_id, &b->referral_id, "referral_id",
	    fp)) != LSN_OK ||
	    (rv = req_enum(b->has_action, (int) b->action,
	    &liaison__v1__referral_action__descriptor, "action", fp)) !=
	    LSN_OK)
		return (rv);
	/* Action data: present exactly with its action. */
	if (b->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE) {
		if ((rv = req_enum(b->has_decline_reason,
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
		if ((rv = req_enum(b->has_outcome, (int) b->outcome,
		    &liaison__v1__close_outcome__descriptor, "outcome", fp)) !=
		    LSN_OK)
			return (rv);
	} else if (b->has_outcome) {
		*fp = "outcome";
		return (LSN_EINVAL);
	}
	if ((rv = slug(b->redirect_to,
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
	if ((rv = text(b->text, LSN_BODY_TEXT_MAX, need_text, "text", fp)) !=
	    LSN_OK)
		return (rv);
	return (text(b->recipient_case_ref, LSN_BODY_CASE_REF_MAX, 0,
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
v_contact_update(const Liaison__V1__ContactUpdate *b, const char **fp)
{
	int	rv;

	if ((rv = req_enum(b->has_change, (int) b->change,
	    &liaison__v1__contact_change__descriptor, "change", fp)) !=
	    LSN_OK ||
	    (rv = slug(b->contact_id, 1, "contact_id", fp)) != LSN_OK)
		return (rv);
	return (dir_op(b->has_signed_dir_op, &b->signed_dir_op, fp));
}

static int
v_contact_check(const Liaison__V1__ContactCheck *b, const char **fp)
{
	int	rv;

	if ((rv = slug(b->contact_id, 1, "contact_id", fp)) != LSN_OK)
		return (rv);
	if (!b->has_check_id || b->check_id == 0) {
		*fp = "check_id";
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
v_contact_confirmed(const Liaison__V1__ContactConfirmed *b, const char **fp)
{
	int	rv;

	if ((rv = slug(b->contact_id, 1, "contact_id", fp)) != LSN_OK)
		return (rv);
	if (!b->has_check_id || b->check_id == 0) {
		*fp = "check_id";
		return (LSN_EINVAL);
	}
	return (dir_op(b->has_signed_dir_op, &b->signed_dir_op, fp));
}

static int
v_alert(const Liaison__V1__Alert *b, uint64_t now_ms, const char **fp)
{
	int	rv;

	if ((rv = id16(b->has_alert_id, &b->alert_id, "alert_id", fp)) !=
	    LSN_OK ||
	    (rv = req_enum(b->has_kind, (int) b->kind,
	    &liaison__v1__alert_kind__descriptor, "kind", fp)) != LSN_OK ||
	    (rv = req_enum(b->has_priority, (int) b->priority,
	    &liaison__v1__priority__descriptor, "priority", fp)) != LSN_OK ||
	    (rv = text(b->summary, LSN_BODY_TEXT_MAX, 1, "summary", fp)) !=
	    LSN_OK ||
	    (rv = v_indicators(b->indicators, b->n_indicators, now_ms, fp)) !=
	    LSN_OK ||
	    (rv = time_ms(b->has_valid_from_ms, b->valid_from_ms, 0,
	    "valid_from_ms", fp)) != LSN_OK ||
	    (rv = time_ms(b->has_valid_until_ms, b->valid_until_ms, 0,
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
v_alert_ack(const Liaison__V1__AlertAck *b, const char **fp)
{
	int	rv;

	if ((rv = id16(b->has_alert_id, &b->alert_id, "alert_id", fp)) !=
	    LSN_OK)
		return (rv);
	return (text(b->text, LSN_BODY_TEXT_MAX, 0, "text", fp));
}

/* Shape only; receipt.h verifies. */
static int
v_signed_receipt(const Liaison__V1__SignedReceipt *b, const char **fp)
{
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

static const struct {
	int					 type;
	const ProtobufCMessageDescriptor	*d;
} body_types[] = {
	{ T(NOTE), &liaison__v1__note__descriptor },
	{ T(MEETING_NOTICE), &liaison__v1__meeting_notice__descriptor },
	{ T(MEETING_RESPONSE), &liaison__v1__meeting_response__descriptor },
	{ T(REFERRAL_HANDOFF), &liaison__v1__referral_handoff__descriptor },
	{ T(REFERRAL_RESPONSE), &liaison__v1__referral_response__descriptor },
	{ T(CONTACT_UPDATE), &liaison__v1__contact_update__descriptor },
	{ T(ALERT), &liaison__v1__alert__descriptor },
	{ T(RECEIPT), &liaison__v1__signed_receipt__descriptor },
	{ T(CONTACT_CHECK), &liaison__v1__contact_check__descriptor },
	{ T(CONTACT_CONFIRMED), &liaison__v1__contact_confirmed__descriptor },
	{ T(ALERT_ACK), &liaison__v1__alert_ack__descriptor },
};

const ProtobufCMessageDescriptor *
lsn_body_descriptor(int type)
{
	for (size_t i = 0; i < sizeof(body_types) / sizeof(body_types[0]);
	    i++)
		if (body_types[i].type == type)
			return (body_types[i].d);
	return (NULL);
}

int
lsn_body_type_for(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < sizeof(body_types) / sizeof(body_types[0]);
	    i++)
		if (body_types[i].d == d)
			return (body_types[i].type);
	return (0);
}

int
lsn_body_validate_msg(const ProtobufCMessage *m, uint64_t now_ms,
    const char **fieldp)
{
	const void	*b = m;
	const char	*field = NULL;
	int		 rv = LSN_EINVAL;

	if (m == NULL || lsn_body_type_for(m->descriptor) == 0)
		FAIL(LSN_EINVAL, "body");
	if (!no_unknown(m))
		FAIL(LSN_EPROTO, "unknown");
	switch (lsn_body_type_for(m->descriptor)) {
	case T(NOTE):
		rv = v_note(b, &field);
		break;
	case T(MEETING_NOTICE):
		rv = v_meeting_notice(b, &field);
		break;
	case T(MEETING_RESPONSE):
		rv = v_meeting_response(b, &field);
		break;
	case T(REFERRAL_HANDOFF):
		rv = v_referral_handoff(b, now_ms, &field);
		break;
	case T(REFERRAL_RESPONSE):
		rv = v_referral_response(b, &field);
		break;
	case T(CONTACT_UPDATE):
		rv = v_contact_update(b, &field);
		break;
	case T(ALERT):
		rv = v_alert(b, now_ms, &field);
		break;
	case T(RECEIPT):
		rv = v_signed_receipt(b, &field);
		break;
	case T(CONTACT_CHECK):
		rv = v_contact_check(b, &field);
		break;
	case T(CONTACT_CONFIRMED):
		rv = v_contact_confirmed(b, &field);
		break;
	case T(ALERT_ACK):
		rv = v_alert_ack(b, &field);
		break;
	default:
		FAIL(LSN_EINVAL, "body");
	}
 out:
	if (rv != LSN_OK)
		set_field(fieldp, field != NULL ? field : "body");
	return (rv);
}

int
lsn_body_validate(int type, const uint8_t *body, size_t len,
    uint64_t now_ms, const char **fieldp)
{
	const ProtobufCMessageDescriptor	*d;
	ProtobufCMessage			*m = NULL;
	uint8_t					*tmp = NULL;
	const char				*field = NULL;
	size_t					 n;
	int					 rv = LSN_EINVAL;

	if ((d = lsn_body_descriptor(type)) == NULL)
		FAIL(LSN_EINVAL, "type");
	if (body == NULL && len > 0)
		FAIL(LSN_EINVAL, "body");
	if (len > LSN_BODY_MAX)
		FAIL(LSN_ETOOBIG, "body");
	/* protobuf-c wants a non-NULL pointer even for 0 bytes. */
	if ((m = protobuf_c_message_unpack(d, NULL, len,
	    len > 0 ? body : (const uint8_t *) "")) == NULL)
		FAIL(LSN_EPROTO, "body");
	/* Canonical: the bytes are exactly what the parse packs to. */
	if ((n = protobuf_c_message_get_packed_size(m)) != len)
		FAIL(LSN_EPROTO, "body");
	if (n > 0) {
		if ((tmp = malloc(n)) == NULL)
			FAIL(LSN_ENOMEM, NULL);
		if (protobuf_c_message_pack(m, tmp) != n ||
		    memcmp(tmp, body, n) != 0)
			FAIL(LSN_EPROTO, "body");
	}
	rv = lsn_body_validate_msg(m, now_ms, &field);
 out:
	free(tmp);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	if (rv != LSN_OK)
		set_field(fieldp, field);
	return (rv);
}
