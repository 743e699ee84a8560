/*
 * cmd_meeting.c -- meeting show|cancel (list: cmd_thread.c), rsvp,
 * show --custody and contact set|remove|confirm|stale.
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

/* ---- meeting show, rsvp ---- */

static void
meeting_usage(FILE *f)
{
	fprintf(f, "usage: liaison meeting list [--all] [--json] [--tz ZONE]\n"
	    "       liaison meeting show MEETING_ID [--json]\n"
	    "       liaison meeting cancel MEETING_ID [--json]\n"
	    "cancel (organiser): sends the meeting's latest notice at the "
	    "next version,\nstatus cancelled, to every invitee.\n"
	    "example: liaison meeting list; liaison meeting cancel 3f2a...c9\n"
	    "The organiser sees the RSVP roll-up per invitee; an invitee "
	    "sees the\nmeeting's version and status.\n%s", cli_agent_opt_help);
}

static int
meeting_get(const char *cmd, const char *agent, const char *conf,
    const uint8_t mid[16], Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest	 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;
	int				 rv;

	cli_id_field(&ms.has_meeting_id, &ms.meeting_id, mid);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	req.meeting_show = &ms;
	if ((rv = wf_call(cmd, agent, conf, &req, rp)) != CLI_EXIT_OK)
		return (rv);
	if ((*rp)->meeting_show == NULL)
		return (cli_malformed(cmd, rp));
	return (CLI_EXIT_OK);
}

/* The one MEETING_ID argument of meeting show | cancel, fetched: as
 * meeting_get, or CLI_EXIT_USAGE (usage printed). */
