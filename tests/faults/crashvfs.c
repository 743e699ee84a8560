/*
 * crashvfs.c -- an sqlite3 VFS that "cuts the power" (in the spirit of
 * SQLite's own crash tests), LD_PRELOADed into a real daemon.
 *
 * A constructor registers it as the default VFS, wrapping the one sqlite
 * had (sqlite3 is a shared library, so the daemon's sqlite uses it). For
 * every file whose path contains LSN_CRASH_MATCH (the shared memory index
 * excepted: sqlite rebuilds it after a crash) it records, per 512-byte
 * sector, the content as of the file's last xSync (the pre-image, read
 * before the first write after a sync) and the content each later write
 * left. The LSN_CRASH_AT-th xSync of such a file (counted from the start
 * of the process) does not happen; instead the power is cut: every
 * sector written since its file's last sync ends up, at random (seeded
 * with LSN_CRASH_SEED), as it was at the sync, as the last or an earlier
 * write left it (writes reordered), or as garbage (a torn write), in the
 * bytes written since the sync (powersafe overwrite, which sqlite assumes
 * on unix: a write never damages the bytes of a sector it did not write,
 * so a torn sector keeps its synced neighbours); a file
 * that grew keeps its synced length or its new one. The files are
 * rewritten so, then the process kills itself with SIGKILL. Nothing
 * synced is ever changed: that is what the daemons rely on.
 *
 * LSN_CRASH_NOSYNC=1 makes every xSync a no-op that makes nothing
 * durable (the control run: the harness must then see acknowledged
 * messages lost). LSN_CRASH_AT unset or 0: the VFS only passes through
 * (and still counts, for the figures).
 *
 * Built by the power-cut test at run time:
 *   cc -shared -fPIC -o crashvfs.so crashvfs.c -lsqlite3
 */
#define _GNU_SOURCE
#include <sys/types.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SECTOR		512
#define MAX_FILES	16
#define MAX_VERS	4	/* versions kept per sector (the pre-image,
				 * then the last writes) */

struct sector {
	int64_t		 no;
	int		 nvers;		/* 1 + writes kept */
	int		 lo, hi;	/* bytes of it written since the sync */
	unsigned char	 v[MAX_VERS][SECTOR];
};

struct tracked {
	char		 path[512];
	int64_t		 synced_size;
	struct sector	*sec;
	size_t		 nsec, capsec;
};

struct cfile {
	sqlite3_file	 base;
	struct tracked	*t;		/* NULL: not tracked */
	sqlite3_file	*real;		/* follows this struct */
	const sqlite3_io_methods *rm;	/* real's methods */
};

static sqlite3_vfs	*base_vfs;
static sqlite3_vfs	 crash_vfs;
static sqlite3_io_methods crash_io;
static struct tracked	 files[MAX_FILES];
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static long		 nsyncs, crash_at;
static int		 nosync;
static uint64_t		 rng;

static uint64_t
rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 2685821657736338717ULL);
}

static struct tracked *
track(const char *path)
{
	const char	*m = getenv("LSN_CRASH_MATCH");
	int		 i, fd;
	off_t		 sz;

	if (m == NULL || path == NULL || strstr(path, m) == NULL ||
	    strstr(path, "-shm") != NULL)
		return (NULL);
	for (i = 0; i < MAX_FILES; i++)
		if (strcmp(files[i].path, path) == 0)
			return (&files[i]);
	for (i = 0; i < MAX_FILES; i++) {
		if (files[i].path[0] != '\0')
			continue;
		snprintf(files[i].path, sizeof(files[i].path), "%s", path);
		/* What exists at the first open counts as synced. */
		sz = 0;
		if ((fd = open(path, O_RDONLY)) != -1) {
			sz = lseek(fd, 0, SEEK_END);
			close(fd);
		}
		files[i].synced_size = sz < 0 ? 0 : sz;
		return (&files[i]);
	}
	return (NULL);
}

static struct sector *
sector_get(struct tracked *t, int64_t no)
{
	struct sector	*ns;

	for (size_t i = 0; i < t->nsec; i++)
		if (t->sec[i].no == no)
			return (&t->sec[i]);
	if (t->nsec == t->capsec) {
		size_t n = t->capsec ? t->capsec * 2 : 64;

		if ((ns = realloc(t->sec, n * sizeof(*ns))) == NULL)
			abort();
		t->sec = ns;
		t->capsec = n;
	}
	ns = &t->sec[t->nsec++];
	memset(ns, 0, sizeof(*ns));
	ns->no = no;
	return (ns);
}

