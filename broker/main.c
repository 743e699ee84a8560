/* main.c -- liaison-broker entry point: flags, configuration, daemon. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "liaison/harden.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [--init] [-c file] | -E | "
	    "--version\n",
	    BROKER_NAME);
	exit(2);
}

/* Over 80 lines: the start-up in order, from flags to the loop. */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "init", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	struct broker	 b;
	const char	*conf = "/etc/liaison/broker.conf";
	char		 err[512];
	int		 ch, debug = 0, check = 0, verbose = 0, init = 0, rv;

	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", BROKER_NAME, LSN_VERSION);
		return (0);
	}
	if (argc > 1 && strcmp(argv[1], "--example-config") == 0)
		return (bconf_write_example(stdout) == LSN_OK ? 0 : 1);
	while ((ch = getopt_long(argc, argv, "c:dEnv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'I':
			init = 1;
			break;
		case 'E':
			return (bconf_write_example(stdout) == LSN_OK ? 0 : 1);
		case 'c':
			conf = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, LOG_DAEMON, BROKER_NAME);
	log_setverbose(verbose);
	/* before anything is created or a key is loaded */
	if (lsn_harden_process(err, sizeof(err)) != LSN_OK)
		fatalx("cannot harden the process: %s", err);
	if (lsn_init() != LSN_OK)
		fatalx("cannot initialise libsodium");
	lsn_malloc_tune();
	memset(&b, 0, sizeof(b));
	b.clock = lsn_clock_system();
	b.db_init = init;
	if (lsn_strlcpy(b.conf_path, conf, sizeof(b.conf_path)) >=
	    sizeof(b.conf_path))
		fatalx("configuration path too long");
	if (bconf_load(conf, &b.conf, err, sizeof(err)) != LSN_OK) {
		fprintf(stderr, "%s: %s\n", BROKER_NAME, err);
		return (1);
	}
	if (b.conf.verbose && verbose == 0)
		log_setverbose(1);
	lsn_log_set_format(lsn_log_format_parse(b.conf.log_format));
	if (check) {
		struct lsn_keypair *kp = NULL;

		if ((rv = lsn_keypair_load(b.conf.sign_key, &kp)) != LSN_OK) {
			fprintf(stderr, "%s: sign_key %s: %s\n", BROKER_NAME,
			    b.conf.sign_key, lsn_strerror(rv));
			return (1);
		}
		lsn_keypair_destroy(&kp);
		if ((rv = lsn_keypair_load(b.conf.transport_key, &kp)) !=
		    LSN_OK) {
			fprintf(stderr, "%s: transport_key %s: %s\n",
			    BROKER_NAME, b.conf.transport_key,
			    lsn_strerror(rv));
			return (1);
		}
		lsn_keypair_destroy(&kp);
		if (verbose)
			(void) bconf_dump(&b.conf);
		printf("configuration OK\n");
		return (0);
	}
	if ((rv = lsn_harden_db_files(b.conf.db)) < 0)
		fatalx("%s: %s", b.conf.db, lsn_strerror(rv));
	if (rv > 0)
		log_warnx("%s: took group/other access off %d file(s)",
		    b.conf.db, rv);
	if (!debug) {
		log_init(0, LOG_DAEMON, BROKER_NAME);
		log_setverbose(verbose || b.conf.verbose);
		/* Keep the working directory: relative paths in the
		 * configuration mean the same as for -n. */
		if (daemon(1, 0) == -1)
			fatal("daemon");
	}
	if ((rv = broker_open_state(&b)) != LSN_OK) {
		broker_close(&b);
		log_warnx("cannot start: %s", lsn_strerror(rv));
		return (1);
	}
	rv = broker_run(&b);
	broker_close(&b);
	return (rv == LSN_OK ? 0 : 1);
}
