/*
 * test_reply_marking.c -- replies keep the case's marking (issue 13, item
 * 3; docs/threat-model.md).
 *
 * p01 offers an AMBER referral to p02 and raises a RED alert; p02 runs
 * the thread from the CLI as an operator would (ack, request info,
 * accept, close with text; acknowledge the alert with text), p01
 * supplies the information; p01 invites p02 to an AMBER meeting (API)
 * and p02 answers with an RSVP note. Every text carries a marker. Then:
 *   - no marker appears in any file of the broker (database, WAL,
 *     logs), read byte by byte: every reply was sealed;
 *   - an integrator that asks for an alert acknowledgement at TLP GREEN
 *     in a RED alert's thread is refused with E_MARKING.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <dirent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS	30000

struct rt {
	struct lsn_fixture	*fx;
	int			 broker;
	char			 ep[256];
	char			 tag[17];	/* random, per run */
};


/* "MARK-<tag>-<what>" */
static void
marker(const struct rt *t, const char *what, char *buf, size_t sz)
{
	snprintf(buf, sz, "MARK-%s-%s", t->tag, what);
}

/* The id printed after `word ` in out. */
static void
id_after(const char *out, const char *word, char hex[33])
{
	const char	*p = strstr(out, word);

	if (p == NULL || strlen(p) < strlen(word) + 33)
		fail_msg("no '%s' in: %s", word, out);
	memcpy(hex, p + strlen(word) + 1, 32);
	hex[32] = '\0';
}

static void
cli_ok(struct rt *t, size_t i, char **out, const char *a0, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5,
    const char *a6, const char *a7)
{
	int	rc;

	rc = agent_it_cli(t->fx, i, out, a0, a1, a2, a3, a4, a5, a6, a7,
	    NULL);
	if (rc != 0)
		fail_msg("liaison %s %s %s ... exited %d", a0, a1,
		    a2 != NULL ? a2 : "", rc);
}

/* Waits for n messages in partner i's inbox. */
static void
wait_inbox(struct rt *t, size_t i, uint64_t n)
{
	assert_ok(agent_it_wait_inbox(t->fx, i, n, T_MS));
}

/* Submits a typed body through the API; returns the agent's code. */
static int
submit(struct rt *t, size_t from, const char *to, int type,
    const ProtobufCMessage *m, int tlp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 buf[4096];
	char				*tov[1];
	int				 code;

	tov[0] = lsn_proc_mut(to);
	sr.n_to = 1;
	sr.to = tov;
	sr.has_type = 1;
	sr.type = type;
	sr.has_body = 1;
	sr.body.len = protobuf_c_message_pack(m, buf);
	sr.body.data = buf;
	h.has_tlp = 1;
	h.tlp = tlp;
	sr.handling = &h;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	assert_ok(agent_it_call(t->fx, from, &req, &r));
	code = r->has_code ? lsn_err_from_wire((int) r->code) : LSN_OK;
	if (code != LSN_OK)
		print_message("submit: %s: %s\n", lsn_errname(code),
		    r->detail != NULL ? r->detail : "-");
	lsn_client_response_free(&r);
	return (code);
}

/* 1 if needle occurs anywhere in the file. */
static int
file_has(const char *path, const char *needle)
{
	FILE	*f;
	char	*buf;
	long	 n;
	int	 hit = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return (0);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t) n)) != NULL) {
		if (fread(buf, 1, (size_t) n, f) == (size_t) n)
			hit = memmem(buf, (size_t) n, needle,
			    strlen(needle)) != NULL;
		free(buf);
	}
	fclose(f);
	return (hit);
}

/* Counts the broker files (dir, plus the log) holding needle. */
static int
broker_files_with(struct rt *t, const char *needle, int *nfiles)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[1024];
	int		 hits = 0;

	*nfiles = 0;
	assert_non_null(d = opendir(t->fx->broker_dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->fx->broker_dir,
		    de->d_name);
		(*nfiles)++;
		if (file_has(p, needle)) {
			print_message("marker %s found in %s\n", needle, p);
			hits++;
		}
	}
	closedir(d);
	if (file_has(t->fx->broker_log, needle))
		hits++;
	return (hits);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 2 };
	struct rt		*t = calloc(1, sizeof(*t));
	uint8_t			 r[8];

	if (t == NULL || lsn_init() != LSN_OK ||
	    lsn_fixture_create(&o, &t->fx) != LSN_OK ||
	    lsn_fixture_start_broker(t->fx, getenv("LSN_TEST_VERBOSE") !=
	    NULL, &t->broker, t->ep, sizeof(t->ep)) != LSN_OK)
		return (-1);
	lsn_random(r, sizeof(r));
	lsn_hex_encode(r, sizeof(r), t->tag);
	for (size_t i = 0; i < 2; i++)
		if (agent_it_start(t->fx, i, t->ep, NULL) <= 0 ||
		    agent_it_wait_connected(t->fx, i, 0, T_MS) != LSN_OK)
			return (-1);
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct rt	*t = *state;

	lsn_proc_kill_all();
	if (t != NULL) {
		lsn_fixture_destroy(&t->fx);
		free(t);
	}
	return (0);
}

