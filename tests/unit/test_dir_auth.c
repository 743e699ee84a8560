/* test_dir_auth.c -- directory authorization: genesis, thresholds,
 * signatures, self-service, key validity, replay, root rotation. */
#include "dir_fixture.h"

#define ACTIVE		LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE
#define SUSPENDED	LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED

static Liaison__V1__DirOp *
suspend_op(Liaison__V1__DirOp *op, Liaison__V1__SetStatus *ss,
    const char *pid, int status)
{
	liaison__v1__set_status__init(ss);
	liaison__v1__dir_op__init(op);
	ss->partner_id = (char *) (uintptr_t) pid;
	ss->has_status = 1;
	ss->status = (Liaison__V1__PartnerStatus) status;
	op->action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op->set_status = ss;
	return (op);
}

static void
test_dir_genesis_sets_root_and_head(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__RootPolicy	*root = NULL;
	uint8_t			 h[32], rh[32], gh[32], ph[32], zero[32];
	uint64_t		 rev;

	assert_ok(lsn_dir_head(fx->d, &rev, h));
	assert_int_equal(rev, 1);
	memset(zero, 0, sizeof(zero));
	assert_memory_not_equal(h, zero, 32);
	assert_ok(lsn_dir_root_get(fx->d, &root));
	assert_int_equal(root->version, 1);
	assert_int_equal(root->n_admins, FX_NADMINS);
	lsn_dir_policy_hash(root, ph);
	liaison__v1__root_policy__free_unpacked(root, NULL);
	assert_ok(lsn_dir_root_hash(fx->d, rh));
	assert_ok(lsn_dir_genesis_hash(fx->d, gh));
	assert_memory_equal(rh, ph, 32);
	assert_memory_equal(gh, rh, 32);
}

static void
test_dir_genesis_rules(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__RootPolicy	*p;
	Liaison__V1__InitRoot	 ir = LIAISON__V1__INIT_ROOT__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t			 h[32];
	uint8_t			*buf;
	size_t			 len;

	/* Before genesis: nothing but init-root; no root hash. */
	assert_err(lsn_dir_root_hash(fx->d, h), LSN_ENOENT);
	assert_err(fx_add_partner(fx, "gb-nca", NULL, NULL), LSN_EROOT);
	assert_non_null(strstr(fx->why, "init-root"));

	p = fx_policy(1, fx->admin, FX_NADMINS, 1, 2, 2, fx->seq);
	ir.policy = p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	/* Own ROOT threshold (2) needed: one signature is refused. */
	assert_err(fx_admin(fx, &op, 0, 1), LSN_ETHRESHOLD);
	assert_string_equal(fx->why,
	    "too few valid administrator signatures (1 of 2 needed)");
	/* A trust anchor that does not match refuses the genesis. */
	memset(h, 0x5a, sizeof(h));
	lsn_dir_set_trust_anchor(fx->d, h);
	assert_err(fx_admin(fx, &op, 0, 2), LSN_EROOT);
	lsn_dir_policy_hash(p, h);
	lsn_dir_set_trust_anchor(fx->d, h);
	/* Version must be 1. */
	p->version = 2;
	assert_err(fx_admin(fx, &op, 0, 2), LSN_EROOT);
	p->version = 1;
	/* Expected version must be 0. */
	assert_err(fx_admin(fx, &op, 1, 2), LSN_ESTALE);
	assert_ok(fx_admin(fx, &op, 0, 2));
	/* A second init-root is refused. */
	assert_err(fx_admin(fx, &op, 0, 3), LSN_EROOT);

	/* A threshold above the number of admins is refused (validation
	 * in lsn_dirop_new and again at submit). */
	p->thresholds[2]->k = 4;
	assert_err(lsn_dirop_new(&op, &buf, &len, NULL, 0), LSN_EROOT);
	buf = fx_raw(fx, &op, "admin", 0, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 3), LSN_EROOT);
	liaison__v1__root_policy__free_unpacked(p, NULL);
}

static void
test_dir_threshold_k_minus_one_refused_k_accepted(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	suspend_op(&op, &ss, "gb-nca", SUSPENDED);
	assert_err(fx_admin(fx, &op, 1, 1), LSN_ETHRESHOLD);
	assert_string_equal(fx->why, "too few valid administrator signatures "
	    "(1 of 2 needed for a sensitive action)");
	assert_ok(fx_admin(fx, &op, 1, 2));
	/* Three signatures are fine too. */
	suspend_op(&op, &ss, "gb-nca", ACTIVE);
	assert_ok(fx_admin(fx, &op, 2, 3));
}

