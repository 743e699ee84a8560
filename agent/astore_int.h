/*
 * astore_int.h -- helpers shared by the agent's storage files
 * (astore_*.c) and by nobody else: callers outside use astore.h.
 * Statements are borrowed from the store as in query.h.
 */
#ifndef LIAISON_AGENT_ASTORE_INT_H
#define LIAISON_AGENT_ASTORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/query.h"

struct agent;

/* A malloc'd copy of blob column c of the current row (never NULL). */
int	astore_copy(struct lsn_q *q, int c, uint8_t **buf, size_t *n)
	    LSN_MUST_CHECK;
/* A malloc'd copy of n bytes at p (never NULL, also for n = 0). */
int	astore_dup(const void *p, size_t n, uint8_t **buf) LSN_MUST_CHECK;

/*
 * The body of the current inbox row: column body_col, or when it is NULL
 * the plain body inside the stored SignedEnvelope of column signed_col
 * (rows since the agent stopped storing a plain body twice). *p borrows
 * the row. LSN_ENOENT when there is none (a sealed body not opened).
 */
int	astore_inbox_body_of(struct lsn_q *q, int body_col, int signed_col,
	    const uint8_t **p, size_t *n) LSN_MUST_CHECK;

/*
 * The first row's column 0 (and 1 when v1 is not NULL) of sql, bound
 * to p as ?1 when has_p; LSN_EDB when there is no row (for counts).
 */
int	astore_count(struct agent *a, const char *sql, int has_p, int64_t p,
	    int64_t *v0, int64_t *v1) LSN_MUST_CHECK;

#endif /* LIAISON_AGENT_ASTORE_INT_H */
