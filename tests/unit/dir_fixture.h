/*
 * dir_fixture.h -- shared fixture for the directory tests (test_dir*.c):
 * a directory in an in-memory store (a fresh PostgreSQL database with
 * LSN_TEST_STORE=pg) with three administrators
 * (thresholds routine 1, sensitive 2, root 2), a sequencer key, and
 * helpers that build, sign and submit ops. Included by each test file;
 * every helper is static and marked unused.
 */
#ifndef DIR_FIXTURE_H
#define DIR_FIXTURE_H

#include "lsn_test.h"
#include "lsn_tstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/dir.h"
#include "liaison/keys.h"
#include "liaison/sig.h"
#include "liaison/store.h"
#include "liaison/util.h"

#define FX_UNUSED	__attribute__((unused))
#define FX_T0		1700000000000ULL	/* fixture clock, ms */
#define FX_NADMINS	3

struct dfx {
	struct lsn_store	*st;
	struct lsn_dir		*d;
	struct lsn_keypair	*admin[FX_NADMINS];
	struct lsn_keypair	*seq;
	uint64_t		 now;
	char			 why[LSN_DIR_WHY_MAX];
};

static FX_UNUSED struct lsn_keypair *
fx_kp(enum lsn_key_kind kind, const char *label)
{
	struct lsn_keypair	*kp = NULL;

	assert_ok(lsn_keypair_generate(kind, label, &kp));
	return (kp);
}

/* A malloc'd key record (free with the enclosing message). */
static FX_UNUSED Liaison__V1__KeyRecord *
fx_keyrec(const uint8_t pk[LSN_PK_BYTES], int purpose, uint64_t from,
    uint64_t until)
{
	Liaison__V1__KeyRecord	*k = calloc(1, sizeof(*k));
	char			 kid[LSN_KEYID_HEXLEN + 1];

	assert_non_null(k);
	liaison__v1__key_record__init(k);
	lsn_key_id(pk, kid);
	k->key_id = strdup(kid);
	k->has_purpose = 1;
	k->purpose = (Liaison__V1__KeyPurpose) purpose;
	k->has_public_key = 1;
	k->public_key.data = malloc(LSN_PK_BYTES);
	memcpy(k->public_key.data, pk, LSN_PK_BYTES);
	k->public_key.len = LSN_PK_BYTES;
	k->has_valid_from_ms = 1;
	k->valid_from_ms = from;
	if (until != 0) {
		k->has_valid_until_ms = 1;
		k->valid_until_ms = until;
	}
	return (k);
}

/* A malloc'd root policy (liaison__v1__root_policy__free_unpacked). */
static FX_UNUSED Liaison__V1__RootPolicy *
fx_policy(uint64_t version, struct lsn_keypair **admins, size_t n,
    uint32_t kr, uint32_t ks, uint32_t kroot, const struct lsn_keypair *seq)
{
	Liaison__V1__RootPolicy	*p = calloc(1, sizeof(*p));
	uint32_t		 ks_[3] = { kr, ks, kroot };

	assert_non_null(p);
	liaison__v1__root_policy__init(p);
	p->has_version = 1;
	p->version = version;
	p->n_admins = n;
	p->admins = calloc(n, sizeof(*p->admins));
	for (size_t i = 0; i < n; i++) {
		Liaison__V1__AdminKey *a = calloc(1, sizeof(*a));

		liaison__v1__admin_key__init(a);
		a->name = strdup(admins[i]->label);
		a->key = fx_keyrec(admins[i]->pk, LSN_KEY_SIGN, 0, 0);
		p->admins[i] = a;
	}
	p->n_thresholds = 3;
	p->thresholds = calloc(3, sizeof(*p->thresholds));
	for (int c = 0; c < 3; c++) {
		Liaison__V1__Threshold *t = calloc(1, sizeof(*t));

		liaison__v1__threshold__init(t);
		t->has_action_class = 1;
		t->action_class = (Liaison__V1__ActionClass) (c + 1);
		t->has_k = 1;
		t->k = ks_[c];
		p->thresholds[c] = t;
	}
	p->sequencer_key = fx_keyrec(seq->pk, LSN_KEY_SIGN, 0, 0);
	return (p);
}

