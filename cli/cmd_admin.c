/*
 * cmd_admin.c -- liaison admin: offline directory administration on files.
 * init (genesis op), propose (one op per action), sign (add a signature in
 * place: k-of-n by passing the file between administrators), inspect, and
 * apply (authorize + append + apply to a directory database).
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
#include "cli.h"
#include "dircli.h"

enum {
	O_OUT, O_DB, O_EXP, O_AUTHOR, O_ID, O_NAME, O_SHORT, O_LOCAL, O_KIND,
	O_COUNTRY, O_SIGNPUB, O_ENCPUB, O_TRPUB, O_KEYS, O_PUB, O_FROM,
	O_VUNTIL, O_UNTIL, O_AT, O_KEYID, O_UNITID, O_HOURS, O_FALLBACK,
	O_CONTACTID, O_ROLE, O_EMAIL, O_PHONE, O_247, O_LANGS, O_TZ, O_UNIT,
	O_GROUP, O_DESC, O_ADMINS, O_THRESH, O_SEQ, O_VERSION, O_KEY, O_JSON,
	O_NOPT
};
#define B(x)	(1ULL << (x))

static const struct option admin_longopts[] = {
	{ "out", required_argument, NULL, O_OUT },
	{ "db", required_argument, NULL, O_DB },
	{ "expected-version", required_argument, NULL, O_EXP },
	{ "author", required_argument, NULL, O_AUTHOR },
	{ "id", required_argument, NULL, O_ID },
	{ "partner", required_argument, NULL, O_ID },
	{ "name", required_argument, NULL, O_NAME },
	{ "short", required_argument, NULL, O_SHORT },
	{ "local", required_argument, NULL, O_LOCAL },
	{ "kind", required_argument, NULL, O_KIND },
	{ "country", required_argument, NULL, O_COUNTRY },
	{ "sign-pub", required_argument, NULL, O_SIGNPUB },
	{ "encrypt-pub", required_argument, NULL, O_ENCPUB },
	{ "transport-pub", required_argument, NULL, O_TRPUB },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "pub", required_argument, NULL, O_PUB },
	{ "valid-from", required_argument, NULL, O_FROM },
	{ "valid-until", required_argument, NULL, O_VUNTIL },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "at", required_argument, NULL, O_AT },
	{ "key-id", required_argument, NULL, O_KEYID },
	{ "unit-id", required_argument, NULL, O_UNITID },
	{ "hours", required_argument, NULL, O_HOURS },
	{ "fallback", required_argument, NULL, O_FALLBACK },
	{ "contact-id", required_argument, NULL, O_CONTACTID },
	{ "role", required_argument, NULL, O_ROLE },
	{ "email", required_argument, NULL, O_EMAIL },
	{ "phone", required_argument, NULL, O_PHONE },
	{ "24x7", no_argument, NULL, O_247 },
	{ "languages", required_argument, NULL, O_LANGS },
	{ "tz", required_argument, NULL, O_TZ },
	{ "unit", required_argument, NULL, O_UNIT },
	{ "group", required_argument, NULL, O_GROUP },
	{ "description", required_argument, NULL, O_DESC },
	{ "admins", required_argument, NULL, O_ADMINS },
	{ "threshold", required_argument, NULL, O_THRESH },
	{ "sequencer", required_argument, NULL, O_SEQ },
	{ "version", required_argument, NULL, O_VERSION },
	{ "key", required_argument, NULL, O_KEY },
	{ "json", no_argument, NULL, O_JSON },
	{ NULL, 0, NULL, 0 },
};

struct aopts {
	const char	*v[O_NOPT];
	uint64_t	 given;
	int		 first;	/* first positional in the parsed argv */
};

/* Target of an action, for the expected version. */
enum target { T_PARTNER, T_NEW_PARTNER, T_GROUP, T_NEW_GROUP, T_ROOT };

struct action {
	const char	*name;
	int		 which;		/* DirOp action case */
	int		 status;	/* set-status actions */
	enum target	 target;
	uint64_t	 req, opt;
	const char	*help;
};

#define COMMON	(B(O_OUT) | B(O_DB) | B(O_EXP) | B(O_AUTHOR))

