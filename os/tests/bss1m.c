/* bss1m.c - bigbss.h with a .bss of 1u<<20 bytes. */
#define BSS_BYTES (1u<<20)
#include "bigbss.h"
