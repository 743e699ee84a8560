/*
 * cmd_onboard.c -- onboarding a new agency with one file.
 *
 *   liaison admin onboard --id ID --name N --kind K --country CC
 *       --keys DIR --key ADMIN.key... --db DB -c agent.conf --bundle FILE
 * adds the partner in one step (admin change add-partner) and writes a
 * bundle for the new agency: its partner id, the broker's endpoint, the
 * broker's transport public key and the trust root, read from the admin's
 * own agent.conf. The bundle holds no secret.
 *
 *   liaison agent init --bundle FILE --keys DIR --dir DIR
 * writes the new agency's agent.conf (and the broker key file) from it.
 *
 * Onboarding is then: keygen (agency), admin onboard (administrators),
 * agent init, start the agent: 4 commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/util.h"
#include "cli.h"

#define BUNDLE_FORMAT	"liaison-bundle-v1"
#define BUNDLE_LINE_MAX	1024
#define BUNDLE_VAL_MAX	512

/* The value of "key = value" in a config/bundle file (first match). */
static int
ini_get(const char *path, const char *key, char *out, size_t outsz)
{
	FILE	*f;
	char	 line[BUNDLE_LINE_MAX];
	size_t	 kl = strlen(key);
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, kl) != 0)
			continue;
		p += kl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, "\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (lsn_strlcpy(out, p, outsz) < outsz)
			found = 1;
	}
	fclose(f);
	return (found ? 0 : -1);
}

static void
onboard_usage(FILE *f)
{
	fprintf(f, "usage: liaison admin onboard --id ID --name NAME --kind K "
	    "--country CC --keys DIR\n"
	    "           --key ADMIN.key... --db DB -c agent.conf --bundle "
	    "FILE [add-partner options]\n"
	    "Adds the new agency to the directory in one step (admin change "
	    "add-partner with\nits public keys from DIR) and writes FILE, the "
	    "one file the agency needs:\nits id, the broker's endpoint and "
	    "transport key and the trust root (from this\nadministrator's "
	    "agent.conf; no secret). The agency then runs liaison agent init\n"
	    "--bundle FILE and starts its agent.\n"
	    "example: liaison admin onboard --id nz-police --name 'New Zealand "
	    "Police'\n  --kind law_enforcement --country NZ --keys "
	    "nz-police-pub/ --key alice/admin.key\n  --db /var/lib/liaison/"
	    "agent.db -c /etc/liaison/agent.conf --bundle nz-police.bundle\n");
}

