/*
 * cmd_send_typed.c -- send referral | alert | meeting: typed messages
 * through the local agent (helpers in wfcli.h).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "api.pb-c.h"

#include "liaison/body.h"
#include "liaison/dir.h"
#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agentcli.h"
#include "read.h"
#include "render.h"
#include "cli.h"
#include "wfcli.h"

/*
 * --priority (1..4, "P2" too) and --tlp of send referral and send alert:
 * 0 with *prio or *tlp set, else prints why and -1.
 */
static int
send_prio_tlp(int ch, const char *arg, long long *prio, int *tlp)
{
	if (ch == W_PRIO) {
		if (lsn_strtonum(arg[0] == 'P' ? arg + 1 : arg, 1, 4, prio,
		    NULL) != LSN_OK) {
			cli_err("send", "priority must be 1..4");
			return (-1);
		}
		return (0);
	}
	if (wf_parse_tlp(arg, tlp) != 0) {
		cli_err("send", "unknown TLP '%s'", arg);
		return (-1);
	}
	return (0);
}

/*
 * Sends m, a new referral or alert (what) whose id field points at id, to
 * one partner: fills id with a new random id, submits (wf_submit_one
 * prints the message id) and prints "<what> HEX" ("<what>_id" in JSON).
 * CLI exit code.
 */
static int
send_new(const char *what, const char *agent, const char *conf,
    const char *to, int type, const ProtobufCMessage *m, uint8_t id[16],
    int tlp, int prio)
{
	char	hex[33], key[32];
	int	rv;

	lsn_random(id, 16);
	if ((rv = wf_submit_one("send", agent, conf, to, type, m, tlp,
	    prio)) != CLI_EXIT_OK)
		return (rv);
	lsn_hex_encode(id, 16, hex);
	if (cli_json_out) {
		snprintf(key, sizeof(key), "%s_id", what);
		cli_out(key, "%s", hex);
	} else
		printf("%s %s\n", what, hex);
	return (CLI_EXIT_OK);
}

/* ---- send referral ---- */

static void
send_referral_usage(FILE *f)
{
	fprintf(f, "usage: liaison send referral --to ID --summary TEXT "
	    "--category C --country CC\n"
	    "           [--basis B] [--priority 1-4] [--tlp T] "
	    "[--action TEXT] [--case REF]\n"
	    "Offers a referral (a new referral id) to one partner; prints "
	    "the message id\nand the referral id. Categories: csam-"
	    "distribution, csam-production,\ngrooming, sextortion, live-"
	    "streamed-abuse, trafficking, travelling-offender,\nother. "
	    "Basis: ip-geolocation (default), hosting-country, victim-"
	    "location,\noffender-location, other. TLP amber and stronger "
	    "is sealed by the agent.\nexample: liaison send referral --to au-afp --category sextortion --country AU\n  --summary 'Accounts traced to Sydney' --priority 2 --tlp amber\n%s", cli_agent_opt_help);
}

