/*
 * test_api_access.c -- who may use an agent's local API (issue 13, item
 * 6). Whoever talks to it acts as the agency; the test is the attacker:
 *
 *   other user   a client running as nobody (uid/gid 65534, in a forked
 *                child) asks for the status, the inbox and a send: with
 *                the shipped modes it cannot reach the socket; with the
 *                socket and its directories opened to everyone (an
 *                administrator's mistake) the agent still answers
 *                nothing (libzmq's peer-credential accept filter drops the
 *                connection) and nothing is sent. The socket is 0660 in a
 *                directory without access for others.
 *   group        with api_allow_group = 65534 the same client is served.
 *   tcp://       refused by the configuration check without CURVE and an
 *                allow-list; with them, a client whose key is not listed
 *                and a client without CURVE get no answer (logged as a
 *                security event), a listed key does.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "api.pb-c.h"

#include "liaison/client.h"
#include "liaison/keys.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define NOBODY		65534
#define NO_MS		1500	/* a refusal: no answer within this */
#define YES_MS		10000	/* an allowed call, on a loaded machine */

struct env {
	struct lsn_fixture	*fx;
	int			 broker;
	char			 ep[256];
};


static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
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

/* A packed request: 0 status, 1 inbox list, 2 send a note to p02. */
static size_t
pack_request(int what, uint8_t *buf, size_t bufsz)
{
	Liaison__V1__ApiRequest		req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	st = LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__InboxListRequest	il =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__SubmitRequest	sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		note = LIAISON__V1__NOTE__INIT;
	uint8_t				body[256];
	char				*to[1] = { lsn_proc_mut("p02") };

	req.has_request_id = 1;
	req.request_id = 7;
	if (what == 0) {
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
		req.status = &st;
	} else if (what == 1) {
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
		req.inbox_list = &il;
	} else {
		note.text = lsn_proc_mut("synthetic: sent by another local user");
		sr.body.len = liaison__v1__note__pack(&note, body);
		sr.body.data = body;
		sr.has_body = 1;
		sr.has_type = 1;
		sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
		sr.n_to = 1;
		sr.to = to;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
		req.submit = &sr;
	}
	if (liaison__v1__api_request__get_packed_size(&req) > bufsz)
		return (0);
	return (liaison__v1__api_request__pack(&req, buf));
}

/*
 * Sends request `what` to ep (CURVE with server_pk and client kp when not
 * NULL). 1 if any answer came within t ms, 0 if none, -1 on a local
 * error.
 */
static int
api_try(const char *ep, const uint8_t *server_pk,
    const struct lsn_keypair *kp, int what, int t)
{
	uint8_t	 buf[1024];
	char	 rbuf[4096];
	void	*ctx = NULL, *s = NULL;
	size_t	 len;
	int	 rv = -1, zero = 0;

	if ((len = pack_request(what, buf, sizeof(buf))) == 0 ||
	    (ctx = zmq_ctx_new()) == NULL ||
	    (s = zmq_socket(ctx, ZMQ_DEALER)) == NULL ||
	    zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof(t)) != 0 ||
	    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)) != 0)
		goto out;
	if (server_pk != NULL &&
	    (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pk, 32) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, kp->pk, 32) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, kp->sk, 32) != 0))
		goto out;
	if (zmq_connect(s, ep) != 0 || zmq_send(s, buf, len, 0) < 0)
		goto out;
	rv = zmq_recv(s, rbuf, sizeof(rbuf), 0) >= 0 ? 1 : 0;
	if (rv == 0 && errno != EAGAIN)
		rv = -1;
 out:
	if (s != NULL)
		zmq_close(s);
	if (ctx != NULL)
		zmq_ctx_term(ctx);
	return (rv);
}

/* api_try as uid/gid NOBODY in a child; its result. */
static int
nobody_try(const char *ep, int what, int t)
{
	pid_t	c;
	int	status;

	if ((c = fork()) == 0) {
		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
		    setuid(NOBODY) != 0 || getuid() != NOBODY)
			_exit(3);
		switch (api_try(ep, NULL, NULL, what, t)) {
		case 1:
			_exit(1);
		case 0:
			_exit(0);
		default:
			_exit(2);
		}
	}
	assert_true(c > 0);
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) <= 1);
	return (WEXITSTATUS(status));
}

static int
file_has(const char *path, const char *s)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 found;

	if (lsn_file_read(path, 16 << 20, &buf, &len) != LSN_OK)
		return (0);
	found = strstr((char *) buf, s) != NULL;
	free(buf);
	return (found);
}

