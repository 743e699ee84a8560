/* cmd_audit.c -- `liaison audit verify --db FILE`: check the broker's audit
 * chain. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/audit.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "cli.h"

static void
audit_usage(FILE *f)
{
	fprintf(f, "usage: liaison audit verify --db FILE\n"
	    "  Recomputes the broker's hash-chained audit log and names the\n"
	    "  first entry that was altered, removed or inserted.\n");
}

static int
audit_verify(const char *path)
{
	struct lsn_audit_result	 res;
	sqlite3			*db = NULL;
	char			 head[2 * LSN_AUDIT_HASH_BYTES + 1];
	int			 rv, ex = CLI_EXIT_FAIL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		cli_err("audit", "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	(void) sqlite3_busy_timeout(db, 5000);
	rv = lsn_audit_verify(db, &res);
	if (rv == LSN_OK) {
		lsn_hex_encode(res.head, sizeof(res.head), head);
		printf("audit chain OK: %llu entries, head %s\n",
		    (unsigned long long) res.count,
		    res.count > 0 ? head : "(empty)");
		ex = CLI_EXIT_OK;
	} else if (rv == LSN_ECHAIN) {
		printf("audit chain BROKEN at id %llu: %s (%llu entries "
		    "before it are intact)\n", (unsigned long long) res.bad_id,
		    res.why, (unsigned long long) res.count);
	} else
		cli_err("audit", "%s: %s: %s", path, lsn_strerror(rv),
		    res.why);
 out:
	sqlite3_close_v2(db);
	return (ex);
}

int
cmd_audit(int argc, char *argv[])
{
	const char	*db = NULL;

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
			db = argv[++i];
		else {
			audit_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (db == NULL) {
		audit_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	return (audit_verify(db));
}