/* Packs op (author, expected version, created fx->now) unsigned. */
static FX_UNUSED uint8_t *
fx_op(struct dfx *fx, Liaison__V1__DirOp *op, const char *author,
    uint64_t exp, size_t *len)
{
	uint8_t	*buf = NULL;
	char	 why[LSN_DIR_WHY_MAX];
	int	 rv;

	op->author = (char *) (uintptr_t) author;
	op->has_expected_version = 1;
	op->expected_version = exp;
	if (!op->has_created_ms) {
		op->has_created_ms = 1;
		op->created_ms = fx->now;
	}
	rv = lsn_dirop_new(op, &buf, len, why, sizeof(why));
	if (rv != LSN_OK)
		fail_msg("lsn_dirop_new: %s: %s", lsn_errname(rv), why);
	return (buf);
}

/* Like fx_op but without validation (to test refusals of bad fields). */
static FX_UNUSED uint8_t *
fx_raw(struct dfx *fx, Liaison__V1__DirOp *op, const char *author,
    uint64_t exp, size_t *len)
{
	Liaison__V1__SignedDirOp	 s = LIAISON__V1__SIGNED_DIR_OP__INIT;
	uint8_t				 id[LSN_DIROP_ID_BYTES], *ob, *buf;
	size_t				 olen;

	lsn_random(id, sizeof(id));
	op->has_op_id = 1;
	op->op_id.data = id;
	op->op_id.len = sizeof(id);
	op->author = (char *) (uintptr_t) author;
	op->has_expected_version = 1;
	op->expected_version = exp;
	if (!op->has_created_ms) {
		op->has_created_ms = 1;
		op->created_ms = fx->now;
	}
	olen = liaison__v1__dir_op__get_packed_size(op);
	ob = malloc(olen);
	liaison__v1__dir_op__pack(op, ob);
	op->has_op_id = 0;
	op->op_id.data = NULL;
	op->op_id.len = 0;
	s.has_op = 1;
	s.op.data = ob;
	s.op.len = olen;
	*len = liaison__v1__signed_dir_op__get_packed_size(&s);
	buf = malloc(*len);
	liaison__v1__signed_dir_op__pack(&s, buf);
	free(ob);
	return (buf);
}

/* Submits raw bytes after signing them with the first n admins. */
static FX_UNUSED int
fx_submit_bytes(struct dfx *fx, uint8_t *buf, size_t len, size_t n)
{
	int	rv;

	for (size_t i = 0; i < n; i++) {
		uint8_t	*nb = NULL;
		size_t	 nlen;

		assert_ok(lsn_dirop_sign(buf, len, fx->admin[i], &nb, &nlen));
		free(buf);
		buf = nb;
		len = nlen;
	}
	fx->why[0] = '\0';
	rv = lsn_dir_submit(fx->d, buf, len, fx->now, NULL, fx->why,
	    sizeof(fx->why));
	free(buf);
	return (rv);
}

static FX_UNUSED void
fx_sign(uint8_t **buf, size_t *len, const struct lsn_keypair *kp)
{
	uint8_t	*nb = NULL;
	size_t	 nlen;

	assert_ok(lsn_dirop_sign(*buf, *len, kp, &nb, &nlen));
	free(*buf);
	*buf = nb;
	*len = nlen;
}

/* Builds, signs with each signer in order, submits; returns the rv. */
static FX_UNUSED int
fx_submit(struct dfx *fx, Liaison__V1__DirOp *op, const char *author,
    uint64_t exp, struct lsn_keypair *const *signers, size_t nsig)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rv;

	buf = fx_op(fx, op, author, exp, &len);
	for (size_t i = 0; i < nsig; i++)
		fx_sign(&buf, &len, signers[i]);
	fx->why[0] = '\0';
	rv = lsn_dir_submit(fx->d, buf, len, fx->now, NULL, fx->why,
	    sizeof(fx->why));
	free(buf);
	return (rv);
}

