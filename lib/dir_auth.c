/*
 * dir_auth.c -- who may sign what: parsing a SignedDirOp, verifying its
 * signatures against the current state, thresholds, self-service; and the
 * sequencer (submit) and replica (apply_entry) entry points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "dir_int.h"

static const Liaison__V1__KeyRecord *
policy_key(const Liaison__V1__RootPolicy *p, const char *kid)
{
	if (p == NULL)
		return (NULL);
	for (size_t i = 0; i < p->n_admins; i++) {
		const Liaison__V1__AdminKey *a = p->admins[i];

		if (a->key != NULL && a->key->key_id != NULL &&
		    strcmp(a->key->key_id, kid) == 0)
			return (a->key);
	}
	return (NULL);
}

/* Validity of a key at the op's time and, if given, at now_ms. */
static int
key_time_ok(uint64_t from, uint64_t until, uint64_t created_ms,
    uint64_t now_ms)
{
	if (!dir_keyrec_valid_at(from, until, created_ms))
		return (0);
	if (now_ms != 0 && !dir_keyrec_valid_at(from, until, now_ms))
		return (0);
	return (1);
}

static int
verify_sig(const Liaison__V1__SignedDirOp *sop,
    const Liaison__V1__OpSignature *sig, const uint8_t *pk)
{
	return (lsn_sig_verify(LSN_SIG_DIROP, pk, sop->op.data, sop->op.len,
	    sig->signature.data, sig->signature.len));
}

static int
dup_before(const Liaison__V1__SignedDirOp *sop, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(sop->signatures[j]->key_id,
		    sop->signatures[i]->key_id) == 0)
			return (1);
	return (0);
}

/* Over 80 lines: signers counted once, then a threshold rule per action. */
static int
check_admin_signers(const Liaison__V1__SignedDirOp *sop,
    const Liaison__V1__DirOp *op, const Liaison__V1__RootPolicy *root,
    uint64_t now_ms, char *why, size_t whysz)
{
	const Liaison__V1__RootPolicy	*newp = dir_op_policy(op);
	const Liaison__V1__RootPolicy	*oldp = root;
	uint32_t			 n_old = 0, n_new = 0, k;
	int				 cls = lsn_dirop_class(op);

	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_INIT_ROOT)
		oldp = NULL;
	for (size_t i = 0; i < sop->n_signatures; i++) {
		const Liaison__V1__OpSignature	*sig = sop->signatures[i];
		const Liaison__V1__KeyRecord	*ko, *kn, *recs[2];
		int				 ok[2] = { 0, 0 };

		ko = policy_key(oldp, sig->key_id);
		kn = policy_key(newp, sig->key_id);
		if (ko == NULL && kn == NULL) {
			dir_why(why, whysz, "key %s is not an administrator "
			    "key%s", sig->key_id,
			    newp != NULL && oldp != NULL ?
			    " of the current or the new root policy" : "");
			return (LSN_ENOTAUTH);
		}
		recs[0] = ko;
		recs[1] = kn;
		for (int r = 0; r < 2; r++) {
			const Liaison__V1__KeyRecord *rec = recs[r];

			if (rec == NULL)
				continue;
			if (verify_sig(sop, sig, rec->public_key.data) !=
			    LSN_OK) {
				dir_why(why, whysz, "bad signature by "
				    "administrator key %s", sig->key_id);
				return (LSN_EBADSIG);
			}
			if (rec->revoked_at_ms != 0) {
				dir_why(why, whysz, "administrator key %s is "
				    "revoked", sig->key_id);
				return (LSN_EKEYREVOKED);
			}
			if (!key_time_ok(rec->valid_from_ms,
			    rec->valid_until_ms, op->created_ms, now_ms)) {
				dir_why(why, whysz, "administrator key %s is "
				    "not valid at the op's time", sig->key_id);
				return (LSN_EKEYEXPIRED);
			}
			ok[r] = 1;
		}
		if (dup_before(sop, i))
			continue;
		n_old += (uint32_t) ok[0];
		n_new += (uint32_t) ok[1];
	}
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
		k = dir_policy_threshold(newp,
		    LIAISON__V1__ACTION_CLASS__CLASS_ROOT);
		if (n_new < k) {
			dir_why(why, whysz, "too few valid administrator "
			    "signatures (%u of %u needed)", n_new, k);
			return (LSN_ETHRESHOLD);
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		k = dir_policy_threshold(oldp,
		    LIAISON__V1__ACTION_CLASS__CLASS_ROOT);
		if (n_old < k) {
			dir_why(why, whysz, "too few valid administrator "
			    "signatures of the current root policy (%u of %u "
			    "needed)", n_old, k);
			return (LSN_ETHRESHOLD);
		}
		k = dir_policy_threshold(newp,
		    LIAISON__V1__ACTION_CLASS__CLASS_ROOT);
		if (n_new < k) {
			dir_why(why, whysz, "too few valid administrator "
			    "signatures of the new root policy (%u of %u "
			    "needed)", n_new, k);
			return (LSN_ETHRESHOLD);
		}
		return (LSN_OK);
	default:
		k = dir_policy_threshold(oldp, cls);
		if (k == 0 || n_old < k) {
			dir_why(why, whysz, "too few valid administrator "
			    "signatures (%u of %u needed for a %s action)",
			    n_old, k, lsn_dir_class_name(cls));
			return (LSN_ETHRESHOLD);
		}
		return (LSN_OK);
	}
}

