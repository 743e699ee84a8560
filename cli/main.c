/* main.c -- the liaison command-line tool. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("liaison %s\n", LSN_VERSION);
		return (0);
	}
	fprintf(stderr, "usage: liaison [--version]\n");
	return (2);
}
