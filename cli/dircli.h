/*
 * dircli.h -- helpers shared by the directory commands of the liaison CLI
 * (cmd_admin.c: `liaison admin`, cmd_dir.c: `liaison dir`). Implemented in
 * cmd_dir.c.
 */
#ifndef LIAISON_DIRCLI_H
#define LIAISON_DIRCLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "liaison/dir.h"
#include "liaison/store.h"

#define DIRCLI_FILE_MAX	(LSN_DIROP_BATCH_MAX + 64)

/*
 * Opens a directory database. write != 0: creates a directory-only
 * database if missing and refuses a daemon database (schema newer than the
 * directory's), because ops for a running daemon go through its API. With
 * write == 0 the database is opened read-only and may be a broker's or an
 * agent's (their directory tables are the same). On failure prints the
 * reason as "liaison <cmd>: ..." and returns the exit code; on success
 * CLI_EXIT_OK with *st and *d owned by the caller (dircli_close).
 */
int	dircli_open(const char *cmd, const char *path, int write,
	    struct lsn_store **st, struct lsn_dir **d);
void	dircli_close(struct lsn_store **st, struct lsn_dir **d);

/*
 * Any protobuf-c message as a new JSON object (caller json_decref's):
 * field names as in the .proto, bytes as lower-case hex, enums by their
 * value names, absent optional fields left out. NULL on allocation failure.
 */
json_t	*dircli_msg_json(const ProtobufCMessage *m);

/* "2024-05-01T12:00:00Z" for a Unix ms time (static buffer). */
const char *dircli_time(uint64_t ms);

/* Parses a Unix ms time: decimal, or "now". */
int	dircli_parse_ms(const char *s, uint64_t *out);

/*
 * Progress of a long loop on stderr: "what: i/n" after item i of n. Says
 * nothing below DIRCLI_PROGRESS_MIN items. On a terminal the line is
 * rewritten in place (every 1%); otherwise one line at each quarter. The
 * last call (i == n) ends the line.
 */
#define DIRCLI_PROGRESS_MIN	200
void	dircli_progress(const char *what, size_t i, size_t n);

#endif
