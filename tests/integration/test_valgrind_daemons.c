/*
 * test_valgrind_daemons.c -- the broker and an agent under valgrind
 * (memcheck, --leak-check=full, definite and indirect leaks are errors)
 * through a normal run: start, Hello and the first directory sync, notes
 * both ways (one to a group, one TLP:AMBER sealed), receipts, an inbox
 * fetch and mark, a directory query, a directory op submitted through the
 * agent's API and pushed live to both agents, then SIGTERM and a clean
 * shutdown. Fails on any memcheck error or leak (valgrind's exit code) or
 * an unclean exit; prints each daemon's valgrind summary.
 *
 * The peer agent runs without valgrind (it is only the other end).
 * Skipped in a sanitizer build (valgrind cannot run ASan binaries: the
 * test is built with the same flags as the daemons, so the check is at
 * compile time) and when valgrind is not installed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.pb-c.h"
#include "directory.pb-c.h"
#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "http_raw.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define VG_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VG_SANITIZED	1
#endif
#endif
#ifndef VG_SANITIZED
#define VG_SANITIZED	0
#endif

#define VG_EXIT		99	/* valgrind's exit code on errors */
#define VG_START_MS	60000
#define VG_STOP_MS	60000
#define VG_WAIT_MS	45000

/* valgrind is slow: no dead-peer verdicts from its pauses */
#define VG_AGENT_CONF							\
	"ping_ms = 2000\n"						\
	"dead_after_ms = 30000\n"					\
	"reconnect_min_ms = 50\n"					\
	"reconnect_max_ms = 400\n"					\
	"resend_ms = 2000\n"						\
	"http_listen = 127.0.0.1:0\n"

struct vg {
	struct lsn_fixture	*fx;
	char			*valgrind;
	pid_t			 broker, agent, peer;
	char			 ep[256];
	char			 broker_vg[LSN_FX_PATH_MAX + 16];
	char			 agent_vg[LSN_FX_PATH_MAX + 16];
};


/* The valgrind binary from PATH, or NULL. */
static char *
find_valgrind(void)
{
	const char	*path = getenv("PATH");
	char		*copy, *dir, *save = NULL, *p = NULL;
	char		 buf[4096];

	if (path == NULL)
		path = "/usr/bin:/bin";
	if ((copy = strdup(path)) == NULL)
		return (NULL);
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/valgrind", dir);
		if (access(buf, X_OK) == 0) {
			p = strdup(buf);
			break;
		}
	}
	free(copy);
	return (p);
}

/* Starts rel (a daemon binary) under valgrind with -d -c conf. */
static pid_t
vg_spawn(struct vg *v, const char *rel, const char *conf, const char *vglog,
    const char *log)
{
	char	 logopt[LSN_FX_PATH_MAX + 32], exitopt[32], *bin, *argv[16];
	pid_t	 pid;
	int	 n = 0;

	assert_non_null(bin = lsn_proc_bin(rel));
	snprintf(logopt, sizeof(logopt), "--log-file=%s", vglog);
	snprintf(exitopt, sizeof(exitopt), "--error-exitcode=%d", VG_EXIT);
	argv[n++] = v->valgrind;
	argv[n++] = lsn_proc_mut("-q");
	argv[n++] = lsn_proc_mut("--leak-check=full");
	argv[n++] = lsn_proc_mut("--errors-for-leak-kinds=definite,indirect");
	argv[n++] = lsn_proc_mut("--show-leak-kinds=definite,indirect");
	argv[n++] = exitopt;
	argv[n++] = lsn_proc_mut("--num-callers=30");
	argv[n++] = logopt;
	argv[n++] = bin;
	argv[n++] = lsn_proc_mut("-d");
	argv[n++] = lsn_proc_mut("-c");
	argv[n++] = lsn_proc_mut(conf);
	argv[n] = NULL;
	pid = lsn_proc_spawn(v->valgrind, argv, log);
	free(bin);
	return (pid);
}

/* SIGTERM, then the exit status (valgrind's leak check included). */
static int
vg_stop(pid_t pid, const char *vglog, const char *what)
{
	int	st;

	assert_int_equal(lsn_proc_signal(pid, SIGTERM), 0);
	st = lsn_proc_wait(pid, VG_STOP_MS);
	if (st == -2)
		st = lsn_proc_kill9(pid);
	printf("valgrind: %s exited with status %d%s\n", what, st,
	    st == VG_EXIT ? " (memcheck errors or leaks)" : "");
	if (st != 0)
		lsn_proc_dump_log(vglog, 12000);
	return (st);
}

