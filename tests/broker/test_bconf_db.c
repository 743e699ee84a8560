/*
 * test_bconf_db.c -- [broker] db: a sqlite file or a PostgreSQL URI; a URI
 * with a password, an unparsable one, or one without audit_head is refused
 * at load, and the error never repeats the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/store.h"

#include "broker.h"
#include "lsn_test.h"

/* Loads a configuration of the given [broker] lines. */
static int
load(const char *dir, const char *lines, struct bconf *c, char *err,
    size_t errlen)
{
	char	*path = lsn_test_path(dir, "broker.conf");
	FILE	*f;
	int	 rv;

	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "[broker]\nlisten = tcp://127.0.0.1:7730\n"
	    "sign_key = k/sign.key\ntransport_key = k/transport.key\n%s",
	    lines);
	assert_int_equal(fclose(f), 0);
	err[0] = '\0';
	rv = bconf_load(path, c, err, errlen);
	free(path);
	return (rv);
}

static void
test_bconf_db(void **state)
{
	struct bconf	 c;
	char		 err[512];
	char		*dir = lsn_test_tmpdir();

	(void) state;
	if (load(dir, "db = broker.db\n", &c, err, sizeof(err)) != LSN_OK)
		fail_msg("%s", err);
	assert_false(lsn_store_is_uri(c.db));
	assert_ok(load(dir, "db = postgresql://pg1,pg2/liaison?"
	    "target_session_attrs=read-write\naudit_head = /var/lib/x.head\n",
	    &c, err, sizeof(err)));
	assert_true(lsn_store_is_uri(c.db));
	assert_ok(load(dir, "db = postgres://pg1/liaison\n"
	    "audit_head = x.head\n", &c, err, sizeof(err)));

	/* no default audit head beside a URI */
	assert_err(load(dir, "db = postgresql://pg1/liaison\n", &c, err,
	    sizeof(err)), LSN_ECONFIG);
	assert_non_null(strstr(err, "audit_head"));
	/* a password, in either place, is refused and not repeated */
	assert_err(load(dir, "db = postgresql://u:sesame-cake@pg1/liaison\n"
	    "audit_head = x.head\n", &c, err, sizeof(err)), LSN_ECONFIG);
	assert_non_null(strstr(err, "password"));
	assert_null(strstr(err, "sesame-cake"));
	assert_err(load(dir, "db = postgresql://pg1/liaison?password="
	    "sesame-cake\naudit_head = x.head\n", &c, err, sizeof(err)),
	    LSN_ECONFIG);
	assert_null(strstr(err, "sesame-cake"));
	assert_err(load(dir, "db = postgresql://pg1/liaison?nosuchopt=1\n"
	    "audit_head = x.head\n", &c, err, sizeof(err)), LSN_ECONFIG);
	lsn_test_rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bconf_db),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
