/*
 * dir_log.c -- the directory log: reading entries, full verification by
 * replay, fork finding, and signed head checkpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "dir_int.h"

#define ULL(x)	((unsigned long long) (x))

/* Packs one LogEntry from its parts into a malloc'd buffer. */
static int
entry_pack(uint64_t rev, const void *prev, size_t prevlen, const void *sop,
    size_t soplen, const void *hash, size_t hashlen, uint8_t **out,
    size_t *outlen)
{
	Liaison__V1__LogEntry	 e = LIAISON__V1__LOG_ENTRY__INIT;
	uint8_t			*buf;
	size_t			 n;

	e.has_rev = 1;
	e.rev = rev;
	e.has_prev_hash = 1;
	e.prev_hash.data = (uint8_t *) (uintptr_t) prev;
	e.prev_hash.len = prevlen;
	e.has_signed_op = 1;
	e.signed_op.data = (uint8_t *) (uintptr_t) sop;
	e.signed_op.len = soplen;
	e.has_entry_hash = 1;
	e.entry_hash.data = (uint8_t *) (uintptr_t) hash;
	e.entry_hash.len = hashlen;
	n = liaison__v1__log_entry__get_packed_size(&e);
	if ((buf = malloc(n)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__log_entry__pack(&e, buf);
	*out = buf;
	*outlen = n;
	return (LSN_OK);
}

static const char SQL_ENTRIES[] =
    "SELECT rev, prev_hash, signed_op, entry_hash FROM dir_log "
    "WHERE rev > ? ORDER BY rev LIMIT ?";

/*
 * Entries are read a page at a time and the statement is reset before the
 * callback runs: the callback may use the dir (or the store) freely, and
 * no result stays open on the connection across it.
 */
#define ENTRIES_PAGE	64

struct entry_buf {
	uint64_t	 rev;
	uint8_t		*buf;
	size_t		 len;
};

/* Up to want (> 0) entries after after_rev into page; *n of them. */
static int
entries_page(struct lsn_dir *d, uint64_t after_rev, size_t want,
    struct entry_buf *page, size_t *n)
{
	struct lsn_q	*s;
	const uint8_t	*p[3];
	size_t		 l[3];
	int		 rv;

	*n = 0;
	if ((rv = dir_sql(d, SQL_ENTRIES, &s)) != LSN_OK)
		return (rv);
	dir_bind_u64(s, 1, after_rev);
	lsn_q_i64(s, 2, (int64_t) want);
	while (*n < want && (rv = dir_step(d, s, "entries")) == LSN_ROW) {
		for (int i = 0; i < 3; i++)
			p[i] = dir_col_blob(s, i + 1, &l[i]);
		page[*n].rev = dir_col_u64(s, 0);
		if ((rv = entry_pack(page[*n].rev, p[0], l[0], p[1], l[1],
		    p[2], l[2], &page[*n].buf, &page[*n].len)) != LSN_OK)
			break;
		(*n)++;
	}
	if (rv == LSN_ROW)
		rv = LSN_OK;	/* want rows read: LIMIT ends it anyway */
	lsn_q_reset(s);
	if (rv != LSN_OK) {
		while (*n > 0)
			free(page[--(*n)].buf);
	}
	return (rv);
}

int
lsn_dir_entries_after(struct lsn_dir *d, uint64_t after_rev, size_t max,
    lsn_dir_entry_fn *fn, void *arg)
{
	struct entry_buf	page[ENTRIES_PAGE];
	size_t			want, n, left = max;
	int			rv = LSN_OK;

	if (d == NULL || fn == NULL)
		return (LSN_EINVAL);
	for (;;) {
		want = max == 0 || left > ENTRIES_PAGE ? ENTRIES_PAGE : left;
		if ((rv = entries_page(d, after_rev, want, page, &n)) !=
		    LSN_OK)
			return (rv);
		for (size_t i = 0; i < n; i++) {
			if (rv == 0)
				rv = fn(arg, page[i].rev, page[i].buf,
				    page[i].len);
			free(page[i].buf);
		}
		if (rv != 0 || n < want)
			return (rv);
		after_rev = page[n - 1].rev;
		if (max != 0 && (left -= n) == 0)
			return (LSN_OK);
	}
}

static const char SQL_ENTRY_GET[] =
    "SELECT prev_hash, signed_op, entry_hash FROM dir_log WHERE rev = ?";

int
lsn_dir_entry_get(struct lsn_dir *d, uint64_t rev, uint8_t **out,
    size_t *len)
{
	struct lsn_q	*s;
	const uint8_t	*p[3];
	size_t		 l[3];
	int		 rv;

	if ((rv = dir_sql(d, SQL_ENTRY_GET, &s)) != LSN_OK)
		return (rv);
	dir_bind_u64(s, 1, rev);
	if ((rv = dir_step(d, s, "entry")) == LSN_OK) {
		lsn_q_reset(s);
		return (LSN_ENOENT);
	}
	if (rv != LSN_ROW)
		return (rv);
	for (int i = 0; i < 3; i++)
		p[i] = dir_col_blob(s, i, &l[i]);
	rv = entry_pack(rev, p[0], l[0], p[1], l[1], p[2], l[2], out, len);
	lsn_q_reset(s);
	return (rv);
}

/* ---- verification ---- */

static const char SQL_VERIFY_WALK[] =
    "SELECT rev, prev_hash, signed_op, entry_hash, op_id FROM dir_log "
    "ORDER BY rev";

/* Over 80 lines: a replay into a scratch store, built and freed here. */
int
lsn_dir_verify(struct lsn_dir *d, struct lsn_dir_verify_result *res,
    char *why, size_t whysz)
{
	struct lsn_store	*mst = NULL;
	struct lsn_dir		*md = NULL;
	struct lsn_q		*s = NULL;
	Liaison__V1__DirOp	*op = NULL;
	const uint8_t		*col[5];
	size_t			 len[5];
	uint8_t			 mine[LSN_DIR_HASH_BYTES];
	uint8_t			 good[LSN_DIR_HASH_BYTES];
	uint64_t		 expect = 1, rev = 0;
	int			 rv;

	if (d == NULL || res == NULL)
		return (LSN_EINVAL);
	memset(res, 0, sizeof(*res));
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	memset(good, 0, sizeof(good));
	if ((rv = lsn_store_open(":memory:", lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &mst)) != LSN_OK)
		return (rv);
	if ((rv = lsn_dir_open(mst, &md)) != LSN_OK)
		goto out;
	if (d->has_anchor)
		lsn_dir_set_trust_anchor(md, d->anchor);
	if ((rv = lsn_store_begin(mst)) != LSN_OK)
		goto out;
	/* Only md's store is written while the walk's rows are read. */
	if ((rv = dir_sql(d, SQL_VERIFY_WALK, &s)) != LSN_OK) {
		s = NULL;
		goto out;
	}
	while ((rv = dir_step(d, s, "verify")) == LSN_ROW) {
		for (int i = 1; i < 5; i++)
			col[i] = dir_col_blob(s, i, &len[i]);
		rev = dir_col_u64(s, 0);
		if (rev != expect) {
			res->bad_rev = expect;
			dir_why(why, whysz, "entry %llu is missing",
			    ULL(expect));
			rv = LSN_ECHAIN;
			goto out;
		}
		rv = dir_apply_parts(md, rev, col[1], len[1], col[2], len[2],
		    col[3], len[3], why, whysz);
		if (rv != LSN_OK) {
			res->bad_rev = rev;
			goto out;
		}
		/* The stored op id (replay index) must be the op's. */
		if ((rv = lsn_dirop_parse(col[2], len[2], NULL, &op)) !=
		    LSN_OK || len[4] != op->op_id.len || (len[4] > 0 &&
		    memcmp(col[4], op->op_id.data, op->op_id.len) != 0)) {
			res->bad_rev = rev;
			dir_why(why, whysz, "entry %llu: stored op id differs "
			    "from the op's", ULL(rev));
			rv = LSN_ECHAIN;
			goto out;
		}
		liaison__v1__dir_op__free_unpacked(op, NULL);
		op = NULL;
		memcpy(good, col[3], sizeof(good));
		expect++;
	}
	if (rv != LSN_OK) {
		s = NULL;	/* reset by dir_step */
		goto out;
	}
	lsn_q_reset(s);
	s = NULL;
	if ((rv = lsn_store_commit(mst)) != LSN_OK)
		goto out;
	if ((rv = lsn_dir_head(md, &res->rev, res->head)) != LSN_OK ||
	    (rv = lsn_dir_digest(md, res->digest)) != LSN_OK ||
	    (rv = lsn_dir_digest(d, mine)) != LSN_OK)
		goto out;
	if (sodium_memcmp(mine, res->digest, sizeof(mine)) != 0) {
		res->digest_mismatch = 1;
		dir_why(why, whysz, "the stored state differs from the state "
		    "replayed from the log");
		rv = LSN_EFORK;
		goto out;
	}
	rv = LSN_OK;
 out:
	if (rv != LSN_OK && res->bad_rev != 0) {
		/* Report the verified prefix. */
		res->rev = expect - 1;
		memcpy(res->head, good, sizeof(good));
	}
	if (op != NULL)
		liaison__v1__dir_op__free_unpacked(op, NULL);
	lsn_q_reset(s);
	if (mst != NULL && lsn_store_in_tx(mst))
		lsn_store_rollback(mst);
	lsn_dir_close(&md);
	lsn_store_close(&mst);
	return (rv);
}

/* ---- fork finding ---- */

static int
hash_eq_at(struct lsn_dir *a, struct lsn_dir *b, uint64_t rev, int *eq)
{
	uint8_t	ha[LSN_DIR_HASH_BYTES], hb[LSN_DIR_HASH_BYTES];
	int	rv;

	if ((rv = lsn_dir_hash_at(a, rev, ha)) != LSN_OK ||
	    (rv = lsn_dir_hash_at(b, rev, hb)) != LSN_OK)
		return (rv);
	*eq = memcmp(ha, hb, sizeof(ha)) == 0;
	return (LSN_OK);
}

int
lsn_dir_compare(struct lsn_dir *a, struct lsn_dir *b, enum lsn_dir_cmp *cmp,
    uint64_t *fork_rev)
{
	uint64_t	ra, rb, m, lo, hi;
	int		rv, eq;

	if (a == NULL || b == NULL || cmp == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_head(a, &ra, NULL)) != LSN_OK ||
	    (rv = lsn_dir_head(b, &rb, NULL)) != LSN_OK)
		return (rv);
	m = ra < rb ? ra : rb;
	eq = 1;
	if (m > 0 && (rv = hash_eq_at(a, b, m, &eq)) != LSN_OK)
		return (rv);
	if (eq) {
		*cmp = ra == rb ? LSN_DIR_EQUAL :
		    ra > rb ? LSN_DIR_AHEAD : LSN_DIR_BEHIND;
		if (fork_rev != NULL)
			*fork_rev = 0;
		return (LSN_OK);
	}
	/* Hashes differ at m; find the first differing rev in [1, m]. */
	lo = 1;
	hi = m;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if ((rv = hash_eq_at(a, b, mid, &eq)) != LSN_OK)
			return (rv);
		if (eq)
			lo = mid + 1;
		else
			hi = mid;
	}
	*cmp = LSN_DIR_FORK;
	if (fork_rev != NULL)
		*fork_rev = lo;
	return (LSN_OK);
}

