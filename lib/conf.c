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
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "liaison/conf.h"
#include "liaison/log.h"
#include "liaison/util.h"

#define MSG_MAX		256
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

static int	 opt_parse(const struct lsn_conf_opt *, const char *,
		    unsigned char *, char *, size_t);

static const struct {
	const char	*unit;
	long long	 ms;
} units[] = {
	{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
	{ "s", 1000LL }, { "ms", 1LL },
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

static void
msgf(char *msg, size_t msglen, const char *fmt, ...)
	LSN_PRINTF(3, 4);

static void
msgf(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list	ap;

	if (msglen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(msg, msglen, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
}

int
lsn_conf_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	if (s == NULL)
		return (LSN_EINVAL);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return (LSN_OK);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return (LSN_OK);
		}
	}
	return (LSN_EINVAL);
}

int
lsn_conf_parse_duration(const char *s, long long *ms)
{
	const char	*p;
	long long	 n = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return (LSN_EINVAL);
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';

		if (n > (LLONG_MAX - d) / 10)
			return (LSN_EINVAL);
		n = n * 10 + d;
	}
	if (*p == '\0') {
		/* A bare number is ambiguous, except zero. */
		if (n != 0)
			return (LSN_EINVAL);
		*ms = 0;
		return (LSN_OK);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (n > LLONG_MAX / units[i].ms)
			return (LSN_EINVAL);
		*ms = n * units[i].ms;
		return (LSN_OK);
	}
	return (LSN_EINVAL);
}

/* Formats ms with the largest unit that divides it exactly. */
static void
duration_fmt(long long ms, char *buf, size_t len)
{
	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%lld%s", ms / units[i].ms,
			    units[i].unit);
			return;
		}
	}
}

static int
is_alnum(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'));
}

static int
is_hex(int c)
{
	return ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	    (c >= '0' && c <= '9'));
}

static int
tcp_host_valid(const char *h, size_t n)
{
	size_t	colons = 0;

	if (n == 1 && h[0] == '*')
		return (1);
	if (h[0] == '[') {
		/* [IPv6]: hex digits, ':' and '.' (embedded IPv4) */
		if (n < 4 || n > 47 || h[n - 1] != ']')
			return (0);
		for (size_t i = 1; i < n - 1; i++) {
			if (h[i] == ':')
				colons++;
			else if (!is_hex(h[i]) && h[i] != '.')
				return (0);
		}
		return (colons >= 2);
	}
	/* A host name, an IPv4 address or an interface name. */
	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return (0);
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(h[i]) && h[i] != '-' && h[i] != '.' &&
		    h[i] != '_')
			return (0);
	}
	return (1);
}

int
lsn_conf_endpoint_valid(const char *ep)
{
	const char	*host, *colon, *port;
	size_t		 n;
	long long	 pn;

	if (ep == NULL)
		return (0);
	if (strncmp(ep, "ipc://", 6) == 0) {
		const char *p = ep + 6;

		n = strlen(p);
		/* "*" asks zmq for a random path: not for a config. */
		if (n == 0 || n > LSN_CONF_IPC_MAX || strcmp(p, "*") == 0)
			return (0);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char) p[i];
			if (c <= 0x20 || c == 0x7f)
				return (0);
		}
		return (1);
	}
	if (strncmp(ep, "tcp://", 6) != 0)
		return (0);
	host = ep + 6;
	if ((colon = strrchr(host, ':')) == NULL)
		return (0);
	port = colon + 1;
	n = strlen(port);
	if (n == 0 || n > 5)
		return (0);
	for (size_t i = 0; i < n; i++)
		if (port[i] < '0' || port[i] > '9')
			return (0);
	if (lsn_strtonum(port, 1, 65535, &pn, NULL) != LSN_OK)
		return (0);
	return (tcp_host_valid(host, (size_t) (colon - host)));
}

static int
is_string_type(enum lsn_conf_type t)
{
	return (t == LSN_CONF_STR || t == LSN_CONF_PATH ||
	    t == LSN_CONF_ENDPOINT);
}

/*
 * Parses v for option o and stores it at base + o->offset. On error
 * returns LSN_ECONFIG with a message naming the option (never the value).
 */
