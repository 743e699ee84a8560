/*
 * fuzz_frame.c -- libFuzzer harness: one wire Frame as the broker's ROUTER
 * receives it from an authenticated partner (p01, its CURVE key), through
 * broker_frame(): the connection gate, the Publish fast path
 * (wire_publish_envelope) and the ingress rules, then the protobuf decode
 * and the dispatch to Hello, DeliverAck, DirSync, DirSubmit, Ping, Pong and
 * Error. No sockets: the broker state is opened on the fixture's database
 * and the answers stay in the output queue. Every turn is rolled back so
 * each input starts from the same state. Seeds: frames of every kind with
 * genuine envelopes and directory ops signed by the fixture keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static struct broker	fz_b;
static int		fz_open;

static void
fz_broker_close(void)
{
	if (fz_open)
		broker_close(&fz_b);
	fz_open = 0;
}

static void
fz_broker(void)
{
	struct lsn_fixture	*fx;
	char			 err[256];

	if (fz_open)
		return;
	fx = fz_fixture();
	if (bconf_load(fx->broker_conf, &fz_b.conf, err, sizeof(err)) !=
	    LSN_OK) {
		fprintf(stderr, "%s\n", err);
		fz_die("broker conf");
	}
	fz_b.clock = &fz_clock;
	if (broker_open_state(&fz_b) != LSN_OK)
		fz_die("broker state");
	fz_open = 1;
	(void) atexit(fz_broker_close);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fz_broker();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsn_fixture	*fx = fz_fixture();
	static const uint8_t	 rid[5] = { 0, 'f', 'u', 'z', 'z' };

	fz_broker();
	/* The ROUTER's ZMQ_MAXMSGSIZE is max_msg_bytes + framing. */
	if (size > LSN_MSG_MAX + 64)
		return (0);
	broker_frame(&fz_b, fx->partners[0].id, fx->partners[0].transport->pk,
	    rid, sizeof(rid), data, size);
	fz_note("frame: %zu answers, %llu accepted, %llu refused", fz_b.nout,
	    (unsigned long long) fz_b.stat_accepted,
	    (unsigned long long) fz_b.stat_refused);
	/* Nothing of the turn stays: the next input sees the same state. */
	if (fz_b.tx)
		fz_b.tx_failed = 1;
	(void) broker_tx_end(&fz_b);
	wire_flush(&fz_b, 0);
	return (0);
}
