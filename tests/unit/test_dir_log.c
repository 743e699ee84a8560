/* test_dir_log.c -- the directory log: replication, chain checks,
 * verification by replay, fork finding, checkpoints, a large directory. */
#include "dir_fixture.h"

#include <time.h>

/* Builds a small history: 3 partners, contacts, a group, a suspension. */
static void
build_history(struct dfx *fx)
{
	Liaison__V1__CreateGroup cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__AddMember	 am = LIAISON__V1__ADD_MEMBER__INIT;
	Liaison__V1__SetStatus	 ss = LIAISON__V1__SET_STATUS__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));	/* rev 2 */
	assert_ok(fx_add_partner(fx, "ie-garda", NULL, NULL));	/* rev 3 */
	assert_ok(fx_add_partner(fx, "au-afp", NULL, NULL));	/* rev 4 */
	assert_ok(fx_set_contact(fx, "admin", "gb-nca", "analyst", 1,
	    fx->admin, 1));					/* rev 5 */
	cg.name = "hotlines";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	assert_ok(fx_admin(fx, &op, 0, 1));			/* rev 6 */
	liaison__v1__dir_op__init(&op);
	am.group = "hotlines";
	am.partner_id = "ie-garda";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
	op.add_member = &am;
	assert_ok(fx_admin(fx, &op, 1, 1));			/* rev 7 */
	liaison__v1__dir_op__init(&op);
	ss.partner_id = "au-afp";
	ss.has_status = 1;
	ss.status = LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	assert_ok(fx_admin(fx, &op, 1, 2));			/* rev 8 */
}

