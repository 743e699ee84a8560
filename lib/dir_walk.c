/*
 * dir_walk.c -- directory walks: group members, groups, partners (with a
 * search), 24x7 contacts. Each walk reads its rows whole and resets its
 * statement before the first callback: a callback may use the directory
 * and its store freely, and no result stays open on the connection while
 * the caller's code runs (declared in include/liaison/dir.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"
#include "dir_int.h"

static const char SQL_GROUP_EXISTS[] =
    "SELECT 1 FROM dir_group WHERE name = ?";
static const char SQL_W_MEMBERS[] =
    "SELECT m.partner, p.status FROM dir_member m JOIN dir_partner p "
    "ON p.id = m.partner WHERE m.grp = ? ORDER BY m.partner";
static const char SQL_W_GROUPS[] = "SELECT name FROM dir_group ORDER BY name";
static const char SQL_W_PARTNERS[] = "SELECT id FROM dir_partner ORDER BY id";
static const char SQL_W_24X7[] =
    "SELECT contact_id, name, role, unit_id, email, phone, is_24x7, "
    "languages, time_zone, verified_at_ms, updated_ms FROM dir_contact "
    "WHERE partner = ? AND is_24x7 = 1 ORDER BY contact_id";

/* A walk's rows, read whole: ids (strdup'd) or contacts. */
struct walk {
	void	**v;
	size_t	  n;
};

static int
walk_push(struct walk *w, void *p)
{
	void	**nv;

	if ((nv = realloc(w->v, (w->n + 1) * sizeof(*nv))) == NULL)
		return (LSN_ENOMEM);
	nv[w->n++] = p;
	w->v = nv;
	return (LSN_OK);
}

static void
walk_free_ids(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/*
 * Column 0 (text) of every row of sql, with param (if not NULL) bound to
 * its one `?`. With active_only, rows whose column 1 (a partner status)
 * is not ACTIVE are left out.
 */
static int
walk_ids(struct lsn_dir *d, const char *sql, const char *param,
    int active_only, struct walk *w)
{
	struct lsn_q	*s;
	char		*id;
	int		 rv;

	memset(w, 0, sizeof(*w));
	if ((rv = dir_sql(d, sql, &s)) != LSN_OK)
		return (rv);
	if (param != NULL)
		dir_bind_text(s, 1, param);
	while ((rv = dir_step(d, s, "walk")) == LSN_ROW) {
		if (active_only && dir_col_int(s, 1) !=
		    LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
			continue;
		if ((id = strdup(dir_col_text(s, 0))) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		if ((rv = walk_push(w, id)) != LSN_OK) {
			free(id);
			break;
		}
	}
	if (rv != LSN_OK) {
		lsn_q_reset(s);
		walk_free_ids(w);
		return (rv);
	}
	lsn_q_reset(s);
	return (LSN_OK);
}

int
lsn_dir_group_members(struct lsn_dir *d, const char *group, int active_only,
    lsn_dir_id_fn *fn, void *arg)
{
	struct lsn_q	*s;
	struct walk	 w;
	int		 rv;

	if (d == NULL || group == NULL || fn == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_sql(d, SQL_GROUP_EXISTS, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, group);
	if ((rv = dir_step(d, s, "group")) != LSN_ROW && rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	if (rv == LSN_OK)
		return (LSN_EUNKNOWNGROUP);
	if ((rv = walk_ids(d, SQL_W_MEMBERS, group, active_only, &w)) !=
	    LSN_OK)
		return (rv);
	for (size_t i = 0; i < w.n && rv == 0; i++)
		rv = fn(arg, w.v[i]);
	walk_free_ids(&w);
	return (rv);
}

int
lsn_dir_groups(struct lsn_dir *d, lsn_dir_id_fn *fn, void *arg)
{
	struct walk	w;
	int		rv;

	if (d == NULL || fn == NULL)
		return (LSN_EINVAL);
	if ((rv = walk_ids(d, SQL_W_GROUPS, NULL, 0, &w)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < w.n && rv == 0; i++)
		rv = fn(arg, w.v[i]);
	walk_free_ids(&w);
	return (rv);
}

/* ASCII case-insensitive substring. */
static int
has(const char *hay, const char *needle)
{
	size_t	n, h;

	if (hay == NULL)
		return (0);
	n = strlen(needle);
	h = strlen(hay);
	for (size_t i = 0; n <= h && i <= h - n; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (tolower((unsigned char) hay[i + j]) !=
			    tolower((unsigned char) needle[j]))
				break;
		if (j == n)
			return (1);
	}
	return (0);
}

static int
matches(const Liaison__V1__Partner *p, const char *q)
{
	if (has(p->id, q) || has(p->country, q) ||
	    (p->names != NULL && (has(p->names->official, q) ||
	    has(p->names->short_name, q) || has(p->names->local, q))))
		return (1);
	for (size_t i = 0; i < p->n_units; i++)
		if (has(p->units[i]->unit_id, q) || has(p->units[i]->name, q))
			return (1);
	for (size_t i = 0; i < p->n_contacts; i++)
		if (has(p->contacts[i]->name, q) ||
		    has(p->contacts[i]->role, q) ||
		    has(p->contacts[i]->email, q))
			return (1);
	return (0);
}

int
lsn_dir_list(struct lsn_dir *d, const char *query, lsn_dir_partner_fn *fn,
    void *arg)
{
	Liaison__V1__Partner	*p;
	struct walk		 w;
	int			 rv;

	if (d == NULL || fn == NULL)
		return (LSN_EINVAL);
	if ((rv = walk_ids(d, SQL_W_PARTNERS, NULL, 0, &w)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < w.n && rv == 0; i++) {
		if ((rv = dir_partner_build(d, w.v[i], &p)) != LSN_OK)
			break;
		if (query == NULL || query[0] == '\0' || matches(p, query))
			rv = fn(arg, p);
		liaison__v1__partner__free_unpacked(p, NULL);
	}
	walk_free_ids(&w);
	return (rv);
}

int
lsn_dir_contacts_24x7(struct lsn_dir *d, const char *partner_id,
    lsn_dir_contact_fn *fn, void *arg)
{
	struct lsn_q		*s;
	Liaison__V1__Contact	*c;
	struct walk		 w;
	uint64_t		 ver;
	int			 rv, found, status;

	if (d == NULL || partner_id == NULL || fn == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_partner_row(d, partner_id, &found, &status, &ver)) !=
	    LSN_OK)
		return (rv);
	if (!found)
		return (LSN_ENOENT);
	memset(&w, 0, sizeof(w));
	if ((rv = dir_sql(d, SQL_W_24X7, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, partner_id);
	while ((rv = dir_step(d, s, "contacts")) == LSN_ROW) {
		if ((rv = dir_contact_from_row(s, 0, &c)) != LSN_OK)
			break;
		if ((rv = walk_push(&w, c)) != LSN_OK) {
			liaison__v1__contact__free_unpacked(c, NULL);
			break;
		}
	}
	lsn_q_reset(s);
	for (size_t i = 0; i < w.n; i++) {
		if (rv == LSN_OK)
			rv = fn(arg, w.v[i]);
		liaison__v1__contact__free_unpacked(w.v[i], NULL);
	}
	free(w.v);
	return (rv);
}
