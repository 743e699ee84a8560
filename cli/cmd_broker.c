/*
 * cmd_broker.c -- liaison broker-status: asks a running broker's local
 * control socket ([broker] control = ipc://PATH) for its status.
 *
 * The broker answers any request on that socket with one JSON object
 * (daemon, version, uptime_ms, sessions, accepted, refused, delivered,
 * dir_rev, dir_head, queued, audit_entries, and whatever later versions
 * add). The reply is bounded, parsed with jansson and printed either as
 * is (--json) or as one "name: value" line per member. --rate S samples
 * twice and adds per-second rates of the counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "liaison/conf.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "cli.h"

#define BSTATUS_REPLY_MAX	(1024 * 1024)

static void
bstatus_usage(FILE *f)
{
	fprintf(f,
	    "usage: liaison broker-status --control ipc://PATH [--json]\n"
	    "           [--timeout SECONDS]\n"
	    "\n"
	    "Asks a running broker for its status over its local control\n"
	    "socket (the [broker] control option of broker.conf; only the\n"
	    "broker's user may open it). Prints connected partners,\n"
	    "accepted, refused and delivered counts, queued messages, the\n"
	    "directory head and the audit log size.\n"
	    "  --control EP   the control endpoint, ipc://PATH\n"
	    "  --json         print the broker's JSON reply unchanged\n"
	    "  --timeout S    seconds to wait for the reply (default 5)\n"
	    "  --rate S       sample twice, S seconds apart, and add\n"
	    "                 accepted/refused/delivered per second\n"
	    "Exit 3 when the broker does not answer.\n");
}

static void
bstatus_print(json_t *o)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(o, k, v) {
		if (json_is_array(v) && (json_array_size(v) == 0 ||
		    json_is_string(json_array_get(v, 0)))) {
			size_t	 i;
			json_t	*e;

			printf("%s: %zu", k, json_array_size(v));
			json_array_foreach(v, i, e)
				if (json_is_string(e))
					printf("%s%s", i == 0 ? " (" : ", ",
					    json_string_value(e));
			printf("%s\n", json_array_size(v) > 0 ? ")" : "");
		} else if (json_is_string(v))
			printf("%s: %s\n", k, json_string_value(v));
		else if (json_is_integer(v))
			printf("%s: %lld\n", k,
			    (long long) json_integer_value(v));
		else if (json_is_real(v))
			printf("%s: %.1f\n", k, json_real_value(v));
		else if (json_is_boolean(v))
			printf("%s: %s\n", k, json_is_true(v) ? "yes" : "no");
		else {
			char	*s = json_dumps(v, JSON_COMPACT |
			    JSON_ENCODE_ANY);

			printf("%s: %s\n", k, s != NULL ? s : "?");
			free(s);
		}
	}
}

/* One request to the control socket: CLI_EXIT_OK with *out (caller
 * json_decref), or an exit code after printing why. */
static int
bstatus_fetch(const char *cmd, const char *ep, long long timeout,
    json_t **out)
{
	void		*ctx = NULL, *sock = NULL;
	zmq_msg_t	 msg;
	zmq_pollitem_t	 pi;
	json_t		*o = NULL;
	json_error_t	 jerr;
	int		 zero = 0, rv = CLI_EXIT_FAIL, msginit = 0;
	int64_t		 max = BSTATUS_REPLY_MAX;

	if ((ctx = zmq_ctx_new()) == NULL ||
	    (sock = zmq_socket(ctx, ZMQ_REQ)) == NULL ||
	    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0) {
		cli_err(cmd, "zeromq: %s", zmq_strerror(zmq_errno()));
		goto out;
	}
	if (zmq_connect(sock, ep) != 0 ||
	    zmq_send(sock, "status", 6, ZMQ_DONTWAIT) == -1) {
		cli_err(cmd, "%s: %s; is the broker running with this "
		    "control socket, and are you its user?", ep,
		    zmq_strerror(zmq_errno()));
		rv = CLI_EXIT_UNAVAILABLE;
		goto out;
	}
	pi.socket = sock;
	pi.fd = -1;
	pi.events = ZMQ_POLLIN;
	pi.revents = 0;
	if (zmq_poll(&pi, 1, (long) (timeout * 1000)) <= 0 ||
	    !(pi.revents & ZMQ_POLLIN)) {
		cli_err(cmd, "no answer from %s within %lld s; is the "
		    "broker running (systemctl status liaison-broker) and "
		    "is the socket readable by you?", ep, timeout);
		rv = CLI_EXIT_UNAVAILABLE;
		goto out;
	}
	zmq_msg_init(&msg);
	msginit = 1;
	if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) == -1 ||
	    zmq_msg_more(&msg)) {
		cli_err(cmd, "unexpected reply from %s", ep);
		goto out;
	}
	o = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg),
	    JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		cli_err(cmd, "the reply from %s is not a JSON object", ep);
		goto out;
	}
	*out = o;
	o = NULL;
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (msginit)
		zmq_msg_close(&msg);
	if (sock != NULL)
		zmq_close(sock);
	if (ctx != NULL)
		zmq_ctx_term(ctx);
	return (rv);
}

