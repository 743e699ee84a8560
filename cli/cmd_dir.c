/*
 * cmd_dir.c -- liaison dir: read a directory database offline (list, show,
 * search, export), verify its log, and turn a JSON directory into an op
 * batch (import). Also the helpers shared with cmd_admin.c (dircli.h).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "cli.h"
#include "render.h"
#include "dircli.h"

/* ---- shared helpers ---- */

/*
 * For read-only access to a daemon database: the directory tables are
 * migration step 1 of every daemon, so any database with a newer
 * user_version still holds them unchanged. Read-only opens never migrate;
 * this table only tells lsn_store_open how new a database we accept.
 */
#define RO_VERSIONS	64
static struct lsn_migration ro_migs[RO_VERSIONS + 1];

static const struct lsn_migration *
ro_migrations(void)
{
	if (ro_migs[0].to == 0) {
		ro_migs[0].to = 1;
		ro_migs[0].sql = lsn_dir_schema_v1;
		ro_migs[0].pg_sql = lsn_dir_schema_pg_v1;
		for (int i = 1; i < RO_VERSIONS; i++) {
			ro_migs[i].to = i + 1;
			ro_migs[i].sql = "SELECT 1";
			ro_migs[i].pg_sql = "SELECT 1";
		}
		ro_migs[RO_VERSIONS].to = 0;
		ro_migs[RO_VERSIONS].sql = NULL;
	}
	return (ro_migs);
}

/* A log sink keeping the last line (arg: 1024 bytes). */
static void
hold_line(int level, int auth, const char *line, void *arg)
{
	(void) level;
	(void) auth;
	lsn_strlcpy(arg, line, 1024);
}

int
dircli_open(const char *cmd, const char *path, int write,
    struct lsn_store **st, struct lsn_dir **d)
{
	char	held[1024];
	int	rv;

	*st = NULL;
	*d = NULL;
	if (path == NULL) {
		cli_err(cmd, "--db FILE is required: the directory database "
		    "(see liaison %s --help)", cmd);
		return (CLI_EXIT_USAGE);
	}
	/* the store's own log line ("database version N is newer") would
	 * read as a problem; the refusal below says what to do instead */
	held[0] = '\0';
	lsn_log_set_sink(hold_line, held);
	if (write)
		rv = lsn_store_open(path, lsn_dir_migrations, 0, st);
	else
		rv = lsn_store_open(path, ro_migrations(), LSN_STORE_READONLY,
		    st);
	lsn_log_set_sink(NULL, NULL);
	if (rv != LSN_OK && rv != LSN_EVERSION && held[0] != '\0')
		fprintf(stderr, "%s\n", held);
	if (rv == LSN_EVERSION && write) {
		cli_err(cmd, "%s is a daemon's database: send ops to a "
		    "running directory with `liaison submit` instead", path);
		return (CLI_EXIT_FAIL);
	}
	if (rv != LSN_OK) {
		cli_err(cmd, "%s: cannot open the directory database: %s; "
		    "check the path and that you may read it%s", path,
		    lsn_strerror(rv), write ? " and its directory" : "");
		return (CLI_EXIT_FAIL);
	}
	if ((rv = lsn_dir_open(*st, d)) != LSN_OK) {
		cli_err(cmd, "%s: not a directory database: %s", path,
		    lsn_strerror(rv));
		lsn_store_close(st);
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}

void
dircli_close(struct lsn_store **st, struct lsn_dir **d)
{
	lsn_dir_close(d);
	lsn_store_close(st);
}

const char *
dircli_time(uint64_t ms)
{
	static char	buf[64];
	struct tm	tm;
	time_t		t = (time_t) (ms / 1000);

	if (ms == 0)
		return ("-");
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void) snprintf(buf, sizeof(buf), "%llu ms",
		    (unsigned long long) ms);
	return (buf);
}

