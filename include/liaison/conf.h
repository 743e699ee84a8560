/*
 * conf.h -- typed INI configuration (libinih) driven by a table of options.
 *
 * Each daemon describes its configuration as a table of struct lsn_conf_opt
 * (section, name, type, bounds, default, destination) ending with
 * LSN_CONF_END, and a plain struct that receives the values. Loading is
 * strict, because a typo in a security setting must not be ignored:
 *
 *   - the file must not be writable by group or others (LSN_ECONFIG);
 *   - at most LSN_CONF_FILE_MAX bytes; no NUL or control bytes (tab and a
 *     CR before LF are fine); no line longer than LSN_CONF_LINE_MAX bytes
 *     (Debian's libinih silently SPLITS longer lines into two settings, so
 *     the text is checked here before inih ever sees it);
 *   - unknown sections, unknown options and options given twice are errors;
 *   - numbers are parsed with lsn_strtonum() against the table's bounds;
 *     strings must fit their destination (never truncated) and be valid
 *     UTF-8 text; endpoints and durations are validated;
 *   - defaults are applied first, then the file, then every option marked
 *     required must have been set by the file.
 *
 * Syntax (inih): "[section]" headers, "name = value" lines, comments start
 * with ';' or '#' at the start of a line, or " ;" after a value. Leading
 * whitespace is ignored (inih's multi-line continuation values are thus not
 * supported). Names and sections are case-sensitive.
 *
 * Error messages have the form "file:line: message", e.g.
 *   "broker.conf:7: unknown option 'foo' in section [broker]"
 *   "broker.conf:3: line longer than 196 bytes"
 *   "broker.conf:9: 'max_msg_bytes' must be between 1024 and 16777216"
 *   "broker.conf: missing required option [store] path"
 * They name options, never echo values (a value may be a secret), and
 * replace unprintable bytes of names from the file with '?'.
 *
 * The destination is written only when the whole load succeeds: loading
 * works on a private copy of the table's fields, so a daemon can load into
 * its live config on SIGHUP and keep the old one on failure.
 *
 * Destination types by option type:
 *   LSN_CONF_STR, _PATH, _ENDPOINT   char[size]
 *   LSN_CONF_INT                     long long
 *   LSN_CONF_U64                     uint64_t
 *   LSN_CONF_BOOL                    int (0 or 1)
 *   LSN_CONF_DURATION                long long (milliseconds)
 * Use LSN_CONF_AT(struct type, member) to fill offset and size: the size of
 * non-string members is checked against the type, so a table entry that
 * points at a member of the wrong type is refused (LSN_EINVAL).
 *
 * All functions are reentrant (no global state; inih runs on the stack).
 */
#ifndef LIAISON_CONF_H
#define LIAISON_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "liaison/err.h"

#define LSN_CONF_LINE_MAX	196		/* bytes per line, w/o EOL */
#define LSN_CONF_FILE_MAX	(1024 * 1024)	/* bytes per file */
#define LSN_CONF_IPC_MAX	107		/* ipc:// path (sun_path) */

enum lsn_conf_type {
	/* Text; min = minimum length in bytes (0: may be empty). */
	LSN_CONF_STR = 1,
	/* A non-empty file or directory path (not checked for existence). */
	LSN_CONF_PATH,
	/* Decimal integer in [min, max]. */
	LSN_CONF_INT,
	/* Decimal integer in [(uint64_t) min, (uint64_t) max]; max = -1
	 * means UINT64_MAX. min must be >= 0. */
	LSN_CONF_U64,
	/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
	LSN_CONF_BOOL,
	/* ZeroMQ endpoint: tcp://host:port (host a name, an IPv4 address,
	 * [IPv6] or *, port 1..65535) or ipc://path (1..107 bytes). */
	LSN_CONF_ENDPOINT,
	/* Integer with a unit ms, s, m, h or d ("30s", "5m", "30d"), or 0;
	 * stored in milliseconds, bounded by [min, max] in milliseconds. */
	LSN_CONF_DURATION,
};

