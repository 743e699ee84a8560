/*
 * test_trust.c -- the trust gate (lib/trust.c), table-driven: one row per
 * rule, with the code and the rule each role answers for it.
 *
 * A small directory view in memory:
 *   p01 active, SIGN key valid from now - 1 h (the usual sender)
 *   p02 active (the usual recipient)
 *   p03 suspended; p04 revoked
 *   p05, p06 active; p06's key was revoked 10 s ago
 *   group g1 = { p01, p02 }
 * Roles: broker ingress (connection p01 unless the row says otherwise),
 * broker delivery (the stored message's recipient p02 unless the row says
 * otherwise; handling rules only, as the broker runs it on a stored
 * message), recipient agent p02, offline CLI (the same view).
 */
#include "lsn_test.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "envelope.pb-c.h"

#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/seal.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#define HOUR	(3600ULL * 1000)
#define SKIP	1	/* the role cannot see this input */

#define ST_ACTIVE	LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE
#define ST_SUSP		LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED
#define ST_REVOKED	LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED

enum { P01, P02, P03, P04, P05, P06, P09, NP };

static const char *const ids[NP] = {
	"p01", "p02", "p03", "p04", "p05", "p06", "p09",
};

static struct {
	struct lsn_keypair	*sign, *enc, *other;
	int			 status;	/* 0: not in the directory */
	uint64_t		 from, revoked;
} P[NP];

static uint64_t	now;

/* ---- the view ---- */

static int
find(const char *id)
{
	for (int i = 0; i < NP; i++)
		if (strcmp(ids[i], id) == 0 && P[i].status != 0)
			return (i);
	return (-1);
}

static int
v_keyrec(void *arg, const char *p, const char *k, struct lsn_dir_keyrec *r)
{
	int	i = find(p);

	(void) arg;
	if (i < 0)
		return (LSN_EUNKNOWNSENDER);
	if (P[i].status == ST_REVOKED)
		return (LSN_EPREVOKED);
	if (P[i].status == ST_SUSP)
		return (LSN_ESUSPENDED);
	if (strcmp(k, P[i].sign->key_id) != 0)
		return (LSN_EUNKNOWNKEY);
	memset(r, 0, sizeof(*r));
	lsn_strlcpy(r->partner, p, sizeof(r->partner));
	memcpy(r->pk, P[i].sign->pk, LSN_PK_BYTES);
	r->valid_from = P[i].from;
	r->revoked_at = P[i].revoked;
	return (LSN_OK);
}

static int
v_status(void *arg, const char *p, int *st)
{
	int	i = find(p);

	(void) arg;
	if (i < 0)
		return (LSN_ENOENT);
	*st = P[i].status;
	return (LSN_OK);
}

static int
v_members(void *arg, const char *g, int active, lsn_dir_id_fn *fn,
    void *fnarg)
{
	int	rv;

	(void) arg;
	(void) active;
	if (strcmp(g, "g1") != 0)
		return (LSN_EUNKNOWNGROUP);
	if ((rv = fn(fnarg, "p01")) != 0)
		return (rv);
	return (fn(fnarg, "p02"));
}

static const struct lsn_trust_dir view = {
	NULL, v_keyrec, v_status, v_members, NULL,
};

/* ---- building envelopes ---- */

struct spec {
	int		 from;
	int		 key_other;	/* sign with from's unknown key */
	const char	*to[3];
	const char	*group;
	int		 tlp;
	int		 h2;
	int		 type;		/* 0: note */
	int		 seal;		/* 1 + partner sealed to; 0: clear */
	int64_t		 created;	/* relative to now */
	int64_t		 expires;	/* relative to now; 0: none */
	int		 flip_sig;
	int		 pad;		/* bytes of padding in the text */
	const struct spec *inner;	/* a forward of this */
	int		 key_in_note;	/* forward key in the note */
	int		 bad_key;	/* ... and a wrong one */
};

