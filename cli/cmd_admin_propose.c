/*
 * cmd_admin_propose.c -- liaison admin propose ACTION: one directory op
 * built from the options (keys, units, contacts, groups, root policy), its
 * expected version read from --db, written to --out (split from
 * cmd_admin.c).
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
		    admin_opt_name(bit));
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
		if ((ret = admin_load_pub("add-partner", file, i + 1, NULL, pk,
		    NULL)) != CLI_EXIT_OK)
			return (ret);
		if ((pb->keys[pb->p.n_keys] = admin_keyrec_new(pk, i + 1, from,
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

/* Over 80 lines: one case per admin action, each filling its op. */
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

		if ((ret = admin_load_pub("add-key", o->v[O_PUB], 0, &kind, pk,
		    NULL)) != CLI_EXIT_OK ||
		    (ret = parse_ms_opt(o, O_FROM, lsn_now_ms(), &t)) !=
		    CLI_EXIT_OK ||
		    (ret = parse_ms_opt(o, O_VUNTIL, 0, &until)) !=
		    CLI_EXIT_OK)
			return (ret);
		pb->ak.partner_id = S(id);
		if ((pb->ak.key = admin_keyrec_new(pk, kind, t, until)) == NULL)
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

/* Over 80 lines: options, the action's checks, the op written. */
int
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
	for (a = admin_actions; a->name != NULL; a++)
		if (strcmp(a->name, argv[o.first]) == 0)
			break;
	if (a->name == NULL) {
		cli_err("admin", "propose: unknown action '%s' (see liaison "
		    "admin --help)", argv[o.first]);
		return (CLI_EXIT_USAGE);
	}
	if ((ret = admin_check_opts(a->name, &o, a->req | B(O_OUT),
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
		if ((ret = admin_build_policy("replace-root", &o, ver,
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
	ret = admin_emit_op(a->name, &o, &pb.op, d);
 out:
	pbuild_free(&pb);
	dircli_close(&st, &d);
	return (ret);
}
