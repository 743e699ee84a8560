/*
 * cmd_read.c -- reading what the task force sent: inbox (with filters),
 * show (every body type in full, its workflow state, history, meeting
 * roll-up, forwarded original and custody chain), thread (a case, meeting
 * or alert thread in order), and the meeting / alert lists.
 *
 * Bodies come from the agent's API already opened for us (sealed bodies
 * are unsealed by the agent in memory); nothing is written to disk here.
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

#define RD_TIMEOUT_MS	10000
#define RD_LIST_MAX	1000

enum {
	R_AGENT = 1000, R_JSON, R_TZ, R_TYPE, R_FROM, R_UNREAD, R_SINCE,
	R_TLP, R_STATE, R_GREP, R_ALL, R_LIMIT, R_AFTER, R_WAIT, R_CUSTODY,
};

static const char *rd_opt_help =
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

/* ---- bodies ---- */

ProtobufCMessage *
cli_body_unpack(int type, const ProtobufCBinaryData *b)
{
	const ProtobufCMessageDescriptor *d = lsn_body_descriptor(type);

	if (d == NULL || b == NULL || b->len == 0)
		return (NULL);
	return (protobuf_c_message_unpack(d, NULL, b->len, b->data));
}

int
cli_body_item_id(const ProtobufCMessage *m, uint8_t id[16])
{
	static const char *const names[] = {
		"referral_id", "meeting_id", "alert_id",
	};

	if (m == NULL)
		return (-1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const ProtobufCFieldDescriptor *fd =
		    protobuf_c_message_descriptor_get_field_by_name(
		    m->descriptor, names[i]);
		const ProtobufCBinaryData *b;

		if (fd == NULL || fd->type != PROTOBUF_C_TYPE_BYTES)
			continue;
		b = (const void *) ((const char *) m + fd->offset);
		if (b->len == 16) {
			memcpy(id, b->data, 16);
			return (0);
		}
	}
	return (-1);
}

/* A string field of m by name, or NULL. */
static const char *
str_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *fd;

	if (m == NULL || (fd = protobuf_c_message_descriptor_get_field_by_name(
	    m->descriptor, name)) == NULL || fd->type != PROTOBUF_C_TYPE_STRING
	    || fd->label == PROTOBUF_C_LABEL_REPEATED)
		return (NULL);
	return (*(const char *const *) (const void *) ((const char *) m +
	    fd->offset));
}

/* 1 if needle occurs in hay, ignoring ASCII case. */
static int
ci_find(const char *hay, const char *needle)
{
	size_t	n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return (1);
	return (n == 0);
}

/* One line saying what a body is about (for inbox and thread lists). */
static void
body_gist(int type, const ProtobufCMessage *m, char *buf, size_t sz)
{
	const char	*t = NULL;

	buf[0] = '\0';
	if (m == NULL)
		return;
	switch (type) {
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF: {
		const Liaison__V1__ReferralHandoff *h = (const void *) m;

		snprintf(buf, sz, "[%s] %s", cli_enum_name(
		    &liaison__v1__referral_category__descriptor,
		    (int) h->category), h->summary != NULL ? h->summary : "");
		return;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE: {
		const Liaison__V1__ReferralResponse *r = (const void *) m;

		snprintf(buf, sz, "%s%s%s", cli_enum_name(
		    &liaison__v1__referral_action__descriptor,
		    (int) r->action), r->text != NULL ? ": " : "",
		    r->text != NULL ? r->text : "");
		return;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE: {
		const Liaison__V1__MeetingResponse *r = (const void *) m;

		snprintf(buf, sz, "%s (version %u)", cli_enum_name(
		    &liaison__v1__rsvp_answer__descriptor, (int) r->answer),
		    r->version);
		return;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT: {
		const Liaison__V1__Alert *a = (const void *) m;

		snprintf(buf, sz, "[%s] %s", cli_enum_name(
		    &liaison__v1__alert_kind__descriptor, (int) a->kind),
		    a->summary != NULL ? a->summary : "");
		return;
	}
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_UPDATE: {
		const Liaison__V1__ContactUpdate *c = (const void *) m;

		snprintf(buf, sz, "contact %s: %s", c->contact_id != NULL ?
		    c->contact_id : "?", cli_enum_name(
		    &liaison__v1__contact_change__descriptor,
		    (int) c->change));
		return;
	}
	default:
		break;
	}
	if ((t = str_field(m, "title")) == NULL &&
	    (t = str_field(m, "text")) == NULL &&
	    (t = str_field(m, "summary")) == NULL)
		t = str_field(m, "note");
	if (t != NULL)
		lsn_strlcpy(buf, t, sz);
}

/* 1 if needle occurs (case-insensitively) in any string of m. */
static int
body_matches(const ProtobufCMessage *m, const char *needle)
{
	const ProtobufCMessageDescriptor *d;

	if (m == NULL)
		return (0);
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char	*base = (const char *) m + fd->offset;
		size_t		 n = 1;
		const void	*const *v = (const void *const *) (const void *)
				    base;

		if (fd->type != PROTOBUF_C_TYPE_STRING &&
		    fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *) (const void *) ((const char *) m +
			    fd->quantifier_offset);
			v = *(const void *const *const *) (const void *) base;
		}
		for (size_t k = 0; k < n; k++) {
			if (v[k] == NULL)
				continue;
			if (fd->type == PROTOBUF_C_TYPE_STRING ?
			    ci_find(v[k], needle) :
			    body_matches(v[k], needle))
				return (1);
		}
	}
	return (0);
}

/* ---- agent look-ups ---- */

/* Tracked item (referral / alert) by id; NULL if none. Caller frees r. */
static const Liaison__V1__TrackedItem *
tracked(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;

	*rp = NULL;
	wl.has_item_id = 1;
	wl.item_id.data = (uint8_t *) (uintptr_t) id;
	wl.item_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if (cli_call_quiet(agent, conf, &req, rp) != LSN_OK)
		return (NULL);
	if ((*rp)->workflow_list == NULL ||
	    (*rp)->workflow_list->n_items == 0)
		return (NULL);
	return ((*rp)->workflow_list->items[0]);
}

static const Liaison__V1__MeetingShowResponse *
meeting_state(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest	 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;

	*rp = NULL;
	ms.has_meeting_id = 1;
	ms.meeting_id.data = (uint8_t *) (uintptr_t) id;
	ms.meeting_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	req.meeting_show = &ms;
	if (cli_call_quiet(agent, conf, &req, rp) != LSN_OK)
		return (NULL);
	return ((*rp)->meeting_show);
}

static const Liaison__V1__CustodyResponse *
custody(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__CustodyRequest	 cr = LIAISON__V1__CUSTODY_REQUEST__INIT;

	*rp = NULL;
	cr.has_message_id = 1;
	cr.message_id.data = (uint8_t *) (uintptr_t) id;
	cr.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
	req.custody = &cr;
	if (cli_call_quiet(agent, conf, &req, rp) != LSN_OK)
		return (NULL);
	return ((*rp)->custody);
}

int
cli_inbox_fetch(const char *cmd, const char *agent, const char *conf,
    const uint8_t id[16], Liaison__V1__ApiResponse **rp, int quiet)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxFetchRequest	 fr =
	    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
	int				 rv;

	fr.has_message_id = 1;
	fr.message_id.data = (uint8_t *) (uintptr_t) id;
	fr.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
	req.inbox_fetch = &fr;
	if (quiet) {
		rv = cli_call_quiet(agent, conf, &req, rp);
		rv = rv == LSN_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	} else
		rv = cli_call(cmd, agent, conf, &req, RD_TIMEOUT_MS, rp);
	if (rv == CLI_EXIT_OK && ((*rp)->inbox_fetch == NULL ||
	    (*rp)->inbox_fetch->item == NULL)) {
		if (!quiet)
			cli_err(cmd, "malformed answer from the agent");
		lsn_client_response_free(rp);
		rv = CLI_EXIT_FAIL;
	}
	return (rv);
}

