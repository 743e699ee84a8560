/*
 * vpool.h -- a small pool of threads that run signature verification
 * (lsn_envelope_verify_parse) for the broker's loop.
 *
 * The loop submits jobs in frame order and waits for them in the same
 * order; a job still queued when the loop waits for it is run by the
 * loop's own thread, so a pool of 0 threads verifies inline and a busy
 * pool never makes the loop idle. The caller may also keep a job for
 * its own thread (vpool_keep) when the check is cheap. The workers touch nothing but the job:
 * no store, no directory, no sockets, no logging. Everything that decides
 * about a message stays in the loop, in order.
 */
#ifndef LIAISON_BROKER_VPOOL_H
#define LIAISON_BROKER_VPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/envelope.h"
#include "liaison/keys.h"

#define VPOOL_THREADS_MAX	16

struct vpool;

struct vjob {
	/* in (borrowed; must stay valid and unchanged until waited) */
	const struct lsn_envelope_outer	*o;
	uint8_t				 pk[LSN_PK_BYTES];
	/* out (valid after vpool_wait) */
	int				 rv;	/* of verify_parse */
	const char			*field;	/* static string or NULL */
	Liaison__V1__Envelope		*env;	/* owned by the caller
						 * after the wait */
	/* private */
	int				 state;
	struct vjob			*next;
};

/*
 * Starts nthreads (0..VPOOL_THREADS_MAX) workers; *out (written only on
 * success) is freed with vpool_close. LSN_EINVAL, LSN_ENOMEM, LSN_EIO
 * (thread creation failed; nothing is left running).
 */
int	vpool_open(int nthreads, struct vpool **out);
/* Stops and joins the workers (after running every queued job); frees the
 * pool; accepts NULL; sets *pp = NULL. */
void	vpool_close(struct vpool **pp);
/* Number of worker threads. */
int	vpool_threads(const struct vpool *p);
/* Queues j (borrowed until vpool_wait returns for it). */
void	vpool_submit(struct vpool *p, struct vjob *j);
/* Keeps j for the waiting thread: vpool_wait runs it there. */
void	vpool_keep(struct vjob *j);
/* Returns when j is done (running it here if no worker took it yet). A
 * job must be waited for exactly once before it is reused or freed. */
void	vpool_wait(struct vpool *p, struct vjob *j);

#endif