static int
check_partner_signers(struct lsn_dir *d, const Liaison__V1__SignedDirOp *sop,
    const Liaison__V1__DirOp *op, uint64_t now_ms, char *why, size_t whysz)
{
	const char	*author = op->author, *tp, *tg;
	struct dir_key	 k;
	uint64_t	 version;
	int		 found, status, rv;

	if ((rv = dir_partner_row(d, author, &found, &status, &version)) !=
	    LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "author %s is neither \"admin\" nor a "
		    "partner in the directory", author);
		return (LSN_ENOTAUTH);
	}
	if (status == LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED) {
		dir_why(why, whysz, "partner %s is revoked and signs nothing",
		    author);
		return (LSN_EPREVOKED);
	}
	if (status != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE) {
		dir_why(why, whysz, "partner %s is suspended", author);
		return (LSN_ESUSPENDED);
	}
	for (size_t i = 0; i < sop->n_signatures; i++) {
		const Liaison__V1__OpSignature *sig = sop->signatures[i];

		if ((rv = dir_key_row(d, sig->key_id, &found, &k)) != LSN_OK)
			return (rv);
		if (!found || strcmp(k.partner, author) != 0 ||
		    k.purpose != LIAISON__V1__KEY_PURPOSE__KEY_SIGN) {
			dir_why(why, whysz, "key %s is not a signing key of "
			    "partner %s", sig->key_id, author);
			return (LSN_ENOTAUTH);
		}
		if (verify_sig(sop, sig, k.pk) != LSN_OK) {
			dir_why(why, whysz, "bad signature by key %s of "
			    "partner %s", sig->key_id, author);
			return (LSN_EBADSIG);
		}
		if (k.revoked_at != 0) {
			dir_why(why, whysz, "key %s of partner %s is revoked",
			    sig->key_id, author);
			return (LSN_EKEYREVOKED);
		}
		if (!key_time_ok(k.valid_from, k.valid_until, op->created_ms,
		    now_ms)) {
			dir_why(why, whysz, "key %s of partner %s is not "
			    "valid at the op's time", sig->key_id, author);
			return (LSN_EKEYEXPIRED);
		}
	}
	if (!dir_op_target(op, &tp, &tg) || tp == NULL ||
	    strcmp(tp, author) != 0) {
		dir_why(why, whysz, "partner %s may only change its own "
		    "contacts and units", author);
		return (LSN_ENOTAUTH);
	}
	return (LSN_OK);
}