static int
meeting_arg(int argc, char *argv[], const char *agent, const char *conf,
    uint8_t mid[16], Liaison__V1__ApiResponse **rp)
{
	int	rv;

	if (argc - optind != 1)
		return (cli_usage_exit(0, meeting_usage));
	if ((rv = wf_parse_id("meeting", argv[optind], mid)) != CLI_EXIT_OK)
		return (rv);
	return (meeting_get("meeting", agent, conf, mid, rp));
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

/*
 * meeting cancel ID: the organiser's agent keeps the latest notice; the
 * cancellation is that notice at the next version, status cancelled, to
 * every invitee.
 * Over 80 lines: the checks a cancel needs, then one notice to all.
 */
static int
meeting_cancel(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "json", no_argument, NULL, W_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL, *r2 = NULL;
	Liaison__V1__MeetingNotice	*n = NULL;
	const Liaison__V1__MeetingShowResponse *m;
	const char			*agent = NULL, *conf = NULL;
	char				**to = NULL, hx[33];
	uint8_t				 mid[16], *body = NULL;
	int				 ch, rv, json = 0;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		if (ch == W_JSON)
			json = 1;
		else
			return (cli_usage_exit(ch, meeting_usage));
	}
	if ((rv = meeting_arg(argc, argv, agent, conf, mid, &r)) !=
	    CLI_EXIT_OK)
		return (rv);
	m = r->meeting_show;
	rv = CLI_EXIT_FAIL;
	if (strcmp(m->role, "organiser") != 0) {
		cli_err("meeting", "cannot cancel: %s organises this meeting; "
		    "an invitee answers with liaison rsvp %s not-attending",
		    m->organiser, argv[optind]);
		goto out;
	}
	if (m->status == LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED) {
		cli_err("meeting", "meeting %s is already cancelled (version "
		    "%u); nothing to do", argv[optind], m->version);
		goto out;
	}
	if (!m->has_notice || m->n_entries == 0 ||
	    (n = liaison__v1__meeting_notice__unpack(NULL, m->notice.len,
	    m->notice.data)) == NULL) {
		cli_err("meeting", "the agent keeps no notice of meeting %s "
		    "(sent before this version): cancel with liaison send "
		    "meeting --id ... --version N --cancel", argv[optind]);
		goto out;
	}
	n->version = m->version + 1;
	n->has_status = 1;
	n->status = LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED;
	if ((to = calloc(m->n_entries, sizeof(*to))) == NULL)
		goto out;
	for (size_t i = 0; i < m->n_entries; i++)
		to[i] = m->entries[i]->partner;
	sr.n_to = m->n_entries;
	sr.to = to;
	if (cli_submit_body(&sr,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE, &n->base,
	    &body) != 0)
		goto out;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = wf_call("meeting", agent, conf, &req, &r2)) != CLI_EXIT_OK)
		goto out;
	lsn_hex_encode(mid, 16, hx);
	if (json)
		printf("{\"meeting_id\": \"%s\", \"version\": %u, "
		    "\"status\": \"cancelled\"}\n", hx, n->version);
	else
		printf("meeting %s version %u cancelled (%zu invitees "
		    "notified)\n", hx, n->version, m->n_entries);
	rv = CLI_EXIT_OK;
 out:
	free(body);
	free(to);
	if (n != NULL)
		liaison__v1__meeting_notice__free_unpacked(n, NULL);
	lsn_client_response_free(&r2);
	lsn_client_response_free(&r);
	return (rv);
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

	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return (cli_meeting_list(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "cancel") == 0)
		return (meeting_cancel(argc - 1, argv + 1));
	if ((rv = cli_subcmd_expect(argc, argv, "show", meeting_usage)) != -1)
		return (rv);
	argc--;
	argv++;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_JSON:
			json = 1;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, meeting_usage));
		}
	}
	if ((rv = meeting_arg(argc, argv, agent, conf, mid, &r)) !=
	    CLI_EXIT_OK)
		return (rv);
	m = r->meeting_show;
	if (json) {
		json_t	*o, *arr;

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
		cli_json_print(o);
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
	    "to. MEETING_ID is the\nmeeting id (liaison meeting list) or "
	    "the notice's message id (liaison inbox).\n"
	    "example: liaison rsvp 3f2a...c9 attending --note 'Two "
	    "delegates'\n%s", cli_agent_opt_help);
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
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_NOTE:
			mr.note = optarg;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, rsvp_usage));
		}
	}
	if (argc - optind != 2)
		return (cli_usage_exit(0, rsvp_usage));
	/* the notice's message id (liaison inbox) stands for its meeting */
	if ((rv = cli_parse_item_id("rsvp", agent, conf, argv[optind], mid,
	    NULL)) != CLI_EXIT_OK)
		return (rv);
	if (wf_enum_parse(&liaison__v1__rsvp_answer__descriptor, "RSVP_",
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
	cli_id_field(&mr.has_meeting_id, &mr.meeting_id, mid);
	mr.has_answer = 1;
	mr.answer = answer;
	return (wf_submit_one("rsvp", agent, conf, org,
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

	cli_id_field(&cr.has_message_id, &cr.message_id, id);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
	req.custody = &cr;
	if ((rv = wf_call("show", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if ((c = r->custody) == NULL)
		return (cli_malformed("show", &r));
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
		wf_fmt_ms(ev->time_ms, when, sizeof(when));
		printf("  %-8s %-9s %-20s key %s  %s  %s\n", ev->kind,
		    ev->stage != NULL ? ev->stage : "", ev->signer,
		    ev->key_id, when, ev->verified ? "signature OK" :
		    "SIGNATURE NOT VERIFIED");
	}
	cli_json_print(arr);
	json_decref(arr);
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
	    "(default 180).\nexample: liaison contact set --id duty --name 'Duty desk' --24x7 --lang en\n  --lang fr --tz Europe/Paris\n%s", cli_agent_opt_help);
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
	if ((rv = wf_call("contact", agent, conf, &req, &r)) != CLI_EXIT_OK)
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
			wf_fmt_ms(last, when, sizeof(when));
			printf("%-20s %-20s %-30s last %s\n", p->id,
			    c->contact_id, c->name != NULL ? c->name : "",
			    when);
		}
	}
	cli_json_print(arr);
	json_decref(arr);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* Over 80 lines: options, then each sub-command's request and answer. */
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
	char				*lang[LSN_CLI_LANGS_MAX];
	long long			 days = 180;
	int				 ch, rv, json = 0;

	if ((rv = cli_subcmd_expect(argc, argv, NULL, contact_usage)) != -1)
		return (rv);
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
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
			if ((rv = cli_tz_opt("contact", optarg,
			    (const char **) (void *) &c.time_zone)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case W_TEXT:
			/* repeated --lang accumulate (also a comma list) */
			if (wf_lang_add(optarg, lang, &c.n_languages) != 0)
				return (CLI_EXIT_USAGE);
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
		default:	/* 'h' too */
			return (cli_usage_exit(ch, contact_usage));
		}
	}
	if (strcmp(sub, "stale") == 0) {
		if (optind != argc)
			return (cli_usage_exit(0, contact_usage));
		return (contact_stale(agent, conf, days, json));
	}
	if (strcmp(sub, "set") == 0) {
		if (optind != argc || c.contact_id == NULL || c.name == NULL)
			return (cli_usage_exit(0, contact_usage));
		cr.contact = &c;
	} else if (strcmp(sub, "remove") == 0 || strcmp(sub, "confirm") == 0) {
		if (argc - optind != 1)
			return (cli_usage_exit(0, contact_usage));
		cr.contact_id = argv[optind];
	} else {
		contact_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	cr.action = cli_mut(sub);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CONTACT;
	req.contact = &cr;
	if ((rv = wf_call("contact", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if (cli_json_out)
		cli_out("rev", "%llu", r->dir_submit != NULL ?
		    (unsigned long long) r->dir_submit->rev : 0ULL);
	else
		printf("directory rev %llu\n", r->dir_submit != NULL ?
		    (unsigned long long) r->dir_submit->rev : 0ULL);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