/* Every inbox item (acknowledged too), oldest first; CLI exit code. */
static int
inbox_all(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__InboxListRequest *lr, Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest	req = LIAISON__V1__API_REQUEST__INIT;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	req.inbox_list = lr;
	if (!lr->has_limit) {
		lr->has_limit = 1;
		lr->limit = RD_LIST_MAX;
	}
	return (cli_call(cmd, agent, conf, &req, RD_TIMEOUT_MS +
	    (int) lr->wait_ms, rp));
}

/* ---- forwarded messages ---- */

struct keyq {
	const char	*agent, *conf;
};

/* lsn_key_lookup_fn over the agent's verified directory replica. */
static int
dir_lookup(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	const struct keyq		*k = arg;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 q = LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	int				 rv = LSN_EUNKNOWNKEY;

	q.partner_id = mut(signer);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &q;
	if (cli_call_quiet(k->agent, k->conf, &req, &r) != LSN_OK)
		return (LSN_EUNKNOWNSENDER);
	for (size_t i = 0; r->dir_query != NULL && i <
	    r->dir_query->n_partners; i++) {
		const Liaison__V1__Partner *p = r->dir_query->partners[i];

		if (p->id == NULL || strcmp(p->id, signer) != 0)
			continue;
		for (size_t j = 0; j < p->n_keys; j++) {
			const Liaison__V1__KeyRecord *kr = p->keys[j];

			if (kr->key_id == NULL || strcmp(kr->key_id,
			    key_id) != 0 || (int) kr->purpose != (int) LSN_KEY_SIGN ||
			    kr->public_key.len != LSN_PK_BYTES)
				continue;
			if (kr->revoked_at_ms != 0) {
				rv = LSN_EKEYREVOKED;
				break;
			}
			memcpy(pk, kr->public_key.data, LSN_PK_BYTES);
			rv = LSN_OK;
			break;
		}
	}
	lsn_client_response_free(&r);
	return (rv);
}

/*
 * The original inside a forwarding note, verified against the agent's
 * directory (lsn_forward_verify). Prints it (or adds "forwarded" to o).
 */
