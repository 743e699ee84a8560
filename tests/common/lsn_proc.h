/*
 * lsn_proc.h -- running the real binaries from tests: spawn a daemon with
 * its output in a log file, wait for a file it writes (endpoint file, API
 * socket), stop it by pid, run a CLI command to completion capturing its
 * stdout; a free port, a log's size and what it says since an offset,
 * the sanitizer runtime to preload before a shim.
 *
 * Every spawned pid is kept in a registry. lsn_proc_kill_all() (call it from
 * a cmocka teardown) and an atexit handler installed by the first spawn
 * SIGKILL whatever is still running, so a failed assertion never leaves a
 * daemon behind. On Linux children also get PR_SET_PDEATHSIG(SIGKILL), which
 * covers a test that dies from a signal (sanitizer abort, timeout).
 *
 * Binaries: lsn_proc_bin("broker/liaison-broker") -> "$LSN_BIN_DIR/broker/
 * liaison-broker" (malloc'd). LSN_BIN_DIR is set by ctest.
 *
 * Not thread-safe (tests are single-threaded).
 */
#ifndef LSN_PROC_H
#define LSN_PROC_H

#include <sys/types.h>

#include <stddef.h>

#define LSN_PROC_MAX	64	/* registry size */

/* Well-known binaries relative to LSN_BIN_DIR. */
#define LSN_BIN_BROKER	"broker/liaison-broker"
#define LSN_BIN_AGENT	"agent/liaison-agent"
#define LSN_BIN_CLI	"cli/liaison"

/*
 * Returns "$LSN_BIN_DIR/rel" as a malloc'd string (caller frees). Falls
 * back to "./rel" when LSN_BIN_DIR is unset. NULL on allocation failure.
 */
char	*lsn_proc_bin(const char *rel);

/*
 * Starts path with argv (argv[0] included, NULL-terminated) with stdin from
 * /dev/null and stdout + stderr appended to logpath (created 0600; NULL =
 * inherit the test's). The pid is registered. Returns the pid, or -1 (the
 * reason is printed to stderr).
 */
pid_t	 lsn_proc_spawn(const char *path, char *const argv[],
	    const char *logpath);

/*
 * Waits until path exists and is not empty, polling every 10 ms, for at
 * most timeout_ms. If pid > 0 and that process exits meanwhile, returns -1
 * early (it is reaped and unregistered). 0 when the file is there, -1 on
 * timeout.
 */
int	 lsn_proc_wait_file(const char *path, int timeout_ms, pid_t pid);

/* 1 if the registered process pid is still running (reaps it if not). */
int	 lsn_proc_alive(pid_t pid);

/* The resident set size of pid in kB (VmRSS of /proc/pid/status), -1 if
 * it cannot be read. */
long	 lsn_proc_rss_kb(pid_t pid);

/*
 * Stops pid: SIGTERM, wait up to 5 s, then SIGKILL. Unregisters it. Returns
 * the exit status like waitpid's WEXITSTATUS (0..255), 128 + signal if it
 * died from a signal (e.g. 137 after SIGKILL), or -1 if pid is not ours.
 */
int	 lsn_proc_stop(pid_t pid);

/* Sends sig to pid (e.g. SIGHUP). 0 or -1. */
int	 lsn_proc_signal(pid_t pid, int sig);

/* SIGKILL + reap + unregister (a crash). Returns like lsn_proc_stop. */
int	 lsn_proc_kill9(pid_t pid);

/*
 * Waits for pid to exit by itself for at most timeout_ms; returns like
 * lsn_proc_stop, or -2 on timeout (still running and registered).
 */
int	 lsn_proc_wait(pid_t pid, int timeout_ms);

/* SIGKILLs and reaps every registered process (teardown). */
void	 lsn_proc_kill_all(void);

/*
 * Runs path with argv to completion (at most timeout_ms, then SIGKILL).
 * If out is not NULL, stdout is captured into a malloc'd NUL-terminated
 * buffer *out (caller frees; capped at 4 MiB); stderr goes to the test's
 * stderr, or to errlog when it is not NULL (appended). Returns the exit
 * status as lsn_proc_stop, or -1 if it could not be run / timed out.
 */
int	 lsn_proc_run(const char *path, char *const argv[], char **out,
	    const char *errlog, int timeout_ms);

/* Prints the last maxbytes of a log file to stderr, framed by its name
 * (for failure diagnostics). */
void	 lsn_proc_dump_log(const char *logpath, size_t maxbytes);

/* Sleeps ms milliseconds. */
void	 lsn_proc_sleep_ms(int ms);

/* s without its const, for the argv of lsn_proc_spawn and lsn_proc_run
 * (which do not write to it). */
char	*lsn_proc_mut(const char *s);

/* A TCP port free on 127.0.0.1 right now (bound to 0, read, closed: the
 * kernel's pick), or -1. */
int	 lsn_proc_free_port(void);

/* The size of the file at path in bytes, 0 when it is not there (of a
 * log: the offset for lsn_proc_log_has of what is written next). */
long	 lsn_proc_file_size(const char *path);

/* 1 if the log at path holds needle after byte off (the first 4 MiB
 * from there are read), else 0. */
int	 lsn_proc_log_has(const char *path, long off, const char *needle);

/* 1 and the path of the AddressSanitizer runtime mapped into this
 * process in buf, if there is one (the daemons are built like the test:
 * an LD_PRELOAD'ed shim must come after it); else 0. */
int	 lsn_proc_asan_runtime(char *buf, size_t bufsz);

#endif
