/* bss2g.c - bigbss.h with a .bss of 0x7ffff000u bytes. */
#define BSS_BYTES (0x7ffff000u)
#include "bigbss.h"