/* Appends a copy of signature i to a serialized SignedDirOp. */
static void
duplicate_sig(uint8_t **buf, size_t *len, size_t i)
{
	Liaison__V1__SignedDirOp	 *s;
	Liaison__V1__OpSignature	**sigs;

	s = liaison__v1__signed_dir_op__unpack(NULL, *len, *buf);
	assert_non_null(s);
	sigs = calloc(s->n_signatures + 1, sizeof(*sigs));
	memcpy(sigs, s->signatures, s->n_signatures * sizeof(*sigs));
	sigs[s->n_signatures] = s->signatures[i];
	{
		Liaison__V1__OpSignature **old = s->signatures;
		size_t n = s->n_signatures;

		s->signatures = sigs;
		s->n_signatures = n + 1;
		free(*buf);
		*len = liaison__v1__signed_dir_op__get_packed_size(s);
		*buf = malloc(*len);
		liaison__v1__signed_dir_op__pack(s, *buf);
		s->signatures = old;
		s->n_signatures = n;
	}
	free(sigs);
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
}

static void
test_dir_same_key_twice_counts_once(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;
	uint8_t			*buf;
	size_t			 len;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	suspend_op(&op, &ss, "gb-nca", SUSPENDED);
	buf = fx_op(fx, &op, "admin", 1, &len);
	fx_sign(&buf, &len, fx->admin[0]);
	/* lsn_dirop_sign with the same key replaces, never duplicates. */
	fx_sign(&buf, &len, fx->admin[0]);
	{
		Liaison__V1__SignedDirOp *s = NULL;

		assert_ok(lsn_dirop_parse(buf, len, &s, NULL));
		assert_int_equal(s->n_signatures, 1);
		liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	}
	/* A crafted duplicate still counts once. */
	duplicate_sig(&buf, &len, 0);
	assert_err(lsn_dir_authorize(fx->d, buf, len, fx->now, fx->why,
	    sizeof(fx->why)), LSN_ETHRESHOLD);
	fx_sign(&buf, &len, fx->admin[1]);
	assert_ok(lsn_dir_authorize(fx->d, buf, len, fx->now, NULL, 0));
	free(buf);
}

static void
test_dir_bad_unknown_and_missing_signatures_refused(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;
	Liaison__V1__SignedDirOp *s;
	struct lsn_keypair	*stranger = fx_kp(LSN_KEY_SIGN, "stranger");
	uint8_t			*buf, *nb;
	size_t			 len, nlen;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	suspend_op(&op, &ss, "gb-nca", SUSPENDED);
	buf = fx_op(fx, &op, "admin", 1, &len);
	/* No signature at all. */
	assert_err(lsn_dir_authorize(fx->d, buf, len, fx->now, NULL, 0),
	    LSN_EBADSIG);
	fx_sign(&buf, &len, fx->admin[0]);
	fx_sign(&buf, &len, fx->admin[1]);
	assert_ok(lsn_dir_authorize(fx->d, buf, len, fx->now, NULL, 0));

	/* A signature by a key that is not an administrator's refuses the
	 * op even though the threshold is met by the others. */
	assert_ok(lsn_dirop_sign(buf, len, stranger, &nb, &nlen));
	assert_err(lsn_dir_authorize(fx->d, nb, nlen, fx->now, fx->why,
	    sizeof(fx->why)), LSN_ENOTAUTH);
	assert_non_null(strstr(fx->why, "not an administrator key"));
	free(nb);

	/* One flipped bit in a signature: bad signature. */
	s = liaison__v1__signed_dir_op__unpack(NULL, len, buf);
	assert_non_null(s);
	s->signatures[1]->signature.data[5] ^= 0x01;
	nlen = liaison__v1__signed_dir_op__get_packed_size(s);
	nb = malloc(nlen);
	liaison__v1__signed_dir_op__pack(s, nb);
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	assert_err(lsn_dir_authorize(fx->d, nb, nlen, fx->now, NULL, 0),
	    LSN_EBADSIG);
	free(nb);

	/* A changed op byte under valid signatures: bad signature. */
	s = liaison__v1__signed_dir_op__unpack(NULL, len, buf);
	s->op.data[s->op.len - 1] ^= 0x01;
	nlen = liaison__v1__signed_dir_op__get_packed_size(s);
	nb = malloc(nlen);
	liaison__v1__signed_dir_op__pack(s, nb);
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	assert_true(lsn_dir_authorize(fx->d, nb, nlen, fx->now, NULL, 0) !=
	    LSN_OK);
	free(nb);

	/* Garbage bytes. */
	assert_err(lsn_dir_authorize(fx->d, (const uint8_t *) "\xff\xff\xff",
	    3, fx->now, NULL, 0), LSN_EPROTO);
	free(buf);
	lsn_keypair_destroy(&stranger);
}