static void
test_reply_marking_threads(void **state)
{
	struct rt			*t = *state;
	Liaison__V1__MeetingNotice	 n = LIAISON__V1__MEETING_NOTICE__INIT;
	Liaison__V1__AlertAck		 ak = LIAISON__V1__ALERT_ACK__INIT;
	const char			*p01 = t->fx->partners[0].id;
	const char			*p02 = t->fx->partners[1].id;
	static const char *const what[] = { "handoff", "info", "supply",
	    "close", "alert", "ack", "meeting", "rsvp", "apiack" };
	char				 m[9][64], rid[33], aid[33], *out = NULL;
	uint8_t				 mid[16], aidb[16];
	char				 midhex[33];
	int				 hits = 0, nfiles = 0;

	for (size_t i = 0; i < 9; i++)
		marker(t, what[i], m[i], sizeof(m[i]));
	/* the AMBER referral thread */
	assert_int_equal(agent_it_cli(t->fx, 0, &out, "send", "referral",
	    "--to", p02, "--summary", m[0], "--category", "grooming",
	    "--country", "NL", "--tlp", "amber", NULL), 0);
	id_after(out, "referral", rid);
	free(out);
	wait_inbox(t, 1, 1);
	cli_ok(t, 1, NULL, "reply", rid, "ack", NULL, NULL, NULL, NULL, NULL);
	cli_ok(t, 1, NULL, "reply", rid, "info", "--text", m[1], NULL, NULL,
	    NULL);
	wait_inbox(t, 0, 2);
	cli_ok(t, 0, NULL, "reply", rid, "supply", "--text", m[2], NULL,
	    NULL, NULL);
	wait_inbox(t, 1, 2);
	cli_ok(t, 1, NULL, "reply", rid, "accept", NULL, NULL, NULL, NULL,
	    NULL);
	cli_ok(t, 1, NULL, "reply", rid, "close", "--outcome", "arrest",
	    "--text", m[3], NULL);
	/* the RED alert, acknowledged with text */
	assert_int_equal(agent_it_cli(t->fx, 0, &out, "send", "alert",
	    "--to", p02, "--summary", m[4], "--tlp", "red", NULL), 0);
	id_after(out, "alert", aid);
	free(out);
	wait_inbox(t, 1, 3);
	cli_ok(t, 1, NULL, "reply", aid, "ack", "--text", m[5], NULL, NULL,
	    NULL);
	/* the AMBER meeting (an integrator), answered with a note */
	lsn_random(mid, sizeof(mid));
	n.has_meeting_id = 1;
	n.meeting_id.data = mid;
	n.meeting_id.len = 16;
	n.has_version = 1;
	n.version = 1;
	n.title = m[6];
	n.has_kind = 1;
	n.kind = LIAISON__V1__MEETING_KIND__MEETING_OPERATIONAL;
	n.organiser_partner = lsn_proc_mut(p01);
	n.has_start_ms = 1;
	n.start_ms = lsn_now_ms() + 86400000ULL;
	n.has_end_ms = 1;
	n.end_ms = n.start_ms + 3600000ULL;
	n.time_zone = lsn_proc_mut("Europe/Lyon");
	n.virtual_link = lsn_proc_mut("https://meet.example.org/synthetic");
	n.has_status = 1;
	n.status = LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED;
	assert_int_equal(submit(t, 0, p02,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE, &n.base,
	    LIAISON__V1__TLP__TLP_AMBER), LSN_OK);
	wait_inbox(t, 1, 4);
	lsn_hex_encode(mid, 16, midhex);
	cli_ok(t, 1, NULL, "rsvp", midhex, "attending", "--note", m[7], NULL,
	    NULL, NULL);
	/* an integrator cannot answer a RED alert at GREEN */
	assert_int_equal(agent_it_cli(t->fx, 0, &out, "send", "alert",
	    "--to", p02, "--summary", m[4], "--tlp", "red", NULL), 0);
	id_after(out, "alert", aid);
	free(out);
	wait_inbox(t, 1, 5);
	assert_int_equal(lsn_hex_decode(aid, aidb, 16), LSN_OK);
	ak.has_alert_id = 1;
	ak.alert_id.data = aidb;
	ak.alert_id.len = 16;
	ak.text = m[8];
	assert_int_equal(submit(t, 1, p01,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK, &ak.base,
	    LIAISON__V1__TLP__TLP_GREEN), LSN_EMARKING);
	/* everything reached p01: handoff's replies, ack, rsvp */
	wait_inbox(t, 0, 6);
	/* the broker never saw a marker */
	for (size_t i = 0; i < 9; i++)
		hits += broker_files_with(t, m[i], &nfiles);
	assert_true(nfiles >= 2);	/* the database and its WAL at least */
	assert_int_equal(hits, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_marking_threads),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
