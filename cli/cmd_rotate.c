/*
 * cmd_rotate.c -- liaison admin rotate: a partner's signing key rotated
 * in one command, with an overlap window:
 *   1. a new signing key pair (keygen) in KEYS/next/;
 *   2. add-key (valid from now), signed with every --key, submitted;
 *   3. once the agent's replica has it: retire-key of the old key, valid
 *      until now + --overlap (messages the old key signed keep verifying;
 *      default 7d), signed and submitted the same way;
 *   4. the old pair moves to KEYS/old/, the new one into KEYS/.
 * The second and last command is restarting the agent, which then signs
 * with the new key.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"

#define ROT_KEYS_MAX	16
#define ROT_WAIT_MS	20000

static void
rotate_usage(FILE *f)
{
	fprintf(f, "usage: liaison admin rotate --id ID --keys-dir DIR --key "
	    "ADMIN.key...\n"
	    "           --db AGENT.db -c agent.conf [--overlap DURATION]\n"
	    "Rotates partner ID's signing key: makes a new pair in DIR/next, "
	    "publishes it\n(add-key), retires the old key with an overlap "
	    "window (default 7d: what it\nsigned keeps verifying), and moves "
	    "the new pair into DIR (the old one to\nDIR/old). Then restart "
	    "the agent: it signs with the new key.\n"
	    "example: liaison admin rotate --id au-afp --keys-dir "
	    "/etc/liaison/keys\n  --key alice/admin.key --db /var/lib/"
	    "liaison/agent.db -c /etc/liaison/agent.conf\n");
}

/* The "key-id" of a liaison-key file, or -1. */
static int
file_key_id(const char *path, char out[17])
{
	FILE	*f;
	char	 line[256];
	int	 ok = -1;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (ok != 0 && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "key-id ", 7) == 0 &&
		    strspn(line + 7, "0123456789abcdef") == 16) {
			memcpy(out, line + 7, 16);
			out[16] = '\0';
			ok = 0;
		}
	fclose(f);
	return (ok);
}

/* Waits until the agent's replica lists key kid for partner id. */
static int
wait_key(const char *conf, const char *id, const char *kid)
{
	uint64_t	end = lsn_mono_ms() + ROT_WAIT_MS;

	for (;;) {
		Liaison__V1__ApiRequest req = LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__DirQueryRequest q =
		    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
		Liaison__V1__ApiResponse *r = NULL;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int found = 0;

		q.partner_id = (char *) (uintptr_t) id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
		req.dir_query = &q;
		if (cli_call_quiet(NULL, conf, &req, &r) == LSN_OK) {
			for (size_t i = 0; r->dir_query != NULL &&
			    i < r->dir_query->n_partners; i++)
				for (size_t k = 0; k <
				    r->dir_query->partners[i]->n_keys; k++)
					if (strcmp(r->dir_query->partners[i]->
					    keys[k]->key_id, kid) == 0)
						found = 1;
			lsn_client_response_free(&r);
		}
		if (found)
			return (0);
		if (lsn_mono_ms() >= end)
			return (-1);
		nanosleep(&ts, NULL);
	}
}

/* admin change ACTION ARGS... with the keys, db and conf (argv built). */
static int
change(char **args, size_t na, char **keys, size_t nk, const char *db,
    const char *conf)
{
	char	*v[64];
	int	 n = 0;

	v[n++] = (char *) "change";
	for (size_t i = 0; i < na && n < 40; i++)
		v[n++] = args[i];
	for (size_t i = 0; i < nk && n < 58; i++) {
		v[n++] = (char *) "--key";
		v[n++] = keys[i];
	}
	v[n++] = (char *) "--db";
	v[n++] = (char *) (uintptr_t) db;
	v[n++] = (char *) "-c";
	v[n++] = (char *) (uintptr_t) conf;
	v[n] = NULL;
	return (cli_admin_change(n, v));
}

