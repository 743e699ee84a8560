/*
 * fsfault.c -- an LD_PRELOAD shim that injects storage faults into a real
 * daemon, switched on and off at run time by the test, without privileges
 * (no tmpfs, no loop device, no chmod: root ignores permissions).
 *
 * Environment (read at every call, so one shim serves every process):
 *   LSN_FAULT_CTL    path of the control file. While it does not exist the
 *                    shim only passes calls through. While it exists, its
 *                    first word is the fault:
 *                      enospc  writes and fallocate fail with ENOSPC (disk
 *                              full)
 *                      eio     writes, fsync and fdatasync fail with EIO
 *                      fsync   only fsync and fdatasync fail with EIO (the
 *                              data reached the page cache, not the disk)
 *                      erofs   writes, syncs, truncation and opens for
 *                              writing fail with EROFS (file system
 *                              remounted read-only)
 *                      eacces  opens for writing fail with EACCES (file or
 *                              directory made read-only by chmod)
 *   LSN_FAULT_NTH    "op:N:once|perm:eio|enospc": instead of the control
 *                    file, fail the Nth call of op (open, read, write,
 *                    fsync, ftruncate, mmap, rename) on a matching file,
 *                    counted from the process's start, once or from then
 *                    on (the I/O sweep, test_io_sweep.c).
 *   LSN_FAULT_ARM    with LSN_FAULT_NTH: calls are counted only while this
 *                    file exists, so N can count from a moment the test
 *                    chooses (the daemon up and serving) instead of from
 *                    the start (test_io_sweep_agent.c).
 *   LSN_FAULT_MATCH  substring of the file's path (as /proc/self/fd shows
 *                    it) that selects the files hit, or "suffix$" for paths
 *                    ending with suffix; other files (logs, sockets,
 *                    eventfds) are never touched. Unset: the shim does
 *                    nothing.
 *
 * Built by the storage fault test at run time:
 *   cc -shared -fPIC -o fsfault.so fsfault.c -ldl
 * Under AddressSanitizer the sanitizer runtime must come first:
 *   LD_PRELOAD="/path/libasan.so.N /path/fsfault.so"
 * (its interceptors then reach this shim through dlsym(RTLD_NEXT)).
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum fault_op {
	OP_WRITE,	/* write, pwrite, writev, fallocate */
	OP_SYNC,	/* fsync, fdatasync */
	OP_TRUNC,	/* ftruncate */
	OP_OPENW,	/* open for writing or creating */
	OP_OPEN,	/* any open (the Nth-call mode only) */
	OP_READ,	/* read, pread (the Nth-call mode only) */
	OP_MMAP,	/* mmap (the Nth-call mode only) */
	OP_RENAME,	/* rename (the Nth-call mode only) */
	OP_COUNT
};

/*
 * The Nth-call mode: LSN_FAULT_NTH="op:N:once|perm:eio|enospc" fails the
 * Nth call of op (open, read, write, fsync, ftruncate, mmap, rename) on
 * a matching file, counted from the start of the process (or, with
 * LSN_FAULT_ARM, from when that file appears), once or from then on.
 * Independent of LSN_FAULT_CTL.
 */
static const char *const op_names[OP_COUNT] = {
	"write", "fsync", "ftruncate", "openw", "open", "read", "mmap",
	"rename"
};
static long	nth_calls[OP_COUNT];

static int
nth_fault(enum fault_op op)
{
	const char	*v = getenv("LSN_FAULT_NTH"), *arm;
	char		 name[16], when[8], err[8];
	long		 n;
	int		 saved, armed;

	if (v == NULL || sscanf(v, "%15[a-z]:%ld:%7[a-z]:%7[a-z]", name, &n,
	    when, err) != 4 || strcmp(name, op_names[op]) != 0)
		return (0);
	if ((arm = getenv("LSN_FAULT_ARM")) != NULL) {
		saved = errno;
		armed = access(arm, F_OK) == 0;
		errno = saved;
		if (!armed)
			return (0);
	}
	nth_calls[op]++;
	if (nth_calls[op] == n || (nth_calls[op] > n &&
	    strcmp(when, "perm") == 0))
		return (strcmp(err, "enospc") == 0 ? ENOSPC : EIO);
	return (0);
}

/* The real function next in the lookup order (libc, or the sanitizer's
 * interceptor when it was preloaded first). */
#define REAL(type, name, ...)						\
	static type (*real_fn)(__VA_ARGS__);				\
	if (real_fn == NULL)						\
		real_fn = (type (*)(__VA_ARGS__)) dlsym(RTLD_NEXT, name)

static int	(*real_open_fn)(const char *, int, ...);
static ssize_t	(*real_read_fn)(int, void *, size_t);
static int	(*real_close_fn)(int);