/* Adds "<name>_per_s" for each counter, from two samples secs apart. */
static int
bstatus_rates(json_t *now, json_t *before, long long secs)
{
	static const char *const counters[] = {
		"accepted", "refused", "delivered",
	};
	char	name[64];

	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		json_t	*a = json_object_get(now, counters[i]);
		json_t	*b = json_object_get(before, counters[i]);

		if (!json_is_integer(a) || !json_is_integer(b))
			continue;
		snprintf(name, sizeof(name), "%s_per_s", counters[i]);
		if (json_object_set_new(now, name, json_real(
		    (double) (json_integer_value(a) - json_integer_value(b)) /
		    (double) secs)) != 0)
			return (-1);
	}
	return (0);
}

int
cmd_broker_status(int argc, char *argv[])
{
	const char	*ep = NULL;
	json_t		*o = NULL, *first = NULL;
	long long	 timeout = 5, rate = 0;
	int		 json = 0, rv;

	if (cli_wants_help(argc, argv)) {
		bstatus_usage(stdout);
		return (CLI_EXIT_OK);
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc)
			ep = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (lsn_strtonum(argv[++i], 1, 3600, &timeout, NULL) !=
			    LSN_OK) {
				cli_err(argv[0], "--timeout: give whole "
				    "seconds between 1 and 3600");
				return (CLI_EXIT_USAGE);
			}
		} else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
			if (lsn_strtonum(argv[++i], 1, 3600, &rate, NULL) !=
			    LSN_OK) {
				cli_err(argv[0], "--rate: give whole seconds "
				    "between 1 and 3600");
				return (CLI_EXIT_USAGE);
			}
		} else {
			cli_err(argv[0], "unexpected argument '%s' (see "
			    "liaison broker-status --help)", argv[i]);
			return (CLI_EXIT_USAGE);
		}
	}
	if (ep == NULL) {
		cli_err(argv[0], "--control ipc://PATH is required: the "
		    "[broker] control option of broker.conf");
		return (CLI_EXIT_USAGE);
	}
	if (strncmp(ep, "ipc://", 6) != 0 || !lsn_conf_endpoint_valid(ep)) {
		cli_err(argv[0], "--control must be an ipc:// endpoint, as "
		    "in broker.conf");
		return (CLI_EXIT_USAGE);
	}
	if (rate > 0) {
		if ((rv = bstatus_fetch(argv[0], ep, timeout, &first)) !=
		    CLI_EXIT_OK)
			return (rv);
		sleep((unsigned int) rate);
	}
	if ((rv = bstatus_fetch(argv[0], ep, timeout, &o)) != CLI_EXIT_OK)
		goto out;
	rv = CLI_EXIT_FAIL;
	if (first != NULL && bstatus_rates(o, first, rate) != 0) {
		cli_err(argv[0], "out of memory");
		goto out;
	}
	if (json) {
		char	*s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

		if (s == NULL) {
			cli_err(argv[0], "out of memory");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else
		bstatus_print(o);
	rv = CLI_EXIT_OK;
 out:
	json_decref(first);
	json_decref(o);
	return (rv);
}
