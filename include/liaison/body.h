/*
 * body.h -- validation of the typed message bodies (proto/envelope.proto).
 *
 * Every body is validated on send (before signing/sealing) and on receipt
 * (after the envelope's signature is verified and the body unsealed), with
 * the same function. lsn_body_validate() unpacks the serialized body for
 * the message type and checks:
 *   - encoding: the bytes unpack, and re-pack to exactly the same bytes
 *     (no duplicated or merged fields, no overlong varints) -- LSN_EPROTO;
 *   - unknown fields: a body (or any sub-message) carrying a field this
 *     version does not know is REFUSED (LSN_EPROTO, field "unknown").
 *     Envelopes accept unknown fields for evolution, bodies do not: the
 *     rule that no body carries media must hold for every tag, and an
 *     unknown tag could carry anything. A newer sender that adds a body
 *     field must wait until recipients know it (a new MessageType or a
 *     known optional field), which is what the schema rules require anyway;
 *   - required fields present, enums named and not UNSPECIFIED, ids exactly
 *     16 bytes, strings valid UTF-8 without controls (lsn_text_valid) and
 *     within their length limits, partner / contact ids slugs, countries
 *     ISO 3166-1 alpha-2 shaped, languages BCP 47 shaped, time zones IANA
 *     shaped, repeated fields within their counts -- LSN_EINVAL, or
 *     LSN_ETOOBIG for a length or count over its limit;
 *   - times: every *_ms present is > 0 and < LSN_BODY_TIME_MAX; end after
 *     start, valid_until after valid_from, registration deadline <= end;
 *     an indicator's observed_ms not more than LSN_BODY_SKEW_MS after
 *     now_ms (now_ms 0 skips that check);
 *   - the media rule: evidence is only described (hash 1..64 bytes,
 *     hash_algorithm, size, media_type, holder_ref -- all required); the
 *     only bytes fields are ids, hashes, a content key (Note.forward_key)
 *     and signed directory ops / receipts of bounded size. There is no
 *     attachment field.
 *
 * Per-type rules (beyond the generic ones):
 *   NOTE               text required, <= 4096; forward_key 32 bytes when
 *                      present (forwarding, seal.h).
 *   MEETING_NOTICE     meeting_id, version >= 1, title (<= 256), kind,
 *                      organiser_partner, start_ms < end_ms, time_zone,
 *                      status required; venue and/or virtual_link; agenda
 *                      <= 64 items of <= 512; languages <= 16;
 *                      delegates_per_member 1..LSN_BODY_DELEGATES_MAX.
 *   MEETING_RESPONSE   meeting_id, version >= 1, answer required;
 *                      delegates <= LSN_BODY_DELEGATES_MAX, each with a
 *                      name; no delegates with NOT_ATTENDING (personal
 *                      data kept minimal); note <= 1024.
 *   REFERRAL_HANDOFF   referral_id, priority, category, jurisdiction
 *                      (country + basis), summary required; indicators and
 *                      evidence <= 256 each; requested_action <= 1024.
 *   REFERRAL_RESPONSE  referral_id, action required; decline_reason iff
 *                      DECLINE, outcome iff CLOSE, redirect_to iff REDIRECT;
 *                      text required for REQUEST_INFO, SUPPLY_INFO and
 *                      DECLINE_OTHER; text <= 4096.
 *   CONTACT_UPDATE     change, contact_id, signed_dir_op (non-empty).
 *   CONTACT_CHECK      contact_id, check_id > 0.
 *   CONTACT_CONFIRMED  contact_id, check_id > 0, signed_dir_op.
 *   ALERT              alert_id, kind, priority, summary required;
 *                      indicators <= 256; valid_until > valid_from.
 *   ALERT_ACK          alert_id; text <= 4096.
 *   RECEIPT            a SignedReceipt of the right shape (receipt.h
 *                      verifies it; this only checks the shape).
 * Indicators: kind and value (<= 512) required; URL values without
 * whitespace; ACCOUNT needs context (platform); IP needs observed_ms; HASH
 * needs context (algorithm) and a hex value.
 *
 * Thread-safe. Call lsn_init() first (only lsn_text_valid is used, but the
 * rule for the library holds).
 */
