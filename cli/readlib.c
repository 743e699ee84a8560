/*
 * readlib.c -- what the reading commands share: typed bodies (unpack,
 * the id they are about, a one-line gist, text search), agent look-ups
 * (tracked item, meeting state, custody, inbox) and the verified original
 * of a forwarded message. Declared in read.h.
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
int
cli_ci_find(const char *hay, const char *needle)
{
	size_t	n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return (1);
	return (n == 0);
}

/* One line saying what a body is about (for inbox and thread lists). */
void
cli_body_gist(int type, const ProtobufCMessage *m, char *buf, size_t sz)
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
int
cli_body_matches(const ProtobufCMessage *m, const char *needle)
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
			    cli_ci_find(v[k], needle) :
			    cli_body_matches(v[k], needle))
				return (1);
		}
	}
	return (0);
}

/* ---- agent look-ups ---- */

int
cli_parse_item_id(const char *cmd, const char *agent, const char *conf,
    const char *s, uint8_t id[16], int *typep)
{
	uint8_t	in[16];
	int	rv, t;

	if ((rv = cli_parse_id(cmd, s, in, "id must be 32 hex characters")) !=
	    CLI_EXIT_OK)
		return (rv);
	(void) cli_resolve_item(agent, conf, in, id, &t);
	if (typep != NULL)
		*typep = t;
	return (CLI_EXIT_OK);
}

/* Tracked item (referral / alert) by id; NULL if none. Caller frees r. */
const Liaison__V1__TrackedItem *
cli_tracked(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;

	*rp = NULL;
	cli_id_field(&wl.has_item_id, &wl.item_id, id);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if (cli_call_quiet(agent, conf, &req, rp) != LSN_OK)
		return (NULL);
	if ((*rp)->workflow_list == NULL ||
	    (*rp)->workflow_list->n_items == 0)
		return (NULL);
	return ((*rp)->workflow_list->items[0]);
}

const Liaison__V1__MeetingShowResponse *
cli_meeting_state(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest	 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;

	*rp = NULL;
	cli_id_field(&ms.has_meeting_id, &ms.meeting_id, id);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	req.meeting_show = &ms;
	if (cli_call_quiet(agent, conf, &req, rp) != LSN_OK)
		return (NULL);
	return ((*rp)->meeting_show);
}