int
dir_check_signers(struct lsn_dir *d, const Liaison__V1__SignedDirOp *sop,
    const Liaison__V1__DirOp *op, const Liaison__V1__RootPolicy *root,
    uint64_t now_ms, char *why, size_t whysz)
{
	if (strcmp(op->author, LSN_DIR_AUTHOR_ADMIN) == 0)
		return (check_admin_signers(sop, op, root, now_ms, why,
		    whysz));
	return (check_partner_signers(d, sop, op, now_ms, why, whysz));
}

/*
 * Unpacks and shape-checks a SignedDirOp and its DirOp. Both caller-owned
 * on success.
 */
static int
parse_signed(const uint8_t *buf, size_t len, Liaison__V1__SignedDirOp **sopp,
    Liaison__V1__DirOp **opp, char *why, size_t whysz)
{
	Liaison__V1__SignedDirOp	*sop = NULL;
	Liaison__V1__DirOp		*op = NULL;
	int				 rv;

	if (buf == NULL || len == 0) {
		dir_why(why, whysz, "empty op");
		return (LSN_EPROTO);
	}
	if (len > LSN_DIROP_MAX) {
		dir_why(why, whysz, "op over %d bytes", LSN_DIROP_MAX);
		return (LSN_ETOOBIG);
	}
	if ((sop = liaison__v1__signed_dir_op__unpack(NULL, len, buf)) ==
	    NULL || !sop->has_op || sop->op.len == 0 ||
	    !dir_no_unknown_fields(&sop->base)) {
		dir_why(why, whysz, "not a signed directory op");
		rv = LSN_EPROTO;
		goto out;
	}
	if (sop->n_signatures == 0) {
		dir_why(why, whysz, "op carries no signature");
		rv = LSN_EBADSIG;
		goto out;
	}
	if (sop->n_signatures > LSN_DIROP_SIGS_MAX) {
		dir_why(why, whysz, "more than %d signatures",
		    LSN_DIROP_SIGS_MAX);
		rv = LSN_ETOOBIG;
		goto out;
	}
	for (size_t i = 0; i < sop->n_signatures; i++) {
		const Liaison__V1__OpSignature *s = sop->signatures[i];

		if (!dir_keyid_shape(s->key_id) || !s->has_signature ||
		    s->signature.len != LSN_SIG_BYTES) {
			dir_why(why, whysz, "signature %zu is malformed",
			    i + 1);
			rv = LSN_EBADSIG;
			goto out;
		}
	}
	if ((op = liaison__v1__dir_op__unpack(NULL, sop->op.len,
	    sop->op.data)) == NULL) {
		dir_why(why, whysz, "signed bytes are not a directory op");
		rv = LSN_EPROTO;
		goto out;
	}
	if ((rv = lsn_dirop_validate(op, why, whysz)) != LSN_OK)
		goto out;
	*sopp = sop;
	*opp = op;
	return (LSN_OK);
 out:
	if (op != NULL)
		liaison__v1__dir_op__free_unpacked(op, NULL);
	if (sop != NULL)
		liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	return (rv);
}

/*
 * The whole decision for one signed op, and with apply != 0 the state
 * change (not the log append). On success op_id receives the op id.
 */
