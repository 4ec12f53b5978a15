/* bss24m.c - bigbss.h with a .bss of 24u<<20 bytes. */
#define BSS_BYTES (24u<<20)
#include "bigbss.h"
