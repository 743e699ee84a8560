/* lsn_proc.c -- spawning and stopping the real binaries from tests. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liaison/util.h"

#include "lsn_proc.h"

static pid_t	registry[LSN_PROC_MAX];
static int	atexit_done;

static void
reg_add(pid_t pid)
{
	for (int i = 0; i < LSN_PROC_MAX; i++)
		if (registry[i] == 0) {
			registry[i] = pid;
			return;
		}
	fprintf(stderr, "lsn_proc: registry full, pid %d not tracked\n",
	    (int) pid);
}

static int
reg_has(pid_t pid)
{
	for (int i = 0; i < LSN_PROC_MAX; i++)
		if (pid > 0 && registry[i] == pid)
			return (1);
	return (0);
}

static void
reg_del(pid_t pid)
{
	for (int i = 0; i < LSN_PROC_MAX; i++)
		if (registry[i] == pid)
			registry[i] = 0;
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return (WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return (128 + WTERMSIG(st));
	return (-1);
}

void
lsn_proc_sleep_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long) (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
lsn_proc_kill_all(void)
{
	for (int i = 0; i < LSN_PROC_MAX; i++) {
		pid_t	pid = registry[i];

		if (pid <= 0)
			continue;
		(void) kill(pid, SIGKILL);
		(void) waitpid(pid, NULL, 0);
		registry[i] = 0;
	}
}

static void
atexit_kill(void)
{
	lsn_proc_kill_all();
}

char *
lsn_proc_bin(const char *rel)
{
	const char	*dir = getenv("LSN_BIN_DIR");
	size_t		 n;
	char		*p;

	if (dir == NULL || *dir == '\0')
		dir = ".";
	n = strlen(dir) + strlen(rel) + 2;
	if ((p = malloc(n)) == NULL)
		return (NULL);
	snprintf(p, n, "%s/%s", dir, rel);
	return (p);
}

static void
child_setup(const char *logpath, int outfd)
{
	int	fd;

#ifdef __linux__
	(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	(void) signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		(void) dup2(fd, 0);
		if (fd > 2)
			close(fd);
	}
	if (logpath != NULL) {
		fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1)
			_exit(126);
		(void) dup2(fd, 2);
		if (outfd == -1)
			(void) dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	if (outfd != -1) {
		(void) dup2(outfd, 1);
		close(outfd);
	}
}

pid_t
lsn_proc_spawn(const char *path, char *const argv[], const char *logpath)
{
	pid_t	pid;

	if (!atexit_done) {
		atexit(atexit_kill);
		atexit_done = 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		fprintf(stderr, "lsn_proc: fork: %s\n", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		child_setup(logpath, -1);
		execv(path, argv);
		fprintf(stderr, "lsn_proc: exec %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	reg_add(pid);
	return (pid);
}

long
lsn_proc_rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*fp;
	long	 kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(fp);
	return (kb);
}

int
lsn_proc_alive(pid_t pid)
{
	int	st;
	pid_t	r;

	if (!reg_has(pid))
		return (0);
	r = waitpid(pid, &st, WNOHANG);
	if (r == 0)
		return (1);
	reg_del(pid);
	return (0);
}

int
lsn_proc_wait_file(const char *path, int timeout_ms, pid_t pid)
{
	long long	end = mono_ms() + timeout_ms;
	struct stat	sb;

	for (;;) {
		if (stat(path, &sb) == 0 && (sb.st_size > 0 ||
		    S_ISSOCK(sb.st_mode)))
			return (0);
		if (pid > 0 && !lsn_proc_alive(pid))
			return (-1);
		if (mono_ms() >= end)
			return (-1);
		lsn_proc_sleep_ms(10);
	}
}

int
lsn_proc_wait(pid_t pid, int timeout_ms)
{
	long long	end = mono_ms() + timeout_ms;
	int		st;
	pid_t		r;

	if (!reg_has(pid))
		return (-1);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			reg_del(pid);
			return (status_code(st));
		}
		if (r == -1 && errno != EINTR) {
			reg_del(pid);
			return (-1);
		}
		if (mono_ms() >= end)
			return (-2);
		lsn_proc_sleep_ms(10);
	}
}

int
lsn_proc_signal(pid_t pid, int sig)
{
	if (!reg_has(pid))
		return (-1);
	return (kill(pid, sig) == 0 ? 0 : -1);
}

int
lsn_proc_stop(pid_t pid)
{
	int	rv, st;

	if (!reg_has(pid))
		return (-1);
	(void) kill(pid, SIGTERM);
	rv = lsn_proc_wait(pid, 5000);
	if (rv != -2)
		return (rv);
	fprintf(stderr, "lsn_proc: pid %d ignored SIGTERM, killing\n",
	    (int) pid);
	(void) kill(pid, SIGKILL);
	rv = -1;
	if (waitpid(pid, &st, 0) == pid)
		rv = status_code(st);
	reg_del(pid);
	return (rv);
}

int
lsn_proc_kill9(pid_t pid)
{
	int	rv = -1, st;

	if (!reg_has(pid))
		return (-1);
	(void) kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) == pid)
		rv = status_code(st);
	reg_del(pid);
	return (rv);
}

int
lsn_proc_run(const char *path, char *const argv[], char **out,
    const char *errlog, int timeout_ms)
{
	int		 pfd[2] = { -1, -1 }, st, rv = -1, done = 0;
	char		*buf = NULL, *nb;
	size_t		 len = 0, cap = 0;
	long long	 end;
	pid_t		 pid, r;

	if (pipe(pfd) == -1)
		return (-1);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		return (-1);
	}
	if (pid == 0) {
		close(pfd[0]);
		child_setup(errlog, pfd[1]);
		execv(path, argv);
		fprintf(stderr, "lsn_proc: exec %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	reg_add(pid);
	end = mono_ms() + timeout_ms;
	while (!done) {
		struct pollfd	pf = { .fd = pfd[0], .events = POLLIN };
		long long	left = end - mono_ms();
		char		tmp[4096];
		ssize_t		n;

		if (left <= 0)
			break;
		if (poll(&pf, 1, (int) left) <= 0)
			continue;
		n = read(pfd[0], tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			done = 1;
			break;
		}
		if (len + (size_t) n + 1 > cap) {
			size_t ncap = cap == 0 ? 8192 : cap * 2;

			while (ncap < len + (size_t) n + 1)
				ncap *= 2;
			if (ncap > 4 * 1024 * 1024)
				continue;	/* drop output beyond the cap */
			if ((nb = realloc(buf, ncap)) == NULL)
				continue;
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + len, tmp, (size_t) n);
		len += (size_t) n;
	}
	close(pfd[0]);
	if (!done) {
		fprintf(stderr, "lsn_proc: %s timed out, killing\n", path);
		(void) kill(pid, SIGKILL);
	}
	do {
		r = waitpid(pid, &st, 0);
	} while (r == -1 && errno == EINTR);
	reg_del(pid);
	if (r == pid && done)
		rv = status_code(st);
	if (out != NULL) {
		if (buf == NULL)
			buf = calloc(1, 1);
		else
			buf[len] = '\0';
		*out = buf;
		buf = NULL;
	}
	free(buf);
	return (rv);
}

