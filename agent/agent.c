/* agent.c -- liaison-agent process logic. */
#include "agent.h"

const char *
agent_name(void)
{
	return ("liaison-agent");
}