static void
show_forwarded(const char *agent, const char *conf,
    const Liaison__V1__InboxItem *it, const char *zone, json_t *o)
{
	Liaison__V1__Envelope		*env = NULL, *inner = NULL;
	ProtobufCMessage		*im = NULL;
	struct keyq			 kq = { agent, conf };
	const char			*reason = NULL;
	uint8_t				*ib = NULL;
	size_t				 il = 0;
	char				 when[64];
	int				 rv;

	if (it->envelope == NULL || it->envelope->envelope.len == 0)
		return;
	env = liaison__v1__envelope__unpack(NULL, it->envelope->envelope.len,
	    it->envelope->envelope.data);
	if (env == NULL || !env->has_forwarded)
		goto out;
	/* the outer was verified by the agent; the inner is checked here */
	rv = lsn_forward_verify(env, it->body.data, it->body.len, dir_lookup,
	    &kq, &inner, &ib, &il, &reason);
	if (rv != LSN_OK) {
		if (o != NULL)
			json_object_set_new(o, "forwarded", json_pack(
			    "{s:b, s:s}", "verified", 0, "error", reason !=
			    NULL ? reason : lsn_strerror(rv)));
		else
			printf("\nFORWARDED ORIGINAL NOT VERIFIED: %s\n",
			    reason != NULL ? reason : lsn_strerror(rv));
		goto out;
	}
	im = cli_body_unpack((int) inner->type, &(ProtobufCBinaryData){ il,
	    ib });
	if (o != NULL) {
		json_t *f = json_pack("{s:b, s:s, s:s, s:I}", "verified", 1,
		    "sender", inner->sender, "type",
		    lsn_envelope_type_name((int) inner->type), "created_ms",
		    (json_int_t) inner->created_ms);

		if (f != NULL && im != NULL)
			json_object_set_new(f, "body", cli_render_json(im));
		json_object_set_new(o, "forwarded", f);
		goto out;
	}
	cli_fmt_time_tz(inner->created_ms, zone, when, sizeof(when));
	printf("\nforwarded original (signature verified: %s, key %s)\n"
	    "  from:     %s\n  type:     %s\n  created:  %s\n",
	    inner->sender, inner->sender_key_id, inner->sender,
	    lsn_envelope_type_name((int) inner->type), when);
	if (im != NULL)
		cli_render_text(stdout, im, 2, zone);
 out:
	if (im != NULL)
		protobuf_c_message_free_unpacked(im, NULL);
	if (ib != NULL) {
		sodium_memzero(ib, il);
		free(ib);
	}
	lsn_envelope_free(&inner);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
}

/* ---- show ---- */

static const char *
item_state(const Liaison__V1__InboxItem *it)
{
	return (it->actioned ? "actioned" : it->read ? "read" : "unread");
}

/* Workflow state, history and roll-up of the item a body is about. */
static void
show_workflow(const char *agent, const char *conf, int type,
    const ProtobufCMessage *m, const char *zone, json_t *o)
{
	Liaison__V1__ApiResponse		*r = NULL;
	const Liaison__V1__TrackedItem		*t;
	const Liaison__V1__MeetingShowResponse	*ms;
	uint8_t					 id[16];
	char					 hx[33], d1[64];

	if (cli_body_item_id(m, id) != 0)
		return;
	lsn_hex_encode(id, 16, hx);
	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE) {
		if ((ms = meeting_state(agent, conf, id, &r)) == NULL)
			goto out;
		if (o != NULL) {
			json_t *w = cli_render_json(&ms->base);

			json_object_set_new(o, "meeting", w);
			goto out;
		}
		printf("\nmeeting %s: %s, version %u, you are %s\n", hx,
		    cli_enum_name(&liaison__v1__meeting_status__descriptor,
		    (int) ms->status), ms->version, ms->role);
		if (ms->has_my_answer)
			printf("  your RSVP: %s (version %u)\n",
			    cli_enum_name(&liaison__v1__rsvp_answer__descriptor,
			    (int) ms->my_answer), ms->my_version);
		else if (strcmp(ms->role, "invitee") == 0)
			printf("  your RSVP: none yet (liaison rsvp %s "
			    "attending|not-attending|tentative)\n", hx);
		for (size_t i = 0; i < ms->n_entries; i++)
			printf("  %-20s %-14s v%u%s\n", ms->entries[i]->partner,
			    cli_enum_name(&liaison__v1__rsvp_answer__descriptor,
			    (int) ms->entries[i]->answer),
			    ms->entries[i]->version, ms->entries[i]->stale ?
			    " (stale)" : "");
		if (strcmp(ms->role, "organiser") == 0)
			printf("  attending %u, not attending %u, tentative %u,"
			    " stale %u, no answer %u\n", ms->attending,
			    ms->not_attending, ms->tentative, ms->stale,
			    ms->no_answer);
		goto out;
	}
	if ((t = tracked(agent, conf, id, &r)) == NULL)
		goto out;
	if (o != NULL) {
		json_object_set_new(o, "workflow", json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s, s:I, s:I, s:b, s:b}", "kind", t->kind, "id",
		    hx, "state", t->state, "role", t->role, "peer", t->peer,
		    "deadline_ms", (json_int_t) t->deadline_ms, "acked_ms",
		    (json_int_t) t->acked_ms, "overdue", (int) t->overdue,
		    "escalated", (int) t->escalated));
		goto out;
	}
	cli_fmt_time_tz(t->deadline_ms, zone, d1, sizeof(d1));
	printf("\n%s %s: %s (you are the %s; other side %s)\n"
	    "  acknowledgement deadline: %s%s\n", t->kind, hx, t->state,
	    t->role, t->peer, t->acked_ms != 0 ? "met" : d1,
	    t->overdue ? "  OVERDUE" : "");
	if (strcmp(t->kind, "referral") == 0)
		printf("  next: %s\n", cli_referral_hint(t->state,
		    strcmp(t->role, "sender") == 0));
 out:
	lsn_client_response_free(&r);
}

