/*
 * dir_json.c -- JSON export of the whole directory (jansson): head, root
 * policy, partners with their keys, units and contacts, and groups. The
 * document returned is the caller's (json_decref). The import of such a
 * document is in dir_json_import.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/dir.h"
#include "liaison/keys.h"
#include "liaison/util.h"
#include "dir_int.h"

#define ULL(x)	((unsigned long long) (x))

static int
set_str(json_t *o, const char *k, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return (0);
	return (json_object_set_new(o, k, json_string(v)));
}

static int
set_u64(json_t *o, const char *k, uint64_t v)
{
	if (v > LSN_DIR_TIME_MAX)
		v = LSN_DIR_TIME_MAX;
	return (json_object_set_new(o, k, json_integer((json_int_t) v)));
}

static int
set_hex(json_t *o, const char *k, const uint8_t *p, size_t len)
{
	char	hex[2 * 64 + 1];

	if (len > 64)
		return (-1);
	lsn_hex_encode(p, len, hex);
	return (json_object_set_new(o, k, json_string(hex)));
}

static json_t *
key_json(const Liaison__V1__KeyRecord *k)
{
	json_t	*o = json_object();
	int	 e = 0;

	if (o == NULL)
		return (NULL);
	e |= set_str(o, "key_id", k->key_id);
	e |= set_str(o, "purpose", dir_purpose_name((int) k->purpose));
	e |= set_hex(o, "public_key", k->public_key.data, k->public_key.len);
	if (k->valid_from_ms != 0)
		e |= set_u64(o, "valid_from_ms", k->valid_from_ms);
	if (k->valid_until_ms != 0)
		e |= set_u64(o, "valid_until_ms", k->valid_until_ms);
	if (k->revoked_at_ms != 0)
		e |= set_u64(o, "revoked_at_ms", k->revoked_at_ms);
	if (e != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

static json_t *
strings_json(char **v, size_t n)
{
	json_t	*a = json_array();

	if (a == NULL)
		return (NULL);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}

static json_t *
partner_json(const Liaison__V1__Partner *p)
{
	json_t	*o = json_object(), *names = json_object();
	json_t	*keys = json_array(), *units = json_array();
	json_t	*contacts = json_array();
	int	 e = 0;

	if (o == NULL || names == NULL || keys == NULL || units == NULL ||
	    contacts == NULL)
		goto fail;
	e |= set_str(o, "id", p->id);
	e |= set_str(names, "official", p->names->official);
	e |= set_str(names, "short", p->names->short_name);
	e |= set_str(names, "local", p->names->local);
	e |= json_object_set(o, "names", names);
	e |= set_str(o, "kind", dir_kind_name((int) p->kind));
	e |= set_str(o, "country", p->country);
	e |= set_str(o, "status", dir_status_name((int) p->status));
	e |= set_u64(o, "version", p->version);
	e |= set_u64(o, "created_ms", p->created_ms);
	e |= set_u64(o, "updated_ms", p->updated_ms);
	if (p->verified_at_ms != 0)
		e |= set_u64(o, "verified_at_ms", p->verified_at_ms);
	for (size_t i = 0; i < p->n_keys; i++)
		e |= json_array_append_new(keys, key_json(p->keys[i]));
	e |= json_object_set(o, "keys", keys);
	for (size_t i = 0; i < p->n_units; i++) {
		const Liaison__V1__Unit	*u = p->units[i];
		json_t			*uo = json_object();

		if (uo == NULL)
			goto fail;
		e |= set_str(uo, "unit_id", u->unit_id);
		e |= set_str(uo, "name", u->name);
		e |= set_str(uo, "hours", u->hours);
		e |= set_str(uo, "fallback_unit", u->fallback_unit);
		e |= json_array_append_new(units, uo);
	}
	e |= json_object_set(o, "units", units);
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact	*c = p->contacts[i];
		json_t				*co = json_object();

		if (co == NULL)
			goto fail;
		e |= set_str(co, "contact_id", c->contact_id);
		e |= set_str(co, "name", c->name);
		e |= set_str(co, "role", c->role);
		e |= set_str(co, "unit_id", c->unit_id);
		e |= set_str(co, "email", c->email);
		e |= set_str(co, "phone", c->phone);
		e |= json_object_set_new(co, "is_24x7",
		    json_boolean(c->is_24x7));
		e |= json_object_set_new(co, "languages",
		    strings_json(c->languages, c->n_languages));
		e |= set_str(co, "time_zone", c->time_zone);
		if (c->verified_at_ms != 0)
			e |= set_u64(co, "verified_at_ms", c->verified_at_ms);
		e |= set_u64(co, "updated_ms", c->updated_ms);
		e |= json_array_append_new(contacts, co);
	}
	e |= json_object_set(o, "contacts", contacts);
	e |= json_object_set_new(o, "groups",
	    strings_json(p->groups, p->n_groups));
	if (e != 0)
		goto fail;
	json_decref(names);
	json_decref(keys);
	json_decref(units);
	json_decref(contacts);
	return (o);
 fail:
	json_decref(names);
	json_decref(keys);
	json_decref(units);
	json_decref(contacts);
	json_decref(o);
	return (NULL);
}

static int
export_partner(void *arg, const Liaison__V1__Partner *p)
{
	json_t	*j;

	if ((j = partner_json(p)) == NULL)
		return (LSN_ENOMEM);
	if (json_array_append_new(arg, j) != 0)
		return (LSN_ENOMEM);
	return (0);
}

struct export_groups {
	struct lsn_dir	*d;
	json_t		*arr;
};

static int
export_group(void *arg, const char *name)
{
	struct export_groups	*eg = arg;
	Liaison__V1__Group	*g;
	json_t			*o;
	int			 rv, e = 0;

	if ((rv = lsn_dir_group_get(eg->d, name, &g)) != LSN_OK)
		return (rv);
	if ((o = json_object()) == NULL) {
		lsn_dir_group_free(&g);
		return (LSN_ENOMEM);
	}
	e |= set_str(o, "name", g->name);
	e |= set_str(o, "description", g->description);
	e |= set_u64(o, "version", g->version);
	e |= json_object_set_new(o, "members",
	    strings_json(g->members, g->n_members));
	lsn_dir_group_free(&g);
	if (e != 0 || json_array_append_new(eg->arr, o) != 0)
		return (LSN_ENOMEM);
	return (0);
}

static json_t *
root_json(const Liaison__V1__RootPolicy *p)
{
	json_t	*o = json_object(), *admins = json_array();
	json_t	*th = json_object();
	int	 e = 0;

	if (o == NULL || admins == NULL || th == NULL)
		goto fail;
	e |= set_u64(o, "version", p->version);
	for (size_t i = 0; i < p->n_admins; i++) {
		json_t *a = json_object();

		if (a == NULL)
			goto fail;
		e |= set_str(a, "name", p->admins[i]->name);
		e |= json_object_set_new(a, "key",
		    key_json(p->admins[i]->key));
		e |= json_array_append_new(admins, a);
	}
	e |= json_object_set(o, "admins", admins);
	for (int c = LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE;
	    c <= LIAISON__V1__ACTION_CLASS__CLASS_ROOT; c++)
		e |= set_u64(th, lsn_dir_class_name(c),
		    dir_policy_threshold(p, c));
	e |= json_object_set(o, "thresholds", th);
	if (p->sequencer_key != NULL)
		e |= json_object_set_new(o, "sequencer_key",
		    key_json(p->sequencer_key));
	if (e != 0)
		goto fail;
	json_decref(admins);
	json_decref(th);
	return (o);
 fail:
	json_decref(admins);
	json_decref(th);
	json_decref(o);
	return (NULL);
}

int
lsn_dir_export_json(struct lsn_dir *d, void **out)
{
	struct export_groups	 eg;
	Liaison__V1__RootPolicy	*root = NULL;
	json_t			*o = NULL, *head = NULL, *parts = NULL;
	json_t			*groups = NULL, *rj;
	uint8_t			 h[LSN_DIR_HASH_BYTES], dg[LSN_DIR_HASH_BYTES];
	uint8_t			 cdg[LSN_DIR_HASH_BYTES];
	uint64_t		 rev;
	int			 rv, e = 0;

	if (d == NULL || out == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_head(d, &rev, h)) != LSN_OK ||
	    (rv = lsn_dir_digest(d, dg)) != LSN_OK ||
	    (rv = lsn_dir_content_digest(d, cdg)) != LSN_OK ||
	    (rv = dir_root_load(d, &root)) != LSN_OK)
		goto out;
	rv = LSN_ENOMEM;
	if ((o = json_object()) == NULL || (head = json_object()) == NULL ||
	    (parts = json_array()) == NULL || (groups = json_array()) == NULL)
		goto out;
	e |= set_str(o, "format", "liaison-directory-v1");
	e |= set_u64(head, "rev", rev);
	e |= set_hex(head, "hash", h, sizeof(h));
	e |= json_object_set(o, "head", head);
	e |= set_hex(o, "digest", dg, sizeof(dg));
	e |= set_hex(o, "content_digest", cdg, sizeof(cdg));
	if (root != NULL) {
		if ((rj = root_json(root)) == NULL)
			goto out;
		e |= json_object_set_new(o, "root", rj);
	}
	if (e != 0)
		goto out;
	if ((rv = lsn_dir_list(d, NULL, export_partner, parts)) != LSN_OK)
		goto out;
	eg.d = d;
	eg.arr = groups;
	if ((rv = lsn_dir_groups(d, export_group, &eg)) != LSN_OK)
		goto out;
	rv = LSN_ENOMEM;
	if (json_object_set(o, "partners", parts) != 0 ||
	    json_object_set(o, "groups", groups) != 0)
		goto out;
	*out = o;
	o = NULL;
	rv = LSN_OK;
 out:
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	json_decref(head);
	json_decref(parts);
	json_decref(groups);
	json_decref(o);
	return (rv);
}