/* Records the sectors [off, off+amt) before (pre) or after a write. */
static void
record(struct cfile *f, sqlite3_int64 off, int amt, int pre)
{
	struct tracked	*t = f->t;
	int64_t		 first = off / SECTOR, last = (off + amt - 1) / SECTOR;
	unsigned char	 buf[SECTOR];

	for (int64_t no = first; no <= last; no++) {
		struct sector	*s = sector_get(t, no);
		int		 rc;

		memset(buf, 0, sizeof(buf));
		rc = f->rm->xRead(f->real, buf, SECTOR, no * SECTOR);
		(void) rc;	/* short read: zero-filled, as sqlite does */
		if (pre) {
			int64_t	 a = off > no * SECTOR ? off - no * SECTOR : 0;
			int64_t	 z = off + amt < (no + 1) * SECTOR ?
			    off + amt - no * SECTOR : SECTOR;

			if (s->nvers == 0) {
				memcpy(s->v[0], buf, SECTOR);
				s->nvers = 1;
				s->lo = (int) a;
				s->hi = (int) z;
			}
			if (a < s->lo)
				s->lo = (int) a;
			if (z > s->hi)
				s->hi = (int) z;
			continue;
		}
		if (s->nvers < MAX_VERS)
			s->nvers++;
		else	/* keep the pre-image, drop the oldest write */
			memmove(s->v[1], s->v[2], (MAX_VERS - 2) * SECTOR);
		memcpy(s->v[s->nvers - 1], buf, SECTOR);
	}
}

/* The power cut: see the top of the file. Does not return. */
static void
cut(void)
{
	unsigned char	 junk[SECTOR];
	long		 kept = 0, old = 0, torn = 0, earlier = 0, shrunk = 0;

	for (int i = 0; i < MAX_FILES; i++) {
		struct tracked	*t = &files[i];
		int64_t		 cur;
		int		 fd;

		if (t->path[0] == '\0' || (fd = open(t->path, O_RDWR)) == -1)
			continue;
		cur = lseek(fd, 0, SEEK_END);
		if (getenv("LSN_CRASH_TRACE") != NULL && t->nsec > 0)
			fprintf(stderr, "crashvfs: %s: synced %lld, size %lld, "
			    "%zu dirty sectors from %lld to %lld\n", t->path,
			    (long long) t->synced_size, (long long) cur,
			    t->nsec, (long long) t->sec[0].no * SECTOR,
			    (long long) t->sec[t->nsec - 1].no * SECTOR);
		for (size_t j = 0; j < t->nsec; j++) {
			struct sector	*s = &t->sec[j];
			unsigned int	 r = (unsigned int) (rnd() % 100);
			const unsigned char *img;

			if (s->nvers < 2)
				continue;
			if (r < 40) {
				img = s->v[s->nvers - 1];
				kept++;
			} else if (r < 50) {
				img = s->v[1 + rnd() % (uint64_t) (s->nvers - 1)];
				earlier++;
			} else if (r < 85) {
				img = s->v[0];
				old++;
			} else {
				for (size_t k = 0; k < sizeof(junk); k++)
					junk[k] = (unsigned char) rnd();
				img = junk;
				torn++;
			}
			/* Powersafe overwrite (sqlite's default on unix): the
			 * bytes of a sector that were not written keep their
			 * synced content; only the written ones are lost,
			 * reordered or torn. */
			if (s->no * SECTOR + s->lo < cur)
				(void) pwrite(fd, img + s->lo,
				    (size_t) (s->hi - s->lo),
				    s->no * SECTOR + s->lo);
		}
		if (cur > t->synced_size && rnd() % 2 == 0) {
			(void) ftruncate(fd, t->synced_size);
			shrunk++;
		} else
			(void) ftruncate(fd, cur);
		close(fd);
	}
	fprintf(stderr, "crashvfs: power cut at sync %ld: sectors kept %ld, "
	    "earlier %ld, old %ld, torn %ld; files shrunk %ld\n", nsyncs,
	    kept, earlier, old, torn, shrunk);
	fflush(stderr);
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

static int
c_close(sqlite3_file *p)
{
	struct cfile	*f = (struct cfile *) p;

	return (f->rm->xClose(f->real));
}

static int
c_read(sqlite3_file *p, void *buf, int amt, sqlite3_int64 off)
{
	struct cfile	*f = (struct cfile *) p;

	return (f->rm->xRead(f->real, buf, amt, off));
}

static int
c_write(sqlite3_file *p, const void *buf, int amt, sqlite3_int64 off)
{
	struct cfile	*f = (struct cfile *) p;
	int		 rc;

	if (f->t == NULL || amt <= 0)
		return (f->rm->xWrite(f->real, buf, amt, off));
	pthread_mutex_lock(&mu);
	record(f, off, amt, 1);
	rc = f->rm->xWrite(f->real, buf, amt, off);
	record(f, off, amt, 0);
	pthread_mutex_unlock(&mu);
	return (rc);
}

static int
c_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct cfile	*f = (struct cfile *) p;
	int		 rc;

	rc = f->rm->xTruncate(f->real, size);
	if (f->t != NULL && rc == SQLITE_OK) {
		/* What was cut off is gone (metadata is not modelled). */
		pthread_mutex_lock(&mu);
		if (f->t->synced_size > size)
			f->t->synced_size = size;
		pthread_mutex_unlock(&mu);
	}
	return (rc);
}

