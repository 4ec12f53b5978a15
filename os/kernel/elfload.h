/* elfload.h - loading ELF32 executables into a fresh address space. */
#ifndef ELFLOAD_H
#define ELFLOAD_H
#include "kernel.h"

/* Reads len bytes at offset off of the image; OK or an error. */
typedef int (*img_reader)(void *ctx, uint32_t off, void *buf, uint32_t len);

/* mem_max: bytes the image's segments may take (ENOMEM beyond), so the
 * time a load takes with interrupts off has a bound the loader's caller
 * chose, not the file. */
int elf_load(uint32_t *pd, img_reader rd, void *ctx, uint32_t img_len, uint32_t mem_max,
             uint32_t *entry);
int stack_setup(uint32_t *pd, const char *args, uint32_t *esp_out);
int mem_reader(void *ctx, uint32_t off, void *buf, uint32_t len);
#endif
