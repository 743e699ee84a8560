/*
 * conf.c -- strict, table-driven INI loading on top of libinih.
 *
 * inih is only used for the syntax. Everything it would do silently is
 * checked here first: the text is scanned for over-long lines (inih r55 as
 * built by Debian splits a line longer than 199 bytes into two settings),
 * NUL and control bytes; lines are fed to inih through our own reader,
 * without leading whitespace, so inih never treats an indented line as the
 * continuation of the previous value. Values are parsed into a private
 * scratch copy of the destination fields and copied out only when the
 * whole file is good.
 *
 * This file is the reader: the text checks, the inih callbacks and the
 * load entry points. The option table and value parsing are in
 * conf_opt.c, dump and the example file in conf_print.c. The caller owns
 * the table, the destination and the error buffer; the scratch copy and
 * the file's bytes are ours and freed before returning.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "liaison/conf.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "conf_int.h"

#define MSG_MAX		CONF_MSG_MAX
#define ECHO_MAX	64	/* bytes of a name from the file in messages */

struct parse {
	const struct lsn_conf_opt *table;
	size_t			 nopts;
	unsigned char		*scratch;
	int			*seen;		/* line first set; 0: unset */
	const char		*text;
	size_t			 len;
	size_t			 pos;
	int			 lineno;	/* lines handed to inih */
	int			 errline;	/* first error, 0: none */
	char			 msg[MSG_MAX];
};

/* Copies a name read from the file for a message: printable ASCII only. */
static const char *
echo(const char *in, char *out, size_t outsz)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++) {
		unsigned char c = (unsigned char) in[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	out[i] = '\0';
	return (out);
}

static int
section_known(const struct parse *p, const char *section)
{
	for (size_t i = 0; i < p->nopts; i++)
		if (strcmp(p->table[i].section, section) == 0)
			return (1);
	return (0);
}

static void
perr(struct parse *p, const char *fmt, ...) LSN_PRINTF(2, 3);

/* Records the first error, at the line inih is processing. */
static void
perr(struct parse *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->errline != 0)
		return;
	p->errline = p->lineno;
	va_start(ap, fmt);
	if (vsnprintf(p->msg, sizeof(p->msg), fmt, ap) < 0)
		p->msg[0] = '\0';
	va_end(ap);
}

/*
 * inih reader (fgets-like): hands out one line of the checked text,
 * without its leading blanks; stops at our first error.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse	*p = stream;
	const char	*s, *nl;
	size_t		 n;

	if (p->errline != 0 || p->pos >= p->len || num < 2)
		return (NULL);
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl != NULL ? (size_t) (nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->lineno++;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n > (size_t) num - 1) {
		/* Cannot happen after scan_text(); never let inih split. */
		perr(p, "line longer than %d bytes", LSN_CONF_LINE_MAX);
		return (NULL);
	}
	memcpy(str, s, n);
	str[n] = '\0';
	/* Check section headers here: a section may have no options. */
	if (str[0] == '[') {
		char	*end = strchr(str, ']'), name[ECHO_MAX + 1];

		if (end != NULL) {
			*end = '\0';
			if (!section_known(p, str + 1))
				perr(p, "unknown section [%s]",
				    echo(str + 1, name, sizeof(name)));
			*end = ']';
		}
	}
	return (str);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse			*p = user;
	const struct lsn_conf_opt	*o = NULL;
	char				 en[ECHO_MAX + 1], es[ECHO_MAX + 1];
	char				 m[MSG_MAX];
	size_t				 i;

	if (p->errline != 0)
		return (0);
	for (i = 0; i < p->nopts; i++) {
		if (strcmp(p->table[i].section, section) == 0 &&
		    strcmp(p->table[i].name, name) == 0) {
			o = &p->table[i];
			break;
		}
	}
	if (o == NULL) {
		echo(name, en, sizeof(en));
		echo(section, es, sizeof(es));
		if (section[0] == '\0')
			perr(p, "option '%s' outside a [section]", en);
		else if (!section_known(p, section))
			perr(p, "unknown section [%s]", es);
		else
			perr(p, "unknown option '%s' in section [%s]", en, es);
		return (0);
	}
	if (p->seen[i] != 0) {
		perr(p, "duplicate option '%s' in section [%s] (first set on "
		    "line %d)", o->name, o->section, p->seen[i]);
		return (0);
	}
	if (conf_opt_parse(o, value, p->scratch, m, sizeof(m)) != LSN_OK) {
		perr(p, "%s", m);
		return (0);
	}
	p->seen[i] = p->lineno;
	return (1);
}

/*
 * Checks the raw text before inih sees it: NUL and control bytes (tab, and
 * CR right before LF, are allowed) and the line length.
 */
