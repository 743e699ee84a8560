/*
 * vec_pb.c -- protobuf-c messages as JSON, hex and the vectors' keys
 * (vec_pb.h). Only the field types the Liaison .proto files use are
 * handled (uint32, uint64, bool, enum, string, bytes, message); any other
 * type is written as null so that a checker notices.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/util.h"
#include "vec_pb.h"

json_t *
vec_hex(const uint8_t *p, size_t len)
{
	char	*s;
	json_t	*j;

	if ((s = malloc(2 * len + 1)) == NULL)
		return (NULL);
	lsn_hex_encode(p, len, s);
	j = json_string(s);
	free(s);
	return (j);
}

uint8_t *
vec_unhex(const json_t *o, const char *k, size_t *lenp)
{
	const char	*s = json_string_value(k != NULL ?
			    json_object_get(o, k) : o);
	uint8_t		*buf;
	size_t		 n;

	if (s == NULL || (n = strlen(s)) % 2 != 0 ||
	    (buf = malloc(n / 2 + 1)) == NULL)
		return (NULL);
	if (n > 0 && lsn_hex_decode(s, buf, n / 2) != LSN_OK) {
		free(buf);
		return (NULL);
	}
	*lenp = n / 2;
	return (buf);
}

void
vec_seed(const char *name, uint8_t seed[32])
{
	(void) crypto_generichash(seed, 32, (const uint8_t *) name,
	    strlen(name), NULL, 0);
}

struct lsn_keypair *
vec_keypair(const char *name, enum lsn_key_kind kind, const char *label)
{
	struct lsn_keypair	*kp = NULL;
	uint8_t			 seed[32];

	vec_seed(name, seed);
	if (kind == LSN_KEY_SIGN) {
		if (lsn_keypair_from_seed(seed, label, &kp) != LSN_OK)
			kp = NULL;
		goto out;
	}
	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->sk = sodium_malloc(LSN_BOX_SK_BYTES)) == NULL) {
		free(kp);
		kp = NULL;
		goto out;
	}
	kp->kind = kind;
	(void) lsn_strlcpy(kp->label, label, sizeof(kp->label));
	memcpy(kp->sk, seed, LSN_BOX_SK_BYTES);
	(void) crypto_scalarmult_base(kp->pk, kp->sk);
	lsn_key_id(kp->pk, kp->key_id);
 out:
	sodium_memzero(seed, sizeof(seed));
	return (kp);
}

/* One value of field f stored at p. */
static json_t *
field_value(const ProtobufCFieldDescriptor *f, const void *p)
{
	const ProtobufCEnumValue	*ev;

	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		return (json_integer((json_int_t) *(const uint32_t *) p));
	case PROTOBUF_C_TYPE_UINT64:
		return (json_integer((json_int_t) *(const uint64_t *) p));
	case PROTOBUF_C_TYPE_BOOL:
		return (json_boolean(*(const protobuf_c_boolean *) p));
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int *) p);
		return (ev != NULL ? json_string(ev->name) :
		    json_integer(*(const int *) p));
	case PROTOBUF_C_TYPE_STRING:
		return (json_string(*(char *const *) p));
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		return (vec_hex(b->data, b->len));
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return (vec_pb_json(*(ProtobufCMessage *const *) p));
	default:
		return (json_null());
	}
}

static size_t
field_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		return (sizeof(uint32_t));
	case PROTOBUF_C_TYPE_UINT64:
		return (sizeof(uint64_t));
	case PROTOBUF_C_TYPE_BOOL:
		return (sizeof(protobuf_c_boolean));
	case PROTOBUF_C_TYPE_ENUM:
		return (sizeof(int));
	case PROTOBUF_C_TYPE_BYTES:
		return (sizeof(ProtobufCBinaryData));
	default:
		return (sizeof(void *));
	}
}

/* 1 if the optional (or oneof) field f is present in m. */
static int
present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char	*base = (const char *) m;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return (*(const uint32_t *) (base + f->quantifier_offset) ==
		    f->id);
	if (f->type == PROTOBUF_C_TYPE_STRING ||
	    f->type == PROTOBUF_C_TYPE_MESSAGE)
		return (*(void *const *) (base + f->offset) != NULL);
	return (*(const protobuf_c_boolean *) (base + f->quantifier_offset));
}

json_t *
vec_pb_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d;
	json_t					*o;

	if (m == NULL || (o = json_object()) == NULL)
		return (NULL);
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &d->fields[i];
		const char			*base = (const char *) m;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t	n = *(const size_t *) (base +
			    f->quantifier_offset);
			const char *arr = *(const char *const *) (base +
			    f->offset);
			json_t	*a;

			if (n == 0)
				continue;
			a = json_array();
			for (size_t k = 0; k < n; k++)
				json_array_append_new(a, field_value(f,
				    arr + k * field_size(f)));
			json_object_set_new(o, f->name, a);
		} else if (present(m, f))
			json_object_set_new(o, f->name,
			    field_value(f, base + f->offset));
	}
	return (o);
}