/* The custody chain (envelope, receipts, responses) of message id. */
static void
show_custody(const char *agent, const char *conf, const uint8_t id[16],
    const char *zone, json_t *o)
{
	Liaison__V1__ApiResponse	*r = NULL;
	const Liaison__V1__CustodyResponse *c;
	json_t				*arr = NULL;
	char				 when[64];

	if ((c = custody(agent, conf, id, &r)) == NULL)
		goto out;
	if (o != NULL)
		arr = json_array();
	else
		printf("\nhistory and custody (each signature checked again "
		    "by the agent):\n");
	for (size_t i = 0; i < c->n_events; i++) {
		const Liaison__V1__CustodyEvent *ev = c->events[i];

		if (arr != NULL) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:s, s:b}", "kind", ev->kind, "signer",
			    ev->signer, "key_id", ev->key_id, "time_ms",
			    (json_int_t) ev->time_ms, "stage", ev->stage !=
			    NULL ? ev->stage : "", "verified",
			    (int) ev->verified));
			continue;
		}
		cli_fmt_time_tz(ev->time_ms, zone, when, sizeof(when));
		printf("  %s  %-8s %-12s by %-16s %s\n", when, ev->kind,
		    ev->stage != NULL && ev->stage[0] != '\0' ? ev->stage :
		    "sent", ev->signer, ev->verified ? "signature OK" :
		    "SIGNATURE NOT VERIFIED");
	}
	if (arr != NULL)
		json_object_set_new(o, "custody", arr);
 out:
	lsn_client_response_free(&r);
}

/* Header fields of a received message, text or into o. */
static void
show_header(const Liaison__V1__InboxItem *it, const char *idhex,
    const Liaison__V1__Envelope *env, const char *zone, json_t *o)
{
	char	when[64];

	if (o != NULL) {
		json_t *to = json_array(), *gr = json_array();

		for (size_t i = 0; env != NULL && i < env->n_to; i++)
			json_array_append_new(to, json_string(env->to[i]));
		for (size_t i = 0; env != NULL && i < env->n_to_groups; i++)
			json_array_append_new(gr,
			    json_string(env->to_groups[i]));
		json_object_set_new(o, "message_id", json_string(idhex));
		json_object_set_new(o, "sender", json_string(it->sender));
		json_object_set_new(o, "to", to);
		json_object_set_new(o, "to_groups", gr);
		json_object_set_new(o, "type", json_string(
		    lsn_envelope_type_name((int) it->type)));
		json_object_set_new(o, "tlp", json_string(
		    lsn_tlp_name((int) it->tlp)));
		json_object_set_new(o, "priority", json_integer(
		    (json_int_t) it->priority));
		json_object_set_new(o, "created_ms", json_integer(
		    (json_int_t) it->created_ms));
		json_object_set_new(o, "received_ms", json_integer(
		    (json_int_t) it->received_ms));
		json_object_set_new(o, "state", json_string(item_state(it)));
		json_object_set_new(o, "acked", json_boolean(it->acked));
		json_object_set_new(o, "local_seq", json_integer(
		    (json_int_t) it->local_seq));
		if (env != NULL && env->case_ref != NULL)
			json_object_set_new(o, "case_ref",
			    json_string(env->case_ref));
		if (env != NULL && env->handling != NULL)
			json_object_set_new(o, "handling",
			    cli_render_json(&env->handling->base));
		return;
	}
	printf("message:   %s\nfrom:      %s\n", idhex, it->sender);
	if (env != NULL && env->n_to + env->n_to_groups > 0) {
		printf("to:       ");
		for (size_t i = 0; i < env->n_to; i++)
			printf(" %s", env->to[i]);
		for (size_t i = 0; i < env->n_to_groups; i++)
			printf(" group:%s", env->to_groups[i]);
		printf("\n");
	}
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
	cli_fmt_time_tz(it->received_ms, zone, when, sizeof(when));
	printf("received:  %s\n", when);
	printf("state:     %s%s\n", item_state(it), it->acked ?
	    ", acknowledged" : "");
}

static void
show_usage(FILE *f)
{
	fprintf(f, "usage: liaison show ID [--json] [--tz ZONE] [--custody] "
	    "[--no-mark] [--agent EP | -c FILE]\n"
	    "Shows a received message in full: its markings, the whole body "
	    "(referral,\nmeeting, alert, answers, contact update, the "
	    "verified original of a forward),\nthe state of the referral, "
	    "alert or meeting it belongs to, and its history\nand custody "
	    "chain. Times are in --tz ZONE, else $TZ, else UTC (a meeting's"
	    "\ntimes also in the organiser's zone). Showing marks the message "
	    "read (a signed\nREAD receipt goes to the sender) unless "
	    "--no-mark or --json.\n--custody: only the chain of custody "
	    "(sent or received message).\n"
	    "example: liaison show 3f2a...c9 --tz Europe/Paris\n%s",
	    rd_opt_help);
}

int
cli_tz_opt(const char *cmd, const char *arg, const char **out)
{
	if (!cli_tz_valid(arg)) {
		cli_err(cmd, "unknown time zone '%s': use a name of the tz "
		    "database, e.g. Europe/Paris or UTC (see %s)", arg,
		    getenv("TZDIR") != NULL ? getenv("TZDIR") :
		    "/usr/share/zoneinfo");
		return (CLI_EXIT_USAGE);
	}
	*out = arg;
	return (CLI_EXIT_OK);
}

