/*
 * render.h -- show a message body to a person (text) or a program (JSON),
 * field by field from its protobuf descriptor, so every body type is shown
 * in full: enums by their CLI spelling ("csam-distribution"), times in the
 * reader's time zone, short bytes in hex, nested messages indented.
 * Content keys (Note.forward_key) are never shown.
 *
 * Also the time-zone helpers every command uses (one tz check for all)
 * and the one printer of a command's JSON answer (cli_json_print).
 */
#ifndef LIAISON_CLI_RENDER_H
#define LIAISON_CLI_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/*
 * 1 if zone names a time zone of the system tz database (TZDIR, default
 * /usr/share/zoneinfo): a relative path of [A-Za-z0-9_+-/] without "..",
 * naming a TZif file. "UTC" is always valid. 0 otherwise.
 */
int	cli_tz_valid(const char *zone);

/*
 * The reader's zone: tz (e.g. --tz) if not NULL, else $TZ if it is a
 * valid zone, else "UTC". The string is borrowed / static.
 */
const char *cli_reader_tz(const char *tz);

/*
 * Formats ms (Unix ms) in zone as "YYYY-MM-DD HH:MM ZZZ" into buf (sz
 * bytes); "-" for 0. zone must be valid (cli_tz_valid); the process TZ
 * is restored afterwards.
 */
void	cli_fmt_time_tz(uint64_t ms, const char *zone, char *buf, size_t sz);

/*
 * Prints message m (borrowed) to f, one "label: value" line per present
 * field, indent spaces in; times in zone (and, when m has a time_zone
 * field naming another valid zone, in that zone too).
 */
void	cli_render_text(FILE *f, const ProtobufCMessage *m, int indent,
	    const char *zone);

/*
 * The same as a new JSON object (caller owns it; NULL on ENOMEM). Times
 * stay ms; enums are their CLI spelling; bytes are hex.
 */
json_t *cli_render_json(const ProtobufCMessage *m);

/*
 * Prints v (borrowed; a command's JSON answer) to stdout as the commands
 * do: indented by 2, keys in the order they were set, then a newline.
 * Nothing for NULL; "liaison: out of memory" on stderr when it cannot.
 */
void	cli_json_print(const json_t *v);

/* An enum value's CLI spelling ("not-attending"), "?" if unknown. Static. */
const char *cli_enum_name(const ProtobufCEnumDescriptor *d, int value);

/* The size of one element of a repeated field of protobuf-c type t in its
 * C struct (4, 8, a pointer, ...); 0 for an unknown type. */
size_t	cli_pb_elem_size(ProtobufCType t);

/*
 * Field fd of m (borrowed) as both renderers (render.c, and dir export's
 * dircli_msg_json) read it: a pointer to its value (for a repeated field,
 * to its first element) and in *np how many values are present (0:
 * absent; a oneof member counts only when it is the member set).
 */
const void *cli_pb_field(const ProtobufCMessage *m,
	    const ProtobufCFieldDescriptor *fd, size_t *np);

/* The integer (or bool, as 0/1) of protobuf-c type t at p: returned when
 * unsigned; for a signed type *is_signed = 1 and the value in *sv. */
uint64_t cli_pb_scalar(ProtobufCType t, const void *p, int *is_signed,
	    int64_t *sv);

#endif
