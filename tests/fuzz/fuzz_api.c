/*
 * fuzz_api.c -- libFuzzer harness: one local API request (a serialized
 * ApiRequest) to a real agent (p02 of the fixture, replica synced from the
 * fixture's directory, database on /dev/shm, no broker), through its
 * ROUTER socket and api_on_readable(): the decode, every request kind's
 * validation and handler (submit, outbox status, inbox list / fetch /
 * mark, directory query and submit, status, meetings, events, contacts,
 * custody, workflows). A DEALER in the harness sends the input and drains
 * the answers; long polls are expired after each input. Seeds: one request
 * of every kind (fuzz_seeds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/dir.h"
#include "liaison/store.h"

#include "agent.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static struct agent	*fz_a;
static void		*fz_dealer;
static uint64_t		 fz_answers;

struct fz_collect {
	Liaison__V1__LogEntry	**v;
	size_t			  n, cap;
};

static int
fz_collect_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct fz_collect	*c = arg;

	(void) rev;
	if (c->n == c->cap)
		return (LSN_ETOOBIG);
	if ((c->v[c->n] = liaison__v1__log_entry__unpack(NULL, len, entry)) ==
	    NULL)
		return (LSN_EPROTO);
	c->n++;
	return (0);
}

/* Feeds the fixture's log and a head checkpoint to the agent's replica. */
static void
fz_sync(struct agent *a)
{
	struct lsn_fixture		*fx = fz_fixture();
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__DirOps		 ops = LIAISON__V1__DIR_OPS__INIT;
	Liaison__V1__SignedCheckpoint	*scp;
	struct fz_collect		 c = { NULL, 0, 1000 };
	uint8_t				*cp = NULL;
	size_t				 cplen = 0;

	if (lsn_store_open(fx->broker_db, lsn_dir_migrations, 0, &st) !=
	    LSN_OK || lsn_dir_open(st, &d) != LSN_OK ||
	    (c.v = calloc(c.cap, sizeof(*c.v))) == NULL ||
	    lsn_dir_entries_after(d, 0, 1000, fz_collect_entry, &c) !=
	    LSN_OK ||
	    lsn_dir_checkpoint_make(d, fx->seq, lsn_now_ms(), &cp, &cplen) !=
	    LSN_OK ||
	    (scp = liaison__v1__signed_checkpoint__unpack(NULL, cplen,
	    cp)) == NULL)
		fz_die("sync: read the fixture log");
	ops.n_entries = c.n;
	ops.entries = c.v;
	ops.checkpoint = scp;
	if (agent_tx_begin(a) != LSN_OK || replica_on_ops(a, &ops) != LSN_OK)
		fz_die("sync: replica");
	agent_tx_end(a);
	if (a->halted)
		fz_die("sync: replica halted");
	for (size_t i = 0; i < c.n; i++)
		liaison__v1__log_entry__free_unpacked(c.v[i], NULL);
	free(c.v);
	liaison__v1__signed_checkpoint__free_unpacked(scp, NULL);
	free(cp);
	lsn_dir_close(&d);
	lsn_store_close(&st);
}

static void
fz_agent_close(void)
{
	if (fz_dealer != NULL)
		zmq_close(fz_dealer);
	fz_dealer = NULL;
	agent_close(&fz_a);
	if (getenv("FZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_api: %llu answers\n",
		    (unsigned long long) fz_answers);
}

static void
fz_agent(void)
{
	struct lsn_fixture	*fx;
	struct agent_conf	 c;
	char			 err[256], *dir;
	int			 linger = 0;

	if (fz_a != NULL)
		return;
	fx = fz_fixture();
	dir = fz_tmpdir("api");
	if (lsn_fixture_write_agent_conf(fx, 1, "tcp://127.0.0.1:9", NULL) !=
	    LSN_OK ||
	    aconf_load(fx->partners[1].agent_conf, &c, err, sizeof(err)) !=
	    LSN_OK)
		fz_die("agent conf");
	if ((size_t) snprintf(c.db, sizeof(c.db), "%s/agent.db", dir) >=
	    sizeof(c.db))
		fz_die("agent db path");
	if (agent_open(NULL, &c, &fz_a) != LSN_OK)
		fz_die("agent_open");
	fz_sync(fz_a);
	if ((fz_dealer = zmq_socket(fz_a->zctx, ZMQ_DEALER)) == NULL ||
	    zmq_setsockopt(fz_dealer, ZMQ_LINGER, &linger,
	    sizeof(linger)) != 0 ||
	    zmq_connect(fz_dealer, fz_a->api_ep) != 0)
		fz_die("dealer");
	(void) atexit(fz_agent_close);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fz_agent();
	return (0);
}

static void
fz_drain(int timeout_ms)
{
	zmq_pollitem_t	it = { fz_dealer, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t	m;

	while (zmq_poll(&it, 1, timeout_ms) > 0 &&
	    (it.revents & ZMQ_POLLIN)) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, fz_dealer, ZMQ_DONTWAIT) >= 0)
			fz_answers++;
		zmq_msg_close(&m);
		timeout_ms = 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zmq_pollitem_t	it[2];
	int		waited = 0;

	fz_agent();
	/* Larger requests are cut off by the socket (ZMQ_MAXMSGSIZE). */
	if (size > AGENT_API_REQ_MAX)
		return (0);
	if (zmq_send(fz_dealer, data, size, 0) != (int) size)
		fz_die("send");
	/* The IO thread moves it over ipc; a loaded machine may take long.
	 * The first request waits for the connection's ZAP handshake,
	 * answered here as the agent's loop would (apiauth.c). */
	for (;;) {
		it[0].socket = fz_a->api;
		it[1].socket = fz_a->api_zap;
		for (int k = 0; k < 2; k++) {
			it[k].fd = 0;
			it[k].events = ZMQ_POLLIN;
			it[k].revents = 0;
		}
		if (zmq_poll(it, fz_a->api_zap != NULL ? 2 : 1, 1000) <= 0) {
			if (++waited == 120)
				fz_die("the request did not arrive in 120 s");
			continue;
		}
		if (fz_a->api_zap != NULL && (it[1].revents & ZMQ_POLLIN))
			apiauth_serve(fz_a);
		if (it[0].revents & ZMQ_POLLIN)
			break;
	}
	api_on_readable(fz_a);
	/* Long polls and pending directory submits end now. */
	api_timers(fz_a, UINT64_MAX);
	fz_drain(0);
	return (0);
}
