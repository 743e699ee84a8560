/*
 * bench.h -- liaison-bench: the machine's ceilings and Liaison's figures,
 * measured in one run and printed as one table (docs/performance.md).
 *
 * The program builds a synthetic task force with the test fixture
 * (tests/common/lsn_fixture.h), adds "big" partners straight into the
 * broker database (for fan-out, memory and the directory figures), starts
 * the real liaison-broker and liaison-agent binaries (LSN_BIN_DIR) and
 * drives them with raw DEALER clients and the agents' local API.
 *
 * Every function returns LSN_OK or a negative LSN_E* code and prints the
 * reason to stderr. Single-threaded except the CURVE ceiling's receiver.
 */
#ifndef BENCH_H
#define BENCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "liaison/keys.h"

#include "lsn_fixture.h"

/* Sizes of one run. */
struct bench_cfg {
	int		 shortmode;
	double		 ceil_secs;	/* per ceiling loop */
	size_t		 curve_msgs;
	size_t		 ingress_msgs;	/* in total, over 4 senders */
	size_t		 e2e_msgs;
	int		 lat_secs;	/* at 1,000 msg/s */
	size_t		 nbig;		/* big partners b0001.. */
	size_t		 nfan;		/* group "fan": b0001..b<nfan> */
	size_t		 noff;		/* group "off": the next noff */
	size_t		 off_msgs;	/* notices to "off" (memory case) */
	int		 fan_rounds;
	size_t		 msg_bytes;	/* target SignedEnvelope size */
	size_t		 pg_msgs;	/* ingress on PostgreSQL, in total */
};

/* One line of the table. */
struct bench_row {
	char	 figure[64];
	double	 value;
	char	 unit[16];
	char	 target[40];
	char	 ratio[48];	/* "0.93 x verify ceiling, met" */
	int	 ceiling;	/* 1: a ceiling row */
	char	 note[160];	/* printed below the table */
};

#define BENCH_ROWS_MAX	32

struct bench_big {
	char			 id[16];
	struct lsn_keypair	*transport;
};

/* The running world: fixture, big partners, broker. */
struct bench_world {
	struct bench_cfg	*cfg;
	struct lsn_fixture	*fx;
	struct bench_big	*big;		/* cfg->nbig */
	uint64_t		 dir_rev;	/* head after setup */
	size_t			 dir_partners;
	pid_t			 broker;
	char			 ep[256];
	void			*zctx;
	double			 verify_per_s;	/* ceiling, for ratios */
	double			 rows_per_s;	/* sqlite ceiling */
	char			 dir_copy[LSN_FX_PATH_MAX + 16];
					/* the directory-only DB, kept */
	struct bench_row	 rows[BENCH_ROWS_MAX];
	size_t			 nrows;
};

/* bench_main.c */
struct bench_row *bench_row_add(struct bench_world *w, const char *figure,
	    double value, const char *unit);
double	 bench_mono(void);		/* seconds, monotonic */
uint64_t bench_wall_us(void);		/* CLOCK_REALTIME in us */
void	 bench_msg(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* bench_ceil.c: the three ceilings. */
int	 bench_ceilings(struct bench_world *w);

/* bench_world.c */
int	 bench_world_build(struct bench_world *w);
void	 bench_world_free(struct bench_world *w);
int	 bench_broker_start(struct bench_world *w);
/* Starts liaison-agent for fixture partner i (no -v); waits for its API
 * socket. Returns the pid or -1. */
pid_t	 bench_agent_start(struct bench_world *w, size_t i);
/* A note envelope from fixture partner `from` of about cfg->msg_bytes;
 * to and group may be NULL (not both). id: 16 bytes, NULL = random. */
int	 bench_envelope(struct bench_world *w, size_t from, const char *to,
	    const char *group, const uint8_t *id, uint8_t **out,
	    size_t *outlen);
/*
 * n note envelopes from fixture partner `from` to `to` (n, out and outlen
 * the caller's; each out[k] malloc'd, freed by the caller also on an
 * error). batch 1: as agents send them (issue 14), consecutive runs of
 * BENCH_BATCH signed once (lsn_envelope_pack, lsn_batch_sign,
 * lsn_envelope_wrap_batch), a last run of one single-signed; batch 0:
 * each single-signed (bench_envelope). Both forms are about
 * cfg->msg_bytes.
 */
#define BENCH_BATCH	64
int	 bench_envelopes(struct bench_world *w, size_t from, const char *to,
	    size_t n, int batch, uint8_t **out, size_t *outlen);
/* Raw DEALER for fixture partner i (kp NULL) or a big partner (kp), with
 * Hello done (Welcome received). */
int	 bench_dealer(struct bench_world *w, size_t i,
	    const struct lsn_keypair *kp, void **sock);
/* The same to the broker at ep. */
int	 bench_dealer_ep(struct bench_world *w, const char *ep, size_t i,
	    const struct lsn_keypair *kp, void **sock);
/* Agent status fields (inbox_total, dir rev, connected). */
int	 bench_agent_status(struct bench_world *w, size_t i, uint64_t *inbox,
	    uint64_t *rev, int *connected);
/* VmRSS / VmHWM of pid in KiB. */
int	 bench_rss(pid_t pid, long *rss_kib, long *hwm_kib);

/* bench_bus.c */
struct bench_ingress_stat {
	size_t	 n;		/* envelopes acknowledged */
	size_t	 bytes;		/* of one envelope */
	double	 per_s;
	double	 cpu_us;	/* broker CPU per message */
	double	 cpu_pct;	/* of one core */
};
/* 4 raw senders, pre-signed envelopes to p08, `total` in all, against
 * the broker at ep (pid broker, for its CPU time); batch as in
 * bench_envelopes(). */
int	 bench_ingress_drive(struct bench_world *w, const char *ep,
	    pid_t broker, size_t total, int batch,
	    struct bench_ingress_stat *out);
int	 bench_ingress(struct bench_world *w);
int	 bench_ingress_single(struct bench_world *w);
int	 bench_e2e(struct bench_world *w);
/* bench_bus.c's helpers shared with bench_load.c: CPU seconds (user +
 * system) used so far by pid; qsort comparators; the p-th percentile of
 * sorted v; an agent connected with the whole directory; an agent's
 * inbox holding n messages (*when: bench_mono() then; limit in s). */
double	 bench_cpu_secs(pid_t pid);
int	 bench_cmp_dbl(const void *a, const void *b);
int	 bench_cmp_u64(const void *a, const void *b);
uint64_t bench_pct(const uint64_t *v, size_t n, double p);
int	 bench_wait_connected(struct bench_world *w, size_t i);
int	 bench_wait_inbox(struct bench_world *w, size_t i, uint64_t n,
	    double limit, double *when);

/* bench_load.c */
int	 bench_latency(struct bench_world *w);
int	 bench_fanout_memory(struct bench_world *w);

/* bench_pg.c: a raw libpq turn and the broker's ingress on a
 * throwaway PostgreSQL 15 (tests/common/pgtmp.h). */
int	 bench_pg(struct bench_world *w);
/* Keeps a copy of the directory-only broker DB (after the world is
 * built, before the broker migrates it) for bench_pg. */
int	 bench_pg_keep_dir(struct bench_world *w);

/* bench_dir.c */
int	 bench_dir_apply(struct bench_world *w);
int	 bench_dir_sync(struct bench_world *w);

#endif