int
cli_admin_rotate(int argc, char *argv[])
{
	char		*keys[ROT_KEYS_MAX], nd[PATH_MAX], od[PATH_MAX];
	char		 a[PATH_MAX + 32], b[PATH_MAX + 32], oldk[17], newk[17];
	char		 until[32];
	const char	*id = NULL, *kd = NULL, *db = NULL, *conf = NULL;
	long long	 overlap = 7LL * 86400 * 1000;
	size_t		 nk = 0;
	int		 rv;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			rotate_usage(stdout);
			return (CLI_EXIT_OK);
		}
		if (v == NULL)
			return (cli_usage_exit(0, rotate_usage));
		i++;
		if (strcmp(argv[i - 1], "--id") == 0)
			id = v;
		else if (strcmp(argv[i - 1], "--keys-dir") == 0)
			kd = v;
		else if (strcmp(argv[i - 1], "--db") == 0)
			db = v;
		else if (strcmp(argv[i - 1], "-c") == 0)
			conf = v;
		else if (strcmp(argv[i - 1], "--key") == 0 &&
		    nk < ROT_KEYS_MAX)
			keys[nk++] = (char *) (uintptr_t) v;
		else if (strcmp(argv[i - 1], "--overlap") == 0) {
			if (lsn_conf_parse_duration(v, &overlap) != LSN_OK) {
				cli_err("admin", "rotate: --overlap takes a "
				    "duration (7d, 12h), not '%s'", v);
				return (CLI_EXIT_USAGE);
			}
		} else {
			rotate_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (id == NULL || kd == NULL || db == NULL || conf == NULL ||
	    nk == 0 || !lsn_slug_valid(id))
		return (cli_usage_exit(0, rotate_usage));
	snprintf(a, sizeof(a), "%s/sign.pub", kd);
	if (file_key_id(a, oldk) != 0) {
		cli_err("admin", "rotate: %s: no signing key to rotate", a);
		return (CLI_EXIT_FAIL);
	}
	snprintf(nd, sizeof(nd), "%s/next", kd);
	snprintf(od, sizeof(od), "%s/old", kd);
	{
		char *kv[] = { (char *) "keygen", (char *) "--partner",
		    (char *) (uintptr_t) id, (char *) "--out", nd, NULL };

		if ((rv = cmd_keygen(5, kv)) != CLI_EXIT_OK)
			return (rv);
	}
	snprintf(a, sizeof(a), "%s/sign.pub", nd);
	if (file_key_id(a, newk) != 0)
		return (CLI_EXIT_FAIL);
	{
		char *av[] = { (char *) "add-key", (char *) "--id",
		    (char *) (uintptr_t) id, (char *) "--pub", a,
		    (char *) "--valid-from", (char *) "now" };

		if ((rv = change(av, 7, keys, nk, db, conf)) != CLI_EXIT_OK)
			return (rv);
	}
	if (wait_key(conf, id, newk) != 0) {
		cli_err("admin", "rotate: the agent's replica did not show the "
		    "new key %s in time; retire %s later with liaison admin "
		    "change retire-key", newk, oldk);
		return (CLI_EXIT_FAIL);
	}
	snprintf(until, sizeof(until), "%llu", (unsigned long long)
	    (lsn_now_ms() + (uint64_t) overlap));
	{
		char *rv_[] = { (char *) "retire-key", (char *) "--id",
		    (char *) (uintptr_t) id, (char *) "--key-id", oldk,
		    (char *) "--until", until };

		if ((rv = change(rv_, 7, keys, nk, db, conf)) != CLI_EXIT_OK)
			return (rv);
	}
	if (mkdir(od, 0700) != 0 && errno != EEXIST) {
		cli_err("admin", "rotate: %s: %s", od, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	for (int i = 0; i < 2; i++) {
		const char *f = i == 0 ? "sign.key" : "sign.pub";

		snprintf(a, sizeof(a), "%s/%s", kd, f);
		snprintf(b, sizeof(b), "%s/%s", od, f);
		if (rename(a, b) != 0)
			goto fail;
		snprintf(a, sizeof(a), "%s/%s", nd, f);
		snprintf(b, sizeof(b), "%s/%s", kd, f);
		if (rename(a, b) != 0)
			goto fail;
	}
	printf("signing key of %s rotated: %s (new) replaces %s (valid "
	    "until %s ms); restart the agent to sign with the new key\n", id,
	    newk, oldk, until);
	return (CLI_EXIT_OK);
 fail:
	cli_err("admin", "rotate: moving %s to %s: %s (the directory has the "
	    "new key; move the files by hand)", a, b, strerror(errno));
	return (CLI_EXIT_FAIL);
}