static void
mark_read(const char *agent, const char *conf, const uint8_t id[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest	 mr =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;

	mr.has_message_id = 1;
	mr.message_id.data = (uint8_t *) (uintptr_t) id;
	mr.message_id.len = 16;
	mr.has_stage = 1;
	mr.stage = LIAISON__V1__MARK_STAGE__MARK_READ;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	req.inbox_mark = &mr;
	if (cli_call_quiet(agent, conf, &req, &r) == LSN_OK)
		lsn_client_response_free(&r);
}

int
cmd_show(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "tz", required_argument, NULL, R_TZ },
		{ "custody", no_argument, NULL, R_CUSTODY },
		{ "no-mark", no_argument, NULL, R_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__Envelope		*env = NULL;
	const Liaison__V1__InboxItem	*it;
	ProtobufCMessage		*m = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*o = NULL;
	uint8_t				 id[16];
	int				 ch, rv, json = 0, cust = 0, nomark = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, R_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case R_JSON:
			json = 1;
			break;
		case R_CUSTODY:
			cust = 1;
			break;
		case R_ALL:
			nomark = 1;
			break;
		case R_TZ:
			if ((rv = cli_tz_opt("show", optarg, &tz)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case 'h':
			show_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			show_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc) {
		show_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strlen(argv[optind]) != 32 ||
	    lsn_hex_decode(argv[optind], id, 16) != LSN_OK) {
		cli_err("show", "message id must be 32 hex characters (the "
		    "first column of liaison inbox)");
		return (CLI_EXIT_USAGE);
	}
	if (cust)
		return (cli_show_custody(agent, conf, id, json));
	tz = cli_reader_tz(tz);
	if ((rv = cli_inbox_fetch("show", agent, conf, id, &r, 0)) !=
	    CLI_EXIT_OK)
		return (rv);
	it = r->inbox_fetch->item;
	if (it->envelope != NULL)
		env = liaison__v1__envelope__unpack(NULL,
		    it->envelope->envelope.len, it->envelope->envelope.data);
	m = cli_body_unpack((int) it->type, &it->body);
	if (json && (o = json_object()) == NULL) {
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	show_header(it, argv[optind], env, tz, o);
	if (o != NULL && m != NULL)
		json_object_set_new(o, "body", cli_render_json(m));
	else if (m != NULL) {
		printf("\n");
		cli_render_text(stdout, m, 0, tz);
	} else if (it->body.len > 0 && o == NULL)
		printf("\n(body of %zu bytes does not decode as %s)\n",
		    it->body.len, lsn_envelope_type_name((int) it->type));
	if (env != NULL && env->has_forwarded)
		show_forwarded(agent, conf, it, tz, o);
	show_workflow(agent, conf, (int) it->type, m, tz, o);
	show_custody(agent, conf, id, tz, o);
	if (o != NULL) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
	} else if (!nomark && !it->read)
		mark_read(agent, conf, id);
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	lsn_client_response_free(&r);
	return (rv);
}

/* ---- inbox ---- */

static int
parse_type(const char *s, int *out)
{
	static const struct {
		const char	*alias;
		int		 type;
	} aliases[] = {
		{ "referral", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF },
		{ "meeting", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE },
		{ "rsvp", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE },
		{ "reply", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE },
	};

	for (int t = 1; t <= 11; t++)
		if (strcmp(lsn_envelope_type_name(t), s) == 0) {
			*out = t;
			return (0);
		}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, s) == 0) {
			*out = aliases[i].type;
			return (0);
		}
	return (-1);
}

static int
parse_tlp_name(const char *s, int *out)
{
	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	for (int i = 1; i <= 5; i++)
		if (strcasecmp(lsn_tlp_name(i), s) == 0) {
			*out = i;
			return (0);
		}
	return (-1);
}

/* --since: a duration back from now ("2h", "3d") or a UTC date-time. */
static int
parse_since(const char *s, uint64_t *out)
{
	long long	ms;
	struct tm	tm;
	const char	*e;
	time_t		t;

	if (lsn_conf_parse_duration(s, &ms) == LSN_OK) {
		uint64_t now = lsn_now_ms();

		*out = (uint64_t) ms > now ? 0 : now - (uint64_t) ms;
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return (-1);
	if (*e == 'T' && (e = strptime(e, "T%H:%M", &tm)) == NULL)
		return (-1);
	if (*e == ':' && (e = strptime(e, ":%S", &tm)) == NULL)
		return (-1);
	if (*e == 'Z')
		e++;
	if (*e != '\0' || (t = timegm(&tm)) < 0)
		return (-1);
	*out = (uint64_t) t * 1000;
	return (0);
}

static json_t *
item_json(const Liaison__V1__InboxItem *it, const ProtobufCMessage *m)
{
	char	 idhex[33] = "", gist[256];
	json_t	*o;

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	body_gist((int) it->type, m, gist, sizeof(gist));
	o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:b, s:b, s:b, s:s, "
	    "s:s}", "message_id", idhex,
	    "local_seq", (json_int_t) it->local_seq,
	    "sender", it->sender != NULL ? it->sender : "",
	    "type", lsn_envelope_type_name((int) it->type),
	    "created_ms", (json_int_t) it->created_ms,
	    "received_ms", (json_int_t) it->received_ms,
	    "acked", (int) it->acked, "read", (int) it->read,
	    "actioned", (int) it->actioned, "state", item_state(it),
	    "subject", gist);
	if (o == NULL)
		return (NULL);
	if (it->has_tlp)
		json_object_set_new(o, "tlp",
		    json_string(lsn_tlp_name((int) it->tlp)));
	if (it->has_priority)
		json_object_set_new(o, "priority",
		    json_integer((json_int_t) it->priority));
	if (it->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE &&
	    m != NULL && ((const Liaison__V1__Note *) (const void *) m)->text)
		json_object_set_new(o, "text", json_string(
		    ((const Liaison__V1__Note *) (const void *) m)->text));
	return (o);
}

