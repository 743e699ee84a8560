/*
 * dir_json_import.c -- import of a JSON directory (shaped like the export
 * of dir_json.c) as a batch of unsigned ops (jansson): the groups, each
 * partner's AddPartner with its keys, units and contacts, then the keys
 * revoked, contacts confirmed, members added and statuses set. The
 * strings in the ops stay the document's; the batch is the caller's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/dir.h"
#include "liaison/keys.h"
#include "liaison/util.h"
#include "dir_int.h"

struct imp {
	uint64_t		 now;
	struct lsn_dirop_batch	*b;
	char			*why;
	size_t			 whysz;
	char			 where[160];
};

/* Optional string member; NULL if absent or null. -1 if not a string. */
static int
get_str(struct imp *im, const json_t *o, const char *k, const char **out)
{
	const json_t	*v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v)) {
		dir_why(im->why, im->whysz, "%s.%s: must be a string",
		    im->where, k);
		return (-1);
	}
	*out = json_string_value(v);
	return (0);
}

/* get_str into a protobuf-c char * field (the string stays jansson's). */
static int
get_strm(struct imp *im, const json_t *o, const char *k, char **out)
{
	const char	*v;
	int		 rv;

	rv = get_str(im, o, k, &v);
	*out = (char *) (uintptr_t) v;
	return (rv);
}

static int
get_u64(struct imp *im, const json_t *o, const char *k, uint64_t *out)
{
	const json_t	*v = json_object_get(o, k);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t) json_integer_value(v) > LSN_DIR_TIME_MAX) {
		dir_why(im->why, im->whysz, "%s.%s: must be a non-negative "
		    "integer", im->where, k);
		return (-1);
	}
	*out = (uint64_t) json_integer_value(v);
	return (0);
}

static int
get_strings(struct imp *im, const json_t *o, const char *k,
    const char ***out, size_t *n)
{
	const json_t	*v = json_object_get(o, k);
	const char	**arr;
	size_t		  cnt;

	*out = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_array(v) ||
	    json_array_size(v) > LSN_DIROP_BATCH_OPS_MAX) {
		dir_why(im->why, im->whysz, "%s.%s: must be an array of "
		    "strings", im->where, k);
		return (-1);
	}
	cnt = json_array_size(v);
	if (cnt == 0)
		return (0);
	if ((arr = calloc(cnt, sizeof(*arr))) == NULL)
		return (-1);
	for (size_t i = 0; i < cnt; i++) {
		const json_t *s = json_array_get(v, i);

		if (!json_is_string(s)) {
			free(arr);
			dir_why(im->why, im->whysz, "%s.%s[%zu]: must be a "
			    "string", im->where, k, i);
			return (-1);
		}
		arr[i] = json_string_value(s);
	}
	*out = arr;
	*n = cnt;
	return (0);
}

/* Packs op (author admin, created now) and appends it to the batch. */
static int
emit(struct imp *im, Liaison__V1__DirOp *op, uint64_t exp)
{
	uint8_t	*buf;
	size_t	 len;
	char	 why[LSN_DIR_WHY_MAX];
	int	 rv;

	op->author = (char *) (uintptr_t) LSN_DIR_AUTHOR_ADMIN;
	op->has_created_ms = 1;
	op->created_ms = im->now;
	op->has_expected_version = 1;
	op->expected_version = exp;
	if ((rv = lsn_dirop_new(op, &buf, &len, why, sizeof(why))) != LSN_OK) {
		dir_why(im->why, im->whysz, "%s: %s", im->where, why);
		return (rv);
	}
	rv = lsn_dirop_batch_add(im->b, buf, len);
	free(buf);
	return (rv);
}