static int
opt_parse(const struct lsn_conf_opt *o, const char *v, unsigned char *base,
    char *msg, size_t msglen)
{
	unsigned char	*dst = base + o->offset;
	const char	*es = NULL;
	long long	 ll;
	uint64_t	 u;
	int		 b;
	size_t		 n;

	switch (o->type) {
	case LSN_CONF_STR:
	case LSN_CONF_PATH:
	case LSN_CONF_ENDPOINT:
		n = strlen(v);
		if (n >= o->size) {
			msgf(msg, msglen, "'%s' is too long (at most %zu "
			    "bytes)", o->name, o->size - 1);
			return (LSN_ECONFIG);
		}
		if (!lsn_text_valid(v, n) || strchr(v, '\n') != NULL) {
			msgf(msg, msglen, "'%s' is not valid UTF-8 text",
			    o->name);
			return (LSN_ECONFIG);
		}
		if ((o->type != LSN_CONF_STR && n == 0) ||
		    (o->type == LSN_CONF_STR && o->min > 0 && n == 0)) {
			msgf(msg, msglen, "'%s' must not be empty", o->name);
			return (LSN_ECONFIG);
		}
		if (o->type == LSN_CONF_STR && (long long) n < o->min) {
			msgf(msg, msglen, "'%s' must be at least %lld bytes",
			    o->name, o->min);
			return (LSN_ECONFIG);
		}
		if (o->type == LSN_CONF_ENDPOINT &&
		    !lsn_conf_endpoint_valid(v)) {
			msgf(msg, msglen, "'%s' is not a valid endpoint "
			    "(tcp://host:port or ipc://path)", o->name);
			return (LSN_ECONFIG);
		}
		/* Zero the tail too: the destination is fully determined. */
		memset(dst, 0, o->size);
		memcpy(dst, v, n);
		return (LSN_OK);
	case LSN_CONF_INT:
		/* an integer option in ms (name ends in _ms) also takes a
		 * duration with a unit, the same parser as DURATION */
		n = strlen(o->name);
		if (n > 3 && strcmp(o->name + n - 3, "_ms") == 0 &&
		    strspn(v, "0123456789") != strlen(v) &&
		    lsn_conf_parse_duration(v, &ll) == LSN_OK) {
			if (ll < o->min || ll > o->max) {
				char lo[32], hi[32];

				duration_fmt(o->min, lo, sizeof(lo));
				duration_fmt(o->max, hi, sizeof(hi));
				msgf(msg, msglen, "'%s' must be between %s "
				    "and %s", o->name, lo, hi);
				return (LSN_ECONFIG);
			}
			memcpy(dst, &ll, sizeof(ll));
			return (LSN_OK);
		}
		if (lsn_strtonum(v, o->min, o->max, &ll, &es) != LSN_OK) {
			if (es != NULL && strcmp(es, "invalid") == 0)
				msgf(msg, msglen, "'%s' is not a number",
				    o->name);
			else
				msgf(msg, msglen, "'%s' must be between %lld "
				    "and %lld", o->name, o->min, o->max);
			return (LSN_ECONFIG);
		}
		memcpy(dst, &ll, sizeof(ll));
		return (LSN_OK);
	case LSN_CONF_U64:
		n = strlen(v);
		if (n == 0 || strspn(v, "0123456789") != n) {
			msgf(msg, msglen, "'%s' is not a number", o->name);
			return (LSN_ECONFIG);
		}
		if (lsn_strtou64(v, (uint64_t) o->min, (uint64_t) o->max,
		    &u) != LSN_OK) {
			msgf(msg, msglen, "'%s' must be between %" PRIu64
			    " and %" PRIu64, o->name, (uint64_t) o->min,
			    (uint64_t) o->max);
			return (LSN_ECONFIG);
		}
		memcpy(dst, &u, sizeof(u));
		return (LSN_OK);
	case LSN_CONF_BOOL:
		if (lsn_conf_parse_bool(v, &b) != LSN_OK) {
			msgf(msg, msglen, "'%s' must be yes or no", o->name);
			return (LSN_ECONFIG);
		}
		memcpy(dst, &b, sizeof(b));
		return (LSN_OK);
	case LSN_CONF_DURATION:
		if (lsn_conf_parse_duration(v, &ll) != LSN_OK) {
			msgf(msg, msglen, "'%s' is not a duration (a number "
			    "with a unit ms, s, m, h or d, e.g. 30s)",
			    o->name);
			return (LSN_ECONFIG);
		}
		if (ll < o->min || ll > o->max) {
			char lo[32], hi[32];

			duration_fmt(o->min, lo, sizeof(lo));
			duration_fmt(o->max, hi, sizeof(hi));
			msgf(msg, msglen, "'%s' must be between %s and %s",
			    o->name, lo, hi);
			return (LSN_ECONFIG);
		}
		memcpy(dst, &ll, sizeof(ll));
		return (LSN_OK);
	}
	msgf(msg, msglen, "'%s' has an unknown type", o->name);
	return (LSN_EINVAL);
}

/*
 * Checks a table (a programming error if it fails). On success *np is the
 * number of options and *extentp the size of a scratch area covering every
 * destination field.
 */
