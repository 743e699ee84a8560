/*
 * cmd_admin_inspect.c -- liaison admin inspect FILE: an op file's actions,
 * signatures and hashes, as text or --json (split from cmd_admin.c).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/dir.h"
#include "liaison/keys.h"
#include "liaison/log.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "admin.h"
#include "cli.h"
#include "dircli.h"
#include "render.h"

/* The action sub-message of an op, as JSON. */
static json_t *
action_json(const Liaison__V1__DirOp *op)
{
	json_t	*all, *v;

	if ((all = dircli_msg_json(&op->base)) == NULL)
		return (NULL);
	for (unsigned i = 0; i < op->base.descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f =
		    &op->base.descriptor->fields[i];

		if (f->id == (uint32_t) op->action_case &&
		    (v = json_object_get(all, f->name)) != NULL) {
			json_incref(v);
			json_decref(all);
			return (v);
		}
	}
	json_decref(all);
	return (json_object());
}

/* Over 80 lines: options, then a summary per op of the batch. */
int
admin_inspect(int argc, char *argv[])
{
	struct aopts		 o;
	struct lsn_dirop_batch	*b = NULL;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	json_t			*arr = NULL;
	int			 ret, single;

	if ((ret = admin_parse_opfile("inspect", argc, argv, &o, 0,
	    B(O_JSON) | B(O_DB))) != CLI_EXIT_OK)
		return (ret);
	if ((ret = admin_load_batch("inspect", argv[o.first], &b, &single)) !=
	    CLI_EXIT_OK)
		return (ret);
	if ((o.given & B(O_DB)) && (ret = dircli_open("admin", o.v[O_DB], 0,
	    &st, &d)) != CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_FAIL;
	if ((o.given & B(O_JSON)) && (arr = json_array()) == NULL)
		goto out;
	if (arr == NULL)
		printf("%s: %zu op%s\n", argv[o.first], b->n,
		    b->n == 1 ? "" : "s");
	for (size_t i = 0; i < b->n; i++) {
		Liaison__V1__SignedDirOp	*s = NULL;
		Liaison__V1__DirOp		*op = NULL;
		json_t				*act, *sigs;
		char				 hex[33], why[LSN_DIR_WHY_MAX];
		int				 rv = LSN_OK;

		if (lsn_dirop_parse(b->ops[i], b->lens[i], &s, &op) != LSN_OK)
			goto out;
		if (d != NULL)
			rv = lsn_dir_authorize(d, b->ops[i], b->lens[i],
			    lsn_now_ms(), why, sizeof(why));
		act = action_json(op);
		lsn_hex_encode(op->op_id.data, op->op_id.len < 16 ?
		    op->op_id.len : 16, hex);
		if (arr != NULL) {
			json_t *e = json_object();

			sigs = dircli_msg_json(&s->base);
			json_object_set_new(e, "action",
			    json_string(lsn_dirop_action_name(op)));
			json_object_set_new(e, "class", json_string(
			    lsn_dir_class_name(lsn_dirop_class(op))));
			json_object_set_new(e, "op", dircli_msg_json(
			    &op->base));
			json_object_set_new(e, "signatures",
			    json_object_get(sigs, "signatures") != NULL ?
			    json_incref(json_object_get(sigs, "signatures")) :
			    json_array());
			if (d != NULL)
				json_object_set_new(e, "check", json_string(
				    rv == LSN_OK ? "accepted" : why));
			json_array_append_new(arr, e);
			json_decref(sigs);
		} else {
			printf("\nop %zu: %s (class %s)\n", i + 1,
			    lsn_dirop_action_name(op),
			    lsn_dir_class_name(lsn_dirop_class(op)));
			printf("  op id      %s\n", hex);
			printf("  author     %s\n", op->author != NULL ?
			    op->author : "-");
			printf("  created    %s (%llu)\n",
			    dircli_time(op->created_ms),
			    (unsigned long long) op->created_ms);
			printf("  expects    version %llu\n",
			    (unsigned long long) op->expected_version);
			printf("  signatures %zu:", s->n_signatures);
			for (size_t k = 0; k < s->n_signatures; k++)
				printf(" %s", s->signatures[k]->key_id !=
				    NULL ? s->signatures[k]->key_id : "?");
			printf("\n");
			if (d != NULL)
				printf("  check      %s%s\n", rv == LSN_OK ?
				    "would be accepted now" : "refused: ",
				    rv == LSN_OK ? "" : why);
			printf("  %s:\n", lsn_dirop_action_name(op));
			if (act != NULL)
				cli_json_print(act);
		}
		json_decref(act);
		liaison__v1__dir_op__free_unpacked(op, NULL);
		liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	}
	if (arr != NULL)
		cli_json_print(arr);
	ret = CLI_EXIT_OK;
 out:
	json_decref(arr);
	lsn_dirop_batch_free(&b);
	dircli_close(&st, &d);
	return (ret);
}

/* ---- export-log ---- */

/* Adds one log entry's signed op to the batch (lsn_dir_entries_after). */
static int
export_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct lsn_dirop_batch	*b = arg;
	Liaison__V1__LogEntry	*e;
	int			 rv;

	if ((e = liaison__v1__log_entry__unpack(NULL, len, entry)) == NULL)
		return (LSN_EPROTO);
	if (!e->has_signed_op || !e->has_rev || e->rev != rev)
		rv = LSN_EPROTO;
	else
		rv = lsn_dirop_batch_add(b, e->signed_op.data,
		    e->signed_op.len);
	liaison__v1__log_entry__free_unpacked(e, NULL);
	return (rv);
}