int
cli_admin_onboard(int argc, char *argv[])
{
	char		*cv[128], broker[BUNDLE_VAL_MAX], bkey[BUNDLE_VAL_MAX];
	char		 root[BUNDLE_VAL_MAX], bhex[65];
	const char	*conf = NULL, *bundle = NULL, *id = NULL;
	FILE		*f;
	int		 n = 0, rv, fd;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		onboard_usage(stdout);
		return (CLI_EXIT_OK);
	}
	cv[n++] = (char *) "change";
	cv[n++] = (char *) "add-partner";
	for (int i = 1; i < argc && n < 124; i++) {
		if (strcmp(argv[i], "--bundle") == 0 && i + 1 < argc)
			bundle = argv[++i];
		else if (strncmp(argv[i], "--bundle=", 9) == 0)
			bundle = argv[i] + 9;
		else {
			if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
				conf = argv[i + 1];
			if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
				id = argv[i + 1];
			cv[n++] = argv[i];
		}
	}
	cv[n] = NULL;
	if (bundle == NULL || conf == NULL || id == NULL) {
		cli_err("admin", "onboard: give --id, -c agent.conf (where the "
		    "broker and trust root are read) and --bundle FILE");
		onboard_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (ini_get(conf, "broker", broker, sizeof(broker)) != 0 ||
	    ini_get(conf, "broker_key", bkey, sizeof(bkey)) != 0 ||
	    ini_get(conf, "trust_root", root, sizeof(root)) != 0 ||
	    cli_keyfile_hex(bkey, "public", 64, bhex) != 0) {
		cli_err("admin", "onboard: %s lacks broker, broker_key (a "
		    "readable transport.pub) or trust_root", conf);
		return (CLI_EXIT_FAIL);
	}
	if ((rv = cli_admin_change(n, cv)) != CLI_EXIT_OK)
		return (rv);
	if ((fd = open(bundle, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		cli_err("admin", "onboard: %s: %s (the partner was added; "
		    "write the bundle again with the same command and a new "
		    "--bundle)", bundle, strerror(errno));
		if (fd >= 0)
			close(fd);
		return (CLI_EXIT_FAIL);
	}
	fprintf(f, "# Liaison onboarding bundle for %s: no secret inside.\n"
	    "# On the agency's host: liaison agent init --bundle FILE "
	    "--keys DIR --dir DIR\nformat = %s\npartner = %s\nbroker = %s\n"
	    "broker_key_public = %s\ntrust_root = %s\n", id, BUNDLE_FORMAT,
	    id, broker, bhex, root);
	if (fclose(f) != 0) {
		cli_err("admin", "onboard: %s: %s", bundle, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	printf("bundle for %s written to %s\n", id, bundle);
	return (CLI_EXIT_OK);
}

static void
init_usage(FILE *f)
{
	fprintf(f, "usage: liaison agent init --bundle FILE --keys DIR --dir "
	    "DIR\n"
	    "Writes DIR/agent.conf (and DIR/broker-transport.pub) for the "
	    "agency the bundle\nnames, with its key pairs in --keys (from "
	    "liaison keygen --partner ID) and its\ndatabase in DIR. Then "
	    "start the agent: liaison-agent -c DIR/agent.conf.\n"
	    "example: liaison agent init --bundle nz-police.bundle --keys "
	    "/etc/liaison/keys\n  --dir /var/lib/liaison/nz-police\n");
}

/* agent init: see init_usage. */
/* Over 80 lines: options, then each file of a new agent in order. */
static int
agent_init(int argc, char *argv[])
{
	char		 part[BUNDLE_VAL_MAX], broker[BUNDLE_VAL_MAX];
	char		 root[BUNDLE_VAL_MAX], bhex[BUNDLE_VAL_MAX];
	char		 fmt[64], path[PATH_MAX + 32], keys[PATH_MAX];
	char		 dir[PATH_MAX];
	const char	*bundle = NULL, *kd = NULL, *dd = NULL;
	FILE		*f;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			init_usage(stdout);
			return (CLI_EXIT_OK);
		}
		if (v != NULL && strcmp(argv[i], "--bundle") == 0)
			bundle = argv[++i];
		else if (v != NULL && strcmp(argv[i], "--keys") == 0)
			kd = argv[++i];
		else if (v != NULL && strcmp(argv[i], "--dir") == 0)
			dd = argv[++i];
		else {
			init_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (bundle == NULL || kd == NULL || dd == NULL) {
		init_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (ini_get(bundle, "format", fmt, sizeof(fmt)) != 0 ||
	    strcmp(fmt, BUNDLE_FORMAT) != 0 ||
	    ini_get(bundle, "partner", part, sizeof(part)) != 0 ||
	    !lsn_slug_valid(part) ||
	    ini_get(bundle, "broker", broker, sizeof(broker)) != 0 ||
	    ini_get(bundle, "broker_key_public", bhex, sizeof(bhex)) != 0 ||
	    strlen(bhex) != 64 || strspn(bhex, "0123456789abcdef") != 64 ||
	    ini_get(bundle, "trust_root", root, sizeof(root)) != 0 ||
	    strlen(root) != 64 || strspn(root, "0123456789abcdef") != 64 ||
	    strpbrk(broker, " \t\"'") != NULL) {
		cli_err("agent", "init: %s is not a %s file (liaison admin "
		    "onboard writes one)", bundle, BUNDLE_FORMAT);
		return (CLI_EXIT_FAIL);
	}
	if (realpath(kd, keys) == NULL || realpath(dd, dir) == NULL) {
		cli_err("agent", "init: %s: %s", realpath(kd, keys) == NULL ?
		    kd : dd, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	snprintf(path, sizeof(path), "%s/sign.key", keys);
	if (access(path, R_OK) != 0) {
		cli_err("agent", "init: %s has no sign.key (liaison keygen "
		    "--partner %s --out %s)", keys, part, kd);
		return (CLI_EXIT_FAIL);
	}
	snprintf(path, sizeof(path), "%s/broker-transport.pub", dir);
	if ((f = fopen(path, "w")) == NULL) {
		cli_err("agent", "init: %s: %s", path, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	{
		uint8_t	pk[LSN_PK_BYTES];
		char	kid[LSN_KEYID_HEXLEN + 1];

		if (lsn_hex_decode(bhex, pk, sizeof(pk)) != LSN_OK) {
			fclose(f);
			return (CLI_EXIT_FAIL);
		}
		lsn_key_id(pk, kid);
		fprintf(f, "liaison-key v1\nkind transport\nlabel broker\n"
		    "key-id %s\npublic %s\n", kid, bhex);
	}
	if (fclose(f) != 0)
		return (CLI_EXIT_FAIL);
	snprintf(path, sizeof(path), "%s/agent.conf", dir);
	if (access(path, F_OK) == 0) {
		cli_err("agent", "init: %s exists; not overwritten", path);
		return (CLI_EXIT_FAIL);
	}
	if ((f = fopen(path, "w")) == NULL) {
		cli_err("agent", "init: %s: %s", path, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	fprintf(f, "# written by liaison agent init from %s\n[agent]\n"
	    "partner = %s\nbroker = %s\nbroker_key = %s/broker-transport.pub\n"
	    "db = %s/agent.db\nkeys_dir = %s\ntrust_root = %s\n", bundle, part,
	    broker, dir, dir, keys, root);
	if (fclose(f) != 0)
		return (CLI_EXIT_FAIL);
	printf("%s written; start the agent: liaison-agent -c %s\n", path,
	    path);
	return (CLI_EXIT_OK);
}

int
cmd_agent_init(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return (agent_init(argc - 1, argv + 1));
	fprintf(argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) ? stdout : stderr,
	    "usage: liaison agent init --bundle FILE --keys DIR --dir DIR\n");
	return (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) ? CLI_EXIT_OK : CLI_EXIT_USAGE);
}
