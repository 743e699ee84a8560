/*
 * store_file.c -- what the database file must look like before sqlite is
 * allowed near it: present and an SQLite database of the right size, or
 * absent (a new database). A zero-byte, truncated or foreign file is
 * refused with a message naming it: sqlite would silently treat an empty
 * file as a new database, and the outbox or queue it held would be gone
 * without a word.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/store.h"

#include "store_int.h"

#define HDR_BYTES	100

/* The first 16 bytes of every SQLite 3 database file. */
static const char store_magic[16] = "SQLite format 3";

int
store_is_file(const char *path)
{
	return (*path != '\0' && strcmp(path, ":memory:") != 0 &&
	    strncmp(path, "file:", 5) != 0);
}

int
store_path_with(char *buf, size_t bufsz, const char *path,
    const char *suffix)
{
	int	n = snprintf(buf, bufsz, "%s%s", path, suffix);

	if (n < 0 || (size_t) n >= bufsz)
		return (LSN_ETOOBIG);
	return (LSN_OK);
}

int
store_sync_file(const char *path)
{
	int	fd, rv = LSN_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (LSN_EIO);
	if (fsync(fd) == -1) {
		log_warnx("store: fsync %s: %s", path, strerror(errno));
		rv = LSN_EIO;
	}
	close(fd);
	return (rv);
}

int
store_sync_dir(const char *path)
{
	char	buf[PATH_MAX];
	int	fd, rv = LSN_OK;

	if (store_path_with(buf, sizeof(buf), path, "") != LSN_OK)
		return (LSN_ETOOBIG);
	if ((fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return (LSN_EIO);
	if (fsync(fd) == -1) {
		log_warnx("store: fsync of the directory of %s: %s", path,
		    strerror(errno));
		rv = LSN_EIO;
	}
	close(fd);
	return (rv);
}

/* Size of path's file, 0 when it is missing. */
static off_t
file_size(const char *path, const char *suffix)
{
	struct stat	sb;
	char		buf[PATH_MAX];

	if (store_path_with(buf, sizeof(buf), path, suffix) != LSN_OK ||
	    stat(buf, &sb) == -1)
		return (0);
	return (sb.st_size);
}

static int
refuse(const char *path, const char *what)
{
	log_warnx("store: database %s %s; refusing to use it: restore it "
	    "from a backup (or move it away and start with --init for a "
	    "new, empty database)", path, what);
	return (LSN_EDB);
}

/*
 * The header of a non-empty file, when no write-ahead log holds newer
 * pages (after a clean shutdown there is none): the magic string, a page
 * size that is a power of two from 512 to 65536 and a file as long as
 * the page count the header records (bytes 28-31, valid when bytes 92-95
 * equal the change counter, bytes 24-27).
 */
static int
header_check(const char *path, int fd, off_t size)
{
	unsigned char	hdr[HDR_BYTES];
	char		what[160];
	ssize_t		n;
	uint32_t	psz, pages;

	/* One read: a regular file returns short only at its end. */
	if ((n = read(fd, hdr, sizeof(hdr))) == -1) {
		log_warnx("store: cannot read database %s: %s", path,
		    strerror(errno));
		return (LSN_EIO);
	}
	/*
	 * A non-empty write-ahead log may hold a newer page 1: a power cut
	 * inside a checkpoint (pages copied into the file, the file not yet
	 * synced) can tear the file's header while the synced log still
	 * has it, and sqlite recovers from the log. sqlite judges such a
	 * file itself (SQLITE_NOTADB or a failed check when it cannot).
	 */
	if (file_size(path, "-wal") > 0)
		return (LSN_OK);
	if ((size_t) n < sizeof(hdr) ||
	    memcmp(hdr, store_magic, sizeof(store_magic)) != 0) {
		if ((size_t) n >= sizeof(store_magic) &&
		    memcmp(hdr, store_magic, sizeof(store_magic)) == 0) {
			snprintf(what, sizeof(what), "is truncated (%zd "
			    "bytes, shorter than a database header)", n);
			return (refuse(path, what));
		}
		return (refuse(path, "is corrupt or not an SQLite database "
		    "(bad header)"));
	}
	psz = (uint32_t) hdr[16] << 8 | hdr[17];
	if (psz == 1)
		psz = 65536;
	if (psz < 512 || psz > 65536 || (psz & (psz - 1)) != 0)
		return (refuse(path, "is corrupt or not an SQLite database "
		    "(bad header)"));
	pages = (uint32_t) hdr[28] << 24 | (uint32_t) hdr[29] << 16 |
	    (uint32_t) hdr[30] << 8 | hdr[31];
	if (size % psz != 0 || (memcmp(hdr + 24, hdr + 92, 4) == 0 &&
	    (uint64_t) size < (uint64_t) pages * psz)) {
		snprintf(what, sizeof(what), "is truncated (%lld bytes; its "
		    "header records %u pages of %u bytes)", (long long) size,
		    pages, psz);
		return (refuse(path, what));
	}
	return (LSN_OK);
}

int
store_file_check(const char *path, int flags, enum store_file_state *state)
{
	struct stat	sb;
	int		fd, rv = LSN_OK;

	*state = STORE_FILE_MEMORY;
	if (!store_is_file(path))
		return (LSN_OK);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			*state = STORE_FILE_MISSING;
			return (LSN_OK);
		}
		/* sqlite's own open reports it, with the errno. */
		*state = STORE_FILE_DATABASE;
		return (LSN_OK);
	}
	if (fstat(fd, &sb) == -1) {
		log_warnx("store: cannot stat database %s: %s", path,
		    strerror(errno));
		rv = LSN_EIO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rv = refuse(path, "is not a regular file");
		goto out;
	}
	if (sb.st_size == 0) {
		/*
		 * A database created before the creation became atomic may
		 * still hold everything in its write-ahead log.
		 */
		if (file_size(path, "-wal") > 0)
			*state = STORE_FILE_DATABASE;
		else if ((flags & LSN_STORE_INIT) &&
		    !(flags & LSN_STORE_READONLY))
			*state = STORE_FILE_EMPTY_INIT;
		else
			rv = refuse(path, "is empty (0 bytes: a crash while "
			    "it was created, a bad copy or a full disk)");
		goto out;
	}
	*state = STORE_FILE_DATABASE;
	rv = header_check(path, fd, sb.st_size);
 out:
	close(fd);
	return (rv);
}
