/* test_workflow.c -- referral state machine, deadlines, escalation,
 * meeting roll-up, contact staleness. Time is always explicit. */
#include "lsn_test.h"

#include <stdint.h>
#include <string.h>

#include "envelope.pb-c.h"

#include "liaison/workflow.h"

#define HOUR		(3600ULL * 1000)
#define DAY		(24 * HOUR)
#define SENT		1700000000000ULL

#define ACK		LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK
#define ACCEPT		LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT
#define DECLINE		LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE
#define REQINFO		LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO
#define SUPPLY		LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO
#define WITHDRAW	LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW
#define REDIRECT	LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT
#define CLOSE		LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE

#define P1		LIAISON__V1__PRIORITY__PRIORITY_P1
#define P2		LIAISON__V1__PRIORITY__PRIORITY_P2
#define P3		LIAISON__V1__PRIORITY__PRIORITY_P3
#define P4		LIAISON__V1__PRIORITY__PRIORITY_P4

#define ATT		LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING
#define NOT		LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING
#define TEN		LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE

/* DOMAIN.md's diagram, written out independently of lib/workflow.c:
 * R = recipient acts, S = sender acts. */
static const struct {
	enum lsn_referral_state	from;
	int			action;
	int			sender;
	enum lsn_referral_state	to;
} allowed[] = {
	{ LSN_REF_OFFERED, ACK, 0, LSN_REF_ACKNOWLEDGED },
	{ LSN_REF_ACKNOWLEDGED, ACCEPT, 0, LSN_REF_ACCEPTED },
	{ LSN_REF_ACCEPTED, CLOSE, 0, LSN_REF_CLOSED },
	{ LSN_REF_ACKNOWLEDGED, DECLINE, 0, LSN_REF_DECLINED },
	{ LSN_REF_ACKNOWLEDGED, REQINFO, 0, LSN_REF_INFO_REQUESTED },
	{ LSN_REF_INFO_REQUESTED, SUPPLY, 1, LSN_REF_ACKNOWLEDGED },
	{ LSN_REF_OFFERED, WITHDRAW, 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_ACKNOWLEDGED, WITHDRAW, 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_INFO_REQUESTED, WITHDRAW, 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_ACCEPTED, REDIRECT, 0, LSN_REF_REDIRECTED },
	/* a redirect the new partner declines is not a dead end: the
	 * redirector takes the case back or closes it (issue 17) */
	{ LSN_REF_REDIRECTED, ACCEPT, 0, LSN_REF_ACCEPTED },
	{ LSN_REF_REDIRECTED, CLOSE, 0, LSN_REF_CLOSED },
};

/* Checks one (state, action, actor) against the table; counts the
 * allowed ones in *ok. */
static void
check_one(int s, int a, int actor, size_t *ok)
{
	enum lsn_referral_state	next = 0, want = 0;
	int			found = 0, rv;
	const char		*who = actor ? "sender" : "recipient";

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((int) allowed[i].from == s && allowed[i].action == a &&
		    allowed[i].sender == actor) {
			found = 1;
			want = allowed[i].to;
		}
	rv = lsn_referral_next((enum lsn_referral_state) s, a, actor, &next);
	if (found) {
		if (rv != LSN_OK || next != want)
			fail_msg("%s %s by %s: rv %d next %d",
			    lsn_referral_state_name(s),
			    lsn_referral_action_name(a), who, rv, next);
		(*ok)++;
	} else if (rv != LSN_ETRANSITION || next != 0)
		fail_msg("%s %s by %s: want LSN_ETRANSITION, got %d",
		    lsn_referral_state_name(s), lsn_referral_action_name(a),
		    who, rv);
}

static void
test_workflow_referral_full_transition_table(void **state)
{
	size_t	ok = 0;

	(void) state;
	/* Every state (and two invalid ones) x every action (and two
	 * invalid ones) x both actors. */
	for (int s = 0; s <= LSN_REF_STATE_MAX + 1; s++)
		for (int a = 0; a <= CLOSE + 1; a++)
			for (int actor = 0; actor <= 1; actor++)
				check_one(s, a, actor, &ok);
	assert_int_equal(ok, sizeof(allowed) / sizeof(allowed[0]));
	/* Any non-zero actor value means "sender". */
	{
		enum lsn_referral_state next;

		assert_ok(lsn_referral_next(LSN_REF_OFFERED, WITHDRAW, 7,
		    &next));
		assert_int_equal(next, LSN_REF_WITHDRAWN);
		assert_err(lsn_referral_next(LSN_REF_OFFERED, ACK, 0, NULL),
		    LSN_EINVAL);
	}
}