/* Reads the control file's first word into mode; 0 when it exists. */
static int
fault_mode(char *mode, size_t modesz)
{
	const char	*ctl = getenv("LSN_FAULT_CTL");
	ssize_t		 n;
	size_t		 i;
	int		 fd, saved = errno;

	if (ctl == NULL || getenv("LSN_FAULT_MATCH") == NULL)
		return (-1);
	if (access(ctl, F_OK) == -1) {
		errno = saved;
		return (-1);
	}
	if (real_open_fn == NULL)
		real_open_fn = (int (*)(const char *, int, ...))
		    dlsym(RTLD_NEXT, "open");
	if (real_read_fn == NULL)
		real_read_fn = (ssize_t (*)(int, void *, size_t))
		    dlsym(RTLD_NEXT, "read");
	if (real_close_fn == NULL)
		real_close_fn = (int (*)(int)) dlsym(RTLD_NEXT, "close");
	if (real_open_fn == NULL || real_read_fn == NULL ||
	    real_close_fn == NULL) {
		errno = saved;
		return (-1);
	}
	if ((fd = real_open_fn(ctl, O_RDONLY | O_CLOEXEC)) == -1) {
		errno = saved;
		return (-1);
	}
	n = real_read_fn(fd, mode, modesz - 1);
	(void) real_close_fn(fd);
	errno = saved;
	if (n < 0)
		n = 0;
	mode[n] = '\0';
	for (i = 0; mode[i] != '\0'; i++)
		if (mode[i] == ' ' || mode[i] == '\n' || mode[i] == '\t') {
			mode[i] = '\0';
			break;
		}
	return (0);
}

static int
path_matches(const char *path)
{
	const char	*m = getenv("LSN_FAULT_MATCH");
	size_t		 ml, pl;

	if (path == NULL || m == NULL || *m == '\0')
		return (0);
	ml = strlen(m);
	if (m[ml - 1] != '$')
		return (strstr(path, m) != NULL);
	/* "name$": the path ends with name */
	ml--;
	pl = strlen(path);
	return (pl >= ml && memcmp(path + pl - ml, m, ml) == 0);
}

static int
fd_matches(int fd)
{
	char	link[64], path[4096];
	ssize_t	n;
	int	saved = errno;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	errno = saved;
	if (n <= 0)
		return (0);
	path[n] = '\0';
	return (path_matches(path));
}

/* The errno to fail op with, or 0 to let it through. */
static int
fault_errno(enum fault_op op)
{
	char	mode[32];

	if (fault_mode(mode, sizeof(mode)) == -1)
		return (0);
	if (strcmp(mode, "enospc") == 0)
		return (op == OP_WRITE ? ENOSPC : 0);
	if (strcmp(mode, "eio") == 0)
		return (op == OP_WRITE || op == OP_SYNC ? EIO : 0);
	if (strcmp(mode, "fsync") == 0)
		return (op == OP_SYNC ? EIO : 0);
	if (strcmp(mode, "erofs") == 0)
		return (EROFS);
	if (strcmp(mode, "eacces") == 0)
		return (op == OP_OPENW ? EACCES : 0);
	return (0);
}

/* -1 with errno set when the call on fd must fail, else 0. */
static int
fd_fault(int fd, enum fault_op op)
{
	int	e;

	if (getenv("LSN_FAULT_NTH") != NULL) {
		if (!fd_matches(fd) || (e = nth_fault(op)) == 0)
			return (0);
		errno = e;
		return (-1);
	}
	if ((e = fault_errno(op)) == 0 || !fd_matches(fd))
		return (0);
	errno = e;
	return (-1);
}