static int
scan_text(const char *text, size_t len, int *linep, char *msg, size_t msglen)
{
	size_t	col = 0;
	int	line = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) text[i];

		if (c == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (c == '\r' && (i + 1 == len || text[i + 1] == '\n'))
			continue;
		if (c == '\0') {
			conf_msgf(msg, msglen, "NUL byte");
			goto bad;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_msgf(msg, msglen, "control character 0x%02x",
			    c);
			goto bad;
		}
		if (++col > LSN_CONF_LINE_MAX) {
			conf_msgf(msg, msglen, "line longer than %d bytes",
			    LSN_CONF_LINE_MAX);
			goto bad;
		}
	}
	return (LSN_OK);
 bad:
	*linep = line;
	return (LSN_ECONFIG);
}

static void
errf(char *err, size_t errlen, const char *fmt, ...) LSN_PRINTF(3, 4);

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

static int
conf_load(const char *fname, const char *text, size_t len,
    const struct lsn_conf_opt *table, void *dst, char *err, size_t errlen)
{
	struct parse	 p;
	char		 msg[MSG_MAX];
	size_t		 extent;
	int		 r, line, rv;

	memset(&p, 0, sizeof(p));
	if ((rv = conf_table_check(table, &p.nopts, &extent, msg,
	    sizeof(msg))) != LSN_OK) {
		errf(err, errlen, "%s: invalid option table: %s", fname, msg);
		goto out;
	}
	p.table = table;
	if ((p.scratch = calloc(1, extent + 1)) == NULL ||
	    (p.seen = calloc(p.nopts + 1, sizeof(*p.seen))) == NULL) {
		errf(err, errlen, "%s: out of memory", fname);
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = conf_apply_defaults(table, p.nopts, p.scratch, msg,
	    sizeof(msg))) != LSN_OK) {
		errf(err, errlen, "%s: invalid option table: %s", fname, msg);
		goto out;
	}
	rv = LSN_ECONFIG;
	if (len > LSN_CONF_FILE_MAX) {
		errf(err, errlen, "%s: larger than %d bytes", fname,
		    LSN_CONF_FILE_MAX);
		goto out;
	}
	if (scan_text(text, len, &line, msg, sizeof(msg)) != LSN_OK) {
		errf(err, errlen, "%s:%d: %s", fname, line, msg);
		goto out;
	}
	p.text = text;
	p.len = len;
	r = ini_parse_stream(reader, &p, handler, &p);
	if (p.errline != 0 && (r <= 0 || p.errline <= r)) {
		errf(err, errlen, "%s:%d: %s", fname, p.errline, p.msg);
		goto out;
	}
	if (r > 0) {
		errf(err, errlen, "%s:%d: syntax error (expected [section] or "
		    "name = value)", fname, r);
		goto out;
	}
	if (r < 0) {
		errf(err, errlen, "%s: parser failed", fname);
		goto out;
	}
	for (size_t i = 0; i < p.nopts; i++) {
		if (table[i].required && p.seen[i] == 0) {
			errf(err, errlen, "%s: missing required option "
			    "[%s] %s", fname, table[i].section, table[i].name);
			goto out;
		}
	}
	conf_copy_out(table, p.nopts, p.scratch, dst);
	rv = LSN_OK;
 out:
	free(p.scratch);
	free(p.seen);
	return (rv);
}

int
lsn_conf_load_string(const char *text, const struct lsn_conf_opt *table,
    void *dst, char *err, size_t errlen)
{
	errf(err, errlen, "%s", "");
	if (text == NULL) {
		errf(err, errlen, "<string>: no text");
		return (LSN_EINVAL);
	}
	return (conf_load("<string>", text, strnlen(text,
	    (size_t) LSN_CONF_FILE_MAX + 1), table, dst, err, errlen));
}

int
lsn_conf_load_file(const char *path, const struct lsn_conf_opt *table,
    void *dst, char *err, size_t errlen)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	errf(err, errlen, "%s", "");
	if (path == NULL) {
		errf(err, errlen, "no configuration file");
		return (LSN_EINVAL);
	}
	/* Anyone who can write the config controls the daemon. */
	rv = lsn_file_check_perms(path, 0);
	if (rv == LSN_OK)
		rv = lsn_file_read(path, LSN_CONF_FILE_MAX, &buf, &len);
	switch (rv) {
	case LSN_OK:
		break;
	case LSN_EFILEPERM:
		errf(err, errlen, "%s: writable by group or others "
		    "(chmod go-w)", path);
		rv = LSN_ECONFIG;
		goto out;
	case LSN_ENOENT:
		errf(err, errlen, "%s: no such file", path);
		rv = LSN_ECONFIG;
		goto out;
	case LSN_ETOOBIG:
		errf(err, errlen, "%s: larger than %d bytes", path,
		    LSN_CONF_FILE_MAX);
		rv = LSN_ECONFIG;
		goto out;
	case LSN_ENOMEM:
		errf(err, errlen, "%s: out of memory", path);
		goto out;
	default:
		errf(err, errlen, "%s: cannot read (not a readable regular "
		    "file)", path);
		rv = LSN_ECONFIG;
		goto out;
	}
	rv = conf_load(path, (const char *) buf, len, table, dst, err, errlen);
 out:
	free(buf);
	return (rv);
}