#define SIGNERS(...)	((struct lsn_keypair *const[]){ __VA_ARGS__ }), \
	(sizeof((struct lsn_keypair *const[]){ __VA_ARGS__ }) / \
	sizeof(struct lsn_keypair *))

/* Admin op signed by the first n fixture admins. */
static FX_UNUSED int
fx_admin(struct dfx *fx, Liaison__V1__DirOp *op, uint64_t exp, size_t n)
{
	return (fx_submit(fx, op, LSN_DIR_AUTHOR_ADMIN, exp, fx->admin, n));
}

static FX_UNUSED void
fx_genesis(struct dfx *fx)
{
	Liaison__V1__RootPolicy	*p;
	Liaison__V1__InitRoot	 ir = LIAISON__V1__INIT_ROOT__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;

	p = fx_policy(1, fx->admin, FX_NADMINS, 1, 2, 2, fx->seq);
	ir.policy = p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	assert_ok(fx_admin(fx, &op, 0, 2));
	liaison__v1__root_policy__free_unpacked(p, NULL);
}

/*
 * Opens a fresh directory (no genesis): in memory, or in a fresh database
 * on a throwaway PostgreSQL when LSN_TEST_STORE=pg (lsn_tstore.h).
 */
static FX_UNUSED void
fx_open_dir(struct lsn_store **st, struct lsn_dir **d)
{
	char	path[512];

	assert_ok(lsn_tstore_path(NULL, ":memory:", path, sizeof(path)));
	assert_ok(lsn_store_open(path, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, st));
	assert_ok(lsn_dir_open(*st, d));
}

static FX_UNUSED int
fx_setup_bare(void **state)
{
	struct dfx	*fx = calloc(1, sizeof(*fx));
	char		 name[16];

	assert_non_null(fx);
	assert_ok(lsn_init());
	fx_open_dir(&fx->st, &fx->d);
	for (int i = 0; i < FX_NADMINS; i++) {
		(void) snprintf(name, sizeof(name), "admin-%c", 'a' + i);
		fx->admin[i] = fx_kp(LSN_KEY_SIGN, name);
	}
	fx->seq = fx_kp(LSN_KEY_SIGN, "sequencer");
	fx->now = FX_T0;
	*state = fx;
	return (0);
}

static FX_UNUSED int
fx_setup(void **state)
{
	fx_setup_bare(state);
	fx_genesis(*state);
	return (0);
}

static FX_UNUSED int
fx_teardown(void **state)
{
	struct dfx	*fx = *state;

	lsn_dir_close(&fx->d);
	lsn_store_close(&fx->st);
	for (int i = 0; i < FX_NADMINS; i++)
		lsn_keypair_destroy(&fx->admin[i]);
	lsn_keypair_destroy(&fx->seq);
	free(fx);
	return (0);
}

/*
 * Adds partner id (kind law enforcement, country GB) with the given SIGN
 * key pair (may be NULL), a fresh encrypt key and the given transport key
 * pair (may be NULL), one unit "vid" and one 24/7 contact "desk".
 * Returns the submit result.
 */
