/*
 * conf_opt.c -- the typed option table of conf.h: checking a table,
 * parsing one value by its type and bounds (strings, integers, sizes,
 * yes/no, durations, endpoints) and the defaults. The caller owns the
 * table and the destination; the scratch copy is ours and freed here.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "liaison/conf.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "conf_int.h"

static const struct {
	const char	*unit;
	long long	 ms;
} units[] = {
	{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
	{ "s", 1000LL }, { "ms", 1LL },
};

void
conf_msgf(char *msg, size_t msglen, const char *fmt, ...)
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

void
conf_duration_fmt(long long ms, char *buf, size_t len)
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

/* A text, path or endpoint: length, UTF-8, emptiness, endpoint shape. */
static int
opt_parse_text(const struct lsn_conf_opt *o, const char *v,
    unsigned char *dst, char *msg, size_t msglen)
{
	size_t	n = strlen(v);

	if (n >= o->size) {
		conf_msgf(msg, msglen, "'%s' is too long (at most %zu bytes)",
		    o->name, o->size - 1);
		return (LSN_ECONFIG);
	}
	if (!lsn_text_valid(v, n) || strchr(v, '\n') != NULL) {
		conf_msgf(msg, msglen, "'%s' is not valid UTF-8 text",
		    o->name);
		return (LSN_ECONFIG);
	}
	if ((o->type != LSN_CONF_STR && n == 0) ||
	    (o->type == LSN_CONF_STR && o->min > 0 && n == 0)) {
		conf_msgf(msg, msglen, "'%s' must not be empty", o->name);
		return (LSN_ECONFIG);
	}
	if (o->type == LSN_CONF_STR && (long long) n < o->min) {
		conf_msgf(msg, msglen, "'%s' must be at least %lld bytes",
		    o->name, o->min);
		return (LSN_ECONFIG);
	}
	if (o->type == LSN_CONF_ENDPOINT && !lsn_conf_endpoint_valid(v)) {
		conf_msgf(msg, msglen, "'%s' is not a valid endpoint "
		    "(tcp://host:port or ipc://path)", o->name);
		return (LSN_ECONFIG);
	}
	/* Zero the tail too: the destination is fully determined. */
	memset(dst, 0, o->size);
	memcpy(dst, v, n);
	return (LSN_OK);
}

/* Stores a duration ms if within o's bounds (messages in units). */
static int
opt_store_duration(const struct lsn_conf_opt *o, long long ms,
    unsigned char *dst, char *msg, size_t msglen)
{
	char	lo[32], hi[32];

	if (ms < o->min || ms > o->max) {
		conf_duration_fmt(o->min, lo, sizeof(lo));
		conf_duration_fmt(o->max, hi, sizeof(hi));
		conf_msgf(msg, msglen, "'%s' must be between %s and %s",
		    o->name, lo, hi);
		return (LSN_ECONFIG);
	}
	memcpy(dst, &ms, sizeof(ms));
	return (LSN_OK);
}

static int
opt_parse_int(const struct lsn_conf_opt *o, const char *v,
    unsigned char *dst, char *msg, size_t msglen)
{
	const char	*es = NULL;
	long long	 ll;
	size_t		 n;

	/* an integer option in ms (name ends in _ms) also takes a
	 * duration with a unit, the same parser as DURATION */
	n = strlen(o->name);
	if (n > 3 && strcmp(o->name + n - 3, "_ms") == 0 &&
	    strspn(v, "0123456789") != strlen(v) &&
	    lsn_conf_parse_duration(v, &ll) == LSN_OK)
		return (opt_store_duration(o, ll, dst, msg, msglen));
	if (lsn_strtonum(v, o->min, o->max, &ll, &es) != LSN_OK) {
		if (es != NULL && strcmp(es, "invalid") == 0)
			conf_msgf(msg, msglen, "'%s' is not a number",
			    o->name);
		else
			conf_msgf(msg, msglen, "'%s' must be between %lld "
			    "and %lld", o->name, o->min, o->max);
		return (LSN_ECONFIG);
	}
	memcpy(dst, &ll, sizeof(ll));
	return (LSN_OK);
}

static int
opt_parse_u64(const struct lsn_conf_opt *o, const char *v,
    unsigned char *dst, char *msg, size_t msglen)
{
	uint64_t	u;
	size_t		n = strlen(v);

	if (n == 0 || strspn(v, "0123456789") != n) {
		conf_msgf(msg, msglen, "'%s' is not a number", o->name);
		return (LSN_ECONFIG);
	}
	if (lsn_strtou64(v, (uint64_t) o->min, (uint64_t) o->max, &u) !=
	    LSN_OK) {
		conf_msgf(msg, msglen, "'%s' must be between %" PRIu64
		    " and %" PRIu64, o->name, (uint64_t) o->min,
		    (uint64_t) o->max);
		return (LSN_ECONFIG);
	}
	memcpy(dst, &u, sizeof(u));
	return (LSN_OK);
}

