/*
 * body_field.c -- the field checks the body rules are made of (body_int.h):
 * required or optional text, tokens, slugs, 16-byte ids, named enums,
 * times, counts, and the shapes of languages, time zones, media types,
 * hash algorithms and hex. Each takes the field's name for the error
 * report and sets *fieldp to it on failure; nothing here allocates.
 */
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/body.h"
#include "liaison/util.h"

#include "body_int.h"
#include "pbcheck_int.h"

/*
 * A string field: required (s must be non-NULL and non-empty) or optional
 * (NULL passes; empty does not: absent is how "nothing" is said). Too long
 * is LSN_ETOOBIG, not UTF-8 or with controls LSN_EINVAL.
 */
int
body_text(const char *s, size_t max, int required, const char *name,
    const char **fieldp)
{
	if (s == NULL && !required)
		return (LSN_OK);
	*fieldp = name;
	if (s == NULL || s[0] == '\0')
		return (LSN_EINVAL);
	if (strnlen(s, max + 1) > max)
		return (LSN_ETOOBIG);
	if (!lsn_text_valid(s, max))
		return (LSN_EINVAL);
	*fieldp = NULL;
	return (LSN_OK);
}

/* Text without any whitespace (links, handles in URLs). */
int
body_token_text(const char *s, size_t max, int required, const char *name,
    const char **fieldp)
{
	int	rv;

	if ((rv = body_text(s, max, required, name, fieldp)) != LSN_OK ||
	    s == NULL)
		return (rv);
	if (strpbrk(s, " \t\n") != NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

int
body_slug(const char *s, int required, const char *name, const char **fieldp)
{
	if (s == NULL && !required)
		return (LSN_OK);
	if (!lsn_slug_valid(s)) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* A 16-byte id; always required. */
int
body_id16(int has, const ProtobufCBinaryData *b, const char *name,
    const char **fieldp)
{
	if (!has || b->len != LSN_BODY_ID_BYTES || b->data == NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

int
body_enum(int has, int v, const ProtobufCEnumDescriptor *d, const char *name,
    const char **fieldp)
{
	if (!has || !enum_known(d, v)) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* A time: required or optional; when present in (0, LSN_BODY_TIME_MAX]. */
int
body_time(int has, uint64_t v, int required, const char *name,
    const char **fieldp)
{
	if (!has && !required)
		return (LSN_OK);
	if (!has || v == 0 || v > LSN_BODY_TIME_MAX) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

int
body_count(size_t n, const void *arr, size_t max, const char *name,
    const char **fieldp)
{
	if (n > max) {
		*fieldp = name;
		return (LSN_ETOOBIG);
	}
	if (n > 0 && arr == NULL) {
		*fieldp = name;
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

/* BCP 47 shape: alpha{2,8} ("-" alnum{1,8})*, at most 35 bytes. */
int
body_lang_valid(const char *s)
{
	size_t	seg = 0, nseg = 0, len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_LANG_MAX + 1)) == 0 ||
	    len > LSN_BODY_LANG_MAX)
		return (0);
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '-' || c == '\0') {
			if (seg == 0 || seg > 8 || (nseg == 0 && seg < 2))
				return (0);
			nseg++;
			seg = 0;
			continue;
		}
		if (nseg == 0 && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			return (0);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return (0);
		seg++;
	}
	return (1);
}

/* IANA time zone name shape: [A-Za-z0-9_+-] parts separated by single
 * '/', first part starts with a letter ("UTC", "Europe/Lyon",
 * "America/Argentina/Buenos_Aires", "Etc/GMT+5"). */
int
body_tz_valid(const char *s)
{
	size_t	len, part = 0;

	if (s == NULL || (len = strnlen(s, LSN_BODY_TZ_MAX + 1)) == 0 ||
	    len > LSN_BODY_TZ_MAX)
		return (0);
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return (0);
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (part == 0)
				return (0);
			part = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-'))
			return (0);
		part++;
	}
	return (1);
}

/* RFC 6838 restricted-name: alnum then alnum or !#$&-^_.+ (1..63). */
static int
restricted_name(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return (0);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (i == 0 && !alnum)
			return (0);
		if (!alnum && strchr("!#$&-^_.+", c) == NULL)
			return (0);
	}
	return (1);
}

int
body_media_type_valid(const char *s)
{
	const char	*slash;
	size_t		 len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_MEDIA_TYPE_MAX + 1)) ==
	    0 || len > LSN_BODY_MEDIA_TYPE_MAX ||
	    (slash = strchr(s, '/')) == NULL)
		return (0);
	return (restricted_name(s, (size_t) (slash - s)) &&
	    restricted_name(slash + 1, len - (size_t) (slash - s) - 1));
}

/* Hash algorithm names: [a-z0-9-]{1,32}, e.g. "sha256", "pdq", "md5". */
int
body_alg_valid(const char *s)
{
	size_t	len;

	if (s == NULL || (len = strnlen(s, LSN_BODY_HASH_ALG_MAX + 1)) == 0 ||
	    len > LSN_BODY_HASH_ALG_MAX)
		return (0);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return (0);
	return (1);
}

int
body_hex_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len % 2 != 0)
		return (0);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return (0);
	return (1);
}