#ifndef LIAISON_BODY_H
#define LIAISON_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/err.h"

#define LSN_BODY_ID_BYTES	16	/* meeting, referral, alert ids */
#define LSN_BODY_TITLE_MAX	256
#define LSN_BODY_TEXT_MAX	4096	/* notes, summaries, response text */
#define LSN_BODY_NOTE_MAX	1024	/* RSVP note, requested_action */
#define LSN_BODY_CASE_REF_MAX	128
#define LSN_BODY_AGENDA_MAX	64	/* items */
#define LSN_BODY_AGENDA_ITEM_MAX 512
#define LSN_BODY_LINK_MAX	512
#define LSN_BODY_VENUE_NAME_MAX	256
#define LSN_BODY_CITY_MAX	128
#define LSN_BODY_LANGS_MAX	16
#define LSN_BODY_LANG_MAX	35	/* BCP 47 tag bytes */
#define LSN_BODY_TZ_MAX		64	/* IANA time zone name bytes */
#define LSN_BODY_DELEGATES_MAX	32
#define LSN_BODY_PERSON_MAX	128	/* delegate name / role */
#define LSN_BODY_INDICATORS_MAX	256
#define LSN_BODY_EVIDENCE_MAX	256
#define LSN_BODY_IND_VALUE_MAX	512
#define LSN_BODY_IND_CONTEXT_MAX 128
#define LSN_BODY_HASH_MAX	64	/* evidence hash bytes */
#define LSN_BODY_HASH_ALG_MAX	32	/* [a-z0-9-], e.g. "sha256", "pdq" */
#define LSN_BODY_MEDIA_TYPE_MAX	127	/* RFC 6838 type/subtype */
#define LSN_BODY_HOLDER_REF_MAX	256
#define LSN_BODY_RECEIPT_MAX	4096	/* SignedReceipt.receipt bytes */
#define LSN_BODY_FORWARD_KEY_BYTES 32	/* Note.forward_key */
#define LSN_BODY_SKEW_MS	(24ULL * 3600 * 1000)	/* observed_ms ahead */
#define LSN_BODY_TIME_MAX	((1ULL << 53) - 1)	/* any *_ms */

/*
 * Validates a serialized body of the given MessageType (the Envelope.type
 * value). body is borrowed (len bytes, len <= LSN_BODY_MAX; len 0 is an
 * empty message and fails the required-field checks). now_ms is the
 * caller's clock (0 to skip the future-time check). Returns LSN_OK, or
 * LSN_EINVAL (unknown type, missing or bad field), LSN_ETOOBIG (length or
 * count over a limit), LSN_EPROTO (does not unpack, non-canonical
 * encoding, unknown fields), LSN_ENOMEM. On failure, if fieldp is not NULL,
 * *fieldp is set to a static string naming the field ("title",
 * "evidence.hash", "unknown", "body", ...).
 */
int	lsn_body_validate(int type, const uint8_t *body, size_t len,
	    uint64_t now_ms, const char **fieldp) LSN_MUST_CHECK;

/*
 * The protobuf-c descriptor of the body message for a MessageType, or NULL
 * for an unknown type (RECEIPT -> SignedReceipt).
 * Static; never freed.
 */
const ProtobufCMessageDescriptor *lsn_body_descriptor(int type);

/*
 * The MessageType whose body is described by d (the inverse of
 * lsn_body_descriptor), or 0 (MESSAGE_TYPE_UNSPECIFIED) if none.
 */
int	lsn_body_type_for(const ProtobufCMessageDescriptor *d);

/*
 * Validates an already unpacked body message m (whose descriptor selects
 * the rules; e.g. a Liaison__V1__ReferralHandoff the caller built before
 * packing it). m is borrowed. Same rules and errors as lsn_body_validate()
 * except the encoding check; unknown fields are still refused.
 */
int	lsn_body_validate_msg(const ProtobufCMessage *m, uint64_t now_ms,
	    const char **fieldp) LSN_MUST_CHECK;

#endif /* LIAISON_BODY_H */
