/* lsn_test.c -- shared test helpers. */
#include <sys/stat.h>
#include <sys/types.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lsn_proc.h"
#include "lsn_test.h"

char *
lsn_test_tmpdir(void)
{
	char	 tmpl[] = "/tmp/lsn-test-XXXXXX";
	char	*p;

	if (mkdtemp(tmpl) == NULL)
		fail_msg("mkdtemp failed");
	p = strdup(tmpl);
	if (p == NULL)
		fail_msg("strdup failed");
	return (p);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path) != 0 ? 0 : 0);
}

void
lsn_test_rmdir(const char *path)
{
	if (path != NULL)
		(void) nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

char *
lsn_test_path(const char *dir, const char *name)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*p = malloc(n);

	if (p == NULL)
		fail_msg("malloc failed");
	snprintf(p, n, "%s/%s", dir, name);
	return (p);
}

void
lsn_test_copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 buf[65536];
	size_t	 n;

	assert_non_null(in = fopen(from, "rb"));
	assert_non_null(out = fopen(to, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	assert_int_equal(ferror(in), 0);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

long long
lsn_test_db_count(const char *path, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	long long	 n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

int
lsn_test_build_shim(const char *dir, const char *name, const char *libs,
    char *shim, size_t shimsz, char *preload, size_t preloadsz)
{
	const char	*src = getenv("LSN_SRC_DIR");
	char		 cmd[4096], asan[1024];
	char		*argv[4];
	int		 st;

	assert_non_null(src);
	snprintf(shim, shimsz, "%s/%s.so", dir, name);
	snprintf(cmd, sizeof(cmd), "exec ${CC:-cc} -O1 -shared -fPIC -o "
	    "'%s' '%s/tests/faults/%s.c' %s", shim, src, name, libs);
	argv[0] = lsn_proc_mut("sh");
	argv[1] = lsn_proc_mut("-c");
	argv[2] = cmd;
	argv[3] = NULL;
	st = lsn_proc_run("/bin/sh", argv, NULL, NULL, 60000);
	if (st != 0)
		fail_msg("cannot build the fault shim %s (%s): status %d",
		    name, cmd, st);
	if (lsn_proc_asan_runtime(asan, sizeof(asan))) {
		snprintf(preload, preloadsz, "%s %s", asan, shim);
		return (1);
	}
	snprintf(preload, preloadsz, "%s", shim);
	return (0);
}