static char *
muts(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

/* Builds and signs s; *ckp gets the content key when sealed. */
static uint8_t *
build(const struct spec *s, size_t *len, uint8_t ck[32])
{
	Liaison__V1__Envelope	 e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__HandlingCode code = LIAISON__V1__HANDLING_CODE__HANDLING_H2;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 rc;
	uint8_t			 id[16], ad[LSN_SEAL_AD_MAX], ick[32];
	uint8_t			*inner = NULL, *body, *out = NULL;
	size_t			 ilen = 0, blen, adlen, nto = 0;
	char			 text[2048], *grp[1], *dflt_to[1];
	const char		*field = NULL;

	dflt_to[0] = muts("p02");
	memset(text, 0, sizeof(text));
	memcpy(text, "synthetic", 9);
	memset(text + 9, 'x', (size_t) s->pad);
	if (s->inner != NULL)
		inner = build(s->inner, &ilen, ick);
	n.text = text;
	if (s->key_in_note) {
		if (s->bad_key)
			ick[0] ^= 1;
		n.has_forward_key = 1;
		n.forward_key.data = ick;
		n.forward_key.len = 32;
	}
	blen = liaison__v1__note__get_packed_size(&n);
	assert_non_null(body = malloc(blen));
	liaison__v1__note__pack(&n, body);
	lsn_random(id, sizeof(id));
	while (nto < 3 && s->to[nto] != NULL)
		nto++;
	if (nto == 0) {
		e.to = dflt_to;
		nto = 1;
	} else
		e.to = (char **) (uintptr_t) s->to;
	h.has_tlp = 1;
	h.tlp = s->tlp != 0 ? s->tlp : LIAISON__V1__TLP__TLP_GREEN;
	if (s->h2) {
		h.n_codes = 1;
		h.codes = &code;
	}
	e.has_version = 1;
	e.version = 1;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = 16;
	e.sender = muts(ids[s->from]);
	e.n_to = nto;
	if (s->group != NULL) {
		grp[0] = muts(s->group);
		e.n_to_groups = 1;
		e.to_groups = grp;
	}
	e.has_created_ms = 1;
	e.created_ms = (uint64_t) ((int64_t) now + s->created);
	if (s->expires != 0) {
		e.has_expires_ms = 1;
		e.expires_ms = (uint64_t) ((int64_t) now + s->expires);
	}
	e.has_type = 1;
	e.type = s->type != 0 ? s->type :
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	e.handling = &h;
	if (inner != NULL) {
		e.has_forwarded = 1;
		e.forwarded.data = inner;
		e.forwarded.len = ilen;
	}
	if (s->seal > 0) {
		int to = s->seal - 1;

		rc.partner = ids[to];
		rc.pk = P[to].enc->pk;
		assert_ok(lsn_seal_ad_env(&e, ad, &adlen));
		assert_ok(lsn_seal(body, blen, ad, adlen, &rc, 1, &sb));
		e.sealed = sb;
		assert_ok(lsn_unseal_key(sb, ids[to], P[to].enc, ck));
	} else {
		e.has_body = 1;
		e.body.data = body;
		e.body.len = blen;
	}
	if (lsn_envelope_sign(&e, s->key_other ? P[s->from].other :
	    P[s->from].sign, &out, len, &field) != LSN_OK)
		fail_msg("sign: %s", field != NULL ? field : "-");
	if (s->flip_sig) {
		Liaison__V1__SignedEnvelope *se;

		assert_non_null(se = liaison__v1__signed_envelope__unpack(
		    NULL, *len, out));
		se->signature.data[3] ^= 0x10;
		liaison__v1__signed_envelope__pack(se, out);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	}
	lsn_sealed_free(&sb);
	free(body);
	free(inner);
	return (out);
}

/* ---- the table ---- */

struct row {
	const char	*name;
	struct spec	 s;
	const char	*peer;		/* ingress connection (NULL: p01) */
	const char	*dpeer;		/* delivery recipient (NULL: p02) */
	size_t		 max;		/* size limit (0: default) */
	int		 garbage;	/* not an envelope at all */
	int		 peer_after;	/* ingress: peer changes after phase 1 */
	int		 code[LSN_TRUST_ROLES];	/* SKIP: not run */
	int		 rule[LSN_TRUST_ROLES];
};

#define G	LIAISON__V1__TLP__TLP_GREEN
#define A	LIAISON__V1__TLP__TLP_AMBER
#define AS	LIAISON__V1__TLP__TLP_AMBER_STRICT
#define R	LIAISON__V1__TLP__TLP_RED
#define OK4	{ 0, 0, 0, 0 }
#define TO2	{ "p02", NULL, NULL }
#define TO1	{ "p01", NULL, NULL }
#define BASE	.from = P01

static const struct spec in_red = { .from = P05, .to = TO1, .tlp = R,
	.seal = P01 + 1 };
static const struct spec in_amber = { .from = P05, .to = TO1, .tlp = A,
	.seal = P01 + 1 };
static const struct spec in_green_sealed = { .from = P05, .to = TO1,
	.seal = P01 + 1 };
static const struct spec in_green = { .from = P05, .to = TO1 };
static const struct spec in_badsig = { .from = P05, .to = TO1, .flip_sig = 1 };
static const struct spec in_other = { .from = P05,
	.to = { "p06", NULL, NULL } };
static const struct spec in_strict = { .from = P05, .to = TO1, .tlp = AS,
	.seal = P01 + 1 };
static const struct spec in_h2 = { .from = P05, .to = TO1, .h2 = 1 };

#define F	LSN_EFORWARD
static const struct row rows[] = {
	{ "accepted", { BASE }, .code = OK4, .rule = OK4 },
	{ "size", { BASE, .pad = 1500 }, .max = 1024,
	  .code = { LSN_ETOOBIG, SKIP, LSN_ETOOBIG, LSN_ETOOBIG },
	  .rule = { LSN_RULE_SIZE, 0, LSN_RULE_SIZE, LSN_RULE_SIZE } },
	{ "outer", { BASE }, .garbage = 1,
	  .code = { LSN_EPROTO, SKIP, LSN_EPROTO, LSN_EPROTO },
	  .rule = { LSN_RULE_OUTER, 0, LSN_RULE_OUTER, LSN_RULE_OUTER } },
	{ "signer-is-peer", { .from = P05, .to = TO2 },
	  .code = { LSN_ESENDER, 0, 0, 0 },
	  .rule = { LSN_RULE_SIGNER_PEER, 0, 0, 0 } },
	{ "sender-known", { .from = P09, .to = TO2 },
	  .peer = "p09",
	  .code = { LSN_EUNKNOWNSENDER, SKIP, LSN_EUNKNOWNSENDER,
	  LSN_EUNKNOWNSENDER },
	  .rule = { LSN_RULE_SENDER_KNOWN, 0, LSN_RULE_SENDER_KNOWN,
	  LSN_RULE_SENDER_KNOWN } },
	{ "sender-active", { .from = P03, .to = TO2 },
	  .peer = "p03",
	  .code = { LSN_ESUSPENDED, SKIP, LSN_ESUSPENDED, LSN_ESUSPENDED },
	  .rule = { LSN_RULE_SENDER_ACTIVE, 0, LSN_RULE_SENDER_ACTIVE,
	  LSN_RULE_SENDER_ACTIVE } },
	{ "key-known", { BASE, .key_other = 1 },
	  .code = { LSN_EUNKNOWNKEY, SKIP, LSN_EUNKNOWNKEY, LSN_EUNKNOWNKEY },
	  .rule = { LSN_RULE_KEY_KNOWN, 0, LSN_RULE_KEY_KNOWN,
	  LSN_RULE_KEY_KNOWN } },
	{ "key-valid-now", { .from = P06, .to = TO2,
	  .created = -60000 }, .peer = "p06",
	  .code = { LSN_EKEYREVOKED, 0, 0, 0 },
	  .rule = { LSN_RULE_KEY_NOW, 0, 0, 0 } },
	{ "signature", { BASE, .flip_sig = 1 },
	  .code = { LSN_EBADSIG, SKIP, LSN_EBADSIG, LSN_EBADSIG },
	  .rule = { LSN_RULE_SIGNATURE, 0, LSN_RULE_SIGNATURE,
	  LSN_RULE_SIGNATURE } },
	{ "key-at-created", { BASE, .created = -2 * (int64_t) HOUR },
	  .code = { LSN_EKEYEXPIRED, 0, LSN_EKEYEXPIRED, LSN_EKEYEXPIRED },
	  .rule = { LSN_RULE_KEY_AT_CREATED, 0, LSN_RULE_KEY_AT_CREATED,
	  LSN_RULE_KEY_AT_CREATED } },
	{ "sender-is-peer", { BASE }, .peer_after = 1,
	  .code = { LSN_ESENDER, 0, 0, 0 },
	  .rule = { LSN_RULE_SENDER_PEER, 0, 0, 0 } },
	{ "not-expired", { BASE, .created = -10000, .expires = -1 },
	  .code = { LSN_EEXPIRED, LSN_EEXPIRED, 0, 0 },
	  .rule = { LSN_RULE_EXPIRED, LSN_RULE_EXPIRED, 0, 0 } },
	{ "clock-skew", { BASE, .created = -1800000 },
	  .code = { LSN_ESKEW, 0, 0, 0 },
	  .rule = { LSN_RULE_SKEW, 0, 0, 0 } },
	{ "recipient-active", { BASE, .to = { "p02", "p04", NULL } },
	  .dpeer = "p04",
	  .code = { LSN_EUNKNOWNRCPT, LSN_EUNKNOWNRCPT, 0, 0 },
	  .rule = { LSN_RULE_RCPT_ACTIVE, LSN_RULE_RCPT_ACTIVE, 0, 0 } },
	{ "group-exists", { BASE, .group = "nogroup" },
	  .code = { LSN_EUNKNOWNGROUP, 0, 0, 0 },
	  .rule = { LSN_RULE_GROUP_EXISTS, 0, 0, 0 } },
	{ "addressed-to-us", { BASE, .to = { "p05", NULL, NULL } },
	  .code = { 0, 0, LSN_EUNKNOWNRCPT, 0 },
	  .rule = { 0, 0, LSN_RULE_ADDRESSED, 0 } },
	{ "addressed-via-group", { BASE, .to = { "p05", NULL, NULL },
	  .group = "g1" }, .code = OK4, .rule = OK4 },
	{ "fwd-shape", { BASE, .type =
	  LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK,
	  .inner = &in_green },
	  .code = { F, 0, F, F },
	  .rule = { LSN_RULE_FWD_SHAPE, 0, LSN_RULE_FWD_SHAPE,
	  LSN_RULE_FWD_SHAPE } },
	{ "fwd-red", { BASE, .tlp = R, .seal = P02 + 1, .inner = &in_red,
	  .key_in_note = 1 },
	  .code = { F, 0, F, F },
	  .rule = { LSN_RULE_FWD_RED, 0, LSN_RULE_FWD_RED, LSN_RULE_FWD_RED } },
	{ "fwd-markings", { BASE, .inner = &in_amber },
	  .code = { F, 0, F, F },
	  .rule = { LSN_RULE_FWD_MARKINGS, 0, LSN_RULE_FWD_MARKINGS,
	  LSN_RULE_FWD_MARKINGS } },
	{ "fwd-key-visible", { BASE, .inner = &in_green_sealed,
	  .key_in_note = 1 },
	  .code = { F, 0, 0, 0 },
	  .rule = { LSN_RULE_FWD_KEY_VISIBLE, 0, 0, 0 } },
	{ "fwd-inner-signature", { BASE, .inner = &in_badsig },
	  .code = { 0, 0, F, F },
	  .rule = { 0, 0, LSN_RULE_FWD_INNER_SIG, LSN_RULE_FWD_INNER_SIG } },
	{ "fwd-not-recipient", { BASE, .inner = &in_other },
	  .code = { 0, 0, F, F },
	  .rule = { 0, 0, LSN_RULE_FWD_NOT_RCPT, LSN_RULE_FWD_NOT_RCPT } },
	{ "fwd-amber-strict", { BASE, .tlp = AS, .seal = P02 + 1,
	  .inner = &in_strict, .key_in_note = 1 },
	  .code = { 0, 0, F, F },
	  .rule = { 0, 0, LSN_RULE_FWD_STRICT, LSN_RULE_FWD_STRICT } },
	{ "fwd-h2", { BASE, .h2 = 1, .inner = &in_h2 },
	  .code = { 0, 0, F, F },
	  .rule = { 0, 0, LSN_RULE_FWD_H2, LSN_RULE_FWD_H2 } },
	{ "fwd-body", { BASE, .tlp = A, .seal = P02 + 1, .inner = &in_amber,
	  .key_in_note = 1, .bad_key = 1 },
	  .code = { 0, 0, F, F },
	  .rule = { 0, 0, LSN_RULE_FWD_BODY, LSN_RULE_FWD_BODY } },
	{ "fwd-accepted", { BASE, .tlp = A, .seal = P02 + 1,
	  .inner = &in_amber, .key_in_note = 1 },
	  .code = OK4, .rule = OK4 },
};

/* Runs one row in one role; returns the result. */
static void
run(const struct row *w, int role, struct lsn_trust_result *res)
{
	struct lsn_trust_ctx	 c;
	struct lsn_trust_msg	 m;
	Liaison__V1__Envelope	*in = NULL;
	uint8_t			*buf, *note = NULL, ck[32], ad[LSN_SEAL_AD_MAX];
	size_t			 len, nlen = 0, adlen;
	int			 rv;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	memset(&c, 0, sizeof(c));
	c.role = role;
	c.dir = &view;
	c.now_ms = now;
	c.skew_ms = 600000;
	c.max = w->max;
	c.peer = role == LSN_TRUST_BROKER_INGRESS ? (w->peer != NULL ?
	    w->peer : "p01") : role == LSN_TRUST_BROKER_DELIVERY ?
	    (w->dpeer != NULL ? w->dpeer : "p02") :
	    role == LSN_TRUST_RECIPIENT_AGENT ? "p02" : NULL;
	if (w->garbage) {
		assert_non_null(buf = malloc(4));
		memcpy(buf, "\x0a\xff\x01\x02", 4);
		len = 4;
	} else
		buf = build(&w->s, &len, ck);
	if (role == LSN_TRUST_BROKER_DELIVERY) {
		/* a stored message: signature checked at ingress; the
		 * broker re-parses it and runs the handling rules */
		assert_ok(lsn_trust_outer(&(struct lsn_trust_ctx){
		    .role = LSN_TRUST_OFFLINE_CLI, .dir = &view,
		    .now_ms = now }, buf, len, &m, res));
		assert_ok(lsn_trust_verify(&m));
		rv = lsn_trust_handling(&c, m.env, res);
		goto out;
	}
	if (w->peer_after && role == LSN_TRUST_BROKER_INGRESS) {
		if ((rv = lsn_trust_outer(&c, buf, len, &m, res)) != LSN_OK)
			goto out;
		(void) lsn_trust_verify(&m);
		c.peer = "p05";
		if ((rv = lsn_trust_identity(&c, &m, res)) != LSN_OK)
			goto out;
		rv = lsn_trust_handling(&c, m.env, res);
		goto out;
	}
	if ((rv = lsn_trust_check(&c, buf, len, &m, res)) != LSN_OK)
		goto out;
	if (m.env->has_forwarded && role != LSN_TRUST_BROKER_INGRESS) {
		/* the recipient opens the outer note, then phase 5 */
		if (m.env->sealed != NULL) {
			assert_ok(lsn_seal_ad_env(m.env, ad, &adlen));
			assert_ok(lsn_unseal(m.env->sealed, ad, adlen, "p02",
			    P[P02].enc, &note, &nlen));
		} else {
			nlen = m.env->body.len;
			assert_non_null(note = malloc(nlen + 1));
			memcpy(note, m.env->body.data, nlen);
		}
		uint8_t *ib = NULL;
		size_t	 il = 0;

		rv = lsn_trust_forward(&c, m.env, note, nlen, &in, &ib, &il,
		    res);
		free(ib);
	}
 out:
	(void) rv;
	lsn_envelope_free(&in);
	free(note);
	lsn_trust_msg_clear(&m);
	free(buf);
}

static void
test_trust_table(void **state)
{
	struct lsn_trust_result	r;
	int			bad = 0;

	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int role = 0; role < LSN_TRUST_ROLES; role++) {
			const struct row *w = &rows[i];

			if (w->code[role] == SKIP)
				continue;
			run(w, role, &r);
			if (r.code != w->code[role] ||
			    (int) r.rule != w->rule[role]) {
				print_message("%-20s %-16s got %s/%s (%s), "
				    "want %s/%s\n", w->name,
				    lsn_trust_role_name(role),
				    lsn_errname(r.code),
				    lsn_trust_rule_name((int) r.rule),
				    r.detail, lsn_errname(w->code[role]),
				    lsn_trust_rule_name(w->rule[role]));
				bad++;
			}
		}
	assert_int_equal(bad, 0);
}

