/*
 * log.h -- levelled logging with a pluggable sink.
 *
 * The API follows OpenBSD's log.h (the one deliberate exception to the lsn_
 * prefix). Levels are syslog's. One line per event; each message starts with
 * __func__ or the process name. Never log secrets, keys or message bodies
 * (bodies only at debug, and even then prefer sizes and ids).
 *
 * Security events (bad signature, unknown key, permission denied, replay)
 * go through log_auth(), which maps to LOG_AUTHPRIV under syslog and is
 * tagged "auth" in the other sinks.
 *
 * Sinks: stderr (default, used with -d), syslog (daemonised), or a test
 * capture buffer that cmocka tests can search with lsn_log_captured().
 *
 * Thread-safety: the sink is process-wide; set it once at start-up. Logging
 * calls themselves are safe from several threads (each line is written with
 * one call of the sink).
 */
#ifndef LIAISON_LOG_H
#define LIAISON_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

#define LSN_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* A sink receives one formatted line (no newline; other control bytes
 * replaced by '?'), its syslog level and whether it is a security event. */
typedef void lsn_log_fn(int level, int auth, const char *line, void *arg);

/* debug != 0: stderr; else syslog with the facility (e.g. LOG_DAEMON).
 * ident is copied (max 31 chars). */
void	log_init(int debug, int facility, const char *ident);
/* verbose >= 1 enables LOG_DEBUG lines; 0 shows LOG_INFO and above. */
void	log_setverbose(int verbose);
int	log_getverbose(void);
/* Replace the sink (NULL restores stderr). */
void	lsn_log_set_sink(lsn_log_fn *fn, void *arg);

void	log_warn(const char *, ...) LSN_PRINTF(1, 2);	/* + strerror(errno) */
void	log_warnx(const char *, ...) LSN_PRINTF(1, 2);
void	log_info(const char *, ...) LSN_PRINTF(1, 2);
void	log_debug(const char *, ...) LSN_PRINTF(1, 2);
void	log_auth(const char *, ...) LSN_PRINTF(1, 2);	/* security event */
void	vlog(int level, int auth, const char *, va_list) LSN_PRINTF(3, 0);

/* Daemons only (never called from lib/): log and exit(1). */
void	fatal(const char *, ...) LSN_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LSN_PRINTF(1, 2) __attribute__((noreturn));

/*
 * Test capture: lsn_log_capture_start() installs a sink that keeps the last
 * 256 lines in memory, each as "[auth ]<level>: <message>" (e.g.
 * "auth notice: sig: bad signature from nca-uk", "warning: store: ...");
 * lsn_log_captured(s) returns 1 if any captured line contains s,
 * lsn_log_captured_count(s) how many do; lsn_log_capture_stop() frees them
 * and restores stderr.
 */
void	lsn_log_capture_start(void);
int	lsn_log_captured(const char *s);
int	lsn_log_captured_count(const char *s);
void	lsn_log_capture_stop(void);

/*
 * Rate limiter for peer-triggered messages: returns 1 if a message keyed by
 * `key` (e.g. a peer id) may be logged now -- at most `burst` per minute per
 * key, from a small fixed table -- else 0 and counts it as suppressed.
 */
int	lsn_log_ratelimit(const char *key, unsigned burst);

/*
 * Line formats (config option log_format): LSN_LOG_TEXT is the classic
 * "ident[pid]: level: message"; LSN_LOG_KV and LSN_LOG_JSON are described
 * in lib/log_format.c (ts, level, ident, pid, auth, event, msg). The
 * format applies to the stderr and syslog sinks, process-wide; set it once
 * at start-up. lsn_log_format_parse: "text", "kv", "json" -> LSN_LOG_*,
 * else -1. lsn_log_format_line formats one line into out (always
 * NUL-terminated, truncated to fit); returns 0 or -1.
 */
#define LSN_LOG_TEXT	0
#define LSN_LOG_KV	1
#define LSN_LOG_JSON	2
int	lsn_log_format_parse(const char *s);
void	lsn_log_set_format(int fmt);
int	lsn_log_get_format(void);
int	lsn_log_format_line(int fmt, const char *level, int auth,
	    const char *ident, long pid, const char *msg, char *out,
	    size_t outsz);

#endif /* LIAISON_LOG_H */
