/*
 * cmd_admin.c -- liaison admin: offline directory administration on files.
 * init (genesis op), propose (one op per action), sign (add a signature in
 * place: k-of-n by passing the file between administrators), inspect, and
 * apply (authorize + append + apply to a directory database). propose is
 * in cmd_admin_propose.c, inspect in cmd_admin_inspect.c, shared
 * declarations in admin.h.
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


const struct action admin_actions[] = {
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
	    "       liaison admin export-log --db FILE --out OPFILE\n"
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
	    "export-log  --db FILE --out OPFILE: every signed op of a\n"
	    "            directory log (a replica or a backup), verified, as\n"
	    "            one batch; `apply` of it to a new database rebuilds\n"
	    "            the same log (a broker that lost its database)\n"
	    "\n"
	    "actions (liaison admin propose ACTION ...):\n");
	for (const struct action *a = admin_actions; a->name != NULL; a++)
		fprintf(f, "  %-16s %s\n", a->name, a->help);
	fprintf(f,
	    "\nKIND: law_enforcement, international_org, hotline, ngo,\n"
	    "      private_sector, government. CC: ISO 3166-1 alpha-2\n"
	    "      (XX for international). Times: Unix ms or \"now\".\n"
	    "Classes: routine (1 signature by default), sensitive (suspend,\n"
	    "reinstate, revoke, revoke-key, add-key of a sign key,\n"
	    "delete-group), root (replace-root: the old AND the new set).\n");
}

int
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

const char *
admin_opt_name(int bit)
{
	for (const struct option *lo = admin_longopts; lo->name != NULL; lo++)
		if (lo->val == bit)
			return (lo->name);
	return ("?");
}

/* Every required option given, nothing outside req|opt. */
int
admin_check_opts(const char *sub, const struct aopts *o, uint64_t req,
    uint64_t opt)
{
	for (int i = 0; i < O_NOPT; i++) {
		if ((req & B(i)) && !(o->given & B(i))) {
			cli_err("admin", "%s: --%s is required", sub,
			    admin_opt_name(i));
			return (CLI_EXIT_USAGE);
		}
		if ((o->given & B(i)) && !((req | opt) & B(i))) {
			cli_err("admin", "%s: --%s does not apply here", sub,
			    admin_opt_name(i));
			return (CLI_EXIT_USAGE);
		}
	}
	return (CLI_EXIT_OK);
}

int
admin_parse_opfile(const char *sub, int argc, char *argv[], struct aopts *o,
    uint64_t req, uint64_t opt)
{
	int	ret;

	if ((ret = admin_parse(sub, argc, argv, o)) != CLI_EXIT_OK ||
	    (ret = admin_check_opts(sub, o, req, opt)) != CLI_EXIT_OK)
		return (ret);
	if (o->first + 1 != argc) {
		cli_err("admin", "%s: give one OPFILE", sub);
		return (CLI_EXIT_USAGE);
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

int
admin_load_batch(const char *sub, const char *path, struct lsn_dirop_batch **b,
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

Liaison__V1__KeyRecord *
admin_keyrec_new(const uint8_t pk[LSN_PK_BYTES], int purpose, uint64_t from,
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
int
admin_load_pub(const char *sub, const char *path, int want, int *kind,
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

int
admin_build_policy(const char *sub, const struct aopts *o, uint64_t version,
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
		if ((ret = admin_load_pub(sub, tok, LSN_KEY_SIGN, NULL, pk,
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
		    (a->key = admin_keyrec_new(pk, LSN_KEY_SIGN, 0, 0)) == NULL)
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
	if ((ret = admin_load_pub(sub, o->v[O_SEQ], LSN_KEY_SIGN, NULL, pk,
	    NULL)) != CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_FAIL;
	if ((p->sequencer_key = admin_keyrec_new(pk, LSN_KEY_SIGN, 0, 0)) == NULL)
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
int
admin_emit_op(const char *sub, const struct aopts *o, Liaison__V1__DirOp *op,
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
	    (ret = admin_check_opts("init", &o, B(O_ADMINS) | B(O_THRESH) |
	    B(O_SEQ) | B(O_OUT), 0)) != CLI_EXIT_OK)
		return (ret);
	if (o.first != argc) {
		cli_err("admin", "init: unexpected argument %s",
		    argv[o.first]);
		return (CLI_EXIT_USAGE);
	}
	if ((ret = admin_build_policy("init", &o, 1, &p)) != CLI_EXIT_OK)
		return (ret);
	ir.policy = p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	op.author = (char *) (uintptr_t) LSN_DIR_AUTHOR_ADMIN;
	op.has_expected_version = 1;
	op.expected_version = 0;
	if ((ret = admin_emit_op("init", &o, &op, NULL)) == CLI_EXIT_OK) {
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


static int
admin_sign(int argc, char *argv[])
{
	struct aopts		 o;
	struct lsn_dirop_batch	*b = NULL;
	struct lsn_keypair	*kp = NULL;
	uint8_t			*buf = NULL;
	size_t			 len;
	int			 ret, rv, single;

	if ((ret = admin_parse_opfile("sign", argc, argv, &o, B(O_KEY), 0)) !=
	    CLI_EXIT_OK)
		return (ret);
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
	if ((ret = admin_load_batch("sign", argv[o.first], &b, &single)) !=
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

	if ((ret = admin_parse_opfile("apply", argc, argv, &o, B(O_DB), 0)) !=
	    CLI_EXIT_OK)
		return (ret);
	if ((ret = admin_load_batch("apply", argv[o.first], &b, &single)) !=
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
	if (strcmp(sub, "export-log") == 0)
		return (admin_export_log(argc - 1, argv + 1));
	cli_err("admin", "unknown subcommand '%s' (init, propose, sign, "
	    "inspect, apply, export-log, change)", sub);
	return (CLI_EXIT_USAGE);
}