static void
test_dir_self_service_own_partner_only(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*afp = fx_kp(LSN_KEY_SIGN, "au-afp");
	struct lsn_keypair	*nca = fx_kp(LSN_KEY_SIGN, "gb-nca");
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;

	assert_ok(fx_add_partner(fx, "au-afp", afp, NULL));
	assert_ok(fx_add_partner(fx, "gb-nca", nca, NULL));
	/* Own contact: allowed, with one signature of its own key. */
	assert_ok(fx_set_contact(fx, "au-afp", "au-afp", "oncall", 1,
	    SIGNERS(afp)));
	assert_int_equal(fx_version(fx, "au-afp"), 2);
	/* Another partner's contact: refused with its own message. */
	assert_err(fx_set_contact(fx, "au-afp", "gb-nca", "oncall", 1,
	    SIGNERS(afp)), LSN_ENOTAUTH);
	assert_string_equal(fx->why,
	    "partner au-afp may only change its own contacts and units");
	/* Signed with the other partner's key: refused. */
	assert_err(fx_set_contact(fx, "au-afp", "au-afp", "x2", 2,
	    SIGNERS(nca)), LSN_ENOTAUTH);
	assert_non_null(strstr(fx->why,
	    "not a signing key of partner au-afp"));
	/* An admin key on a partner-authored op: refused. */
	assert_err(fx_set_contact(fx, "au-afp", "au-afp", "x2", 2,
	    SIGNERS(fx->admin[0])), LSN_ENOTAUTH);
	/* Self-service cannot suspend itself or others. */
	suspend_op(&op, &ss, "au-afp", SUSPENDED);
	assert_err(fx_submit(fx, &op, "au-afp", 2, SIGNERS(afp)),
	    LSN_ENOTAUTH);
	/* A partner-authored op with an unknown author. */
	assert_err(fx_set_contact(fx, "xx-nobody", "xx-nobody", "xy", 0,
	    SIGNERS(afp)), LSN_ENOTAUTH);
	/* Suspended partners sign nothing. */
	suspend_op(&op, &ss, "au-afp", SUSPENDED);
	assert_ok(fx_admin(fx, &op, 2, 2));
	assert_err(fx_set_contact(fx, "au-afp", "au-afp", "x3", 3,
	    SIGNERS(afp)), LSN_ESUSPENDED);
	lsn_keypair_destroy(&afp);
	lsn_keypair_destroy(&nca);
}

static void
test_dir_revoked_key_signs_nothing(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*afp = fx_kp(LSN_KEY_SIGN, "au-afp");
	Liaison__V1__RevokeKey	 rk = LIAISON__V1__REVOKE_KEY__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;

	assert_ok(fx_add_partner(fx, "au-afp", afp, NULL));
	rk.partner_id = "au-afp";
	rk.key_id = afp->key_id;
	rk.has_revoked_at_ms = 1;
	/* Revocation effective in the future still stops op signing. */
	rk.revoked_at_ms = fx->now + 86400000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_err(fx_admin(fx, &op, 1, 1), LSN_ETHRESHOLD);
	assert_ok(fx_admin(fx, &op, 1, 2));
	assert_err(fx_set_contact(fx, "au-afp", "au-afp", "oncall", 2,
	    SIGNERS(afp)), LSN_EKEYREVOKED);
	assert_non_null(strstr(fx->why, "revoked"));
	lsn_keypair_destroy(&afp);
}

