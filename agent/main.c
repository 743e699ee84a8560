/* main.c -- liaison-agent entry point: options, config, signals, loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liaison/conf.h"
#include "liaison/err.h"
#include "liaison/harden.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [--init] -c FILE | -E | "
	    "--version\n",
	    agent_name());
	exit(2);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		agent_reload = 1;
	else
		agent_quit = 1;
}

/* Over 80 lines: the start-up in order, from flags to the loop. */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "example-config", no_argument, NULL, 'E' },
		{ "init", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_conf	 conf;
	struct agent		*a = NULL;
	struct sigaction	 sa;
	const char		*conf_path = NULL;
	char			 err[512];
	int			 ch, debug = 0, check = 0, verbose = 0, init = 0;
	int			 rv;

	while ((ch = getopt_long(argc, argv, "c:dEnv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'I':
			init = 1;
			break;
		case 'c':
			conf_path = optarg;
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
		case 'E':
			return (lsn_conf_write_example(agent_conf_table,
			    stdout) == LSN_OK ? 0 : 1);
		case 'V':
			printf("%s %s\n", agent_name(), LSN_VERSION);
			return (0);
		default:
			usage();
		}
	}
	if (optind != argc || conf_path == NULL)
		usage();
	log_init(1, LOG_DAEMON, agent_name());
	/* before anything is created or a key is loaded */
	if (lsn_harden_process(err, sizeof(err)) != LSN_OK)
		fatalx("cannot harden the process: %s", err);
	if (lsn_init() != LSN_OK)
		fatalx("cannot initialise libsodium");
	lsn_malloc_tune();
	if (aconf_load(conf_path, &conf, err, sizeof(err)) != LSN_OK) {
		fprintf(stderr, "%s: %s\n", agent_name(), err);
		return (1);
	}
	conf.db_init = init;
	if (check) {
		printf("configuration OK\n");
		return (0);
	}
	if ((rv = lsn_harden_db_files(conf.db)) < 0)
		fatalx("%s: %s", conf.db, lsn_strerror(rv));
	if (rv > 0)
		log_warnx("%s: took group/other access off %d file(s)",
		    conf.db, rv);
	log_init(debug, LOG_DAEMON, agent_name());
	log_setverbose(verbose > 0 ? verbose : (int) conf.verbose);
	lsn_log_set_format(lsn_log_format_parse(conf.log_format));
	if (!debug && daemon(1, 0) != 0)
		fatal("daemon");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((rv = agent_open(conf_path, &conf, &a)) != LSN_OK)
		fatalx("cannot start: %s", lsn_strerror(rv));
	rv = agent_run(a);
	agent_close(&a);
	return (rv == LSN_OK ? 0 : 1);
}