struct lsn_conf_opt {
	const char		*section;	/* "broker" for [broker] */
	const char		*name;		/* NULL ends the table */
	enum lsn_conf_type	 type;
	long long		 min;		/* see enum lsn_conf_type */
	long long		 max;
	const char		*def;		/* default as text; NULL: none
						 * (destination zero / "") */
	int			 required;	/* must be set by the file */
	size_t			 offset;	/* destination in the struct */
	size_t			 size;		/* destination size */
	const char		*help;		/* one line, for the docs */
};

/* Designated initialisers for offset and size. */
#define LSN_CONF_AT(type, member)					\
	.offset = offsetof(type, member),				\
	.size = sizeof(((type *) 0)->member)

/* Terminates a table. */
#define LSN_CONF_END	{ .section = NULL, .name = NULL }

/*
 * Sets every option of table in dst to its default (or zero / "" when it
 * has none). Returns LSN_EINVAL if the table itself is invalid (unknown
 * type, bad bounds, duplicate option, string size 0, a member size that
 * does not match the type, or a default that does not parse) -- a
 * programming error. dst is written only on success. Borrowed arguments.
 */
int	lsn_conf_defaults(const struct lsn_conf_opt *table, void *dst)
	    LSN_MUST_CHECK;

/*
 * Loads the INI file at path into dst (see above). Returns LSN_OK;
 * LSN_ECONFIG with a message in err for anything wrong with the file
 * (unreadable, missing, writable by group/others, too big, syntax, unknown
 * or duplicate option, bad value, missing required option); LSN_EINVAL for
 * an invalid table (message in err); LSN_ENOMEM. err (errlen bytes; may be
 * NULL when errlen is 0) is always NUL-terminated, "" on success. dst is
 * written only on success. All arguments borrowed.
 */
int	lsn_conf_load_file(const char *path, const struct lsn_conf_opt *table,
	    void *dst, char *err, size_t errlen) LSN_MUST_CHECK;

/*
 * As lsn_conf_load_file() for a NUL-terminated text already in memory (no
 * permission check); messages name the file "<string>".
 */
int	lsn_conf_load_string(const char *text,
	    const struct lsn_conf_opt *table, void *dst, char *err,
	    size_t errlen) LSN_MUST_CHECK;

/*
 * Writes one "section.name = value" line per option of table, from dst, in
 * table order (for a daemon's -n). Booleans print as yes/no, durations with
 * the largest exact unit. LSN_EIO if writing to fp failed. Borrowed args.
 */
int	lsn_conf_dump(const struct lsn_conf_opt *table, const void *dst,
	    FILE *fp);

/*
 * Writes an annotated example INI file: one [section] per section in order
 * of first appearance; for each option its help, type, bounds, default and
 * whether it is required, then "name = default" (commented out as
 * ";name =" when there is no default). Loading the output with a table
 * whose required options all have defaults gives the defaults. LSN_EIO if
 * writing failed.
 */
int	lsn_conf_write_example(const struct lsn_conf_opt *table, FILE *fp);

/* The option [section] name of table, or NULL. Borrowed. */
const struct lsn_conf_opt *lsn_conf_find(const struct lsn_conf_opt *table,
	    const char *section, const char *name);

/* Value parsers used by the loader, for command-line arguments too.
 * *out is written only on success; LSN_EINVAL otherwise. */
int	lsn_conf_parse_bool(const char *s, int *out) LSN_MUST_CHECK;
/* A duration ("250ms", "30s", "5m", "1h", "30d", "0") in milliseconds;
 * bounded only by LLONG_MAX. */
int	lsn_conf_parse_duration(const char *s, long long *ms) LSN_MUST_CHECK;
/* 1 if ep is a valid endpoint for LSN_CONF_ENDPOINT, else 0. */
int	lsn_conf_endpoint_valid(const char *ep);

#endif /* LIAISON_CONF_H */
