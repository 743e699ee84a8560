/*
 * util.h -- small helpers: bounded strings, number parsing, clocks, hex,
 * identifiers, files.
 *
 * All functions are thread-safe unless noted. Functions returning int use
 * the lsn_err space (err.h). Out-parameters are written only on success.
 *
 * Installed with liaison-dev for lsn_init, lsn_random, lsn_now_ms and hex:
 * the shared client library exports only the functions marked LSN_API.
 */
#ifndef LIAISON_UTIL_H
#define LIAISON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

/* Copies src into dst (size dstsz), always NUL-terminating when dstsz > 0.
 * Returns strlen(src); truncation happened if the result >= dstsz. */
size_t	lsn_strlcpy(char *dst, const char *src, size_t dstsz);

/*
 * Parses a decimal integer in [min, max] (strtonum semantics: no trailing
 * junk, no empty string, no overflow). On success writes *out and returns
 * LSN_OK; otherwise LSN_EINVAL, and *errstr (if not NULL) is set to a static
 * "invalid", "too small" or "too large".
 */
int	lsn_strtonum(const char *s, long long min, long long max,
	    long long *out, const char **errstr) LSN_MUST_CHECK;

/* Unsigned 64-bit variant (decimal only). */
int	lsn_strtou64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
	    LSN_MUST_CHECK;

/* Wall clock, Unix ms. */
uint64_t lsn_now_ms(void) LSN_API;
/* Monotonic clock, ms (for timers and rates, never stored). */
uint64_t lsn_mono_ms(void);

/*
 * An injectable clock: daemons and workflow code take time from a
 * struct lsn_clock so tests can drive it. lsn_clock_system() returns the
 * process-wide wall clock (borrowed; never freed).
 */
struct lsn_clock {
	uint64_t	(*now_ms)(void *arg);
	void		*arg;
};
const struct lsn_clock *lsn_clock_system(void);
static inline uint64_t
lsn_clock_now(const struct lsn_clock *c)
{
	return (c->now_ms(c->arg));
}

/* Lower-case hex of len bytes into out (needs 2*len+1 bytes). */
void	lsn_hex_encode(const uint8_t *in, size_t len, char *out) LSN_API;
/* Decodes exactly outlen bytes from a hex string of length 2*outlen.
 * LSN_EINVAL on a bad length or character. */
int	lsn_hex_decode(const char *hex, uint8_t *out, size_t outlen)
	    LSN_MUST_CHECK LSN_API;

/* 1 if s is a valid partner/contact/unit/group slug:
 * [a-z0-9][a-z0-9-]{1,62} (2..63 chars). */
int	lsn_slug_valid(const char *s);
/* 1 if s is an ISO 3166-1 alpha-2 code shape ("AU", "GB", or "XX"). */
int	lsn_country_valid(const char *s);
/* 1 if s is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) without control characters (C0 other than \n and \t,
 * DEL, C1), and at most maxlen bytes. */
int	lsn_text_valid(const char *s, size_t maxlen);

/* Fills buf with len random bytes (libsodium; call lsn_init() first). */
void	lsn_random(void *buf, size_t len) LSN_API;

/* Initialises libsodium; idempotent. LSN_EINTERNAL if it fails. */
int	lsn_init(void) LSN_MUST_CHECK LSN_API;

/*
 * Reads a whole file of at most max bytes. On success *bufp is a malloc'd
 * buffer (caller frees) with a NUL after the data, and *lenp its length.
 * LSN_ENOENT, LSN_EIO, LSN_ETOOBIG.
 */
int	lsn_file_read(const char *path, size_t max, uint8_t **bufp,
	    size_t *lenp) LSN_MUST_CHECK;

/*
 * Writes data atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory. mode is the file's permission bits (e.g. 0600).
 */
int	lsn_file_write_atomic(const char *path, const void *data, size_t len,
	    unsigned mode) LSN_MUST_CHECK;

/*
 * LSN_OK if path is a regular file not accessible by group or others
 * (for secrets; "secret" != 0) or at least not writable by them
 * (secret == 0). LSN_EFILEPERM otherwise, LSN_ENOENT if missing.
 */
int	lsn_file_check_perms(const char *path, int secret) LSN_MUST_CHECK;

/*
 * Daemons call this once at start-up: keeps freed heap memory instead of
 * returning it to the kernel after every loop turn (glibc trims the heap
 * top at 128 KiB by default; a broker turn allocates and frees a few MiB,
 * so it paid brk() twice per turn -- 10 % of its CPU in the fan-out
 * profile, see docs/performance.md). Bounded: at most 64 MiB kept.
 */
void	lsn_malloc_tune(void);

/* FNV-1a of the string s: a fast hash for in-memory tables keyed by
 * partner ids and the like; not for anything an attacker must not
 * collide. */
uint32_t lsn_fnv1a(const char *s);

/* BLAKE2b-256 of data (out: 32 bytes). */
#define LSN_HASH_BYTES	32
void	lsn_hash(const void *data, size_t len, uint8_t out[LSN_HASH_BYTES]);

/* v as 4 big-endian bytes into out (the length and count fields of what
 * is hashed or signed). */
void	lsn_be32(uint8_t out[4], uint32_t v);

#endif /* LIAISON_UTIL_H */
