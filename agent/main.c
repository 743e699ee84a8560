/* main.c -- liaison-agent entry point. */
#include <stdio.h>
#include <string.h>

#include "agent.h"

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", agent_name(), LSN_VERSION);
		return (0);
	}
	fprintf(stderr, "usage: %s [--version]\n", agent_name());
	return (2);
}
