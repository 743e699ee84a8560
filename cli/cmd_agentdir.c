/*
 * cmd_agentdir.c -- agent-dir: the partner directory as the local agent
 * holds it (list, show ID, search TEXT, groups, group NAME), through its
 * API.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"
#include "render.h"

#define CLI_TIMEOUT_MS		10000

enum { OPT_AGENT = 1000, OPT_JSON };

static const char *
status_name(int s)
{
	switch (s) {
	case LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE:
		return ("active");
	case LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED:
		return ("suspended");
	case LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED:
		return ("revoked");
	default:
		return ("?");
	}
}

static json_t *
partner_json(const Liaison__V1__Partner *p)
{
	json_t	*o, *keys = json_array(), *contacts = json_array();
	json_t	*groups = json_array();

	for (size_t i = 0; i < p->n_keys; i++) {
		const Liaison__V1__KeyRecord *k = p->keys[i];

		json_array_append_new(keys, json_pack("{s:s, s:s, s:I, s:I, "
		    "s:I}", "key_id", k->key_id != NULL ? k->key_id : "",
		    "purpose", lsn_key_kind_name((enum lsn_key_kind)
		    k->purpose), "valid_from_ms",
		    (json_int_t) k->valid_from_ms, "valid_until_ms",
		    (json_int_t) k->valid_until_ms, "revoked_at_ms",
		    (json_int_t) k->revoked_at_ms));
	}
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];

		json_array_append_new(contacts, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s, s:b}",
		    "contact_id", c->contact_id ? c->contact_id : "",
		    "name", c->name ? c->name : "",
		    "role", c->role ? c->role : "",
		    "email", c->email ? c->email : "",
		    "phone", c->phone ? c->phone : "",
		    "is_24x7", (int) c->is_24x7));
	}
	for (size_t i = 0; i < p->n_groups; i++)
		json_array_append_new(groups, json_string(p->groups[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}",
	    "id", p->id ? p->id : "",
	    "name", p->names && p->names->official ? p->names->official : "",
	    "country", p->country ? p->country : "",
	    "status", status_name((int) p->status),
	    "version", (json_int_t) p->version,
	    "keys", keys, "contacts", contacts, "groups", groups);
	return (o);
}

static void
partner_print(const Liaison__V1__Partner *p, int full)
{
	printf("%-20s %-3s %-10s %s\n", p->id ? p->id : "?",
	    p->country ? p->country : "", status_name((int) p->status),
	    p->names && p->names->official ? p->names->official : "");
	if (!full)
		return;
	for (size_t i = 0; i < p->n_keys; i++)
		printf("  key %s %s%s\n", p->keys[i]->key_id ?
		    p->keys[i]->key_id : "?",
		    lsn_key_kind_name((enum lsn_key_kind) p->keys[i]->purpose),
		    p->keys[i]->revoked_at_ms ? " (revoked)" : "");
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];

		printf("  contact %s: %s, %s, %s%s\n", c->contact_id ?
		    c->contact_id : "?", c->name ? c->name : "",
		    c->role ? c->role : "", c->email ? c->email : "",
		    c->is_24x7 ? " [24/7]" : "");
	}
	for (size_t i = 0; i < p->n_groups; i++)
		printf("  group %s\n", p->groups[i]);
}

/* Over 80 lines: options, then each sub-command's request and output. */
int
cmd_agent_dir(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 q = LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_conn			 k = { NULL, NULL, "" };
	const char			*agent = NULL, *conf = NULL, *sub;
	int				 ch, rv, json = 0, full = 0;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, OPT_AGENT, &agent,
	    &conf)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == 'h') {
			printf("usage: liaison agent-dir list | show ID | "
			    "search TEXT | groups | group NAME\n"
			    "                 [--json] [--agent EP | -c FILE]\n"
			    "Queries the agent's verified directory replica "
			    "(works offline).\n"
			    "example: liaison agent-dir search police\n%s",
			    cli_agent_opt_help);
			return (CLI_EXIT_OK);
		} else
			return (CLI_EXIT_USAGE);
	}
	if (optind >= argc) {
		cli_err("agent-dir", "list, show, search, groups or group?");
		return (CLI_EXIT_USAGE);
	}
	sub = argv[optind++];
	if (strcmp(sub, "list") == 0 && optind == argc)
		;
	else if (strcmp(sub, "show") == 0 && optind + 1 == argc) {
		q.partner_id = argv[optind];
		full = 1;
	} else if (strcmp(sub, "search") == 0 && optind + 1 == argc)
		q.search = argv[optind];
	else if (strcmp(sub, "groups") == 0 && optind == argc) {
		q.has_list_groups = 1;
		q.list_groups = 1;
	} else if (strcmp(sub, "group") == 0 && optind + 1 == argc)
		q.group = argv[optind];
	else {
		cli_err("agent-dir", "usage: liaison agent-dir list | show ID "
		    "| search TEXT | groups | group NAME");
		return (CLI_EXIT_USAGE);
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &q;
	if ((rv = cli_conn_open(&k, "agent-dir", agent, conf)) != CLI_EXIT_OK)
		goto out;
	if ((rv = cli_conn_call(&k, &req, CLI_TIMEOUT_MS, &r)) != CLI_EXIT_OK)
		goto out;
	if (r->dir_query == NULL) {
		rv = cli_malformed("agent-dir", &r);
		goto out;
	}
	if (json) {
		json_t *o = json_object(), *ps = json_array();
		json_t *gs = json_array();

		for (size_t i = 0; i < r->dir_query->n_partners; i++)
			json_array_append_new(ps,
			    partner_json(r->dir_query->partners[i]));
		for (size_t i = 0; i < r->dir_query->n_groups; i++) {
			const Liaison__V1__Group *g = r->dir_query->groups[i];
			json_t *m = json_array();

			for (size_t j = 0; j < g->n_members; j++)
				json_array_append_new(m,
				    json_string(g->members[j]));
			json_array_append_new(gs, json_pack("{s:s, s:s, s:o}",
			    "name", g->name ? g->name : "", "description",
			    g->description ? g->description : "",
			    "members", m));
		}
		json_object_set_new(o, "rev", json_integer(
		    r->dir_query->head ? (json_int_t) r->dir_query->head->rev :
		    0));
		json_object_set_new(o, "partners", ps);
		json_object_set_new(o, "groups", gs);
		cli_json_print(o);
		json_decref(o);
	} else {
		for (size_t i = 0; i < r->dir_query->n_partners; i++)
			partner_print(r->dir_query->partners[i], full);
		for (size_t i = 0; i < r->dir_query->n_groups; i++) {
			const Liaison__V1__Group *g = r->dir_query->groups[i];

			printf("%-20s %zu members", g->name ? g->name : "?",
			    g->n_members);
			for (size_t j = 0; j < g->n_members; j++)
				printf("%s%s", j ? ", " : ": ", g->members[j]);
			printf("\n");
		}
	}
	rv = CLI_EXIT_OK;
 out:
	lsn_client_response_free(&r);
	cli_conn_close(&k);
	return (rv);
}