int
lsn_dir_compare_head(struct lsn_dir *d, uint64_t rev,
    const uint8_t hash[LSN_DIR_HASH_BYTES], enum lsn_dir_cmp *cmp,
    uint64_t *fork_rev)
{
	uint8_t		h[LSN_DIR_HASH_BYTES];
	uint64_t	ours;
	int		rv;

	if (d == NULL || hash == NULL || cmp == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_head(d, &ours, h)) != LSN_OK)
		return (rv);
	if (rev > ours) {
		*cmp = LSN_DIR_BEHIND;
		if (fork_rev != NULL)
			*fork_rev = 0;
		return (LSN_OK);
	}
	if (rev == 0)
		memset(h, 0, sizeof(h));
	else if (rev != ours && (rv = lsn_dir_hash_at(d, rev, h)) != LSN_OK)
		return (rv);
	if (memcmp(h, hash, sizeof(h)) != 0) {
		*cmp = LSN_DIR_FORK;
		if (fork_rev != NULL)
			*fork_rev = rev;
		return (LSN_OK);
	}
	*cmp = rev == ours ? LSN_DIR_EQUAL : LSN_DIR_AHEAD;
	if (fork_rev != NULL)
		*fork_rev = 0;
	return (LSN_OK);
}

/* ---- checkpoints ---- */

