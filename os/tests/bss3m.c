/* bss3m.c - bigbss.h with a .bss of 3u<<20 bytes. */
#define BSS_BYTES (3u<<20)
#include "bigbss.h"