static const struct action actions[] = {
	{ "add-partner", LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER, 0,
	    T_NEW_PARTNER, B(O_ID) | B(O_NAME) | B(O_KIND) | B(O_COUNTRY),
	    B(O_SHORT) | B(O_LOCAL) | B(O_SIGNPUB) | B(O_ENCPUB) |
	    B(O_TRPUB) | B(O_KEYS) | B(O_FROM),
	    "--id ID --name OFFICIAL --kind KIND --country CC [--short S]\n"
	    "      [--local L] [--keys DIR | --sign-pub F --encrypt-pub F\n"
	    "      --transport-pub F] [--valid-from MS]" },
	{ "update-partner", LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER, 0,
	    T_PARTNER, B(O_ID), B(O_NAME) | B(O_SHORT) | B(O_LOCAL) |
	    B(O_KIND) | B(O_COUNTRY),
	    "--id ID [--name N] [--short S] [--local L] [--kind K] "
	    "[--country CC]" },
	{ "suspend", LIAISON__V1__DIR_OP__ACTION_SET_STATUS,
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, T_PARTNER, B(O_ID),
	    0, "--id ID" },
	{ "reinstate", LIAISON__V1__DIR_OP__ACTION_SET_STATUS,
	    LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE, T_PARTNER, B(O_ID), 0,
	    "--id ID" },
	{ "revoke", LIAISON__V1__DIR_OP__ACTION_SET_STATUS,
	    LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED, T_PARTNER, B(O_ID), 0,
	    "--id ID   (final)" },
	{ "add-key", LIAISON__V1__DIR_OP__ACTION_ADD_KEY, 0, T_PARTNER,
	    B(O_ID) | B(O_PUB), B(O_FROM) | B(O_VUNTIL),
	    "--id ID --pub FILE.pub [--valid-from MS|now]\n"
	    "      [--valid-until MS]" },
	{ "retire-key", LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY, 0, T_PARTNER,
	    B(O_ID) | B(O_KEYID) | B(O_UNTIL), 0,
	    "--id ID --key-id KID --until MS|now" },
	{ "revoke-key", LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY, 0, T_PARTNER,
	    B(O_ID) | B(O_KEYID), B(O_AT),
	    "--id ID --key-id KID [--at MS|now]" },
	{ "set-unit", LIAISON__V1__DIR_OP__ACTION_SET_UNIT, 0, T_PARTNER,
	    B(O_ID) | B(O_UNITID) | B(O_NAME), B(O_HOURS) | B(O_FALLBACK),
	    "--partner ID --unit-id U --name N [--hours H] [--fallback U]" },
	{ "remove-unit", LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT, 0, T_PARTNER,
	    B(O_ID) | B(O_UNITID), 0, "--partner ID --unit-id U" },
	{ "set-contact", LIAISON__V1__DIR_OP__ACTION_SET_CONTACT, 0, T_PARTNER,
	    B(O_ID) | B(O_CONTACTID) | B(O_NAME), B(O_ROLE) | B(O_EMAIL) |
	    B(O_PHONE) | B(O_247) | B(O_LANGS) | B(O_TZ) | B(O_UNIT),
	    "--partner ID --contact-id C --name N [--role R] [--email E]\n"
	    "      [--phone P] [--24x7] [--languages en,fr] [--tz ZONE] "
	    "[--unit U]" },
	{ "remove-contact", LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT, 0,
	    T_PARTNER, B(O_ID) | B(O_CONTACTID), 0,
	    "--partner ID --contact-id C" },
	{ "confirm-contact", LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT, 0,
	    T_PARTNER, B(O_ID) | B(O_CONTACTID), B(O_AT),
	    "--partner ID --contact-id C [--at MS|now]" },
	{ "create-group", LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP, 0,
	    T_NEW_GROUP, B(O_GROUP), B(O_DESC),
	    "--group G [--description D]" },
	{ "delete-group", LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP, 0,
	    T_GROUP, B(O_GROUP), 0, "--group G" },
	{ "add-member", LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER, 0, T_GROUP,
	    B(O_GROUP) | B(O_ID), 0, "--group G --partner ID" },
	{ "remove-member", LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER, 0,
	    T_GROUP, B(O_GROUP) | B(O_ID), 0, "--group G --partner ID" },
	{ "replace-root", LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT, 0, T_ROOT,
	    B(O_ADMINS) | B(O_THRESH) | B(O_SEQ), B(O_VERSION),
	    "--admins A.pub,B.pub,... --threshold routine=K,sensitive=K,"
	    "root=K\n      --sequencer SEQ.pub [--version N]" },
	{ NULL, 0, 0, T_ROOT, 0, 0, NULL },
};

static void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: liaison admin init --admins A.pub,B.pub,... --threshold\n"
	    "           routine=K,sensitive=K,root=K --sequencer SEQ.pub "
	    "--out FILE\n"
	    "       liaison admin propose ACTION [ARGS] --out FILE\n"
	    "           [--db FILE] [--expected-version N] [--author ID]\n"
	    "       liaison admin sign OPFILE --key KEY.key\n"
	    "       liaison admin inspect OPFILE [--json] [--db FILE]\n"
	    "       liaison admin apply OPFILE --db FILE\n"
	    "       liaison admin change ACTION [ARGS] --key KEY.key... --db "
	    "FILE\n           [-c agent.conf]   (propose, sign, submit in one "
	    "step)\n"
	    "       liaison admin onboard --id ID ... --bundle FILE  (see "
	    "admin onboard --help)\n"
	    "       liaison admin rotate --id ID --keys-dir DIR ...  (see "
	    "admin rotate --help)\n"
	    "\n"
	    "Offline administration of the partner directory. Ops are\n"
	    "files: propose (or init) writes an unsigned op, each\n"
	    "administrator adds a signature with `sign` (k of n: pass the\n"
	    "file on), and `apply` authorizes and appends it to a directory\n"
	    "database (created if missing). A file holds one op or a batch\n"
	    "(dir import).\n"
	    "\n"
	    "init        genesis: the root policy (administrator keys from\n"
	    "            `liaison keygen --admin NAME`, thresholds per\n"
	    "            class,\n"
	    "            the broker's sequencer key); prints the root policy\n"
	    "            hash that agents trust (trust_root)\n"
	    "propose     one op; --expected-version defaults to the target's\n"
	    "            current version read from --db (0 for new targets).\n"
	    "            --author ID makes a self-service op of partner ID\n"
	    "            (its own units and contacts; sign with its\n"
	    "            sign.key)\n"
	    "sign        adds (or replaces) the key's signature, in place;\n"
	    "            signs every op of a batch\n"
	    "inspect     prints the op(s); --db also says whether the op\n"
	    "            would be accepted now\n"
	    "apply       applies the op(s) in one transaction (all or none);\n"
	    "            prints the new rev or the refusal\n"
	    "\n"
	    "actions (liaison admin propose ACTION ...):\n");
	for (const struct action *a = actions; a->name != NULL; a++)
		fprintf(f, "  %-16s %s\n", a->name, a->help);
	fprintf(f,
	    "\nKIND: law_enforcement, international_org, hotline, ngo,\n"
	    "      private_sector, government. CC: ISO 3166-1 alpha-2\n"
	    "      (XX for international). Times: Unix ms or \"now\".\n"
	    "Classes: routine (1 signature by default), sensitive (suspend,\n"
	    "reinstate, revoke, revoke-key, add-key of a sign key,\n"
	    "delete-group), root (replace-root: the old AND the new set).\n");
}

static int
admin_parse(const char *sub, int argc, char *argv[], struct aopts *o)
{
	int	ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", admin_longopts, NULL)) !=
	    -1) {
		if (ch < 0 || ch >= O_NOPT) {
			cli_err("admin", "%s: unknown option or missing "
			    "value: %s", sub, argv[optind - 1]);
			return (CLI_EXIT_USAGE);
		}
		if (o->given & B(ch)) {
			cli_err("admin", "%s: option given twice: %s", sub,
			    argv[optind - 1]);
			return (CLI_EXIT_USAGE);
		}
		o->given |= B(ch);
		o->v[ch] = optarg != NULL ? optarg : "1";
	}
	o->first = optind;
	return (CLI_EXIT_OK);
}

static const char *
opt_name(int bit)
{
	for (const struct option *lo = admin_longopts; lo->name != NULL; lo++)
		if (lo->val == bit)
			return (lo->name);
	return ("?");
}