static int
c_sync(sqlite3_file *p, int flags)
{
	struct cfile	*f = (struct cfile *) p;
	sqlite3_int64	 sz = 0;
	int		 rc;

	if (f->t == NULL)
		return (f->rm->xSync(f->real, flags));
	pthread_mutex_lock(&mu);
	nsyncs++;
	if (getenv("LSN_CRASH_TRACE") != NULL)
		fprintf(stderr, "crashvfs: sync %ld: %s (%zu dirty)\n", nsyncs,
		    f->t->path, f->t->nsec);
	if (crash_at > 0 && nsyncs == crash_at)
		cut();
	if (nosync) {
		pthread_mutex_unlock(&mu);
		return (SQLITE_OK);
	}
	rc = f->rm->xSync(f->real, flags);
	if (rc == SQLITE_OK) {
		/* Everything written to this file is durable now. */
		f->t->nsec = 0;
		if (f->rm->xFileSize(f->real, &sz) == SQLITE_OK)
			f->t->synced_size = sz;
	}
	pthread_mutex_unlock(&mu);
	return (rc);
}

static int
c_size(sqlite3_file *p, sqlite3_int64 *sz)
{
	return (((struct cfile *) p)->rm->xFileSize(((struct cfile *) p)->real, sz));
}

static int
c_lock(sqlite3_file *p, int l)
{
	return (((struct cfile *) p)->rm->xLock(((struct cfile *) p)->real, l));
}

static int
c_unlock(sqlite3_file *p, int l)
{
	return (((struct cfile *) p)->rm->xUnlock(((struct cfile *) p)->real, l));
}

static int
c_reserved(sqlite3_file *p, int *out)
{
	return (((struct cfile *) p)->rm->xCheckReservedLock(((struct cfile *) p)->real, out));
}

static int
c_fcntl(sqlite3_file *p, int op, void *arg)
{
	return (((struct cfile *) p)->rm->xFileControl(((struct cfile *) p)->real, op, arg));
}

static int
c_sectorsize(sqlite3_file *p)
{
	return (((struct cfile *) p)->rm->xSectorSize(((struct cfile *) p)->real));
}

static int
c_devchar(sqlite3_file *p)
{
	/* No SAFE_APPEND or SEQUENTIAL promise (the cut reorders);
	 * POWERSAFE_OVERWRITE is modelled (see cut). */
	return (((struct cfile *) p)->rm->xDeviceCharacteristics(
	    ((struct cfile *) p)->real) & ~(SQLITE_IOCAP_SAFE_APPEND |
	    SQLITE_IOCAP_SEQUENTIAL));
}

static int
c_shmmap(sqlite3_file *p, int pg, int sz, int ext, void volatile **pp)
{
	return (((struct cfile *) p)->rm->xShmMap(((struct cfile *) p)->real, pg, sz, ext, pp));
}

static int
c_shmlock(sqlite3_file *p, int off, int n, int flags)
{
	return (((struct cfile *) p)->rm->xShmLock(((struct cfile *) p)->real, off, n, flags));
}

static void
c_shmbarrier(sqlite3_file *p)
{
	((struct cfile *) p)->rm->xShmBarrier(((struct cfile *) p)->real);
}

static int
c_shmunmap(sqlite3_file *p, int del)
{
	return (((struct cfile *) p)->rm->xShmUnmap(((struct cfile *) p)->real, del));
}

