/*
 * cmd_keys.c -- liaison keygen: a partner's three key pairs, admin keys;
 * and the one reader of a key file's hex lines (cli_keyfile_hex).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "liaison/keys.h"
#include "liaison/util.h"
#include "cli.h"

#define KEYGEN_MAX	3

struct keyspec {
	const char		*name;	/* file stem */
	enum lsn_key_kind	 kind;
};

static const struct keyspec partner_keys[] = {
	{ "sign", LSN_KEY_SIGN },
	{ "encrypt", LSN_KEY_ENCRYPT },
	{ "transport", LSN_KEY_TRANSPORT },
};
static const struct keyspec admin_keys[] = {
	{ "admin", LSN_KEY_SIGN },
};

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: liaison keygen --partner ID --out DIR [--force]\n"
	    "       liaison keygen --admin NAME --out DIR [--force]\n"
	    "\n"
	    "Generates key pairs into DIR (created with mode 0700 if\n"
	    "missing).\n"
	    "  --partner ID  a partner's three key pairs: sign.key/sign.pub\n"
	    "                (Ed25519), encrypt.key/encrypt.pub (X25519) and\n"
	    "                transport.key/transport.pub (CURVE)\n"
	    "  --admin NAME  an administrator's Ed25519 key:\n"
	    "                admin.key/admin.pub\n"
	    "  --out DIR     where to write the files\n"
	    "  --force       replace existing key files\n"
	    "ID and NAME are slugs: [a-z0-9][a-z0-9-]{1,62}. Secret files\n"
	    "are written 0600; publish only the .pub files.\n");
}

static int
join(char *out, size_t outsz, const char *dir, const char *name,
    const char *ext)
{
	int	n = snprintf(out, outsz, "%s/%s.%s", dir, name, ext);

	return (n >= 0 && (size_t) n < outsz);
}

/* Creates dir with mode 0700 unless it exists as a directory. */
static int
ensure_dir(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0700) == 0)
		return (1);
	if (errno == ENOENT) {
		cli_err("keygen", "%s: cannot create directory: its parent "
		    "does not exist; create it first (mkdir -p)", dir);
		return (0);
	}
	if (errno != EEXIST) {
		cli_err("keygen", "%s: cannot create directory: %s%s", dir,
		    strerror(errno), errno == EACCES ? "; run as the user "
		    "that owns the keys (e.g. sudo -u liaison)" : "");
		return (0);
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_err("keygen", "%s: not a directory", dir);
		return (0);
	}
	return (1);
}

/* Over 80 lines: options, then the keys generated, written and listed. */
int
cmd_keygen(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "admin", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lsn_keypair	*kps[KEYGEN_MAX] = { NULL };
	const char		*partner = NULL, *admin = NULL, *out = NULL;
	const char		*label;
	char			 sec[KEYGEN_MAX][PATH_MAX];
	char			 pub[KEYGEN_MAX][PATH_MAX];
	char			 z85[LSN_Z85_KEYLEN + 1];
	size_t			 nkeys;
	int			 ch, force = 0, rv, ret = CLI_EXIT_FAIL;
	const struct keyspec	*keys;

	if (cli_wants_help(argc, argv)) {
		keygen_usage(stdout);
		return (CLI_EXIT_OK);
	}
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:a:o:f", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			partner = optarg;
			break;
		case 'a':
			admin = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			cli_err("keygen", "unknown option or missing value: "
			    "%s", argv[optind - 1]);
			keygen_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc || out == NULL || (partner == NULL) ==
	    (admin == NULL)) {
		cli_err("keygen", "need --out DIR and one of --partner ID or "
		    "--admin NAME");
		keygen_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	label = partner != NULL ? partner : admin;
	if (!lsn_slug_valid(label)) {
		cli_err("keygen", "invalid %s '%s': use "
		    "[a-z0-9][a-z0-9-]{1,62}",
		    partner != NULL ? "partner id" : "admin name", label);
		return (CLI_EXIT_USAGE);
	}
	if (partner != NULL) {
		keys = partner_keys;
		nkeys = 3;
	} else {
		keys = admin_keys;
		nkeys = 1;
	}
	if (!ensure_dir(out))
		return (CLI_EXIT_FAIL);
	for (size_t i = 0; i < nkeys; i++) {
		struct stat st;

		if (!join(sec[i], sizeof(sec[i]), out, keys[i].name, "key") ||
		    !join(pub[i], sizeof(pub[i]), out, keys[i].name, "pub")) {
			cli_err("keygen", "%s: path too long", out);
			return (CLI_EXIT_USAGE);
		}
		if (!force && (lstat(sec[i], &st) == 0 ||
		    lstat(pub[i], &st) == 0)) {
			cli_err("keygen", "%s: key files exist; not replacing "
			    "them (use --force to replace)",
			    lstat(sec[i], &st) == 0 ? sec[i] : pub[i]);
			return (CLI_EXIT_FAIL);
		}
	}
	for (size_t i = 0; i < nkeys; i++) {
		if ((rv = lsn_keypair_generate(keys[i].kind, label,
		    &kps[i])) != LSN_OK) {
			cli_err("keygen", "generating the %s key: %s",
			    keys[i].name, lsn_strerror(rv));
			goto out;
		}
	}
	for (size_t i = 0; i < nkeys; i++) {
		rv = lsn_keypair_save(kps[i], sec[i], pub[i]);
		if (rv != LSN_OK) {
			cli_err("keygen", "writing %s: %s", sec[i],
			    lsn_strerror(rv));
			goto out;
		}
	}
	printf("%-10s %s\n", partner != NULL ? "partner" : "name", label);
	for (size_t i = 0; i < nkeys; i++) {
		printf("%-10s %s  %s\n", keys[i].name, kps[i]->key_id, pub[i]);
		if (keys[i].kind == LSN_KEY_TRANSPORT &&
		    lsn_key_z85(kps[i]->pk, z85) == LSN_OK)
			printf("%-10s %s\n", "curve-pub", z85);
	}
	ret = CLI_EXIT_OK;
 out:
	for (size_t i = 0; i < KEYGEN_MAX; i++)
		lsn_keypair_destroy(&kps[i]);
	return (ret);
}

int
cli_keyfile_hex(const char *path, const char *word, size_t len, char *out)
{
	FILE	*f;
	char	 line[1024];
	size_t	 wl = strlen(word);
	int	 ok = -1;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (ok != 0 && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, word, wl) == 0 && line[wl] == ' ' &&
		    strspn(line + wl + 1, "0123456789abcdef") == len) {
			memcpy(out, line + wl + 1, len);
			out[len] = '\0';
			ok = 0;
		}
	fclose(f);
	return (ok);
}
