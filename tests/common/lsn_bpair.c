/* lsn_bpair.c -- two brokers on one shared store (see lsn_bpair.h). */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "lsn_bpair.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static int
copy_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	char	why[LSN_DIR_WHY_MAX] = "";
	int	rv;

	if ((rv = lsn_dir_apply_entry(arg, entry, len, why, sizeof(why))) !=
	    LSN_OK)
		fprintf(stderr, "directory rev %llu: %s (%s)\n",
		    (unsigned long long) rev, lsn_strerror(rv), why);
	return (rv);
}

void
lsn_bpair_dir_copy(const struct lsn_fixture *fx, const char *uri)
{
	struct lsn_store	*src = NULL, *dst = NULL;
	struct lsn_dir		*ds = NULL, *dd = NULL;

	assert_ok(lsn_store_open(fx->broker_db, lsn_dir_migrations, 0, &src));
	assert_ok(lsn_dir_open(src, &ds));
	assert_ok(lsn_store_open(uri, lsn_dir_migrations, 0, &dst));
	assert_ok(lsn_dir_open(dst, &dd));
	assert_ok(lsn_dir_entries_after(ds, 0, 0, copy_entry, dd));
	lsn_dir_close(&dd);
	lsn_store_close(&dst);
	lsn_dir_close(&ds);
	lsn_store_close(&src);
}

void
lsn_bpair_conf(struct lsn_bpair *bp, const struct lsn_fixture *fx, int i,
    const char *uri)
{
	char	 dir[sizeof(bp->bdir[i])];
	FILE	*fp;

	assert_true((bp->port[i] = lsn_proc_free_port()) > 0);
	snprintf(dir, sizeof(dir), "%s/bk%d", fx->dir, i);
	assert_int_equal(mkdir(dir, 0700), 0);
	memcpy(bp->bdir[i], dir, sizeof(dir));
	snprintf(bp->conf[i], sizeof(bp->conf[i]), "%s/broker.conf", dir);
	snprintf(bp->log[i], sizeof(bp->log[i]), "%s/broker.log", dir);
	snprintf(bp->ctl[i], sizeof(bp->ctl[i]), "ipc://%s/control.sock",
	    dir);
	assert_non_null(fp = fopen(bp->conf[i], "w"));
	fprintf(fp, "[broker]\nlisten = tcp://127.0.0.1:%d\n"
	    "endpoint_file = %s/endpoint\ndb = %s\nsign_key = %s\n"
	    "transport_key = %s\naudit_head = %s/audit-head\n"
	    "control = %s\nheartbeat_ms = 1s\n", bp->port[i], dir, uri,
	    fx->broker_sign_key, fx->broker_transport_key, dir, bp->ctl[i]);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(bp->conf[i], 0600), 0);
}

pid_t
lsn_bpair_start(const struct lsn_bpair *bp, int i)
{
	char	*bin, *argv[6];
	pid_t	 pid;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-v");
	argv[3] = lsn_proc_mut("-c");
	argv[4] = lsn_proc_mut(bp->conf[i]);
	argv[5] = NULL;
	pid = lsn_proc_spawn(bin, argv, bp->log[i]);
	free(bin);
	assert_true(pid > 0);
	return (pid);
}

void
lsn_bpair_status(const struct lsn_bpair *bp, int i, char *buf, size_t bufsz)
{
	char	*bin, *argv[6], *out = NULL;

	buf[0] = '\0';
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("broker-status");
	argv[2] = lsn_proc_mut("--json");
	argv[3] = lsn_proc_mut("--control");
	argv[4] = lsn_proc_mut(bp->ctl[i]);
	argv[5] = NULL;
	if (lsn_proc_run(bin, argv, &out, "/dev/null", 5000) == 0 &&
	    out != NULL)
		lsn_strlcpy(buf, out, bufsz);
	free(out);
	free(bin);
}