int
dircli_parse_ms(const char *s, uint64_t *out)
{
	if (s != NULL && strcmp(s, "now") == 0) {
		*out = lsn_now_ms();
		return (LSN_OK);
	}
	return (lsn_strtou64(s, 0, LSN_DIR_TIME_MAX, out));
}

/*
 * An enum value as dir export spells it: the proto name without its
 * prefix, lower case (KIND_LAW_ENFORCEMENT -> law_enforcement, KEY_SIGN ->
 * sign, STATUS_ACTIVE -> active).
 */
static json_t *
enum_json(const char *name)
{
	const char	*u = strchr(name, '_');
	char		 buf[64];
	size_t		 i = 0;

	if (u != NULL && u[1] != '\0')
		name = u + 1;
	for (; name[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = (char) tolower((unsigned char) name[i]);
	buf[i] = '\0';
	return (json_string(buf));
}

static json_t *
value_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	char		*hex;
	json_t		*j;
	int64_t		 sv = 0;
	int		 sg;
	uint64_t	 u;

	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT: {
		float v;

		memcpy(&v, p, sizeof(v));
		return (json_real(v));
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double v;

		memcpy(&v, p, sizeof(v));
		return (json_real(v));
	}
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean v;

		memcpy(&v, p, sizeof(v));
		return (json_boolean(v));
	}
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue	*ev;
		int				 v;

		memcpy(&v, p, sizeof(v));
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		if (ev == NULL)
			return (json_integer(v));
		return (enum_json(ev->name));
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *v;

		memcpy(&v, p, sizeof(v));
		if (v == NULL)
			return (json_null());
		if ((j = json_string(v)) == NULL)	/* not UTF-8 */
			j = json_string("(invalid UTF-8)");
		return (j);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData v;

		memcpy(&v, p, sizeof(v));
		if ((hex = malloc(2 * v.len + 1)) == NULL)
			return (NULL);
		lsn_hex_encode(v.data, v.len, hex);
		j = json_string(hex);
		free(hex);
		return (j);
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *v;

		memcpy(&v, p, sizeof(v));
		return (v == NULL ? json_null() : dircli_msg_json(v));
	}
	default:	/* the integer types */
		u = cli_pb_scalar(f->type, p, &sg, &sv);
		return (json_integer(sg ? (json_int_t) sv : (json_int_t) u));
	}
}

json_t *
dircli_msg_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	json_t					*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		const char			*p;
		size_t				 n, sz;
		json_t				*v;

		if ((p = cli_pb_field(m, f, &n)) == NULL || n == 0)
			continue;
		sz = cli_pb_elem_size(f->type);
		if (f->label != PROTOBUF_C_LABEL_REPEATED)
			v = value_json(f, p);
		else if ((v = json_array()) == NULL)
			goto fail;
		else
			for (size_t k = 0; k < n; k++)
				if (json_array_append_new(v, value_json(f,
				    p + k * sz)) != 0) {
					json_decref(v);
					goto fail;
				}
		if (v == NULL || json_object_set_new(o, f->name, v) != 0)
			goto fail;
	}
	return (o);
 fail:
	json_decref(o);
	return (NULL);
}

/* ---- liaison dir ---- */

