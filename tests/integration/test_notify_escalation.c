/*
 * test_notify_escalation.c -- out-of-band notifiers and the structured log,
 * with real processes. Agent 0 runs on a test clock with log_format =
 * json and notify_cmd = a recording hook (a shell script that appends its
 * stdin to a file and counts its runs).
 *
 *   1. An urgent (P1) referral is not acknowledged; two hours later on the
 *      clock it is escalated. The hook's first run fails (exit 3), the
 *      retry succeeds: two JSON descriptions recorded, both naming the
 *      referral, the peer and P1, and neither holding the referral's
 *      summary (a body; TLP:GREEN, above summary_max_tlp = clear). The outcomes are in the events table (kind
 *      "notify", through the API) and in the log.
 *   2. A hook that hangs is killed at notify_timeout_ms and retried until
 *      it gives up, while the agent keeps answering its local API.
 *   3. Every line the agent logged is one JSON object with the fixed keys,
 *      and no line holds the body text.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define SECRET	"SYNTHETIC-BODY-MUST-NOT-LEAK"
#define HOUR	(3600ULL * 1000)

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	char			 clock[LSN_FX_PATH_MAX + 16];
	char			 rec[LSN_FX_PATH_MAX + 32];
	char			 hang[LSN_FX_PATH_MAX + 32];
	uint64_t		 t0;
};

static void
set_clock(struct env *e, uint64_t ms)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long) ms);
	assert_ok(lsn_file_write_atomic(e->clock, buf, strlen(buf), 0600));
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 hook[LSN_FX_PATH_MAX + 32], script[2048];
	char			 extra[4096];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	snprintf(e->rec, sizeof(e->rec), "%s/notify.jsonl", e->fx->dir);
	snprintf(e->hang, sizeof(e->hang), "%s/hang", e->fx->dir);
	snprintf(hook, sizeof(hook), "%s/hook.sh", e->fx->dir);
	snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "d='%s'\n"
	    "cat >> \"$d/notify.jsonl\"\n"
	    "n=$(cat \"$d/count\" 2>/dev/null || echo 0)\n"
	    "n=$((n + 1)); echo $n > \"$d/count\"\n"
	    "[ -e \"$d/hang\" ] && exec sleep 120\n"
	    "[ $n -eq 1 ] && exit 3\n"
	    "exit 0\n", e->fx->dir);
	assert_ok(lsn_file_write_atomic(hook, script, strlen(script), 0700));
	snprintf(e->clock, sizeof(e->clock), "%s/clock",
	    e->fx->partners[0].dir);
	e->t0 = lsn_now_ms();
	set_clock(e, e->t0);
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	snprintf(extra, sizeof(extra), "test_clock_file = %s\n"
	    "log_format = json\nnotify_cmd = %s\nnotify_timeout_ms = 1000\n"
	    "notify_retries = 2\nnotify_retry_ms = 100\n"
	    "summary_max_tlp = clear\n", e->clock, hook);
	assert_true(agent_it_start(e->fx, 0, e->ep, extra) > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 20000));
	*state = e;
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

/* A P1 referral rid (TLP:GREEN, summary SECRET) from agent 0 to
 * partners[1]. */
static void
send_referral(struct env *e, const uint8_t rid[16])
{
	assert_ok(agent_it_send_referral(e->fx, 0, 1, rid,
	    LIAISON__V1__TLP__TLP_GREEN, SECRET));
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return (strdup(""));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	assert_non_null(buf = calloc(1, (size_t) n + 1));
	if (n > 0 && fread(buf, 1, (size_t) n, fp) != (size_t) n)
		buf[0] = '\0';
	fclose(fp);
	return (buf);
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t	n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return (n);
}

/* Waits until path holds at least n copies of needle. */
static void
wait_for(const char *path, const char *needle, size_t n, int timeout_ms)
{
	uint64_t	until = lsn_mono_ms() + (uint64_t) timeout_ms;
	char		*s = NULL;

	for (;;) {
		free(s);
		s = slurp(path);
		if (count_of(s, needle) >= n || lsn_mono_ms() > until)
			break;
		lsn_proc_sleep_ms(100);
	}
	if (count_of(s, needle) < n)
		fail_msg("%s: %zu x '%s', want %zu:\n%s", path,
		    count_of(s, needle), needle, n, s);
	free(s);
}