static void
test_api_access_other_user_refused(void **state)
{
	struct env			*e = *state;
	struct lsn_fixture_partner	*p = &e->fx->partners[0];
	Liaison__V1__ApiResponse	*r = NULL;
	char				 ep[LSN_FX_PATH_MAX + 16];
	struct stat			 sock, dir;

	assert_true(agent_it_start(e->fx, 0, e->ep, NULL) > 0);
	agent_it_endpoint(e->fx, 0, ep, sizeof(ep));
	assert_int_equal(stat(ep + 6, &sock), 0);
	assert_int_equal(stat(p->dir, &dir), 0);
	/* as shipped: nobody cannot reach the socket at all */
	assert_int_equal(nobody_try(ep, 0, NO_MS), 0);
	/* everything opened to everyone: the agent itself must refuse */
	assert_int_equal(chmod(e->fx->dir, 0755), 0);
	assert_int_equal(chmod(p->dir, 0755), 0);
	assert_int_equal(chmod(ep + 6, 0666), 0);
	assert_int_equal(nobody_try(ep, 0, NO_MS), 0);
	assert_int_equal(nobody_try(ep, 1, NO_MS), 0);
	assert_int_equal(nobody_try(ep, 2, NO_MS), 0);
	/* the agency's own user is served; nothing was sent */
	assert_ok(agent_it_status(e->fx, 0, &r));
	assert_int_equal(r->code, 0);
	assert_int_equal(r->status->outbox_pending, 0);
	lsn_client_response_free(&r);
	/* the modes the agent set: 0660 socket, directory closed to others */
	assert_int_equal(sock.st_mode & 0777, 0660);
	assert_int_equal(dir.st_mode & 027, 0);
}

static void
test_api_access_allowed_group_served(void **state)
{
	struct env	*e = *state;
	char		 ep[LSN_FX_PATH_MAX + 16];
	int		 got = 0;

	assert_true(agent_it_start(e->fx, 0, e->ep,
	    "api_allow_group = 65534\n") > 0);
	agent_it_endpoint(e->fx, 0, ep, sizeof(ep));
	assert_int_equal(chmod(e->fx->dir, 0755), 0);
	assert_int_equal(chmod(e->fx->partners[0].dir, 0755), 0);
	/* poll: a loaded machine may keep a starting agent busy */
	for (int i = 0; i < 3 && got != 1; i++)
		got = nobody_try(ep, 0, YES_MS);
	assert_int_equal(got, 1);
}

/* A free TCP port on 127.0.0.1 (bound, read, closed). */
static int
free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return (port);
}

/* liaison-agent -n -c conf: exit status, stdout+stderr text in *out. */
static int
check_conf(struct env *e, size_t i, char **out)
{
	char	*bin, *argv[5], log[LSN_FX_PATH_MAX + 16];
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	snprintf(log, sizeof(log), "%s/check.log", e->fx->partners[i].dir);
	(void) unlink(log);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-n");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = e->fx->partners[i].agent_conf;
	argv[4] = NULL;
	rv = lsn_proc_run(bin, argv, NULL, log, 10000);
	free(bin);
	if (lsn_file_read(log, 1 << 20, &buf, &len) != LSN_OK)
		buf = (uint8_t *) strdup("");
	*out = (char *) buf;
	return (rv);
}

static void
test_api_access_tcp_needs_curve_and_listed_key(void **state)
{
	struct env		*e = *state;
	struct lsn_fixture_partner *p = &e->fx->partners[0];
	struct lsn_keypair	*srv = NULL, *good = NULL, *bad = NULL;
	char			 api[64], extra[3 * LSN_FX_PATH_MAX];
	char			 skey[LSN_FX_PATH_MAX + 16];
	char			 allow[LSN_FX_PATH_MAX + 16], line[80];
	char			*out = NULL, *bin, *argv[6];
	int			 got = 0;

	snprintf(api, sizeof(api), "tcp://127.0.0.1:%d", free_port());
	/* without CURVE the configuration check refuses it */
	snprintf(extra, sizeof(extra), AGENT_IT_CONF_EXTRA "api = %s\n", api);
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep, extra));
	assert_int_equal(check_conf(e, 0, &out), 1);
	assert_non_null(strstr(out, "CURVE"));
	free(out);

	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "api", &srv));
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "good", &good));
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "bad", &bad));
	snprintf(skey, sizeof(skey), "%s/api.key", p->dir);
	snprintf(allow, sizeof(allow), "%s/api.allow", p->dir);
	assert_ok(lsn_keypair_save(srv, skey, NULL));
	memcpy(line, "# integrators\n", 14);
	lsn_hex_encode(good->pk, LSN_PK_BYTES, line + 14);
	strcat(line, "\n");
	assert_ok(lsn_file_write_atomic(allow, line, strlen(line), 0644));
	snprintf(extra, sizeof(extra), AGENT_IT_CONF_EXTRA "api = %s\n"
	    "api_key = %s\napi_allow_keys = %s\n", api, skey, allow);
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep, extra));
	assert_int_equal(check_conf(e, 0, &out), 0);
	free(out);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = p->agent_conf;
	argv[4] = NULL;
	assert_true(lsn_proc_spawn(bin, argv, p->agent_log) > 0);
	free(bin);
	/* the listed key is served (poll: the agent is starting) */
	for (int i = 0; i < 3 && got != 1; i++)
		got = api_try(api, srv->pk, good, 0, YES_MS);
	assert_int_equal(got, 1);
	/* a key not on the list, and no CURVE at all: no answer */
	assert_int_equal(api_try(api, srv->pk, bad, 0, NO_MS), 0);
	assert_int_equal(api_try(api, srv->pk, bad, 2, NO_MS), 0);
	assert_int_equal(api_try(api, NULL, NULL, 0, NO_MS), 0);
	assert_true(file_has(p->agent_log, "api: refused"));
	lsn_keypair_destroy(&srv);
	lsn_keypair_destroy(&good);
	lsn_keypair_destroy(&bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_api_access_other_user_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_access_allowed_group_served, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_api_access_tcp_needs_curve_and_listed_key, setup,
		    teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
