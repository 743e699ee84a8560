/*
 * pbcheck_int.h -- the idiom the message validators share (envelope.c,
 * body.c, body_field.c; not part of the library's interface). FAIL()
 * records an error code and the failing field's name (a literal) and
 * jumps to the function's out label; set_field() hands that name to the
 * caller. Nothing here allocates or keeps a pointer.
 */
#ifndef LIAISON_PBCHECK_INT_H
#define LIAISON_PBCHECK_INT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Needs int rv and const char *field in scope, and an out label. */
#define FAIL(code, name) do {						\
	rv = (code);							\
	field = (name);							\
	goto out;							\
} while (0)

/* *fieldp = field when both are set. */
static inline void
set_field(const char **fieldp, const char *field)
{
	if (fieldp != NULL && field != NULL)
		*fieldp = field;
}

/* 1 if v is a named value of the enum other than 0 (UNSPECIFIED). */
static inline int
enum_known(const ProtobufCEnumDescriptor *d, int v)
{
	return (v != 0 && protobuf_c_enum_descriptor_get_value(d, v) != NULL);
}

#endif
