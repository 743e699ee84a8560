/*
 * lsn_test.h -- helpers for cmocka tests: assertion macros that print the
 * lsn_err string, temporary directories, a file copy, a count read from a
 * sqlite database, a fault shim built for LD_PRELOAD, and (for integration
 * tests) running the real binaries.
 */
#ifndef LSN_TEST_H
#define LSN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "liaison/err.h"

#define assert_ok(expr) do {						\
	int rv_ = (expr);						\
	if (rv_ != LSN_OK)						\
		fail_msg("%s: %s (%d)", #expr, lsn_strerror(rv_), rv_);	\
} while (0)

#define assert_err(expr, e) do {					\
	int rv_ = (expr);						\
	if (rv_ != (e))							\
		fail_msg("%s: got %s (%d), want %s", #expr,		\
		    lsn_errname(rv_), rv_, lsn_errname(e));		\
} while (0)

/* Creates a fresh temporary directory (mode 0700); returns a malloc'd path
 * the caller frees after lsn_test_rmdir(). Fails the test on error. */
char	*lsn_test_tmpdir(void);
/* Removes a directory tree (rm -rf); ignores errors. */
void	 lsn_test_rmdir(const char *path);
/* Joins dir and name into a malloc'd path. */
char	*lsn_test_path(const char *dir, const char *name);
/* Copies the file from to the file to (created or truncated). Fails the
 * test on error. */
void	 lsn_test_copy_file(const char *from, const char *to);
/* The first column of the first row of sql on the sqlite database at
 * path, opened read-only (busy timeout 5 s); -1 when there is no row.
 * Fails the test when the database does not open or sql does not
 * prepare. */
long long lsn_test_db_count(const char *path, const char *sql);

/*
 * Builds the fault shim tests/faults/<name>.c of $LSN_SRC_DIR into
 * dir/<name>.so (${CC:-cc} -O1 -shared -fPIC, then libs), its path in
 * shim; preload gets the LD_PRELOAD value for the daemons: the
 * AddressSanitizer runtime of this process first when there is one
 * (then 1 is returned), else the shim alone (0). Fails the test when
 * LSN_SRC_DIR is unset or the build fails.
 */
int	 lsn_test_build_shim(const char *dir, const char *name,
	    const char *libs, char *shim, size_t shimsz, char *preload,
	    size_t preloadsz);

#endif
