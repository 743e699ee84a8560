/*
 * bench_dir.c -- directory figures: verify + apply the whole broker log
 * (the big partners, groups and memberships) into an empty replica with
 * lsn_dir_apply_entry, and an agent's first sync over the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/err.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "bench.h"
#include "lsn_proc.h"
#include "lsn_test.h"

/* Fixture partner whose agent does the first sync (never used before). */
#define SYNC_AGENT	6	/* p07 */
#define APPLY_BATCH	256	/* entries per transaction, as a DirOps frame */

struct log_copy {
	uint8_t	**e;
	size_t	 *len;
	size_t	  n, cap;
	size_t	  bytes;
};

static int
copy_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct log_copy	*lc = arg;

	(void) rev;
	if (lc->n == lc->cap) {
		size_t	  ncap = lc->cap ? lc->cap * 2 : 1024;
		uint8_t	**ne = realloc(lc->e, ncap * sizeof(*ne));
		size_t	 *nl;

		if (ne == NULL)
			return (LSN_ENOMEM);
		lc->e = ne;
		if ((nl = realloc(lc->len, ncap * sizeof(*nl))) == NULL)
			return (LSN_ENOMEM);
		lc->len = nl;
		lc->cap = ncap;
	}
	if ((lc->e[lc->n] = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	memcpy(lc->e[lc->n], entry, len);
	lc->len[lc->n] = len;
	lc->bytes += len;
	lc->n++;
	return (LSN_OK);
}

int
bench_dir_apply(struct bench_world *w)
{
	static const struct lsn_migration ro[] = {
		{ 1, lsn_dir_schema_v1, NULL }, { 0, NULL, NULL },
	};
	struct lsn_store	*src = NULL, *st = NULL;
	struct lsn_dir		*sd = NULL, *d = NULL;
	struct log_copy		 lc;
	struct bench_row	*r;
	char			*dir, *path, why[LSN_DIR_WHY_MAX] = "";
	uint8_t			 h1[LSN_DIR_HASH_BYTES], h2[LSN_DIR_HASH_BYTES];
	uint64_t		 rev1, rev2;
	double			 t0, t;
	int			 rv;

	memset(&lc, 0, sizeof(lc));
	dir = lsn_test_tmpdir();
	path = lsn_test_path(dir, "replica.db");
	/* The log, built once (bench_world_build), read into memory. */
	if ((rv = lsn_store_open(w->fx->broker_db, ro, LSN_STORE_READONLY,
	    &src)) != LSN_OK ||
	    (rv = lsn_dir_open(src, &sd)) != LSN_OK ||
	    (rv = lsn_dir_entries_after(sd, 0, 0, copy_entry, &lc)) !=
	    LSN_OK ||
	    (rv = lsn_dir_head(sd, &rev1, h1)) != LSN_OK)
		goto out;

	/* An empty replica as an agent keeps it: a file, WAL,
	 * synchronous=FULL, trust anchor set; one transaction per
	 * DirOps-sized batch. */
	if ((rv = lsn_store_open(path, lsn_dir_migrations, 0, &st)) !=
	    LSN_OK || (rv = lsn_dir_open(st, &d)) != LSN_OK)
		goto out;
	lsn_dir_set_trust_anchor(d, w->fx->trust_root);
	t0 = bench_mono();
	for (size_t i = 0; i < lc.n; i += APPLY_BATCH) {
		if ((rv = lsn_store_begin(st)) != LSN_OK)
			goto out;
		for (size_t j = i; j < lc.n && j < i + APPLY_BATCH; j++)
			if ((rv = lsn_dir_apply_entry(d, lc.e[j], lc.len[j],
			    why, sizeof(why))) != LSN_OK) {
				bench_msg("apply entry %zu: %s (%s)", j + 1,
				    lsn_strerror(rv), why);
				goto out;
			}
		if ((rv = lsn_store_commit(st)) != LSN_OK)
			goto out;
	}
	t = bench_mono() - t0;
	if ((rv = lsn_dir_head(d, &rev2, h2)) != LSN_OK)
		goto out;
	if (rev1 != rev2 || memcmp(h1, h2, sizeof(h1)) != 0) {
		bench_msg("replica head differs from the broker's");
		rv = LSN_ECHAIN;
		goto out;
	}
	r = bench_row_add(w, "directory: verify + apply log from empty", t,
	    "s");
	snprintf(r->target, sizeof(r->target), "< 2 s (5,000 partners)");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s", t / 2.0,
	    t < 2.0 ? "met" : "MISSED");
	snprintf(r->note, sizeof(r->note), "%zu partners, %zu log entries "
	    "(%.1f MiB), %.0f entries/s, %d entries per transaction",
	    w->dir_partners, lc.n, (double) lc.bytes / 1048576.0,
	    (double) lc.n / t, APPLY_BATCH);
 out:
	if (rv != LSN_OK && st != NULL)
		bench_msg("dir apply: %s", lsn_store_errmsg(st));
	lsn_dir_close(&d);
	lsn_store_close(&st);
	lsn_dir_close(&sd);
	lsn_store_close(&src);
	for (size_t i = 0; i < lc.n; i++)
		free(lc.e[i]);
	free(lc.e);
	free(lc.len);
	free(path);
	lsn_test_rmdir(dir);
	free(dir);
	return (rv);
}

int
bench_dir_sync(struct bench_world *w)
{
	struct bench_row	*r;
	uint64_t		 rev = 0;
	double			 t0, t_api, t;
	pid_t			 pid;
	int			 rv = LSN_ETIMEDOUT, conn = 0;

	t0 = bench_mono();
	if ((pid = bench_agent_start(w, SYNC_AGENT)) == -1)
		return (LSN_EIO);
	t_api = bench_mono() - t0;
	while (bench_mono() - t0 < 120.0) {
		if (bench_agent_status(w, SYNC_AGENT, NULL, &rev, &conn) ==
		    LSN_OK && rev >= w->dir_rev) {
			rv = LSN_OK;
			break;
		}
		lsn_proc_sleep_ms(5);
	}
	t = bench_mono() - t0;
	(void) lsn_proc_stop(pid);
	if (rv != LSN_OK) {
		bench_msg("agent sync: rev %llu of %llu",
		    (unsigned long long) rev,
		    (unsigned long long) w->dir_rev);
		lsn_proc_dump_log(w->fx->partners[SYNC_AGENT].agent_log,
		    4000);
		return (rv);
	}
	r = bench_row_add(w, "directory: agent first sync over the wire", t,
	    "s");
	snprintf(r->target, sizeof(r->target), "< 2 s (5,000 partners)");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x target, %s", t / 2.0,
	    t < 2.0 ? "met" : "MISSED");
	snprintf(r->note, sizeof(r->note), "from exec of liaison-agent "
	    "(API up after %.3f s) to status rev = %llu, CURVE handshake, "
	    "checkpoint checks and apply included", t_api,
	    (unsigned long long) w->dir_rev);
	return (LSN_OK);
}
