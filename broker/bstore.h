/*
 * bstore.h -- the broker's storage: every statement the broker runs on
 * its database, as named functions over query.h (lsn_store_q, lsn_q_*).
 * Callers in broker/ see neither SQL text nor query.h; a new query is a
 * new function here, in the bstore_*.c file of its table or concern:
 *   bstore.c		the schema (broker_migrations, broker.h) and what
 *			the broker does with a failed store call
 *   bstore_stats.c	counts for the status socket and the metrics
 *			(control.c, bmetrics.c)
 *
 * Callers: the broker's modules, on the loop's thread only (b->st is not
 * thread-safe).
 *
 * Ownership: the statements belong to b->st, cached by the address of
 * their SQL text (query.h): each text is one static const here, so a
 * call costs what the inline statement cost. Functions that walk rows
 * call a callback with a row borrowed for the callback's time only
 * (copy what you keep); the callback may call other bstore functions,
 * never the one walking; a callback's nonzero answer stops the walk
 * (> 0: LSN_OK, < 0: that code). Every statement is reset before the
 * function returns. Transactions stay with the callers (broker.c owns
 * the turn's); the order of the statements in a turn is the callers'.
 * Errors: what query.h answers (LSN_EDB, LSN_ECLOSED, ...), unmapped:
 * the callers map them (bstore_err) and log lsn_store_errmsg as before.
 */
#ifndef LIAISON_BROKER_BSTORE_H
#define LIAISON_BROKER_BSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

struct broker;

/* bstore_stats.c */

/* Messages queued over all recipients (status socket). */
int	bstore_stat_queued(struct broker *b, int64_t *n) LSN_MUST_CHECK;
/* The same, summed over the recipients with queued > 0 (metrics). */
int	bstore_stat_queued_waiting(struct broker *b, int64_t *n)
	    LSN_MUST_CHECK;
/* The newest audit row's id (0: none). */
int	bstore_stat_audit_max(struct broker *b, int64_t *n) LSN_MUST_CHECK;

/* The at most limit fullest queues (queued > 0), fullest first. */
typedef int bstore_queue_fn(void *arg, const char *partner, int64_t queued);
int	bstore_queues_top(struct broker *b, int64_t limit,
	    bstore_queue_fn *fn, void *arg) LSN_MUST_CHECK;
/* accepted_ms of partner's oldest queued message; LSN_ENOENT: none. */
int	bstore_queue_oldest(struct broker *b, const char *partner,
	    int64_t *accepted_ms) LSN_MUST_CHECK;

/* The latest audit rows of a problem kind, newest first. */
typedef int bstore_problem_fn(void *arg, int64_t time_ms, const char *kind,
	    const char *subject, const char *detail);
int	bstore_problems(struct broker *b, int64_t limit,
	    bstore_problem_fn *fn, void *arg) LSN_MUST_CHECK;

#endif /* LIAISON_BROKER_BSTORE_H */
