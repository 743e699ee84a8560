/* broker.c -- liaison-broker process logic. */
#include "broker.h"

const char *
broker_name(void)
{
	return ("liaison-broker");
}
