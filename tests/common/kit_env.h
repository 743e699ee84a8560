/*
 * kit_env.h -- the real agents the integrator kit's client tests
 * (tests/integration/test_kit_*.c) run against: a broker and two
 * connected agents A (partner 0) and B (partner 1) from lsn_fixture, and
 * one driver script (tests/kit/CLIENT.sh) run to completion with them.
 *
 * The script sees, besides the ctest environment (LSN_BIN_DIR,
 * LSN_SRC_DIR): LIAISON_TEST_A_API / _B_API (ipc:// endpoints),
 * LIAISON_TEST_A_ID / _B_ID (partner ids) and LIAISON_TEST_TMP (a private
 * scratch directory inside the fixture, removed with it). The client under
 * test must reach the agents only through these endpoints.
 */
#ifndef KIT_ENV_H
#define KIT_ENV_H

#include "lsn_fixture.h"

/*
 * Creates the fixture, starts the broker and both agents, waits until both
 * are connected, and sets the variables above in this process's
 * environment (inherited by the script). *fxp is caller-owned
 * (lsn_fixture_destroy); daemons are registered with lsn_proc.
 */
int	kit_env_up(struct lsn_fixture **fxp);

/*
 * Runs `bash $LSN_SRC_DIR/tests/kit/<script>` (at most timeout_ms), its
 * output to the test's stdout/stderr; on failure prints the agents' logs.
 * Returns the script's exit status (see lsn_proc_run).
 */
int	kit_env_run(const struct lsn_fixture *fx, const char *script,
	    int timeout_ms);

#endif
