/*
 * metrics_vfs.c -- times sqlite's fsyncs: a VFS that wraps the default one
 * and forwards every call, timing xSync into a process-wide histogram of
 * atomic counters (sqlite may sync from any thread that owns a
 * connection). Registered as the new default by lsn_metrics_fsync_install.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "liaison/metrics.h"
#include "metrics_int.h"
#include "store_int.h"

static const double fs_bounds[] = { 0.0001, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
#define FS_NB	(sizeof(fs_bounds) / sizeof(fs_bounds[0]))

static _Atomic uint64_t	fs_b[FS_NB];
static _Atomic uint64_t	fs_count;
static _Atomic uint64_t	fs_sum_ns;

static sqlite3_vfs	*base;
static sqlite3_vfs	 tvfs;
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 install_rv;

struct tfile {
	sqlite3_file	 f;
	sqlite3_file	*real;	/* follows this struct */
};
#define R(p)	(((struct tfile *) (p))->real)

static int
t_close(sqlite3_file *p)
{
	return (R(p)->pMethods->xClose(R(p)));
}
static int
t_read(sqlite3_file *p, void *b, int n, sqlite3_int64 o)
{
	return (R(p)->pMethods->xRead(R(p), b, n, o));
}
static int
t_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 o)
{
	return (R(p)->pMethods->xWrite(R(p), b, n, o));
}
static int
t_truncate(sqlite3_file *p, sqlite3_int64 n)
{
	return (R(p)->pMethods->xTruncate(R(p), n));
}
static int
t_sync(sqlite3_file *p, int flags)
{
	struct timespec	a, b;
	uint64_t	ns;
	double		s;
	size_t		i;
	int		rv;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rv = R(p)->pMethods->xSync(R(p), flags);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (uint64_t) (b.tv_sec - a.tv_sec) * 1000000000ULL +
	    (uint64_t) b.tv_nsec - (uint64_t) a.tv_nsec;
	s = (double) ns / 1e9;
	for (i = 0; i < FS_NB && s > fs_bounds[i]; i++)
		;
	if (i < FS_NB)
		atomic_fetch_add(&fs_b[i], 1);
	atomic_fetch_add(&fs_count, 1);
	atomic_fetch_add(&fs_sum_ns, ns);
	return (rv);
}
static int
t_size(sqlite3_file *p, sqlite3_int64 *n)
{
	return (R(p)->pMethods->xFileSize(R(p), n));
}
static int
t_lock(sqlite3_file *p, int l)
{
	return (R(p)->pMethods->xLock(R(p), l));
}
static int
t_unlock(sqlite3_file *p, int l)
{
	return (R(p)->pMethods->xUnlock(R(p), l));
}
static int
t_check(sqlite3_file *p, int *out)
{
	return (R(p)->pMethods->xCheckReservedLock(R(p), out));
}
static int
t_fcntl(sqlite3_file *p, int op, void *arg)
{
	return (R(p)->pMethods->xFileControl(R(p), op, arg));
}
static int
t_sector(sqlite3_file *p)
{
	return (R(p)->pMethods->xSectorSize(R(p)));
}
static int
t_dev(sqlite3_file *p)
{
	return (R(p)->pMethods->xDeviceCharacteristics(R(p)));
}
static int
t_shmmap(sqlite3_file *p, int pg, int sz, int ext, void volatile **pp)
{
	return (R(p)->pMethods->xShmMap(R(p), pg, sz, ext, pp));
}
static int
t_shmlock(sqlite3_file *p, int off, int n, int flags)
{
	return (R(p)->pMethods->xShmLock(R(p), off, n, flags));
}
static void
t_shmbarrier(sqlite3_file *p)
{
	R(p)->pMethods->xShmBarrier(R(p));
}
static int
t_shmunmap(sqlite3_file *p, int del)
{
	return (R(p)->pMethods->xShmUnmap(R(p), del));
}
static int
t_fetch(sqlite3_file *p, sqlite3_int64 o, int n, void **pp)
{
	return (R(p)->pMethods->xFetch(R(p), o, n, pp));
}
static int
t_unfetch(sqlite3_file *p, sqlite3_int64 o, void *pp)
{
	return (R(p)->pMethods->xUnfetch(R(p), o, pp));
}

static const sqlite3_io_methods t_io_v1 = { 1, t_close, t_read, t_write,
    t_truncate, t_sync, t_size, t_lock, t_unlock, t_check, t_fcntl,
    t_sector, t_dev, NULL, NULL, NULL, NULL, NULL, NULL };
static const sqlite3_io_methods t_io_v2 = { 2, t_close, t_read, t_write,
    t_truncate, t_sync, t_size, t_lock, t_unlock, t_check, t_fcntl,
    t_sector, t_dev, t_shmmap, t_shmlock, t_shmbarrier, t_shmunmap, NULL,
    NULL };
