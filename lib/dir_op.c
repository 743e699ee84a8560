/*
 * dir_op.c -- directory operations without state: names and classes of
 * actions, building, signing and parsing SignedDirOps. The field rules
 * are in dir_op_rules.c and dir_op_fields.c, op batches in dir_op_batch.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "dir_int.h"

void
dir_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	(void) vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* 1 if m and every sub-message carry no unknown fields. */
int
dir_no_unknown_fields(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc;
	const char				*base;

	if (m == NULL)
		return (1);
	if (m->n_unknown_fields != 0)
		return (0);
	desc = m->descriptor;
	base = (const char *) m;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		const ProtobufCMessage		*sub;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage	**arr;
			size_t			  n;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (size_t j = 0; j < n; j++)
				if (!dir_no_unknown_fields(arr[j]))
					return (0);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t	which;

			memcpy(&which, base + f->quantifier_offset,
			    sizeof(which));
			if (which != f->id)
				continue;
		}
		memcpy(&sub, base + f->offset, sizeof(sub));
		if (!dir_no_unknown_fields(sub))
			return (0);
	}
	return (1);
}

int
dir_keyrec_valid_at(uint64_t from, uint64_t until, uint64_t at)
{
	if (at < from)
		return (0);
	if (until != 0 && at >= until)
		return (0);
	return (1);
}

static const char *const status_names[] = {
	NULL, "active", "suspended", "revoked"
};
static const char *const kind_names[] = {
	NULL, "law_enforcement", "international_org", "hotline", "ngo",
	"private_sector", "government"
};
static const char *const purpose_names[] = {
	NULL, "sign", "encrypt", "transport"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v <= 0 || (size_t) v >= n)
		return ("unspecified");
	return (names[v]);
}

static int
parse_name(const char *const *names, size_t n, const char *s, int *out)
{
	if (s == NULL)
		return (LSN_EINVAL);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int) i;
			return (LSN_OK);
		}
	}
	return (LSN_EINVAL);
}

const char *
dir_status_name(int status)
{
	return (name_of(status_names, NELEM(status_names), status));
}

const char *
dir_kind_name(int kind)
{
	return (name_of(kind_names, NELEM(kind_names), kind));
}

const char *
dir_purpose_name(int purpose)
{
	return (name_of(purpose_names, NELEM(purpose_names), purpose));
}

int
dir_status_parse(const char *s, int *out)
{
	return (parse_name(status_names, NELEM(status_names), s, out));
}

int
dir_kind_parse(const char *s, int *out)
{
	return (parse_name(kind_names, NELEM(kind_names), s, out));
}

int
dir_purpose_parse(const char *s, int *out)
{
	return (parse_name(purpose_names, NELEM(purpose_names), s, out));
}

uint32_t
dir_policy_threshold(const Liaison__V1__RootPolicy *p, int cls)
{
	for (size_t i = 0; i < p->n_thresholds; i++) {
		const Liaison__V1__Threshold *t = p->thresholds[i];

		if (t->has_action_class && (int) t->action_class == cls &&
		    t->has_k)
			return (t->k);
	}
	return (0);
}

/* ---- names and classes ---- */

const char *
lsn_dirop_action_name(const Liaison__V1__DirOp *op)
{
	if (op == NULL)
		return ("none");
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT: return ("init-root");
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT: return ("replace-root");
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER: return ("add-partner");
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		return ("update-partner");
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS: return ("set-status");
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY: return ("add-key");
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY: return ("retire-key");
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY: return ("revoke-key");
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT: return ("set-unit");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT: return ("remove-unit");
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT: return ("set-contact");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		return ("remove-contact");
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		return ("confirm-contact");
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP: return ("create-group");
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP: return ("delete-group");
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER: return ("add-member");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		return ("remove-member");
	default:
		return ("none");
	}
}

int
lsn_dirop_class(const Liaison__V1__DirOp *op)
{
	if (op == NULL)
		return (0);
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION__NOT_SET:
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROOT);
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		return (LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE);
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		if (op->add_key == NULL || op->add_key->key == NULL ||
		    op->add_key->key->purpose ==
		    LIAISON__V1__KEY_PURPOSE__KEY_SIGN)
			return (LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE);
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE);
	default:
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE);
	}
}

const char *
lsn_dir_class_name(int action_class)
{
	switch (action_class) {
	case LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE: return ("routine");
	case LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE: return ("sensitive");
	case LIAISON__V1__ACTION_CLASS__CLASS_ROOT: return ("root");
	default: return ("unspecified");
	}
}

const Liaison__V1__RootPolicy *
dir_op_policy(const Liaison__V1__DirOp *op)
{
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_INIT_ROOT &&
	    op->init_root != NULL)
		return (op->init_root->policy);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT &&
	    op->replace_root != NULL)
		return (op->replace_root->policy);
	return (NULL);
}

/*
 * The partner or group an op targets (either may be NULL): *partner for
 * partner ops (and the member of a group op), *group for group ops.
 * Returns 1 if the op is one a partner may sign for itself (set / remove
 * unit, set / remove / confirm contact).
 */