static void
test_workflow_referral_happy_paths(void **state)
{
	enum lsn_referral_state	s = LSN_REF_OFFERED;

	(void) state;
	/* offered -> acked -> info requested -> supplied -> accepted ->
	 * closed, as the end-to-end scenario of issue 5. */
	assert_ok(lsn_referral_next(s, ACK, 0, &s));
	assert_ok(lsn_referral_next(s, REQINFO, 0, &s));
	assert_int_equal(s, LSN_REF_INFO_REQUESTED);
	assert_ok(lsn_referral_next(s, SUPPLY, 1, &s));
	assert_int_equal(s, LSN_REF_ACKNOWLEDGED);
	assert_ok(lsn_referral_next(s, ACCEPT, 0, &s));
	assert_ok(lsn_referral_next(s, CLOSE, 0, &s));
	assert_int_equal(s, LSN_REF_CLOSED);
	assert_true(lsn_referral_final(s));
	/* Illegal after the end, and decline straight from OFFERED. */
	assert_err(lsn_referral_next(s, ACK, 0, &s), LSN_ETRANSITION);
	assert_err(lsn_referral_next(LSN_REF_OFFERED, DECLINE, 0, &s),
	    LSN_ETRANSITION);
	/* The sender cannot accept its own referral; the recipient cannot
	 * withdraw it. */
	assert_err(lsn_referral_next(LSN_REF_ACKNOWLEDGED, ACCEPT, 1, &s),
	    LSN_ETRANSITION);
	assert_err(lsn_referral_next(LSN_REF_OFFERED, WITHDRAW, 0, &s),
	    LSN_ETRANSITION);
	/* No withdrawal once accepted. */
	assert_err(lsn_referral_next(LSN_REF_ACCEPTED, WITHDRAW, 1, &s),
	    LSN_ETRANSITION);
	assert_false(lsn_referral_final(LSN_REF_ACCEPTED));
	assert_false(lsn_referral_final(LSN_REF_REDIRECTED));
	assert_true(lsn_referral_final(LSN_REF_DECLINED));
	assert_true(lsn_referral_final(LSN_REF_WITHDRAWN));
}

/*
 * Issue 17: B accepts A's referral and redirects it to C; C declines the
 * linked referral. The original must not be stuck in REDIRECTED: B takes
 * it back (accept) and can then redirect it elsewhere or close it, and
 * the allowed next steps say so.
 */
static void
test_workflow_referral_declined_redirect_not_stuck(void **state)
{
	enum lsn_referral_state	orig = LSN_REF_ACCEPTED, linked = LSN_REF_OFFERED;
	int			acts[8];
	size_t			n;

	(void) state;
	assert_ok(lsn_referral_next(orig, REDIRECT, 0, &orig));
	assert_ok(lsn_referral_next(linked, ACK, 0, &linked));
	assert_ok(lsn_referral_next(linked, DECLINE, 0, &linked));
	assert_true(lsn_referral_final(linked));
	assert_false(lsn_referral_final(orig));
	n = lsn_referral_allowed(orig, 0, acts, 8);
	assert_int_equal(n, 2);
	assert_int_equal(acts[0], ACCEPT);
	assert_int_equal(acts[1], CLOSE);
	assert_int_equal(lsn_referral_allowed(orig, 1, acts, 8), 0);
	assert_ok(lsn_referral_next(orig, ACCEPT, 0, &orig));
	assert_int_equal(orig, LSN_REF_ACCEPTED);
	assert_ok(lsn_referral_next(orig, REDIRECT, 0, &orig));
	assert_ok(lsn_referral_next(orig, CLOSE, 0, &orig));
	assert_int_equal(orig, LSN_REF_CLOSED);
	/* the hint for a decline refused in OFFERED: ack first */
	n = lsn_referral_allowed(LSN_REF_OFFERED, 0, acts, 8);
	assert_int_equal(n, 1);
	assert_int_equal(acts[0], ACK);
	assert_int_equal(lsn_referral_allowed(LSN_REF_CLOSED, 0, acts, 8), 0);
	assert_int_equal(lsn_referral_allowed(0, 0, acts, 8), 0);
}

