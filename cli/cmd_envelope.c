/*
 * cmd_envelope.c -- liaison envelope sign|verify: offline signed envelopes.
 *
 * `sign` builds a Note envelope and writes the serialized SignedEnvelope;
 * `verify` opens one with a public key file through the trust gate
 * (trust.h) in its offline role, the way the broker and agents do.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/trust.h"
#include "liaison/util.h"
#include "cli.h"

#define NOTE_TEXT_MAX	4096	/* envelope.proto: Note.text */

/* Prints the synopsis; full != 0 adds the description (--help). */
static void
envelope_usage(FILE *f, int full)
{
	fprintf(f,
	    "usage: liaison envelope sign --key FILE --to ID[,ID...] "
	    "[--group G[,G...]]\n"
	    "           [--type note] --text TEXT [--tlp clear|green] "
	    "[--case-ref REF]\n"
	    "           --out FILE\n"
	    "       liaison envelope verify FILE (--pub PUBFILE | --keys DIR) "
	    "[--show-body]\n");
	if (!full)
		return;
	fprintf(f,
	    "\n"
	    "sign    builds a Note envelope, signs it with the Ed25519 key\n"
	    "        in FILE (e.g. DIR/sign.key; the sender is the key's\n"
	    "        partner) and writes the SignedEnvelope bytes to --out.\n"
	    "        --to and --group may be repeated; at least one\n"
	    "        recipient is needed. AMBER and RED need a sealed body:\n"
	    "        send them with the agent.\n"
	    "verify  checks the signature with the public key in PUBFILE (or\n"
	    "        DIR/sign.pub) and every envelope field; exit 0 and\n"
	    "        \"signature OK\", or exit 1 naming the reason.\n");
}

/* A growable list of strings split from comma-separated arguments. */
struct strlist {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Adds each comma-separated item of arg; 0 on an empty item or OOM. */
static int
strlist_add(struct strlist *l, const char *arg, size_t max)
{
	const char	*p = arg, *comma;

	do {
		size_t	 n;
		char	*s;

		comma = strchr(p, ',');
		n = comma != NULL ? (size_t) (comma - p) : strlen(p);
		if (n == 0 || l->n >= max)
			return (0);
		if (l->n == l->cap) {
			size_t	 cap = l->cap == 0 ? 8 : 2 * l->cap;
			char	**v = realloc(l->v, cap * sizeof(*v));

			if (v == NULL)
				return (0);
			l->v = v;
			l->cap = cap;
		}
		if ((s = malloc(n + 1)) == NULL)
			return (0);
		memcpy(s, p, n);
		s[n] = '\0';
		l->v[l->n++] = s;
		p = comma + 1;
	} while (comma != NULL);
	return (1);
}

static int
parse_tlp(const char *s, Liaison__V1__Tlp *tlp)
{
	if (strcmp(s, "clear") == 0)
		*tlp = LIAISON__V1__TLP__TLP_CLEAR;
	else if (strcmp(s, "green") == 0)
		*tlp = LIAISON__V1__TLP__TLP_GREEN;
	else
		return (0);
	return (1);
}

/* Each name a slug, none twice; reports the first offender. */
static int
check_names(const char *what, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!lsn_slug_valid(l->v[i])) {
			cli_err("envelope", "sign: invalid %s '%s'", what,
			    l->v[i]);
			return (0);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->v[i], l->v[j]) == 0) {
				cli_err("envelope", "sign: %s '%s' given "
				    "twice", what, l->v[i]);
				return (0);
			}
	}
	return (1);
}