static int
process(struct lsn_dir *d, const uint8_t *buf, size_t len, uint64_t now_ms,
    int apply, uint8_t op_id[LSN_DIROP_ID_BYTES], char *why, size_t whysz)
{
	Liaison__V1__SignedDirOp	*sop = NULL;
	Liaison__V1__DirOp		*op = NULL;
	Liaison__V1__RootPolicy		*root = NULL;
	uint8_t				 h[LSN_DIR_HASH_BYTES];
	int				 rv, seen;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if ((rv = parse_signed(buf, len, &sop, &op, why, whysz)) != LSN_OK)
		return (rv);
	if (now_ms != 0 && op->created_ms > now_ms &&
	    op->created_ms - now_ms > LSN_DIR_SKEW_MS) {
		dir_why(why, whysz, "op created in the future");
		rv = LSN_ESKEW;
		goto out;
	}
	if ((rv = dir_op_seen(d, op->op_id.data, op->op_id.len, &seen)) !=
	    LSN_OK)
		goto out;
	if (seen) {
		dir_why(why, whysz, "op already applied");
		rv = LSN_EOPREPLAY;
		goto out;
	}
	if ((rv = dir_root_load(d, &root)) != LSN_OK)
		goto out;
	if (root == NULL &&
	    op->action_case != LIAISON__V1__DIR_OP__ACTION_INIT_ROOT) {
		dir_why(why, whysz, "the directory has no root policy yet: "
		    "the first op must be init-root");
		rv = LSN_EROOT;
		goto out;
	}
	if (root != NULL &&
	    op->action_case == LIAISON__V1__DIR_OP__ACTION_INIT_ROOT) {
		dir_why(why, whysz, "root policy already initialised "
		    "(init-root is valid only at rev 1)");
		rv = LSN_EROOT;
		goto out;
	}
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_INIT_ROOT &&
	    d->has_anchor) {
		lsn_dir_policy_hash(op->init_root->policy, h);
		if (sodium_memcmp(h, d->anchor, sizeof(h)) != 0) {
			dir_why(why, whysz, "genesis root policy does not "
			    "match the trusted root hash");
			rv = LSN_EROOT;
			goto out;
		}
	}
	if ((rv = dir_check_signers(d, sop, op, root, now_ms, why, whysz)) !=
	    LSN_OK)
		goto out;
	if ((rv = dir_exec(d, op, root, apply, why, whysz)) != LSN_OK)
		goto out;
	memcpy(op_id, op->op_id.data, LSN_DIROP_ID_BYTES);
 out:
	if (rv != LSN_OK && apply)
		log_debug("dir: op refused: %s: %s", lsn_errname(rv),
		    why != NULL && whysz > 0 ? why : "");
	if (root != NULL)
		liaison__v1__root_policy__free_unpacked(root, NULL);
	liaison__v1__dir_op__free_unpacked(op, NULL);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	return (rv);
}

/* The contact an own-contact op of action (LSN_DIR_CONTACT_*) names;
 * NULL for another action. */
static const char *
contact_of(const Liaison__V1__DirOp *op, int action)
{
	const char	*cid = NULL;

	if (action == LSN_DIR_CONTACT_SET && op->action_case ==
	    LIAISON__V1__DIR_OP__ACTION_SET_CONTACT &&
	    op->set_contact->contact != NULL)
		cid = op->set_contact->contact->contact_id;
	else if (action == LSN_DIR_CONTACT_REMOVE && op->action_case ==
	    LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT)
		cid = op->remove_contact->contact_id;
	else if (action == LSN_DIR_CONTACT_CONFIRM && op->action_case ==
	    LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT)
		cid = op->confirm_contact->contact_id;
	return (cid);
}

int
lsn_dir_contact_op_check(struct lsn_dir *d, const uint8_t *signed_op,
    size_t len, const char *partner, const char *contact_id, int action,
    char *why, size_t whysz)
{
	static const char *const names[] = { "", "setting", "removal",
	    "confirmation" };
	Liaison__V1__SignedDirOp	*sop = NULL;
	Liaison__V1__DirOp		*op = NULL;
	const char			*cid;
	int				 rv;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (partner == NULL || contact_id == NULL ||
	    action < LSN_DIR_CONTACT_SET || action > LSN_DIR_CONTACT_CONFIRM)
		return (LSN_EINVAL);
	if ((rv = parse_signed(signed_op, len, &sop, &op, why, whysz)) !=
	    LSN_OK)
		return (rv);
	if (strcmp(op->author, partner) != 0) {
		dir_why(why, whysz, "the op is by %s, not by %s", op->author,
		    partner);
		rv = LSN_ENOTAUTH;
		goto out;
	}
	if ((cid = contact_of(op, action)) == NULL ||
	    strcmp(cid, contact_id) != 0) {
		dir_why(why, whysz, "the op is not the %s of contact %s",
		    names[action], contact_id);
		rv = LSN_EINVAL;
		goto out;
	}
	/* keys at the op's time (now 0); own contacts only */
	rv = check_partner_signers(d, sop, op, 0, why, whysz);
 out:
	liaison__v1__dir_op__free_unpacked(op, NULL);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	return (rv);
}

