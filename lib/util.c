/* util.c -- bounded strings, numbers, clocks, hex, ids and files. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "liaison/util.h"

size_t
lsn_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t	n = strlen(src);

	if (dstsz > 0) {
		size_t c = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return (n);
}

int
lsn_strtonum(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char		*end = NULL;
	long long	 v;
	const char	*e = NULL;

	if (s == NULL || *s == '\0' || min > max) {
		e = "invalid";
		goto out;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		e = "invalid";
	else if ((v == LLONG_MIN && errno == ERANGE) || v < min)
		e = "too small";
	else if ((v == LLONG_MAX && errno == ERANGE) || v > max)
		e = "too large";
 out:
	if (errstr != NULL)
		*errstr = e;
	if (e != NULL)
		return (LSN_EINVAL);
	*out = v;
	return (LSN_OK);
}

int
lsn_strtou64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char			*end = NULL;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return (LSN_EINVAL);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
		return (LSN_EINVAL);
	*out = v;
	return (LSN_OK);
}

uint64_t
lsn_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000);
}

uint64_t
lsn_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000);
}

static uint64_t
system_now(void *arg)
{
	(void) arg;
	return (lsn_now_ms());
}

static const struct lsn_clock system_clock = { system_now, NULL };

const struct lsn_clock *
lsn_clock_system(void)
{
	return (&system_clock);
}

void
lsn_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
lsn_hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
	if (hex == NULL || strlen(hex) != 2 * outlen)
		return (LSN_EINVAL);
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (LSN_EINVAL);
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	return (LSN_OK);
}

int
lsn_slug_valid(const char *s)
{
	size_t	n;

	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n < 2 || n > 63)
		return (0);
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return (0);
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return (0);
	}
	return (1);
}

int
lsn_country_valid(const char *s)
{
	return (s != NULL && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' &&
	    s[1] >= 'A' && s[1] <= 'Z');
}

/*
 * 1 if the 8 bytes at p are all printable ASCII (0x20..0x7e), the common
 * case of a text field, checked a word at a time: no byte with the top
 * bit, none below 0x20 (the borrow of subtracting 0x20 from each byte of
 * a word without top bits shows in that byte's top bit), none 0x7f.
 */
static int
ascii8_printable(const unsigned char *p)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	high = 0x8080808080808080ULL;
	uint64_t	w, del;

	memcpy(&w, p, sizeof(w));
	if ((w & high) != 0)
		return (0);
	del = w ^ (0x7f * ones);
	return ((((w - 0x20 * ones) | (del - ones)) & high) == 0);
}

int
lsn_text_valid(const char *s, size_t maxlen)
{
	const unsigned char	*p = (const unsigned char *) s;
	size_t			 n;

	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n > maxlen)
		return (0);
	for (size_t i = 0; i < n;) {
		unsigned char	c = p[i];
		size_t		k;
		uint32_t	cp;

		if (n - i >= 8 && ascii8_printable(p + i)) {
			i += 8;
			continue;
		}
		if (c < 0x80) {
			if (c < 0x20 && c != '\n' && c != '\t')
				return (0);
			if (c == 0x7f)
				return (0);
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else
			return (0);
		if (n - i <= k)
			return (0);
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		/* overlong, surrogates, out of range, C1 controls */
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return (0);
		i += k + 1;
	}
	return (1);
}

void
lsn_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

int
lsn_init(void)
{
	return (sodium_init() < 0 ? LSN_EINTERNAL : LSN_OK);
}

int
lsn_file_read(const char *path, size_t max, uint8_t **bufp, size_t *lenp)
{
	struct stat	 st;
	uint8_t		*buf = NULL;
	size_t		 off = 0;
	int		 fd = -1, rv = LSN_EIO;

	/* O_NONBLOCK: opening a FIFO planted at path must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rv = (errno == ENOENT) ? LSN_ENOENT : LSN_EIO;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if (fcntl(fd, F_SETFL, 0) != 0)
		goto out;
	if ((uint64_t) st.st_size > max) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	if ((buf = malloc((size_t) st.st_size + 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	while (off < (size_t) st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t) st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t) n;
	}
	buf[off] = '\0';
	*bufp = buf;
	*lenp = off;
	buf = NULL;
	rv = LSN_OK;
 out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return (rv);
}

int
lsn_file_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode)
{
	char		 tmp[4096], dir[4096];
	const uint8_t	*p = data;
	char		*slash;
	int		 fd = -1, dfd = -1, rv = LSN_EIO;
	size_t		 off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int) sizeof(tmp))
		return (LSN_ETOOBIG);
	if ((fd = mkstemp(tmp)) < 0)
		return (LSN_EIO);
	if (fchmod(fd, (mode_t) mode) != 0)
		goto out;
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t) n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	tmp[0] = '\0';
	/* Make the rename durable. */
	(void) lsn_strlcpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash == NULL)
		(void) lsn_strlcpy(dir, ".", sizeof(dir));
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void) fsync(dfd);
		close(dfd);
	}
	rv = LSN_OK;
 out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0' && rv != LSN_OK)
		(void) unlink(tmp);
	return (rv);
}

int
lsn_file_check_perms(const char *path, int secret)
{
	struct stat	st;

	if (stat(path, &st) != 0)
		return (errno == ENOENT ? LSN_ENOENT : LSN_EIO);
	if (!S_ISREG(st.st_mode))
		return (LSN_EIO);
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return (LSN_EFILEPERM);
	if (!secret && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return (LSN_EFILEPERM);
	return (LSN_OK);
}

void
lsn_hash(const void *data, size_t len, uint8_t out[LSN_HASH_BYTES])
{
	(void) crypto_generichash(out, LSN_HASH_BYTES, data, len, NULL, 0);
}

void
lsn_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t) (v >> 24);
	out[1] = (uint8_t) (v >> 16);
	out[2] = (uint8_t) (v >> 8);
	out[3] = (uint8_t) v;
}

uint32_t
lsn_fnv1a(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t) *s) * 16777619u;
	return (h);
}

void
lsn_malloc_tune(void)
{
	/* Failure only means the defaults stay: nothing to report. */
	(void) mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	(void) mallopt(M_TOP_PAD, 4 * 1024 * 1024);
}
