/*
 * cmd_thread.c -- thread (a case, meeting or alert thread in order),
 * meeting list (upcoming, with our RSVP) and alert list.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "envelope.pb-c.h"

#include "liaison/body.h"
#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/seal.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"
#include "read.h"
#include "render.h"
#include "term.h"

/* ---- thread ---- */

/*
 * The item id (referral / meeting / alert) a message id stands for, when
 * it is a received or sent message about one; else id itself. *typep: the type of
 * that message (0 if none).
 */
int
cli_resolve_item(const char *agent, const char *conf, const uint8_t in[16],
    uint8_t out[16], int *typep)
{
	Liaison__V1__ApiResponse	*r = NULL;
	ProtobufCMessage		*m = NULL;
	int				 found = 0;

	int				 type;

	memcpy(out, in, 16);
	*typep = 0;
	if (cli_inbox_fetch(NULL, agent, conf, in, &r, 1) == CLI_EXIT_OK) {
		type = (int) r->inbox_fetch->item->type;
		m = cli_body_unpack(type, &r->inbox_fetch->item->body);
	} else if (cli_outbox_fetch(agent, conf, in, &r) == LSN_OK &&
	    r->outbox_fetch->item->has_body) {
		/* a message we sent about it */
		type = (int) r->outbox_fetch->item->type;
		m = cli_body_unpack(type, &r->outbox_fetch->item->body);
	} else {
		lsn_client_response_free(&r);
		return (0);
	}
	if (m != NULL && cli_body_item_id(m, out) == 0) {
		*typep = type;
		found = 1;
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	lsn_client_response_free(&r);
	return (found);
}

/* One message of a thread, received (in) or sent (out). */
struct tmsg {
	uint64_t			 created_ms;
	uint64_t			 seq;
	const Liaison__V1__InboxItem	*in;
	const Liaison__V1__OutboxItem	*out;
};

static int
by_created(const void *a, const void *b)
{
	const struct tmsg *x = a, *y = b;

	if (x->created_ms != y->created_ms)
		return (x->created_ms < y->created_ms ? -1 : 1);
	if ((x->in == NULL) != (y->in == NULL))
		return (x->in == NULL ? -1 : 1);	/* ours first */
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static void
thread_usage(FILE *f)
{
	fprintf(f, "usage: liaison thread ID [--json] [--tz ZONE] "
	    "[--agent EP | -c FILE]\n"
	    "Shows a whole case, meeting or alert thread in order, both "
	    "directions: every\nmessage about it this agency received or "
	    "sent (the offer, answers, information\nrequested and supplied, "
	    "RSVPs, updates; sent ones marked >), then its current\nstate and "
	    "history. ID is a referral, meeting or alert id, or the id of "
	    "any\nmessage of the thread as liaison inbox or liaison outbox "
	    "shows it.\nexample: liaison thread 3f2a...c9\n%s",
	    cli_agent_opt_help);
}

/*
 * Every received (sent: sent) message, page by page (cli_inbox_every,
 * cli_outbox_every): each page is kept in pg while the thread is shown.
 * CLI exit code.
 */
static int
thread_fetch(const char *agent, const char *conf, int sent,
    struct cli_pages *pg)
{
	Liaison__V1__OutboxListRequest	q =
	    LIAISON__V1__OUTBOX_LIST_REQUEST__INIT;
	Liaison__V1__InboxListRequest	lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;

	if (sent)
		return (cli_outbox_every("thread", agent, conf, &q, pg));
	lr.has_include_acked = lr.include_acked = 1;
	return (cli_inbox_every("thread", agent, conf, &lr, pg));
}

/*
 * Adds the messages of one page r (received, or sent: sent) about item
 * id to *vp (*np entries, realloc'd), each body unpacked once to find its
 * item. *firstp / *typep: the first body found (for the workflow
 * section). 0, or -1 when out of memory.
 */
static int
thread_collect(const Liaison__V1__ApiResponse *r, int sent,
    const uint8_t id[16], struct tmsg **vp, size_t *np,
    ProtobufCMessage **firstp, int *typep)
{
	struct tmsg	*v;
	size_t		 ni;
	uint8_t		 x[16];

	ni = sent ? r->outbox_list->n_items : r->inbox_list->n_items;
	if ((v = reallocarray(*vp, *np + ni + 1, sizeof(*v))) == NULL)
		return (-1);
	*vp = v;
	for (size_t i = 0; i < ni; i++) {
		const Liaison__V1__InboxItem *in = sent ? NULL :
		    r->inbox_list->items[i];
		const Liaison__V1__OutboxItem *out = sent ?
		    r->outbox_list->items[i] : NULL;
		int type = in != NULL ? (int) in->type : (int) out->type;
		ProtobufCMessage *m = in != NULL ?
		    cli_body_unpack(type, &in->body) : out->has_body ?
		    cli_body_unpack(type, &out->body) : NULL;

		if (m != NULL && cli_body_item_id(m, x) == 0 &&
		    memcmp(x, id, 16) == 0) {
			memset(&v[*np], 0, sizeof(v[*np]));
			v[*np].in = in;
			v[*np].out = out;
			v[*np].created_ms = in != NULL ? in->created_ms :
			    out->created_ms;
			v[*np].seq = in != NULL ? in->local_seq :
			    out->local_seq;
			(*np)++;
			if (*firstp == NULL) {
				*firstp = m;
				*typep = type;
				continue;
			}
		}
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	return (0);
}

/* thread ID: long because options, both lists and the text and JSON
 * output stay together; the fetching and matching are helpers above. */
int
cmd_thread(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "tz", required_argument, NULL, R_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_pages		 in = { NULL, 0 }, out = { NULL, 0 };
	struct tmsg			*v = NULL;
	ProtobufCMessage		*first = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*o = NULL, *arr = NULL;
	uint8_t				 id[16];
	char				 hx[33];
	size_t				 n = 0, nsent = 0;
	int				 ch, rv, json = 0, type = 0;

	optind = 1;
	if ((ch = cli_read_getopt(argc, argv, lo, "thread", &agent, &conf, &tz,
	    &json)) != -1)
		return (ch == R_BAD ? CLI_EXIT_USAGE :
		    cli_usage_exit(ch, thread_usage));
	if (optind + 1 != argc)
		return (cli_usage_exit(0, thread_usage));
	if ((rv = cli_parse_item_id("thread", agent, conf, argv[optind], id,
	    &type)) != CLI_EXIT_OK)
		return (rv);
	tz = cli_reader_tz(tz);
	if ((rv = thread_fetch(agent, conf, 0, &in)) != CLI_EXIT_OK ||
	    (rv = thread_fetch(agent, conf, 1, &out)) != CLI_EXIT_OK)
		goto out;
	for (size_t i = 0; i < in.n + out.n; i++)
		if (thread_collect(i < in.n ? in.r[i] : out.r[i - in.n],
		    i >= in.n, id, &v, &n, &first, &type) != 0) {
			rv = CLI_EXIT_FAIL;
			goto out;
		}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_created);
	for (size_t i = 0; i < n; i++)
		nsent += v[i].out != NULL;
	lsn_hex_encode(id, 16, hx);
	if (json) {
		o = json_object();
		arr = json_array();
		json_object_set_new(o, "id", json_string(hx));
	} else {
		cli_pager_start();
		printf("thread %s: %zu received, %zu sent message%s\n", hx,
		    n - nsent, nsent, nsent == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++) {
		int t = v[i].in != NULL ? (int) v[i].in->type :
		    (int) v[i].out->type;
		ProtobufCMessage *m = v[i].in != NULL ?
		    cli_body_unpack(t, &v[i].in->body) :
		    cli_body_unpack(t, &v[i].out->body);

		if (arr != NULL && v[i].in != NULL) {
			json_t *j = cli_item_json(v[i].in, m);

			json_object_set_new(j, "direction",
			    json_string("received"));
			json_array_append_new(arr, j);
		} else if (arr != NULL)
			json_array_append_new(arr, cli_sent_json(v[i].out, m));
		else if (v[i].in != NULL)
			cli_item_line(v[i].in, m, tz);
		else
			cli_sent_line(v[i].out, m, tz);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (o != NULL)
		json_object_set_new(o, "messages", arr);
	if (first != NULL)
		cli_show_workflow(agent, conf, type, first, tz, o);
	else {
		/* nothing about it here yet: the tracked state */
		Liaison__V1__ReferralResponse rr =
		    LIAISON__V1__REFERRAL_RESPONSE__INIT;

		cli_id_field(&rr.has_referral_id, &rr.referral_id, id);
		cli_show_workflow(agent, conf, 0, &rr.base, tz, o);
	}
	cli_json_print(o);
	cli_pager_end();
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (first != NULL)
		protobuf_c_message_free_unpacked(first, NULL);
	free(v);
	cli_pages_free(&out);
	cli_pages_free(&in);
	return (rv);
}

/* ---- meeting list ---- */

static void
meeting_list_usage(FILE *f)
{
	fprintf(f, "usage: liaison meeting list [--all] [--json] [--tz ZONE] "
	    "[--agent EP | -c FILE]\n"
	    "Lists the meetings we were invited to that have not ended "
	    "(--all: also past\nand cancelled ones), soonest first, with "
	    "our RSVP. Answer with liaison rsvp\nMEETING_ID (or the notice's "
	    "message id).\nexample: liaison meeting list --tz "
	    "America/Toronto\n%s", cli_agent_opt_help);
}

static int
by_start(const void *a, const void *b)
{
	const Liaison__V1__MeetingNotice *x = *(const Liaison__V1__MeetingNotice
	    *const *) a;
	const Liaison__V1__MeetingNotice *y = *(const Liaison__V1__MeetingNotice
	    *const *) b;

	return (x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms);
}

/* Adds the latest version of each meeting among the notices of l to v
 * (*np entries, owned by v). */
static void
meetings_latest(const Liaison__V1__InboxListResponse *l,
    Liaison__V1__MeetingNotice **v, size_t *np)
{
	size_t	n = *np;

	for (size_t i = 0; l != NULL && i < l->n_items; i++) {
		Liaison__V1__MeetingNotice *m = (void *) cli_body_unpack(
		    (int) l->items[i]->type, &l->items[i]->body);
		size_t k;

		if (m == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (v[k]->meeting_id.len == m->meeting_id.len &&
			    memcmp(v[k]->meeting_id.data, m->meeting_id.data,
			    m->meeting_id.len) == 0)
				break;
		if (k == n) {
			v[n++] = m;
			continue;
		}
		if (m->version > v[k]->version) {
			liaison__v1__meeting_notice__free_unpacked(v[k], NULL);
			v[k] = m;
		} else
			liaison__v1__meeting_notice__free_unpacked(m, NULL);
	}
	*np = n;
}

/* Over 80 lines: options, every notice fetched, then one line each. */
int
cli_meeting_list(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "all", no_argument, NULL, R_ALL },
		{ "tz", required_argument, NULL, R_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	struct cli_pages		 pg = { NULL, 0 };
	Liaison__V1__MeetingNotice	**v = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*arr = NULL;
	uint64_t			 now = lsn_now_ms();
	size_t				 n = 0, nitems = 0;
	int				 ch, rv, json = 0, all = 0;

	optind = 1;
	while ((ch = cli_read_getopt(argc, argv, lo, "meeting", &agent, &conf,
	    &tz, &json)) != -1) {
		if (ch != R_ALL)
			return (ch == R_BAD ? CLI_EXIT_USAGE :
			    cli_usage_exit(ch, meeting_list_usage));
		all = 1;
	}
	if (optind != argc)
		return (cli_usage_exit(0, meeting_list_usage));
	tz = cli_reader_tz(tz);
	lr.has_include_acked = lr.include_acked = 1;
	lr.has_type = 1;
	lr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE;
	/* every notice, all pages: a meeting's latest version may be on
	 * any of them */
	if ((rv = cli_inbox_every("meeting", agent, conf, &lr, &pg)) !=
	    CLI_EXIT_OK)
		goto out;
	for (size_t k = 0; k < pg.n; k++)
		nitems += pg.r[k]->inbox_list->n_items;
	if ((v = calloc(nitems + 1, sizeof(*v))) == NULL) {
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	for (size_t k = 0; k < pg.n; k++)
		meetings_latest(pg.r[k]->inbox_list, v, &n);
	qsort(v, n, sizeof(*v), by_start);
	if (json)
		arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const Liaison__V1__MeetingShowResponse *ms;
		Liaison__V1__ApiResponse *sr = NULL;
		const char *mine = "none";
		char hx[33], when[64];

		if (!all && (v[i]->end_ms < now || v[i]->status ==
		    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED))
			continue;
		if (v[i]->meeting_id.len != 16)
			continue;
		lsn_hex_encode(v[i]->meeting_id.data, 16, hx);
		ms = cli_meeting_state(agent, conf, v[i]->meeting_id.data, &sr);
		if (ms != NULL && ms->has_my_answer)
			mine = cli_enum_name(
			    &liaison__v1__rsvp_answer__descriptor,
			    (int) ms->my_answer);
		if (arr != NULL) {
			json_t *o = cli_render_json(&v[i]->base);

			json_object_set_new(o, "meeting_id", json_string(hx));
			json_object_set_new(o, "my_rsvp", json_string(mine));
			json_array_append_new(arr, o);
		} else {
			cli_fmt_time_tz(v[i]->start_ms, tz, when,
			    sizeof(when));
			printf("%s  %s  %-12s rsvp %-13s %s (%s)\n", hx, when,
			    cli_enum_name(
			    &liaison__v1__meeting_status__descriptor,
			    (int) v[i]->status), mine, v[i]->title,
			    v[i]->organiser_partner);
		}
		lsn_client_response_free(&sr);
	}
	cli_json_print(arr);
	json_decref(arr);
	rv = CLI_EXIT_OK;
 out:
	for (size_t i = 0; i < n; i++)
		liaison__v1__meeting_notice__free_unpacked(v[i], NULL);
	free(v);
	cli_pages_free(&pg);
	return (rv);
}

/* ---- alert list ---- */

static void
alert_usage(FILE *f)
{
	fprintf(f, "usage: liaison alert list [--open] [--overdue] [--json] "
	    "[--tz ZONE] [--agent EP | -c FILE]\n"
	    "Lists alerts we sent and received: id, our role, the other "
	    "partner, priority,\nstate (open / acknowledged), deadline and "
	    "what the alert says. An open alert\npast its deadline is "
	    "OVERDUE (and escalated once); acknowledging clears it\n(liaison "
	    "reply ALERT_ID ack).\nexample: liaison alert list --open\n%s",
	    cli_agent_opt_help);
}

/* What alert id says (its received body's gist), from the pages of
 * received alerts; gist stays "" when none is about it. */
static void
alert_gist(const struct cli_pages *ib, const uint8_t id[16], char *gist,
    size_t gistsz)
{
	uint8_t	x[16];

	for (size_t p = 0; p < ib->n && gist[0] == '\0'; p++) {
		const Liaison__V1__InboxListResponse *l = ib->r[p]->inbox_list;

		for (size_t k = 0; k < l->n_items && gist[0] == '\0'; k++) {
			const Liaison__V1__InboxItem *it = l->items[k];
			ProtobufCMessage *m = cli_body_unpack((int) it->type,
			    &it->body);

			if (m != NULL && cli_body_item_id(m, x) == 0 &&
			    memcmp(x, id, 16) == 0)
				cli_body_gist((int) it->type, m, gist, gistsz);
			if (m != NULL)
				protobuf_c_message_free_unpacked(m, NULL);
		}
	}
}

/* Over 80 lines: options, every alert fetched, then one line each. */
int
cmd_alert(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "open", no_argument, NULL, R_UNREAD },
		{ "overdue", no_argument, NULL, R_ALL },
		{ "tz", required_argument, NULL, R_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_pages		 ib = { NULL, 0 };
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*arr = NULL;
	int				 ch, rv, json = 0;

	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		argc--;
		argv++;
	} else if (argc < 2 || (strcmp(argv[1], "--help") != 0 &&
	    strcmp(argv[1], "-h") != 0)) {
		alert_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	optind = 1;
	while ((ch = cli_read_getopt(argc, argv, lo, "alert", &agent, &conf,
	    &tz, &json)) != -1) {
		switch (ch) {
		case R_UNREAD:
			wl.state = cli_mut("open");
			break;
		case R_ALL:
			wl.has_overdue_only = wl.overdue_only = 1;
			break;
		case R_BAD:
			return (CLI_EXIT_USAGE);
		default:	/* 'h' too */
			return (cli_usage_exit(ch, alert_usage));
		}
	}
	if (optind != argc)
		return (cli_usage_exit(0, alert_usage));
	tz = cli_reader_tz(tz);
	wl.kind = cli_mut("alert");
	wl.has_limit = 1;
	wl.limit = RD_LIST_MAX;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if ((rv = cli_call("alert", agent, conf, &req, RD_TIMEOUT_MS, &r)) !=
	    CLI_EXIT_OK)
		return (rv);
	lr.has_include_acked = lr.include_acked = 1;
	lr.has_type = 1;
	lr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT;
	/* the received alerts, all pages, for what each says */
	if (cli_inbox_every("alert", agent, conf, &lr, &ib) != CLI_EXIT_OK)
		cli_pages_free(&ib);
	if (json)
		arr = json_array();
	for (size_t i = 0; r->workflow_list != NULL &&
	    i < r->workflow_list->n_items; i++) {
		const Liaison__V1__TrackedItem *t = r->workflow_list->items[i];
		char hx[33], when[64], gist[256] = "";

		if (t->item_id.len != 16)
			continue;
		lsn_hex_encode(t->item_id.data, 16, hx);
		alert_gist(&ib, t->item_id.data, gist, sizeof(gist));
		if (arr != NULL) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:i, s:s, s:I, s:I, s:I, s:b, s:b, s:s}",
			    "alert_id", hx, "role", t->role, "peer", t->peer,
			    "priority", (int) t->priority, "state", t->state,
			    "sent_ms", (json_int_t) t->sent_ms, "acked_ms",
			    (json_int_t) t->acked_ms, "deadline_ms",
			    (json_int_t) t->deadline_ms, "overdue",
			    (int) t->overdue, "escalated", (int) t->escalated,
			    "summary", gist));
			continue;
		}
		cli_fmt_time_tz(t->acked_ms != 0 ? t->acked_ms :
		    t->deadline_ms, tz, when, sizeof(when));
		printf("%s  %-9s %-16s P%d %-12s %s %s%s  %s\n", hx, t->role,
		    t->peer, (int) t->priority, t->state, t->acked_ms != 0 ?
		    "acknowledged" : "deadline", when, t->overdue ?
		    (t->escalated ? "  OVERDUE: escalated" : "  OVERDUE") :
		    "", gist);
	}
	cli_json_print(arr);
	json_decref(arr);
	cli_pages_free(&ib);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
