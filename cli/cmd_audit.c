/* cmd_audit.c -- `liaison audit verify --db FILE`: check the broker's audit
 * chain and its signed head file. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/dir.h"
#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "cli.h"
#include "dircli.h"

struct audit_opts {
	const char	*db;
	const char	*head;		/* NULL: <db>.audit-head */
	const char	*key;		/* NULL: the directory's sequencer key */
};

static void
audit_usage(FILE *f)
{
	fprintf(f, "usage: liaison audit verify --db FILE [--head FILE] "
	    "[--key FILE]\n"
	    "  Recomputes the broker's hash-chained audit log and names the\n"
	    "  first entry that was altered, removed or inserted, then checks\n"
	    "  the broker's signed head file (default FILE.audit-head) so a\n"
	    "  truncated or rewritten tail is found too. --key: the broker's\n"
	    "  sign public key (default: the sequencer key of the database's\n"
	    "  directory; pass your own copy to not trust the database).\n");
}

/* The broker's sign public key: --key, or the directory's sequencer key. */
static int
audit_key(const struct audit_opts *o, uint8_t pk[LSN_PK_BYTES])
{
	Liaison__V1__RootPolicy	*root = NULL;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	enum lsn_key_kind	 kind;
	int			 rv, ex = CLI_EXIT_FAIL;

	if (o->key != NULL) {
		if ((rv = lsn_pubkey_load(o->key, &kind, pk, NULL)) != LSN_OK ||
		    kind != LSN_KEY_SIGN) {
			cli_err("audit", "%s: %s", o->key, rv != LSN_OK ?
			    lsn_strerror(rv) : "not a sign key");
			return (CLI_EXIT_FAIL);
		}
		return (CLI_EXIT_OK);
	}
	if ((ex = dircli_open("audit", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ex);
	ex = CLI_EXIT_FAIL;
	if ((rv = lsn_dir_root_get(d, &root)) != LSN_OK ||
	    root->sequencer_key == NULL ||
	    !root->sequencer_key->has_public_key ||
	    root->sequencer_key->public_key.len != LSN_PK_BYTES) {
		cli_err("audit", "%s: no sequencer key in the directory; "
		    "pass --key", o->db);
		goto out;
	}
	memcpy(pk, root->sequencer_key->public_key.data, LSN_PK_BYTES);
	ex = CLI_EXIT_OK;
 out:
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	dircli_close(&st, &d);
	return (ex);
}

/*
 * The head file against the verified chain res (count entries): missing,
 * invalid, truncated or rewritten is a failure.
 */
static int
audit_head(struct lsn_store *st, const struct audit_opts *o,
    struct lsn_audit_result *res)
{
	struct lsn_audit_head	 h;
	uint8_t			 pk[LSN_PK_BYTES];
	char			 path[4096];
	int			 rv, ex;

	if (o->head != NULL)
		lsn_strlcpy(path, o->head, sizeof(path));
	else if (snprintf(path, sizeof(path), "%s.audit-head", o->db) >=
	    (int) sizeof(path)) {
		cli_err("audit", "path too long");
		return (CLI_EXIT_FAIL);
	}
	if ((ex = audit_key(o, pk)) != CLI_EXIT_OK)
		return (ex);
	rv = lsn_audit_head_load(path, pk, &h);
	if (rv == LSN_ENOENT) {
		printf("audit head MISSING: %s: the %" PRIu64 " entries cannot "
		    "be checked for a cut or rewritten tail\n", path,
		    res->count);
		return (res->count == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL);
	}
	if (rv != LSN_OK) {
		printf("audit head INVALID: %s: %s\n", path, rv ==
		    LSN_EBADSIG ? "not signed by the broker's key" :
		    lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	rv = lsn_audit_head_check(st, &h, res);
	if (rv == LSN_ECHAIN) {
		printf("audit chain BROKEN at id %" PRIu64 ": %s\n",
		    res->bad_id, res->why);
		return (CLI_EXIT_FAIL);
	}
	if (rv != LSN_OK) {
		cli_err("audit", "%s: %s", o->db, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	printf("signed head OK: covers %" PRIu64 " of %" PRIu64 " entries "
	    "(key %s, time_ms %" PRIu64 ")\n", h.count, res->count, h.key_id,
	    h.time_ms);
	return (CLI_EXIT_OK);
}

static int
audit_verify(const struct audit_opts *o)
{
	struct lsn_audit_result	 res;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	char			 head[2 * LSN_AUDIT_HASH_BYTES + 1];
	int			 rv, ex;

	/* read-only, as the directory commands open a daemon's database */
	if ((ex = dircli_open("audit", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ex);
	ex = CLI_EXIT_FAIL;
	rv = lsn_audit_verify(st, &res);
	if (rv == LSN_OK) {
		lsn_hex_encode(res.head, sizeof(res.head), head);
		printf("audit chain OK: %llu entries, head %s\n",
		    (unsigned long long) res.count,
		    res.count > 0 ? head : "(empty)");
		ex = audit_head(st, o, &res);
	} else if (rv == LSN_ECHAIN) {
		printf("audit chain BROKEN at id %llu: %s (%llu entries "
		    "before it are intact)\n", (unsigned long long) res.bad_id,
		    res.why, (unsigned long long) res.count);
	} else
		cli_err("audit", "%s: %s: %s", o->db, lsn_strerror(rv),
		    res.why);
	dircli_close(&st, &d);
	return (ex);
}

int
cmd_audit(int argc, char *argv[])
{
	struct audit_opts	o = { NULL, NULL, NULL };

	if (cli_wants_help(argc, argv)) {
		audit_usage(stdout);
		return (CLI_EXIT_OK);
	}
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		audit_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			o.db = argv[++i];
		else if (strcmp(argv[i], "--head") == 0 && i + 1 < argc)
			o.head = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			o.key = argv[++i];
		else {
			audit_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (o.db == NULL) {
		audit_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	return (audit_verify(&o));
}
