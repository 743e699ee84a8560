/*
 * replica.h -- the directory replica's checks on what the broker delivers
 * (replica.c): envelopes must name us, the heads partners sign must agree
 * with ours, and refused deliveries an honest broker cannot produce raise
 * an alert. The rest of replica.c is declared in agent.h.
 */
#ifndef LIAISON_AGENT_REPLICA_H
#define LIAISON_AGENT_REPLICA_H

#include <stddef.h>

#include "envelope.pb-c.h"

struct agent;

/*
 * The directory head peer signed into a verified envelope (h may be NULL).
 * A fork raises an alert and a security log line (once per sender and
 * rev); a head beyond ours is remembered and a sync started, and if the
 * broker then has nothing more, the replica raises a "directory withheld"
 * alert. Errors are logged, not returned.
 */
void	replica_peer_head(struct agent *a, const char *peer,
	    const Liaison__V1__DirHead *h);

/*
 * Called with the refusal code of a delivery's envelope checks
 * (the trust gate, inbox.c): LSN_EBADSIG and
 * LSN_EUNKNOWNRCPT raise an alert (once per code), other codes nothing.
 */
void	replica_on_refused(struct agent *a, int code);

#endif