int
cmd_send_referral(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "to", required_argument, NULL, W_TO },
		{ "summary", required_argument, NULL, W_SUMMARY },
		{ "category", required_argument, NULL, W_CATEGORY },
		{ "country", required_argument, NULL, W_COUNTRY },
		{ "basis", required_argument, NULL, W_BASIS },
		{ "priority", required_argument, NULL, W_PRIO },
		{ "tlp", required_argument, NULL, W_TLP },
		{ "action", required_argument, NULL, W_ACTION },
		{ "case", required_argument, NULL, W_CASE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ReferralHandoff	h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	j = LIAISON__V1__JURISDICTION__INIT;
	const char			*agent = NULL, *conf = NULL, *to = NULL;
	uint8_t				 rid[16];
	long long			 prio = 3;
	int				 ch, v, rv, tlp = 2;

	optind = 1;
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_TO:
			to = optarg;
			break;
		case W_SUMMARY:
			h.summary = optarg;
			break;
		case W_CATEGORY:
			if ((rv = wf_opt_enum("send", "category",
			    &liaison__v1__referral_category__descriptor,
			    "CATEGORY_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			h.has_category = 1;
			h.category = v;
			break;
		case W_COUNTRY:
			j.country = optarg;
			break;
		case W_BASIS:
			if ((rv = wf_opt_enum("send", "basis",
			    &liaison__v1__jurisdiction_basis__descriptor,
			    "BASIS_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			j.basis = v;
			break;
		case W_PRIO:
		case W_TLP:
			if (send_prio_tlp(ch, optarg, &prio, &tlp) != 0)
				return (CLI_EXIT_USAGE);
			break;
		case W_ACTION:
			h.requested_action = optarg;
			break;
		case W_CASE:
			h.sender_case_ref = optarg;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, send_referral_usage));
		}
	}
	if (optind != argc || to == NULL || !lsn_slug_valid(to) ||
	    h.summary == NULL || !h.has_category || j.country == NULL)
		return (cli_usage_exit(0, send_referral_usage));
	cli_id_field(&h.has_referral_id, &h.referral_id, rid);
	h.has_priority = 1;
	h.priority = (int) prio;
	h.jurisdiction = &j;
	return (send_new("referral", agent, conf, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, &h.base,
	    rid, tlp, (int) prio));
}

/* ---- send alert ---- */

static void
send_alert_usage(FILE *f)
{
	fprintf(f, "usage: liaison send alert --to ID --summary TEXT "
	    "[--kind K] [--priority 1-4]\n           [--tlp T]\n"
	    "Raises an alert (a new alert id) that the recipient must "
	    "acknowledge\n(liaison reply ALERT_ID ack) within the deadline "
	    "of its priority, else it is\nescalated to the recipient's "
	    "24/7 contact. Kinds: child-at-risk,\ntravelling-offender, "
	    "missing-child, threat-warning (default), platform-"
	    "vulnerability.\n--text is a synonym of --summary.\nexample: liaison send alert --to au-afp --kind child-at-risk --priority 1\n  --summary 'Livestream announced for tonight'\n%s",
	    cli_agent_opt_help);
}

int
cmd_send_alert(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "to", required_argument, NULL, W_TO },
		{ "kind", required_argument, NULL, W_CATEGORY },
		{ "summary", required_argument, NULL, W_SUMMARY },
		{ "text", required_argument, NULL, W_SUMMARY },
		{ "priority", required_argument, NULL, W_PRIO },
		{ "tlp", required_argument, NULL, W_TLP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__Alert	 al = LIAISON__V1__ALERT__INIT;
	const char		*agent = NULL, *conf = NULL, *to = NULL;
	uint8_t			 aid[16];
	long long		 prio = 2;
	int			 ch, v, rv, tlp = 2;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_TO:
			to = optarg;
			break;
		case W_CATEGORY:
			if ((rv = wf_opt_enum("send", "alert kind",
			    &liaison__v1__alert_kind__descriptor,
			    "ALERT_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			al.has_kind = 1;
			al.kind = v;
			break;
		case W_SUMMARY:
			al.summary = optarg;
			break;
		case W_PRIO:
		case W_TLP:
			if (send_prio_tlp(ch, optarg, &prio, &tlp) != 0)
				return (CLI_EXIT_USAGE);
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, send_alert_usage));
		}
	}
	if (optind != argc || to == NULL || !lsn_slug_valid(to) ||
	    al.summary == NULL)
		return (cli_usage_exit(0, send_alert_usage));
	if (!al.has_kind) {
		al.has_kind = 1;
		al.kind = LIAISON__V1__ALERT_KIND__ALERT_THREAT_WARNING;
	}
	cli_id_field(&al.has_alert_id, &al.alert_id, aid);
	al.has_priority = 1;
	al.priority = (int) prio;
	return (send_new("alert", agent, conf, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT, &al.base, aid, tlp,
	    (int) prio));
}

/* ---- send meeting ---- */

/* ms since the epoch, or YYYY-MM-DDTHH:MM[:SS]Z (UTC). */
static int
parse_when(const char *s, uint64_t *out)
{
	struct tm	 tm;
	const char	*e;
	long long	 v;
	time_t		 t;

	if (lsn_strtonum(s, 1, (long long) LSN_BODY_TIME_MAX, &v, NULL) ==
	    LSN_OK) {
		*out = (uint64_t) v;
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%dT%H:%M", &tm)) == NULL)
		return (-1);
	if (*e == ':' && (e = strptime(e, ":%S", &tm)) == NULL)
		return (-1);
	if (strcmp(e, "Z") != 0 || (t = timegm(&tm)) <= 0)
		return (-1);
	*out = (uint64_t) t * 1000;
	return (0);
}

static void
send_meeting_usage(FILE *f)
{
	fprintf(f, "usage: liaison send meeting --to ID[,ID] | --group G "
	    "--title T --start WHEN\n"
	    "           --end WHEN --tz ZONE (--link https://... | --venue NAME "
	    "[--city C]\n           [--country CC]) [--kind K] [--agenda ITEM]... "
	    "[--lang TAG]...\n           [--id MEETING_ID --version N "
	    "[--cancel]]\n"
	    "Sends a meeting notice; a new meeting gets a new id (printed) "
	    "and version 1,\nan update or cancellation names the id and "
	    "the next version. WHEN is\nYYYY-MM-DDTHH:MM[:SS]Z or ms since "
	    "the epoch. Kinds: plenary (default),\nworking-group, "
	    "operational, training. Invitees answer with liaison rsvp.\n"
	    "ZONE is a tz database name (Europe/Paris); the link must be "
	    "https://;\n--agenda and --lang may be repeated (each adds one).\n"
	    "example: liaison send meeting --group ops-coord --title "
	    "'Case conference'\n  --start 2027-01-12T09:00Z --end "
	    "2027-01-12T10:00Z --tz Europe/Lyon\n  --link https://meet.example/"
	    "ops --agenda 'Open cases' --lang en --lang fr\n%s",
	    cli_agent_opt_help);
}

/* Over 80 lines: an option per MeetingNotice field, then the send. */
int
cmd_send_meeting(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "to", required_argument, NULL, W_TO },
		{ "group", required_argument, NULL, W_CASE },
		{ "title", required_argument, NULL, W_SUMMARY },
		{ "start", required_argument, NULL, W_COUNTRY },
		{ "end", required_argument, NULL, W_BASIS },
		{ "tz", required_argument, NULL, W_STATE },
		{ "link", required_argument, NULL, W_TEXT },
		{ "venue", required_argument, NULL, W_REASON },
		{ "city", required_argument, NULL, W_OUTCOME },
		{ "country", required_argument, NULL, W_NOTE },
		{ "kind", required_argument, NULL, W_CATEGORY },
		{ "id", required_argument, NULL, W_ACTION },
		{ "version", required_argument, NULL, W_PRIO },
		{ "cancel", no_argument, NULL, W_OVERDUE },
		{ "lang", required_argument, NULL, W_LANG },
		{ "agenda", required_argument, NULL, W_AGENDA },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__MeetingNotice	 n = LIAISON__V1__MEETING_NOTICE__INIT;
	Liaison__V1__Venue		 vn = LIAISON__V1__VENUE__INIT;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__StatusRequest	 st = LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL;
	const char			*to = NULL, *group = NULL, *idhex = NULL;
	const char			*field = NULL;
	char				*tov[1], me[LSN_DIR_ID_MAX + 1];
	char				 hexid[33];
	char				*langs[LSN_CLI_LANGS_MAX], *agenda[64];
	uint8_t				 mid[16], *body = NULL;
	long long			 version = 1;
	int				 ch, v, rv, cancel = 0;

	optind = 1;
	n.has_kind = 1;
	n.kind = LIAISON__V1__MEETING_KIND__MEETING_PLENARY;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_TO:
			to = optarg;
			break;
		case W_CASE:
			group = optarg;
			break;
		case W_SUMMARY:
			n.title = optarg;
			break;
		case W_COUNTRY:
		case W_BASIS:
			if (parse_when(optarg, ch == W_COUNTRY ? &n.start_ms :
			    &n.end_ms) != 0) {
				cli_err("send", "bad time '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			if (ch == W_COUNTRY)
				n.has_start_ms = 1;
			else
				n.has_end_ms = 1;
			break;
		case W_STATE:
			if ((rv = cli_tz_opt("send", optarg,
			    (const char **) (void *) &n.time_zone)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case W_TEXT:
			if (!wf_link_ok(optarg)) {
				cli_err("send", "--link must be an https:// "
				    "link, not '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			n.virtual_link = optarg;
			break;
		case W_LANG:
			if (wf_lang_add(optarg, langs, &n.n_languages) != 0)
				return (CLI_EXIT_USAGE);
			n.languages = langs;
			break;
		case W_AGENDA:
			if (n.n_agenda >= sizeof(agenda) / sizeof(agenda[0])) {
				cli_err("send", "at most 64 agenda items");
				return (CLI_EXIT_USAGE);
			}
			agenda[n.n_agenda++] = optarg;
			n.agenda = agenda;
			break;
		case W_REASON:
			vn.name = optarg;
			n.venue = &vn;
			break;
		case W_OUTCOME:
			vn.city = optarg;
			n.venue = &vn;
			break;
		case W_NOTE:
			vn.country = optarg;
			n.venue = &vn;
			break;
		case W_CATEGORY:
			if ((rv = wf_opt_enum("send", "meeting kind",
			    &liaison__v1__meeting_kind__descriptor,
			    "MEETING_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			n.kind = v;
			break;
		case W_ACTION:
			idhex = optarg;
			break;
		case W_PRIO:
			if (lsn_strtonum(optarg, 1, UINT32_MAX, &version,
			    NULL) != LSN_OK) {
				cli_err("send", "bad --version");
				return (CLI_EXIT_USAGE);
			}
			break;
		case W_OVERDUE:
			cancel = 1;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, send_meeting_usage));
		}
	}
	if (optind != argc || (to == NULL) == (group == NULL) ||
	    (to != NULL && !lsn_slug_valid(to)) ||
	    (group != NULL && !lsn_slug_valid(group)) ||
	    (idhex == NULL && (version != 1 || cancel)))
		return (cli_usage_exit(0, send_meeting_usage));
	if (idhex != NULL) {
		if ((rv = wf_parse_id("send", idhex, mid)) != CLI_EXIT_OK)
			return (rv);
	} else
		lsn_random(mid, sizeof(mid));
	/* the organiser is this agent's partner */
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	if ((rv = wf_call("send", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	lsn_strlcpy(me, r->status != NULL && r->status->partner != NULL ?
	    r->status->partner : "", sizeof(me));
	lsn_client_response_free(&r);
	cli_id_field(&n.has_meeting_id, &n.meeting_id, mid);
	n.has_version = 1;
	n.version = (uint32_t) version;
	n.organiser_partner = me;
	n.has_status = 1;
	n.status = cancel ? LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED :
	    version > 1 ? LIAISON__V1__MEETING_STATUS__MEETING_UPDATED :
	    LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED;
	if ((rv = lsn_body_validate_msg(&n.base, lsn_now_ms(), &field)) !=
	    LSN_OK) {
		cli_err("send", "invalid meeting notice: %s (%s)",
		    lsn_strerror(rv), field != NULL ? field : "-");
		return (CLI_EXIT_USAGE);
	}
	if (cli_submit_body(&sr,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE, &n.base,
	    &body) != 0)
		return (CLI_EXIT_FAIL);
	tov[0] = cli_mut(to != NULL ? to : group);
	if (to != NULL) {
		sr.n_to = 1;
		sr.to = tov;
	} else {
		sr.n_to_groups = 1;
		sr.to_groups = tov;
	}
	memset(&req, 0, sizeof(req));
	liaison__v1__api_request__init(&req);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	rv = wf_call("send", agent, conf, &req, &r);
	free(body);
	if (rv != CLI_EXIT_OK)
		return (rv);
	lsn_client_response_free(&r);
	lsn_hex_encode(mid, sizeof(mid), hexid);
	if (cli_json_out) {
		cli_out("meeting_id", "%s", hexid);
		cli_out("version", "%lld", version);
	} else
		printf("meeting %s version %lld\n", hexid, version);
	return (CLI_EXIT_OK);
}
