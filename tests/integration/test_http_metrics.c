/*
 * test_http_metrics.c -- the daemons' HTTP listeners from outside: a real
 * broker ([broker] metrics_listen) and agent ([agent] http_listen) on
 * 127.0.0.1 with port 0; after a message went through, each /metrics is
 * fetched and validated by prometheus_client's OpenMetrics parser
 * (om_check.py) with the families the operator needs; bad requests are
 * refused (404, 405 with Allow, 413, 414, oversized headers); a slow
 * client sending one byte per second does not stall the daemons: the
 * agent's local API, /metrics and message delivery keep answering;
 * another local user (runuser -u nobody curl) is refused by the agent.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "http_raw.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	char			 bhttp[64];	/* broker host:port */
	char			 ahttp[64];	/* agent 0 host:port */
};

static struct env	*E;
static char		 resp[256 * 1024];

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 path[LSN_FX_PATH_MAX + 16];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL,
	    "metrics_listen = 127.0.0.1:0\n"));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_true(agent_it_start(e->fx, 0, e->ep,
	    "http_listen = 127.0.0.1:0\n") > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 20000));
	snprintf(path, sizeof(path), "%s.metrics", e->fx->broker_db);
	assert_int_equal(http_addr_wait(path, e->bhttp, sizeof(e->bhttp),
	    10000), 0);
	snprintf(path, sizeof(path), "%s.http", e->fx->partners[0].agent_db);
	assert_int_equal(http_addr_wait(path, e->ahttp, sizeof(e->ahttp),
	    10000), 0);
	*state = E = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

static int
om_check(const char *hostport, const char *const specs[])
{
	char		 url[128];
	char		*argv[64];
	char		 script[1024];
	const char	*src = getenv("LSN_SRC_DIR");
	size_t		 n = 0;
	char		*out = NULL;
	int		 rv;

	snprintf(url, sizeof(url), "http://%s/metrics", hostport);
	argv[n++] = (char *) (uintptr_t) "/usr/bin/python3";
	snprintf(script, sizeof(script), "%s/tests/integration/om_check.py",
	    src != NULL ? src : ".");
	argv[n++] = script;
	argv[n++] = url;
	for (size_t i = 0; specs[i] != NULL && n < 63; i++)
		argv[n++] = (char *) (uintptr_t) specs[i];
	argv[n] = NULL;
	rv = lsn_proc_run("/usr/bin/python3", argv, &out, NULL,
	    60000);
	fprintf(stderr, "om_check %s: %s", url, out != NULL ? out : "");
	free(out);
	return (rv);
}

static int
om_retry(const char *hostport, const char *const specs[])
{
	int	rv = -1;

	for (int i = 0; i < 10 && rv != 0; i++) {
		if (i > 0)
			lsn_proc_sleep_ms(1000);
		rv = om_check(hostport, specs);
	}
	return (rv);
}

static void
send_one(struct env *e, const char *text, uint64_t want)
{
	uint8_t	id[16];
	int	st, code;

	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL, text,
	    id));
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, 30000, &st, &code));
	assert_ok(agent_it_wait_inbox(e->fx, 1, want, 30000));
}

