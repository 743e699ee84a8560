/* fuzz_common.c -- deterministic setup shared by the fuzz harnesses. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/log.h"
#include "liaison/seal.h"

#include "fuzz.h"

/* ---- a fixed random stream (splitmix64): fuzzing only ---- */

static uint64_t	fz_rng_state = 0x4c69616973306e21ULL;

static uint64_t
fz_next(void)
{
	uint64_t	z = (fz_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static const char *
fz_rng_name(void)
{
	return ("liaison-fuzz-fixed");
}

static uint32_t
fz_rng_random(void)
{
	return ((uint32_t) fz_next());
}

static void
fz_rng_stir(void)
{
}

static uint32_t
fz_rng_uniform(const uint32_t upper)
{
	if (upper < 2)
		return (0);
	return ((uint32_t) (fz_next() % upper));
}

static void
fz_rng_buf(void *const buf, const size_t size)
{
	uint8_t	*p = buf;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t	v = fz_next();
		size_t		n = size - i < 8 ? size - i : 8;

		memcpy(p + i, &v, n);
	}
}

static int
fz_rng_close(void)
{
	return (0);
}

static randombytes_implementation fz_rng = {
	.implementation_name = fz_rng_name,
	.random = fz_rng_random,
	.stir = fz_rng_stir,
	.uniform = fz_rng_uniform,
	.buf = fz_rng_buf,
	.close = fz_rng_close,
};

/* ---- logging ---- */

static void
fz_log_drop(int level, int auth, const char *line, void *arg)
{
	(void) level;
	(void) auth;
	(void) line;
	(void) arg;
}

/* ---- temp dirs ---- */

#define FZ_DIRS_MAX	8
static char	*fz_dirs[FZ_DIRS_MAX];
static size_t	 fz_ndirs;
static struct lsn_fixture *fz_fx;

static int
fz_rm_cb(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	(void) remove(path);
	return (0);
}

static void
fz_cleanup(void)
{
	lsn_fixture_destroy(&fz_fx);
	for (size_t i = 0; i < fz_ndirs; i++) {
		(void) nftw(fz_dirs[i], fz_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		free(fz_dirs[i]);
	}
	fz_ndirs = 0;
}

static int	fz_verbose = -1;

void
fz_note(const char *fmt, ...)
{
	va_list	ap;

	if (fz_verbose == -1)
		fz_verbose = getenv("FZ_VERBOSE") != NULL;
	if (!fz_verbose)
		return;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void
fz_die(const char *msg)
{
	fprintf(stderr, "fuzz: %s\n", msg);
	abort();
}

void
fz_init(void)
{
	static int	done;

	if (done)
		return;
	done = 1;
	if (randombytes_set_implementation(&fz_rng) != 0 ||
	    lsn_init() != LSN_OK)
		fz_die("init");
	log_init(1, 0, "fuzz");
	if (getenv("FZ_VERBOSE") == NULL)
		lsn_log_set_sink(fz_log_drop, NULL);
	(void) atexit(fz_cleanup);
}

struct lsn_fixture *
fz_fixture(void)
{
	struct lsn_fixture_opts	o = { .npartners = FZ_PARTNERS };

	fz_init();
	if (fz_fx == NULL && lsn_fixture_create(&o, &fz_fx) != LSN_OK)
		fz_die("fixture");
	return (fz_fx);
}

static uint64_t
fz_now(void *arg)
{
	(void) arg;
	return (FZ_NOW);
}

const struct lsn_clock fz_clock = { fz_now, NULL };

int
fz_write(const char *path, const void *buf, size_t len)
{
	int	fd;
	ssize_t	n = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	if (len > 0)
		n = write(fd, buf, len);
	if (close(fd) != 0 || n < 0 || (size_t) n != len)
		return (-1);
	return (0);
}

char *
fz_tmpdir(const char *tag)
{
	char		 tmpl[256];
	struct stat	 st;
	const char	*base = stat("/dev/shm", &st) == 0 &&
			    S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) ==
			    0 ? "/dev/shm" : "/tmp";
	char		*p;

	if (fz_ndirs == FZ_DIRS_MAX)
		fz_die("too many temp dirs");
	snprintf(tmpl, sizeof(tmpl), "%s/lsn-fuzz-%s-XXXXXX", base, tag);
	if (mkdtemp(tmpl) == NULL || (p = strdup(tmpl)) == NULL)
		fz_die("mkdtemp");
	fz_dirs[fz_ndirs++] = p;
	return (p);
}

/* ---- envelopes ---- */

int
fz_partner_index(const char *id)
{
	if (id == NULL)
		return (-1);
	return (lsn_fixture_find(fz_fixture(), id));
}

void
fz_envelope_deep(const struct lsn_envelope_outer *o,
    const Liaison__V1__Envelope *env)
{
	struct lsn_fixture		*fx = fz_fixture();
	struct lsn_envelope_outer	*o2 = NULL;
	Liaison__V1__Envelope		*env2 = NULL;
	const char			*field = NULL;
	uint8_t				 h[LSN_HASH_BYTES], ad[LSN_SEAL_AD_MAX];
	uint8_t				*buf = NULL, *body = NULL;
	size_t				 len = 0, adlen = 0, blen = 0;
	int				 i, rv;

	if (lsn_envelope_validate(env, &field) != LSN_OK)
		fz_die("a parsed envelope does not validate");
	rv = lsn_envelope_check_time(env, FZ_NOW, 600000);
	(void) rv;	/* any answer is fine: it must not crash */
	if (lsn_envelope_hash(o, h) != LSN_OK)
		fz_die("envelope hash");
	(void) lsn_envelope_type_name(env->type);
	(void) lsn_tlp_name(env->handling != NULL ? (int) env->handling->tlp :
	    -1);
	if (env->has_body)
		rv = lsn_body_validate(env->type, env->body.data,
		    env->body.len, FZ_NOW, &field);
	if (env->sealed != NULL &&
	    lsn_seal_ad_env(env, ad, &adlen) == LSN_OK &&
	    lsn_unseal(env->sealed, ad, adlen, fx->partners[1].id,
	    fx->partners[1].encrypt, &body, &blen) == LSN_OK) {
		rv = lsn_body_validate(env->type, body, blen, FZ_NOW,
		    &field);
		sodium_memzero(body, blen);
		free(body);
	}
	/* Re-signing what was accepted gives an envelope that opens. */
	if ((i = fz_partner_index(env->sender)) < 0)
		return;
	rv = lsn_envelope_sign(env, fx->partners[i].sign, &buf, &len, &field);
	if (rv != LSN_OK) {
		fprintf(stderr, "fuzz: re-sign: %s (%s)\n", lsn_strerror(rv),
		    field != NULL ? field : "-");
		fz_die("an accepted envelope cannot be signed again");
	}
	if (lsn_envelope_peek(buf, len, 0, &o2, &field) != LSN_OK ||
	    lsn_envelope_verify_parse(o2, fx->partners[i].sign->pk, &env2,
	    &field) != LSN_OK)
		fz_die("a re-signed envelope does not open");
	if (o2->envlen != o->envlen || memcmp(o2->env, o->env, o->envlen) != 0)
		fz_die("re-signing changed the signed bytes");
	lsn_envelope_free(&env2);
	lsn_envelope_outer_destroy(&o2);
	free(buf);
}