/* Over 80 lines: options, the Note and its envelope, signed and written. */
static int
envelope_sign(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "to", required_argument, NULL, 't' },
		{ "group", required_argument, NULL, 'g' },
		{ "type", required_argument, NULL, 'y' },
		{ "text", required_argument, NULL, 'x' },
		{ "tlp", required_argument, NULL, 'l' },
		{ "case-ref", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Tlp	 tlp = LIAISON__V1__TLP__TLP_GREEN;
	struct lsn_keypair	*kp = NULL;
	struct strlist		 to = { 0 }, groups = { 0 };
	const char		*keyf = NULL, *type = "note", *text = NULL;
	const char		*out = NULL, *field = NULL;
	char			*case_ref = NULL, *textcopy = NULL;
	char			 idhex[2 * LSN_MSGID_BYTES + 1];
	uint8_t			 msgid[LSN_MSGID_BYTES];
	uint8_t			*body = NULL, *buf = NULL;
	size_t			 len = 0;
	int			 ch, rv, ret = CLI_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyf = optarg;
			break;
		case 't':
			if (!strlist_add(&to, optarg, LSN_ENV_TO_MAX)) {
				cli_err("envelope", "bad --to list '%s'",
				    optarg);
				goto out;
			}
			break;
		case 'g':
			if (!strlist_add(&groups, optarg,
			    LSN_ENV_GROUPS_MAX)) {
				cli_err("envelope", "bad --group list '%s'",
				    optarg);
				goto out;
			}
			break;
		case 'y':
			type = optarg;
			break;
		case 'x':
			text = optarg;
			break;
		case 'l':
			if (!parse_tlp(optarg, &tlp)) {
				cli_err("envelope", "--tlp %s: use clear or "
				    "green (AMBER and RED must be sealed: "
				    "send them with the agent)", optarg);
				goto out;
			}
			break;
		case 'c':
			case_ref = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			cli_err("envelope", "sign: unknown option or missing "
			    "value: %s", argv[optind - 1]);
			envelope_usage(stderr, 0);
			goto out;
		}
	}
	if (optind != argc || keyf == NULL || text == NULL || out == NULL ||
	    (to.n == 0 && groups.n == 0)) {
		cli_err("envelope", "sign: need --key, --to or --group, "
		    "--text and --out");
		envelope_usage(stderr, 0);
		goto out;
	}
	if (strcmp(type, "note") != 0) {
		cli_err("envelope", "sign: --type %s: only 'note' can be "
		    "built here", type);
		goto out;
	}
	if (!check_names("partner id", &to) ||
	    !check_names("group name", &groups))
		goto out;
	if (!lsn_text_valid(text, NOTE_TEXT_MAX)) {
		cli_err("envelope", "sign: --text must be UTF-8 without "
		    "control characters, at most %d bytes", NOTE_TEXT_MAX);
		goto out;
	}

	ret = CLI_EXIT_FAIL;
	if ((rv = lsn_keypair_load(keyf, &kp)) != LSN_OK) {
		cli_err("envelope", "%s: %s%s", keyf, lsn_strerror(rv),
		    rv == LSN_EFILEPERM ? " (chmod 600 it)" : "");
		goto out;
	}
	if (kp->kind != LSN_KEY_SIGN) {
		cli_err("envelope", "%s: kind '%s', not a signing key", keyf,
		    lsn_key_kind_name(kp->kind));
		goto out;
	}

	/* protobuf-c takes non-const strings; pack only reads them. */
	if ((textcopy = strdup(text)) == NULL) {
		cli_err("envelope", "out of memory");
		goto out;
	}
	note.text = textcopy;
	if ((body = malloc(liaison__v1__note__get_packed_size(&note) + 1)) ==
	    NULL) {
		cli_err("envelope", "out of memory");
		goto out;
	}
	lsn_message_id_new(msgid);
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = msgid;
	env.message_id.len = sizeof(msgid);
	env.n_to = to.n;
	env.to = to.v;
	env.n_to_groups = groups.n;
	env.to_groups = groups.v;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	h.has_tlp = 1;
	h.tlp = tlp;
	env.handling = &h;
	env.case_ref = case_ref;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = liaison__v1__note__pack(&note, body);
	/* sender and sender_key_id come from the key */
	if ((rv = lsn_envelope_sign(&env, kp, &buf, &len, &field)) != LSN_OK) {
		cli_err("envelope", "sign: %s (field: %s)", lsn_strerror(rv),
		    field != NULL ? field : "-");
		goto out;
	}
	if ((rv = lsn_file_write_atomic(out, buf, len, 0644)) != LSN_OK) {
		cli_err("envelope", "%s: %s", out, lsn_strerror(rv));
		goto out;
	}
	lsn_hex_encode(msgid, sizeof(msgid), idhex);
	printf("message id %s\nwrote %s (%zu bytes)\n", idhex, out, len);
	ret = CLI_EXIT_OK;
 out:
	free(buf);
	free(body);
	free(textcopy);
	strlist_free(&to);
	strlist_free(&groups);
	lsn_keypair_destroy(&kp);
	return (ret);
}