static void
test_dir_replica_replay_gives_same_head_and_digest(void **state)
{
	struct dfx	*fx = *state;
	struct lsn_store *st2 = NULL;
	struct lsn_dir	*d2 = NULL;
	uint8_t		 h1[32], h2[32], g1[32], g2[32];
	uint64_t	 r1, r2;

	build_history(fx);
	fx_open_dir(&st2, &d2);
	/* In two steps: entries after 0 (max 3), then the rest. */
	{
		struct fx_copy c;

		memset(&c, 0, sizeof(c));
		c.dst = d2;
		assert_ok(lsn_dir_entries_after(fx->d, 0, 3, fx_copy_cb, &c));
		assert_ok(lsn_dir_head(d2, &r2, NULL));
		assert_int_equal(r2, 3);
	}
	assert_ok(fx_replicate(fx->d, d2, 3));
	assert_ok(lsn_dir_head(fx->d, &r1, h1));
	assert_ok(lsn_dir_head(d2, &r2, h2));
	assert_int_equal(r1, 8);
	assert_int_equal(r2, 8);
	assert_memory_equal(h1, h2, 32);
	fx_digest(fx->d, g1);
	fx_digest(d2, g2);
	assert_memory_equal(g1, g2, 32);
	/* Applying an entry twice: not next in the chain. */
	{
		uint8_t	*e;
		size_t	 len;
		char	 why[LSN_DIR_WHY_MAX];

		assert_ok(lsn_dir_entry_get(fx->d, 8, &e, &len));
		assert_err(lsn_dir_apply_entry(d2, e, len, why, sizeof(why)),
		    LSN_ECHAIN);
		free(e);
	}
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

/* Re-serializes a LogEntry after flipping one byte of a field. */
static uint8_t *
tampered_entry(struct lsn_dir *d, uint64_t rev, int field, size_t *len)
{
	Liaison__V1__LogEntry	*e;
	uint8_t			*buf, *out;

	assert_ok(lsn_dir_entry_get(d, rev, &buf, len));
	e = liaison__v1__log_entry__unpack(NULL, *len, buf);
	assert_non_null(e);
	free(buf);
	switch (field) {
	case 0:
		e->prev_hash.data[3] ^= 0x10;
		break;
	case 1:
		e->signed_op.data[e->signed_op.len / 2] ^= 0x10;
		break;
	case 2:
		e->entry_hash.data[31] ^= 0x10;
		break;
	default:
		e->rev += 1;
		break;
	}
	*len = liaison__v1__log_entry__get_packed_size(e);
	out = malloc(*len);
	liaison__v1__log_entry__pack(e, out);
	liaison__v1__log_entry__free_unpacked(e, NULL);
	return (out);
}

static void
test_dir_replica_refuses_broken_chain_and_keeps_state(void **state)
{
	struct dfx	*fx = *state;
	struct lsn_store *st2 = NULL;
	struct lsn_dir	*d2 = NULL;
	uint8_t		 before[32], after[32], *e;
	uint64_t	 rev;
	size_t		 len;
	char		 why[LSN_DIR_WHY_MAX];

	build_history(fx);
	fx_open_dir(&st2, &d2);
	{
		struct fx_copy c;

		memset(&c, 0, sizeof(c));
		c.dst = d2;
		assert_ok(lsn_dir_entries_after(fx->d, 0, 4, fx_copy_cb, &c));
	}
	fx_digest(d2, before);
	for (int field = 0; field < 4; field++) {
		e = tampered_entry(fx->d, 5, field, &len);
		assert_err(lsn_dir_apply_entry(d2, e, len, why, sizeof(why)),
		    LSN_ECHAIN);
		free(e);
		assert_ok(lsn_dir_head(d2, &rev, NULL));
		assert_int_equal(rev, 4);
		fx_digest(d2, after);
		assert_memory_equal(before, after, 32);
	}
	/* Inside a caller's transaction a refusal leaves it open. */
	assert_ok(lsn_store_begin(st2));
	e = tampered_entry(fx->d, 5, 1, &len);
	assert_err(lsn_dir_apply_entry(d2, e, len, NULL, 0), LSN_ECHAIN);
	free(e);
	assert_true(lsn_store_in_tx(st2));
	assert_ok(fx_replicate(fx->d, d2, 4));
	assert_ok(lsn_store_commit(st2));
	assert_ok(lsn_dir_head(d2, &rev, NULL));
	assert_int_equal(rev, 8);
	/* Garbage entry. */
	assert_err(lsn_dir_apply_entry(d2, (const uint8_t *) "\x08", 1,
	    NULL, 0), LSN_EPROTO);
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

static void
flip_db(struct dfx *fx, uint64_t rev, const char *col, int undo)
{
	static const char *const sqls[] = {
		"UPDATE dir_log SET prev_hash = ?2 WHERE rev = ?1",
		"UPDATE dir_log SET signed_op = ?2 WHERE rev = ?1",
		"UPDATE dir_log SET entry_hash = ?2 WHERE rev = ?1",
		"UPDATE dir_log SET op_id = ?2 WHERE rev = ?1",
	};
	static const char *const gets[] = {
		"SELECT prev_hash FROM dir_log WHERE rev = ?1",
		"SELECT signed_op FROM dir_log WHERE rev = ?1",
		"SELECT entry_hash FROM dir_log WHERE rev = ?1",
		"SELECT op_id FROM dir_log WHERE rev = ?1",
	};
	sqlite3		*db = lsn_store_db(fx->st);
	sqlite3_stmt	*s;
	uint8_t		*b;
	int		 i, n;

	(void) undo;
	i = strcmp(col, "prev_hash") == 0 ? 0 : strcmp(col, "signed_op") == 0 ?
	    1 : strcmp(col, "entry_hash") == 0 ? 2 : 3;
	assert_int_equal(sqlite3_prepare_v2(db, gets[i], -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64) rev);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_bytes(s, 0);
	b = malloc((size_t) n);
	memcpy(b, sqlite3_column_blob(s, 0), (size_t) n);
	sqlite3_finalize(s);
	b[n / 2] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(db, sqls[i], -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64) rev);
	sqlite3_bind_blob(s, 2, b, n, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	free(b);
}

static void
test_dir_verify_detects_tamper_at_the_right_rev(void **state)
{
	struct dfx			*fx = *state;
	struct lsn_dir_verify_result	 res;
	static const char *const	 cols[] = {
		"prev_hash", "signed_op", "entry_hash", "op_id"
	};
	uint8_t				 head[32], dg[32];
	uint64_t			 rev;
	char				 why[LSN_DIR_WHY_MAX];

	build_history(fx);
	assert_ok(lsn_dir_verify(fx->d, &res, why, sizeof(why)));
	assert_ok(lsn_dir_head(fx->d, &rev, head));
	fx_digest(fx->d, dg);
	assert_int_equal(res.rev, rev);
	assert_memory_equal(res.head, head, 32);
	assert_memory_equal(res.digest, dg, 32);
	assert_int_equal(res.bad_rev, 0);

	/* One byte of any column of any entry: found at that rev. */
	for (uint64_t r = 1; r <= rev; r++) {
		for (size_t c = 0; c < 4; c++) {
			flip_db(fx, r, cols[c], 0);
			assert_true(lsn_dir_verify(fx->d, &res, why,
			    sizeof(why)) != LSN_OK);
			if (res.bad_rev != r)
				fail_msg("rev %llu col %s: bad_rev %llu (%s)",
				    (unsigned long long) r, cols[c],
				    (unsigned long long) res.bad_rev, why);
			assert_int_equal(res.rev, r - 1);
			flip_db(fx, r, cols[c], 1);	/* flip back */
			assert_ok(lsn_dir_verify(fx->d, &res, why,
			    sizeof(why)));
		}
	}
	/* A changed state row (not the log): digest mismatch. */
	assert_int_equal(sqlite3_exec(lsn_store_db(fx->st),
	    "UPDATE dir_contact SET email = 'attacker@example.net' "
	    "WHERE partner = 'gb-nca' AND contact_id = 'desk'", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_err(lsn_dir_verify(fx->d, &res, why, sizeof(why)), LSN_EFORK);
	assert_int_equal(res.digest_mismatch, 1);
	assert_int_equal(res.bad_rev, 0);
	/* A deleted entry in the middle. */
	assert_int_equal(sqlite3_exec(lsn_store_db(fx->st),
	    "DELETE FROM dir_log WHERE rev = 4", NULL, NULL, NULL), SQLITE_OK);
	assert_err(lsn_dir_verify(fx->d, &res, why, sizeof(why)), LSN_ECHAIN);
	assert_int_equal(res.bad_rev, 4);
}

static void
test_dir_fork_finder(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_store	*st2 = NULL;
	struct lsn_dir		*d2 = NULL, *d1 = fx->d;
	enum lsn_dir_cmp	 cmp;
	uint64_t		 fork, rev;
	uint8_t			 h[32];

	build_history(fx);
	fx_open_dir(&st2, &d2);
	/* Empty vs 8: behind; and the reverse. */
	assert_ok(lsn_dir_compare(d2, d1, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_BEHIND);
	{
		struct fx_copy c;

		memset(&c, 0, sizeof(c));
		c.dst = d2;
		assert_ok(lsn_dir_entries_after(d1, 0, 5, fx_copy_cb, &c));
	}
	assert_ok(lsn_dir_compare(d1, d2, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_AHEAD);
	assert_int_equal(fork, 0);
	assert_ok(lsn_dir_compare(d2, d1, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_BEHIND);
	/* Diverge: d2 takes a different rev 6. */
	fx->d = d2;
	assert_ok(fx_add_partner(fx, "nl-police", NULL, NULL));
	assert_ok(fx_add_partner(fx, "fr-ofmin", NULL, NULL));
	fx->d = d1;
	assert_ok(lsn_dir_compare(d1, d2, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_FORK);
	assert_int_equal(fork, 6);
	assert_ok(lsn_dir_compare(d2, d1, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_FORK);
	assert_int_equal(fork, 6);
	assert_ok(lsn_dir_compare(d1, d1, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_EQUAL);
	/* Foreign heads. */
	assert_ok(lsn_dir_head(d1, &rev, h));
	assert_ok(lsn_dir_compare_head(d1, rev, h, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_EQUAL);
	assert_ok(lsn_dir_compare_head(d1, rev + 5, h, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_BEHIND);
	assert_ok(lsn_dir_hash_at(d1, 3, h));
	assert_ok(lsn_dir_compare_head(d1, 3, h, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_AHEAD);
	assert_ok(lsn_dir_head(d2, &rev, h));
	assert_int_equal(rev, 7);
	assert_ok(lsn_dir_compare_head(d1, rev, h, &cmp, &fork));
	assert_int_equal(cmp, LSN_DIR_FORK);
	assert_int_equal(fork, 7);
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

static void
test_dir_checkpoints_sign_check_and_conflict(void **state)
{
	struct dfx			*fx = *state;
	struct lsn_store		*st2 = NULL;
	struct lsn_dir			*d2 = NULL;
	struct lsn_dir_checkpoint	 c;
	uint8_t				*cp1 = NULL, *cp2 = NULL, *cp3 = NULL;
	size_t				 l1, l2, l3;
	struct lsn_keypair		*other = fx_kp(LSN_KEY_SIGN, "other");

	build_history(fx);
	assert_err(lsn_dir_checkpoint_make(fx->d, other, fx->now, &cp1, &l1),
	    LSN_EPERM);
	assert_ok(lsn_dir_checkpoint_make(fx->d, fx->seq, fx->now, &cp1,
	    &l1));
	assert_ok(lsn_dir_checkpoint_check(fx->d, cp1, l1, &c));
	assert_int_equal(c.rev, 8);
	assert_int_equal(c.time_ms, fx->now);
	assert_string_equal(c.key_id, fx->seq->key_id);
	assert_err(lsn_dir_checkpoint_parse(cp1, l1, other->pk, &c),
	    LSN_EBADSIG);

	/* A replica that is behind cannot check it yet. */
	fx_open_dir(&st2, &d2);
	{
		struct fx_copy cc;

		memset(&cc, 0, sizeof(cc));
		cc.dst = d2;
		assert_ok(lsn_dir_entries_after(fx->d, 0, 6, fx_copy_cb, &cc));
	}
	assert_err(lsn_dir_checkpoint_check(d2, cp1, l1, NULL), LSN_ENOENT);
	/* The replica diverges at rev 7 and is checkpointed by the same
	 * sequencer key: conflicting checkpoints for rev 8. */
	{
		struct lsn_dir *keep = fx->d;

		fx->d = d2;
		assert_ok(fx_add_partner(fx, "nl-police", NULL, NULL));
		assert_ok(fx_add_partner(fx, "fr-ofmin", NULL, NULL));
		assert_ok(lsn_dir_checkpoint_make(d2, fx->seq, fx->now, &cp2,
		    &l2));
		fx->d = keep;
	}
	assert_err(lsn_dir_checkpoint_check(fx->d, cp2, l2, NULL), LSN_EFORK);
	assert_err(lsn_dir_checkpoint_check(d2, cp1, l1, NULL), LSN_EFORK);
	assert_err(lsn_dir_checkpoints_conflict(fx->seq->pk, cp1, l1, cp2,
	    l2), LSN_EFORK);
	/* Same head twice: no conflict; different revs: no conflict. */
	assert_ok(lsn_dir_checkpoint_make(fx->d, fx->seq, fx->now + 5, &cp3,
	    &l3));
	assert_ok(lsn_dir_checkpoints_conflict(fx->seq->pk, cp1, l1, cp3,
	    l3));
	/* A forged checkpoint (other key) proves nothing. */
	assert_err(lsn_dir_checkpoints_conflict(other->pk, cp1, l1, cp2, l2),
	    LSN_EBADSIG);
	cp1[l1 - 1] ^= 0x01;
	assert_err(lsn_dir_checkpoint_check(fx->d, cp1, l1, NULL),
	    LSN_EBADSIG);
	free(cp1);
	free(cp2);
	free(cp3);
	lsn_keypair_destroy(&other);
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

static double
secs_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double) (t1.tv_sec - t0->tv_sec) +
	    (double) (t1.tv_nsec - t0->tv_nsec) / 1e9);
}

#define BIG_N	5000

static void
test_dir_5000_partners_build_and_verify(void **state)
{
	struct dfx			*fx = *state;
	struct lsn_store		*st2 = NULL;
	struct lsn_dir			*d2 = NULL;
	struct lsn_dir_verify_result	 res;
	struct lsn_dirop_batch		*b = NULL;
	struct timespec			 t0;
	uint8_t				 g1[32], g2[32];
	uint64_t			 rev;
	char				 id[32], why[LSN_DIR_WHY_MAX];

	/* Sign 5,000 add-partner ops (each with sign, encrypt and
	 * transport keys, a unit and a contact). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(lsn_dirop_batch_new(&b));
	for (int i = 0; i < BIG_N; i++) {
		Liaison__V1__Partner		 p =
		    LIAISON__V1__PARTNER__INIT;
		Liaison__V1__PartnerNames	 n =
		    LIAISON__V1__PARTNER_NAMES__INIT;
		Liaison__V1__AddPartner		 ap =
		    LIAISON__V1__ADD_PARTNER__INIT;
		Liaison__V1__DirOp		 op =
		    LIAISON__V1__DIR_OP__INIT;
		Liaison__V1__KeyRecord		*keys[3];
		Liaison__V1__Contact		 c =
		    LIAISON__V1__CONTACT__INIT;
		Liaison__V1__Contact		*cs[1] = { &c };
		uint8_t				 pk[32], *buf;
		size_t				 len;

		(void) snprintf(id, sizeof(id), "p-%05d", i);
		n.official = id;
		p.id = id;
		p.names = &n;
		p.has_kind = 1;
		p.kind = LIAISON__V1__PARTNER_KIND__KIND_HOTLINE;
		p.country = "XX";
		for (int k = 0; k < 3; k++) {
			lsn_random(pk, sizeof(pk));
			keys[k] = fx_keyrec(pk, k + 1, 0, 0);
		}
		p.n_keys = 3;
		p.keys = keys;
		c.contact_id = "desk";
		c.name = "Desk";
		c.email = "desk@example.org";
		c.has_is_24x7 = 1;
		c.is_24x7 = 1;
		p.n_contacts = 1;
		p.contacts = cs;
		ap.partner = &p;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
		op.add_partner = &ap;
		buf = fx_op(fx, &op, "admin", 0, &len);
		fx_sign(&buf, &len, fx->admin[0]);
		assert_ok(lsn_dirop_batch_add(b, buf, len));
		free(buf);
		for (int k = 0; k < 3; k++)
			liaison__v1__key_record__free_unpacked(keys[k], NULL);
	}
	printf("dir bench: built and signed %d ops in %.3f s\n", BIG_N,
	    secs_since(&t0));

	/* Sequence them (one transaction). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(lsn_store_begin(fx->st));
	for (size_t i = 0; i < b->n; i++) {
		int rv = lsn_dir_submit(fx->d, b->ops[i], b->lens[i], fx->now,
		    NULL, why, sizeof(why));

		if (rv != LSN_OK)
			fail_msg("op %zu: %s: %s", i, lsn_errname(rv), why);
	}
	assert_ok(lsn_store_commit(fx->st));
	printf("dir bench: authorized and applied %d ops in %.3f s\n", BIG_N,
	    secs_since(&t0));
	lsn_dirop_batch_free(&b);

	/* A replica applies and verifies every entry from the log. */
	fx_open_dir(&st2, &d2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(lsn_store_begin(st2));
	assert_ok(fx_replicate(fx->d, d2, 0));
	assert_ok(lsn_store_commit(st2));
	printf("dir bench: replica applied %d entries in %.3f s\n", BIG_N + 1,
	    secs_since(&t0));
	assert_ok(lsn_dir_head(d2, &rev, NULL));
	assert_int_equal(rev, BIG_N + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fx_digest(fx->d, g1);
	printf("dir bench: state digest in %.3f s\n", secs_since(&t0));
	fx_digest(d2, g2);
	assert_memory_equal(g1, g2, 32);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(lsn_dir_verify(fx->d, &res, why, sizeof(why)));
	printf("dir bench: full verify (replay + digests) in %.3f s\n",
	    secs_since(&t0));
	assert_int_equal(res.rev, BIG_N + 1);
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

/* Counts the entries a walk hands out; checks they come in rev order and
 * that the callback may use the directory (entry_get) meanwhile. */
struct count_walk {
	struct lsn_dir	*d;
	uint64_t	 first, last, n, stop_at;
};

static int
count_cb(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct count_walk	*w = arg;
	uint8_t			*again = NULL;
	size_t			 alen = 0;

	if (w->n == 0)
		w->first = rev;
	else
		assert_int_equal(rev, w->last + 1);
	assert_ok(lsn_dir_entry_get(w->d, rev, &again, &alen));
	assert_int_equal(alen, len);
	assert_memory_equal(again, entry, len);
	free(again);
	w->last = rev;
	w->n++;
	return (w->stop_at != 0 && w->n == w->stop_at ? 7 : 0);
}

static uint64_t
count_after(struct dfx *fx, uint64_t after, size_t max, uint64_t stop_at,
    int want_rv)
{
	struct count_walk	w;

	memset(&w, 0, sizeof(w));
	w.d = fx->d;
	w.stop_at = stop_at;
	assert_int_equal(lsn_dir_entries_after(fx->d, after, max, count_cb,
	    &w), want_rv);
	if (w.n > 0)
		assert_int_equal(w.first, after + 1);
	return (w.n);
}

/* lsn_dir_entries_after reads the log in pages: counts across and at the
 * page size (64), limits, a start in the middle, a callback stopping. */
static void
test_dir_entries_after_pages_and_limits(void **state)
{
	struct dfx	*fx = *state;
	char		 id[32];
	uint64_t	 head;

	for (int i = 0; i < 139; i++) {
		(void) snprintf(id, sizeof(id), "pg-%03d", i);
		assert_ok(fx_add_partner(fx, id, NULL, NULL));
	}
	assert_ok(lsn_dir_head(fx->d, &head, NULL));
	assert_int_equal(head, 140);
	assert_int_equal(count_after(fx, 0, 0, 0, 0), 140);
	assert_int_equal(count_after(fx, 0, 63, 0, 0), 63);
	assert_int_equal(count_after(fx, 0, 64, 0, 0), 64);
	assert_int_equal(count_after(fx, 0, 65, 0, 0), 65);
	assert_int_equal(count_after(fx, 0, 128, 0, 0), 128);
	assert_int_equal(count_after(fx, 0, 1000, 0, 0), 140);
	assert_int_equal(count_after(fx, 10, 0, 0, 0), 130);
	assert_int_equal(count_after(fx, 76, 64, 0, 0), 64);
	assert_int_equal(count_after(fx, 140, 0, 0, 0), 0);
	assert_int_equal(count_after(fx, 0, 0, 70, 7), 70);
	assert_int_equal(count_after(fx, 0, 0, 64, 7), 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dir_replica_replay_gives_same_head_and_digest,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_replica_refuses_broken_chain_and_keeps_state,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_verify_detects_tamper_at_the_right_rev, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_fork_finder,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_checkpoints_sign_check_and_conflict, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_entries_after_pages_and_limits, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_5000_partners_build_and_verify, fx_setup,
		    fx_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