int
lsn_dir_checkpoint_make(struct lsn_dir *d, const struct lsn_keypair *seq,
    uint64_t now_ms, uint8_t **out, size_t *outlen)
{
	Liaison__V1__HeadCheckpoint	 hc =
	    LIAISON__V1__HEAD_CHECKPOINT__INIT;
	Liaison__V1__SignedCheckpoint	 sc =
	    LIAISON__V1__SIGNED_CHECKPOINT__INIT;
	Liaison__V1__RootPolicy		*root = NULL;
	uint8_t				 head[LSN_DIR_HASH_BYTES];
	uint8_t				 dg[LSN_DIR_HASH_BYTES];
	uint8_t				 sig[LSN_SIG_BYTES];
	uint8_t				*cp = NULL, *buf = NULL;
	uint64_t			 rev;
	size_t				 cplen, n;
	int				 rv;

	if (d == NULL || seq == NULL || out == NULL || outlen == NULL ||
	    seq->kind != LSN_KEY_SIGN)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_head(d, &rev, head)) != LSN_OK)
		return (rv);
	if (rev == 0)
		return (LSN_ENOENT);
	if ((rv = dir_root_load(d, &root)) != LSN_OK)
		return (rv);
	if (root == NULL || root->sequencer_key == NULL ||
	    !root->sequencer_key->has_public_key ||
	    root->sequencer_key->public_key.len != LSN_PK_BYTES ||
	    memcmp(root->sequencer_key->public_key.data, seq->pk,
	    LSN_PK_BYTES) != 0) {
		rv = LSN_EPERM;
		goto out;
	}
	if ((rv = lsn_dir_digest(d, dg)) != LSN_OK)
		goto out;
	hc.has_rev = 1;
	hc.rev = rev;
	hc.has_entry_hash = 1;
	hc.entry_hash.data = head;
	hc.entry_hash.len = sizeof(head);
	hc.has_state_digest = 1;
	hc.state_digest.data = dg;
	hc.state_digest.len = sizeof(dg);
	hc.has_time_ms = 1;
	hc.time_ms = now_ms;
	cplen = liaison__v1__head_checkpoint__get_packed_size(&hc);
	if ((cp = malloc(cplen)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__head_checkpoint__pack(&hc, cp);
	if ((rv = lsn_sig_sign(LSN_SIG_CHECKPOINT, seq, cp, cplen, sig)) !=
	    LSN_OK)
		goto out;
	sc.has_checkpoint = 1;
	sc.checkpoint.data = cp;
	sc.checkpoint.len = cplen;
	sc.key_id = (char *) (uintptr_t) seq->key_id;
	sc.has_signature = 1;
	sc.signature.data = sig;
	sc.signature.len = sizeof(sig);
	n = liaison__v1__signed_checkpoint__get_packed_size(&sc);
	if ((buf = malloc(n)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__signed_checkpoint__pack(&sc, buf);
	*out = buf;
	*outlen = n;
	rv = LSN_OK;
 out:
	free(cp);
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	return (rv);
}

int
lsn_dir_checkpoint_parse(const uint8_t *cp, size_t len,
    const uint8_t sequencer_pk[LSN_PK_BYTES], struct lsn_dir_checkpoint *out)
{
	Liaison__V1__SignedCheckpoint	*sc = NULL;
	Liaison__V1__HeadCheckpoint	*hc = NULL;
	char				 kid[LSN_KEYID_HEXLEN + 1];
	int				 rv;

	if (cp == NULL || len == 0 || sequencer_pk == NULL || out == NULL)
		return (LSN_EINVAL);
	if (len > LSN_DIR_CHECKPOINT_MAX)
		return (LSN_ETOOBIG);
	if ((sc = liaison__v1__signed_checkpoint__unpack(NULL, len, cp)) ==
	    NULL)
		return (LSN_EPROTO);
	if (!sc->has_checkpoint || sc->checkpoint.len == 0 ||
	    !sc->has_signature) {
		rv = LSN_EPROTO;
		goto out;
	}
	lsn_key_id(sequencer_pk, kid);
	if (sc->key_id == NULL || strcmp(sc->key_id, kid) != 0) {
		rv = LSN_EBADSIG;
		goto out;
	}
	if ((rv = lsn_sig_verify(LSN_SIG_CHECKPOINT, sequencer_pk,
	    sc->checkpoint.data, sc->checkpoint.len, sc->signature.data,
	    sc->signature.len)) != LSN_OK) {
		rv = LSN_EBADSIG;
		goto out;
	}
	if ((hc = liaison__v1__head_checkpoint__unpack(NULL,
	    sc->checkpoint.len, sc->checkpoint.data)) == NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	if (!hc->has_rev || hc->rev == 0 || !hc->has_entry_hash ||
	    hc->entry_hash.len != LSN_DIR_HASH_BYTES ||
	    !hc->has_state_digest ||
	    hc->state_digest.len != LSN_DIR_HASH_BYTES || !hc->has_time_ms) {
		rv = LSN_EINVAL;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->rev = hc->rev;
	memcpy(out->entry_hash, hc->entry_hash.data, LSN_DIR_HASH_BYTES);
	memcpy(out->state_digest, hc->state_digest.data, LSN_DIR_HASH_BYTES);
	out->time_ms = hc->time_ms;
	memcpy(out->key_id, kid, sizeof(out->key_id));
	rv = LSN_OK;
 out:
	if (hc != NULL)
		liaison__v1__head_checkpoint__free_unpacked(hc, NULL);
	liaison__v1__signed_checkpoint__free_unpacked(sc, NULL);
	return (rv);
}

int
lsn_dir_checkpoint_check(struct lsn_dir *d, const uint8_t *cp, size_t len,
    struct lsn_dir_checkpoint *out)
{
	Liaison__V1__RootPolicy		*root = NULL;
	struct lsn_dir_checkpoint	 c;
	uint8_t				 h[LSN_DIR_HASH_BYTES];
	uint8_t				 dg[LSN_DIR_HASH_BYTES];
	uint64_t			 head;
	int				 rv;

	if (d == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_root_load(d, &root)) != LSN_OK)
		return (rv);
	if (root == NULL)
		return (LSN_ENOENT);
	if (root->sequencer_key == NULL ||
	    root->sequencer_key->public_key.len != LSN_PK_BYTES) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	if ((rv = lsn_dir_checkpoint_parse(cp, len,
	    root->sequencer_key->public_key.data, &c)) != LSN_OK)
		goto out;
	if (out != NULL)
		*out = c;
	if ((rv = lsn_dir_head(d, &head, NULL)) != LSN_OK)
		goto out;
	if (c.rev > head) {
		rv = LSN_ENOENT;
		goto out;
	}
	if ((rv = lsn_dir_hash_at(d, c.rev, h)) != LSN_OK)
		goto out;
	if (memcmp(h, c.entry_hash, sizeof(h)) != 0) {
		log_auth("dir: checkpoint at rev %llu conflicts with our log",
		    ULL(c.rev));
		rv = LSN_EFORK;
		goto out;
	}
	if (c.rev == head) {
		if ((rv = lsn_dir_digest(d, dg)) != LSN_OK)
			goto out;
		if (memcmp(dg, c.state_digest, sizeof(dg)) != 0) {
			log_auth("dir: checkpoint at rev %llu: state digest "
			    "differs from ours", ULL(c.rev));
			rv = LSN_EFORK;
			goto out;
		}
	}
	rv = LSN_OK;
 out:
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	return (rv);
}

int
lsn_dir_checkpoints_conflict(const uint8_t sequencer_pk[LSN_PK_BYTES],
    const uint8_t *cp1, size_t len1, const uint8_t *cp2, size_t len2)
{
	struct lsn_dir_checkpoint	a, b;
	int				rv;

	if ((rv = lsn_dir_checkpoint_parse(cp1, len1, sequencer_pk, &a)) !=
	    LSN_OK ||
	    (rv = lsn_dir_checkpoint_parse(cp2, len2, sequencer_pk, &b)) !=
	    LSN_OK)
		return (rv);
	if (a.rev != b.rev)
		return (LSN_OK);
	if (memcmp(a.entry_hash, b.entry_hash, sizeof(a.entry_hash)) != 0 ||
	    memcmp(a.state_digest, b.state_digest,
	    sizeof(a.state_digest)) != 0)
		return (LSN_EFORK);
	return (LSN_OK);
}