static int
open_fault(const char *path, int flags)
{
	int	e;

	if (getenv("LSN_FAULT_NTH") != NULL) {
		if (!path_matches(path) || (e = nth_fault(OP_OPEN)) == 0)
			return (0);
		errno = e;
		return (-1);
	}

	if ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) == 0)
		return (0);
	if ((e = fault_errno(OP_OPENW)) == 0 || !path_matches(path))
		return (0);
	errno = e;
	return (-1);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, "write", int, const void *, size_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (-1);
	return (real_fn(fd, buf, n));
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (-1);
	return (real_fn(fd, buf, n, off));
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	REAL(ssize_t, "pwrite64", int, const void *, size_t, off64_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (-1);
	return (real_fn(fd, buf, n, off));
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(ssize_t, "writev", int, const struct iovec *, int);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (-1);
	return (real_fn(fd, iov, cnt));
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL(int, "fallocate", int, int, off_t, off_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (-1);
	return (real_fn(fd, mode, off, len));
}

int
posix_fallocate(int fd, off_t off, off_t len)
{
	REAL(int, "posix_fallocate", int, off_t, off_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (errno);
	return (real_fn(fd, off, len));
}

int
posix_fallocate64(int fd, off64_t off, off64_t len)
{
	REAL(int, "posix_fallocate64", int, off64_t, off64_t);
	if (fd_fault(fd, OP_WRITE) == -1)
		return (errno);
	return (real_fn(fd, off, len));
}

int
fsync(int fd)
{
	REAL(int, "fsync", int);
	if (fd_fault(fd, OP_SYNC) == -1)
		return (-1);
	return (real_fn(fd));
}

int
fdatasync(int fd)
{
	REAL(int, "fdatasync", int);
	if (fd_fault(fd, OP_SYNC) == -1)
		return (-1);
	return (real_fn(fd));
}

int
ftruncate(int fd, off_t len)
{
	REAL(int, "ftruncate", int, off_t);
	if (fd_fault(fd, OP_TRUNC) == -1)
		return (-1);
	return (real_fn(fd, len));
}

int
ftruncate64(int fd, off64_t len)
{
	REAL(int, "ftruncate64", int, off64_t);
	if (fd_fault(fd, OP_TRUNC) == -1)
		return (-1);
	return (real_fn(fd, len));
}

/* open and friends: the mode argument exists only with O_CREAT or
 * O_TMPFILE; reading it anyway is what libc's own wrappers do. */
#define OPEN_MODE(flags, mode) do {					\
	va_list	ap;							\
	va_start(ap, flags);						\
	mode = va_arg(ap, int);						\
	va_end(ap);							\
} while (0)

int
open(const char *path, int flags, ...)
{
	int	mode;

	REAL(int, "open", const char *, int, ...);
	OPEN_MODE(flags, mode);
	if (open_fault(path, flags) == -1)
		return (-1);
	return (real_fn(path, flags, mode));
}

int
open64(const char *path, int flags, ...)
{
	int	mode;

	REAL(int, "open64", const char *, int, ...);
	OPEN_MODE(flags, mode);
	if (open_fault(path, flags) == -1)
		return (-1);
	return (real_fn(path, flags, mode));
}

int
openat(int dfd, const char *path, int flags, ...)
{
	int	mode;

	REAL(int, "openat", int, const char *, int, ...);
	OPEN_MODE(flags, mode);
	if (open_fault(path, flags) == -1)
		return (-1);
	return (real_fn(dfd, path, flags, mode));
}

int
openat64(int dfd, const char *path, int flags, ...)
{
	int	mode;

	REAL(int, "openat64", int, const char *, int, ...);
	OPEN_MODE(flags, mode);
	if (open_fault(path, flags) == -1)
		return (-1);
	return (real_fn(dfd, path, flags, mode));
}

/* ---- the Nth-call mode's extra calls ---- */

ssize_t
read(int fd, void *buf, size_t n)
{
	REAL(ssize_t, "read", int, void *, size_t);
	if (getenv("LSN_FAULT_NTH") != NULL && fd_fault(fd, OP_READ) == -1)
		return (-1);
	return (real_fn(fd, buf, n));
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(ssize_t, "pread", int, void *, size_t, off_t);
	if (getenv("LSN_FAULT_NTH") != NULL && fd_fault(fd, OP_READ) == -1)
		return (-1);
	return (real_fn(fd, buf, n, off));
}

ssize_t
pread64(int fd, void *buf, size_t n, off64_t off)
{
	REAL(ssize_t, "pread64", int, void *, size_t, off64_t);
	if (getenv("LSN_FAULT_NTH") != NULL && fd_fault(fd, OP_READ) == -1)
		return (-1);
	return (real_fn(fd, buf, n, off));
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(void *, "mmap", void *, size_t, int, int, int, off_t);
	if (fd >= 0 && getenv("LSN_FAULT_NTH") != NULL &&
	    fd_fault(fd, OP_MMAP) == -1)
		return (MAP_FAILED);
	return (real_fn(addr, len, prot, flags, fd, off));
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	REAL(void *, "mmap64", void *, size_t, int, int, int, off64_t);
	if (fd >= 0 && getenv("LSN_FAULT_NTH") != NULL &&
	    fd_fault(fd, OP_MMAP) == -1)
		return (MAP_FAILED);
	return (real_fn(addr, len, prot, flags, fd, off));
}

int
rename(const char *from, const char *to)
{
	int	e;

	REAL(int, "rename", const char *, const char *);
	if (getenv("LSN_FAULT_NTH") != NULL && (path_matches(from) ||
	    path_matches(to)) && (e = nth_fault(OP_RENAME)) != 0) {
		errno = e;
		return (-1);
	}
	return (real_fn(from, to));
}
