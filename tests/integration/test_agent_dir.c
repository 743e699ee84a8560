/*
 * test_agent_dir.c -- directory replication with real processes: an admin
 * op submitted through one agent (`liaison submit`) reaches every agent
 * and is verified there (same rev and digest); a partner's self-signed
 * contact update propagates; an op with too few signatures is refused by
 * the broker and the error reaches the CLI; directory queries are answered
 * while the broker is down.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define NAGENTS	4

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = NAGENTS;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	for (size_t i = 0; i < NAGENTS; i++)
		assert_true(agent_it_start(e->fx, i, e->ep, NULL) > 0);
	for (size_t i = 0; i < NAGENTS; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
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

static void
head_of(struct env *e, size_t i, uint64_t *rev, uint8_t digest[32])
{
	Liaison__V1__ApiResponse	*r = NULL;

	assert_ok(agent_it_status(e->fx, i, &r));
	assert_non_null(r->status);
	assert_non_null(r->status->dir_head);
	*rev = r->status->dir_head->rev;
	assert_int_equal(r->status->state_digest.len, 32);
	memcpy(digest, r->status->state_digest.data, 32);
	assert_int_equal(r->status->n_alerts, 0);
	lsn_client_response_free(&r);
}

/* Waits until every agent is at rev and all digests agree. */
static void
wait_all_at(struct env *e, uint64_t rev)
{
	uint8_t		d0[32], d[32];
	uint64_t	r;

	for (size_t i = 0; i < NAGENTS; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, rev, 10000));
	head_of(e, 0, &r, d0);
	assert_int_equal(r, rev);
	for (size_t i = 1; i < NAGENTS; i++) {
		head_of(e, i, &r, d);
		assert_int_equal(r, rev);
		assert_memory_equal(d, d0, 32);
	}
}

static char *
write_op(struct env *e, const char *name, const uint8_t *op, size_t len)
{
	char	*path;

	assert_non_null(path = malloc(LSN_FX_PATH_MAX + 64));
	snprintf(path, LSN_FX_PATH_MAX + 64, "%s/%s", e->fx->dir, name);
	assert_ok(lsn_file_write_atomic(path, op, len, 0600));
	return (path);
}

static char *
read_text(const char *path)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;

	if (lsn_file_read(path, 1 << 20, &buf, &len) != LSN_OK)
		return (strdup(""));
	return ((char *) buf);
}

static void
test_agent_admin_op_through_agent_reaches_every_agent(void **state)
{
	struct env	*e = *state;
	uint8_t		*op = NULL, d[32];
	size_t		 len = 0;
	uint64_t	 rev0;
	char		*path, *out = NULL, *err, errlog[LSN_FX_PATH_MAX + 16];

	head_of(e, 0, &rev0, d);
	assert_ok(lsn_fixture_op_create_group(e->fx, "meeting-planners", 1,
	    &op, &len));
	path = write_op(e, "group.op", op, len);
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "submit", path, NULL),
	    0);
	assert_non_null(strstr(out, "accepted"));
	free(out);
	out = NULL;
	wait_all_at(e, rev0 + 1);
	/* the new group is visible in every replica */
	for (size_t i = 0; i < NAGENTS; i++) {
		assert_int_equal(agent_it_cli(e->fx, i, &out, "agent-dir",
		    "groups", NULL), 0);
		assert_non_null(strstr(out, "meeting-planners"));
		free(out);
		out = NULL;
	}
	/* the same op again is refused (replay) and says so */
	snprintf(errlog, sizeof(errlog), "%s/cli.err", e->fx->dir);
	{
		char *bin = lsn_proc_bin(LSN_BIN_CLI), ep[256];
		char *argv[] = { bin, (char *) (uintptr_t) "submit", path,
		    (char *) (uintptr_t) "--agent", ep, NULL };

		agent_it_endpoint(e->fx, 2, ep, sizeof(ep));
		assert_int_equal(lsn_proc_run(bin, argv, NULL, errlog, 30000),
		    1);
		free(bin);
	}
	err = read_text(errlog);
	assert_non_null(strstr(err, "OPREPLAY"));
	free(err);
	free(path);
	free(op);
}