static void
test_metrics_are_openmetrics(void **state)
{
	struct env		*e = *state;
	static const char *const bspecs[] = {
		"liaison_broker_messages_in{type=note}",
		"liaison_broker_messages_in{priority=4}",
		"liaison_broker_messages_queued{type=note}",
		"liaison_broker_messages_out>0",
		"liaison_broker_deliveries_sent{type=note}",
		"liaison_broker_deliveries_sent{priority=4}",
		"liaison_broker_refusals",
		"liaison_broker_sessions>1",
		"liaison_broker_queue_depth",
		"liaison_broker_queue_oldest_age_seconds",
		"liaison_broker_queue_depth_all",
		"liaison_broker_commit_seconds",
		"liaison_broker_sqlite_fsync_seconds",
		"liaison_broker_directory_revision>0",
		"liaison_broker_checkpoint_age_seconds",
		"liaison_broker_build_info",
		NULL };
	static const char *const aspecs[] = {
		"liaison_agent_messages_out{type=note}",
		"liaison_agent_messages_in",
		"liaison_agent_refusals",
		"liaison_agent_sessions>0",
		"liaison_agent_outbox_depth",
		"liaison_agent_outbox_oldest_age_seconds",
		"liaison_agent_inbox_unacked",
		"liaison_agent_commit_seconds",
		"liaison_agent_sqlite_fsync_seconds",
		"liaison_agent_directory_revision>0",
		"liaison_agent_checkpoint_age_seconds",
		"liaison_agent_replica_halted",
		"liaison_agent_escalations_pending{kind=referral}",
		"liaison_agent_escalations_fired",
		"liaison_agent_overdue_items",
		"liaison_agent_notifier_runs",
		"liaison_agent_stale_contacts",
		NULL };

	send_one(e, "metrics test note", 1);
	/* counters that follow the delivery (the recipient's DeliverAck
	 * reaches the broker after its inbox holds the message) and the
	 * session gauges (an agent may be reconnecting on a loaded machine)
	 * may need another scrape */
	assert_int_equal(om_retry(e->bhttp, bspecs), 0);
	assert_int_equal(om_retry(e->ahttp, aspecs), 0);
	/* HEAD: headers only */
	{
		static const char head[] = "HEAD /metrics HTTP/1.1\r\n"
		    "Host: x\r\nConnection: close\r\n\r\n";

		assert_int_equal(http_raw(e->ahttp, head, strlen(head), resp,
		    sizeof(resp), 20000), 200);
	}
	assert_null(strstr(resp, "# EOF"));
}

static void
expect_headers(const char *r)
{
	assert_non_null(strstr(r, "Content-Security-Policy: default-src "
	    "'none'"));
	assert_non_null(strstr(r, "X-Frame-Options: DENY"));
	assert_non_null(strstr(r, "X-Content-Type-Options: nosniff"));
	assert_non_null(strstr(r, "Referrer-Policy: no-referrer"));
}