static void
dir_usage(FILE *f)
{
	fprintf(f,
	    "usage: liaison dir list --db FILE [--json]\n"
	    "       liaison dir show ID --db FILE [--json]\n"
	    "       liaison dir search TEXT --db FILE [--json]\n"
	    "       liaison dir export --db FILE [--json] [--out FILE]\n"
	    "       liaison dir import FILE.json --out OPS [--now MS]\n"
	    "       liaison dir verify --db FILE [--trust-root HEX]\n"
	    "\n"
	    "Reads a directory database offline (a directory-only file made\n"
	    "by `liaison admin apply`, or a broker's or agent's database).\n"
	    "  list     one line per partner: id, status, country, kind,\n"
	    "           name\n"
	    "  show     one partner with keys, units, contacts and groups\n"
	    "  search   partners whose id, names, country, units or contacts\n"
	    "           contain TEXT (case-insensitive)\n"
	    "  export   the whole directory as JSON (root policy, partners,\n"
	    "           groups, head and digests)\n"
	    "  import   turns a JSON directory (export format; only\n"
	    "           partners and groups are read) into a batch of\n"
	    "           unsigned ops for a directory that has its genesis\n"
	    "           and no partners yet; admins sign it with\n"
	    "           `liaison admin sign OPS --key K` and apply it with\n"
	    "           `liaison admin apply OPS --db FILE`\n"
	    "  verify   re-verifies every signature and the hash chain from\n"
	    "           rev 1 by replaying the log into a fresh in-memory\n"
	    "           directory, and compares state digests; prints\n"
	    "           \"rev N head HEX digest HEX\" (exit 0) or names the\n"
	    "           first bad rev (exit 1). --trust-root also requires\n"
	    "           the genesis root policy to have that hash.\n");
}

struct dir_opts {
	const char	*db;
	const char	*out;
	const char	*now;
	const char	*trust;
	int		 json;
};

static int
dir_parse(int argc, char *argv[], struct dir_opts *o, int *first)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "now", required_argument, NULL, 'n' },
		{ "trust-root", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->db = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'n':
			o->now = optarg;
			break;
		case 't':
			o->trust = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		default:
			cli_err("dir", "unknown option or missing value: %s",
			    argv[optind - 1]);
			return (CLI_EXIT_USAGE);
		}
	}
	*first = optind;
	return (CLI_EXIT_OK);
}

static int
list_line(void *arg, const Liaison__V1__Partner *p)
{
	json_t		*arr = arg;
	const char	*st, *kind;

	if (arr != NULL)
		return (json_array_append_new(arr,
		    dircli_msg_json(&p->base)) == 0 ? 0 : LSN_ENOMEM);
	st = p->status == LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE ?
	    "active" : p->status ==
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED ? "suspended" :
	    "revoked";
	kind = protobuf_c_enum_descriptor_get_value(
	    &liaison__v1__partner_kind__descriptor, (int) p->kind) != NULL ?
	    protobuf_c_enum_descriptor_get_value(
	    &liaison__v1__partner_kind__descriptor, (int) p->kind)->name : "?";
	if (strncmp(kind, "KIND_", 5) == 0)
		kind += 5;
	printf("%-24s %-9s %-2s %-20s %s\n", p->id, st,
	    p->country != NULL ? p->country : "-", kind,
	    p->names != NULL && p->names->official != NULL ?
	    p->names->official : "");
	return (0);
}