static FX_UNUSED int
fx_add_partner(struct dfx *fx, const char *id, const struct lsn_keypair *sign,
    const struct lsn_keypair *transport)
{
	Liaison__V1__Partner		 p = LIAISON__V1__PARTNER__INIT;
	Liaison__V1__PartnerNames	 n = LIAISON__V1__PARTNER_NAMES__INIT;
	Liaison__V1__AddPartner		 ap = LIAISON__V1__ADD_PARTNER__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__KeyRecord		*keys[3];
	Liaison__V1__Unit		 u = LIAISON__V1__UNIT__INIT;
	Liaison__V1__Unit		*units[1] = { &u };
	Liaison__V1__Contact		 c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__Contact		*contacts[1] = { &c };
	char				*langs[2] = { "en", "fr" };
	uint8_t				 epk[LSN_PK_BYTES];
	char				 official[128];
	size_t				 nk = 0;
	int				 rv;

	(void) snprintf(official, sizeof(official), "Agency %s", id);
	n.official = official;
	n.short_name = "AG";
	p.id = (char *) (uintptr_t) id;
	p.names = &n;
	p.has_kind = 1;
	p.kind = LIAISON__V1__PARTNER_KIND__KIND_LAW_ENFORCEMENT;
	p.country = "GB";
	if (sign != NULL)
		keys[nk++] = fx_keyrec(sign->pk, LSN_KEY_SIGN, 0, 0);
	lsn_random(epk, sizeof(epk));
	keys[nk++] = fx_keyrec(epk, LSN_KEY_ENCRYPT, 0, 0);
	if (transport != NULL)
		keys[nk++] = fx_keyrec(transport->pk, LSN_KEY_TRANSPORT, 0, 0);
	p.n_keys = nk;
	p.keys = keys;
	u.unit_id = "vid";
	u.name = "Victim Identification";
	u.hours = "Mo-Fr 08-18";
	p.n_units = 1;
	p.units = units;
	c.contact_id = "desk";
	c.name = "Duty desk";
	c.role = "24/7 point of contact";
	c.email = "desk@example.org";
	c.phone = "+44 20 7946 0000";
	c.has_is_24x7 = 1;
	c.is_24x7 = 1;
	c.n_languages = 2;
	c.languages = langs;
	c.time_zone = "Europe/London";
	p.n_contacts = 1;
	p.contacts = contacts;
	ap.partner = &p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
	op.add_partner = &ap;
	rv = fx_admin(fx, &op, 0, 1);
	for (size_t i = 0; i < nk; i++)
		liaison__v1__key_record__free_unpacked(keys[i], NULL);
	return (rv);
}

static FX_UNUSED uint64_t
fx_version(struct dfx *fx, const char *id)
{
	Liaison__V1__Partner	*p = NULL;
	uint64_t		 v;

	assert_ok(lsn_dir_partner_get(fx->d, id, &p));
	v = p->version;
	lsn_dir_partner_free(&p);
	return (v);
}

/* A set-contact op body for partner pid, contact cid. */
static FX_UNUSED int
fx_set_contact(struct dfx *fx, const char *author, const char *pid,
    const char *cid, uint64_t exp, struct lsn_keypair *const *signers,
    size_t nsig)
{
	Liaison__V1__SetContact	sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__Contact	c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;

	c.contact_id = (char *) (uintptr_t) cid;
	c.name = "Analyst on call";
	c.email = "oncall@example.org";
	sc.partner_id = (char *) (uintptr_t) pid;
	sc.contact = &c;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
	op.set_contact = &sc;
	return (fx_submit(fx, &op, author, exp, signers, nsig));
}

static FX_UNUSED void
fx_digest(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
{
	assert_ok(lsn_dir_digest(d, out));
}

/* Copies every log entry of src into dst through lsn_dir_apply_entry. */
struct fx_copy {
	struct lsn_dir	*dst;
	int		 rv;
	char		 why[LSN_DIR_WHY_MAX];
};

static FX_UNUSED int
fx_copy_cb(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct fx_copy	*c = arg;

	(void) rev;
	c->rv = lsn_dir_apply_entry(c->dst, entry, len, c->why,
	    sizeof(c->why));
	return (c->rv);
}

static FX_UNUSED int
fx_replicate(struct lsn_dir *src, struct lsn_dir *dst, uint64_t after)
{
	struct fx_copy	c;

	memset(&c, 0, sizeof(c));
	c.dst = dst;
	return (lsn_dir_entries_after(src, after, 0, fx_copy_cb, &c));
}

#endif /* DIR_FIXTURE_H */
