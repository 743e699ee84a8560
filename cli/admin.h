/*
 * admin.h -- shared by the liaison admin sub-commands (cmd_admin*.c):
 * option ids, parsed options, the action table and helpers. Private to
 * the CLI.
 */
#ifndef LSN_CLI_ADMIN_H
#define LSN_CLI_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#include "liaison/dir.h"
#include "liaison/keys.h"

enum {
	O_OUT, O_DB, O_EXP, O_AUTHOR, O_ID, O_NAME, O_SHORT, O_LOCAL, O_KIND,
	O_COUNTRY, O_SIGNPUB, O_ENCPUB, O_TRPUB, O_KEYS, O_PUB, O_FROM,
	O_VUNTIL, O_UNTIL, O_AT, O_KEYID, O_UNITID, O_HOURS, O_FALLBACK,
	O_CONTACTID, O_ROLE, O_EMAIL, O_PHONE, O_247, O_LANGS, O_TZ, O_UNIT,
	O_GROUP, O_DESC, O_ADMINS, O_THRESH, O_SEQ, O_VERSION, O_KEY, O_JSON,
	O_NOPT
};
#define B(x)	(1ULL << (x))

struct aopts {
	const char	*v[O_NOPT];
	uint64_t	 given;
	int		 first;	/* first positional in the parsed argv */
};

/* Target of an action, for the expected version. */
enum target { T_PARTNER, T_NEW_PARTNER, T_GROUP, T_NEW_GROUP, T_ROOT };

struct action {
	const char	*name;
	int		 which;		/* DirOp action case */
	int		 status;	/* set-status actions */
	enum target	 target;
	uint64_t	 req, opt;
	const char	*help;
};

#define COMMON	(B(O_OUT) | B(O_DB) | B(O_EXP) | B(O_AUTHOR))

/* The actions of `admin propose`, ended by a NULL name. */
extern const struct action admin_actions[];

/* Parses argv (getopt) into *o (pointers into argv); CLI_EXIT_OK or
 * CLI_EXIT_USAGE (said why). */
int	admin_parse(const char *sub, int argc, char *argv[], struct aopts *o);
/* The long name of option bit. Static storage. */
const char *admin_opt_name(int bit);
/* Every required option given, nothing outside req|opt (else says why;
 * a CLI exit code). */
int	admin_check_opts(const char *sub, const struct aopts *o, uint64_t req,
	    uint64_t opt);
/* The command line of a sub that takes one OPFILE (sign, apply,
 * inspect): admin_parse, admin_check_opts(req, opt), then exactly one
 * positional, argv[o->first]. A CLI exit code (said why). */
int	admin_parse_opfile(const char *sub, int argc, char *argv[],
	    struct aopts *o, uint64_t req, uint64_t opt);
/* Reads an op file into *b (owned by the caller); *single: not a batch
 * file. A CLI exit code. */
int	admin_load_batch(const char *sub, const char *path,
	    struct lsn_dirop_batch **b, int *single);
/* A new KeyRecord for pk (caller frees with ..._key_record__free_unpacked). */
Liaison__V1__KeyRecord *admin_keyrec_new(const uint8_t pk[LSN_PK_BYTES],
	    int purpose, uint64_t from, uint64_t until);
/* Loads a public key file of kind want (any if 0) into pk, kind, label. */
int	admin_load_pub(const char *sub, const char *path, int want, int *kind,
	    uint8_t pk[LSN_PK_BYTES], char label[LSN_LABEL_MAX + 1]);
/* The root policy from --admins, --threshold, --sequencer; *out owned by
 * the caller (..._root_policy__free_unpacked). */
int	admin_build_policy(const char *sub, const struct aopts *o,
	    uint64_t version, Liaison__V1__RootPolicy **out);
/* Packs op, prints the summary, writes --out (d: the directory for the
 * op's class, or NULL). A CLI exit code. */
int	admin_emit_op(const char *sub, const struct aopts *o,
	    Liaison__V1__DirOp *op, struct lsn_dir *d);

int	admin_propose(int argc, char *argv[]);
int	admin_inspect(int argc, char *argv[]);
int	admin_export_log(int argc, char *argv[]);

#endif
