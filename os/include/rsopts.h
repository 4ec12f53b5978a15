/* rsopts.h - the supervision settings `service up` may give a service on
 * top of RS's sys table: restart intensity, escalation chain, dependencies
 * and heartbeat thresholds. They do not fit in a message, so the request
 * names a buffer in the caller's memory (SRV_OPTS_ADDR/SRV_OPTS_LEN of
 * RS_UP) and RS copies it; RS checks every field, the caller only parses. */
#ifndef OS_RSOPTS_H
#define OS_RSOPTS_H
#include "services.h"

#define RS_CHAIN_TEXT 48       /* "restart,reset,dependents,giveup" and room */
#define RS_DEPS_TEXT  48       /* comma-separated labels */

/* What a service wants done to it when one of its dependencies comes back
 * with a new endpoint. */
#define RS_DEP_ONE_FOR_ONE  0  /* nothing but the notice (DS tells subscribers) */
#define RS_DEP_REST_FOR_ONE 1  /* restart it too, once the dependency is back */

struct rs_up_opts {
    int32_t max_restarts;          /* intensity: restarts allowed in the window; 0: table's */
    int32_t window;                /* seconds; 0: table's */
    int32_t dep_policy;            /* RS_DEP_*; -1: table's */
    int32_t ping_late, ping_hang;  /* heartbeat thresholds in periods; 0: table's */
    char    chain[RS_CHAIN_TEXT];  /* stages, comma-separated; "": table's */
    char    deps[RS_DEPS_TEXT];    /* labels; "": table's, "-": none */
};
#endif