int
lsn_dir_authorize(struct lsn_dir *d, const uint8_t *signed_op, size_t len,
    uint64_t now_ms, char *why, size_t whysz)
{
	uint8_t	id[LSN_DIROP_ID_BYTES];

	if (d == NULL)
		return (LSN_EINVAL);
	return (process(d, signed_op, len, now_ms, 0, id, why, whysz));
}

/* Opens our own transaction or a savepoint inside the caller's. */
static int
tx_begin(struct lsn_dir *d, int *own)
{
	*own = !lsn_store_in_tx(d->st);
	if (*own)
		return (lsn_store_begin(d->st));
	return (lsn_store_exec(d->st, "SAVEPOINT lsn_dir"));
}

static int
tx_end(struct lsn_dir *d, int own, int rv)
{
	if (rv == LSN_OK) {
		if (own)
			return (lsn_store_commit(d->st));
		return (lsn_store_exec(d->st, "RELEASE lsn_dir"));
	}
	if (own)
		lsn_store_rollback(d->st);
	else if (lsn_store_exec(d->st, "ROLLBACK TO lsn_dir") != LSN_OK ||
	    lsn_store_exec(d->st, "RELEASE lsn_dir") != LSN_OK)
		log_warnx("dir: cannot roll back to the savepoint");
	return (rv);
}

static const char SQL_APPEND[] =
    "INSERT INTO dir_log (rev, prev_hash, signed_op, entry_hash, op_id) "
    "VALUES (?, ?, ?, ?, ?)";

static int
append(struct lsn_dir *d, uint64_t rev, const uint8_t *prev,
    const uint8_t *sop, size_t len, const uint8_t *hash, const uint8_t *op_id)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, SQL_APPEND, &s)) != LSN_OK)
		return (rv);
	dir_bind_u64(s, 1, rev);
	dir_bind_blob(s, 2, prev, LSN_DIR_HASH_BYTES);
	dir_bind_blob(s, 3, sop, len);
	dir_bind_blob(s, 4, hash, LSN_DIR_HASH_BYTES);
	dir_bind_blob(s, 5, op_id, LSN_DIROP_ID_BYTES);
	return (dir_done(d, s));
}

int
lsn_dir_submit(struct lsn_dir *d, const uint8_t *signed_op, size_t len,
    uint64_t now_ms, uint64_t *rev_out, char *why, size_t whysz)
{
	uint8_t		prev[LSN_DIR_HASH_BYTES], h[LSN_DIR_HASH_BYTES];
	uint8_t		id[LSN_DIROP_ID_BYTES];
	uint64_t	rev;
	int		rv, own;

	if (d == NULL || signed_op == NULL)
		return (LSN_EINVAL);
	if (len > LSN_DIROP_MAX) {
		dir_why(why, whysz, "op over %d bytes", LSN_DIROP_MAX);
		return (LSN_ETOOBIG);
	}
	if ((rv = tx_begin(d, &own)) != LSN_OK)
		return (rv);
	if ((rv = lsn_dir_head(d, &rev, prev)) != LSN_OK)
		goto out;
	if ((rv = process(d, signed_op, len, now_ms, 1, id, why, whysz)) !=
	    LSN_OK)
		goto out;
	rev++;
	dir_entry_hash(prev, rev, signed_op, len, h);
	rv = append(d, rev, prev, signed_op, len, h, id);
 out:
	rv = tx_end(d, own, rv);
	if (rv == LSN_OK && rev_out != NULL)
		*rev_out = rev;
	return (rv);
}

