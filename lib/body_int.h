/*
 * body_int.h -- internals shared by body.c (unpacking, the canonical and
 * unknown-field checks, dispatch), body_rules.c (each type's rules and the
 * table of types) and body_field.c (the field checks); not part of the
 * library's interface. The checks read the caller's message and allocate
 * nothing; on failure they set *fieldp to the field's name (a literal).
 */
#ifndef LIAISON_BODY_INT_H
#define LIAISON_BODY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* One body type: its MessageType, its message and its rules. */
struct body_type {
	int					 type;
	const ProtobufCMessageDescriptor	*d;
	/* m is a message of d; now_ms 0 skips the clock checks */
	int	(*check)(const void *m, uint64_t now_ms, const char **fieldp);
};

/* body_rules.c */
extern const struct body_type	body_types[];
extern const size_t		body_ntypes;

/* body_field.c; required 0 lets an absent (NULL / !has) field pass. */
int	body_text(const char *s, size_t max, int required, const char *name,
	    const char **fieldp);
int	body_token_text(const char *s, size_t max, int required,
	    const char *name, const char **fieldp);
int	body_slug(const char *s, int required, const char *name,
	    const char **fieldp);
int	body_id16(int has, const ProtobufCBinaryData *b, const char *name,
	    const char **fieldp);
int	body_enum(int has, int v, const ProtobufCEnumDescriptor *d,
	    const char *name, const char **fieldp);
int	body_time(int has, uint64_t v, int required, const char *name,
	    const char **fieldp);
int	body_count(size_t n, const void *arr, size_t max, const char *name,
	    const char **fieldp);
/* Shapes: 1 if s has it, else 0 (NULL is 0; hex wants s set). */
int	body_lang_valid(const char *s);
int	body_tz_valid(const char *s);
int	body_media_type_valid(const char *s);
int	body_alg_valid(const char *s);
int	body_hex_valid(const char *s);

#endif