static int
dir_list(const struct dir_opts *o, const char *query)
{
	struct lsn_store	*st;
	struct lsn_dir		*d;
	json_t			*arr = NULL;
	int			 rv, ret;

	if ((ret = dircli_open("dir", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ret);
	if (o->json && (arr = json_array()) == NULL) {
		dircli_close(&st, &d);
		return (CLI_EXIT_FAIL);
	}
	rv = lsn_dir_list(d, query, list_line, arr);
	if (rv != LSN_OK) {
		cli_err("dir", "%s", lsn_strerror(rv));
		ret = CLI_EXIT_FAIL;
	} else if (arr != NULL)
		cli_json_print(arr);
	json_decref(arr);
	dircli_close(&st, &d);
	return (ret);
}

static void
show_key(const Liaison__V1__KeyRecord *k)
{
	const char *purpose =
	    k->purpose == LIAISON__V1__KEY_PURPOSE__KEY_SIGN ? "sign" :
	    k->purpose == LIAISON__V1__KEY_PURPOSE__KEY_ENCRYPT ? "encrypt" :
	    "transport";

	printf("  %-10s %s  from %s", purpose, k->key_id,
	    dircli_time(k->valid_from_ms));
	if (k->valid_until_ms != 0)
		printf("  until %s", dircli_time(k->valid_until_ms));
	if (k->revoked_at_ms != 0)
		printf("  REVOKED %s", dircli_time(k->revoked_at_ms));
	printf("\n");
}

static void
show_partner(const Liaison__V1__Partner *p)
{
	const char *st =
	    p->status == LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE ?
	    "active" : p->status ==
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED ? "SUSPENDED" :
	    "REVOKED";
	const ProtobufCEnumValue *kv = protobuf_c_enum_descriptor_get_value(
	    &liaison__v1__partner_kind__descriptor, (int) p->kind);

	printf("partner   %s (%s, version %llu)\n", p->id, st,
	    (unsigned long long) p->version);
	printf("name      %s\n", p->names->official);
	if (p->names->short_name != NULL)
		printf("short     %s\n", p->names->short_name);
	if (p->names->local != NULL)
		printf("local     %s\n", p->names->local);
	printf("kind      %s\n", kv != NULL ? kv->name : "?");
	printf("country   %s\n", p->country);
	printf("created   %s\n", dircli_time(p->created_ms));
	printf("updated   %s\n", dircli_time(p->updated_ms));
	printf("verified  %s\n", dircli_time(p->verified_at_ms));
	printf("keys\n");
	for (size_t i = 0; i < p->n_keys; i++)
		show_key(p->keys[i]);
	printf("units\n");
	for (size_t i = 0; i < p->n_units; i++) {
		const Liaison__V1__Unit *u = p->units[i];

		printf("  %-10s %s", u->unit_id, u->name);
		if (u->hours != NULL)
			printf("  hours: %s", u->hours);
		if (u->fallback_unit != NULL)
			printf("  fallback: %s", u->fallback_unit);
		printf("\n");
	}
	printf("contacts\n");
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];

		printf("  %-10s %s%s\n", c->contact_id, c->name,
		    c->is_24x7 ? "  [24/7]" : "");
		if (c->role != NULL)
			printf("             role: %s\n", c->role);
		if (c->unit_id != NULL)
			printf("             unit: %s\n", c->unit_id);
		if (c->email != NULL)
			printf("             email: %s\n", c->email);
		if (c->phone != NULL)
			printf("             phone: %s\n", c->phone);
		if (c->n_languages > 0) {
			printf("             languages:");
			for (size_t k = 0; k < c->n_languages; k++)
				printf(" %s", c->languages[k]);
			printf("\n");
		}
		if (c->time_zone != NULL)
			printf("             time zone: %s\n", c->time_zone);
		printf("             verified: %s\n",
		    dircli_time(c->verified_at_ms));
	}
	printf("groups   ");
	for (size_t i = 0; i < p->n_groups; i++)
		printf(" %s", p->groups[i]);
	printf("\n");
}