static void
bad_inputs(const char *hp)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH", "TRACE", "CONNECT", NULL };
	char	req[64 * 1024];
	int	n;

	assert_int_equal(http_get(hp, "/nope", resp, sizeof(resp)), 404);
	expect_headers(resp);
	assert_int_equal(http_get(hp, "/metrics/../etc/passwd", resp,
	    sizeof(resp)), 404);
	for (size_t i = 0; methods[i] != NULL; i++) {
		n = snprintf(req, sizeof(req), "%s /metrics HTTP/1.1\r\nHost: "
		    "x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		    methods[i]);
		assert_int_equal(http_raw(hp, req, (size_t) n, resp,
		    sizeof(resp), 20000), 405);
		assert_non_null(strstr(resp, "Allow: GET, HEAD"));
	}
	/* a GET with a body */
	n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
	assert_int_equal(http_raw(hp, req, (size_t) n, resp, sizeof(resp),
	    20000), 413);
	/* a long request target */
	n = snprintf(req, sizeof(req), "GET /%0300d HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	n = http_raw(hp, req, strlen(req), resp, sizeof(resp), 20000);
	assert_true(n == 414);
	/* 40 KB of headers: refused (431/413) or the connection closed */
	n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	while ((size_t) n < 40 * 1024)
		n += snprintf(req + n, sizeof(req) - (size_t) n,
		    "X-Pad: %0200d\r\n", 0);
	n += snprintf(req + n, sizeof(req) - (size_t) n,
	    "Connection: close\r\n\r\n");
	n = http_raw(hp, req, (size_t) n, resp, sizeof(resp), 20000);
	fprintf(stderr, "oversized headers: status %d\n", n);
	assert_true(n == 0 || n == 413 || n == 431 || n == 400);
	/* garbage */
	n = http_raw(hp, "\x01\x02 junk\r\n\r\n", 10, resp, sizeof(resp),
	    20000);
	assert_true(n == 0 || n == 400);
	/* still serving */
	assert_int_equal(http_get(hp, "/metrics", resp, sizeof(resp)), 200);
}

static void
test_bad_requests_refused(void **state)
{
	struct env	*e = *state;

	bad_inputs(e->bhttp);
	bad_inputs(e->ahttp);
	assert_true(lsn_proc_alive(e->broker));
}

/*
 * Four connections to each listener trickle a request, one byte per
 * second, for 6 s; meanwhile the agent answers its API, both /metrics
 * answer on new connections, and a message goes through.
 */
static void
test_slow_client_does_not_stall(void **state)
{
	struct env			*e = *state;
	static const char		 slow[] = "GET /metrics HTTP/1.1\r\n"
					    "Host: slow\r\n";
	Liaison__V1__ApiResponse	*r = NULL;
	int				 fds[8];

	for (size_t i = 0; i < 8; i++)
		assert_true((fds[i] = http_connect(i < 4 ? e->ahttp :
		    e->bhttp)) >= 0);
	for (size_t s = 0; s < 6; s++) {
		for (size_t i = 0; i < 8; i++)
			(void) send(fds[i], slow + s, 1, MSG_NOSIGNAL);
		assert_ok(agent_it_status(e->fx, 0, &r));
		lsn_client_response_free(&r);
		assert_int_equal(http_get(e->ahttp, "/metrics", resp,
		    sizeof(resp)), 200);
		assert_int_equal(http_get(e->bhttp, "/metrics", resp,
		    sizeof(resp)), 200);
		lsn_proc_sleep_ms(1000);
	}
	send_one(e, "during a slow client", 2);
	for (size_t i = 0; i < 8; i++)
		close(fds[i]);
}

/* curl as user (runuser) -> the HTTP status it printed, or -1. */
static int
curl_as(const char *user, const char *hostport, const char *path)
{
	char	 url[128], *out = NULL;
	char	*argv[] = { (char *) (uintptr_t) "/usr/sbin/runuser",
	    (char *) (uintptr_t) "-u", (char *) (uintptr_t) user,
	    (char *) (uintptr_t) "--", (char *) (uintptr_t) "/usr/bin/curl",
	    (char *) (uintptr_t) "-s", (char *) (uintptr_t) "-o",
	    (char *) (uintptr_t) "/dev/null", (char *) (uintptr_t) "-w",
	    (char *) (uintptr_t) "%{http_code}", url, NULL };
	int	 code = -1;

	snprintf(url, sizeof(url), "http://%s%s", hostport, path);
	if (lsn_proc_run(argv[0], argv, &out, NULL, 30000) == 0 &&
	    out != NULL)
		code = atoi(out);
	free(out);
	return (code);
}

/*
 * The agent's listener keeps the local API's rule: another local user
 * (nobody) gets 403 for the page and /metrics, root gets them; the
 * broker's /metrics (for a scraper) is open.
 */
static void
test_other_local_user_refused(void **state)
{
	struct env	*e = *state;

	if (geteuid() != 0 || access("/usr/sbin/runuser", X_OK) != 0 ||
	    access("/usr/bin/curl", X_OK) != 0) {
		fprintf(stderr, "SKIPPED: needs root, runuser and curl\n");
		skip();
	}
	assert_int_equal(curl_as("nobody", e->ahttp, "/"), 403);
	assert_int_equal(curl_as("nobody", e->ahttp, "/metrics"), 403);
	assert_int_equal(curl_as("root", e->ahttp, "/metrics"), 200);
	assert_int_equal(curl_as("nobody", e->bhttp, "/metrics"), 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_are_openmetrics),
		cmocka_unit_test(test_bad_requests_refused),
		cmocka_unit_test(test_slow_client_does_not_stall),
		cmocka_unit_test(test_other_local_user_refused),
	};

	(void) E;
	return (cmocka_run_group_tests_name("http_metrics", tests, setup,
	    teardown));
}