/* Every rule has a row, and a row's rule runs in the role that
 * answers it. */
static void
test_trust_every_rule_has_a_row(void **state)
{
	int	seen[LSN_RULE__COUNT] = { 0 };

	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int role = 0; role < LSN_TRUST_ROLES; role++) {
			int rule = rows[i].rule[role];

			if (rows[i].code[role] == SKIP || rule == 0)
				continue;
			seen[rule] = 1;
			if (!lsn_trust_rule_applies(rule, role))
				fail_msg("%s: rule %s answered in role %s, "
				    "which the table does not give it",
				    rows[i].name, lsn_trust_rule_name(rule),
				    lsn_trust_role_name(role));
		}
	for (int k = 1; k < LSN_RULE__COUNT; k++) {
		if (!seen[k])
			fail_msg("rule %s has no row", lsn_trust_rule_name(k));
		assert_string_not_equal(lsn_trust_rule_name(k), "?");
	}
	assert_string_equal(lsn_trust_rule_name(LSN_RULE__COUNT), "?");
}

static int
setup(void **state)
{
	(void) state;
	if (lsn_init() != LSN_OK)
		return (-1);
	now = lsn_now_ms();
	for (int i = 0; i < NP; i++) {
		if (lsn_keypair_generate(LSN_KEY_SIGN, ids[i], &P[i].sign) !=
		    LSN_OK ||
		    lsn_keypair_generate(LSN_KEY_SIGN, ids[i], &P[i].other) !=
		    LSN_OK ||
		    lsn_keypair_generate(LSN_KEY_ENCRYPT, ids[i], &P[i].enc) !=
		    LSN_OK)
			return (-1);
		P[i].status = ST_ACTIVE;
		P[i].from = now - 24 * HOUR;
	}
	P[P01].from = now - HOUR;
	P[P03].status = ST_SUSP;
	P[P04].status = ST_REVOKED;
	P[P06].revoked = now - 10000;
	P[P09].status = 0;
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	for (int i = 0; i < NP; i++) {
		lsn_keypair_destroy(&P[i].sign);
		lsn_keypair_destroy(&P[i].other);
		lsn_keypair_destroy(&P[i].enc);
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust_table),
		cmocka_unit_test(test_trust_every_rule_has_a_row),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
