/*
 * conf_print.c -- writing a configuration out: lsn_conf_dump (the values
 * in effect, for -n) and lsn_conf_write_example (the annotated example
 * file, for -E). Reads the caller's table and structure, allocates nothing.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "liaison/conf.h"

#include "conf_int.h"

static int
is_string_type(enum lsn_conf_type t)
{
	return (t == LSN_CONF_STR || t == LSN_CONF_PATH ||
	    t == LSN_CONF_ENDPOINT);
}
/* Formats the value of o stored in base for dump. */
static void
value_fmt(const struct lsn_conf_opt *o, const unsigned char *base,
    char *buf, size_t len)
{
	const unsigned char	*src = base + o->offset;
	long long		 ll;
	uint64_t		 u;
	int			 b;

	switch (o->type) {
	case LSN_CONF_INT:
		memcpy(&ll, src, sizeof(ll));
		snprintf(buf, len, "%lld", ll);
		break;
	case LSN_CONF_U64:
		memcpy(&u, src, sizeof(u));
		snprintf(buf, len, "%" PRIu64, u);
		break;
	case LSN_CONF_BOOL:
		memcpy(&b, src, sizeof(b));
		snprintf(buf, len, "%s", b ? "yes" : "no");
		break;
	case LSN_CONF_DURATION:
		memcpy(&ll, src, sizeof(ll));
		conf_duration_fmt(ll, buf, len);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

int
lsn_conf_dump(const struct lsn_conf_opt *table, const void *dst, FILE *fp)
{
	char	val[64];

	if (table == NULL || dst == NULL || fp == NULL)
		return (LSN_EINVAL);
	for (const struct lsn_conf_opt *o = table; o->name != NULL; o++) {
		if (o->section == NULL)
			return (LSN_EINVAL);
		if (is_string_type(o->type)) {
			const char *v = (const char *) dst + o->offset;

			fprintf(fp, "%s.%s = %.*s\n", o->section, o->name,
			    (int) strnlen(v, o->size), v);
			continue;
		}
		value_fmt(o, dst, val, sizeof(val));
		fprintf(fp, "%s.%s = %s\n", o->section, o->name, val);
	}
	return (fflush(fp) != 0 || ferror(fp) ? LSN_EIO : LSN_OK);
}

/* Describes the type and bounds of o for the example file. */
static void
type_fmt(const struct lsn_conf_opt *o, char *buf, size_t len)
{
	char	lo[32], hi[32];

	switch (o->type) {
	case LSN_CONF_STR:
		snprintf(buf, len, "text, at most %zu bytes", o->size - 1);
		break;
	case LSN_CONF_PATH:
		snprintf(buf, len, "path, at most %zu bytes", o->size - 1);
		break;
	case LSN_CONF_ENDPOINT:
		snprintf(buf, len, "endpoint, tcp://host:port or ipc://path");
		break;
	case LSN_CONF_INT:
		snprintf(buf, len, "integer, %lld..%lld", o->min, o->max);
		break;
	case LSN_CONF_U64:
		snprintf(buf, len, "integer, %" PRIu64 "..%" PRIu64,
		    (uint64_t) o->min, (uint64_t) o->max);
		break;
	case LSN_CONF_BOOL:
		snprintf(buf, len, "yes or no");
		break;
	case LSN_CONF_DURATION:
		conf_duration_fmt(o->min, lo, sizeof(lo));
		conf_duration_fmt(o->max, hi, sizeof(hi));
		snprintf(buf, len, "duration (ms, s, m, h, d), %s..%s", lo,
		    hi);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

static void
write_option(const struct lsn_conf_opt *o, FILE *fp)
{
	char		 tdesc[128];
	const char	*h = o->help != NULL ? o->help : "";

	/* The help text, one comment line per line. */
	while (*h != '\0') {
		size_t n = strcspn(h, "\n");

		fprintf(fp, "; %.*s\n", (int) n, h);
		h += n;
		if (*h == '\n')
			h++;
	}
	type_fmt(o, tdesc, sizeof(tdesc));
	fprintf(fp, "; %s", tdesc);
	if (o->required)
		fprintf(fp, "; required");
	if (o->def != NULL)
		fprintf(fp, "; default: %s\n", o->def[0] != '\0' ? o->def :
		    "(empty)");
	else
		fprintf(fp, "\n");
	if (o->def != NULL)
		fprintf(fp, "%s = %s\n\n", o->name, o->def);
	else
		fprintf(fp, ";%s =\n\n", o->name);
}

int
lsn_conf_write_example(const struct lsn_conf_opt *table, FILE *fp)
{
	size_t	n;

	if (table == NULL || fp == NULL)
		return (LSN_EINVAL);
	for (n = 0; table[n].name != NULL; n++)
		if (table[n].section == NULL)
			return (LSN_EINVAL);
	for (size_t i = 0; i < n; i++) {
		size_t j;

		/* First appearance of this section? */
		for (j = 0; j < i; j++)
			if (strcmp(table[j].section, table[i].section) == 0)
				break;
		if (j < i)
			continue;
		fprintf(fp, "[%s]\n", table[i].section);
		for (j = i; j < n; j++)
			if (strcmp(table[j].section, table[i].section) == 0)
				write_option(&table[j], fp);
	}
	return (fflush(fp) != 0 || ferror(fp) ? LSN_EIO : LSN_OK);
}
