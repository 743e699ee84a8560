/*
 * cmd_change.c -- liaison admin change: a directory change in one step
 * when the administrators' keys are at hand: propose the op, sign it with
 * every --key given, then submit it through the agent (-c / --agent) or
 * apply it to an offline directory database (--db without -c). When the
 * threshold needs more signatures than were given, the signed op file
 * stays for the other administrators (admin sign, then submit).
 *
 * It runs the same code as admin propose / sign / apply and submit, in
 * this process, with the arguments it builds; nothing else is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"
#include "cli.h"

#define CHANGE_KEYS_MAX	16
#define CHANGE_ARGS_MAX	128

static void
change_usage(FILE *f)
{
	fprintf(f, "usage: liaison admin change ACTION [ARGS...] --key "
	    "ADMIN.key [--key ADMIN.key]...\n"
	    "           --db DIR.db [-c agent.conf | --agent EP] [--out "
	    "FILE]\n"
	    "Proposes ACTION (the actions and ARGS of liaison admin propose), "
	    "signs it with\nevery --key, and submits it through the agent "
	    "(-c / --agent), or applies it to\nthe offline database --db when "
	    "no agent is named. --db also gives the target's\ncurrent "
	    "version (an agent's own database may be named). If the "
	    "threshold needs\nmore signatures, the signed op is left in FILE "
	    "(--out, default\n./liaison-change-XXXXXX.op) for the other "
	    "administrators: liaison admin sign FILE\n--key KEY, then "
	    "liaison submit FILE.\n"
	    "example: liaison admin change add-member --group ops-coord "
	    "--partner nz-police\n  --key alice/admin.key --key bob/admin.key "
	    "--db /var/lib/liaison/agent.db\n  -c /etc/liaison/agent.conf\n");
}

/* "--opt V" or "--opt=V" at argv[*i]: the value (advancing *i), or NULL. */
static const char *
opt_value(int argc, char *argv[], int *i, const char *opt)
{
	size_t	n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return (NULL);
	if (argv[*i][n] == '=')
		return (argv[*i] + n + 1);
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return (argv[++(*i)]);
	return (NULL);
}

/* Runs cmd_admin / cmd_submit on a NULL-terminated argument list. */
static int
run(int (*fn)(int, char *[]), char **v)
{
	int	n = 0;

	while (v[n] != NULL)
		n++;
	return (fn(n, v));
}

/* Over 80 lines: the steps of a change run in order, one command each. */
int
cli_admin_change(int argc, char *argv[])
{
	char		*keys[CHANGE_KEYS_MAX], *pv[CHANGE_ARGS_MAX];
	char		 tmpl[] = "liaison-change-XXXXXX.op";
	const char	*db = NULL, *conf = NULL, *agent = NULL, *out = NULL, *v;
	char		*file;
	size_t		 nk = 0, np = 0;
	int		 rv, fd;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		change_usage(stdout);
		return (CLI_EXIT_OK);
	}
	if (argc < 2 || argv[1][0] == '-') {
		change_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	pv[np++] = (char *) "admin";
	pv[np++] = (char *) "propose";
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--key")) != NULL) {
			if (nk >= CHANGE_KEYS_MAX) {
				cli_err("admin", "change: at most %d keys",
				    CHANGE_KEYS_MAX);
				return (CLI_EXIT_USAGE);
			}
			keys[nk++] = (char *) (uintptr_t) v;
		} else if ((v = opt_value(argc, argv, &i, "--db")) != NULL)
			db = v;
		else if ((v = opt_value(argc, argv, &i, "--agent")) != NULL)
			agent = v;
		else if ((v = opt_value(argc, argv, &i, "--out")) != NULL)
			out = v;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (np < CHANGE_ARGS_MAX - 6)
			pv[np++] = argv[i];
		else {
			cli_err("admin", "change: too many arguments");
			return (CLI_EXIT_USAGE);
		}
	}
	if (nk == 0 || db == NULL) {
		cli_err("admin", "change: give --db DIR.db and at least one "
		    "--key ADMIN.key (see liaison admin change --help)");
		return (CLI_EXIT_USAGE);
	}
	if (out == NULL) {
		if ((fd = mkstemps(tmpl, 3)) < 0) {
			cli_err("admin", "change: cannot create %s here", tmpl);
			return (CLI_EXIT_FAIL);
		}
		close(fd);
		out = tmpl;
	}
	file = (char *) (uintptr_t) out;
	pv[np++] = (char *) "--out";
	pv[np++] = file;
	pv[np++] = (char *) "--db";
	pv[np++] = (char *) (uintptr_t) db;
	pv[np] = NULL;
	if ((rv = run(cmd_admin, pv)) != CLI_EXIT_OK)
		goto out;
	for (size_t k = 0; k < nk; k++) {
		char *sv[] = { (char *) "admin", (char *) "sign", file,
		    (char *) "--key", keys[k], NULL };

		if ((rv = run(cmd_admin, sv)) != CLI_EXIT_OK)
			goto out;
	}
	if (conf != NULL || agent != NULL) {
		char *sv[] = { (char *) "submit", file,
		    (char *) (conf != NULL ? "-c" : "--agent"),
		    (char *) (uintptr_t) (conf != NULL ? conf : agent), NULL };

		rv = run(cmd_submit, sv);
	} else {
		char *av[] = { (char *) "admin", (char *) "apply", file,
		    (char *) "--db", (char *) (uintptr_t) db, NULL };

		rv = run(cmd_admin, av);
	}
	if (rv != CLI_EXIT_OK)
		cli_err("admin", "change: the signed op is kept in %s; if more "
		    "administrators must sign, each runs liaison admin sign %s "
		    "--key KEY, then liaison submit %s", file, file, file);
 out:
	if (rv == CLI_EXIT_OK && out == tmpl)
		(void) unlink(tmpl);
	else if (rv != CLI_EXIT_OK && out == tmpl && access(tmpl, F_OK) == 0 &&
	    rv == CLI_EXIT_USAGE)
		(void) unlink(tmpl);
	return (rv);
}