void
lsn_proc_dump_log(const char *logpath, size_t maxbytes)
{
	FILE	*f;
	long	 sz;
	int	 c;

	if (logpath == NULL || (f = fopen(logpath, "r")) == NULL)
		return;
	fprintf(stderr, "----- %s (tail) -----\n", logpath);
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 &&
	    (size_t) sz > maxbytes)
		(void) fseek(f, sz - (long) maxbytes, SEEK_SET);
	else
		rewind(f);
	while ((c = fgetc(f)) != EOF)
		fputc(c, stderr);
	fprintf(stderr, "----- end of %s -----\n", logpath);
	fclose(f);
}

int
lsn_proc_free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
		port = ntohs(sa.sin_port);
	(void) close(fd);
	return (port);
}

long
lsn_proc_file_size(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0 ? (long) sb.st_size : 0);
}

int
lsn_proc_log_has(const char *path, long off, const char *needle)
{
	FILE	*f;
	char	*buf;
	long	 n;
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	if (fseek(f, off, SEEK_SET) == 0 &&
	    (buf = malloc(1 << 22)) != NULL) {
		n = (long) fread(buf, 1, (1 << 22) - 1, f);
		buf[n] = '\0';
		found = strstr(buf, needle) != NULL;
		free(buf);
	}
	fclose(f);
	return (found);
}

int
lsn_proc_asan_runtime(char *buf, size_t bufsz)
{
	FILE	*f;
	char	 line[1024], *p;
	int	 found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "/libasan.so") == NULL ||
		    (p = strchr(line, '/')) == NULL)
			continue;
		p[strcspn(p, "\n")] = '\0';
		found = lsn_strlcpy(buf, p, bufsz) < bufsz;
	}
	fclose(f);
	return (found);
}

char *
lsn_proc_mut(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}