/* Every required option given, nothing outside req|opt. */
static int
check_opts(const char *sub, const struct aopts *o, uint64_t req,
    uint64_t opt)
{
	for (int i = 0; i < O_NOPT; i++) {
		if ((req & B(i)) && !(o->given & B(i))) {
			cli_err("admin", "%s: --%s is required", sub,
			    opt_name(i));
			return (CLI_EXIT_USAGE);
		}
		if ((o->given & B(i)) && !((req | opt) & B(i))) {
			cli_err("admin", "%s: --%s does not apply here", sub,
			    opt_name(i));
			return (CLI_EXIT_USAGE);
		}
	}
	return (CLI_EXIT_OK);
}

static int
write_file(const char *sub, const char *path, const uint8_t *buf, size_t len)
{
	int	rv;

	if ((rv = lsn_file_write_atomic(path, buf, len, 0644)) != LSN_OK) {
		cli_err("admin", "%s: %s: %s", sub, path, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}

static int
load_batch(const char *sub, const char *path, struct lsn_dirop_batch **b,
    int *single)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	int	 rv;

	if ((rv = lsn_file_read(path, DIRCLI_FILE_MAX, &buf, &len)) !=
	    LSN_OK) {
		cli_err("admin", "%s: %s: %s", sub, path, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	*single = len < strlen(LSN_DIROP_BATCH_MAGIC) ||
	    memcmp(buf, LSN_DIROP_BATCH_MAGIC,
	    strlen(LSN_DIROP_BATCH_MAGIC)) != 0;
	rv = lsn_dirop_batch_load(buf, len, b);
	free(buf);
	if (rv != LSN_OK) {
		cli_err("admin", "%s: %s: not a directory op file: %s", sub,
		    path, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}

/* ---- building keys and policies (malloc'd, freed by free_unpacked) ---- */

static Liaison__V1__KeyRecord *
keyrec_new(const uint8_t pk[LSN_PK_BYTES], int purpose, uint64_t from,
    uint64_t until)
{
	Liaison__V1__KeyRecord	*k;
	char			 kid[LSN_KEYID_HEXLEN + 1];

	if ((k = malloc(sizeof(*k))) == NULL)
		return (NULL);
	liaison__v1__key_record__init(k);
	lsn_key_id(pk, kid);
	if ((k->key_id = strdup(kid)) == NULL ||
	    (k->public_key.data = malloc(LSN_PK_BYTES)) == NULL) {
		liaison__v1__key_record__free_unpacked(k, NULL);
		return (NULL);
	}
	memcpy(k->public_key.data, pk, LSN_PK_BYTES);
	k->public_key.len = LSN_PK_BYTES;
	k->has_public_key = 1;
	k->has_purpose = 1;
	k->purpose = (Liaison__V1__KeyPurpose) purpose;
	k->has_valid_from_ms = 1;
	k->valid_from_ms = from;
	k->has_valid_until_ms = until != 0;
	k->valid_until_ms = until;
	return (k);
}

/* Loads a public key file of the wanted kind (0 = any); *kind out. */
static int
load_pub(const char *sub, const char *path, int want, int *kind,
    uint8_t pk[LSN_PK_BYTES], char label[LSN_LABEL_MAX + 1])
{
	enum lsn_key_kind	k;
	int			rv;

	if ((rv = lsn_pubkey_load(path, &k, pk, label)) != LSN_OK) {
		cli_err("admin", "%s: %s: %s", sub, path, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	if (want != 0 && (int) k != want) {
		cli_err("admin", "%s: %s is a %s key, not a %s key", sub, path,
		    lsn_key_kind_name(k), lsn_key_kind_name(
		    (enum lsn_key_kind) want));
		return (CLI_EXIT_USAGE);
	}
	if (kind != NULL)
		*kind = (int) k;
	return (CLI_EXIT_OK);
}

static int
parse_thresholds(const char *spec, uint32_t k[3])
{
	char	*copy, *tok, *save = NULL;
	int	 seen = 0, rv = LSN_EINVAL;

	if ((copy = strdup(spec)) == NULL)
		return (LSN_ENOMEM);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char		*eq = strchr(tok, '=');
		long long	 v;
		int		 c;

		if (eq == NULL)
			goto out;
		*eq = '\0';
		if (strcmp(tok, "routine") == 0)
			c = 0;
		else if (strcmp(tok, "sensitive") == 0)
			c = 1;
		else if (strcmp(tok, "root") == 0)
			c = 2;
		else
			goto out;
		if ((seen & (1 << c)) || lsn_strtonum(eq + 1, 1,
		    LSN_DIR_ADMINS_MAX, &v, NULL) != LSN_OK)
			goto out;
		seen |= 1 << c;
		k[c] = (uint32_t) v;
	}
	rv = seen == 7 ? LSN_OK : LSN_EINVAL;
 out:
	free(copy);
	return (rv);
}

static int
build_policy(const char *sub, const struct aopts *o, uint64_t version,
    Liaison__V1__RootPolicy **out)
{
	Liaison__V1__RootPolicy	*p;
	uint32_t		 k[3];
	uint8_t			 pk[LSN_PK_BYTES];
	char			 label[LSN_LABEL_MAX + 1];
	char			*list = NULL, *tok, *save = NULL;
	int			 ret = CLI_EXIT_FAIL;

	if (parse_thresholds(o->v[O_THRESH], k) != LSN_OK) {
		cli_err("admin", "%s: --threshold: routine=K,sensitive=K,"
		    "root=K with 1 <= K <= number of administrators", sub);
		return (CLI_EXIT_USAGE);
	}
	if ((p = malloc(sizeof(*p))) == NULL)
		return (CLI_EXIT_FAIL);
	liaison__v1__root_policy__init(p);
	p->has_version = 1;
	p->version = version;
	if ((list = strdup(o->v[O_ADMINS])) == NULL)
		goto out;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		Liaison__V1__AdminKey	*a, **na;

		if (p->n_admins >= LSN_DIR_ADMINS_MAX) {
			cli_err("admin", "%s: at most %d administrators", sub,
			    LSN_DIR_ADMINS_MAX);
			ret = CLI_EXIT_USAGE;
			goto out;
		}
		if ((ret = load_pub(sub, tok, LSN_KEY_SIGN, NULL, pk,
		    label)) != CLI_EXIT_OK)
			goto out;
		ret = CLI_EXIT_FAIL;
		if ((na = realloc(p->admins, (p->n_admins + 1) *
		    sizeof(*na))) == NULL)
			goto out;
		p->admins = na;
		if ((a = malloc(sizeof(*a))) == NULL)
			goto out;
		liaison__v1__admin_key__init(a);
		p->admins[p->n_admins++] = a;
		if ((a->name = strdup(label)) == NULL ||
		    (a->key = keyrec_new(pk, LSN_KEY_SIGN, 0, 0)) == NULL)
			goto out;
	}
	if ((p->thresholds = calloc(3, sizeof(*p->thresholds))) == NULL)
		goto out;
	for (int c = 0; c < 3; c++) {
		Liaison__V1__Threshold *t = malloc(sizeof(*t));

		if (t == NULL)
			goto out;
		liaison__v1__threshold__init(t);
		t->has_action_class = 1;
		t->action_class = (Liaison__V1__ActionClass) (c + 1);
		t->has_k = 1;
		t->k = k[c];
		p->thresholds[p->n_thresholds++] = t;
	}
	if ((ret = load_pub(sub, o->v[O_SEQ], LSN_KEY_SIGN, NULL, pk,
	    NULL)) != CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_FAIL;
	if ((p->sequencer_key = keyrec_new(pk, LSN_KEY_SIGN, 0, 0)) == NULL)
		goto out;
	*out = p;
	p = NULL;
	ret = CLI_EXIT_OK;
 out:
	free(list);
	if (p != NULL)
		liaison__v1__root_policy__free_unpacked(p, NULL);
	return (ret);
}

/* Packs op, prints the summary, writes --out. */
static int
emit_op(const char *sub, const struct aopts *o, Liaison__V1__DirOp *op,
    struct lsn_dir *d)
{
	Liaison__V1__DirOp	*parsed = NULL;
	Liaison__V1__RootPolicy	*root = NULL;
	uint8_t			*buf = NULL;
	size_t			 len;
	char			 why[LSN_DIR_WHY_MAX], hex[33];
	int			 rv, ret, cls;

	if ((rv = lsn_dirop_new(op, &buf, &len, why, sizeof(why))) !=
	    LSN_OK) {
		cli_err("admin", "%s: %s", sub, why[0] != '\0' ? why :
		    lsn_strerror(rv));
		return (rv == LSN_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE);
	}
	if ((ret = write_file(sub, o->v[O_OUT], buf, len)) != CLI_EXIT_OK)
		goto out;
	if (lsn_dirop_parse(buf, len, NULL, &parsed) == LSN_OK) {
		lsn_hex_encode(parsed->op_id.data, parsed->op_id.len, hex);
		cls = lsn_dirop_class(parsed);
		printf("wrote %s op %s to %s\n", lsn_dirop_action_name(parsed),
		    hex, o->v[O_OUT]);
		printf("author %s, expected version %llu\n", parsed->author,
		    (unsigned long long) parsed->expected_version);
		if (strcmp(parsed->author, LSN_DIR_AUTHOR_ADMIN) != 0)
			printf("self-service: sign it with partner %s's "
			    "sign.key\n", parsed->author);
		else if (d != NULL && lsn_dir_root_get(d, &root) == LSN_OK) {
			unsigned	 k = 0;

			for (size_t i = 0; i < root->n_thresholds; i++)
				if ((int) root->thresholds[i]->action_class ==
				    cls)
					k = root->thresholds[i]->k;
			printf("class %s: needs %u administrator "
			    "signature%s%s\n", lsn_dir_class_name(cls), k,
			    k == 1 ? "" : "s",
			    cls == LIAISON__V1__ACTION_CLASS__CLASS_ROOT ?
			    " from the current AND the new set" : "");
		} else
			printf("class %s\n", lsn_dir_class_name(cls));
	}
 out:
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	if (parsed != NULL)
		liaison__v1__dir_op__free_unpacked(parsed, NULL);
	free(buf);
	return (ret);
}

static int
admin_init(int argc, char *argv[])
{
	Liaison__V1__RootPolicy	*p = NULL;
	Liaison__V1__InitRoot	 ir = LIAISON__V1__INIT_ROOT__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	struct aopts		 o;
	uint8_t			 h[LSN_DIR_HASH_BYTES];
	char			 hex[2 * LSN_DIR_HASH_BYTES + 1];
	int			 ret;

	if ((ret = admin_parse("init", argc, argv, &o)) != CLI_EXIT_OK ||
	    (ret = check_opts("init", &o, B(O_ADMINS) | B(O_THRESH) |
	    B(O_SEQ) | B(O_OUT), 0)) != CLI_EXIT_OK)
		return (ret);
	if (o.first != argc) {
		cli_err("admin", "init: unexpected argument %s",
		    argv[o.first]);
		return (CLI_EXIT_USAGE);
	}
	if ((ret = build_policy("init", &o, 1, &p)) != CLI_EXIT_OK)
		return (ret);
	ir.policy = p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	op.author = (char *) (uintptr_t) LSN_DIR_AUTHOR_ADMIN;
	op.has_expected_version = 1;
	op.expected_version = 0;
	if ((ret = emit_op("init", &o, &op, NULL)) == CLI_EXIT_OK) {
		lsn_dir_policy_hash(p, h);
		lsn_hex_encode(h, sizeof(h), hex);
		printf("root policy: %zu administrators, thresholds "
		    "routine=%u sensitive=%u root=%u\n", p->n_admins,
		    p->thresholds[0]->k, p->thresholds[1]->k,
		    p->thresholds[2]->k);
		printf("root hash (agents' trust_root): %s\n", hex);
		printf("next: each administrator runs `liaison admin sign %s "
		    "--key admin.key`; then `liaison admin apply %s --db "
		    "FILE`\n", o.v[O_OUT], o.v[O_OUT]);
	}
	liaison__v1__root_policy__free_unpacked(p, NULL);
	return (ret);
}

/* The target's current version (0 if it does not exist). */
static int
db_version(struct lsn_dir *d, const struct action *a, const struct aopts *o,
    uint64_t *v)
{
	Liaison__V1__Partner	*p = NULL;
	Liaison__V1__Group	*g = NULL;
	Liaison__V1__RootPolicy	*r = NULL;
	int			 rv;

	*v = 0;
	switch (a->target) {
	case T_PARTNER:
	case T_NEW_PARTNER:
		rv = lsn_dir_partner_get(d, o->v[O_ID], &p);
		if (rv == LSN_OK)
			*v = p->version;
		lsn_dir_partner_free(&p);
		return (rv == LSN_ENOENT ? LSN_OK : rv);
	case T_GROUP:
	case T_NEW_GROUP:
		rv = lsn_dir_group_get(d, o->v[O_GROUP], &g);
		if (rv == LSN_OK)
			*v = g->version;
		lsn_dir_group_free(&g);
		return (rv == LSN_EUNKNOWNGROUP ? LSN_OK : rv);
	case T_ROOT:
		rv = lsn_dir_root_get(d, &r);
		if (rv == LSN_OK) {
			*v = r->version;
			liaison__v1__root_policy__free_unpacked(r, NULL);
		}
		return (rv == LSN_ENOENT ? LSN_OK : rv);
	}
	return (LSN_EINVAL);
}

static int
parse_ms_opt(const struct aopts *o, int bit, uint64_t dflt, uint64_t *out)
{
	if (!(o->given & B(bit))) {
		*out = dflt;
		return (CLI_EXIT_OK);
	}
	if (dircli_parse_ms(o->v[bit], out) != LSN_OK) {
		cli_err("admin", "--%s: a Unix time in ms, or \"now\"",
		    opt_name(bit));
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

/* Storage for everything an op built by propose points into. */
struct pbuild {
	Liaison__V1__DirOp		op;
	Liaison__V1__AddPartner		ap;
	Liaison__V1__Partner		p;
	Liaison__V1__PartnerNames	n;
	Liaison__V1__KeyRecord		*keys[3];
	Liaison__V1__UpdatePartner	up;
	Liaison__V1__SetStatus		ss;
	Liaison__V1__AddKey		ak;
	Liaison__V1__RetireKey		rt;
	Liaison__V1__RevokeKey		rk;
	Liaison__V1__SetUnit		su;
	Liaison__V1__Unit		u;
	Liaison__V1__RemoveUnit		ru;
	Liaison__V1__SetContact		sc;
	Liaison__V1__Contact		c;
	char				*langs[LSN_DIR_LANGS_MAX + 1];
	char				*langbuf;
	Liaison__V1__RemoveContact	rc;
	Liaison__V1__ConfirmContact	cc;
	Liaison__V1__CreateGroup	cg;
	Liaison__V1__DeleteGroup	dg;
	Liaison__V1__AddMember		am;
	Liaison__V1__RemoveMember	rm;
	Liaison__V1__ReplaceRoot	rr;
	Liaison__V1__RootPolicy		*policy;
};

#define S(x)	((char *) (uintptr_t) (x))

static int
kind_arg(const char *s, Liaison__V1__PartnerKind *out)
{
	static const char *const names[] = { "law_enforcement",
	    "international_org", "hotline", "ngo", "private_sector",
	    "government" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (Liaison__V1__PartnerKind) (i + 1);
			return (1);
		}
	cli_err("admin", "--kind: one of law_enforcement, international_org, "
	    "hotline, ngo, private_sector, government");
	return (0);
}

static int
partner_keys(struct pbuild *pb, const struct aopts *o, uint64_t from)
{
	static const char *const stems[3] = { "sign", "encrypt", "transport" };
	static const int bits[3] = { O_SIGNPUB, O_ENCPUB, O_TRPUB };
	uint8_t	pk[LSN_PK_BYTES];
	char	path[PATH_MAX];
	int	ret;

	if ((o->given & B(O_KEYS)) && (o->given & (B(O_SIGNPUB) |
	    B(O_ENCPUB) | B(O_TRPUB)))) {
		cli_err("admin", "add-partner: use --keys DIR or the "
		    "--*-pub files, not both");
		return (CLI_EXIT_USAGE);
	}
	for (int i = 0; i < 3; i++) {
		const char *file = o->v[bits[i]];

		if (o->given & B(O_KEYS)) {
			int n = snprintf(path, sizeof(path), "%s/%s.pub",
			    o->v[O_KEYS], stems[i]);

			if (n < 0 || (size_t) n >= sizeof(path)) {
				cli_err("admin", "--keys: path too long");
				return (CLI_EXIT_USAGE);
			}
			file = path;
		}
		if (file == NULL)
			continue;
		if ((ret = load_pub("add-partner", file, i + 1, NULL, pk,
		    NULL)) != CLI_EXIT_OK)
			return (ret);
		if ((pb->keys[pb->p.n_keys] = keyrec_new(pk, i + 1, from,
		    0)) == NULL)
			return (CLI_EXIT_FAIL);
		pb->p.n_keys++;
	}
	pb->p.keys = pb->keys;
	return (CLI_EXIT_OK);
}

static int
split_langs(struct pbuild *pb, const char *list)
{
	char	*tok, *save = NULL;

	if ((pb->langbuf = strdup(list)) == NULL)
		return (CLI_EXIT_FAIL);
	for (tok = strtok_r(pb->langbuf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (pb->c.n_languages >= LSN_DIR_LANGS_MAX) {
			cli_err("admin", "--languages: at most %d",
			    LSN_DIR_LANGS_MAX);
			return (CLI_EXIT_USAGE);
		}
		pb->langs[pb->c.n_languages++] = tok;
	}
	pb->c.languages = pb->langs;
	return (CLI_EXIT_OK);
}

static int
build_action(const struct action *a, const struct aopts *o, struct pbuild *pb)
{
	const char	*id = o->v[O_ID];
	uint64_t	 t;
	int		 ret;

	switch (a->which) {
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		pb->p.id = S(id);
		pb->n.official = S(o->v[O_NAME]);
		pb->n.short_name = S(o->v[O_SHORT]);
		pb->n.local = S(o->v[O_LOCAL]);
		pb->p.names = &pb->n;
		pb->p.has_kind = 1;
		if (!kind_arg(o->v[O_KIND], &pb->p.kind))
			return (CLI_EXIT_USAGE);
		pb->p.country = S(o->v[O_COUNTRY]);
		if ((ret = parse_ms_opt(o, O_FROM, 0, &t)) != CLI_EXIT_OK ||
		    (ret = partner_keys(pb, o, t)) != CLI_EXIT_OK)
			return (ret);
		pb->ap.partner = &pb->p;
		pb->op.add_partner = &pb->ap;
		break;
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		pb->up.partner_id = S(id);
		if (o->given & (B(O_NAME) | B(O_SHORT) | B(O_LOCAL))) {
			pb->n.official = S(o->v[O_NAME]);
			pb->n.short_name = S(o->v[O_SHORT]);
			pb->n.local = S(o->v[O_LOCAL]);
			pb->up.names = &pb->n;
		}
		if (o->given & B(O_KIND)) {
			pb->up.has_kind = 1;
			if (!kind_arg(o->v[O_KIND], &pb->up.kind))
				return (CLI_EXIT_USAGE);
		}
		pb->up.country = S(o->v[O_COUNTRY]);
		pb->op.update_partner = &pb->up;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
		pb->ss.partner_id = S(id);
		pb->ss.has_status = 1;
		pb->ss.status = (Liaison__V1__PartnerStatus) a->status;
		pb->op.set_status = &pb->ss;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY: {
		uint8_t		pk[LSN_PK_BYTES];
		uint64_t	until;
		int		kind;

		if ((ret = load_pub("add-key", o->v[O_PUB], 0, &kind, pk,
		    NULL)) != CLI_EXIT_OK ||
		    (ret = parse_ms_opt(o, O_FROM, lsn_now_ms(), &t)) !=
		    CLI_EXIT_OK ||
		    (ret = parse_ms_opt(o, O_VUNTIL, 0, &until)) !=
		    CLI_EXIT_OK)
			return (ret);
		pb->ak.partner_id = S(id);
		if ((pb->ak.key = keyrec_new(pk, kind, t, until)) == NULL)
			return (CLI_EXIT_FAIL);
		pb->op.add_key = &pb->ak;
		break;
	}
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		if ((ret = parse_ms_opt(o, O_UNTIL, 0, &t)) != CLI_EXIT_OK)
			return (ret);
		pb->rt.partner_id = S(id);
		pb->rt.key_id = S(o->v[O_KEYID]);
		pb->rt.has_valid_until_ms = 1;
		pb->rt.valid_until_ms = t;
		pb->op.retire_key = &pb->rt;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		if ((ret = parse_ms_opt(o, O_AT, lsn_now_ms(), &t)) !=
		    CLI_EXIT_OK)
			return (ret);
		pb->rk.partner_id = S(id);
		pb->rk.key_id = S(o->v[O_KEYID]);
		pb->rk.has_revoked_at_ms = 1;
		pb->rk.revoked_at_ms = t;
		pb->op.revoke_key = &pb->rk;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		pb->u.unit_id = S(o->v[O_UNITID]);
		pb->u.name = S(o->v[O_NAME]);
		pb->u.hours = S(o->v[O_HOURS]);
		pb->u.fallback_unit = S(o->v[O_FALLBACK]);
		pb->su.partner_id = S(id);
		pb->su.unit = &pb->u;
		pb->op.set_unit = &pb->su;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		pb->ru.partner_id = S(id);
		pb->ru.unit_id = S(o->v[O_UNITID]);
		pb->op.remove_unit = &pb->ru;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		pb->c.contact_id = S(o->v[O_CONTACTID]);
		pb->c.name = S(o->v[O_NAME]);
		pb->c.role = S(o->v[O_ROLE]);
		pb->c.email = S(o->v[O_EMAIL]);
		pb->c.phone = S(o->v[O_PHONE]);
		pb->c.unit_id = S(o->v[O_UNIT]);
		pb->c.time_zone = S(o->v[O_TZ]);
		pb->c.has_is_24x7 = 1;
		pb->c.is_24x7 = (o->given & B(O_247)) != 0;
		if ((o->given & B(O_LANGS)) &&
		    (ret = split_langs(pb, o->v[O_LANGS])) != CLI_EXIT_OK)
			return (ret);
		pb->sc.partner_id = S(id);
		pb->sc.contact = &pb->c;
		pb->op.set_contact = &pb->sc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		pb->rc.partner_id = S(id);
		pb->rc.contact_id = S(o->v[O_CONTACTID]);
		pb->op.remove_contact = &pb->rc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		if ((ret = parse_ms_opt(o, O_AT, lsn_now_ms(), &t)) !=
		    CLI_EXIT_OK)
			return (ret);
		pb->cc.partner_id = S(id);
		pb->cc.contact_id = S(o->v[O_CONTACTID]);
		pb->cc.has_verified_at_ms = 1;
		pb->cc.verified_at_ms = t;
		pb->op.confirm_contact = &pb->cc;
		/* created_ms must not be before the confirmation */
		pb->op.has_created_ms = 1;
		pb->op.created_ms = lsn_now_ms() > t ? lsn_now_ms() : t;
		break;
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		pb->cg.name = S(o->v[O_GROUP]);
		pb->cg.description = S(o->v[O_DESC]);
		pb->op.create_group = &pb->cg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		pb->dg.name = S(o->v[O_GROUP]);
		pb->op.delete_group = &pb->dg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
		pb->am.group = S(o->v[O_GROUP]);
		pb->am.partner_id = S(id);
		pb->op.add_member = &pb->am;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		pb->rm.group = S(o->v[O_GROUP]);
		pb->rm.partner_id = S(id);
		pb->op.remove_member = &pb->rm;
		break;
	default:
		return (CLI_EXIT_FAIL);
	}
	pb->op.action_case = (Liaison__V1__DirOp__ActionCase) a->which;
	return (CLI_EXIT_OK);
}

static void
pbuild_init(struct pbuild *pb)
{
	memset(pb, 0, sizeof(*pb));
	liaison__v1__dir_op__init(&pb->op);
	liaison__v1__add_partner__init(&pb->ap);
	liaison__v1__partner__init(&pb->p);
	liaison__v1__partner_names__init(&pb->n);
	liaison__v1__update_partner__init(&pb->up);
	liaison__v1__set_status__init(&pb->ss);
	liaison__v1__add_key__init(&pb->ak);
	liaison__v1__retire_key__init(&pb->rt);
	liaison__v1__revoke_key__init(&pb->rk);
	liaison__v1__set_unit__init(&pb->su);
	liaison__v1__unit__init(&pb->u);
	liaison__v1__remove_unit__init(&pb->ru);
	liaison__v1__set_contact__init(&pb->sc);
	liaison__v1__contact__init(&pb->c);
	liaison__v1__remove_contact__init(&pb->rc);
	liaison__v1__confirm_contact__init(&pb->cc);
	liaison__v1__create_group__init(&pb->cg);
	liaison__v1__delete_group__init(&pb->dg);
	liaison__v1__add_member__init(&pb->am);
	liaison__v1__remove_member__init(&pb->rm);
	liaison__v1__replace_root__init(&pb->rr);
}

static void
pbuild_free(struct pbuild *pb)
{
	for (size_t i = 0; i < 3; i++)
		if (pb->keys[i] != NULL)
			liaison__v1__key_record__free_unpacked(pb->keys[i],
			    NULL);
	if (pb->ak.key != NULL)
		liaison__v1__key_record__free_unpacked(pb->ak.key, NULL);
	if (pb->policy != NULL)
		liaison__v1__root_policy__free_unpacked(pb->policy, NULL);
	free(pb->langbuf);
}

static int
admin_propose(int argc, char *argv[])
{
	const struct action	*a;
	struct aopts		 o;
	struct pbuild		 pb;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	uint64_t		 exp = 0, ver;
	long long		 n;
	int			 ret, rv;

	if ((ret = admin_parse("propose", argc, argv, &o)) != CLI_EXIT_OK)
		return (ret);
	if (o.first + 1 != argc) {
		cli_err("admin", "propose: name one ACTION (see liaison admin "
		    "--help)");
		return (CLI_EXIT_USAGE);
	}
	for (a = actions; a->name != NULL; a++)
		if (strcmp(a->name, argv[o.first]) == 0)
			break;
	if (a->name == NULL) {
		cli_err("admin", "propose: unknown action '%s' (see liaison "
		    "admin --help)", argv[o.first]);
		return (CLI_EXIT_USAGE);
	}
	if ((ret = check_opts(a->name, &o, a->req | B(O_OUT),
	    a->opt | COMMON)) != CLI_EXIT_OK)
		return (ret);
	if (a->which == LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER &&
	    !(o.given & a->opt)) {
		cli_err("admin", "update-partner: nothing to change");
		return (CLI_EXIT_USAGE);
	}
	if ((o.given & B(O_AUTHOR)) && (!lsn_slug_valid(o.v[O_AUTHOR]) &&
	    strcmp(o.v[O_AUTHOR], LSN_DIR_AUTHOR_ADMIN) != 0)) {
		cli_err("admin", "--author: \"admin\" or a partner id");
		return (CLI_EXIT_USAGE);
	}
	if (o.given & B(O_DB)) {
		if ((ret = dircli_open("admin", o.v[O_DB], 0, &st, &d)) !=
		    CLI_EXIT_OK)
			return (ret);
	}
	pbuild_init(&pb);
	ret = CLI_EXIT_USAGE;
	if (o.given & B(O_EXP)) {
		if (lsn_strtonum(o.v[O_EXP], 0, LLONG_MAX, &n, NULL) !=
		    LSN_OK) {
			cli_err("admin", "--expected-version: a number >= 0");
			goto out;
		}
		exp = (uint64_t) n;
	} else if (d != NULL) {
		if ((rv = db_version(d, a, &o, &exp)) != LSN_OK) {
			cli_err("admin", "%s: reading the target's version: "
			    "%s", a->name, lsn_strerror(rv));
			ret = CLI_EXIT_FAIL;
			goto out;
		}
	} else if (a->target != T_NEW_PARTNER && a->target != T_NEW_GROUP) {
		cli_err("admin", "%s: give --expected-version N (the target's "
		    "current version) or --db FILE to read it", a->name);
		goto out;
	}
	if (a->which == LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT) {
		if (o.given & B(O_VERSION)) {
			if (lsn_strtonum(o.v[O_VERSION], 2, LLONG_MAX, &n,
			    NULL) != LSN_OK) {
				cli_err("admin", "--version: a number >= 2");
				goto out;
			}
			ver = (uint64_t) n;
			if (!(o.given & (B(O_EXP) | B(O_DB))))
				exp = ver - 1;
		} else if (exp == 0) {
			cli_err("admin", "replace-root: give --db FILE, "
			    "--expected-version N or --version N");
			goto out;
		} else
			ver = exp + 1;
		if ((ret = build_policy("replace-root", &o, ver,
		    &pb.policy)) != CLI_EXIT_OK)
			goto out;
		pb.rr.policy = pb.policy;
		pb.op.replace_root = &pb.rr;
		pb.op.action_case = LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT;
	} else if ((ret = build_action(a, &o, &pb)) != CLI_EXIT_OK)
		goto out;
	pb.op.author = S(o.given & B(O_AUTHOR) ? o.v[O_AUTHOR] :
	    LSN_DIR_AUTHOR_ADMIN);
	pb.op.has_expected_version = 1;
	pb.op.expected_version = exp;
	ret = emit_op(a->name, &o, &pb.op, d);
 out:
	pbuild_free(&pb);
	dircli_close(&st, &d);
	return (ret);
}

static int
admin_sign(int argc, char *argv[])
{
	struct aopts		 o;
	struct lsn_dirop_batch	*b = NULL;
	struct lsn_keypair	*kp = NULL;
	uint8_t			*buf = NULL;
	size_t			 len;
	int			 ret, rv, single;

	if ((ret = admin_parse("sign", argc, argv, &o)) != CLI_EXIT_OK ||
	    (ret = check_opts("sign", &o, B(O_KEY), 0)) != CLI_EXIT_OK)
		return (ret);
	if (o.first + 1 != argc) {
		cli_err("admin", "sign: give one OPFILE");
		return (CLI_EXIT_USAGE);
	}
	if ((rv = lsn_keypair_load(o.v[O_KEY], &kp)) != LSN_OK) {
		cli_err("admin", "sign: %s: %s", o.v[O_KEY], lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	ret = CLI_EXIT_FAIL;
	if (kp->kind != LSN_KEY_SIGN) {
		cli_err("admin", "sign: %s is a %s key; ops are signed with "
		    "an administrator's admin.key or a partner's sign.key",
		    o.v[O_KEY], lsn_key_kind_name(kp->kind));
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	if ((ret = load_batch("sign", argv[o.first], &b, &single)) !=
	    CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_FAIL;
	if (b->n >= DIRCLI_PROGRESS_MIN)
		fprintf(stderr, "admin sign: signing %zu ops...\n", b->n);
	if ((rv = lsn_dirop_batch_sign(b, kp)) != LSN_OK) {
		cli_err("admin", "sign: %s", lsn_strerror(rv));
		goto out;
	}
	if ((rv = lsn_dirop_batch_save(b, single, &buf, &len)) != LSN_OK) {
		cli_err("admin", "sign: %s", lsn_strerror(rv));
		goto out;
	}
	if ((ret = write_file("sign", argv[o.first], buf, len)) != CLI_EXIT_OK)
		goto out;
	printf("signed %zu op%s in %s with key %s (%s)\n", b->n,
	    b->n == 1 ? "" : "s", argv[o.first], kp->key_id, kp->label);
	ret = CLI_EXIT_OK;
 out:
	free(buf);
	lsn_dirop_batch_free(&b);
	lsn_keypair_destroy(&kp);
	return (ret);
}

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

static int
admin_inspect(int argc, char *argv[])
{
	struct aopts		 o;
	struct lsn_dirop_batch	*b = NULL;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	json_t			*arr = NULL;
	int			 ret, single;

	if ((ret = admin_parse("inspect", argc, argv, &o)) != CLI_EXIT_OK ||
	    (ret = check_opts("inspect", &o, 0, B(O_JSON) | B(O_DB))) !=
	    CLI_EXIT_OK)
		return (ret);
	if (o.first + 1 != argc) {
		cli_err("admin", "inspect: give one OPFILE");
		return (CLI_EXIT_USAGE);
	}
	if ((ret = load_batch("inspect", argv[o.first], &b, &single)) !=
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
				dircli_print_json(stdout, act);
		}
		json_decref(act);
		liaison__v1__dir_op__free_unpacked(op, NULL);
		liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	}
	if (arr != NULL)
		dircli_print_json(stdout, arr);
	ret = CLI_EXIT_OK;
 out:
	json_decref(arr);
	lsn_dirop_batch_free(&b);
	dircli_close(&st, &d);
	return (ret);
}

static int
admin_apply(int argc, char *argv[])
{
	struct aopts		 o;
	struct lsn_dirop_batch	*b = NULL;
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	uint8_t			 head[LSN_DIR_HASH_BYTES];
	char			 hex[2 * LSN_DIR_HASH_BYTES + 1];
	char			 why[LSN_DIR_WHY_MAX];
	uint64_t		 rev = 0, now = lsn_now_ms();
	int			 ret, rv, single;

	if ((ret = admin_parse("apply", argc, argv, &o)) != CLI_EXIT_OK ||
	    (ret = check_opts("apply", &o, B(O_DB), 0)) != CLI_EXIT_OK)
		return (ret);
	if (o.first + 1 != argc) {
		cli_err("admin", "apply: give one OPFILE");
		return (CLI_EXIT_USAGE);
	}
	if ((ret = load_batch("apply", argv[o.first], &b, &single)) !=
	    CLI_EXIT_OK)
		return (ret);
	if ((ret = dircli_open("admin", o.v[O_DB], 1, &st, &d)) !=
	    CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_FAIL;
	if ((rv = lsn_store_begin(st)) != LSN_OK) {
		cli_err("admin", "apply: %s", lsn_strerror(rv));
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		why[0] = '\0';
		rv = lsn_dir_submit(d, b->ops[i], b->lens[i], now, &rev, why,
		    sizeof(why));
		if (rv != LSN_OK) {
			lsn_store_rollback(st);
			if (b->n > 1)
				cli_err("admin", "apply: refused: %s (op %zu "
				    "of %zu; nothing applied)",
				    why[0] != '\0' ? why : lsn_strerror(rv),
				    i + 1, b->n);
			else
				cli_err("admin", "apply: refused: %s",
				    why[0] != '\0' ? why : lsn_strerror(rv));
			goto out;
		}
		dircli_progress("admin apply", i + 1, b->n);
	}
	if ((rv = lsn_store_commit(st)) != LSN_OK) {
		cli_err("admin", "apply: commit: %s", lsn_strerror(rv));
		goto out;
	}
	if ((rv = lsn_dir_head(d, &rev, head)) != LSN_OK) {
		cli_err("admin", "apply: %s", lsn_strerror(rv));
		goto out;
	}
	lsn_hex_encode(head, sizeof(head), hex);
	printf("applied %zu op%s: rev %llu head %s\n", b->n,
	    b->n == 1 ? "" : "s", (unsigned long long) rev, hex);
	ret = CLI_EXIT_OK;
 out:
	lsn_dirop_batch_free(&b);
	dircli_close(&st, &d);
	return (ret);
}

int
cmd_admin(int argc, char *argv[])
{
	const char	*sub;

	if (argc < 2) {
		admin_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	/* admin change ACTION ... --help: change's own help */
	if (strcmp(argv[1], "change") == 0)
		return (cli_admin_change(argc - 1, argv + 1));
	if (strcmp(argv[1], "onboard") == 0)
		return (cli_admin_onboard(argc - 1, argv + 1));
	if (strcmp(argv[1], "rotate") == 0)
		return (cli_admin_rotate(argc - 1, argv + 1));
	if (cli_wants_help(argc, argv)) {
		admin_usage(stdout);
		return (CLI_EXIT_OK);
	}
	sub = argv[1];
	if (strcmp(sub, "init") == 0)
		return (admin_init(argc - 1, argv + 1));
	if (strcmp(sub, "propose") == 0)
		return (admin_propose(argc - 1, argv + 1));
	if (strcmp(sub, "sign") == 0)
		return (admin_sign(argc - 1, argv + 1));
	if (strcmp(sub, "inspect") == 0)
		return (admin_inspect(argc - 1, argv + 1));
	if (strcmp(sub, "apply") == 0)
		return (admin_apply(argc - 1, argv + 1));
	cli_err("admin", "unknown subcommand '%s' (init, propose, sign, "
	    "inspect, apply, change)", sub);
	return (CLI_EXIT_USAGE);
}
