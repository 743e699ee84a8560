/*
 * cmd_sent.c -- what this agency sent: `liaison outbox` (the sent
 * messages, newest last, with their delivery state), `show` of a sent
 * message (every body type in full, "sent to", the broker's verdict, the
 * furthest receipt per recipient, workflow state and custody) and the
 * sent half of `thread`.
 *
 * Bodies come from the agent's OutboxFetch / OutboxList: a sealed body is
 * opened by the agent with its own encryption key (it seals every
 * content key to itself too), in memory; nothing is written to disk here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"
#include "read.h"
#include "render.h"
#include "term.h"

/* ---- agent calls ---- */

int
cli_outbox_fetch(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__OutboxFetchRequest	 fr =
	    LIAISON__V1__OUTBOX_FETCH_REQUEST__INIT;
	int				 rv;

	*rp = NULL;
	cli_id_field(&fr.has_message_id, &fr.message_id, id);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_FETCH;
	req.outbox_fetch = &fr;
	if ((rv = cli_call_quiet(agent, conf, &req, rp)) != LSN_OK)
		return (rv);
	if ((*rp)->outbox_fetch == NULL || (*rp)->outbox_fetch->item == NULL) {
		lsn_client_response_free(rp);
		return (LSN_EPROTO);
	}
	return (LSN_OK);
}

int
cli_outbox_all(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__OutboxListRequest *q, Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest	req = LIAISON__V1__API_REQUEST__INIT;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_LIST;
	req.outbox_list = q;
	if (!q->has_limit) {
		q->has_limit = 1;
		q->limit = cli_list_page();
	}
	return (cli_call(cmd, agent, conf, &req, RD_TIMEOUT_MS, rp));
}

/* ---- words ---- */

const char *
cli_sent_state(const Liaison__V1__OutboxItem *it)
{
	switch (it->state) {
	case LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED:
		return ("accepted");
	case LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED:
		return ("refused");
	case LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE:
		return ("undeliverable");
	default:
		return ("pending");
	}
}

static const char *
stage_name(const Liaison__V1__Delivery *d)
{
	if (!d->has_stage)
		return ("no-receipt");
	return (cli_enum_name(&liaison__v1__receipt_stage__descriptor,
	    (int) d->stage));
}

/* "au-afp, uk-iwf, group:ops-coord" (to, then groups) into buf. */
static void
sent_to(const Liaison__V1__OutboxItem *it, char *buf, size_t sz)
{
	size_t	n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < it->n_to && n < sz; i++)
		n += (size_t) snprintf(buf + n, sz - n, "%s%s", n ? ", " : "",
		    it->to[i]);
	for (size_t i = 0; i < it->n_to_groups && n < sz; i++)
		n += (size_t) snprintf(buf + n, sz - n, "%sgroup:%s",
		    n ? ", " : "", it->to_groups[i]);
}

/* "delivered 2/3, read 1" from the deliveries, into buf. */
static void
receipts_gist(const Liaison__V1__OutboxItem *it, char *buf, size_t sz)
{
	size_t	del = 0, rd = 0, und = 0;

	for (size_t i = 0; i < it->n_deliveries; i++) {
		const Liaison__V1__Delivery *d = it->deliveries[i];

		if (!d->has_stage)
			continue;
		if (d->stage ==
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE) {
			und++;
			continue;
		}
		del++;
		if (d->stage != LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED)
			rd++;
	}
	snprintf(buf, sz, "delivered %zu/%zu%s", del, it->n_deliveries,
	    rd ? ", read" : "");
	if (rd)
		snprintf(buf + strlen(buf), sz - strlen(buf), " %zu", rd);
	if (und)
		snprintf(buf + strlen(buf), sz - strlen(buf),
		    ", undeliverable %zu", und);
}

/* ---- one line, one JSON object ---- */