const Liaison__V1__CustodyResponse *
cli_custody(const char *agent, const char *conf, const uint8_t id[16],
    Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__CustodyRequest	 cr = LIAISON__V1__CUSTODY_REQUEST__INIT;

	*rp = NULL;
	cli_id_field(&cr.has_message_id, &cr.message_id, id);
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

	cli_id_field(&fr.has_message_id, &fr.message_id, id);
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
int
cli_inbox_all(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__InboxListRequest *lr, Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiRequest	req = LIAISON__V1__API_REQUEST__INIT;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	req.inbox_list = lr;
	if (!lr->has_limit) {
		lr->has_limit = 1;
		lr->limit = cli_list_page();
	}
	return (cli_call(cmd, agent, conf, &req, RD_TIMEOUT_MS +
	    (int) lr->wait_ms, rp));
}

/* ---- whole lists, page by page (read.h) ---- */

void
cli_pages_free(struct cli_pages *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		lsn_client_response_free(&pg->r[i]);
	free(pg->r);
	pg->r = NULL;
	pg->n = 0;
}

uint32_t
cli_list_page(void)
{
	const char	*e = getenv("LIAISON_LIST_PAGE");
	long long	 v;

	if (e == NULL || *e == '\0' || lsn_strtonum(e, 1, RD_LIST_MAX, &v,
	    NULL) != LSN_OK)
		return (RD_LIST_MAX);
	return ((uint32_t) v);
}

/* Keeps page r in pg (or frees it: empty, or out of memory). 1 when
 * kept, 0 when empty, -1 out of memory. */
static int
pages_keep(struct cli_pages *pg, Liaison__V1__ApiResponse **rp, size_t n)
{
	Liaison__V1__ApiResponse	**v;

	if (n == 0) {
		lsn_client_response_free(rp);
		return (0);
	}
	if ((v = reallocarray(pg->r, pg->n + 1, sizeof(*v))) == NULL) {
		lsn_client_response_free(rp);
		return (-1);
	}
	pg->r = v;
	pg->r[pg->n++] = *rp;
	*rp = NULL;
	return (1);
}

/* The items of list page r (inbox: an inbox list, else an outbox list):
 * their number, and the local_seq of the last one into *after. */
static size_t
page_items(const Liaison__V1__ApiResponse *r, int inbox, uint64_t *after)
{
	size_t	n = 0;

	if (inbox && r->inbox_list != NULL &&
	    (n = r->inbox_list->n_items) > 0)
		*after = r->inbox_list->items[n - 1]->local_seq;
	else if (!inbox && r->outbox_list != NULL &&
	    (n = r->outbox_list->n_items) > 0)
		*after = r->outbox_list->items[n - 1]->local_seq;
	return (n);
}

/*
 * The paging loop of cli_inbox_every (lr) and cli_outbox_every (q, when
 * lr is NULL): pages of cli_list_page() items, asking again after the
 * last local_seq until a page is empty.
 */
static int
pages_every(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__InboxListRequest *lr, Liaison__V1__OutboxListRequest *q,
    struct cli_pages *pg)
{
	struct cli_listopt		 lo;
	Liaison__V1__ApiResponse	*r;
	size_t				 n;
	int				 rv, k;

	lo = lr != NULL ? (struct cli_listopt) CLI_LISTOPT(lr) :
	    (struct cli_listopt) CLI_LISTOPT(q);
	*lo.has_limit = 1;
	*lo.limit = cli_list_page();
	*lo.has_after = 1;
	*lo.after_seq = 0;
	for (;;) {
		r = NULL;
		rv = lr != NULL ? cli_inbox_all(cmd, agent, conf, lr, &r) :
		    cli_outbox_all(cmd, agent, conf, q, &r);
		if (rv != CLI_EXIT_OK)
			return (rv);
		n = page_items(r, lr != NULL, lo.after_seq);
		if ((k = pages_keep(pg, &r, n)) <= 0)
			return (k == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL);
	}
}

int
cli_inbox_every(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__InboxListRequest *lr, struct cli_pages *pg)
{
	return (pages_every(cmd, agent, conf, lr, NULL, pg));
}

int
cli_outbox_every(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__OutboxListRequest *q, struct cli_pages *pg)
{
	return (pages_every(cmd, agent, conf, NULL, q, pg));
}

/* ---- forwarded messages ---- */

/*
 * The original inside a forward, as the agent verified it through the
 * trust gate at delivery (InboxItem.forwarded, .forwarded_body): a forward
 * that fails the gate is quarantined and never reaches the inbox, so the
 * CLI keeps no verifier of its own. Prints it (or adds "forwarded" to o).
 */
void
cli_show_forwarded(const char *agent, const char *conf,
    const Liaison__V1__InboxItem *it, const char *zone, json_t *o)
{
	Liaison__V1__Envelope		*inner = NULL;
	ProtobufCMessage		*im = NULL;
	char				 when[64];

	(void) agent;
	(void) conf;
	if (it->forwarded == NULL || !it->forwarded->has_envelope ||
	    (inner = liaison__v1__envelope__unpack(NULL,
	    it->forwarded->envelope.len, it->forwarded->envelope.data)) ==
	    NULL) {
		if (o != NULL)
			json_object_set_new(o, "forwarded", json_pack(
			    "{s:b}", "verified", 0));
		else
			printf("\nforwarded message: not presented by the "
			    "agent\n");
		goto out;
	}
	if (it->has_forwarded_body)
		im = cli_body_unpack((int) inner->type, &it->forwarded_body);
	if (o != NULL) {
		json_t *f = json_pack("{s:b, s:s, s:s, s:I}", "verified", 1,
		    "sender", inner->sender != NULL ? inner->sender : "",
		    "type", lsn_envelope_type_name((int) inner->type),
		    "created_ms", (json_int_t) inner->created_ms);

		if (f != NULL && im != NULL)
			json_object_set_new(f, "body", cli_render_json(im));
		json_object_set_new(o, "forwarded", f);
		goto out;
	}
	cli_fmt_time_tz(inner->created_ms, zone, when, sizeof(when));
	printf("\nforwarded message (signature verified by the agent, key "
	    "%s)\n  from:     %s\n  type:     %s\n  created:  %s\n",
	    inner->sender_key_id != NULL ? inner->sender_key_id : "?",
	    inner->sender != NULL ? inner->sender : "?",
	    lsn_envelope_type_name((int) inner->type), when);
	if (im != NULL)
		cli_render_text(stdout, im, 2, zone);
 out:
	if (im != NULL)
		protobuf_c_message_free_unpacked(im, NULL);
	if (inner != NULL)
		liaison__v1__envelope__free_unpacked(inner, NULL);
}

/* ---- the list filters shared by inbox and outbox (read.h) ---- */

int
cli_opt_type(const char *cmd, const char *arg, int *type)
{
	if (cli_parse_type(arg, type) != 0) {
		cli_err(cmd, "unknown --type '%s' (see liaison inbox --help)",
		    arg);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_opt_partner(const char *cmd, const char *opt, const char *arg)
{
	if (!lsn_slug_valid(arg)) {
		cli_err(cmd, "%s takes a partner id, not '%s'", opt, arg);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_opt_since(const char *cmd, const char *arg, uint64_t *ms)
{
	if (cli_parse_since(arg, ms) != 0) {
		cli_err(cmd, "--since takes a duration (2h, 3d) or "
		    "YYYY-MM-DD[THH:MM]Z, not '%s'", arg);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_opt_tlp(const char *cmd, const char *arg, int *tlp)
{
	if (cli_parse_tlp_name(arg, tlp) != 0) {
		cli_err(cmd, "unknown --tlp '%s' (clear, green, amber, "
		    "amber-strict, red)", arg);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_opt_limit(const char *cmd, const char *arg, uint32_t *limit)
{
	long long	v;

	if (lsn_strtonum(arg, 1, RD_LIST_MAX, &v, NULL) != LSN_OK) {
		cli_err(cmd, "--limit takes 1..1000");
		return (CLI_EXIT_USAGE);
	}
	*limit = (uint32_t) v;
	return (CLI_EXIT_OK);
}

int
cli_opt_after(const char *cmd, const char *arg, uint64_t *seq)
{
	if (lsn_strtou64(arg, 0, UINT64_MAX, seq) != LSN_OK) {
		cli_err(cmd, "--after takes a local seq");
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_list_opt(const char *cmd, int ch, const char *arg, struct cli_listopt *o)
{
	int	rv = CLI_EXIT_OK, t;

	switch (ch) {
	case R_TYPE:
		if ((rv = cli_opt_type(cmd, arg, &t)) == CLI_EXIT_OK) {
			*o->has_type = 1;
			*o->type = t;
		}
		break;
	case R_SINCE:
		if ((rv = cli_opt_since(cmd, arg, o->since_ms)) == CLI_EXIT_OK)
			*o->has_since = 1;
		break;
	case R_LIMIT:
		if ((rv = cli_opt_limit(cmd, arg, o->limit)) == CLI_EXIT_OK)
			*o->has_limit = 1;
		break;
	case R_AFTER:
		if ((rv = cli_opt_after(cmd, arg, o->after_seq)) == CLI_EXIT_OK)
			*o->has_after = 1;
		break;
	case R_TLP:
		rv = cli_opt_tlp(cmd, arg, &o->tlp);
		break;
	case R_GREP:
		o->grep = arg;
		break;
	default:
		return (-1);
	}
	return (rv);
}

/* ---- the output options of the reading commands (read.h) ---- */

int
cli_read_getopt(int argc, char *argv[], const struct option *lo,
    const char *cmd, const char **agent, const char **conf, const char **tz,
    int *json)
{
	int	ch;

	while ((ch = cli_getopt(argc, argv, lo, R_AGENT, agent, conf)) != -1) {
		if (ch == R_JSON)
			*json = 1;
		else if (ch != R_TZ)
			break;
		else if (cli_tz_opt(cmd, optarg, tz) != CLI_EXIT_OK)
			return (R_BAD);
	}
	return (ch);
}