static void
test_workflow_referral_names(void **state)
{
	enum lsn_referral_state	s;

	(void) state;
	for (int i = LSN_REF_STATE_MIN; i <= LSN_REF_STATE_MAX; i++) {
		assert_ok(lsn_referral_state_parse(
		    lsn_referral_state_name(i), &s));
		assert_int_equal(s, i);
	}
	assert_ok(lsn_referral_state_parse("info_requested", &s));
	assert_int_equal(s, LSN_REF_INFO_REQUESTED);
	assert_err(lsn_referral_state_parse("open", &s), LSN_EINVAL);
	assert_err(lsn_referral_state_parse("", &s), LSN_EINVAL);
	assert_err(lsn_referral_state_parse(NULL, &s), LSN_EINVAL);
	assert_err(lsn_referral_state_parse(
	    "acknowledged-acknowledged-acknowledged", &s), LSN_EINVAL);
	assert_string_equal(lsn_referral_state_name(0), "?");
	assert_string_equal(lsn_referral_state_name(9), "?");
	assert_string_equal(lsn_referral_action_name(REQINFO),
	    "request-info");
	assert_string_equal(lsn_referral_action_name(99), "?");
}

static void
test_workflow_deadlines_defaults_and_config(void **state)
{
	struct lsn_deadlines	d;
	uint64_t		dl;

	(void) state;
	assert_ok(lsn_ack_deadline(P1, SENT, NULL, &dl));
	assert_int_equal(dl, SENT + HOUR);
	assert_ok(lsn_ack_deadline(P2, SENT, NULL, &dl));
	assert_int_equal(dl, SENT + DAY);
	assert_ok(lsn_ack_deadline(P3, SENT, NULL, &dl));
	assert_int_equal(dl, SENT + 7 * DAY);
	assert_ok(lsn_ack_deadline(P4, SENT, NULL, &dl));
	assert_int_equal(dl, SENT + 30 * DAY);
	assert_err(lsn_ack_deadline(0, SENT, NULL, &dl), LSN_EINVAL);
	assert_err(lsn_ack_deadline(5, SENT, NULL, &dl), LSN_EINVAL);
	assert_err(lsn_ack_deadline(P1, SENT, NULL, NULL), LSN_EINVAL);

	/* Configured: P1 15 minutes; a zero entry keeps the default. */
	lsn_deadlines_default(&d);
	assert_int_equal(d.ack_ms[P3], 7 * DAY);
	d.ack_ms[P1] = 15 * 60 * 1000;
	d.ack_ms[P2] = 0;
	assert_ok(lsn_ack_deadline(P1, SENT, &d, &dl));
	assert_int_equal(dl, SENT + 15 * 60 * 1000);
	assert_ok(lsn_ack_deadline(P2, SENT, &d, &dl));
	assert_int_equal(dl, SENT + DAY);
	/* Saturates instead of wrapping. */
	assert_ok(lsn_ack_deadline(P4, UINT64_MAX - 5, NULL, &dl));
	assert_true(dl == UINT64_MAX);
}

static void
test_workflow_overdue_boundaries(void **state)
{
	(void) state;
	assert_int_equal(lsn_is_overdue(P1, SENT, SENT, NULL), 0);
	/* Acknowledging exactly at the deadline is in time. */
	assert_int_equal(lsn_is_overdue(P1, SENT, SENT + HOUR, NULL), 0);
	assert_int_equal(lsn_is_overdue(P1, SENT, SENT + HOUR + 1, NULL), 1);
	assert_int_equal(lsn_is_overdue(P2, SENT, SENT + HOUR + 1, NULL), 0);
	assert_int_equal(lsn_is_overdue(P2, SENT, SENT + DAY + 1, NULL), 1);
	assert_int_equal(lsn_is_overdue(P4, SENT, SENT + 29 * DAY, NULL), 0);
	assert_int_equal(lsn_is_overdue(P4, SENT, SENT + 31 * DAY, NULL), 1);
	assert_int_equal(lsn_is_overdue(0, SENT, SENT, NULL), LSN_EINVAL);
}

