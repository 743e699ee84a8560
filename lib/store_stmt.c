/*
 * store_stmt.c -- the store's prepared-statement cache: one statement per
 * SQL text, keyed by the text's address (callers pass static strings),
 * open addressing with linear probing; statements live until
 * lsn_store_close. Declared in include/liaison/store.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/store.h"

#include "store_int.h"

static size_t
slot_hash(const char *sql, size_t mask)
{
	uint64_t	h = (uint64_t) (uintptr_t) sql;

	/* Pointers are aligned and clustered: mix the bits (Fibonacci). */
	h *= 0x9e3779b97f4a7c15ULL;
	return ((size_t) (h >> 32) & mask);
}

static struct stmt_slot *
slot_find(struct stmt_slot *slots, size_t nslots, const char *sql)
{
	size_t	mask = nslots - 1, i = slot_hash(sql, mask);

	for (;;) {
		if (slots[i].sql == NULL || slots[i].sql == sql)
			return (&slots[i]);
		i = (i + 1) & mask;
	}
}

/* Doubles the table (or creates it); keeps the load factor <= 1/2. */
static int
cache_grow(struct lsn_store *st)
{
	struct stmt_slot	*ns;
	size_t			 n;

	n = st->nslots == 0 ? STORE_CACHE_MIN : st->nslots * 2;
	if (n < st->nslots || n > SIZE_MAX / sizeof(*ns))
		return (LSN_ENOMEM);
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return (LSN_ENOMEM);
	for (size_t i = 0; i < st->nslots; i++) {
		if (st->slots[i].sql != NULL)
			*slot_find(ns, n, st->slots[i].sql) = st->slots[i];
	}
	free(st->slots);
	st->slots = ns;
	st->nslots = n;
	return (LSN_OK);
}

/* The slot of sql, or NULL when sql is not cached yet. */
struct stmt_slot *
store_slot_lookup(struct lsn_store *st, const char *sql)
{
	struct stmt_slot	*s;

	if (st->nslots == 0)
		return (NULL);
	s = slot_find(st->slots, st->nslots, sql);
	return (s->sql != NULL ? s : NULL);
}

/*
 * A new, empty slot for sql (not cached yet); valid until the next call
 * (the table may grow).
 */
int
store_slot_add(struct lsn_store *st, const char *sql, struct stmt_slot **out)
{
	struct stmt_slot	*s;
	int			 rv;

	if ((st->nused + 1) * 2 > st->nslots &&
	    (rv = cache_grow(st)) != LSN_OK)
		return (rv);
	s = slot_find(st->slots, st->nslots, sql);
	s->sql = sql;
	s->stmt = NULL;
	s->q = NULL;
	st->nused++;
	*out = s;
	return (LSN_OK);
}

/*
 * The slot of sql, its statement reset and unbound; a new statement is
 * prepared and cached. The slot is valid until the next call (the table
 * may grow); what it points to lives until lsn_store_close.
 */
int
store_slot(struct lsn_store *st, const char *sql, struct stmt_slot **out)
{
	struct stmt_slot	*s;
	sqlite3_stmt		*stmt = NULL;
	const char		*tail = NULL;
	int			 rv;

	if (sql == NULL || st->db == NULL)
		return (LSN_EINVAL);
	if ((s = store_slot_lookup(st, sql)) != NULL) {
		/* reset's result is the last step's: not ours. */
		(void) sqlite3_reset(s->stmt);
		(void) sqlite3_clear_bindings(s->stmt);
		*out = s;
		return (LSN_OK);
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, &tail) != SQLITE_OK || stmt == NULL) {
		store_describe(st, st->lasterr, sizeof(st->lasterr));
		log_warnx("store: prepare '%.60s': %s", sql, st->lasterr);
		sqlite3_finalize(stmt);
		return (LSN_EDB);
	}
	/* Only the first statement would ever run: refuse the rest. */
	tail += strspn(tail, " \t\r\n;");
	if (*tail != '\0') {
		log_warnx("store: prepare '%.60s': more than one statement",
		    sql);
		sqlite3_finalize(stmt);
		return (LSN_EDB);
	}
	if ((rv = store_slot_add(st, sql, &s)) != LSN_OK) {
		sqlite3_finalize(stmt);
		return (rv);
	}
	s->stmt = stmt;
	*out = s;
	return (LSN_OK);
}

int
lsn_store_stmt(struct lsn_store *st, const char *sql, sqlite3_stmt **out)
{
	struct stmt_slot	*s;
	int			 rv;

	if (st->db == NULL) {
		log_warnx("store: '%.60s': sqlite statement on a PostgreSQL "
		    "store (use query.h)", sql);
		return (LSN_EINTERNAL);
	}
	if ((rv = store_slot(st, sql, &s)) == LSN_OK)
		*out = s->stmt;
	return (rv);
}
