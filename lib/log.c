/* log.c -- levelled logging with pluggable sinks. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "liaison/log.h"
#include "liaison/util.h"

static int		 log_debug_mode = 1;
static int		 log_verbose;
static char		 log_ident[32] = "liaison";
static lsn_log_fn	*log_sink;
static void		*log_sink_arg;

static const char *
level_name(int level)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug" };

	return ((level >= 0 && level <= 7) ? names[level] : "?");
}

static void
sink_stderr(int level, int auth, const char *line, void *arg)
{
	const char	*lv = level_name(level);
	char		 buf[1400];

	(void) arg;
	if (lsn_log_get_format() != LSN_LOG_TEXT &&
	    lsn_log_format_line(lsn_log_get_format(), lv, auth, log_ident,
	    (long) getpid(), line, buf, sizeof(buf)) == 0) {
		fprintf(stderr, "%s\n", buf);
		return;
	}
	fprintf(stderr, "%s[%ld]: %s%s: %s\n", log_ident, (long) getpid(),
	    auth ? "auth " : "", lv, line);
}

static void
sink_syslog(int level, int auth, const char *line, void *arg)
{
	char	buf[1400];

	(void) arg;
	if (lsn_log_get_format() != LSN_LOG_TEXT &&
	    lsn_log_format_line(lsn_log_get_format(), level_name(level), auth,
	    log_ident, (long) getpid(), line, buf, sizeof(buf)) == 0)
		line = buf;
	syslog(auth ? (LOG_AUTHPRIV | level) : level, "%s", line);
}

void
log_init(int debug, int facility, const char *ident)
{
	log_debug_mode = debug;
	if (ident != NULL)
		(void) lsn_strlcpy(log_ident, ident, sizeof(log_ident));
	if (debug) {
		log_sink = sink_stderr;
	} else {
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
		log_sink = sink_syslog;
	}
	log_sink_arg = NULL;
	tzset();
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

void
lsn_log_set_sink(lsn_log_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
vlog(int level, int auth, const char *fmt, va_list ap)
{
	char	 line[1024];
	int	 n;

	if (level == LOG_DEBUG && log_verbose < 1)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/*
	 * One line per event: a stray newline from a peer string becomes a
	 * space, and other control bytes (terminal escapes) become '?'.
	 */
	for (char *p = line; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;

		if (c == '\n' || c == '\r')
			*p = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			*p = '?';
	}
	if (log_sink == NULL)
		sink_stderr(level, auth, line, NULL);
	else
		log_sink(level, auth, line, log_sink_arg);
}

void
log_warn(const char *fmt, ...)
{
	char	 buf[768];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved));
	errno = saved;
}

#define LOGFN(name, level, auth)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	ap;					\
	va_start(ap, fmt);				\
	vlog(level, auth, fmt, ap);			\
	va_end(ap);					\
}

LOGFN(log_warnx, LOG_WARNING, 0)
LOGFN(log_info, LOG_INFO, 0)
LOGFN(log_debug, LOG_DEBUG, 0)
LOGFN(log_auth, LOG_NOTICE, 1)
static void log_crit_line(const char *, ...) LSN_PRINTF(1, 2);
static LOGFN(log_crit_line, LOG_CRIT, 0)

static void
vlog_crit_str(const char *msg, const char *err)
{
	if (err != NULL)
		log_crit_line("fatal: %s: %s", msg, err);
	else
		log_crit_line("fatal: %s", msg);
}

void
fatal(const char *fmt, ...)
{
	char	 buf[768];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	if (saved != 0)
		vlog_crit_str(buf, strerror(saved));
	else
		vlog_crit_str(buf, NULL);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	 buf[768];
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	vlog_crit_str(buf, NULL);
	exit(1);
}

/* ---- test capture ---- */

#define CAPTURE_MAX	256

static pthread_mutex_t	 cap_mtx = PTHREAD_MUTEX_INITIALIZER;
static char		*cap_lines[CAPTURE_MAX];
static size_t		 cap_next;

/* Keeps "[auth ]<level>: <line>", as the stderr sink prints it. */
static void
sink_capture(int level, int auth, const char *line, void *arg)
{
	const char	*lv = level_name(level);
	char		*dup;
	size_t		 n;

	(void) arg;
	n = strlen(line) + strlen(lv) + sizeof("auth : ");
	if ((dup = malloc(n)) == NULL)
		return;
	snprintf(dup, n, "%s%s: %s", auth ? "auth " : "", lv, line);
	pthread_mutex_lock(&cap_mtx);
	free(cap_lines[cap_next]);
	cap_lines[cap_next] = dup;
	cap_next = (cap_next + 1) % CAPTURE_MAX;
	pthread_mutex_unlock(&cap_mtx);
}

void
lsn_log_capture_start(void)
{
	lsn_log_capture_stop();
	lsn_log_set_sink(sink_capture, NULL);
}

int
lsn_log_captured(const char *s)
{
	return (lsn_log_captured_count(s) > 0);
}

int
lsn_log_captured_count(const char *s)
{
	int	n = 0;

	pthread_mutex_lock(&cap_mtx);
	for (size_t i = 0; i < CAPTURE_MAX; i++)
		if (cap_lines[i] != NULL && strstr(cap_lines[i], s) != NULL)
			n++;
	pthread_mutex_unlock(&cap_mtx);
	return (n);
}

void
lsn_log_capture_stop(void)
{
	pthread_mutex_lock(&cap_mtx);
	for (size_t i = 0; i < CAPTURE_MAX; i++) {
		free(cap_lines[i]);
		cap_lines[i] = NULL;
	}
	cap_next = 0;
	pthread_mutex_unlock(&cap_mtx);
	lsn_log_set_sink(NULL, NULL);
}

/* ---- rate limiting ---- */

#define RL_SLOTS	64

struct rlslot {
	char		key[64];
	uint64_t	window;
	unsigned	count;
	unsigned	suppressed;
};

static struct rlslot	rl[RL_SLOTS];
static pthread_mutex_t	rl_mtx = PTHREAD_MUTEX_INITIALIZER;

int
lsn_log_ratelimit(const char *key, unsigned burst)
{
	uint64_t	 win = lsn_mono_ms() / 60000;
	uint32_t	 h;
	struct rlslot	*s;
	int		 ok;
	unsigned	 dropped = 0;

	if (key == NULL)
		key = "";
	h = lsn_fnv1a(key);
	pthread_mutex_lock(&rl_mtx);
	s = &rl[h % RL_SLOTS];
	if (strncmp(s->key, key, sizeof(s->key) - 1) != 0 ||
	    s->window != win) {
		dropped = s->suppressed;
		(void) lsn_strlcpy(s->key, key, sizeof(s->key));
		s->window = win;
		s->count = 0;
		s->suppressed = 0;
	}
	ok = s->count < burst;
	if (ok)
		s->count++;
	else
		s->suppressed++;
	pthread_mutex_unlock(&rl_mtx);
	if (dropped > 0)
		log_info("log: %u messages suppressed in the last window",
		    dropped);
	return (ok);
}
