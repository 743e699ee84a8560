/*
 * cmd_workflow.c -- coordination workflows through the local agent:
 *   liaison send referral --to ID --summary TEXT --category C --country CC
 *   liaison referral list [--state S] [--overdue] [--json]
 *   liaison reply REFERRAL_ID ack|accept|decline|info|supply|withdraw|
 *       redirect|close [--text T] [--reason R] [--outcome O] [--to ID]
 *   liaison meeting show MEETING_ID [--json]
 *   liaison rsvp MEETING_ID attending|not-attending|tentative [--note T]
 * The agent checks every step against its workflow tables and answers
 * E_TRANSITION for an illegal one (exit 1).
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
#include "cli.h"

#define WF_TIMEOUT_MS		10000
#define WF_DEFAULT_CONF		"/etc/liaison/agent.conf"

enum {
	W_AGENT = 2000, W_TO, W_SUMMARY, W_CATEGORY, W_COUNTRY, W_BASIS,
	W_PRIO, W_TLP, W_ACTION, W_STATE, W_OVERDUE, W_JSON, W_TEXT,
	W_REASON, W_OUTCOME, W_NOTE, W_CASE,
};

static const char *wf_opt_help =
    "  --agent ENDPOINT   agent API endpoint (ipc://... or tcp://127.0.0.1:P)\n"
    "  -c FILE            agent.conf to find the endpoint\n";

static char *
mut(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

/* One call to the agent: CLI_EXIT_OK with *respp, or an exit code. */
static int
call(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **respp)
{
	struct lsn_client		*c = NULL;
	Liaison__V1__ApiResponse	*r = NULL;
	char				 ep[LSN_CLIENT_EP_MAX];
	int				 rv;

	if (agent != NULL) {
		if (lsn_strlcpy(ep, agent, sizeof(ep)) >= sizeof(ep)) {
			cli_err(cmd, "endpoint too long");
			return (CLI_EXIT_USAGE);
		}
	} else {
		if (conf == NULL)
			conf = getenv("LIAISON_AGENT_CONF");
		if (conf == NULL)
			conf = WF_DEFAULT_CONF;
		if ((rv = lsn_client_endpoint_from_conf(conf, ep,
		    sizeof(ep))) != LSN_OK) {
			cli_err(cmd, "%s: %s", conf, lsn_strerror(rv));
			return (CLI_EXIT_UNAVAILABLE);
		}
	}
	if ((rv = lsn_client_open(ep, &c)) != LSN_OK) {
		cli_err(cmd, "cannot reach the agent at %s: %s", ep,
		    lsn_strerror(rv));
		return (rv == LSN_EINVAL ? CLI_EXIT_USAGE :
		    CLI_EXIT_UNAVAILABLE);
	}
	rv = lsn_client_call(c, req, WF_TIMEOUT_MS, &r);
	lsn_client_close(&c);
	if (rv != LSN_OK) {
		cli_err(cmd, "no answer from the agent at %s: %s", ep,
		    lsn_strerror(rv));
		return (CLI_EXIT_UNAVAILABLE);
	}
	if ((rv = cli_api_check(cmd, &r)) != CLI_EXIT_OK)
		return (rv);
	*respp = r;
	return (CLI_EXIT_OK);
}