/*
 * Parses v for option o and stores it at base + o->offset. On error
 * returns LSN_ECONFIG with a message naming the option (never the value).
 */
int
conf_opt_parse(const struct lsn_conf_opt *o, const char *v,
    unsigned char *base, char *msg, size_t msglen)
{
	unsigned char	*dst = base + o->offset;
	long long	 ll;
	int		 b;

	switch (o->type) {
	case LSN_CONF_STR:
	case LSN_CONF_PATH:
	case LSN_CONF_ENDPOINT:
		return (opt_parse_text(o, v, dst, msg, msglen));
	case LSN_CONF_INT:
		return (opt_parse_int(o, v, dst, msg, msglen));
	case LSN_CONF_U64:
		return (opt_parse_u64(o, v, dst, msg, msglen));
	case LSN_CONF_BOOL:
		if (lsn_conf_parse_bool(v, &b) != LSN_OK) {
			conf_msgf(msg, msglen, "'%s' must be yes or no",
			    o->name);
			return (LSN_ECONFIG);
		}
		memcpy(dst, &b, sizeof(b));
		return (LSN_OK);
	case LSN_CONF_DURATION:
		if (lsn_conf_parse_duration(v, &ll) != LSN_OK) {
			conf_msgf(msg, msglen, "'%s' is not a duration (a "
			    "number with a unit ms, s, m, h or d, e.g. 30s)",
			    o->name);
			return (LSN_ECONFIG);
		}
		return (opt_store_duration(o, ll, dst, msg, msglen));
	}
	conf_msgf(msg, msglen, "'%s' has an unknown type", o->name);
	return (LSN_EINVAL);
}

/*
 * Checks a table (a programming error if it fails). On success *np is the
 * number of options and *extentp the size of a scratch area covering every
 * destination field.
 */
int
conf_table_check(const struct lsn_conf_opt *t, size_t *np,
    size_t *extentp, char *msg, size_t msglen)
{
	size_t	i, extent = 0, want;

	if (t == NULL) {
		conf_msgf(msg, msglen, "no option table");
		return (LSN_EINVAL);
	}
	for (i = 0; t[i].name != NULL; i++) {
		const struct lsn_conf_opt *o = &t[i];
		int ok;

		if (o->section == NULL || o->section[0] == '\0' ||
		    o->name[0] == '\0') {
			conf_msgf(msg, msglen, "option %zu: empty name", i);
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
			conf_msgf(msg, msglen, "[%s] %s: bad type, bounds or "
			    "size", o->section, o->name);
			return (LSN_EINVAL);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(t[j].section, o->section) == 0 &&
			    strcmp(t[j].name, o->name) == 0) {
				conf_msgf(msg, msglen, "[%s] %s: listed twice",
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

int
conf_apply_defaults(const struct lsn_conf_opt *t, size_t n,
    unsigned char *base, char *msg, size_t msglen)
{
	char	m[CONF_MSG_MAX];

	for (size_t i = 0; i < n; i++) {
		memset(base + t[i].offset, 0, t[i].size);
		if (t[i].def == NULL)
			continue;
		if (conf_opt_parse(&t[i], t[i].def, base, m, sizeof(m)) !=
		    LSN_OK) {
			conf_msgf(msg, msglen, "[%s] %s: bad default: %s",
			    t[i].section, t[i].name, m);
			return (LSN_EINVAL);
		}
	}
	return (LSN_OK);
}

void
conf_copy_out(const struct lsn_conf_opt *t, size_t n,
    const unsigned char *base, void *dst)
{
	for (size_t i = 0; i < n; i++)
		memcpy((unsigned char *) dst + t[i].offset, base + t[i].offset,
		    t[i].size);
}

int
lsn_conf_defaults(const struct lsn_conf_opt *table, void *dst)
{
	unsigned char	*scratch = NULL;
	char		 msg[CONF_MSG_MAX];
	size_t		 n, extent;
	int		 rv;

	if ((rv = conf_table_check(table, &n, &extent, msg, sizeof(msg))) !=
	    LSN_OK)
		goto out;
	if ((scratch = calloc(1, extent + 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = conf_apply_defaults(table, n, scratch, msg, sizeof(msg))) !=
	    LSN_OK)
		goto out;
	conf_copy_out(table, n, scratch, dst);
 out:
	if (rv == LSN_EINVAL)
		log_warnx("%s: invalid option table: %s", __func__, msg);
	free(scratch);
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
