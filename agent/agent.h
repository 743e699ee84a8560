/* agent.h -- private declarations of liaison-agent. */
#ifndef LIAISON_AGENT_H
#define LIAISON_AGENT_H

/* agent.c */
const char	*agent_name(void);

#endif