static int
parse_key(struct imp *im, const json_t *kj, Liaison__V1__KeyRecord *k,
    uint8_t pk[LSN_PK_BYTES], char kid[LSN_KEYID_HEXLEN + 1],
    uint64_t *revoked)
{
	const char	*purpose, *hex, *given;
	int		 pv;

	if (!json_is_object(kj)) {
		dir_why(im->why, im->whysz, "%s: key must be an object",
		    im->where);
		return (LSN_EINVAL);
	}
	if (get_str(im, kj, "purpose", &purpose) != 0 ||
	    get_str(im, kj, "public_key", &hex) != 0 ||
	    get_str(im, kj, "key_id", &given) != 0 ||
	    get_u64(im, kj, "valid_from_ms", &k->valid_from_ms) != 0 ||
	    get_u64(im, kj, "valid_until_ms", &k->valid_until_ms) != 0 ||
	    get_u64(im, kj, "revoked_at_ms", revoked) != 0)
		return (LSN_EINVAL);
	if (dir_purpose_parse(purpose, &pv) != LSN_OK) {
		dir_why(im->why, im->whysz, "%s: key purpose must be sign, "
		    "encrypt or transport", im->where);
		return (LSN_EINVAL);
	}
	if (hex == NULL || strlen(hex) != 2 * LSN_PK_BYTES ||
	    lsn_hex_decode(hex, pk, LSN_PK_BYTES) != LSN_OK) {
		dir_why(im->why, im->whysz, "%s: public_key must be %d hex "
		    "characters", im->where, 2 * LSN_PK_BYTES);
		return (LSN_EINVAL);
	}
	lsn_key_id(pk, kid);
	if (given != NULL && strcmp(given, kid) != 0) {
		dir_why(im->why, im->whysz, "%s: key_id %s does not match the "
		    "public key (%s)", im->where, given, kid);
		return (LSN_EINVAL);
	}
	k->key_id = kid;
	k->has_purpose = 1;
	k->purpose = (Liaison__V1__KeyPurpose) pv;
	k->has_public_key = 1;
	k->public_key.data = pk;
	k->public_key.len = LSN_PK_BYTES;
	k->has_valid_from_ms = k->valid_from_ms != 0;
	k->has_valid_until_ms = k->valid_until_ms != 0;
	return (LSN_OK);
}

/* Per-partner scratch for building its AddPartner op. */
struct imp_partner {
	Liaison__V1__Partner		 p;
	Liaison__V1__PartnerNames	 names;
	Liaison__V1__KeyRecord		*keys;
	Liaison__V1__KeyRecord		**keyp;
	uint8_t				(*pks)[LSN_PK_BYTES];
	char				(*kids)[LSN_KEYID_HEXLEN + 1];
	uint64_t			*revoked;
	Liaison__V1__Unit		*units;
	Liaison__V1__Unit		**unitp;
	Liaison__V1__Contact		*contacts;
	Liaison__V1__Contact		**contactp;
	const char			***langs;
	uint64_t			*verified;
};

static void
imp_partner_free(struct imp_partner *ip)
{
	if (ip->langs != NULL)
		for (size_t i = 0; i < ip->p.n_contacts; i++)
			free(ip->langs[i]);
	free(ip->keys);
	free(ip->keyp);
	free(ip->pks);
	free(ip->kids);
	free(ip->revoked);
	free(ip->units);
	free(ip->unitp);
	free(ip->contacts);
	free(ip->contactp);
	free(ip->langs);
	free(ip->verified);
}

static int
arr_len(struct imp *im, const json_t *o, const char *k, size_t max,
    const json_t **arr, size_t *n)
{
	const json_t *v = json_object_get(o, k);

	*arr = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_array(v) || json_array_size(v) > max) {
		dir_why(im->why, im->whysz, "%s.%s: must be an array of at "
		    "most %zu entries", im->where, k, max);
		return (-1);
	}
	*arr = v;
	*n = json_array_size(v);
	return (0);
}

/* Allocates ip's arrays for nk keys, nu units and nc contacts. */
static int
imp_partner_alloc(struct imp_partner *ip, size_t nk, size_t nu, size_t nc)
{
	if ((nk > 0 && ((ip->keys = calloc(nk, sizeof(*ip->keys))) == NULL ||
	    (ip->keyp = calloc(nk, sizeof(*ip->keyp))) == NULL ||
	    (ip->pks = calloc(nk, sizeof(*ip->pks))) == NULL ||
	    (ip->kids = calloc(nk, sizeof(*ip->kids))) == NULL ||
	    (ip->revoked = calloc(nk, sizeof(*ip->revoked))) == NULL)) ||
	    (nu > 0 && ((ip->units = calloc(nu, sizeof(*ip->units))) ==
	    NULL ||
	    (ip->unitp = calloc(nu, sizeof(*ip->unitp))) == NULL)) ||
	    (nc > 0 && ((ip->contacts = calloc(nc,
	    sizeof(*ip->contacts))) == NULL ||
	    (ip->contactp = calloc(nc, sizeof(*ip->contactp))) == NULL ||
	    (ip->langs = calloc(nc, sizeof(*ip->langs))) == NULL ||
	    (ip->verified = calloc(nc, sizeof(*ip->verified))) == NULL)))
		return (LSN_ENOMEM);
	return (LSN_OK);
}

