/* control.c -- the local status socket: a REP on an ipc:// endpoint
 * (config `control`) answering any request with one JSON object. */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zmq.h>

#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"
#include "leader.h"

/* A count of bstore_stats.c, 0 when it fails. */
static uint64_t
one_int(struct broker *b, int (*count)(struct broker *, int64_t *))
{
	int64_t	v = 0;

	if (count(b, &v) != LSN_OK)
		return (0);
	return ((uint64_t) v);
}

/* {"partner": queued, ...} of the recipients with queued messages, the
 * CONTROL_LIST_MAX fullest. */
#define CONTROL_LIST_MAX	1000
#define CONTROL_PROBLEMS_MAX	10

static int
queue_row(void *arg, const char *partner, int64_t queued)
{
	json_t	*o = arg;

	return (json_object_set_new(o, partner, json_integer(
	    (json_int_t) queued)) != 0 ? 1 : 0);
}

static json_t *
queues_json(struct broker *b)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (bstore_queues_top(b, CONTROL_LIST_MAX, queue_row, o) != LSN_OK)
		return (o);	/* the rows read so far */
	return (o);
}

/* The latest audit entries that signal a problem (authentication
 * failures, quarantined deliveries, expired messages), newest first. */
static int
problem_row(void *arg, int64_t time_ms, const char *k, const char *sub,
    const char *det)
{
	json_t	*a = arg;

	return (json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s}",
	    "time_ms", (json_int_t) time_ms,
	    "kind", k != NULL ? k : "", "subject",
	    sub != NULL ? sub : "", "detail",
	    det != NULL ? det : "")) != 0 ? 1 : 0);
}

static json_t *
problems_json(struct broker *b)
{
	json_t	*a;

	if ((a = json_array()) == NULL)
		return (NULL);
	if (bstore_problems(b, CONTROL_PROBLEMS_MAX, problem_row, a) !=
	    LSN_OK)
		return (a);	/* the rows read so far */
	return (a);
}

int
control_status(struct broker *b, char **out)
{
	json_t		*o = NULL, *sess = NULL;
	uint8_t		 hash[LSN_DIR_HASH_BYTES];
	char		 hex[2 * LSN_DIR_HASH_BYTES + 1];
	uint64_t	 rev = 0;
	int		 rv = LSN_ENOMEM;

	if (b->dir == NULL) {
		/* a standby (leader.h): no state of its own to show */
		if ((o = json_pack("{s:s, s:s}", "daemon", BROKER_NAME,
		    "version", LSN_VERSION)) == NULL ||
		    leader_status(b, o) != LSN_OK)
			goto out;
		if ((*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) ==
		    NULL)
			goto out;
		rv = LSN_OK;
		goto out;
	}
	if (lsn_dir_head(b->dir, &rev, hash) != LSN_OK) {
		rev = 0;
		memset(hash, 0, sizeof(hash));
	}
	lsn_hex_encode(hash, sizeof(hash), hex);
	if ((sess = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < b->nsess; i++)
		if (json_array_append_new(sess,
		    json_string(b->sess[i].partner)) != 0)
			goto out;
	o = json_pack("{s:s, s:s, s:I, s:O, s:I, s:I, s:I, s:I, s:s, s:I}",
	    "daemon", BROKER_NAME, "version", LSN_VERSION,
	    "uptime_ms", (json_int_t) (lsn_mono_ms() - b->started_mono),
	    "sessions", sess,
	    "accepted", (json_int_t) b->stat_accepted,
	    "refused", (json_int_t) b->stat_refused,
	    "delivered", (json_int_t) b->stat_delivered,
	    "dir_rev", (json_int_t) rev, "dir_head", hex,
	    "queued", (json_int_t) one_int(b, bstore_stat_queued));
	if (o == NULL ||
	    json_object_set_new(o, "audit_entries", json_integer(
	    (json_int_t) one_int(b, bstore_stat_audit_max))) != 0 ||
	    json_object_set_new(o, "queues", queues_json(b)) != 0 ||
	    json_object_set_new(o, "recent_problems", problems_json(b)) != 0 ||
	    leader_status(b, o) != LSN_OK)
		goto out;
	if ((*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	rv = LSN_OK;
 out:
	json_decref(sess);
	json_decref(o);
	return (rv);
}

int
control_open(struct broker *b)
{
	int	zero = 0;
	int64_t	max = 256;

	if (b->conf.control[0] == '\0')
		return (LSN_OK);
	if ((b->control = zmq_socket(b->ctx, ZMQ_REP)) == NULL ||
	    zmq_setsockopt(b->control, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_setsockopt(b->control, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_bind(b->control, b->conf.control) == -1) {
		log_warnx("control %s: %s", b->conf.control,
		    zmq_strerror(zmq_errno()));
		return (LSN_EIO);
	}
	/* Owner only: the status names connected partners. */
	(void) chmod(b->conf.control + strlen("ipc://"), 0600);
	log_info("control socket on %s", b->conf.control);
	return (LSN_OK);
}

void
control_serve(struct broker *b)
{
	char	*js = NULL;
	int	 ev;
	size_t	 sz;

	for (int i = 0; b->control != NULL && i < 16; i++) {
		zmq_msg_t	req;

		sz = sizeof(ev);
		if (zmq_getsockopt(b->control, ZMQ_EVENTS, &ev, &sz) == -1 ||
		    !(ev & ZMQ_POLLIN))
			return;
		zmq_msg_init(&req);
		if (zmq_msg_recv(&req, b->control, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&req);
			return;
		}
		while (zmq_msg_more(&req)) {
			zmq_msg_close(&req);
			zmq_msg_init(&req);
			if (zmq_msg_recv(&req, b->control, ZMQ_DONTWAIT) == -1)
				break;
		}
		zmq_msg_close(&req);
		if (control_status(b, &js) != LSN_OK) {
			(void) zmq_send(b->control, "{}", 2, ZMQ_DONTWAIT);
			continue;
		}
		(void) zmq_send(b->control, js, strlen(js), ZMQ_DONTWAIT);
		free(js);
		js = NULL;
	}
}