static const sqlite3_io_methods t_io_v3 = { 3, t_close, t_read, t_write,
    t_truncate, t_sync, t_size, t_lock, t_unlock, t_check, t_fcntl,
    t_sector, t_dev, t_shmmap, t_shmlock, t_shmbarrier, t_shmunmap,
    t_fetch, t_unfetch };

static int
t_open(sqlite3_vfs *v, const char *name, sqlite3_file *p, int flags,
    int *oflags)
{
	struct tfile	*t = (struct tfile *) p;
	const sqlite3_io_methods *m;
	int		 rv;

	(void) v;
	t->real = (sqlite3_file *) (t + 1);
	memset(t->real, 0, (size_t) base->szOsFile);
	rv = base->xOpen(base, name, t->real, flags, oflags);
	m = t->real->pMethods;
	if (m == NULL)
		p->pMethods = NULL;
	else if (m->iVersion >= 3)
		p->pMethods = &t_io_v3;
	else if (m->iVersion == 2)
		p->pMethods = &t_io_v2;
	else
		p->pMethods = &t_io_v1;
	return (rv);
}

/* The file-independent calls go straight to the wrapped VFS. */
static int
t_delete(sqlite3_vfs *v, const char *n, int sync)
{
	(void) v;
	return (base->xDelete(base, n, sync));
}
static int
t_access(sqlite3_vfs *v, const char *n, int f, int *out)
{
	(void) v;
	return (base->xAccess(base, n, f, out));
}
static int
t_fullpath(sqlite3_vfs *v, const char *n, int sz, char *out)
{
	(void) v;
	return (base->xFullPathname(base, n, sz, out));
}
static void *
t_dlopen(sqlite3_vfs *v, const char *n)
{
	(void) v;
	return (base->xDlOpen(base, n));
}
static void
t_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void) v;
	base->xDlError(base, n, out);
}
static void (*t_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
	(void) v;
	return (base->xDlSym(base, h, s));
}
static void
t_dlclose(sqlite3_vfs *v, void *h)
{
	(void) v;
	base->xDlClose(base, h);
}
static int
t_random(sqlite3_vfs *v, int n, char *out)
{
	(void) v;
	return (base->xRandomness(base, n, out));
}
static int
t_sleep(sqlite3_vfs *v, int us)
{
	(void) v;
	return (base->xSleep(base, us));
}
static int
t_time(sqlite3_vfs *v, double *out)
{
	(void) v;
	return (base->xCurrentTime(base, out));
}
static int
t_lasterr(sqlite3_vfs *v, int n, char *out)
{
	(void) v;
	return (base->xGetLastError != NULL ?
	    base->xGetLastError(base, n, out) : 0);
}
static int
t_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void) v;
	return (base->xCurrentTimeInt64(base, out));
}

static void
install(void)
{
	store_sqlite_setup();	/* sqlite3_vfs_find initialises sqlite */
	if ((base = sqlite3_vfs_find(NULL)) == NULL) {
		install_rv = LSN_EDB;
		return;
	}
	tvfs.iVersion = 2;
	tvfs.szOsFile = (int) sizeof(struct tfile) + base->szOsFile;
	tvfs.mxPathname = base->mxPathname;
	tvfs.zName = "lsn-timed";
	tvfs.xOpen = t_open;
	tvfs.xDelete = t_delete;
	tvfs.xAccess = t_access;
	tvfs.xFullPathname = t_fullpath;
	tvfs.xDlOpen = t_dlopen;
	tvfs.xDlError = t_dlerror;
	tvfs.xDlSym = t_dlsym;
	tvfs.xDlClose = t_dlclose;
	tvfs.xRandomness = t_random;
	tvfs.xSleep = t_sleep;
	tvfs.xCurrentTime = t_time;
	tvfs.xGetLastError = t_lasterr;
	tvfs.xCurrentTimeInt64 = base->iVersion >= 2 &&
	    base->xCurrentTimeInt64 != NULL ? t_time64 : NULL;
	install_rv = sqlite3_vfs_register(&tvfs, 1) == SQLITE_OK ? LSN_OK :
	    LSN_EDB;
}

int
lsn_metrics_fsync_install(void)
{
	pthread_once(&once, install);
	return (install_rv);
}

void
metrics_fsync_render(struct mbuf *b, const char *prefix)
{
	uint64_t	c[FS_NB];
	char		name[128];

	for (size_t i = 0; i < FS_NB; i++)
		c[i] = atomic_load(&fs_b[i]);
	snprintf(name, sizeof(name), "%s_sqlite_fsync_seconds", prefix);
	mbuf_printf(b, "# TYPE %s histogram\n# UNIT %s seconds\n"
	    "# HELP %s Time of each fsync sqlite asked for (xSync).\n",
	    name, name, name);
	metrics_put_histogram(b, name, "", fs_bounds, FS_NB, c,
	    atomic_load(&fs_count),
	    (double) atomic_load(&fs_sum_ns) / 1e9);
}