/* Unit i of a partner; the strings stay the document's. */
static int
parse_unit(struct imp *im, const json_t *uj, Liaison__V1__Unit *u,
    size_t i)
{
	liaison__v1__unit__init(u);
	if (!json_is_object(uj) ||
	    get_strm(im, uj, "unit_id", &u->unit_id) ||
	    get_strm(im, uj, "name", &u->name) ||
	    get_strm(im, uj, "hours", &u->hours) ||
	    get_strm(im, uj, "fallback_unit", &u->fallback_unit)) {
		dir_why(im->why, im->whysz, "%s: unit %zu is malformed",
		    im->where, i + 1);
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/*
 * Contact i of a partner, with its verification time and languages
 * (*langs is ours to free, imp_partner_free, even on failure).
 */
static int
parse_contact(struct imp *im, const json_t *cj, Liaison__V1__Contact *c,
    uint64_t *verified, const char ***langs, size_t i)
{
	const json_t	*b;

	liaison__v1__contact__init(c);
	if (!json_is_object(cj) ||
	    get_strm(im, cj, "contact_id", &c->contact_id) ||
	    get_strm(im, cj, "name", &c->name) ||
	    get_strm(im, cj, "role", &c->role) ||
	    get_strm(im, cj, "unit_id", &c->unit_id) ||
	    get_strm(im, cj, "email", &c->email) ||
	    get_strm(im, cj, "phone", &c->phone) ||
	    get_strm(im, cj, "time_zone", &c->time_zone) ||
	    get_u64(im, cj, "verified_at_ms", verified) ||
	    get_strings(im, cj, "languages", langs, &c->n_languages)) {
		dir_why(im->why, im->whysz, "%s: contact %zu is malformed",
		    im->where, i + 1);
		return (LSN_EINVAL);
	}
	c->languages = (char **) (uintptr_t) *langs;
	b = json_object_get(cj, "is_24x7");
	if (b != NULL && !json_is_boolean(b)) {
		dir_why(im->why, im->whysz, "%s: contact %zu: is_24x7 must be "
		    "true or false", im->where, i + 1);
		return (LSN_EINVAL);
	}
	c->has_is_24x7 = 1;
	c->is_24x7 = b != NULL && json_is_true(b);
	return (LSN_OK);
}

/*
 * The ops of one partner: AddPartner, then a RevokeKey per revoked key and
 * a ConfirmContact per verified contact, at consecutive versions; *ver is
 * the version after them, for a later SetStatus.
 */
static int
emit_partner(struct imp *im, struct imp_partner *ip, size_t nk, size_t nc,
    uint64_t *ver)
{
	Liaison__V1__AddPartner	 ap = LIAISON__V1__ADD_PARTNER__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint64_t		 v = 0;
	int			 rv;

	ap.partner = &ip->p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
	op.add_partner = &ap;
	if ((rv = emit(im, &op, v++)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < nk; i++) {
		Liaison__V1__RevokeKey	rk = LIAISON__V1__REVOKE_KEY__INIT;
		Liaison__V1__DirOp	o2 = LIAISON__V1__DIR_OP__INIT;

		if (ip->revoked[i] == 0)
			continue;
		rk.partner_id = ip->p.id;
		rk.key_id = ip->kids[i];
		rk.has_revoked_at_ms = 1;
		rk.revoked_at_ms = ip->revoked[i];
		o2.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
		o2.revoke_key = &rk;
		if ((rv = emit(im, &o2, v++)) != LSN_OK)
			return (rv);
	}
	for (size_t i = 0; i < nc; i++) {
		Liaison__V1__ConfirmContact	cc =
		    LIAISON__V1__CONFIRM_CONTACT__INIT;
		Liaison__V1__DirOp		o2 = LIAISON__V1__DIR_OP__INIT;

		if (ip->verified[i] == 0)
			continue;
		cc.partner_id = ip->p.id;
		cc.contact_id = ip->contacts[i].contact_id;
		cc.has_verified_at_ms = 1;
		cc.verified_at_ms = ip->verified[i];
		o2.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
		o2.confirm_contact = &cc;
		if ((rv = emit(im, &o2, v++)) != LSN_OK)
			return (rv);
	}
	*ver = v;
	return (LSN_OK);
}

/* A partner's names, kind and status (active when st is NULL). */
static int
parse_names_kind(struct imp *im, const json_t *pj, struct imp_partner *ip,
    const char *kind, const char *st, int *status)
{
	const json_t	*names;
	const char	*official = NULL, *shrt = NULL, *local = NULL;
	int		 kv;

	names = json_object_get(pj, "names");
	if (names != NULL && !json_is_object(names)) {
		dir_why(im->why, im->whysz, "%s: names must be an object",
		    im->where);
		return (LSN_EINVAL);
	}
	if (names != NULL && (get_str(im, names, "official", &official) != 0 ||
	    get_str(im, names, "short", &shrt) != 0 ||
	    get_str(im, names, "local", &local) != 0))
		return (LSN_EINVAL);
	ip->names.official = (char *) (uintptr_t) official;
	ip->names.short_name = (char *) (uintptr_t) shrt;
	ip->names.local = (char *) (uintptr_t) local;
	ip->p.names = &ip->names;
	if (dir_kind_parse(kind, &kv) != LSN_OK) {
		dir_why(im->why, im->whysz, "%s: kind must be one of "
		    "law_enforcement, international_org, hotline, ngo, "
		    "private_sector, government", im->where);
		return (LSN_EINVAL);
	}
	ip->p.has_kind = 1;
	ip->p.kind = (Liaison__V1__PartnerKind) kv;
	*status = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
	if (st != NULL && dir_status_parse(st, status) != LSN_OK) {
		dir_why(im->why, im->whysz, "%s: status must be active, "
		    "suspended or revoked", im->where);
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/*
 * One partner of the document: its AddPartner op and the ops that follow
 * it (emit_partner); *id, *status and *ver for the SetStatus at the end,
 * *pgroups (ours to free) the groups it names.
 */
static int
import_partner(struct imp *im, const json_t *pj, int *status, uint64_t *ver,
    const char **id, const char ***pgroups, size_t *npgroups)
{
	struct imp_partner	 ip;
	const json_t		*keys, *units, *contacts;
	const char		*kind, *st;
	size_t			 nk, nu, nc;
	int			 rv = LSN_EINVAL;

	memset(&ip, 0, sizeof(ip));
	liaison__v1__partner__init(&ip.p);
	liaison__v1__partner_names__init(&ip.names);
	*pgroups = NULL;
	*npgroups = 0;
	if (!json_is_object(pj)) {
		dir_why(im->why, im->whysz, "%s: must be an object",
		    im->where);
		return (LSN_EINVAL);
	}
	if (get_str(im, pj, "id", id) != 0 ||
	    get_str(im, pj, "kind", &kind) != 0 ||
	    get_strm(im, pj, "country", &ip.p.country) != 0 ||
	    get_str(im, pj, "status", &st) != 0)
		goto out;
	if (*id == NULL) {
		dir_why(im->why, im->whysz, "%s: id missing", im->where);
		goto out;
	}
	(void) snprintf(im->where, sizeof(im->where), "partner %.63s", *id);
	ip.p.id = (char *) (uintptr_t) *id;
	if (parse_names_kind(im, pj, &ip, kind, st, status) != LSN_OK)
		goto out;
	if (arr_len(im, pj, "keys", LSN_DIR_KEYS_MAX, &keys, &nk) != 0 ||
	    arr_len(im, pj, "units", LSN_DIR_UNITS_MAX, &units, &nu) != 0 ||
	    arr_len(im, pj, "contacts", LSN_DIR_CONTACTS_MAX, &contacts,
	    &nc) != 0)
		goto out;
	if ((rv = imp_partner_alloc(&ip, nk, nu, nc)) != LSN_OK)
		goto out;
	rv = LSN_EINVAL;
	for (size_t i = 0; i < nk; i++) {
		liaison__v1__key_record__init(&ip.keys[i]);
		if ((rv = parse_key(im, json_array_get(keys, i), &ip.keys[i],
		    ip.pks[i], ip.kids[i], &ip.revoked[i])) != LSN_OK)
			goto out;
		ip.keyp[i] = &ip.keys[i];
		ip.p.n_keys++;
	}
	ip.p.keys = ip.keyp;
	for (size_t i = 0; i < nu; i++) {
		if ((rv = parse_unit(im, json_array_get(units, i),
		    &ip.units[i], i)) != LSN_OK)
			goto out;
		ip.unitp[i] = &ip.units[i];
		ip.p.n_units++;
	}
	ip.p.units = ip.unitp;
	for (size_t i = 0; i < nc; i++) {
		ip.contactp[i] = &ip.contacts[i];
		ip.p.n_contacts++;
		if ((rv = parse_contact(im, json_array_get(contacts, i),
		    &ip.contacts[i], &ip.verified[i], &ip.langs[i], i)) !=
		    LSN_OK)
			goto out;
	}
	ip.p.contacts = ip.contactp;
	if (get_strings(im, pj, "groups", pgroups, npgroups) != 0) {
		rv = LSN_EINVAL;
		goto out;
	}
	rv = emit_partner(im, &ip, nk, nc, ver);
 out:
	if (rv != LSN_OK) {
		free(*pgroups);
		*pgroups = NULL;
	}
	imp_partner_free(&ip);
	return (rv);
}

struct imp_group {
	const char	 *name;
	const char	 *desc;
	const char	**members;
	size_t		  n;
};

static struct imp_group *
group_find(struct imp_group *g, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return (&g[i]);
	return (NULL);
}

static int
group_add_member(struct imp_group *g, const char *m)
{
	const char	**nm;

	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->members[i], m) == 0)
			return (LSN_OK);
	if ((nm = realloc(g->members, (g->n + 1) * sizeof(*nm))) == NULL)
		return (LSN_ENOMEM);
	nm[g->n++] = m;
	g->members = nm;
	return (LSN_OK);
}

static int
group_new(struct imp_group **gs, size_t *n, const char *name,
    const char *desc, struct imp_group **out)
{
	struct imp_group	*ng;

	if ((ng = realloc(*gs, (*n + 1) * sizeof(*ng))) == NULL)
		return (LSN_ENOMEM);
	*gs = ng;
	memset(&ng[*n], 0, sizeof(ng[*n]));
	ng[*n].name = name;
	ng[*n].desc = desc;
	*out = &ng[*n];
	(*n)++;
	return (LSN_OK);
}

/* Reads the groups listed at the top level, with their members, into gs. */
static int
import_groups(struct imp *im, const json_t *groups, size_t ng,
    struct imp_group **gs, size_t *ngs)
{
	struct imp_group	*g;
	int			 rv = LSN_OK;

	for (size_t i = 0; i < ng; i++) {
		const json_t	 *gj = json_array_get(groups, i);
		const char	 *name, *desc, **mem;
		size_t		  nm;

		(void) snprintf(im->where, sizeof(im->where), "groups[%zu]",
		    i);
		if (!json_is_object(gj) || get_str(im, gj, "name", &name) ||
		    get_str(im, gj, "description", &desc) ||
		    get_strings(im, gj, "members", &mem, &nm)) {
			dir_why(im->why, im->whysz, "%s: malformed group",
			    im->where);
			return (LSN_EINVAL);
		}
		if (name == NULL) {
			free(mem);
			dir_why(im->why, im->whysz, "%s: name missing",
			    im->where);
			return (LSN_EINVAL);
		}
		if ((g = group_find(*gs, *ngs, name)) == NULL &&
		    (rv = group_new(gs, ngs, name, desc, &g)) != LSN_OK) {
			free(mem);
			return (rv);
		}
		for (size_t j = 0; j < nm; j++)
			if ((rv = group_add_member(g, mem[j])) != LSN_OK) {
				free(mem);
				return (rv);
			}
		free(mem);
	}
	return (rv);
}

/* A CreateGroup op per group, then an AddMember per member. */
static int
emit_groups(struct imp *im, const struct imp_group *gs, size_t ngs)
{
	int	rv;

	for (size_t i = 0; i < ngs; i++) {
		Liaison__V1__CreateGroup	cg =
		    LIAISON__V1__CREATE_GROUP__INIT;
		Liaison__V1__DirOp		op = LIAISON__V1__DIR_OP__INIT;
		uint64_t			v = 0;

		(void) snprintf(im->where, sizeof(im->where), "group %.63s",
		    gs[i].name);
		cg.name = (char *) (uintptr_t) gs[i].name;
		cg.description = (char *) (uintptr_t) gs[i].desc;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
		op.create_group = &cg;
		if ((rv = emit(im, &op, v++)) != LSN_OK)
			return (rv);
		for (size_t j = 0; j < gs[i].n; j++) {
			Liaison__V1__AddMember	am =
			    LIAISON__V1__ADD_MEMBER__INIT;
			Liaison__V1__DirOp	o2 = LIAISON__V1__DIR_OP__INIT;

			am.group = cg.name;
			am.partner_id = (char *) (uintptr_t) gs[i].members[j];
			o2.action_case =
			    LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
			o2.add_member = &am;
			if ((rv = emit(im, &o2, v++)) != LSN_OK)
				return (rv);
		}
	}
	return (LSN_OK);
}

/* A SetStatus op for each partner not active, after its other ops. */
static int
emit_statuses(struct imp *im, const char **ids, const int *sts,
    const uint64_t *vers, size_t np)
{
	int	rv;

	for (size_t i = 0; i < np; i++) {
		Liaison__V1__SetStatus	ss = LIAISON__V1__SET_STATUS__INIT;
		Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;
		int			st = sts[i];

		if (st == LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
			continue;
		(void) snprintf(im->where, sizeof(im->where), "partner %.63s",
		    ids[i]);
		ss.partner_id = (char *) (uintptr_t) ids[i];
		ss.has_status = 1;
		ss.status = (Liaison__V1__PartnerStatus) st;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
		op.set_status = &ss;
		if ((rv = emit(im, &op, vers[i])) != LSN_OK)
			return (rv);
	}
	return (LSN_OK);
}

int
lsn_dir_import_json(const void *json, uint64_t now_ms,
    struct lsn_dirop_batch **out, char *why, size_t whysz)
{
	const json_t		 *root = json, *parts, *groups;
	struct imp		  im;
	struct imp_group	 *gs = NULL, *g;
	const char		**ids = NULL;
	int			 *sts = NULL;
	uint64_t		 *vers = NULL;
	size_t			  np, ng, ngs = 0;
	int			  rv = LSN_EINVAL;

	memset(&im, 0, sizeof(im));
	im.now = now_ms == 0 ? lsn_now_ms() : now_ms;
	im.why = why;
	im.whysz = whysz;
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (root == NULL || out == NULL || !json_is_object(root)) {
		dir_why(why, whysz, "the document must be a JSON object");
		return (LSN_EINVAL);
	}
	lsn_strlcpy(im.where, "document", sizeof(im.where));
	if (arr_len(&im, root, "partners", LSN_DIROP_BATCH_OPS_MAX, &parts,
	    &np) != 0 ||
	    arr_len(&im, root, "groups", LSN_DIROP_BATCH_OPS_MAX, &groups,
	    &ng) != 0)
		return (LSN_EINVAL);
	if ((rv = lsn_dirop_batch_new(&im.b)) != LSN_OK)
		return (rv);
	rv = LSN_ENOMEM;
	if (np > 0 && ((ids = calloc(np, sizeof(*ids))) == NULL ||
	    (sts = calloc(np, sizeof(*sts))) == NULL ||
	    (vers = calloc(np, sizeof(*vers))) == NULL))
		goto out;
	if ((rv = import_groups(&im, groups, ng, &gs, &ngs)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < np; i++) {
		const char	**pg;
		size_t		  npg;

		(void) snprintf(im.where, sizeof(im.where), "partners[%zu]",
		    i);
		if ((rv = import_partner(&im, json_array_get(parts, i),
		    &sts[i], &vers[i], &ids[i], &pg, &npg)) != LSN_OK)
			goto out;
		for (size_t j = 0; j < npg; j++) {
			if ((g = group_find(gs, ngs, pg[j])) == NULL &&
			    (rv = group_new(&gs, &ngs, pg[j], NULL, &g)) !=
			    LSN_OK)
				break;
			if ((rv = group_add_member(g, ids[i])) != LSN_OK)
				break;
		}
		free(pg);
		if (rv != LSN_OK)
			goto out;
	}
	if ((rv = emit_groups(&im, gs, ngs)) != LSN_OK ||
	    (rv = emit_statuses(&im, ids, sts, vers, np)) != LSN_OK)
		goto out;
	*out = im.b;
	im.b = NULL;
	rv = LSN_OK;
 out:
	for (size_t i = 0; i < ngs; i++)
		free(gs[i].members);
	free(gs);
	free(ids);
	free(sts);
	free(vers);
	lsn_dirop_batch_free(&im.b);
	return (rv);
}