/* Prints the memcheck summary lines of a valgrind log (-q: only errors). */
static void
vg_summary(const char *vglog, const char *what)
{
	struct stat	sb;

	if (stat(vglog, &sb) == 0)
		printf("valgrind: %s: %lld bytes of memcheck reports%s\n",
		    what, (long long) sb.st_size, sb.st_size == 0 ?
		    " (no errors, no definite or indirect leaks)" : "");
	else
		printf("valgrind: %s: no log\n", what);
}

static Liaison__V1__ApiResponse *
call(struct vg *v, size_t i, Liaison__V1__ApiRequest *req)
{
	Liaison__V1__ApiResponse	*r = NULL;
	struct lsn_client		*c = NULL;
	char				 ep[LSN_CLIENT_EP_MAX];

	agent_it_endpoint(v->fx, i, ep, sizeof(ep));
	assert_ok(lsn_client_open(ep, &c));
	assert_ok(lsn_client_call(c, req, VG_WAIT_MS, &r));
	lsn_client_close(&c);
	if (r->code != 0)
		fail_msg("agent %zu: %s: %s", i,
		    lsn_errname(lsn_err_from_wire((int) r->code)),
		    r->detail != NULL ? r->detail : "");
	return (r);
}

static void
submit(struct vg *v, size_t from, const char *to, const char *group,
    int tlp, const char *text)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*r;
	char				*tov[1], *grv[1];
	uint8_t				 body[1024];

	note.text = lsn_proc_mut(text);
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	if (to != NULL) {
		tov[0] = lsn_proc_mut(to);
		sr.n_to = 1;
		sr.to = tov;
	}
	if (group != NULL) {
		grv[0] = lsn_proc_mut(group);
		sr.n_to_groups = 1;
		sr.to_groups = grv;
	}
	h.has_tlp = 1;
	h.tlp = tlp;
	sr.handling = &h;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	r = call(v, from, &req);
	lsn_client_response_free(&r);
}

static void
wait_drained(struct vg *v, size_t i)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + VG_WAIT_MS;
	uint64_t			 pending = 1;

	while (lsn_mono_ms() < deadline) {
		assert_ok(agent_it_status(v->fx, i, &r));
		assert_non_null(r->status);
		pending = r->status->outbox_pending;
		assert_int_equal(r->status->outbox_rejected, 0);
		lsn_client_response_free(&r);
		if (pending == 0)
			return;
		lsn_proc_sleep_ms(100);
	}
	fail_msg("outbox of agent %zu still has %llu pending", i,
	    (unsigned long long) pending);
}

static uint64_t
dir_rev(struct vg *v, size_t i)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 rev;

	assert_ok(agent_it_status(v->fx, i, &r));
	assert_non_null(r->status);
	assert_non_null(r->status->dir_head);
	rev = r->status->dir_head->rev;
	lsn_client_response_free(&r);
	return (rev);
}

static void
wait_rev(struct vg *v, size_t i, uint64_t rev)
{
	uint64_t	deadline = lsn_mono_ms() + VG_WAIT_MS;

	while (lsn_mono_ms() < deadline) {
		if (dir_rev(v, i) >= rev)
			return;
		lsn_proc_sleep_ms(100);
	}
	fail_msg("agent %zu did not reach directory rev %llu", i,
	    (unsigned long long) rev);
}

/* Fetches and marks READ the first inbox item of agent i. */
static void
fetch_and_mark(struct vg *v, size_t i)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxFetchRequest	 fr =
	    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest	 mr =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*list = NULL, *r;

	lr.has_include_acked = lr.include_acked = 1;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	req.inbox_list = &lr;
	list = call(v, i, &req);
	assert_non_null(list->inbox_list);
	assert_true(list->inbox_list->n_items > 0);
	for (size_t k = 0; k < list->inbox_list->n_items; k++) {
		fr.has_message_id = 1;
		fr.message_id = list->inbox_list->items[k]->message_id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
		req.inbox_fetch = &fr;
		r = call(v, i, &req);
		assert_non_null(r->inbox_fetch);
		assert_non_null(r->inbox_fetch->item);
		assert_true(r->inbox_fetch->item->has_body);
		lsn_client_response_free(&r);
	}
	mr.has_message_id = 1;
	mr.message_id = list->inbox_list->items[0]->message_id;
	mr.has_stage = 1;
	mr.stage = LIAISON__V1__MARK_STAGE__MARK_READ;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	req.inbox_mark = &mr;
	r = call(v, i, &req);
	lsn_client_response_free(&r);
	mr.stage = LIAISON__V1__MARK_STAGE__MARK_ACKED;
	r = call(v, i, &req);
	lsn_client_response_free(&r);
	lsn_client_response_free(&list);
}