int
dir_op_target(const Liaison__V1__DirOp *op, const char **partner,
    const char **group)
{
	*partner = NULL;
	*group = NULL;
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		*partner = op->add_partner->partner->id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		*partner = op->update_partner->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
		*partner = op->set_status->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		*partner = op->add_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		*partner = op->retire_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		*partner = op->revoke_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		*partner = op->set_unit->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		*partner = op->remove_unit->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		*partner = op->set_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		*partner = op->remove_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		*partner = op->confirm_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		*group = op->create_group->name;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		*group = op->delete_group->name;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
		*group = op->add_member->group;
		*partner = op->add_member->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		*group = op->remove_member->group;
		*partner = op->remove_member->partner_id;
		return (0);
	default:
		return (0);
	}
}

/* ---- building, signing, parsing ---- */

static int
pack_signed(const ProtobufCBinaryData *opb, Liaison__V1__OpSignature **sigs,
    size_t nsigs, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	 s = LIAISON__V1__SIGNED_DIR_OP__INIT;
	uint8_t				*buf;
	size_t				 n;

	s.has_op = 1;
	s.op = *opb;
	s.n_signatures = nsigs;
	s.signatures = sigs;
	n = liaison__v1__signed_dir_op__get_packed_size(&s);
	if (n > LSN_DIROP_MAX)
		return (LSN_ETOOBIG);
	if ((buf = malloc(n == 0 ? 1 : n)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__signed_dir_op__pack(&s, buf) != n) {
		free(buf);
		return (LSN_EINTERNAL);
	}
	*out = buf;
	*outlen = n;
	return (LSN_OK);
}

int
lsn_dirop_new(const Liaison__V1__DirOp *op, uint8_t **out, size_t *outlen,
    char *why, size_t whysz)
{
	Liaison__V1__DirOp	 tmp;
	ProtobufCBinaryData	 opb = { 0, NULL };
	uint8_t			 id[LSN_DIROP_ID_BYTES];
	int			 rv;

	if (op == NULL || out == NULL || outlen == NULL)
		return (LSN_EINVAL);
	tmp = *op;
	if (!tmp.has_op_id) {
		lsn_random(id, sizeof(id));
		tmp.has_op_id = 1;
		tmp.op_id.data = id;
		tmp.op_id.len = sizeof(id);
	}
	if (!tmp.has_created_ms || tmp.created_ms == 0) {
		tmp.has_created_ms = 1;
		tmp.created_ms = lsn_now_ms();
	}
	if ((rv = lsn_dirop_validate(&tmp, why, whysz)) != LSN_OK)
		return (rv);
	opb.len = liaison__v1__dir_op__get_packed_size(&tmp);
	if (opb.len > LSN_DIROP_MAX - 64) {
		dir_why(why, whysz, "op too big (%zu bytes)", opb.len);
		return (LSN_ETOOBIG);
	}
	if ((opb.data = malloc(opb.len)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__dir_op__pack(&tmp, opb.data) != opb.len) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	rv = pack_signed(&opb, NULL, 0, out, outlen);
 out:
	free(opb.data);
	return (rv);
}

int
lsn_dirop_parse(const uint8_t *signed_op, size_t len,
    Liaison__V1__SignedDirOp **sopp, Liaison__V1__DirOp **opp)
{
	Liaison__V1__SignedDirOp	*sop = NULL;
	Liaison__V1__DirOp		*op = NULL;

	if (signed_op == NULL || len == 0)
		return (LSN_EPROTO);
	if (len > LSN_DIROP_MAX)
		return (LSN_ETOOBIG);
	sop = liaison__v1__signed_dir_op__unpack(NULL, len, signed_op);
	if (sop == NULL)
		return (LSN_EPROTO);
	if (!sop->has_op || sop->op.len == 0 ||
	    (op = liaison__v1__dir_op__unpack(NULL, sop->op.len,
	    sop->op.data)) == NULL) {
		liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
		return (LSN_EPROTO);
	}
	if (sopp != NULL)
		*sopp = sop;
	else
		liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	if (opp != NULL)
		*opp = op;
	else
		liaison__v1__dir_op__free_unpacked(op, NULL);
	return (LSN_OK);
}

int
lsn_dirop_sign(const uint8_t *signed_op, size_t len,
    const struct lsn_keypair *kp, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	 *sop = NULL;
	Liaison__V1__OpSignature	**sigs = NULL;
	Liaison__V1__OpSignature	  mine =
	    LIAISON__V1__OP_SIGNATURE__INIT;
	uint8_t				  sig[LSN_SIG_BYTES];
	size_t				  n = 0;
	int				  rv;

	if (kp == NULL || kp->kind != LSN_KEY_SIGN || out == NULL ||
	    outlen == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dirop_parse(signed_op, len, &sop, NULL)) != LSN_OK)
		return (rv);
	if ((rv = lsn_sig_sign(LSN_SIG_DIROP, kp, sop->op.data, sop->op.len,
	    sig)) != LSN_OK)
		goto out;
	if ((sigs = calloc(sop->n_signatures + 1, sizeof(*sigs))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sop->n_signatures; i++) {
		const char *kid = sop->signatures[i]->key_id;

		if (kid != NULL && strcmp(kid, kp->key_id) == 0)
			continue;
		sigs[n++] = sop->signatures[i];
	}
	if (n + 1 > LSN_DIROP_SIGS_MAX) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	mine.key_id = (char *) (uintptr_t) kp->key_id;
	mine.has_signature = 1;
	mine.signature.data = sig;
	mine.signature.len = sizeof(sig);
	sigs[n++] = &mine;
	rv = pack_signed(&sop->op, sigs, n, out, outlen);
 out:
	free(sigs);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	return (rv);
}
