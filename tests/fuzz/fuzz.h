/*
 * fuzz.h -- shared setup of the libFuzzer harnesses (tests/fuzz/fuzz_*.c)
 * and of the seed generator (fuzz_seeds.c).
 *
 * Determinism: fz_init() replaces libsodium's random source with a fixed
 * stream before sodium_init(), so the fixture task force fz_fixture()
 * builds (admins, sequencer, partners p01..p04 with their keys) is the
 * same in every process. Seeds written by fuzz_seeds therefore carry
 * signatures and key ids that verify in the harnesses, and a crashing
 * input replays the same way. Every clock the harnesses pass is FZ_NOW
 * (2100-01-01), after the fixture keys' valid_from (creation - 1 day).
 * Nothing in here is used outside the fuzz build.
 */
#ifndef LSN_FUZZ_H
#define LSN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/util.h"

#include "lsn_fixture.h"

#define FZ_NOW		4102444800000ULL	/* 2100-01-01T00:00:00Z */
#define FZ_PARTNERS	4

/* Deterministic random source, lsn_init(), log lines dropped (FZ_VERBOSE
 * in the environment keeps them). Exits the process on failure (test
 * code). Idempotent. */
void	fz_init(void);

/* The shared fixture (created on first call, removed at exit). */
struct lsn_fixture *fz_fixture(void);

/* A clock that always says FZ_NOW. */
extern const struct lsn_clock fz_clock;

/* Writes len bytes to path (truncating); 0 or -1. */
int	fz_write(const char *path, const void *buf, size_t len);

/* A fresh directory under /dev/shm (or /tmp); malloc'd path, removed at
 * exit. */
char	*fz_tmpdir(const char *tag);

struct lsn_envelope_outer;

/*
 * The checks after a successful verify+parse: every invariant of
 * envelope.h (validate again, time rules, hash, names), the typed body
 * (lsn_body_validate), the sealed body opened with p02's encryption key,
 * and a re-sign round trip with the signer's fixture key that must verify
 * again. o and env are borrowed. Aborts when an invariant fails.
 */
void	fz_envelope_deep(const struct lsn_envelope_outer *o,
	    const Liaison__V1__Envelope *env);

/* The fixture sign key of partner id (its index) or -1. */
int	fz_partner_index(const char *id);

/* With FZ_VERBOSE in the environment: prints a line to stderr (what a
 * seed reached, when checking the corpus by hand). */
void	fz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints msg and aborts: an invariant of the code under test failed. */
void	fz_die(const char *msg) __attribute__((noreturn));

#endif
