/*
 * body.c -- validation of the typed message bodies (body.h).
 *
 * Order: size, unpack, canonical re-encoding, unknown fields (anywhere in
 * the tree), then the per-type field rules. Everything here runs on
 * hostile input: counts are checked before loops, strings before use.
 *
 * This file unpacks, checks the encoding and the unknown fields and
 * dispatches on the table of body types; each type's rules are in
 * body_rules.c, the field checks they use in body_field.c. The unpacked
 * message and the re-encoding buffer are ours and freed before returning.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "body_int.h"
#include "pbcheck_int.h"

/*
 * 0 if m or any message below it carries unknown fields. Walks the
 * descriptor: the body schemas are not recursive, so depth is bounded by
 * the schema (at most 3 levels).
 */
static int
no_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields != 0)
		return (0);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *) m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n;
			ProtobufCMessage *const *arr;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (size_t k = 0; k < n; k++)
				if (arr[k] == NULL || !no_unknown(arr[k]))
					return (0);
		} else {
			const ProtobufCMessage *sub;

			memcpy(&sub, base + f->offset, sizeof(sub));
			if (sub != NULL && !no_unknown(sub))
				return (0);
		}
	}
	return (1);
}

/* The row of body_types for message descriptor d, NULL if none. */
static const struct body_type *
type_of(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < body_ntypes; i++)
		if (body_types[i].d == d)
			return (&body_types[i]);
	return (NULL);
}

const ProtobufCMessageDescriptor *
lsn_body_descriptor(int type)
{
	for (size_t i = 0; i < body_ntypes; i++)
		if (body_types[i].type == type)
			return (body_types[i].d);
	return (NULL);
}

int
lsn_body_type_for(const ProtobufCMessageDescriptor *d)
{
	const struct body_type	*t = type_of(d);

	return (t != NULL ? t->type : 0);
}

int
lsn_body_validate_msg(const ProtobufCMessage *m, uint64_t now_ms,
    const char **fieldp)
{
	const struct body_type	*t = NULL;
	const char		*field = NULL;
	int			 rv = LSN_EINVAL;

	if (m == NULL || (t = type_of(m->descriptor)) == NULL)
		FAIL(LSN_EINVAL, "body");
	if (!no_unknown(m))
		FAIL(LSN_EPROTO, "unknown");
	rv = t->check(m, now_ms, &field);
 out:
	if (rv != LSN_OK)
		set_field(fieldp, field != NULL ? field : "body");
	return (rv);
}

int
lsn_body_validate(int type, const uint8_t *body, size_t len,
    uint64_t now_ms, const char **fieldp)
{
	const ProtobufCMessageDescriptor	*d;
	ProtobufCMessage			*m = NULL;
	uint8_t					*tmp = NULL;
	const char				*field = NULL;
	size_t					 n;
	int					 rv = LSN_EINVAL;

	if ((d = lsn_body_descriptor(type)) == NULL)
		FAIL(LSN_EINVAL, "type");
	if (body == NULL && len > 0)
		FAIL(LSN_EINVAL, "body");
	if (len > LSN_BODY_MAX)
		FAIL(LSN_ETOOBIG, "body");
	/* protobuf-c wants a non-NULL pointer even for 0 bytes. */
	if ((m = protobuf_c_message_unpack(d, NULL, len,
	    len > 0 ? body : (const uint8_t *) "")) == NULL)
		FAIL(LSN_EPROTO, "body");
	/* Canonical: the bytes are exactly what the parse packs to. */
	if ((n = protobuf_c_message_get_packed_size(m)) != len)
		FAIL(LSN_EPROTO, "body");
	if (n > 0) {
		if ((tmp = malloc(n)) == NULL)
			FAIL(LSN_ENOMEM, NULL);
		if (protobuf_c_message_pack(m, tmp) != n ||
		    memcmp(tmp, body, n) != 0)
			FAIL(LSN_EPROTO, "body");
	}
	rv = lsn_body_validate_msg(m, now_ms, &field);
 out:
	free(tmp);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	if (rv != LSN_OK)
		set_field(fieldp, field);
	return (rv);
}