static void
test_dir_expired_key_refused(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*afp = fx_kp(LSN_KEY_SIGN, "au-afp");
	Liaison__V1__RetireKey	 rk = LIAISON__V1__RETIRE_KEY__INIT;
	Liaison__V1__SetContact	 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__Contact	 c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t			*buf;
	size_t			 len;

	assert_ok(fx_add_partner(fx, "au-afp", afp, NULL));
	rk.partner_id = "au-afp";
	rk.key_id = afp->key_id;
	rk.has_valid_until_ms = 1;
	rk.valid_until_ms = fx->now - 1000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY;
	op.retire_key = &rk;
	assert_ok(fx_admin(fx, &op, 1, 1));
	/* Created now, after the key's end: refused. */
	assert_err(fx_set_contact(fx, "au-afp", "au-afp", "oncall", 2,
	    SIGNERS(afp)), LSN_EKEYEXPIRED);
	/* Created while the key was valid: the sequencer (now_ms given)
	 * refuses it, a replica replaying it (now_ms 0) accepts it. */
	liaison__v1__dir_op__init(&op);
	c.contact_id = "oncall";
	c.name = "On call";
	c.phone = "+61 2 0000 0000";
	sc.partner_id = "au-afp";
	sc.contact = &c;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
	op.set_contact = &sc;
	op.has_created_ms = 1;
	op.created_ms = fx->now - 5000;
	buf = fx_op(fx, &op, "au-afp", 2, &len);
	fx_sign(&buf, &len, afp);
	assert_err(lsn_dir_authorize(fx->d, buf, len, fx->now, NULL, 0),
	    LSN_EKEYEXPIRED);
	assert_ok(lsn_dir_authorize(fx->d, buf, len, 0, NULL, 0));
	free(buf);
	lsn_keypair_destroy(&afp);
}

static void
test_dir_replayed_op_refused(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;
	uint8_t			*buf;
	size_t			 len;
	uint64_t		 rev;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	suspend_op(&op, &ss, "gb-nca", SUSPENDED);
	buf = fx_op(fx, &op, "admin", 1, &len);
	fx_sign(&buf, &len, fx->admin[0]);
	fx_sign(&buf, &len, fx->admin[1]);
	assert_ok(lsn_dir_submit(fx->d, buf, len, fx->now, &rev, NULL, 0));
	assert_int_equal(rev, 3);
	/* The very same bytes again: op id seen. */
	assert_err(lsn_dir_submit(fx->d, buf, len, fx->now, NULL, fx->why,
	    sizeof(fx->why)), LSN_EOPREPLAY);
	assert_string_equal(fx->why, "op already applied");
	free(buf);
	/* The same change as a fresh op still expecting version 1. */
	suspend_op(&op, &ss, "gb-nca", ACTIVE);
	assert_err(fx_admin(fx, &op, 1, 2), LSN_ESTALE);
	assert_non_null(strstr(fx->why, "version 2"));
	assert_ok(lsn_dir_head(fx->d, &rev, NULL));
	assert_int_equal(rev, 3);
}

static void
test_dir_future_op_refused_by_sequencer(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetStatus	 ss;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	suspend_op(&op, &ss, "gb-nca", SUSPENDED);
	op.has_created_ms = 1;
	op.created_ms = fx->now + 3600000;
	assert_err(fx_admin(fx, &op, 1, 2), LSN_ESKEW);
}

static void
test_dir_root_rotation_needs_old_and_new_threshold(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*b1 = fx_kp(LSN_KEY_SIGN, "admin-d");
	struct lsn_keypair	*b2 = fx_kp(LSN_KEY_SIGN, "admin-e");
	struct lsn_keypair	*set[3] = { fx->admin[0], b1, b2 };
	Liaison__V1__RootPolicy	*p;
	Liaison__V1__ReplaceRoot rr = LIAISON__V1__REPLACE_ROOT__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t			 before[32], after[32], genesis[32];

	assert_ok(lsn_dir_root_hash(fx->d, before));
	p = fx_policy(2, set, 3, 1, 2, 2, fx->seq);
	rr.policy = p;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT;
	op.replace_root = &rr;
	/* Only the old threshold (a, b): the new set has just a. */
	assert_err(fx_submit(fx, &op, "admin", 1,
	    SIGNERS(fx->admin[0], fx->admin[1])), LSN_ETHRESHOLD);
	assert_non_null(strstr(fx->why, "new root policy (1 of 2"));
	/* Only the new threshold (d, e): none of the old set. */
	assert_err(fx_submit(fx, &op, "admin", 1, SIGNERS(b1, b2)),
	    LSN_ETHRESHOLD);
	assert_non_null(strstr(fx->why, "current root policy (0 of 2"));
	/* Old b + new d: one of each. */
	assert_err(fx_submit(fx, &op, "admin", 1,
	    SIGNERS(fx->admin[1], b1)), LSN_ETHRESHOLD);
	/* Wrong version, stale expectation. */
	p->version = 3;
	assert_err(fx_submit(fx, &op, "admin", 1,
	    SIGNERS(fx->admin[0], fx->admin[1], b1)), LSN_EROOT);
	p->version = 2;
	assert_err(fx_submit(fx, &op, "admin", 0,
	    SIGNERS(fx->admin[0], fx->admin[1], b1)), LSN_ESTALE);
	/* Both thresholds: a and b (old), a and d (new). */
	assert_ok(fx_submit(fx, &op, "admin", 1,
	    SIGNERS(fx->admin[0], fx->admin[1], b1)));
	assert_ok(lsn_dir_root_hash(fx->d, after));
	assert_memory_not_equal(before, after, 32);
	assert_ok(lsn_dir_genesis_hash(fx->d, genesis));
	assert_memory_equal(before, genesis, 32);
	liaison__v1__root_policy__free_unpacked(p, NULL);

	/* The removed admin b signs nothing now; the new admin d does. */
	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));	/* by a */
	{
		Liaison__V1__CreateGroup cg = LIAISON__V1__CREATE_GROUP__INIT;
		Liaison__V1__DirOp o2 = LIAISON__V1__DIR_OP__INIT;

		cg.name = "hotlines";
		o2.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
		o2.create_group = &cg;
		assert_err(fx_submit(fx, &o2, "admin", 0,
		    SIGNERS(fx->admin[1])), LSN_ENOTAUTH);
		assert_ok(fx_submit(fx, &o2, "admin", 0, SIGNERS(b1)));
	}
	lsn_keypair_destroy(&b1);
	lsn_keypair_destroy(&b2);
}