json_t *
cli_sent_json(const Liaison__V1__OutboxItem *it, const ProtobufCMessage *m)
{
	char	 idhex[33] = "", gist[256];
	json_t	*o, *to, *gr, *dl;

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	cli_body_gist((int) it->type, m, gist, sizeof(gist));
	to = json_array();
	gr = json_array();
	dl = json_array();
	for (size_t i = 0; i < it->n_to; i++)
		json_array_append_new(to, json_string(it->to[i]));
	for (size_t i = 0; i < it->n_to_groups; i++)
		json_array_append_new(gr, json_string(it->to_groups[i]));
	for (size_t i = 0; i < it->n_deliveries; i++)
		json_array_append_new(dl, json_pack("{s:s, s:s, s:I}",
		    "partner", it->deliveries[i]->partner,
		    "stage", stage_name(it->deliveries[i]),
		    "time_ms", (json_int_t) it->deliveries[i]->time_ms));
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:o, s:o, s:o}",
	    "message_id", idhex, "direction", "sent",
	    "local_seq", (json_int_t) it->local_seq,
	    "type", lsn_envelope_type_name((int) it->type),
	    "created_ms", (json_int_t) it->created_ms,
	    "state", cli_sent_state(it), "subject", gist,
	    "to", to, "to_groups", gr, "deliveries", dl);
	if (o == NULL)
		return (NULL);
	if (it->has_tlp)
		json_object_set_new(o, "tlp",
		    json_string(lsn_tlp_name((int) it->tlp)));
	if (it->has_priority)
		json_object_set_new(o, "priority",
		    json_integer((json_int_t) it->priority));
	if (it->state == LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED ||
	    it->state == LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE)
		json_object_set_new(o, "detail", json_string(
		    it->publish_detail != NULL ? it->publish_detail : ""));
	if (it->body_error != NULL)
		json_object_set_new(o, "body_error",
		    json_string(it->body_error));
	if (it->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE &&
	    m != NULL && ((const Liaison__V1__Note *) (const void *) m)->text)
		json_object_set_new(o, "text", json_string(
		    ((const Liaison__V1__Note *) (const void *) m)->text));
	return (o);
}

/* id > time  to X  type tlp gist  [state, delivered n/m] */
void
cli_sent_line(const Liaison__V1__OutboxItem *it, const ProtobufCMessage *m,
    const char *zone)
{
	char	idhex[33] = "", when[64], gist[256], to[128], col[160];
	char	rc[96];

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	cli_fmt_time_tz(it->created_ms, zone, when, sizeof(when));
	cli_body_gist((int) it->type, m, gist, sizeof(gist));
	sent_to(it, to, sizeof(to));
	snprintf(col, sizeof(col), "to %s", to);
	receipts_gist(it, rc, sizeof(rc));
	printf("%s >  %s  %-16s %-17s %-6s %s  [%s, %s]\n", idhex, when, col,
	    lsn_envelope_type_name((int) it->type),
	    lsn_tlp_name((int) it->tlp), gist, cli_sent_state(it), rc);
}

/* ---- show ---- */

static void
sent_header(const Liaison__V1__OutboxItem *it, const char *idhex,
    const Liaison__V1__Envelope *env, const char *zone)
{
	char	when[64], to[1024];

	sent_to(it, to, sizeof(to));
	printf("message:   %s\nfrom:      %s (sent by this agency)\n"
	    "sent to:   %s\n", idhex, env != NULL && env->sender != NULL ?
	    env->sender : "?", to);
	printf("type:      %s\n", lsn_envelope_type_name((int) it->type));
	printf("tlp:       %s\n", lsn_tlp_name((int) it->tlp));
	if (it->has_priority && it->priority != 0)
		printf("priority:  P%d\n", (int) it->priority);
	if (env != NULL && env->case_ref != NULL)
		printf("case:      %s\n", env->case_ref);
	if (env != NULL && env->handling != NULL && (env->handling->n_codes ||
	    env->handling->permitted_purpose != NULL)) {
		printf("handling:\n");
		cli_render_text(stdout, &env->handling->base, 2, zone);
	}
	cli_fmt_time_tz(it->created_ms, zone, when, sizeof(when));
	printf("created:   %s\n", when);
	printf("state:     %s%s%s%s\n", cli_sent_state(it),
	    it->state == LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED ?
	    " (stored by the broker)" : it->state ==
	    LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING ? " (waiting for the "
	    "broker; the agent retries)" : "", it->publish_detail != NULL &&
	    it->publish_detail[0] != '\0' && it->state !=
	    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED ? ": " : "",
	    it->publish_detail != NULL && it->state !=
	    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED ?
	    it->publish_detail : "");
	printf("signature: %s%s%s\n", it->verified ? "" : cli_c_red(),
	    it->verified ? "OK (checked again by the agent)" :
	    "NOT VERIFIED against the directory", it->verified ? "" :
	    cli_c_off());
}

