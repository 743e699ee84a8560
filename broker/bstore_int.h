/*
 * bstore_int.h -- helpers shared by the broker's storage files
 * (bstore_*.c) and by nobody else: callers outside use bstore.h.
 * Statements are borrowed from the store as in query.h.
 */
#ifndef LIAISON_BROKER_BSTORE_INT_H
#define LIAISON_BROKER_BSTORE_INT_H

#include <stdint.h>

#include "liaison/query.h"

struct broker;

/* Steps q once and resets it (LSN_ROW reads as LSN_OK); on LSN_OK, *n
 * is the rows it changed when n is not NULL. */
int	bstore_run(struct broker *b, struct lsn_q *q, int64_t *n)
	    LSN_MUST_CHECK;

#endif /* LIAISON_BROKER_BSTORE_INT_H */