static void
item_line(const Liaison__V1__InboxItem *it, const ProtobufCMessage *m,
    const char *zone)
{
	char	idhex[33] = "", when[64], gist[256];

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	cli_fmt_time_tz(it->created_ms, zone, when, sizeof(when));
	body_gist((int) it->type, m, gist, sizeof(gist));
	printf("%s %s  %s  %-16s %-17s %-6s %s\n", idhex, it->read ? " " :
	    "*", when, it->sender != NULL ? it->sender : "?",
	    lsn_envelope_type_name((int) it->type),
	    lsn_tlp_name((int) it->tlp), gist);
}

static void
inbox_usage(FILE *f)
{
	fprintf(f, "usage: liaison inbox [--type T] [--from PARTNER] "
	    "[--unread] [--state S]\n"
	    "           [--since WHEN] [--tlp T] [--grep TEXT] [--all] "
	    "[--limit N]\n"
	    "           [--after SEQ] [--wait [SECONDS]] [--json] [--tz "
	    "ZONE] [--agent EP | -c FILE]\n"
	    "Lists received messages not yet acknowledged (--all: all), "
	    "oldest first:\nid, * if unread, time, sender, type, TLP and "
	    "what it is about. Filters:\n"
	    "  --type     note, referral-handoff (referral), "
	    "referral-response (reply),\n"
	    "             meeting-notice (meeting), meeting-response (rsvp),"
	    " alert, alert-ack,\n             contact-update\n"
	    "  --from     sender partner id     --unread  not yet read "
	    "(= --state unread)\n"
	    "  --state    unread, read or actioned\n"
	    "  --since    a duration back (2h, 3d) or YYYY-MM-DD[THH:MM]Z\n"
	    "  --tlp      clear, green, amber, amber-strict, red\n"
	    "  --grep     case-insensitive text over every field the agent "
	    "could read\n             (sealed bodies are opened by the "
	    "agent)\n"
	    "example: liaison inbox --unread --type referral --grep "
	    "sextortion\n%s", rd_opt_help);
}

/* Inbox filters applied here (the agent filters type, sender, since, state). */
struct infilter {
	int		 tlp;
	const char	*grep;
};

static int
inbox_keep(const struct infilter *f, const Liaison__V1__InboxItem *it,
    const ProtobufCMessage *m)
{
	if (f->tlp != 0 && (int) it->tlp != f->tlp)
		return (0);
	if (f->grep != NULL && !body_matches(m, f->grep) &&
	    (it->sender == NULL || !ci_find(it->sender, f->grep)))
		return (0);
	return (1);
}

