/* broker.h -- private declarations of liaison-broker. */
#ifndef LIAISON_BROKER_H
#define LIAISON_BROKER_H

/* broker.c */
const char	*broker_name(void);

#endif