static void
test_workflow_escalation(void **state)
{
	uint64_t	late = SENT + HOUR + 1, early = SENT + HOUR;

	(void) state;
	/* A P1 referral not acknowledged in time. */
	assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, P1,
	    LSN_REF_OFFERED, SENT, late, NULL), 1);
	assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, P1,
	    LSN_REF_OFFERED, SENT, early, NULL), 0);
	/* Acknowledged (or later states), withdrawn: no escalation. */
	for (int s = LSN_REF_ACKNOWLEDGED; s <= LSN_REF_STATE_MAX; s++)
		assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, P1, s,
		    SENT, late + 30 * DAY, NULL), 0);
	/* P2..P4 referrals are shown overdue but not escalated. */
	assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, P2,
	    LSN_REF_OFFERED, SENT, SENT + 2 * DAY, NULL), 0);
	assert_int_equal(lsn_is_overdue(P2, SENT, SENT + 2 * DAY, NULL), 1);
	/* Every alert not acknowledged in time, whatever its priority. */
	assert_int_equal(lsn_escalation_due(LSN_ESC_ALERT, P1, LSN_ALERT_OPEN,
	    SENT, late, NULL), 1);
	assert_int_equal(lsn_escalation_due(LSN_ESC_ALERT, P3, LSN_ALERT_OPEN,
	    SENT, SENT + 7 * DAY + 1, NULL), 1);
	assert_int_equal(lsn_escalation_due(LSN_ESC_ALERT, P3, LSN_ALERT_OPEN,
	    SENT, SENT + 7 * DAY, NULL), 0);
	assert_int_equal(lsn_escalation_due(LSN_ESC_ALERT, P1,
	    LSN_ALERT_ACKED, SENT, late, NULL), 0);
	/* Bad kind, state or priority. */
	assert_int_equal(lsn_escalation_due(3, P1, LSN_ALERT_OPEN, SENT, late,
	    NULL), LSN_EINVAL);
	assert_int_equal(lsn_escalation_due(LSN_ESC_ALERT, P1, 0, SENT, late,
	    NULL), LSN_EINVAL);
	assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, P1, 9, SENT,
	    late, NULL), LSN_EINVAL);
	assert_int_equal(lsn_escalation_due(LSN_ESC_REFERRAL, 0,
	    LSN_REF_OFFERED, SENT, late, NULL), LSN_EINVAL);
}

static void
test_workflow_meeting_rollup(void **state)
{
	const char *const inv[] = {
		"au-afp", "uk-ceop", "us-ncmec", "it-polpost", "nz-police",
	};
	/* Current version 3. */
	const struct lsn_rsvp r[] = {
		{ "au-afp", 3, ATT, SENT + 10 },
		{ "uk-ceop", 2, ATT, SENT + 5 },	/* stale */
		{ "us-ncmec", 3, TEN, SENT + 1 },
		{ "us-ncmec", 3, NOT, SENT + 2 },	/* latest wins */
		{ "it-polpost", 3, ATT, SENT + 9 },
		{ "it-polpost", 2, NOT, SENT + 20 },	/* older version */
		{ "ecpat", 3, ATT, SENT },		/* not invited */
		{ "au-afp", 4, NOT, SENT + 30 },	/* future version */
		{ "au-afp", 0, NOT, SENT + 30 },	/* version 0 */
	};
	struct lsn_rollup_entry		out[5];
	struct lsn_rollup_counts	c;

	(void) state;
	assert_ok(lsn_meeting_rollup(inv, 5, r, 9, 3, out, &c));
	assert_string_equal(out[0].partner, "au-afp");
	assert_int_equal(out[0].answer, ATT);
	assert_int_equal(out[0].version, 3);
	assert_int_equal(out[0].stale, 0);
	assert_int_equal(out[0].rsvp_index, 0);
	assert_int_equal(out[1].answer, ATT);
	assert_int_equal(out[1].version, 2);
	assert_int_equal(out[1].stale, 1);
	assert_int_equal(out[2].answer, NOT);
	assert_int_equal(out[2].time_ms, SENT + 2);
	assert_int_equal(out[2].rsvp_index, 3);
	assert_int_equal(out[3].answer, ATT);
	assert_int_equal(out[3].version, 3);
	assert_int_equal(out[3].stale, 0);
	assert_int_equal(out[4].answer, 0);
	assert_int_equal(out[4].version, 0);
	assert_int_equal(c.attending, 2);
	assert_int_equal(c.not_attending, 1);
	assert_int_equal(c.tentative, 0);
	assert_int_equal(c.stale, 1);
	assert_int_equal(c.no_answer, 1);
	assert_int_equal(c.ignored, 3);

	/* Equal times: arrival order decides. */
	{
		const struct lsn_rsvp r2[] = {
			{ "au-afp", 1, ATT, SENT },
			{ "au-afp", 1, TEN, SENT },
		};

		assert_ok(lsn_meeting_rollup(inv, 1, r2, 2, 1, out, &c));
		assert_int_equal(out[0].answer, TEN);
		assert_int_equal(c.tentative, 1);
	}
	/* Nobody answered; no invitees. */
	assert_ok(lsn_meeting_rollup(inv, 5, NULL, 0, 1, out, &c));
	assert_int_equal(c.no_answer, 5);
	assert_ok(lsn_meeting_rollup(NULL, 0, r, 9, 3, NULL, &c));
	assert_int_equal(c.ignored, 9);
	assert_int_equal(c.no_answer, 0);
}

