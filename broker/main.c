/* main.c -- liaison-broker entry point. */
#include <stdio.h>
#include <string.h>

#include "broker.h"

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", broker_name(), LSN_VERSION);
		return (0);
	}
	fprintf(stderr, "usage: %s [--version]\n", broker_name());
	return (2);
}
