/*
 * http_raw.h -- raw HTTP/1.1 over TCP for tests of the daemons' HTTP
 * listeners: exact bytes out, whatever comes back in (no client library
 * that would "fix" a malformed request).
 */
#ifndef HTTP_RAW_H
#define HTTP_RAW_H

#include <stddef.h>

/* Waits (<= timeout_ms) for the "HOST:PORT" file a daemon writes after
 * binding and copies its first line into buf. 0 or -1. */
int	http_addr_wait(const char *path, char *buf, size_t bufsz,
	    int timeout_ms);

/* A connected TCP socket to "HOST:PORT" (IPv4), or -1. */
int	http_connect(const char *hostport);

/*
 * Sends req (len bytes) on a new connection, reads the answer until the
 * peer closes or timeout_ms pass (the request should say "Connection:
 * close"), and stores it NUL-terminated in resp (truncated to respsz).
 * Returns the status code of the answer, 0 if the peer closed without
 * one, -1 on a connection error.
 */
int	http_raw(const char *hostport, const char *req, size_t len,
	    char *resp, size_t respsz, int timeout_ms);

/* As http_raw for "GET path" (Connection: close). */
int	http_get(const char *hostport, const char *path, char *resp,
	    size_t respsz);

#endif
