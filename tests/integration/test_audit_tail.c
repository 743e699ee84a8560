/*
 * test_audit_tail.c -- `liaison audit verify` finds a cut or rewritten
 * tail of the broker's audit chain (issue 13, item 10).
 *
 * A real broker carries traffic from two agents and is stopped. The
 * attacker then edits its database with sqlite as an operator with file
 * access could: deletes the last rows, deletes them and the head file,
 * rewrites a row and recomputes every hash after it (the chain alone stays
 * intact), or edits the head file. Each must make verify exit 1 naming
 * the problem; the untouched database verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	int			 broker;
	char			 ep[256];
	char			 script[LSN_FX_PATH_MAX + 32];
};

/*
 * The attacker's tool: python3 SCRIPT DB cut N | rewrite ID | copy DST.
 * rewrite changes one row's detail and recomputes entry_hash / prev_hash
 * of it and every later row (BLAKE2b-256 as in include/liaison/audit.h).
 */
static const char attacker_py[] =
    "import hashlib, sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1])\n"
    "op = sys.argv[2]\n"
    "def u(n, k): return n.to_bytes(k, 'big')\n"
    "def eh(prev, i, t, kind, subj, det, dh):\n"
    "    h = hashlib.blake2b(digest_size=32)\n"
    "    h.update(prev + u(i, 8) + u(t, 8))\n"
    "    for s in (kind, subj, det):\n"
    "        b = s.encode(); h.update(u(len(b), 4) + b)\n"
    "    d = dh or b''; h.update(u(len(d), 4) + d)\n"
    "    return h.digest()\n"
    "if op == 'cut':\n"
    "    (m,) = db.execute('SELECT max(id) FROM audit').fetchone()\n"
    "    db.execute('DELETE FROM audit WHERE id > ?', (m - int(sys.argv[3]),))\n"
    "elif op == 'rewrite':\n"
    "    k = int(sys.argv[3])\n"
    "    db.execute(\"UPDATE audit SET detail = 'nothing happened' WHERE id = ?\", (k,))\n"
    "    (prev,) = db.execute('SELECT prev_hash FROM audit WHERE id = ?', (k,)).fetchone()\n"
    "    rows = db.execute('SELECT id, time_ms, kind, subject, detail, data_hash FROM audit WHERE id >= ? ORDER BY id', (k,)).fetchall()\n"
    "    for (i, t, kind, subj, det, dh) in rows:\n"
    "        h = eh(prev, i, t, kind, subj, det, dh)\n"
    "        db.execute('UPDATE audit SET prev_hash = ?, entry_hash = ? WHERE id = ?', (prev, h, i))\n"
    "        prev = h\n"
    "elif op == 'copy':\n"
    "    dst = sqlite3.connect(sys.argv[3]); db.backup(dst); dst.close()\n"
    "db.commit()\n";

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	snprintf(e->script, sizeof(e->script), "%s/attacker.py", e->fx->dir);
	assert_ok(lsn_file_write_atomic(e->script, attacker_py,
	    strlen(attacker_py), 0600));
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
attack(struct env *e, const char *db, const char *op, const char *arg)
{
	char	cmd[6 * LSN_FX_PATH_MAX];

	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' %s '%s'", e->script,
	    db, op, arg);
	assert_int_equal(system(cmd), 0);
}

/* Runs `liaison audit verify --db db [--head head]`; its exit status,
 * stdout in *out (caller frees). */
static int
verify(const char *db, const char *head, char **out)
{
	char	*cli, *argv[8];
	int	 n = 0, rv;

	assert_non_null(cli = lsn_proc_bin(LSN_BIN_CLI));
	argv[n++] = cli;
	argv[n++] = (char *) "audit";
	argv[n++] = (char *) "verify";
	argv[n++] = (char *) "--db";
	argv[n++] = lsn_proc_mut(db);
	if (head != NULL) {
		argv[n++] = (char *) "--head";
		argv[n++] = lsn_proc_mut(head);
	}
	argv[n] = NULL;
	*out = NULL;
	rv = lsn_proc_run(cli, argv, out, NULL, 30000);
	free(cli);
	assert_non_null(*out);
	printf("verify: %s", *out);
	return (rv);
}

static void
expect_fail(const char *db, const char *head, const char *what)
{
	char	*out = NULL;

	assert_int_equal(verify(db, head, &out), 1);
	if (strstr(out, what) == NULL)
		print_error("expected \"%s\"\n", what);
	assert_non_null(strstr(out, what));
	free(out);
}

static void
copy_file(const char *from, const char *to)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;

	assert_ok(lsn_file_read(from, 1 << 20, &buf, &len));
	assert_ok(lsn_file_write_atomic(to, buf, len, 0600));
	free(buf);
}

static void
test_audit_tail_cut_or_rewritten_detected(void **state)
{
	struct env	*e = *state;
	char		 head[LSN_FX_PATH_MAX + 16], copy[LSN_FX_PATH_MAX + 16];
	char		 chead[LSN_FX_PATH_MAX + 32], *out = NULL;
	char		 cmd[2 * LSN_FX_PATH_MAX], *bin, *argv[5];
	uint8_t		 id[16];
	int		 st = 0, code = 0;

	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_true(agent_it_start(e->fx, 0, e->ep, NULL) > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 30000));
	for (int i = 0; i < 4; i++) {
		assert_ok(agent_it_send(e->fx, 0, "p02", NULL,
		    "synthetic note", id));
		assert_ok(agent_it_wait_outbox(e->fx, 0, id, 30000, &st,
		    &code));
	}
	lsn_proc_kill_all();	/* agents and broker: SIGKILL */
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_int_equal(lsn_proc_stop(e->broker), 0);

	snprintf(head, sizeof(head), "%s.audit-head", e->fx->broker_db);
	snprintf(copy, sizeof(copy), "%s/copy.db", e->fx->dir);
	snprintf(chead, sizeof(chead), "%s.audit-head", copy);
	assert_int_equal(verify(e->fx->broker_db, NULL, &out), 0);
	assert_non_null(strstr(out, "signed head OK"));
	free(out);
	attack(e, e->fx->broker_db, "copy", copy);
	copy_file(head, chead);

	/* the last two rows deleted */
	attack(e, e->fx->broker_db, "cut", "2");
	expect_fail(e->fx->broker_db, NULL, "truncated");
	/* the broker does not sign over the cut either: it refuses to run */
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = e->fx->broker_conf;
	argv[4] = NULL;
	assert_int_equal(lsn_proc_run(bin, argv, NULL, NULL, 10000), 1);
	free(bin);
	expect_fail(e->fx->broker_db, NULL, "truncated");
	/* ... and the head file too */
	assert_int_equal(unlink(head), 0);
	expect_fail(e->fx->broker_db, NULL, "MISSING");

	/* the copy: row 3 rewritten, every later hash recomputed */
	assert_int_equal(verify(copy, chead, &out), 0);
	free(out);
	attack(e, copy, "rewrite", "3");
	expect_fail(copy, chead, "rewritten");
	/* a head file edited to match is not the broker's */
	attack(e, copy, "cut", "1");
	snprintf(cmd, sizeof(cmd), "sed -i 's/^count \\([0-9]*\\)/count "
	    "1\\1/' '%s'", chead);
	assert_int_equal(system(cmd), 0);
	expect_fail(copy, chead, "INVALID");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_audit_tail_cut_or_rewritten_detected, setup,
		    teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