static void
print_list(const char *name, char **v, size_t n)
{
	if (n == 0)
		return;
	printf("%-11s", name);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i == 0 ? "" : ", ", v[i]);
	printf("\n");
}

static void
print_envelope(const Liaison__V1__Envelope *env, int show_body)
{
	char		 idhex[2 * LSN_MSGID_BYTES + 1], when[64];
	time_t		 t = (time_t) (env->created_ms / 1000);
	struct tm	 tm;

	lsn_hex_encode(env->message_id.data, env->message_id.len, idhex);
	printf("%-11s%s\n", "sender", env->sender);
	printf("%-11s%s\n", "key id", env->sender_key_id);
	printf("%-11s%s\n", "message id", idhex);
	printf("%-11s%s\n", "type", lsn_envelope_type_name((int) env->type));
	printf("%-11s%s\n", "tlp", lsn_tlp_name((int) env->handling->tlp));
	print_list("to", env->to, env->n_to);
	print_list("groups", env->to_groups, env->n_to_groups);
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		printf("%-11s%s (%llu)\n", "created", when,
		    (unsigned long long) env->created_ms);
	if (env->case_ref != NULL)
		printf("%-11s%s\n", "case ref", env->case_ref);
	if (env->sealed != NULL)
		printf("%-11ssealed for %zu key(s)\n", "body",
		    env->sealed->n_keys);
	else if (show_body &&
	    env->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE) {
		Liaison__V1__Note *note = liaison__v1__note__unpack(NULL,
		    env->body.len, env->body.data);

		if (note != NULL && note->text != NULL &&
		    lsn_text_valid(note->text, NOTE_TEXT_MAX))
			printf("%-11s%s\n", "text", note->text);
		else
			printf("%-11s(not a valid note)\n", "text");
		if (note != NULL)
			liaison__v1__note__free_unpacked(note, NULL);
	} else
		printf("%-11s%zu bytes\n", "body", env->body.len);
}

/* The trust gate's directory view over one public key file: its owner
 * has that one SIGN key, with no validity window. */
struct keyfile_view {
	const char	*owner;
	const uint8_t	*pk;
	char		 kid[LSN_KEYID_HEXLEN + 1];
};

static int
keyfile_keyrec(void *arg, const char *partner, const char *key_id,
    struct lsn_dir_keyrec *r)
{
	struct keyfile_view	*kf = arg;

	if (strcmp(partner, kf->owner) != 0) {
		cli_err("envelope", "signed by '%s' (key %s), but the key "
		    "file belongs to '%s'", partner, key_id, kf->owner);
		return (LSN_EUNKNOWNSENDER);
	}
	if (strcmp(key_id, kf->kid) != 0) {
		cli_err("envelope", "signed with key %s of '%s', but the key "
		    "file holds key %s", key_id, partner, kf->kid);
		return (LSN_EUNKNOWNKEY);
	}
	memset(r, 0, sizeof(*r));
	lsn_strlcpy(r->partner, partner, sizeof(r->partner));
	memcpy(r->pk, kf->pk, LSN_PK_BYTES);
	return (LSN_OK);
}

