/*
 * lsn_tstore.h -- the backend of the stores a module test creates: sqlite
 * (the default) or, when the environment has LSN_TEST_STORE=pg (the
 * tests registered a second time as <name>_pg), PostgreSQL. Shared setup
 * code (btest.h, lsn_fixture, dir_fixture.h) asks lsn_tstore_path for
 * the place of a new store instead of naming a file.
 *
 * On PostgreSQL one throwaway server (pgtmp.h) serves the whole test
 * process: started at the first lsn_tstore_path, stopped by pid at exit
 * (also after a failed assertion: pgtmp's atexit handler; its
 * PR_SET_PDEATHSIG when the test dies from a signal). Every call creates
 * a fresh database on it, so test cases never see each other's rows.
 *
 * Ownership: nothing to free; the path is written into the caller's
 * buffer. Not thread-safe.
 */
#ifndef LSN_TSTORE_H
#define LSN_TSTORE_H

#include <stddef.h>

/* 1 when LSN_TEST_STORE=pg. */
int	lsn_tstore_pg(void);

/*
 * The place of a new, empty store: "dir/name" (dir NULL: name as is, e.g.
 * ":memory:") on sqlite; on PostgreSQL a postgresql:// URI of a fresh
 * database (dir and name unused). LSN_OK, or an LSN_E* code with the
 * reason on stderr (no server, buffer too small).
 */
int	lsn_tstore_path(const char *dir, const char *name, char *buf,
	    size_t bufsz);

#endif
