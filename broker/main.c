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
#include "leader.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [--init] [-c file] | -E | "
	    "--version\n",
	    BROKER_NAME);
	exit(2);
}

/* Back to a fresh struct broker after a term as the active broker: only
 * the configuration and the start-up flags stay. */
static void
reset(struct broker *b)
{
	struct bconf		 conf = b->conf;
	char			 path[BROKER_PATH_MAX];
	const struct lsn_clock	*clock = b->clock;
	int			 init = b->db_init;
	uint64_t		 acc = b->stat_accepted, ref = b->stat_refused;
	uint64_t		 del = b->stat_delivered;

	memcpy(path, b->conf_path, sizeof(path));
	memset(b, 0, sizeof(*b));
	b->conf = conf;
	memcpy(b->conf_path, path, sizeof(path));
	b->clock = clock;
	b->db_init = init;
	b->stat_accepted = acc;
	b->stat_refused = ref;
	b->stat_delivered = del;
}

/*
 * Runs terms of service until a stop: on sqlite one; on PostgreSQL a
 * broker that loses the lease or the store starts again as a standby
 * (leader.h). Returns the exit status.
 */
static int
serve(struct broker *b)
{
	int	rv;

	broker_signals();
	for (int first = 1;; first = 0) {
		/* sqlite: opens the store; PostgreSQL: waits as a standby
		 * until this broker is the active one (leader.h) */
		if ((rv = leader_acquire(b, broker_stopping, first)) !=
		    LSN_OK) {
			broker_close(b);
			if (rv == LEADER_STOPPED) {
				log_info("%s stopped while standby",
				    BROKER_NAME);
				return (0);
			}
			log_warnx("cannot start: %s", lsn_strerror(rv));
			return (1);
		}
		if ((rv = broker_open_state(b)) != LSN_OK) {
			log_warnx("cannot start: %s", lsn_strerror(rv));
			/* keys and files were good at the first start: on a
			 * later term a failure is the store's, waited for */
			if (!leader_on(b) || (first && rv != LSN_ECLOSED)) {
				broker_close(b);
				return (1);
			}
			rv = LSN_ENOTACTIVE;
		} else
			rv = broker_run(b);
		broker_close(b);
		if ((rv != LSN_ENOTACTIVE && rv != LSN_ECLOSED) ||
		    broker_stopping())
			break;
		/* lost the lease or the store: everything of this term is
		 * closed; start again as a standby with fresh state */
		reset(b);
	}
	return (rv == LSN_OK ? 0 : 1);
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
	return (serve(&b));
}