static void
sent_deliveries(const Liaison__V1__OutboxItem *it, const char *zone)
{
	char	when[64];

	printf("\ndelivery (furthest signed receipt per recipient):\n");
	for (size_t i = 0; i < it->n_deliveries; i++) {
		const Liaison__V1__Delivery *d = it->deliveries[i];

		if (d->has_time_ms)
			cli_fmt_time_tz(d->time_ms, zone, when, sizeof(when));
		printf("  %-20s %-14s %s\n", d->partner, d->has_stage ?
		    stage_name(d) : "no receipt yet", d->has_time_ms ? when :
		    "");
	}
	if (it->n_deliveries == 0)
		printf("  (no recipient known yet)\n");
}

/*
 * Shows sent message id (idhex) from the answer r: header, body,
 * deliveries, workflow and custody; JSON with json. CLI exit code.
 */
int
cli_show_sent(const char *agent, const char *conf,
    const Liaison__V1__ApiResponse *r, const char *idhex, const char *tz,
    int json)
{
	const Liaison__V1__OutboxItem	*it = r->outbox_fetch->item;
	Liaison__V1__Envelope		*env = NULL;
	ProtobufCMessage		*m = NULL;
	json_t				*o = NULL;
	int				 rv = CLI_EXIT_FAIL;

	if (it->envelope != NULL)
		env = liaison__v1__envelope__unpack(NULL,
		    it->envelope->envelope.len, it->envelope->envelope.data);
	if (it->has_body)
		m = cli_body_unpack((int) it->type, &it->body);
	if (json) {
		if ((o = cli_sent_json(it, m)) == NULL)
			goto out;
		json_object_set_new(o, "sender", json_string(env != NULL &&
		    env->sender != NULL ? env->sender : ""));
		json_object_set_new(o, "verified", json_boolean(it->verified));
		if (env != NULL && env->case_ref != NULL)
			json_object_set_new(o, "case_ref",
			    json_string(env->case_ref));
		if (env != NULL && env->handling != NULL)
			json_object_set_new(o, "handling",
			    cli_render_json(&env->handling->base));
		if (m != NULL)
			json_object_set_new(o, "body", cli_render_json(m));
	} else {
		cli_pager_start();
		sent_header(it, idhex, env, tz);
		if (m != NULL) {
			printf("\n");
			cli_render_text(stdout, m, 0, tz);
		} else if (it->body_error != NULL)
			printf("\n(body not readable here: %s)\n",
			    it->body_error);
		sent_deliveries(it, tz);
	}
	cli_show_workflow(agent, conf, (int) it->type, m, tz, o);
	cli_custody_section(agent, conf, it->message_id.data, tz, o);
	cli_json_print(o);
	cli_pager_end();
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	return (rv);
}

/* ---- outbox ---- */