static void
dir_ops(struct vg *v)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirSubmitRequest	 ds =
	    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 dq =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__SignedDirOp	*sop;
	Liaison__V1__ApiResponse	*r;
	uint8_t				*op = NULL;
	size_t				 oplen = 0;
	uint64_t			 rev;

	/* a query served from the verified replica */
	dq.search = lsn_proc_mut("p0");
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &dq;
	r = call(v, 0, &req);
	assert_non_null(r->dir_query);
	assert_int_equal(r->dir_query->n_partners, 2);
	lsn_client_response_free(&r);

	/* a routine op through the agent: appended, pushed to both */
	rev = dir_rev(v, 0);
	assert_ok(lsn_fixture_op_create_group(v->fx, "vg-check", 1, &op,
	    &oplen));
	assert_non_null(sop = liaison__v1__signed_dir_op__unpack(NULL, oplen,
	    op));
	ds.op = sop;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT;
	req.dir_submit = &ds;
	r = call(v, 0, &req);
	assert_non_null(r->dir_submit);
	assert_true(r->dir_submit->rev > rev);
	rev = r->dir_submit->rev;
	lsn_client_response_free(&r);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	free(op);
	wait_rev(v, 0, rev);
	wait_rev(v, 1, rev);
}

/* /metrics of both daemons and the agent's page, rendered under valgrind
 * (the HTTP thread, the snapshots, the renderers). */
static void
http_pages(struct vg *v)
{
	static char	resp[256 * 1024];
	char		path[LSN_FX_PATH_MAX + 16], bhp[64], ahp[64];

	snprintf(path, sizeof(path), "%s.metrics", v->fx->broker_db);
	assert_int_equal(http_addr_wait(path, bhp, sizeof(bhp), 10000), 0);
	snprintf(path, sizeof(path), "%s.http", v->fx->partners[0].agent_db);
	assert_int_equal(http_addr_wait(path, ahp, sizeof(ahp), 10000), 0);
	assert_int_equal(http_get(bhp, "/metrics", resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "liaison_broker_messages_in_total"));
	assert_int_equal(http_get(ahp, "/metrics", resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "liaison_agent_messages_out_total"));
	assert_int_equal(http_get(ahp, "/", resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "Liaison directory"));
	assert_int_equal(http_get(ahp, "/nope", resp, sizeof(resp)), 404);
}