/*
 * lsn_dir_contact_op_check, what a ContactUpdate / ContactConfirmed
 * message's op must be: the sender's own op of the expected action on its
 * own contact, every signature by its key; the log is not consulted (an
 * op already applied still checks).
 */
static void
test_dir_contact_op_check(void **state)
{
	struct dfx			*fx = *state;
	struct lsn_keypair		*afp = fx_kp(LSN_KEY_SIGN, "au-afp");
	struct lsn_keypair		*nca = fx_kp(LSN_KEY_SIGN, "gb-nca");
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t				*buf, *bad;
	size_t				 len;
	char				 why[LSN_DIR_WHY_MAX];

	assert_ok(fx_add_partner(fx, "au-afp", afp, NULL));
	assert_ok(fx_add_partner(fx, "gb-nca", nca, NULL));
	assert_ok(fx_set_contact(fx, "au-afp", "au-afp", "oncall", 1,
	    SIGNERS(afp)));
	cc.partner_id = "au-afp";
	cc.contact_id = "oncall";
	cc.has_verified_at_ms = 1;
	cc.verified_at_ms = fx->now;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
	op.confirm_contact = &cc;
	buf = fx_op(fx, &op, "au-afp", 2, &len);
	/* unsigned */
	assert_err(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)), LSN_EBADSIG);
	fx_sign(&buf, &len, afp);
	assert_ok(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)));
	/* another action, contact or partner */
	assert_err(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_SET, why, sizeof(why)), LSN_EINVAL);
	assert_err(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "desk", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)), LSN_EINVAL);
	assert_err(lsn_dir_contact_op_check(fx->d, buf, len, "gb-nca",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)),
	    LSN_ENOTAUTH);
	/* a flipped signature byte */
	assert_non_null(bad = malloc(len));
	memcpy(bad, buf, len);
	bad[len - 1] ^= 1;
	assert_err(lsn_dir_contact_op_check(fx->d, bad, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)), LSN_EBADSIG);
	free(bad);
	/* applied to the log: still the sender's own op */
	assert_ok(lsn_dir_submit(fx->d, buf, len, fx->now, NULL, why,
	    sizeof(why)));
	assert_ok(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)));
	free(buf);
	/* the author named, another partner's key */
	buf = fx_op(fx, &op, "au-afp", 3, &len);
	fx_sign(&buf, &len, nca);
	assert_err(lsn_dir_contact_op_check(fx->d, buf, len, "au-afp",
	    "oncall", LSN_DIR_CONTACT_CONFIRM, why, sizeof(why)),
	    LSN_ENOTAUTH);
	free(buf);
	lsn_keypair_destroy(&afp);
	lsn_keypair_destroy(&nca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dir_genesis_sets_root_and_head, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_genesis_rules,
		    fx_setup_bare, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_threshold_k_minus_one_refused_k_accepted,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_same_key_twice_counts_once, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_bad_unknown_and_missing_signatures_refused,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_self_service_own_partner_only, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_revoked_key_signs_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_expired_key_refused,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_replayed_op_refused,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_future_op_refused_by_sequencer, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_root_rotation_needs_old_and_new_threshold,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_contact_op_check,
		    fx_setup, fx_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