static void
outbox_usage(FILE *f)
{
	fprintf(f, "usage: liaison outbox [--type T] [--to PARTNER] "
	    "[--since WHEN] [--tlp T]\n"
	    "           [--grep TEXT] [--limit N] [--after SEQ] [--json] "
	    "[--tz ZONE]\n           [--agent EP | -c FILE]\n"
	    "Lists the messages this agency sent, oldest first: id, time, "
	    "recipients,\ntype, TLP, what it is about, the broker's verdict "
	    "(pending, accepted,\nrefused, undeliverable) and the receipts "
	    "(delivered n/m, read). liaison show ID\nshows one in full, "
	    "sealed bodies included (the agent opens its own copy).\n"
	    "Filters as for liaison inbox; --to: a recipient partner id.\n"
	    "example: liaison outbox --type referral --to au-afp\n%s",
	    cli_agent_opt_help);
}

/* The list options (their agent-side ones point into the request) and
 * the output options of outbox. */
struct sfilter {
	struct cli_listopt	 l;
	const char		*tz;
	int			 json;
};

/*
 * Option parsing of outbox: fills q (agent-side filters) and f (tlp and
 * grep, applied here, and the output options); CLI exit code or -1 to go
 * on. Long only because it is one case per option, as inbox_opts.
 */
static int
outbox_opts(int argc, char *argv[], Liaison__V1__OutboxListRequest *q,
    struct sfilter *f, const char **agent, const char **conf)
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "tz", required_argument, NULL, R_TZ },
		{ "type", required_argument, NULL, R_TYPE },
		{ "to", required_argument, NULL, R_TO },
		{ "since", required_argument, NULL, R_SINCE },
		{ "tlp", required_argument, NULL, R_TLP },
		{ "grep", required_argument, NULL, R_GREP },
		{ "limit", required_argument, NULL, R_LIMIT },
		{ "after", required_argument, NULL, R_AFTER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int		ch, rv;

	optind = 1;
	while ((ch = cli_read_getopt(argc, argv, lo, "outbox", agent, conf,
	    &f->tz, &f->json)) != -1) {
		if ((rv = cli_list_opt("outbox", ch, optarg, &f->l)) != -1) {
			if (rv != CLI_EXIT_OK)
				return (rv);
			continue;
		}
		switch (ch) {
		case R_TO:
			if ((rv = cli_opt_partner("outbox", "--to",
			    optarg)) != CLI_EXIT_OK)
				return (rv);
			q->recipient = optarg;
			break;
		case R_BAD:
			return (CLI_EXIT_USAGE);
		default:	/* 'h' too */
			return (cli_usage_exit(ch, outbox_usage));
		}
	}
	if (optind != argc) {
		cli_err("outbox", "unexpected argument '%s'", argv[optind]);
		return (CLI_EXIT_USAGE);
	}
	return (-1);
}

int
cmd_outbox(int argc, char *argv[])
{
	Liaison__V1__OutboxListRequest	 q =
	    LIAISON__V1__OUTBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct sfilter			 f = { CLI_LISTOPT(&q), NULL, 0 };
	const char			*agent = NULL, *conf = NULL, *tz;
	json_t				*arr = NULL;
	int				 rv;

	if ((rv = outbox_opts(argc, argv, &q, &f, &agent, &conf)) != -1)
		return (rv);
	tz = cli_reader_tz(f.tz);
	if ((rv = cli_outbox_all("outbox", agent, conf, &q, &r)) !=
	    CLI_EXIT_OK)
		return (rv);
	if (f.json)
		arr = json_array();
	for (size_t i = 0; r->outbox_list != NULL &&
	    i < r->outbox_list->n_items; i++) {
		const Liaison__V1__OutboxItem *it = r->outbox_list->items[i];
		ProtobufCMessage *m = it->has_body ?
		    cli_body_unpack((int) it->type, &it->body) : NULL;

		if ((f.l.tlp == 0 || (int) it->tlp == f.l.tlp) &&
		    (f.l.grep == NULL || cli_body_matches(m, f.l.grep))) {
			if (arr != NULL)
				json_array_append_new(arr, cli_sent_json(it, m));
			else
				cli_sent_line(it, m, tz);
		}
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	cli_json_print(arr);
	json_decref(arr);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
