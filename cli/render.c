/*
 * render.c -- a message body field by field, for a person or as JSON
 * (render.h), the time-zone helpers and the printer of JSON answers.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liaison/util.h"
#include "render.h"

#define TZ_NAME_MAX	128
#define BYTES_SHOWN	64	/* longer bytes: only the length is shown */

int
cli_tz_valid(const char *zone)
{
	const char	*dir;
	char		 path[512], magic[4];
	size_t		 len;
	int		 fd, ok = 0;

	if (zone == NULL || (len = strlen(zone)) == 0 || len > TZ_NAME_MAX)
		return (0);
	if (strcmp(zone, "UTC") == 0)
		return (1);
	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return (0);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char) zone[i]) && zone[i] != '_' &&
		    zone[i] != '-' && zone[i] != '+' && zone[i] != '/')
			return (0);
	if ((dir = getenv("TZDIR")) == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, zone) >=
	    sizeof(path))
		return (0);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (0);
	ok = read(fd, magic, sizeof(magic)) == (ssize_t) sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return (ok);
}

const char *
cli_reader_tz(const char *tz)
{
	const char	*e;

	if (tz != NULL)
		return (tz);
	e = getenv("TZ");
	if (e != NULL && e[0] == ':')
		e++;
	if (e != NULL && cli_tz_valid(e))
		return (e);
	return ("UTC");
}

void
cli_fmt_time_tz(uint64_t ms, const char *zone, char *buf, size_t sz)
{
	char		 saved[TZ_NAME_MAX + 2] = "";
	const char	*old = getenv("TZ");
	time_t		 t = (time_t) (ms / 1000);
	struct tm	 tm;
	int		 had = old != NULL;

	if (ms == 0) {
		snprintf(buf, sz, "-");
		return;
	}
	if (had)
		lsn_strlcpy(saved, old, sizeof(saved));
	setenv("TZ", zone, 1);
	tzset();
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, sz, "%llu", (unsigned long long) ms);
	if (had)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
}

const char *
cli_enum_name(const ProtobufCEnumDescriptor *d, int value)
{
	static char		 bufs[4][64];
	static unsigned		 next;
	const ProtobufCEnumValue *v;
	const char		*n, *u;
	char			*b;
	size_t			 i = 0;

	if ((v = protobuf_c_enum_descriptor_get_value(d, value)) == NULL)
		return ("?");
	n = v->name;
	/* drop the prefix up to the first '_' (TLP_AMBER -> amber) */
	if ((u = strchr(n, '_')) != NULL && u[1] != '\0')
		n = u + 1;
	b = bufs[next++ % 4];
	for (; n[i] != '\0' && i < sizeof(bufs[0]) - 1; i++)
		b[i] = n[i] == '_' ? '-' : (char) tolower((unsigned char) n[i]);
	b[i] = '\0';
	return (b);
}

/* "response_deadline_ms" -> "response deadline" */
static void
label(const char *name, char *buf, size_t sz)
{
	size_t	len = strlen(name), i;

	if (len > 3 && strcmp(name + len - 3, "_ms") == 0)
		len -= 3;
	for (i = 0; i < len && i < sz - 1; i++)
		buf[i] = name[i] == '_' ? ' ' : name[i];
	buf[i] = '\0';
}

static int
is_time(const ProtobufCFieldDescriptor *fd)
{
	size_t	len = strlen(fd->name);

	return (fd->type == PROTOBUF_C_TYPE_UINT64 && len > 3 &&
	    strcmp(fd->name + len - 3, "_ms") == 0);
}

static int
is_secret(const ProtobufCFieldDescriptor *fd)
{
	return (strcmp(fd->name, "forward_key") == 0);
}

size_t
cli_pb_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return (4);
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return (8);
	case PROTOBUF_C_TYPE_BOOL:
		return (sizeof(protobuf_c_boolean));
	case PROTOBUF_C_TYPE_STRING:
		return (sizeof(char *));
	case PROTOBUF_C_TYPE_BYTES:
		return (sizeof(ProtobufCBinaryData));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (sizeof(ProtobufCMessage *));
	}
	return (0);
}

const void *
cli_pb_field(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
    size_t *np)
{
	const char	*base = (const char *) m;
	const void	*p = base + fd->offset;

	*np = 0;
	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		*np = *(const size_t *) (const void *) (base +
		    fd->quantifier_offset);
		return (*(const void *const *) p);
	}
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		*np = *(const uint32_t *) (const void *) (base +
		    fd->quantifier_offset) == fd->id;
		return (p);
	}
	if (fd->type == PROTOBUF_C_TYPE_STRING ||
	    fd->type == PROTOBUF_C_TYPE_MESSAGE) {
		*np = *(const void *const *) p != NULL;
		return (p);
	}
	if (fd->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    fd->quantifier_offset != 0)
		*np = *(const protobuf_c_boolean *) (const void *) (base +
		    fd->quantifier_offset) != 0;
	else
		*np = 1;
	return (p);
}

uint64_t
cli_pb_scalar(ProtobufCType t, const void *p, int *is_signed, int64_t *sv)
{
	*is_signed = 0;
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*is_signed = 1;
		*sv = *(const int32_t *) p;
		return (0);
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*is_signed = 1;
		*sv = *(const int64_t *) p;
		return (0);
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		return (*(const uint32_t *) p);
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		return (*(const uint64_t *) p);
	case PROTOBUF_C_TYPE_BOOL:
		return (*(const protobuf_c_boolean *) p != 0);
	default:
		return (0);
	}
}

