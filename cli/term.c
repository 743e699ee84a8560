/*
 * term.c -- colour and pager conventions (term.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "term.h"

static int	color = -1;
static pid_t	pager_pid = -1;

static int
use_color(void)
{
	const char	*nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (color < 0)
		color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0') &&
		    term != NULL && strcmp(term, "dumb") != 0;
	return (color);
}

const char *
cli_c_bold(void)
{
	return (use_color() ? "\033[1m" : "");
}

const char *
cli_c_red(void)
{
	return (use_color() ? "\033[31m" : "");
}

const char *
cli_c_off(void)
{
	return (use_color() ? "\033[0m" : "");
}

void
cli_pager_start(void)
{
	const char	*p = getenv("LIAISON_PAGER");
	int		 fd[2];
	pid_t		 pid;

	if (!isatty(STDOUT_FILENO) || pager_pid != -1)
		return;
	(void) use_color();	/* decided for the terminal, before the pipe */
	if (p == NULL)
		p = getenv("PAGER");
	if (p == NULL)
		p = "less -FRX";
	if (p[0] == '\0' || strcmp(p, "cat") == 0 || pipe(fd) != 0)
		return;
	fflush(stdout);
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", p, (char *) NULL);
		_exit(127);
	}
	dup2(fd[1], STDOUT_FILENO);
	close(fd[0]);
	close(fd[1]);
	signal(SIGPIPE, SIG_IGN);
	pager_pid = pid;
}

void
cli_pager_end(void)
{
	int	st;

	if (pager_pid == -1)
		return;
	fflush(stdout);
	close(STDOUT_FILENO);
	while (waitpid(pager_pid, &st, 0) < 0)
		;
	pager_pid = -1;
}