static int
dir_show(const struct dir_opts *o, const char *id)
{
	struct lsn_store	*st;
	struct lsn_dir		*d;
	Liaison__V1__Partner	*p = NULL;
	json_t			*j;
	int			 rv, ret;

	if ((ret = dircli_open("dir", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ret);
	rv = lsn_dir_partner_get(d, id, &p);
	if (rv == LSN_ENOENT) {
		cli_err("dir", "no partner '%s' in the directory", id);
		ret = CLI_EXIT_FAIL;
	} else if (rv != LSN_OK) {
		cli_err("dir", "%s", lsn_strerror(rv));
		ret = CLI_EXIT_FAIL;
	} else if (o->json) {
		if ((j = dircli_msg_json(&p->base)) == NULL)
			ret = CLI_EXIT_FAIL;
		else {
			cli_json_print(j);
			json_decref(j);
		}
	} else
		show_partner(p);
	lsn_dir_partner_free(&p);
	dircli_close(&st, &d);
	return (ret);
}

static int
dir_export(const struct dir_opts *o)
{
	struct lsn_store	*st;
	struct lsn_dir		*d;
	void			*out = NULL;
	char			*s = NULL;
	int			 rv, ret;

	if ((ret = dircli_open("dir", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ret);
	ret = CLI_EXIT_FAIL;
	if ((rv = lsn_dir_export_json(d, &out)) != LSN_OK) {
		cli_err("dir", "export: %s", lsn_strerror(rv));
		goto done;
	}
	if ((s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		cli_err("dir", "export: out of memory");
		goto done;
	}
	if (o->out == NULL) {
		printf("%s\n", s);
		ret = CLI_EXIT_OK;
	} else if ((rv = lsn_file_write_atomic(o->out, s, strlen(s),
	    0600)) != LSN_OK)
		cli_err("dir", "%s: %s", o->out, lsn_strerror(rv));
	else
		ret = CLI_EXIT_OK;
 done:
	free(s);
	json_decref(out);
	dircli_close(&st, &d);
	return (ret);
}

void
dircli_progress(const char *what, size_t i, size_t n)
{
	static int	tty = -1;
	size_t		step;

	if (n < DIRCLI_PROGRESS_MIN || i == 0 || i > n)
		return;
	if (tty == -1)
		tty = isatty(STDERR_FILENO);
	step = tty ? n / 100 : n / 4;
	if (step == 0)
		step = 1;
	if (i != n && i % step != 0)
		return;
	fprintf(stderr, tty ? "\r%s: %zu/%zu (%zu%%)" : "%s: %zu/%zu (%zu%%)\n",
	    what, i, n, i * 100 / n);
	if (tty && i == n)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
dir_import(const struct dir_opts *o, const char *file)
{
	struct lsn_dirop_batch	*b = NULL;
	json_t			*j = NULL;
	json_error_t		 jerr;
	uint8_t			*buf = NULL, *outb = NULL;
	size_t			 len, outlen;
	uint64_t		 now = 0;
	char			 why[LSN_DIR_WHY_MAX];
	int			 rv, ret = CLI_EXIT_FAIL;

	if (o->out == NULL) {
		cli_err("dir", "import needs --out FILE for the op batch");
		return (CLI_EXIT_USAGE);
	}
	if (o->now != NULL && dircli_parse_ms(o->now, &now) != LSN_OK) {
		cli_err("dir", "--now: a Unix time in ms, or \"now\"");
		return (CLI_EXIT_USAGE);
	}
	if ((rv = lsn_file_read(file, DIRCLI_FILE_MAX, &buf, &len)) !=
	    LSN_OK) {
		cli_err("dir", "%s: %s", file, lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	if ((j = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		cli_err("dir", "%s:%d:%d: %s", file, jerr.line, jerr.column,
		    jerr.text);
		goto done;
	}
	{
		size_t	np = json_array_size(json_object_get(j, "partners"));
		size_t	ng = json_array_size(json_object_get(j, "groups"));

		if (np + ng >= DIRCLI_PROGRESS_MIN)
			fprintf(stderr, "dir import: %zu partners and %zu "
			    "groups read from %s; building ops...\n", np, ng,
			    file);
	}
	if ((rv = lsn_dir_import_json(j, now, &b, why, sizeof(why))) !=
	    LSN_OK) {
		cli_err("dir", "%s: %s", file, why[0] != '\0' ? why :
		    lsn_strerror(rv));
		goto done;
	}
	if ((rv = lsn_dirop_batch_save(b, 0, &outb, &outlen)) != LSN_OK ||
	    (rv = lsn_file_write_atomic(o->out, outb, outlen, 0644)) !=
	    LSN_OK) {
		cli_err("dir", "%s: %s", o->out, lsn_strerror(rv));
		goto done;
	}
	printf("wrote %zu unsigned ops to %s\n", b->n, o->out);
	printf("next: liaison admin sign %s --key ADMIN.key (by enough "
	    "administrators for the sensitive threshold), then\n"
	    "      liaison admin apply %s --db FILE\n", o->out, o->out);
	ret = CLI_EXIT_OK;
 done:
	lsn_dirop_batch_free(&b);
	json_decref(j);
	free(buf);
	free(outb);
	return (ret);
}

static int
dir_verify(const struct dir_opts *o)
{
	struct lsn_store		*st;
	struct lsn_dir			*d;
	struct lsn_dir_verify_result	 res;
	uint8_t				 anchor[LSN_DIR_HASH_BYTES];
	char				 h1[2 * LSN_DIR_HASH_BYTES + 1];
	char				 h2[2 * LSN_DIR_HASH_BYTES + 1];
	char				 why[LSN_DIR_WHY_MAX];
	int				 rv, ret;

	if (o->trust != NULL && (strlen(o->trust) != 2 * LSN_DIR_HASH_BYTES ||
	    lsn_hex_decode(o->trust, anchor, sizeof(anchor)) != LSN_OK)) {
		cli_err("dir", "--trust-root: %d hex characters",
		    2 * LSN_DIR_HASH_BYTES);
		return (CLI_EXIT_USAGE);
	}
	if ((ret = dircli_open("dir", o->db, 0, &st, &d)) != CLI_EXIT_OK)
		return (ret);
	if (o->trust != NULL)
		lsn_dir_set_trust_anchor(d, anchor);
	why[0] = '\0';
	rv = lsn_dir_verify(d, &res, why, sizeof(why));
	lsn_hex_encode(res.head, sizeof(res.head), h1);
	lsn_hex_encode(res.digest, sizeof(res.digest), h2);
	if (rv == LSN_OK) {
		printf("rev %llu head %s digest %s\n",
		    (unsigned long long) res.rev, h1, h2);
		ret = CLI_EXIT_OK;
	} else if (res.bad_rev != 0) {
		cli_err("dir", "verify: bad entry at rev %llu: %s (%s); the "
		    "log verifies up to rev %llu", (unsigned long long)
		    res.bad_rev, why[0] != '\0' ? why : lsn_strerror(rv),
		    lsn_errname(rv), (unsigned long long) res.rev);
		ret = CLI_EXIT_FAIL;
	} else if (res.digest_mismatch) {
		cli_err("dir", "verify: the log verifies (rev %llu head %s) "
		    "but the stored state differs from it (replayed digest "
		    "%s)", (unsigned long long) res.rev, h1, h2);
		ret = CLI_EXIT_FAIL;
	} else {
		cli_err("dir", "verify: %s", why[0] != '\0' ? why :
		    lsn_strerror(rv));
		ret = CLI_EXIT_FAIL;
	}
	dircli_close(&st, &d);
	return (ret);
}

int
cmd_dir(int argc, char *argv[])
{
	struct dir_opts	 o;
	const char	*sub;
	int		 first, ret, npos;

	if (argc < 2 || cli_wants_help(argc, argv)) {
		dir_usage(argc < 2 ? stderr : stdout);
		return (argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK);
	}
	sub = argv[1];
	if ((ret = dir_parse(argc - 1, argv + 1, &o, &first)) != CLI_EXIT_OK) {
		dir_usage(stderr);
		return (ret);
	}
	npos = argc - 1 - first;	/* positional args after the verb */
	if (strcmp(sub, "list") == 0 && npos == 0)
		return (dir_list(&o, NULL));
	if (strcmp(sub, "search") == 0 && npos == 1)
		return (dir_list(&o, argv[1 + first]));
	if (strcmp(sub, "show") == 0 && npos == 1)
		return (dir_show(&o, argv[1 + first]));
	if (strcmp(sub, "export") == 0 && npos == 0)
		return (dir_export(&o));
	if (strcmp(sub, "import") == 0 && npos == 1)
		return (dir_import(&o, argv[1 + first]));
	if (strcmp(sub, "verify") == 0 && npos == 0)
		return (dir_verify(&o));
	cli_err("dir", "unknown subcommand or wrong arguments: %s", sub);
	dir_usage(stderr);
	return (CLI_EXIT_USAGE);
}