static const char *
msg_time_zone(const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *fd;
	size_t				n;
	const void			*p;

	fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	    "time_zone");
	if (fd == NULL || fd->type != PROTOBUF_C_TYPE_STRING)
		return (NULL);
	p = cli_pb_field(m, fd, &n);
	if (n == 0 || !cli_tz_valid(*(const char *const *) p))
		return (NULL);
	return (*(const char *const *) p);
}

/* One value of field fd at p, as text, after "label: ". */
static void
value_text(FILE *f, const ProtobufCFieldDescriptor *fd, const void *p,
    int indent, const char *zone, const char *own_zone)
{
	char		 when[64], hx[2 * BYTES_SHOWN + 1];
	int64_t		 sv = 0;
	int		 sg;
	uint64_t	 u;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		fprintf(f, "%s\n", *(const char *const *) p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		if (b->len <= BYTES_SHOWN) {
			lsn_hex_encode(b->data, b->len, hx);
			fprintf(f, "%s\n", hx);
		} else
			fprintf(f, "(%zu bytes)\n", b->len);
		break;
	}
	case PROTOBUF_C_TYPE_ENUM:
		fprintf(f, "%s\n", cli_enum_name(fd->descriptor,
		    *(const int *) p));
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		fputc('\n', f);
		cli_render_text(f, *(const ProtobufCMessage *const *) p,
		    indent + 2, zone);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fprintf(f, "%s\n", *(const protobuf_c_boolean *) p ? "yes" :
		    "no");
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		fprintf(f, "%g\n", (double) *(const float *) p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		fprintf(f, "%g\n", *(const double *) p);
		break;
	default:
		u = cli_pb_scalar(fd->type, p, &sg, &sv);
		if (sg) {
			fprintf(f, "%lld\n", (long long) sv);
			break;
		}
		if (!is_time(fd)) {
			fprintf(f, "%llu\n", (unsigned long long) u);
			break;
		}
		cli_fmt_time_tz(u, zone, when, sizeof(when));
		fprintf(f, "%s", when);
		if (own_zone != NULL && strcmp(own_zone, zone) != 0) {
			cli_fmt_time_tz(u, own_zone, when, sizeof(when));
			fprintf(f, "  (%s: %s)", own_zone, when);
		}
		fputc('\n', f);
		break;
	}
}

void
cli_render_text(FILE *f, const ProtobufCMessage *m, int indent,
    const char *zone)
{
	const ProtobufCMessageDescriptor	*d;
	const char				*own;
	char					 lb[64];

	if (m == NULL)
		return;
	d = m->descriptor;
	own = msg_time_zone(m);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void	*p;
		size_t		 n, es = cli_pb_elem_size(fd->type);

		if (is_secret(fd) || (p = cli_pb_field(m, fd, &n)) == NULL ||
		    n == 0)
			continue;
		label(fd->name, lb, sizeof(lb));
		if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
			fprintf(f, "%*s%-*s ", indent, "", 20 - indent > 8 ?
			    20 - indent : 8, lb);
			value_text(f, fd, p, indent, zone, own);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			const char *ep = (const char *) p + k * es;

			if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				fprintf(f, "%*s%s %zu of %zu:\n", indent, "",
				    lb, k + 1, n);
				cli_render_text(f, *(const ProtobufCMessage
				    *const *) (const void *) ep, indent + 2,
				    zone);
				continue;
			}
			fprintf(f, "%*s%-*s ", indent, "", 20 - indent > 8 ?
			    20 - indent : 8, lb);
			value_text(f, fd, ep, indent, zone, own);
		}
	}
}

static json_t *
value_json(const ProtobufCFieldDescriptor *fd, const void *p)
{
	char		 hx[2 * 4096 + 1];
	int64_t		 sv = 0;
	int		 sg;
	uint64_t	 u;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		return (json_string(*(const char *const *) p));
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		if (b->len > 4096)
			return (json_pack("{s:I}", "bytes",
			    (json_int_t) b->len));
		lsn_hex_encode(b->data, b->len, hx);
		return (json_string(hx));
	}
	case PROTOBUF_C_TYPE_ENUM:
		return (json_string(cli_enum_name(fd->descriptor,
		    *(const int *) p)));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (cli_render_json(*(const ProtobufCMessage *const *) p));
	case PROTOBUF_C_TYPE_BOOL:
		return (json_boolean(*(const protobuf_c_boolean *) p));
	case PROTOBUF_C_TYPE_FLOAT:
		return (json_real(*(const float *) p));
	case PROTOBUF_C_TYPE_DOUBLE:
		return (json_real(*(const double *) p));
	default:
		u = cli_pb_scalar(fd->type, p, &sg, &sv);
		return (json_integer(sg ? (json_int_t) sv : (json_int_t) u));
	}
}

json_t *
cli_render_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d;
	json_t					*o;

	if (m == NULL || (o = json_object()) == NULL)
		return (NULL);
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void	*p;
		size_t		 n, es = cli_pb_elem_size(fd->type);
		json_t		*v;

		if (is_secret(fd) || (p = cli_pb_field(m, fd, &n)) == NULL ||
		    n == 0)
			continue;
		if (fd->label != PROTOBUF_C_LABEL_REPEATED)
			v = value_json(fd, p);
		else if ((v = json_array()) != NULL)
			for (size_t k = 0; k < n; k++)
				json_array_append_new(v, value_json(fd,
				    (const char *) p + k * es));
		if (v != NULL)
			json_object_set_new(o, fd->name, v);
	}
	return (o);
}

void
cli_json_print(const json_t *v)
{
	char	*s;

	if (v == NULL)
		return;
	if ((s = json_dumps(v, JSON_INDENT(2))) == NULL) {
		fprintf(stderr, "liaison: out of memory\n");
		return;
	}
	printf("%s\n", s);
	free(s);
}
