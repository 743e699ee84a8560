/*
 * log_format.c -- the structured log line formats (log_format = kv|json):
 * one line per event, with fixed keys in a fixed order so that journald,
 * syslog and log shippers can parse them:
 *
 *   kv:   ts=2026-12-06T20:13:09.123Z level=info ident=liaison-agent
 *         pid=42 auth=0 event=publish msg="publish: ... refused: ..."
 *   json: {"ts":"...","level":"info","ident":"liaison-agent","pid":42,
 *         "auth":false,"event":"publish","msg":"..."}
 *
 * event is the message's leading "word:" (the __func__ or module prefix
 * every message starts with), "-" when there is none. The message text
 * itself was already stripped of control bytes by vlog(); here '"' and
 * '\' are escaped (kv, json) and bytes >= 0x80 are kept (UTF-8).
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "liaison/log.h"

static int	log_format = LSN_LOG_TEXT;

int
lsn_log_format_parse(const char *s)
{
	if (s == NULL || strcmp(s, "text") == 0)
		return (LSN_LOG_TEXT);
	if (strcmp(s, "kv") == 0)
		return (LSN_LOG_KV);
	if (strcmp(s, "json") == 0)
		return (LSN_LOG_JSON);
	return (-1);
}

void
lsn_log_set_format(int fmt)
{
	if (fmt == LSN_LOG_KV || fmt == LSN_LOG_JSON)
		log_format = fmt;
	else
		log_format = LSN_LOG_TEXT;
}

int
lsn_log_get_format(void)
{
	return (log_format);
}

/* Appends s escaped for a double-quoted string. */
static size_t
put_quoted(char *out, size_t o, size_t outsz, const char *s)
{
	size_t	start = o;

	for (; *s != '\0' && o + 3 < outsz; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s == '\t' ? ' ' : *s;
	}
	/* truncated: do not end inside a UTF-8 sequence (JSON needs valid
	 * UTF-8) */
	if (*s != '\0') {
		while (o > start && ((unsigned char) out[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > start && (unsigned char) out[o - 1] >= 0xc0)
			o--;
	}
	out[o] = '\0';
	return (o);
}

int
lsn_log_format_line(int fmt, const char *level, int auth, const char *ident,
    long pid, const char *msg, char *out, size_t outsz)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[96], event[32];
	size_t		 o, n = strspn(msg, "abcdefghijklmnopqrstuvwxyz_-0123"
			    "456789");
	int		 k;

	if (n > 0 && n < sizeof(event) && msg[n] == ':') {
		memcpy(event, msg, n);
		event[n] = '\0';
	} else
		strcpy(event, "-");
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long) (tv.tv_usec / 1000));
	if (fmt == LSN_LOG_JSON)
		k = snprintf(out, outsz, "{\"ts\":\"%s\",\"level\":\"%s\","
		    "\"ident\":\"%s\",\"pid\":%ld,\"auth\":%s,\"event\":\"%s\","
		    "\"msg\":\"", ts, level, ident, pid, auth ? "true" :
		    "false", event);
	else
		k = snprintf(out, outsz, "ts=%s level=%s ident=%s pid=%ld "
		    "auth=%d event=%s msg=\"", ts, level, ident, pid, auth,
		    event);
	if (k < 0 || (size_t) k >= outsz)
		return (-1);
	o = put_quoted(out, (size_t) k, outsz - 2, msg);
	out[o++] = '"';
	if (fmt == LSN_LOG_JSON)
		out[o++] = '}';
	out[o] = '\0';
	return (0);
}