/*
 * Applies one entry given as its parts (rev, prev_hash, signed op, entry
 * hash) after the chain checks. Used by lsn_dir_apply_entry and by
 * verification.
 */
int
dir_apply_parts(struct lsn_dir *d, uint64_t rev, const uint8_t *prev,
    size_t prevlen, const uint8_t *sop, size_t soplen, const uint8_t *hash,
    size_t hashlen, char *why, size_t whysz)
{
	uint8_t		head[LSN_DIR_HASH_BYTES], h[LSN_DIR_HASH_BYTES];
	uint8_t		id[LSN_DIROP_ID_BYTES];
	uint64_t	hrev;
	int		rv, own;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (prev == NULL || prevlen != LSN_DIR_HASH_BYTES || hash == NULL ||
	    hashlen != LSN_DIR_HASH_BYTES || sop == NULL || soplen == 0) {
		dir_why(why, whysz, "entry %llu: malformed",
		    (unsigned long long) rev);
		return (LSN_EPROTO);
	}
	if (soplen > LSN_DIROP_MAX) {
		dir_why(why, whysz, "entry %llu: op too big",
		    (unsigned long long) rev);
		return (LSN_ETOOBIG);
	}
	if ((rv = tx_begin(d, &own)) != LSN_OK)
		return (rv);
	if ((rv = lsn_dir_head(d, &hrev, head)) != LSN_OK)
		goto out;
	if (rev != hrev + 1) {
		dir_why(why, whysz, "entry rev %llu does not follow head %llu",
		    (unsigned long long) rev, (unsigned long long) hrev);
		rv = LSN_ECHAIN;
		goto out;
	}
	if (sodium_memcmp(prev, head, LSN_DIR_HASH_BYTES) != 0) {
		dir_why(why, whysz, "entry %llu: prev_hash is not the hash of "
		    "entry %llu", (unsigned long long) rev,
		    (unsigned long long) hrev);
		rv = LSN_ECHAIN;
		goto out;
	}
	dir_entry_hash(prev, rev, sop, soplen, h);
	if (sodium_memcmp(h, hash, LSN_DIR_HASH_BYTES) != 0) {
		dir_why(why, whysz, "entry %llu: entry hash does not match "
		    "its content", (unsigned long long) rev);
		rv = LSN_ECHAIN;
		goto out;
	}
	if ((rv = process(d, sop, soplen, 0, 1, id, why, whysz)) != LSN_OK)
		goto out;
	rv = append(d, rev, prev, sop, soplen, h, id);
 out:
	return (tx_end(d, own, rv));
}

int
lsn_dir_apply_entry(struct lsn_dir *d, const uint8_t *entry, size_t len,
    char *why, size_t whysz)
{
	Liaison__V1__LogEntry	*e;
	int			 rv;

	if (d == NULL || entry == NULL || len == 0)
		return (LSN_EINVAL);
	if (len > LSN_DIR_ENTRY_MAX) {
		dir_why(why, whysz, "log entry over %d bytes",
		    LSN_DIR_ENTRY_MAX);
		return (LSN_ETOOBIG);
	}
	if ((e = liaison__v1__log_entry__unpack(NULL, len, entry)) == NULL ||
	    !e->has_rev || !e->has_prev_hash || !e->has_signed_op ||
	    !e->has_entry_hash || !dir_no_unknown_fields(&e->base)) {
		if (e != NULL)
			liaison__v1__log_entry__free_unpacked(e, NULL);
		dir_why(why, whysz, "malformed log entry");
		return (LSN_EPROTO);
	}
	rv = dir_apply_parts(d, e->rev, e->prev_hash.data, e->prev_hash.len,
	    e->signed_op.data, e->signed_op.len, e->entry_hash.data,
	    e->entry_hash.len, why, whysz);
	liaison__v1__log_entry__free_unpacked(e, NULL);
	return (rv);
}