static void
test_agent_self_signed_contact_update_propagates(void **state)
{
	struct env		*e = *state;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__SetContact	 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__Contact	 c = LIAISON__V1__CONTACT__INIT;
	uint8_t			*buf = NULL, *sbuf = NULL, d[32];
	size_t			 len = 0, slen = 0;
	uint64_t		 rev0, version = 0;
	char			*path, *out = NULL;
	json_t			*j, *p, *cs;
	json_error_t		 jerr;
	const char		*me = e->fx->partners[2].id;

	head_of(e, 0, &rev0, d);
	/* the partner's current version from its own replica */
	assert_int_equal(agent_it_cli(e->fx, 2, &out, "agent-dir", "show", me,
	    "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	p = json_array_get(json_object_get(j, "partners"), 0);
	version = (uint64_t) json_integer_value(json_object_get(p,
	    "version"));
	assert_true(version >= 1);
	json_decref(j);
	free(out);
	out = NULL;

	c.contact_id = (char *) (uintptr_t) "duty-desk";
	c.name = (char *) (uintptr_t) "Duty desk (synthetic)";
	c.role = (char *) (uintptr_t) "24/7 desk";
	c.email = (char *) (uintptr_t) "duty@example.org";
	c.has_is_24x7 = 1;
	c.is_24x7 = 1;
	sc.partner_id = (char *) (uintptr_t) me;
	sc.contact = &c;
	op.author = (char *) (uintptr_t) me;
	op.has_expected_version = 1;
	op.expected_version = version;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
	op.set_contact = &sc;
	assert_ok(lsn_fixture_op_sign(e->fx, &op, 0, &buf, &len));
	assert_ok(lsn_dirop_sign(buf, len, e->fx->partners[2].sign, &sbuf,
	    &slen));
	path = write_op(e, "contact.op", sbuf, slen);
	assert_int_equal(agent_it_cli(e->fx, 2, &out, "submit", path, NULL),
	    0);
	free(out);
	out = NULL;
	wait_all_at(e, rev0 + 1);
	/* another agent shows the new contact */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "agent-dir", "show", me,
	    "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	p = json_array_get(json_object_get(j, "partners"), 0);
	cs = json_object_get(p, "contacts");
	assert_true(json_array_size(cs) >= 1);
	assert_non_null(strstr(out, "duty@example.org"));
	json_decref(j);
	free(out);
	free(path);
	free(buf);
	free(sbuf);
}

static void
test_agent_op_with_too_few_signatures_refused_error_reaches_cli(
    void **state)
{
	struct env	*e = *state;
	uint8_t		*op = NULL, d[32];
	size_t		 len = 0;
	uint64_t	 version = 0, rev0, rev1;
	char		*path, *err, errlog[LSN_FX_PATH_MAX + 16], ep[256];
	char		*bin;

	head_of(e, 0, &rev0, d);
	assert_ok(lsn_fixture_partner_version(e->fx, e->fx->partners[3].id,
	    &version));
	/* suspending is SENSITIVE: 2 signatures needed, 1 given */
	assert_ok(lsn_fixture_op_set_status(e->fx, e->fx->partners[3].id,
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, version, 1, &op,
	    &len));
	path = write_op(e, "suspend.op", op, len);
	snprintf(errlog, sizeof(errlog), "%s/cli2.err", e->fx->dir);
	agent_it_endpoint(e->fx, 0, ep, sizeof(ep));
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	{
		char *argv[] = { bin, (char *) (uintptr_t) "submit", path,
		    (char *) (uintptr_t) "--agent", ep, NULL };

		assert_int_equal(lsn_proc_run(bin, argv, NULL, errlog, 30000),
		    1);
	}
	err = read_text(errlog);
	assert_non_null(strstr(err, "THRESHOLD"));
	free(err);
	head_of(e, 0, &rev1, d);
	assert_int_equal(rev1, rev0);
	free(bin);
	free(path);
	free(op);
}

static void
test_agent_dir_queries_answered_while_broker_down(void **state)
{
	struct env	*e = *state;
	char		*out = NULL;

	assert_int_equal(lsn_proc_kill9(e->broker), 137);
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "agent-dir", "show",
	    e->fx->partners[1].id, NULL), 0);
	assert_non_null(strstr(out, e->fx->partners[1].id));
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "agent-dir", "list",
	    NULL), 0);
	for (size_t i = 0; i < NAGENTS; i++)
		assert_non_null(strstr(out, e->fx->partners[i].id));
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "agent-dir", "group",
	    "all-members", NULL), 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_admin_op_through_agent_reaches_every_agent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_self_signed_contact_update_propagates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_op_with_too_few_signatures_refused_error_reaches_cli,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_dir_queries_answered_while_broker_down,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