/* Option parsing of inbox: fills lr and f; CLI exit code or -1 to go on. */
static int
inbox_opts(int argc, char *argv[], Liaison__V1__InboxListRequest *lr,
    struct infilter *f, const char **agent, const char **conf,
    const char **tz, int *json)
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "wait", optional_argument, NULL, R_WAIT },
		{ "all", no_argument, NULL, R_ALL },
		{ "limit", required_argument, NULL, R_LIMIT },
		{ "after", required_argument, NULL, R_AFTER },
		{ "state", required_argument, NULL, R_STATE },
		{ "type", required_argument, NULL, R_TYPE },
		{ "from", required_argument, NULL, R_FROM },
		{ "unread", no_argument, NULL, R_UNREAD },
		{ "since", required_argument, NULL, R_SINCE },
		{ "tlp", required_argument, NULL, R_TLP },
		{ "grep", required_argument, NULL, R_GREP },
		{ "tz", required_argument, NULL, R_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { NULL, "unread", "read",
	    "actioned" };
	const char	*arg;
	long long	 v;
	int		 ch, t, rv;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, R_AGENT, agent, conf))
			continue;
		switch (ch) {
		case R_JSON:
			*json = 1;
			break;
		case R_ALL:
			lr->include_acked = 1;
			break;
		case R_WAIT:
			arg = optarg;
			(void) cli_optional_arg(argc, argv, &arg);
			v = 30;
			if (arg != NULL && (rv = cli_opt_seconds("inbox",
			    "--wait", arg, 30, &v)) != CLI_EXIT_OK)
				return (rv);
			lr->has_wait_ms = v > 0;
			lr->wait_ms = (uint32_t) v * 1000;
			break;
		case R_LIMIT:
			if (lsn_strtonum(optarg, 1, RD_LIST_MAX, &v, NULL) !=
			    LSN_OK) {
				cli_err("inbox", "--limit takes 1..1000");
				return (CLI_EXIT_USAGE);
			}
			lr->has_limit = 1;
			lr->limit = (uint32_t) v;
			break;
		case R_AFTER:
			if (lsn_strtou64(optarg, 0, UINT64_MAX,
			    &lr->after_seq) != LSN_OK) {
				cli_err("inbox", "--after takes a local seq");
				return (CLI_EXIT_USAGE);
			}
			lr->has_after_seq = 1;
			break;
		case R_UNREAD:
		case R_STATE:
			arg = ch == R_UNREAD ? "unread" : optarg;
			lr->has_state = 0;
			for (int i = 1; i <= 3; i++)
				if (strcmp(arg, states[i]) == 0) {
					lr->has_state = 1;
					lr->state = i;
				}
			if (!lr->has_state) {
				cli_err("inbox", "--state is unread, read or "
				    "actioned, not '%s'", arg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case R_TYPE:
			if (parse_type(optarg, &t) != 0) {
				cli_err("inbox", "unknown --type '%s' (see "
				    "liaison inbox --help)", optarg);
				return (CLI_EXIT_USAGE);
			}
			lr->has_type = 1;
			lr->type = t;
			break;
		case R_FROM:
			if (!lsn_slug_valid(optarg)) {
				cli_err("inbox", "--from takes a partner id, "
				    "not '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			lr->sender = optarg;
			break;
		case R_SINCE:
			if (parse_since(optarg, &lr->since_ms) != 0) {
				cli_err("inbox", "--since takes a duration "
				    "(2h, 3d) or YYYY-MM-DD[THH:MM]Z, not "
				    "'%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			lr->has_since_ms = 1;
			break;
		case R_TLP:
			if (parse_tlp_name(optarg, &f->tlp) != 0) {
				cli_err("inbox", "unknown --tlp '%s' (clear, "
				    "green, amber, amber-strict, red)", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case R_GREP:
			f->grep = optarg;
			break;
		case R_TZ:
			if ((rv = cli_tz_opt("inbox", optarg, tz)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case 'h':
			inbox_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			inbox_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		cli_err("inbox", "unexpected argument '%s'", argv[optind]);
		return (CLI_EXIT_USAGE);
	}
	return (-1);
}

int
cmd_inbox(int argc, char *argv[])
{
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct infilter			 f = { 0, NULL };
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*arr = NULL;
	int				 rv, json = 0;

	lr.has_include_acked = 1;
	if ((rv = inbox_opts(argc, argv, &lr, &f, &agent, &conf, &tz,
	    &json)) != -1)
		return (rv);
	tz = cli_reader_tz(tz);
	if ((rv = inbox_all("inbox", agent, conf, &lr, &r)) != CLI_EXIT_OK)
		return (rv);
	if (json)
		arr = json_array();
	for (size_t i = 0; r->inbox_list != NULL &&
	    i < r->inbox_list->n_items; i++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[i];
		ProtobufCMessage *m = cli_body_unpack((int) it->type,
		    &it->body);

		if (inbox_keep(&f, it, m)) {
			if (arr != NULL)
				json_array_append_new(arr, item_json(it, m));
			else
				item_line(it, m, tz);
		}
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(arr);
	}
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* ---- thread ---- */

/*
 * The item id (referral / meeting / alert) a message id stands for, when
 * it is a received message about one; else id itself. *typep: the type of
 * that message (0 if none).
 */
int
cli_resolve_item(const char *agent, const char *conf, const uint8_t in[16],
    uint8_t out[16], int *typep)
{
	Liaison__V1__ApiResponse	*r = NULL;
	ProtobufCMessage		*m = NULL;
	int				 found = 0;

	memcpy(out, in, 16);
	*typep = 0;
	if (cli_inbox_fetch(NULL, agent, conf, in, &r, 1) != CLI_EXIT_OK)
		return (0);
	m = cli_body_unpack((int) r->inbox_fetch->item->type,
	    &r->inbox_fetch->item->body);
	if (m != NULL && cli_body_item_id(m, out) == 0) {
		*typep = (int) r->inbox_fetch->item->type;
		found = 1;
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	lsn_client_response_free(&r);
	return (found);
}

static int
by_created(const void *a, const void *b)
{
	const Liaison__V1__InboxItem *x = *(const Liaison__V1__InboxItem
	    *const *) a;
	const Liaison__V1__InboxItem *y = *(const Liaison__V1__InboxItem
	    *const *) b;

	if (x->created_ms != y->created_ms)
		return (x->created_ms < y->created_ms ? -1 : 1);
	return (x->local_seq < y->local_seq ? -1 : x->local_seq > y->local_seq);
}

static void
thread_usage(FILE *f)
{
	fprintf(f, "usage: liaison thread ID [--json] [--tz ZONE] "
	    "[--agent EP | -c FILE]\n"
	    "Shows a whole case, meeting or alert thread in order: every "
	    "received message\nabout it (the offer, answers, information "
	    "requested and supplied, RSVPs,\nupdates), then its current "
	    "state and history. ID is a referral, meeting or\nalert id, or "
	    "the id of any message of the thread as liaison inbox shows "
	    "it.\nexample: liaison thread 3f2a...c9\n%s", rd_opt_help);
}

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
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const Liaison__V1__InboxItem	**v = NULL;
	ProtobufCMessage		*first = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*o = NULL, *arr = NULL;
	uint8_t				 in[16], id[16], x[16];
	char				 hx[33];
	size_t				 n = 0;
	int				 ch, rv, json = 0, type = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, R_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case R_JSON:
			json = 1;
			break;
		case R_TZ:
			if ((rv = cli_tz_opt("thread", optarg, &tz)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case 'h':
			thread_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			thread_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc) {
		thread_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strlen(argv[optind]) != 32 ||
	    lsn_hex_decode(argv[optind], in, 16) != LSN_OK) {
		cli_err("thread", "id must be 32 hex characters");
		return (CLI_EXIT_USAGE);
	}
	tz = cli_reader_tz(tz);
	(void) cli_resolve_item(agent, conf, in, id, &type);
	lr.has_include_acked = 1;
	lr.include_acked = 1;
	if ((rv = inbox_all("thread", agent, conf, &lr, &r)) != CLI_EXIT_OK)
		return (rv);
	if (r->inbox_list != NULL && (v = calloc(r->inbox_list->n_items + 1,
	    sizeof(*v))) == NULL) {
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; r->inbox_list != NULL &&
	    i < r->inbox_list->n_items; i++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[i];
		ProtobufCMessage *m = cli_body_unpack((int) it->type,
		    &it->body);

		if (m != NULL && cli_body_item_id(m, x) == 0 &&
		    memcmp(x, id, 16) == 0) {
			v[n++] = it;
			if (first == NULL) {
				first = m;
				type = (int) it->type;
				continue;
			}
		}
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_created);
	lsn_hex_encode(id, 16, hx);
	if (json) {
		o = json_object();
		arr = json_array();
		json_object_set_new(o, "id", json_string(hx));
	} else
		printf("thread %s: %zu received message%s\n", hx, n,
		    n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		ProtobufCMessage *m = cli_body_unpack((int) v[i]->type,
		    &v[i]->body);

		if (arr != NULL)
			json_array_append_new(arr, item_json(v[i], m));
		else
			item_line(v[i], m, tz);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (o != NULL)
		json_object_set_new(o, "messages", arr);
	if (first != NULL)
		show_workflow(agent, conf, type, first, tz, o);
	else {
		/* nothing received yet (we sent it): the tracked state */
		Liaison__V1__ReferralResponse rr =
		    LIAISON__V1__REFERRAL_RESPONSE__INIT;

		rr.has_referral_id = 1;
		rr.referral_id.data = id;
		rr.referral_id.len = 16;
		show_workflow(agent, conf, 0, &rr.base, tz, o);
	}
	if (o != NULL) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
	}
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (first != NULL)
		protobuf_c_message_free_unpacked(first, NULL);
	free(v);
	lsn_client_response_free(&r);
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
	    "America/Toronto\n%s", rd_opt_help);
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

/* Latest version of each meeting among the notices (owned by v). */
static size_t
meetings_latest(const Liaison__V1__InboxListResponse *l,
    Liaison__V1__MeetingNotice **v)
{
	size_t	n = 0;

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
	qsort(v, n, sizeof(*v), by_start);
	return (n);
}

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
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__MeetingNotice	**v = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*arr = NULL;
	uint64_t			 now = lsn_now_ms();
	size_t				 n = 0;
	int				 ch, rv, json = 0, all = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, R_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case R_JSON:
			json = 1;
			break;
		case R_ALL:
			all = 1;
			break;
		case R_TZ:
			if ((rv = cli_tz_opt("meeting", optarg, &tz)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case 'h':
			meeting_list_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			meeting_list_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		meeting_list_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	tz = cli_reader_tz(tz);
	lr.has_include_acked = lr.include_acked = 1;
	lr.has_type = 1;
	lr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE;
	if ((rv = inbox_all("meeting", agent, conf, &lr, &r)) != CLI_EXIT_OK)
		return (rv);
	if (r->inbox_list != NULL && (v = calloc(r->inbox_list->n_items + 1,
	    sizeof(*v))) == NULL) {
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	if (v != NULL)
		n = meetings_latest(r->inbox_list, v);
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
		ms = meeting_state(agent, conf, v[i]->meeting_id.data, &sr);
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
	if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(arr);
	}
	rv = CLI_EXIT_OK;
 out:
	for (size_t i = 0; i < n; i++)
		liaison__v1__meeting_notice__free_unpacked(v[i], NULL);
	free(v);
	lsn_client_response_free(&r);
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
	    rd_opt_help);
}

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
	Liaison__V1__ApiResponse	*r = NULL, *ib = NULL;
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
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (cli_agent_opt(ch, R_AGENT, &agent, &conf))
			continue;
		switch (ch) {
		case R_JSON:
			json = 1;
			break;
		case R_UNREAD:
			wl.state = mut("open");
			break;
		case R_ALL:
			wl.has_overdue_only = wl.overdue_only = 1;
			break;
		case R_TZ:
			if ((rv = cli_tz_opt("alert", optarg, &tz)) !=
			    CLI_EXIT_OK)
				return (rv);
			break;
		case 'h':
			alert_usage(stdout);
			return (CLI_EXIT_OK);
		default:
			alert_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		alert_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	tz = cli_reader_tz(tz);
	wl.kind = mut("alert");
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
	if (inbox_all("alert", agent, conf, &lr, &ib) != CLI_EXIT_OK)
		ib = NULL;
	if (json)
		arr = json_array();
	for (size_t i = 0; r->workflow_list != NULL &&
	    i < r->workflow_list->n_items; i++) {
		const Liaison__V1__TrackedItem *t = r->workflow_list->items[i];
		char hx[33], when[64], gist[256] = "";
		uint8_t x[16];

		if (t->item_id.len != 16)
			continue;
		lsn_hex_encode(t->item_id.data, 16, hx);
		for (size_t k = 0; ib != NULL && ib->inbox_list != NULL &&
		    k < ib->inbox_list->n_items && gist[0] == '\0'; k++) {
			const Liaison__V1__InboxItem *it =
			    ib->inbox_list->items[k];
			ProtobufCMessage *m = cli_body_unpack((int) it->type,
			    &it->body);

			if (m != NULL && cli_body_item_id(m, x) == 0 &&
			    memcmp(x, t->item_id.data, 16) == 0)
				body_gist((int) it->type, m, gist,
				    sizeof(gist));
			if (m != NULL)
				protobuf_c_message_free_unpacked(m, NULL);
		}
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
	if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(arr);
	}
	lsn_client_response_free(&ib);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