static void
check_description(const char *line, const char *hex, const char *peer)
{
	json_t		*o;
	json_error_t	 err;

	o = json_loads(line, 0, &err);
	if (o == NULL)
		fail_msg("not JSON: %s (%s)", line, err.text);
	assert_string_equal(json_string_value(json_object_get(o, "event")),
	    "escalation");
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
	    "referral");
	assert_string_equal(json_string_value(json_object_get(o, "item_id")),
	    hex);
	assert_string_equal(json_string_value(json_object_get(o, "peer")),
	    peer);
	assert_int_equal(json_integer_value(json_object_get(o, "priority")),
	    1);
	/* a GREEN referral's summary is above summary_max_tlp = clear */
	assert_null(json_object_get(o, "summary"));
	json_decref(o);
}

static size_t
notify_events(struct env *e, const char *needle)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__EventsRequest	 ev = LIAISON__V1__EVENTS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	size_t				 n = 0;

	ev.has_limit = 1;
	ev.limit = 1000;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_EVENTS;
	req.events = &ev;
	assert_ok(agent_it_call(e->fx, 0, &req, &resp));
	assert_non_null(resp->events);
	for (size_t i = 0; i < resp->events->n_events; i++) {
		Liaison__V1__Event *x = resp->events->events[i];

		if (x->kind != NULL && strcmp(x->kind, "notify") == 0 &&
		    x->detail != NULL && strstr(x->detail, needle) != NULL)
			n++;
	}
	lsn_client_response_free(&resp);
	return (n);
}

static void
test_notify_retry_timeout_and_json_log(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 rid[16], rid2[16];
	char				 hex[33], *s, *line, *save = NULL;
	size_t				 nlines = 0;

	lsn_random(rid, sizeof(rid));
	lsn_hex_encode(rid, 16, hex);
	send_referral(e, rid);
	assert_ok(agent_it_wait_inbox(e->fx, 1, 1, 30000));
	set_clock(e, e->t0 + 2 * HOUR);
	/* failed once, then delivered: two descriptions */
	wait_for(e->rec, "\"event\":\"escalation\"", 2, 30000);
	wait_for(e->fx->partners[0].agent_log, "delivered (attempt 2)", 1,
	    30000);
	s = slurp(e->rec);
	assert_null(strstr(s, SECRET));
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		check_description(line, hex, e->fx->partners[1].id);
	free(s);
	assert_int_equal(notify_events(e, "failed (attempt 1)"), 1);
	assert_int_equal(notify_events(e, "ok (attempt 2)"), 1);

	/* a hanging hook: killed at the timeout, retried, given up */
	assert_ok(lsn_file_write_atomic(e->hang, "1", 1, 0600));
	lsn_random(rid2, sizeof(rid2));
	send_referral(e, rid2);
	assert_ok(agent_it_wait_inbox(e->fx, 1, 3, 30000));
	set_clock(e, e->t0 + 4 * HOUR);
	wait_for(e->rec, "\"event\":\"escalation\"", 3, 30000);
	/* the loop is not blocked by the hanging child */
	assert_ok(agent_it_status(e->fx, 0, &r));
	lsn_client_response_free(&r);
	wait_for(e->fx->partners[0].agent_log, "gave up after 3 attempts", 1,
	    60000);
	assert_int_equal(notify_events(e, "timeout (attempt 3)"), 1);
	assert_int_equal(notify_events(e, "gave_up"), 1);

	/* the JSON log: one object per line, fixed keys, no body */
	s = slurp(e->fx->partners[0].agent_log);
	assert_null(strstr(s, SECRET));
	save = NULL;
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		json_t		*o;
		json_error_t	 err;

		if ((o = json_loads(line, 0, &err)) == NULL)
			fail_msg("log line is not JSON: %s", line);
		assert_true(json_is_string(json_object_get(o, "ts")));
		assert_true(json_is_string(json_object_get(o, "level")));
		assert_string_equal(json_string_value(json_object_get(o,
		    "ident")), "liaison-agent");
		assert_true(json_is_integer(json_object_get(o, "pid")));
		assert_true(json_is_boolean(json_object_get(o, "auth")));
		assert_true(json_is_string(json_object_get(o, "event")));
		assert_true(json_is_string(json_object_get(o, "msg")));
		json_decref(o);
		nlines++;
	}
	free(s);
	assert_true(nlines > 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_retry_timeout_and_json_log),
	};

	return (cmocka_run_group_tests_name("notify_escalation", tests, setup,
	    teardown));
}
