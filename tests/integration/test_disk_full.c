/*
 * test_disk_full.c -- a real disk full: the broker's database on a small
 * tmpfs (mounted here; the test runs as root), filled to the brim while a
 * partner publishes. The broker must refuse publishes with E_DB (log:
 * SQLITE_FULL / ENOSPC), keep serving reads (a recipient's Hello is
 * welcomed and its queued messages delivered), and accept again by itself
 * once space returns, without a restart. Afterwards PRAGMA integrity_check
 * is "ok" and every acknowledged message is in the database.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define TMPFS_SIZE	"size=4m"
#define PUB_MAX		4000

struct env {
	struct lsn_fixture	*fx;
	void			*ctx;
	char			 mnt[LSN_FX_PATH_MAX + 16];
	char			 filler[LSN_FX_PATH_MAX + 32];
	int			 mounted;
	pid_t			 broker;
	char			 ep[256];
	uint8_t			(*acked)[16];
	size_t			 nacked;
};

/* Fills the file system with the filler file until ENOSPC. */
static void
fill(struct env *e)
{
	char	buf[65536];
	int	fd;

	memset(buf, 0x5a, sizeof(buf));
	assert_true((fd = open(e->filler, O_WRONLY | O_CREAT | O_APPEND,
	    0600)) != -1);
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	while (write(fd, buf, 512) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

/* Publishes one padded note p01 -> p02; its PublishAck code. */
static int
publish(struct env *e, void *sock)
{
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			 id[16], *env = NULL;
	size_t			 len;
	int			 code;

	m.to[0] = e->fx->partners[1].id;
	m.pad = 2000;
	assert_ok(lsn_fixture_envelope(e->fx, 0, &m, id, &env, &len));
	assert_ok(lsn_fixture_publish(sock, env, len, 30000, &code));
	free(env);
	if (code == LSN_OK) {
		assert_non_null(e->acked = realloc(e->acked, (e->nacked + 1) *
		    sizeof(*e->acked)));
		memcpy(e->acked[e->nacked++], id, 16);
	}
	return (code);
}

static int
log_has(const char *path, const char *needle)
{
	FILE	*f;
	char	 line[2048];
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return (found);
}

static void
test_disk_full_refuse_serve_reads_recover(void **state)
{
	struct env		*e = *state;
	Liaison__V1__Frame	*f = NULL;
	void			*pub = NULL, *rcv = NULL;
	sqlite3			*db = NULL;
	sqlite3_stmt		*s = NULL;
	size_t			 before;
	int			 code = LSN_OK, n, delivered = 0;

	assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 0, NULL, e->ep, &pub));
	assert_ok(lsn_fixture_hello(pub, 0, 10000, NULL));
	for (n = 0; n < 20; n++)
		assert_int_equal(publish(e, pub), LSN_OK);
	/* The brim: the filler takes what is left, then publishes fail. */
	fill(e);
	for (n = 0; n < PUB_MAX && (code = publish(e, pub)) == LSN_OK; n++)
		;
	assert_int_equal(code, LSN_EDB);
	assert_true(log_has(e->fx->broker_log, "SQLITE_FULL") ||
	    log_has(e->fx->broker_log, "No space left on device"));
	before = e->nacked;
	/* Refused again while full; reads go on: p02 is welcomed and gets
	 * what was accepted. */
	assert_int_equal(publish(e, pub), LSN_EDB);
	assert_ok(lsn_fixture_dealer(e->fx, e->ctx, 1, NULL, e->ep, &rcv));
	assert_ok(lsn_fixture_hello(rcv, 0, 10000, NULL));
	while (lsn_fixture_recv_kind(rcv, LIAISON__V1__FRAME__KIND_DELIVER,
	    2000, &f) == LSN_OK) {
		delivered++;
		liaison__v1__frame__free_unpacked(f, NULL);
		f = NULL;
	}
	assert_true(delivered > 0);
	/* Space returns: accepted again without a restart. */
	assert_int_equal(unlink(e->filler), 0);
	code = LSN_EDB;
	for (n = 0; n < 100 && code != LSN_OK; n++) {
		code = publish(e, pub);
		if (code != LSN_OK)
			lsn_proc_sleep_ms(100);
	}
	assert_int_equal(code, LSN_OK);
	printf("disk full: %zu accepted before the brim, refused with E_DB "
	    "(SQLITE_FULL), %d deliveries served while full, accepted again "
	    "after %d tries once space returned\n", before, delivered, n);
	zmq_close(pub);
	zmq_close(rcv);
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	e->broker = -1;

	assert_int_equal(sqlite3_open_v2(e->fx->broker_db, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *) sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "messages WHERE message_id = ?", -1, &s, NULL), SQLITE_OK);
	for (size_t i = 0; i < e->nacked; i++) {
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, e->acked[i], 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	printf("disk full: integrity_check ok, %zu acknowledged messages "
	    "held, 1 disk-full recovery\n", e->nacked);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 db[LSN_FX_PATH_MAX + 32];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	*state = e;
	snprintf(e->mnt, sizeof(e->mnt), "%s/full", e->fx->dir);
	assert_int_equal(mkdir(e->mnt, 0700), 0);
	if (mount("tmpfs", e->mnt, "tmpfs", 0, TMPFS_SIZE) != 0)
		fail_msg("mount tmpfs on %s: %s (the test needs root)",
		    e->mnt, strerror(errno));
	e->mounted = 1;
	snprintf(e->filler, sizeof(e->filler), "%s/filler", e->mnt);
	snprintf(db, sizeof(db), "%s/broker.db", e->mnt);
	lsn_test_copy_file(e->fx->broker_db, db);
	assert_true(lsn_strlcpy(e->fx->broker_db, db,
	    sizeof(e->fx->broker_db)) < sizeof(e->fx->broker_db));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_non_null(e->ctx = zmq_ctx_new());
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		/* Unmounted also after a failed assertion. */
		if (e->mounted && umount2(e->mnt, MNT_DETACH) != 0)
			fprintf(stderr, "umount %s: %s\n", e->mnt,
			    strerror(errno));
		if (e->ctx != NULL)
			zmq_ctx_term(e->ctx);
		lsn_fixture_destroy(&e->fx);
		free(e->acked);
		free(e);
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_full_refuse_serve_reads_recover),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