/* Submits a typed body (packed from m) to one partner; prints the id. */
static int
submit_one(const char *cmd, const char *agent, const char *conf,
    const char *to, int type, const ProtobufCMessage *m, int tlp, int prio)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*field = NULL;
	char				*tov[1], idhex[33];
	uint8_t				*body;
	size_t				 len;
	int				 rv;

	if ((rv = lsn_body_validate_msg(m, lsn_now_ms(), &field)) !=
	    LSN_OK) {
		cli_err(cmd, "invalid %s: %s (%s)",
		    lsn_envelope_type_name(type), lsn_strerror(rv),
		    field != NULL ? field : "-");
		return (CLI_EXIT_USAGE);
	}
	len = protobuf_c_message_get_packed_size(m);
	if ((body = malloc(len ? len : 1)) == NULL) {
		cli_err(cmd, "out of memory");
		return (CLI_EXIT_FAIL);
	}
	protobuf_c_message_pack(m, body);
	tov[0] = mut(to);
	sr.n_to = 1;
	sr.to = tov;
	sr.has_type = 1;
	sr.type = type;
	sr.has_body = 1;
	sr.body.data = body;
	sr.body.len = len;
	/* tlp 0: a reply; the agent gives it its thread's marking */
	if (tlp != 0) {
		h.has_tlp = 1;
		h.tlp = tlp;
		sr.handling = &h;
	}
	if (prio != 0) {
		sr.has_priority = 1;
		sr.priority = prio;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	rv = call(cmd, agent, conf, &req, &r);
	free(body);
	if (rv != CLI_EXIT_OK)
		return (rv);
	if (r->submit == NULL || r->submit->message_id.len != 16) {
		cli_err(cmd, "malformed answer from the agent");
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	lsn_hex_encode(r->submit->message_id.data, 16, idhex);
	printf("%s\n", idhex);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* Parses NAME against the lower-case enum value names after a prefix. */
static int
enum_parse(const ProtobufCEnumDescriptor *d, const char *prefix,
    const char *s, int *out)
{
	size_t	pl = strlen(prefix);

	for (unsigned i = 0; i < d->n_values; i++) {
		const char *n = d->values[i].name;

		if (strncmp(n, prefix, pl) != 0 || d->values[i].value == 0)
			continue;
		n += pl;
		if (strlen(n) != strlen(s))
			continue;
		for (size_t k = 0; ; k++) {
			char a = n[k], b = s[k];

			if (b == '-')
				b = '_';
			if (a == '\0' && b == '\0') {
				*out = d->values[i].value;
				return (0);
			}
			if (a == '\0' || b == '\0' ||
			    (char) (a | 0x20) != (char) (b | 0x20))
				break;
		}
	}
	return (-1);
}

static int
parse_tlp(const char *s, int *out)
{
	for (int i = 1; i <= 5; i++)
		if (strcasecmp(lsn_tlp_name(i), s) == 0) {
			*out = i;
			return (0);
		}
	return (-1);
}

static int
parse_id(const char *cmd, const char *s, uint8_t id[16])
{
	if (strlen(s) != 32 || lsn_hex_decode(s, id, 16) != LSN_OK) {
		cli_err(cmd, "id must be 32 hex characters");
		return (CLI_EXIT_USAGE);
	}
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
	    "is sealed by the agent.\n%s", wf_opt_help);
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
	char				 ridhex[33];
	long long			 prio = 3;
	int				 ch, v, rv, tlp = 2;

	optind = 1;
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_TO:
			to = optarg;
			break;
		case W_SUMMARY:
			h.summary = optarg;
			break;
		case W_CATEGORY:
			if (enum_parse(&liaison__v1__referral_category__descriptor,
			    "CATEGORY_", optarg, &v) != 0) {
				cli_err("send", "unknown category '%s'",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			h.has_category = 1;
			h.category = v;
			break;
		case W_COUNTRY:
			j.country = optarg;
			break;
		case W_BASIS:
			if (enum_parse(
			    &liaison__v1__jurisdiction_basis__descriptor,
			    "BASIS_", optarg, &v) != 0) {
				cli_err("send", "unknown basis '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			j.basis = v;
			break;
		case W_PRIO:
			if (lsn_strtonum(optarg[0] == 'P' ? optarg + 1 :
			    optarg, 1, 4, &prio, NULL) != LSN_OK) {
				cli_err("send", "priority must be 1..4");
				return (CLI_EXIT_USAGE);
			}
			break;
		case W_TLP:
			if (parse_tlp(optarg, &tlp) != 0) {
				cli_err("send", "unknown TLP '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case W_ACTION:
			h.requested_action = optarg;
			break;
		case W_CASE:
			h.sender_case_ref = optarg;
			break;
		case 'h':
			send_referral_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			send_referral_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc || to == NULL || !lsn_slug_valid(to) ||
	    h.summary == NULL || !h.has_category || j.country == NULL) {
		send_referral_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	lsn_random(rid, sizeof(rid));
	h.has_referral_id = 1;
	h.referral_id.data = rid;
	h.referral_id.len = sizeof(rid);
	h.has_priority = 1;
	h.priority = (int) prio;
	h.jurisdiction = &j;
	rv = submit_one("send", agent, conf, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, &h.base,
	    tlp, (int) prio);
	if (rv == CLI_EXIT_OK) {
		lsn_hex_encode(rid, sizeof(rid), ridhex);
		printf("referral %s\n", ridhex);
	}
	return (rv);
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
	    "vulnerability.\n--text is a synonym of --summary.\n%s",
	    wf_opt_help);
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
	char			 hexid[33];
	long long		 prio = 2;
	int			 ch, v, rv, tlp = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_TO:
			to = optarg;
			break;
		case W_CATEGORY:
			if (enum_parse(&liaison__v1__alert_kind__descriptor,
			    "ALERT_", optarg, &v) != 0) {
				cli_err("send", "unknown alert kind '%s'",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			al.has_kind = 1;
			al.kind = v;
			break;
		case W_SUMMARY:
			al.summary = optarg;
			break;
		case W_PRIO:
			if (lsn_strtonum(optarg[0] == 'P' ? optarg + 1 :
			    optarg, 1, 4, &prio, NULL) != LSN_OK) {
				cli_err("send", "priority must be 1..4");
				return (CLI_EXIT_USAGE);
			}
			break;
		case W_TLP:
			if (parse_tlp(optarg, &tlp) != 0) {
				cli_err("send", "unknown TLP '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'h':
			send_alert_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			send_alert_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc || to == NULL || !lsn_slug_valid(to) ||
	    al.summary == NULL) {
		send_alert_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (!al.has_kind) {
		al.has_kind = 1;
		al.kind = LIAISON__V1__ALERT_KIND__ALERT_THREAT_WARNING;
	}
	lsn_random(aid, sizeof(aid));
	al.has_alert_id = 1;
	al.alert_id.data = aid;
	al.alert_id.len = sizeof(aid);
	al.has_priority = 1;
	al.priority = (int) prio;
	rv = submit_one("send", agent, conf, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT, &al.base, tlp,
	    (int) prio);
	if (rv == CLI_EXIT_OK) {
		lsn_hex_encode(aid, sizeof(aid), hexid);
		printf("alert %s\n", hexid);
	}
	return (rv);
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
	    "           --end WHEN --tz ZONE (--link URL | --venue NAME "
	    "[--city C]\n           [--country CC]) [--kind K] [--id "
	    "MEETING_ID --version N [--cancel]]\n"
	    "Sends a meeting notice; a new meeting gets a new id (printed) "
	    "and version 1,\nan update or cancellation names the id and "
	    "the next version. WHEN is\nYYYY-MM-DDTHH:MM[:SS]Z or ms since "
	    "the epoch. Kinds: plenary (default),\nworking-group, "
	    "operational, training. Invitees answer with liaison rsvp.\n%s",
	    wf_opt_help);
}

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
	uint8_t				 mid[16], *body = NULL;
	long long			 version = 1;
	int				 ch, v, rv, cancel = 0;

	optind = 1;
	n.has_kind = 1;
	n.kind = LIAISON__V1__MEETING_KIND__MEETING_PLENARY;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
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
			n.time_zone = optarg;
			break;
		case W_TEXT:
			n.virtual_link = optarg;
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
			if (enum_parse(&liaison__v1__meeting_kind__descriptor,
			    "MEETING_", optarg, &v) != 0) {
				cli_err("send", "unknown meeting kind '%s'",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
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
		case 'h':
			send_meeting_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			send_meeting_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc || (to == NULL) == (group == NULL) ||
	    (to != NULL && !lsn_slug_valid(to)) ||
	    (group != NULL && !lsn_slug_valid(group)) ||
	    (idhex == NULL && (version != 1 || cancel))) {
		send_meeting_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (idhex != NULL) {
		if ((rv = parse_id("send", idhex, mid)) != CLI_EXIT_OK)
			return (rv);
	} else
		lsn_random(mid, sizeof(mid));
	/* the organiser is this agent's partner */
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	if ((rv = call("send", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	lsn_strlcpy(me, r->status != NULL && r->status->partner != NULL ?
	    r->status->partner : "", sizeof(me));
	lsn_client_response_free(&r);
	n.has_meeting_id = 1;
	n.meeting_id.data = mid;
	n.meeting_id.len = sizeof(mid);
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
	sr.body.len = liaison__v1__meeting_notice__get_packed_size(&n);
	if ((body = malloc(sr.body.len)) == NULL)
		return (CLI_EXIT_FAIL);
	liaison__v1__meeting_notice__pack(&n, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE;
	tov[0] = mut(to != NULL ? to : group);
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
	rv = call("send", agent, conf, &req, &r);
	free(body);
	if (rv != CLI_EXIT_OK)
		return (rv);
	lsn_client_response_free(&r);
	lsn_hex_encode(mid, sizeof(mid), hexid);
	printf("meeting %s version %lld\n", hexid, version);
	return (CLI_EXIT_OK);
}

/* ---- referral list ---- */

static void
referral_usage(FILE *f)
{
	fprintf(f, "usage: liaison referral list [--state S] [--overdue] "
	    "[--json]\n"
	    "Lists tracked referrals (ours and received), newest first.\n"
	    "States: offered, acknowledged, accepted, declined, "
	    "info-requested,\nwithdrawn, redirected, closed. --overdue: "
	    "not acknowledged by their deadline.\n%s", wf_opt_help);
}

static void
fmt_ms(uint64_t ms, char *buf, size_t sz)
{
	time_t		t = (time_t) (ms / 1000);
	struct tm	tm;

	if (ms == 0)
		snprintf(buf, sz, "-");
	else if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sz, "%llu", (unsigned long long) ms);
}

int
cmd_referral(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "state", required_argument, NULL, W_STATE },
		{ "overdue", no_argument, NULL, W_OVERDUE },
		{ "json", no_argument, NULL, W_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL;
	json_t				*arr = NULL;
	char				 idhex[33], t1[32], t2[32];
	int				 ch, rv, json = 0;

	if ((rv = cli_subcmd_expect(argc, argv, "list", referral_usage)) != -1)
		return (rv);
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_STATE:
			wl.state = optarg;
			break;
		case W_OVERDUE:
			wl.has_overdue_only = 1;
			wl.overdue_only = 1;
			break;
		case W_JSON:
			json = 1;
			break;
		case 'h':
			referral_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			referral_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		referral_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	wl.kind = mut("referral");
	wl.has_limit = 1;
	wl.limit = 1000;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if ((rv = call("referral", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if (r->workflow_list == NULL) {
		cli_err("referral", "malformed answer from the agent");
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	if (json && (arr = json_array()) == NULL) {
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	for (size_t i = 0; i < r->workflow_list->n_items; i++) {
		Liaison__V1__TrackedItem *it = r->workflow_list->items[i];

		if (it->item_id.len != 16)
			continue;
		lsn_hex_encode(it->item_id.data, 16, idhex);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, "
			    "s:I, s:I, s:I, s:b, s:b}", "referral_id", idhex,
			    "peer", it->peer, "role", it->role, "state",
			    it->state, "priority", (int) it->priority,
			    "sent_ms", (json_int_t) it->sent_ms, "acked_ms",
			    (json_int_t) it->acked_ms, "deadline_ms",
			    (json_int_t) it->deadline_ms, "overdue",
			    (int) it->overdue, "escalated",
			    (int) it->escalated);

			if (o == NULL || json_array_append_new(arr, o) != 0) {
				json_decref(arr);
				lsn_client_response_free(&r);
				return (CLI_EXIT_FAIL);
			}
			continue;
		}
		fmt_ms(it->sent_ms, t1, sizeof(t1));
		fmt_ms(it->deadline_ms, t2, sizeof(t2));
		printf("%s  %-9s %-16s P%d %-14s sent %s  deadline %s%s%s\n",
		    idhex, it->role, it->peer, (int) it->priority, it->state,
		    t1, t2, it->overdue ? "  OVERDUE" : "",
		    it->escalated ? " (escalated)" : "");
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		if (s != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(arr);
	}
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* ---- reply ---- */

static void
reply_usage(FILE *f)
{
	fprintf(f, "usage: liaison reply REFERRAL_ID|ALERT_ID ACTION "
	    "[--text T] [--reason R]\n           [--outcome O]\n"
	    "           [--to PARTNER] [--redirect-to PARTNER]\n"
	    "Actions: ack, accept, decline (--reason not-competent|"
	    "insufficient-info|\nduplicate|out-of-scope|other), info "
	    "(request info, --text), supply (--text),\nwithdraw, redirect "
	    "(--redirect-to), close (--outcome victim-safeguarded|\n"
	    "offender-identified|arrest|content-removed|no-further-action|"
	    "transferred).\nAn alert is acknowledged with ack. "
	    "The other side is found from the agent's "
	    "referral table (--to if several).\n%s", wf_opt_help);
}

static const struct {
	const char	*name;
	int		 action;
} reply_actions[] = {
	{ "ack", LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK },
	{ "accept", LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT },
	{ "decline", LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE },
	{ "info", LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO },
	{ "supply", LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO },
	{ "withdraw", LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW },
	{ "redirect", LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT },
	{ "close", LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE },
};

int
cmd_reply(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "text", required_argument, NULL, W_TEXT },
		{ "reason", required_argument, NULL, W_REASON },
		{ "outcome", required_argument, NULL, W_OUTCOME },
		{ "to", required_argument, NULL, W_TO },
		{ "redirect-to", required_argument, NULL, W_NOTE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ReferralResponse	 rr =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL, *to = NULL;
	char				 peer[LSN_DIR_ID_MAX + 1];
	uint8_t				 rid[16];
	int				 ch, v, rv, action = 0, is_alert = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_TEXT:
			rr.text = optarg;
			break;
		case W_REASON:
			if (enum_parse(&liaison__v1__decline_reason__descriptor,
			    "DECLINE_", optarg, &v) != 0) {
				cli_err("reply", "unknown reason '%s'",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			rr.has_decline_reason = 1;
			rr.decline_reason = v;
			break;
		case W_OUTCOME:
			if (enum_parse(&liaison__v1__close_outcome__descriptor,
			    "OUTCOME_", optarg, &v) != 0) {
				cli_err("reply", "unknown outcome '%s'",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			rr.has_outcome = 1;
			rr.outcome = v;
			break;
		case W_TO:
			to = optarg;
			break;
		case W_NOTE:
			rr.redirect_to = optarg;
			break;
		case 'h':
			reply_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			reply_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (argc - optind != 2) {
		reply_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if ((rv = parse_id("reply", argv[optind], rid)) != CLI_EXIT_OK)
		return (rv);
	for (size_t i = 0; i < sizeof(reply_actions) /
	    sizeof(reply_actions[0]); i++)
		if (strcmp(argv[optind + 1], reply_actions[i].name) == 0)
			action = reply_actions[i].action;
	if (action == 0) {
		cli_err("reply", "unknown action '%s'", argv[optind + 1]);
		return (CLI_EXIT_USAGE);
	}
	if (action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE &&
	    !rr.has_decline_reason) {
		rr.has_decline_reason = 1;
		rr.decline_reason = rr.text != NULL ?
		    LIAISON__V1__DECLINE_REASON__DECLINE_OTHER :
		    LIAISON__V1__DECLINE_REASON__DECLINE_OUT_OF_SCOPE;
	}
	if (action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE &&
	    !rr.has_outcome) {
		cli_err("reply", "close needs --outcome");
		return (CLI_EXIT_USAGE);
	}
	/* the other side of the referral (or alert, for ack) */
	wl.has_item_id = 1;
	wl.item_id.data = rid;
	wl.item_id.len = sizeof(rid);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if ((rv = call("reply", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	peer[0] = '\0';
	for (size_t i = 0; r->workflow_list != NULL &&
	    i < r->workflow_list->n_items; i++) {
		const char *p = r->workflow_list->items[i]->peer;

		is_alert = strcmp(r->workflow_list->items[i]->kind,
		    "alert") == 0;

		if (to != NULL && strcmp(p, to) != 0)
			continue;
		if (peer[0] != '\0') {
			cli_err("reply", "referral shared with several "
			    "partners: name one with --to");
			lsn_client_response_free(&r);
			return (CLI_EXIT_USAGE);
		}
		lsn_strlcpy(peer, p, sizeof(peer));
	}
	lsn_client_response_free(&r);
	if (peer[0] == '\0') {
		cli_err("reply", "no such referral at this agent");
		return (CLI_EXIT_FAIL);
	}
	if (is_alert) {
		Liaison__V1__AlertAck ak = LIAISON__V1__ALERT_ACK__INIT;

		if (action != LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK) {
			cli_err("reply", "an alert is only acknowledged (ack)");
			return (CLI_EXIT_USAGE);
		}
		ak.has_alert_id = 1;
		ak.alert_id.data = rid;
		ak.alert_id.len = sizeof(rid);
		ak.text = rr.text;
		return (submit_one("reply", agent, conf, peer,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK,
		    &ak.base, 0, 0));
	}
	rr.has_referral_id = 1;
	rr.referral_id.data = rid;
	rr.referral_id.len = sizeof(rid);
	rr.has_action = 1;
	rr.action = action;
	rv = submit_one("reply", agent, conf, peer,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &rr.base, 0, 0);
	if (rv == CLI_EXIT_OK &&
	    action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT &&
	    rr.redirect_to != NULL) {
		uint8_t	nid[LSN_REDIRECT_ID_BYTES];
		char	hx[2 * LSN_REDIRECT_ID_BYTES + 1];

		/* the agent offered the linked referral (docs/protocol.md) */
		if (lsn_referral_redirect_id(rid, rr.redirect_to, nid) ==
		    LSN_OK) {
			lsn_hex_encode(nid, sizeof(nid), hx);
			printf("linked referral %s offered to %s\n", hx,
			    rr.redirect_to);
		}
	}
	return (rv);
}

/* ---- meeting show, rsvp ---- */

static void
meeting_usage(FILE *f)
{
	fprintf(f, "usage: liaison meeting show MEETING_ID [--json]\n"
	    "The organiser sees the RSVP roll-up per invitee; an invitee "
	    "sees the\nmeeting's version and status.\n%s", wf_opt_help);
}

static int
meeting_get(const char *cmd, const char *agent, const char *conf,
    const uint8_t mid[16], Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest	 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;
	int				 rv;

	ms.has_meeting_id = 1;
	ms.meeting_id.data = (uint8_t *) (uintptr_t) mid;
	ms.meeting_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	req.meeting_show = &ms;
	if ((rv = call(cmd, agent, conf, &req, rp)) != CLI_EXIT_OK)
		return (rv);
	if ((*rp)->meeting_show == NULL) {
		cli_err(cmd, "malformed answer from the agent");
		lsn_client_response_free(rp);
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}

static const char *
answer_name(int a)
{
	switch (a) {
	case LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING:
		return ("attending");
	case LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING:
		return ("not-attending");
	case LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE:
		return ("tentative");
	default:
		return ("no-answer");
	}
}

int
cmd_meeting(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "json", no_argument, NULL, W_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__MeetingShowResponse *m;
	const char			*agent = NULL, *conf = NULL;
	uint8_t				 mid[16];
	int				 ch, rv, json = 0;

	if ((rv = cli_subcmd_expect(argc, argv, "show", meeting_usage)) != -1)
		return (rv);
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_JSON:
			json = 1;
			break;
		case 'h':
			meeting_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			meeting_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (argc - optind != 1) {
		meeting_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if ((rv = parse_id("meeting", argv[optind], mid)) != CLI_EXIT_OK)
		return (rv);
	if ((rv = meeting_get("meeting", agent, conf, mid, &r)) !=
	    CLI_EXIT_OK)
		return (rv);
	m = r->meeting_show;
	if (json) {
		json_t	*o, *arr;
		char	*s;

		arr = json_array();
		for (size_t i = 0; arr != NULL && i < m->n_entries; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, "
			    "s:i, s:b}", "partner", m->entries[i]->partner,
			    "answer", answer_name((int)
			    m->entries[i]->answer), "version",
			    (int) m->entries[i]->version, "stale",
			    (int) m->entries[i]->stale));
		o = json_pack("{s:s, s:s, s:i, s:i, s:o, s:i, s:i, s:i, "
		    "s:i, s:i}", "organiser", m->organiser, "role", m->role,
		    "version", (int) m->version, "status", (int) m->status,
		    "rsvps", arr != NULL ? arr : json_array(),
		    "attending", (int) m->attending, "not_attending",
		    (int) m->not_attending, "tentative", (int) m->tentative,
		    "stale", (int) m->stale, "no_answer", (int) m->no_answer);
		if (o != NULL && (s = json_dumps(o, JSON_INDENT(2))) !=
		    NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(o);
	} else {
		printf("organiser %s (%s), version %u, status %d\n",
		    m->organiser, m->role, m->version, (int) m->status);
		for (size_t i = 0; i < m->n_entries; i++)
			printf("  %-20s %-14s v%u%s\n",
			    m->entries[i]->partner,
			    answer_name((int) m->entries[i]->answer),
			    m->entries[i]->version,
			    m->entries[i]->stale ? " (stale)" : "");
		if (strcmp(m->role, "organiser") == 0)
			printf("attending %u, not attending %u, tentative %u, "
			    "stale %u, no answer %u\n", m->attending,
			    m->not_attending, m->tentative, m->stale,
			    m->no_answer);
	}
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

static void
rsvp_usage(FILE *f)
{
	fprintf(f, "usage: liaison rsvp MEETING_ID attending|not-attending|"
	    "tentative [--note TEXT]\n"
	    "Answers the current version of a meeting we were invited "
	    "to.\n%s", wf_opt_help);
}

int
cmd_rsvp(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "note", required_argument, NULL, W_NOTE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__MeetingResponse	 mr =
	    LIAISON__V1__MEETING_RESPONSE__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL;
	char				 org[LSN_DIR_ID_MAX + 1];
	uint8_t				 mid[16];
	int				 ch, rv, answer = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_NOTE:
			mr.note = optarg;
			break;
		case 'h':
			rsvp_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			rsvp_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (argc - optind != 2) {
		rsvp_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if ((rv = parse_id("rsvp", argv[optind], mid)) != CLI_EXIT_OK)
		return (rv);
	if (enum_parse(&liaison__v1__rsvp_answer__descriptor, "RSVP_",
	    argv[optind + 1], &answer) != 0) {
		cli_err("rsvp", "answer is attending, not-attending or "
		    "tentative");
		return (CLI_EXIT_USAGE);
	}
	if ((rv = meeting_get("rsvp", agent, conf, mid, &r)) != CLI_EXIT_OK)
		return (rv);
	lsn_strlcpy(org, r->meeting_show->organiser, sizeof(org));
	mr.has_version = 1;
	mr.version = r->meeting_show->version;
	lsn_client_response_free(&r);
	mr.has_meeting_id = 1;
	mr.meeting_id.data = mid;
	mr.meeting_id.len = sizeof(mid);
	mr.has_answer = 1;
	mr.answer = answer;
	return (submit_one("rsvp", agent, conf, org,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE,
	    &mr.base, 0, 0));
}

/* ---- show --custody ---- */

int
cli_show_custody(const char *agent, const char *conf,
    const unsigned char id[16], int json)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__CustodyRequest	 cr = LIAISON__V1__CUSTODY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__CustodyResponse	*c;
	json_t				*arr = NULL;
	char				 when[32], idhex[33];
	int				 rv, allok = 1;

	cr.has_message_id = 1;
	cr.message_id.data = (uint8_t *) (uintptr_t) id;
	cr.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
	req.custody = &cr;
	if ((rv = call("show", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if ((c = r->custody) == NULL) {
		cli_err("show", "malformed answer from the agent");
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	if (json)
		arr = json_array();
	else
		printf("custody of %s message\n", c->direction != NULL ?
		    c->direction : "?");
	for (size_t i = 0; i < c->n_events; i++) {
		Liaison__V1__CustodyEvent *ev = c->events[i];

		if (!ev->verified)
			allok = 0;
		idhex[0] = '\0';
		if (ev->message_id.len == 16)
			lsn_hex_encode(ev->message_id.data, 16, idhex);
		if (arr != NULL) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:s, s:b, s:s}", "kind", ev->kind, "signer",
			    ev->signer, "key_id", ev->key_id, "time_ms",
			    (json_int_t) ev->time_ms, "stage",
			    ev->stage != NULL ? ev->stage : "", "verified",
			    (int) ev->verified, "carrier", idhex));
			continue;
		}
		fmt_ms(ev->time_ms, when, sizeof(when));
		printf("  %-8s %-9s %-20s key %s  %s  %s\n", ev->kind,
		    ev->stage != NULL ? ev->stage : "", ev->signer,
		    ev->key_id, when, ev->verified ? "signature OK" :
		    "SIGNATURE NOT VERIFIED");
	}
	if (arr != NULL) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		if (s != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(arr);
	}
	lsn_client_response_free(&r);
	return (allok ? CLI_EXIT_OK : CLI_EXIT_FAIL);
}

/* ---- contact set|remove|confirm|stale ---- */

static void
contact_usage(FILE *f)
{
	fprintf(f, "usage: liaison contact set --id ID --name NAME [--role R] "
	    "[--email E]\n"
	    "           [--phone P] [--24x7] [--tz ZONE] [--lang TAG]\n"
	    "       liaison contact remove ID\n"
	    "       liaison contact confirm ID\n"
	    "       liaison contact stale [--days N] [--json]\n"
	    "set / remove / confirm change this agency's own contacts: the "
	    "agent signs the\ndirectory op with its key and submits it "
	    "through the broker to every replica.\nstale lists contacts of "
	    "all partners neither confirmed nor updated within N\ndays "
	    "(default 180).\n%s", wf_opt_help);
}

static int
contact_stale(const char *agent, const char *conf, long long days,
    int json)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 dq =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	json_t				*arr = NULL;
	uint64_t			 now = lsn_now_ms();
	char				 when[32];
	int				 rv;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &dq;
	if ((rv = call("contact", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if (r->dir_query == NULL) {
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	if (json && (arr = json_array()) == NULL) {
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	for (size_t i = 0; i < r->dir_query->n_partners; i++) {
		const Liaison__V1__Partner *p = r->dir_query->partners[i];

		for (size_t k = 0; k < p->n_contacts; k++) {
			const Liaison__V1__Contact *c = p->contacts[k];
			uint64_t last = c->verified_at_ms > c->updated_ms ?
			    c->verified_at_ms : c->updated_ms;

			if (!lsn_contact_stale(c->verified_at_ms,
			    c->updated_ms, now, (uint64_t) days * 86400000ULL))
				continue;
			if (arr != NULL) {
				json_array_append_new(arr, json_pack("{s:s, "
				    "s:s, s:s, s:I, s:I}", "partner", p->id,
				    "contact_id", c->contact_id, "name",
				    c->name != NULL ? c->name : "",
				    "verified_at_ms",
				    (json_int_t) c->verified_at_ms,
				    "updated_ms", (json_int_t) c->updated_ms));
				continue;
			}
			fmt_ms(last, when, sizeof(when));
			printf("%-20s %-20s %-30s last %s\n", p->id,
			    c->contact_id, c->name != NULL ? c->name : "",
			    when);
		}
	}
	if (arr != NULL) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		if (s != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(arr);
	}
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

int
cmd_contact(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "id", required_argument, NULL, W_TO },
		{ "name", required_argument, NULL, W_SUMMARY },
		{ "role", required_argument, NULL, W_CATEGORY },
		{ "email", required_argument, NULL, W_COUNTRY },
		{ "phone", required_argument, NULL, W_BASIS },
		{ "24x7", no_argument, NULL, W_OVERDUE },
		{ "tz", required_argument, NULL, W_STATE },
		{ "lang", required_argument, NULL, W_TEXT },
		{ "days", required_argument, NULL, W_PRIO },
		{ "json", no_argument, NULL, W_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__ContactRequest	 cr = LIAISON__V1__CONTACT_REQUEST__INIT;
	Liaison__V1__Contact		 c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL, *sub;
	char				*lang[1];
	long long			 days = 180;
	int				 ch, rv, json = 0;

	if ((rv = cli_subcmd_expect(argc, argv, NULL, contact_usage)) != -1)
		return (rv);
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, W_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case W_TO:
			c.contact_id = optarg;
			break;
		case W_SUMMARY:
			c.name = optarg;
			break;
		case W_CATEGORY:
			c.role = optarg;
			break;
		case W_COUNTRY:
			c.email = optarg;
			break;
		case W_BASIS:
			c.phone = optarg;
			break;
		case W_OVERDUE:
			c.has_is_24x7 = 1;
			c.is_24x7 = 1;
			break;
		case W_STATE:
			c.time_zone = optarg;
			break;
		case W_TEXT:
			lang[0] = optarg;
			c.n_languages = 1;
			c.languages = lang;
			break;
		case W_PRIO:
			if (lsn_strtonum(optarg, 1, 3650, &days, NULL) !=
			    LSN_OK) {
				cli_err("contact", "--days is 1..3650");
				return (CLI_EXIT_USAGE);
			}
			break;
		case W_JSON:
			json = 1;
			break;
		case 'h':
			contact_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			contact_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (strcmp(sub, "stale") == 0) {
		if (optind != argc) {
			contact_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
		return (contact_stale(agent, conf, days, json));
	}
	if (strcmp(sub, "set") == 0) {
		if (optind != argc || c.contact_id == NULL || c.name == NULL) {
			contact_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
		cr.contact = &c;
	} else if (strcmp(sub, "remove") == 0 || strcmp(sub, "confirm") == 0) {
		if (argc - optind != 1) {
			contact_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
		cr.contact_id = argv[optind];
	} else {
		contact_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	cr.action = mut(sub);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CONTACT;
	req.contact = &cr;
	if ((rv = call("contact", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	printf("directory rev %llu\n", r->dir_submit != NULL ?
	    (unsigned long long) r->dir_submit->rev : 0ULL);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