static void
test_workflow_meeting_rollup_refuses_bad_input(void **state)
{
	const char *const dup[] = { "au-afp", "uk-ceop", "au-afp" };
	const char *const inv[] = { "au-afp", NULL };
	const struct lsn_rsvp bad[] = { { "au-afp", 1, 9, SENT } };
	const struct lsn_rsvp nul[] = { { NULL, 1, ATT, SENT } };
	struct lsn_rollup_entry		out[3];
	struct lsn_rollup_counts	c = { 0 };

	(void) state;
	assert_err(lsn_meeting_rollup(dup, 3, NULL, 0, 1, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 2, NULL, 0, 1, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 1, bad, 1, 1, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 1, nul, 1, 1, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 1, NULL, 0, 0, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 1, NULL, 1, 1, out, &c),
	    LSN_EINVAL);
	assert_err(lsn_meeting_rollup(inv, 1, NULL, 0, 1, out, NULL),
	    LSN_EINVAL);
	/* Nothing written on failure. */
	assert_int_equal(c.no_answer, 0);
}

static void
test_workflow_contact_stale(void **state)
{
	uint64_t	p = 180 * DAY;

	(void) state;
	assert_int_equal(LSN_CONTACT_STALE_MS, p);
	/* Verified recently: fresh; verified long ago: stale. */
	assert_int_equal(lsn_contact_stale(SENT, 0, SENT + DAY, 0), 0);
	assert_int_equal(lsn_contact_stale(SENT, 0, SENT + p, 0), 0);
	assert_int_equal(lsn_contact_stale(SENT, 0, SENT + p + 1, 0), 1);
	/* An update counts as well as a confirmation. */
	assert_int_equal(lsn_contact_stale(SENT, SENT + 100 * DAY,
	    SENT + p + 1, 0), 0);
	assert_int_equal(lsn_contact_stale(SENT + 100 * DAY, SENT,
	    SENT + p + 1, 0), 0);
	/* Never verified nor updated. */
	assert_int_equal(lsn_contact_stale(0, 0, SENT, 0), 1);
	/* Configured period: 30 days. */
	assert_int_equal(lsn_contact_stale(SENT, 0, SENT + 31 * DAY,
	    30 * DAY), 1);
	assert_int_equal(lsn_contact_stale(SENT, 0, SENT + 29 * DAY,
	    30 * DAY), 0);
	/* No wrap-around for absurd times. */
	assert_int_equal(lsn_contact_stale(UINT64_MAX - 1, 0, 5, 0), 0);
}

static void
test_workflow_redirect_id_bound_to_original_and_recipient(void **state)
{
	uint8_t	rid[16], rid2[16], a[16], b[16], c[16], a2[16];

	(void) state;
	memset(rid, 0x11, sizeof(rid));
	memset(rid2, 0x11, sizeof(rid2));
	rid2[15] = 0x12;
	assert_ok(lsn_referral_redirect_id(rid, "nca-ceop", a));
	assert_ok(lsn_referral_redirect_id(rid, "nca-ceop", a2));
	assert_memory_equal(a, a2, 16);	/* deterministic */
	assert_ok(lsn_referral_redirect_id(rid, "rcmp-ncecc", b));
	assert_memory_not_equal(a, b, 16);
	assert_ok(lsn_referral_redirect_id(rid2, "nca-ceop", c));
	assert_memory_not_equal(a, c, 16);
	assert_memory_not_equal(a, rid, 16);
	assert_int_equal(lsn_referral_redirect_id(rid, "Not A Slug", a2),
	    LSN_EINVAL);
	assert_int_equal(lsn_referral_redirect_id(rid, NULL, a2), LSN_EINVAL);
	assert_int_equal(lsn_referral_redirect_id(NULL, "nca-ceop", a2),
	    LSN_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workflow_referral_full_transition_table),
		cmocka_unit_test(test_workflow_referral_happy_paths),
		cmocka_unit_test(
		    test_workflow_referral_declined_redirect_not_stuck),
		cmocka_unit_test(test_workflow_referral_names),
		cmocka_unit_test(test_workflow_deadlines_defaults_and_config),
		cmocka_unit_test(test_workflow_overdue_boundaries),
		cmocka_unit_test(test_workflow_escalation),
		cmocka_unit_test(test_workflow_meeting_rollup),
		cmocka_unit_test(
		    test_workflow_meeting_rollup_refuses_bad_input),
		cmocka_unit_test(test_workflow_contact_stale),
		cmocka_unit_test(
		    test_workflow_redirect_id_bound_to_original_and_recipient),
	};

	return (cmocka_run_group_tests_name("workflow", tests, NULL, NULL));
}
