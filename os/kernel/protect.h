/* protect.h - segment selectors and interrupt controller helpers. */
#ifndef PROTECT_H
#define PROTECT_H
#define KCODE_SEL 0x08
#define KDATA_SEL 0x10
#define UCODE_SEL 0x1B
#define UDATA_SEL 0x23
#define TSS_SEL   0x28
#define IRQ_BASE  48       /* PIC vectors 48..63, clear of 32/33 */
void protect_init(void);
void irq_enable(int irq);
void irq_eoi(int irq);
#include <stdint.h>
void pic_masks_get(uint8_t m[2]);
void pic_settle(const uint8_t m[2]);     /* warm.c: re-initialised, masks as given */
#endif