static int
c_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **pp)
{
	(void) p;
	(void) off;
	(void) amt;
	*pp = NULL;	/* no memory-mapped reads: every read is seen */
	return (SQLITE_OK);
}

static int
c_unfetch(sqlite3_file *p, sqlite3_int64 off, void *pg)
{
	(void) p;
	(void) off;
	(void) pg;
	return (SQLITE_OK);
}

static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags,
    int *oflags)
{
	struct cfile	*f = (struct cfile *) p;
	int		 rc;

	(void) vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *) (f + 1);
	rc = base_vfs->xOpen(base_vfs, name, f->real, flags, oflags);
	if (f->real->pMethods == NULL)
		return (rc);
	f->rm = f->real->pMethods;
	pthread_mutex_lock(&mu);
	f->t = track(name);
	pthread_mutex_unlock(&mu);
	p->pMethods = &crash_io;
	return (rc);
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	(void) vfs;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < MAX_FILES; i++)
		if (name != NULL && strcmp(files[i].path, name) == 0) {
			/* A deleted file is gone for good (not modelled:
			 * an unsynced directory). */
			files[i].nsec = 0;
			files[i].synced_size = 0;
		}
	pthread_mutex_unlock(&mu);
	return (base_vfs->xDelete(base_vfs, name, dirsync));
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void) vfs;
	return (base_vfs->xAccess(base_vfs, name, flags, out));
}

static int
v_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void) vfs;
	return (base_vfs->xFullPathname(base_vfs, name, n, out));
}

static int
v_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return (base_vfs->xRandomness(base_vfs, n, out));
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void) vfs;
	return (base_vfs->xSleep(base_vfs, us));
}

static int
v_time(sqlite3_vfs *vfs, double *out)
{
	(void) vfs;
	return (base_vfs->xCurrentTime(base_vfs, out));
}

static int
v_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return (base_vfs->xGetLastError(base_vfs, n, out));
}

static int
v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void) vfs;
	return (base_vfs->xCurrentTimeInt64(base_vfs, out));
}

__attribute__((constructor)) static void
crashvfs_init(void)
{
	const char	*s;

	if ((base_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return;
	crash_at = (s = getenv("LSN_CRASH_AT")) != NULL ? atol(s) : 0;
	nosync = (s = getenv("LSN_CRASH_NOSYNC")) != NULL && *s == '1';
	rng = (s = getenv("LSN_CRASH_SEED")) != NULL ?
	    strtoull(s, NULL, 10) : 1;
	rng = rng * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (rng == 0)
		rng = 1;

	crash_io.iVersion = 3;
	crash_io.xClose = c_close;
	crash_io.xRead = c_read;
	crash_io.xWrite = c_write;
	crash_io.xTruncate = c_truncate;
	crash_io.xSync = c_sync;
	crash_io.xFileSize = c_size;
	crash_io.xLock = c_lock;
	crash_io.xUnlock = c_unlock;
	crash_io.xCheckReservedLock = c_reserved;
	crash_io.xFileControl = c_fcntl;
	crash_io.xSectorSize = c_sectorsize;
	crash_io.xDeviceCharacteristics = c_devchar;
	crash_io.xShmMap = c_shmmap;
	crash_io.xShmLock = c_shmlock;
	crash_io.xShmBarrier = c_shmbarrier;
	crash_io.xShmUnmap = c_shmunmap;
	crash_io.xFetch = c_fetch;
	crash_io.xUnfetch = c_unfetch;

	crash_vfs = *base_vfs;
	crash_vfs.iVersion = 2;
	crash_vfs.szOsFile = (int) sizeof(struct cfile) + base_vfs->szOsFile;
	crash_vfs.zName = "crashvfs";
	crash_vfs.pAppData = NULL;
	crash_vfs.xOpen = v_open;
	crash_vfs.xDelete = v_delete;
	crash_vfs.xAccess = v_access;
	crash_vfs.xFullPathname = v_fullpath;
	crash_vfs.xRandomness = v_random;
	crash_vfs.xSleep = v_sleep;
	crash_vfs.xCurrentTime = v_time;
	crash_vfs.xGetLastError = v_lasterr;
	crash_vfs.xCurrentTimeInt64 = v_time64;
	(void) sqlite3_vfs_register(&crash_vfs, 1);
	fprintf(stderr, "crashvfs: loaded (cut at sync %ld, seed %s%s)\n",
	    crash_at, (s = getenv("LSN_CRASH_SEED")) != NULL ? s : "1",
	    nosync ? ", syncs skipped" : "");
}