static void
test_valgrind_broker_and_agent_normal_run_no_errors_no_leaks(void **state)
{
	struct vg	*v = *state;
	uint64_t	 t0 = lsn_mono_ms(), n = 0;
	char		 sock[LSN_FX_PATH_MAX + 16];
	int		 bst, ast;

	if (VG_SANITIZED) {
		printf("valgrind: skipped: this is a sanitizer build "
		    "(valgrind cannot run ASan binaries)\n");
		skip();
	}
	/* A missing valgrind is a failure: the check would silently
	 * not run (scripts/install-deps installs it). */
	if (v->valgrind == NULL)
		fail_msg("valgrind is not installed: run scripts/install-deps");
	/* the broker under valgrind */
	assert_ok(lsn_fixture_write_broker_conf(v->fx, NULL,
	    "metrics_listen = 127.0.0.1:0\n"));
	(void) unlink(v->fx->endpoint_file);
	snprintf(v->broker_vg, sizeof(v->broker_vg), "%s/broker.vg",
	    v->fx->dir);
	v->broker = vg_spawn(v, LSN_BIN_BROKER, v->fx->broker_conf,
	    v->broker_vg, v->fx->broker_log);
	assert_true(v->broker > 0);
	if (lsn_proc_wait_file(v->fx->endpoint_file, VG_START_MS,
	    v->broker) != 0) {
		lsn_proc_dump_log(v->fx->broker_log, 4000);
		lsn_proc_dump_log(v->broker_vg, 8000);
		fail_msg("the broker did not start under valgrind");
	}
	assert_ok(lsn_fixture_endpoint(v->fx, v->ep, sizeof(v->ep)));

	/* agent 0 under valgrind, agent 1 without */
	assert_ok(lsn_fixture_write_agent_conf(v->fx, 0, v->ep,
	    VG_AGENT_CONF));
	snprintf(sock, sizeof(sock), "%s/api.sock", v->fx->partners[0].dir);
	(void) remove(sock);
	snprintf(v->agent_vg, sizeof(v->agent_vg), "%s/agent.vg",
	    v->fx->dir);
	v->agent = vg_spawn(v, LSN_BIN_AGENT, v->fx->partners[0].agent_conf,
	    v->agent_vg, v->fx->partners[0].agent_log);
	assert_true(v->agent > 0);
	v->peer = agent_it_start(v->fx, 1, v->ep, NULL);
	assert_true(v->peer > 0);
	if (lsn_proc_wait_file(sock, VG_START_MS, v->agent) != 0) {
		lsn_proc_dump_log(v->fx->partners[0].agent_log, 4000);
		lsn_proc_dump_log(v->agent_vg, 8000);
		fail_msg("the agent did not start under valgrind");
	}
	/* Hello, Welcome and the first directory sync */
	assert_ok(agent_it_wait_connected(v->fx, 0, 1, VG_WAIT_MS));
	assert_ok(agent_it_wait_connected(v->fx, 1, 1, VG_WAIT_MS));
	printf("valgrind: daemons up and synced after %.1f s\n",
	    (double) (lsn_mono_ms() - t0) / 1000.0);

	/* messages both ways; a group one and a sealed one */
	submit(v, 0, v->fx->partners[1].id, NULL,
	    LIAISON__V1__TLP__TLP_GREEN, "valgrind note 1 from p01");
	submit(v, 0, NULL, "all-members", LIAISON__V1__TLP__TLP_GREEN,
	    "valgrind note 2 from p01 to the group");
	submit(v, 0, v->fx->partners[1].id, NULL,
	    LIAISON__V1__TLP__TLP_AMBER, "valgrind note 3 from p01, sealed");
	submit(v, 1, v->fx->partners[0].id, NULL,
	    LIAISON__V1__TLP__TLP_GREEN, "valgrind note 1 from p02");
	submit(v, 1, v->fx->partners[0].id, NULL,
	    LIAISON__V1__TLP__TLP_AMBER, "valgrind note 2 from p02, sealed");
	assert_ok(agent_it_wait_inbox(v->fx, 1, 3, VG_WAIT_MS));
	assert_ok(agent_it_wait_inbox(v->fx, 0, 2, VG_WAIT_MS));
	fetch_and_mark(v, 0);
	fetch_and_mark(v, 1);
	/* delivery receipts and the READ receipts are sent and accepted */
	wait_drained(v, 0);
	wait_drained(v, 1);
	dir_ops(v);
	assert_ok(agent_it_counts(v->fx, 0, &n, NULL));
	assert_int_equal(n, 2);
	http_pages(v);

	/* clean shutdown: SIGTERM, the leak check runs at exit */
	ast = vg_stop(v->agent, v->agent_vg, "liaison-agent");
	v->agent = -1;
	assert_int_equal(lsn_proc_stop(v->peer), 0);
	v->peer = -1;
	bst = vg_stop(v->broker, v->broker_vg, "liaison-broker");
	v->broker = -1;
	vg_summary(v->agent_vg, "liaison-agent");
	vg_summary(v->broker_vg, "liaison-broker");
	printf("valgrind: whole run %.1f s\n",
	    (double) (lsn_mono_ms() - t0) / 1000.0);
	fflush(stdout);
	assert_int_equal(ast, 0);
	assert_int_equal(bst, 0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct vg		*v;

	if (lsn_init() != LSN_OK)
		return (-1);
	assert_non_null(v = calloc(1, sizeof(*v)));
	v->broker = v->agent = v->peer = -1;
	v->valgrind = find_valgrind();
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &v->fx));
	*state = v;
	return (0);
}

static int
teardown(void **state)
{
	struct vg	*v = *state;

	lsn_proc_kill_all();
	if (v == NULL)
		return (0);
	lsn_fixture_destroy(&v->fx);
	free(v->valgrind);
	free(v);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_valgrind_broker_and_agent_normal_run_no_errors_no_leaks,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