/*
 * liaison admin export-log --db FILE --out OPFILE: every signed op of a
 * directory log (a broker's backup or any agent's replica), verified, in
 * log order, as one batch. `admin apply` of that batch to a new database
 * appends the same entries again: an entry's hash covers only its rev,
 * the previous hash and the signed op, so the log is the same, head hash
 * included (operations.md, "Broker started empty").
 */
int
admin_export_log(int argc, char *argv[])
{
	struct aopts			 o;
	struct lsn_dirop_batch		*b = NULL;
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	struct lsn_dir_verify_result	 res;
	uint8_t				*buf = NULL;
	size_t				 len = 0;
	char				 why[LSN_DIR_WHY_MAX], hex[65];
	int				 ret, rv;

	if ((ret = admin_parse("export-log", argc, argv, &o)) != CLI_EXIT_OK ||
	    (ret = admin_check_opts("export-log", &o, B(O_DB) | B(O_OUT), 0)) !=
	    CLI_EXIT_OK)
		return (ret);
	if (o.first != argc) {
		cli_err("admin", "export-log: no positional argument");
		return (CLI_EXIT_USAGE);
	}
	if ((ret = dircli_open("admin", o.v[O_DB], 0, &st, &d)) !=
	    CLI_EXIT_OK)
		return (ret);
	ret = CLI_EXIT_FAIL;
	why[0] = '\0';
	if ((rv = lsn_dir_verify(d, &res, why, sizeof(why))) != LSN_OK ||
	    res.bad_rev != 0 || res.digest_mismatch) {
		cli_err("admin", "export-log: %s: the log does not verify "
		    "(%s); export from another replica", o.v[O_DB],
		    why[0] != '\0' ? why : lsn_strerror(rv != LSN_OK ? rv :
		    LSN_ECHAIN));
		goto out;
	}
	if ((rv = lsn_dirop_batch_new(&b)) != LSN_OK ||
	    (rv = lsn_dir_entries_after(d, 0, 0, export_entry, b)) !=
	    LSN_OK || (rv = lsn_dirop_batch_save(b, 0, &buf, &len)) !=
	    LSN_OK || (rv = lsn_file_write_atomic(o.v[O_OUT], buf, len,
	    0644)) != LSN_OK) {
		cli_err("admin", "export-log: %s", lsn_strerror(rv));
		goto out;
	}
	lsn_hex_encode(res.head, sizeof(res.head), hex);
	printf("exported %zu op%s to %s: rev %llu head %s\n", b->n,
	    b->n == 1 ? "" : "s", o.v[O_OUT], (unsigned long long) res.rev,
	    hex);
	ret = CLI_EXIT_OK;
 out:
	free(buf);
	lsn_dirop_batch_free(&b);
	dircli_close(&st, &d);
	return (ret);
}
