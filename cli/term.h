/*
 * term.h -- terminal conventions of the liaison CLI: colour only on a
 * terminal and never when NO_COLOR is set (https://no-color.org), and a
 * pager only on a terminal (LIAISON_PAGER, else PAGER, else "less -FRX";
 * "cat" or an empty value: none).
 */
#ifndef LIAISON_CLI_TERM_H
#define LIAISON_CLI_TERM_H

/* SGR codes for stdout, or "" when colour is off. Static strings. */
const char *cli_c_bold(void);
const char *cli_c_red(void);
const char *cli_c_off(void);

/*
 * Sends the rest of stdout through the pager when stdout is a terminal;
 * cli_pager_end() waits for it. Nothing happens otherwise.
 */
void	cli_pager_start(void);
void	cli_pager_end(void);

#endif