/* Over 80 lines: options, the offline trust gate, the verdict printed. */
static int
envelope_verify(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "keys", required_argument, NULL, 'k' },
		{ "show-body", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct keyfile_view		 kf;
	struct lsn_trust_dir		 v;
	struct lsn_trust_ctx		 c;
	struct lsn_trust_result		 t;
	struct lsn_trust_msg		 m;
	Liaison__V1__Envelope		*env = NULL, *inner = NULL;
	enum lsn_key_kind		 kind;
	const char			*pubf = NULL, *keysd = NULL, *file;
	char				 path[PATH_MAX];
	char				 owner[LSN_LABEL_MAX + 1];
	uint8_t				 pk[LSN_PK_BYTES];
	uint8_t				*buf = NULL;
	size_t				 len = 0;
	int				 ch, rv, show_body = 0;
	int				 ret = CLI_EXIT_FAIL;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			pubf = optarg;
			break;
		case 'k':
			keysd = optarg;
			break;
		case 'b':
			show_body = 1;
			break;
		default:
			cli_err("envelope", "verify: unknown option or "
			    "missing value: %s", argv[optind - 1]);
			envelope_usage(stderr, 0);
			return (CLI_EXIT_USAGE);
		}
	}
	if (optind != argc - 1 || (pubf == NULL) == (keysd == NULL)) {
		cli_err("envelope", "verify: need one FILE and one of --pub "
		    "PUBFILE or --keys DIR");
		envelope_usage(stderr, 0);
		return (CLI_EXIT_USAGE);
	}
	file = argv[optind];
	if (keysd != NULL) {
		int n = snprintf(path, sizeof(path), "%s/sign.pub", keysd);

		if (n < 0 || (size_t) n >= sizeof(path)) {
			cli_err("envelope", "%s: path too long", keysd);
			return (CLI_EXIT_USAGE);
		}
		pubf = path;
	}
	if ((rv = lsn_pubkey_load(pubf, &kind, pk, owner)) != LSN_OK) {
		cli_err("envelope", "%s: %s", pubf, lsn_strerror(rv));
		goto out;
	}
	if (kind != LSN_KEY_SIGN) {
		cli_err("envelope", "%s: kind '%s', not a signing key", pubf,
		    lsn_key_kind_name(kind));
		goto out;
	}
	if ((rv = lsn_file_read(file, LSN_MSG_MAX, &buf, &len)) != LSN_OK) {
		cli_err("envelope", "%s: %s", file, lsn_strerror(rv));
		goto out;
	}
	/* the trust gate in the offline role, over the key file */
	memset(&kf, 0, sizeof(kf));
	kf.owner = owner;
	kf.pk = pk;
	lsn_key_id(pk, kf.kid);
	memset(&v, 0, sizeof(v));
	v.arg = &kf;
	v.sign_keyrec = keyfile_keyrec;
	memset(&c, 0, sizeof(c));
	c.role = LSN_TRUST_OFFLINE_CLI;
	c.dir = &v;
	c.now_ms = lsn_now_ms();
	memset(&m, 0, sizeof(m));
	if ((rv = lsn_trust_check(&c, buf, len, &m, &t)) == LSN_OK &&
	    m.env->has_forwarded && m.env->has_body) {
		/* a forward in clear: the inner through the gate too (its
		 * sender's key must be the same key file) */
		rv = lsn_trust_forward(&c, m.env, m.env->body.data,
		    m.env->body.len, &inner, NULL, NULL, &t);
		lsn_envelope_free(&inner);
	}
	if (rv != LSN_OK) {
		cli_err("envelope", "%s: refused: %s (rule %s: %s)", file,
		    lsn_strerror(rv), lsn_trust_rule_name((int) t.rule),
		    t.detail);
		goto out;
	}
	env = m.env;
	m.env = NULL;
	print_envelope(env, show_body);
	printf("signature OK\n");
	ret = CLI_EXIT_OK;
 out:
	lsn_envelope_free(&env);
	lsn_trust_msg_clear(&m);
	free(buf);
	return (ret);
}

int
cmd_envelope(int argc, char *argv[])
{
	if (cli_wants_help(argc, argv)) {
		envelope_usage(stdout, 1);
		return (CLI_EXIT_OK);
	}
	if (argc < 2) {
		envelope_usage(stderr, 0);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "sign") == 0)
		return (envelope_sign(argc - 1, argv + 1));
	if (strcmp(argv[1], "verify") == 0)
		return (envelope_verify(argc - 1, argv + 1));
	cli_err("envelope", "unknown subcommand '%s' (sign or verify)",
	    argv[1]);
	envelope_usage(stderr, 0);
	return (CLI_EXIT_USAGE);
}
