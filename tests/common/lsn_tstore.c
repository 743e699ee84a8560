/*
 * lsn_tstore.c -- where a module test's store lives: sqlite or a
 * throwaway PostgreSQL (see lsn_tstore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"

#include "lsn_tstore.h"
#include "pgtmp.h"

static struct lsn_pgtmp	*tstore_pg;	/* the process's server */
static int		 tstore_ndb;	/* databases created on it */

int
lsn_tstore_pg(void)
{
	const char	*v = getenv("LSN_TEST_STORE");

	return (v != NULL && strcmp(v, "pg") == 0);
}

int
lsn_tstore_path(const char *dir, const char *name, char *buf,
    size_t bufsz)
{
	char	db[32], sql[64];
	int	n;

	if (!lsn_tstore_pg()) {
		n = dir != NULL ? snprintf(buf, bufsz, "%s/%s", dir, name) :
		    snprintf(buf, bufsz, "%s", name);
		return (n < 0 || (size_t) n >= bufsz ? LSN_ETOOBIG : LSN_OK);
	}
	if (tstore_pg == NULL && lsn_pgtmp_start(NULL, &tstore_pg) != 0) {
		fprintf(stderr, "lsn_tstore: no PostgreSQL for "
		    "LSN_TEST_STORE=pg\n");
		return (LSN_EDB);
	}
	snprintf(db, sizeof(db), "lsn_t%d", ++tstore_ndb);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (lsn_pgtmp_exec(tstore_pg, "postgres", sql) != 0)
		return (LSN_EDB);
	lsn_pgtmp_uri(tstore_pg, "postgres", db, buf, bufsz);
	if (strlen(buf) + 1 >= bufsz)
		return (LSN_ETOOBIG);
	return (LSN_OK);
}