static int
table_check(const struct lsn_conf_opt *t, size_t *np, size_t *extentp,
    char *msg, size_t msglen)
{
	size_t	i, extent = 0, want;

	if (t == NULL) {
		msgf(msg, msglen, "no option table");
		return (LSN_EINVAL);
	}
	for (i = 0; t[i].name != NULL; i++) {
		const struct lsn_conf_opt *o = &t[i];
		int ok;

		if (o->section == NULL || o->section[0] == '\0' ||
		    o->name[0] == '\0') {
			msgf(msg, msglen, "option %zu: empty name", i);
			return (LSN_EINVAL);
		}
		switch (o->type) {
		case LSN_CONF_STR:
		case LSN_CONF_PATH:
		case LSN_CONF_ENDPOINT:
			ok = o->size > 0 && o->min >= 0 &&
			    (unsigned long long) o->min < o->size;
			want = o->size;
			break;
		case LSN_CONF_INT:
			ok = o->min <= o->max;
			want = sizeof(long long);
			break;
		case LSN_CONF_U64:
			ok = o->min >= 0 &&
			    (uint64_t) o->min <= (uint64_t) o->max;
			want = sizeof(uint64_t);
			break;
		case LSN_CONF_BOOL:
			ok = 1;
			want = sizeof(int);
			break;
		case LSN_CONF_DURATION:
			ok = o->min >= 0 && o->min <= o->max;
			want = sizeof(long long);
			break;
		default:
			ok = 0;
			want = 0;
			break;
		}
		if (!ok || o->size != want || o->offset > SIZE_MAX - o->size) {
			msgf(msg, msglen, "[%s] %s: bad type, bounds or size",
			    o->section, o->name);
			return (LSN_EINVAL);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(t[j].section, o->section) == 0 &&
			    strcmp(t[j].name, o->name) == 0) {
				msgf(msg, msglen, "[%s] %s: listed twice",
				    o->section, o->name);
				return (LSN_EINVAL);
			}
		}
		if (o->offset + o->size > extent)
			extent = o->offset + o->size;
	}
	*np = i;
	*extentp = extent;
	return (LSN_OK);
}

static int
apply_defaults(const struct lsn_conf_opt *t, size_t n, unsigned char *base,
    char *msg, size_t msglen)
{
	char	m[MSG_MAX];

	for (size_t i = 0; i < n; i++) {
		memset(base + t[i].offset, 0, t[i].size);
		if (t[i].def == NULL)
			continue;
		if (opt_parse(&t[i], t[i].def, base, m, sizeof(m)) != LSN_OK) {
			msgf(msg, msglen, "[%s] %s: bad default: %s",
			    t[i].section, t[i].name, m);
			return (LSN_EINVAL);
		}
	}
	return (LSN_OK);
}

static void
copy_out(const struct lsn_conf_opt *t, size_t n, const unsigned char *base,
    void *dst)
{
	for (size_t i = 0; i < n; i++)
		memcpy((unsigned char *) dst + t[i].offset, base + t[i].offset,
		    t[i].size);
}

int
lsn_conf_defaults(const struct lsn_conf_opt *table, void *dst)
{
	unsigned char	*scratch = NULL;
	char		 msg[MSG_MAX];
	size_t		 n, extent;
	int		 rv;

	if ((rv = table_check(table, &n, &extent, msg, sizeof(msg))) != LSN_OK)
		goto out;
	if ((scratch = calloc(1, extent + 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = apply_defaults(table, n, scratch, msg, sizeof(msg))) !=
	    LSN_OK)
		goto out;
	copy_out(table, n, scratch, dst);
 out:
	if (rv == LSN_EINVAL)
		log_warnx("%s: invalid option table: %s", __func__, msg);
	free(scratch);
	return (rv);
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
	if (opt_parse(o, value, p->scratch, m, sizeof(m)) != LSN_OK) {
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
			msgf(msg, msglen, "NUL byte");
			goto bad;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			msgf(msg, msglen, "control character 0x%02x", c);
			goto bad;
		}
		if (++col > LSN_CONF_LINE_MAX) {
			msgf(msg, msglen, "line longer than %d bytes",
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
	if ((rv = table_check(table, &p.nopts, &extent, msg, sizeof(msg))) !=
	    LSN_OK) {
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
	if ((rv = apply_defaults(table, p.nopts, p.scratch, msg,
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
	copy_out(table, p.nopts, p.scratch, dst);
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

const struct lsn_conf_opt *
lsn_conf_find(const struct lsn_conf_opt *table, const char *section,
    const char *name)
{
	if (table == NULL || section == NULL || name == NULL)
		return (NULL);
	for (; table->name != NULL; table++) {
		if (table->section != NULL &&
		    strcmp(table->section, section) == 0 &&
		    strcmp(table->name, name) == 0)
			return (table);
	}
	return (NULL);
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
		duration_fmt(ll, buf, len);
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
		duration_fmt(o->min, lo, sizeof(lo));
		duration_fmt(o->max, hi, sizeof(hi));
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
