/* boot.h - the boot image: one process per multiboot module. */
#ifndef BOOT_H
#define BOOT_H
#include "kernel.h"
#include "../include/kinfo.h"

#define MAX_MODULES NR_BOOT_PROCS
struct boot_module {
    uint32_t start, len;       /* physical, identity-mapped */
    char     name[PROC_NAME_LEN];
    char     args[128];        /* everything after the path */
    char     cmdline[160];     /* argv: name then args */
};
extern struct boot_module boot_modules[MAX_MODULES];
extern int nr_boot_modules;
extern struct boot_image_entry boot_image[MAX_MODULES];
extern int nr_boot_image;
extern struct boot_image_entry module_table[MAX_MODULES];   /* every module */
#endif
