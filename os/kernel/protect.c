/* protect.c - segments, the TSS and the interrupt table. Flat segments;
 * isolation comes from paging. Only the kernel-call and IPC vectors may be
 * raised from ring 3. */
#include "protect.h"
#include "kernel.h"

struct gdt_entry { uint16_t lim_lo, base_lo; uint8_t base_mid, access, gran, base_hi; } __attribute__((packed));
struct idt_entry { uint16_t off_lo, sel; uint8_t zero, type; uint16_t off_hi; } __attribute__((packed));
struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
} __attribute__((packed));

static struct gdt_entry gdt[6];
static struct idt_entry idt[256];
static struct tss tss;
extern char kstack_top[];
/* where a trap from ring 3 saves the registers: trap.c points it just past
 * the running process's regs (trap.S) */
uint32_t *const tss_esp0 = (uint32_t *)(void *)&tss + 1;   /* esp0: after link */

static void set_gdt(int i, uint32_t base, uint32_t limit, uint8_t access, uint8_t gran)
{
    gdt[i].lim_lo = limit & 0xffff;
    gdt[i].base_lo = base & 0xffff;
    gdt[i].base_mid = (base >> 16) & 0xff;
    gdt[i].access = access;
    gdt[i].gran = (uint8_t)(((limit >> 16) & 0x0f) | (gran & 0xf0));
    gdt[i].base_hi = (base >> 24) & 0xff;
}

static void set_idt(int v, void (*h)(void), int dpl)
{
    uint32_t off = (uint32_t)h;
    idt[v].off_lo = off & 0xffff;
    idt[v].sel = KCODE_SEL;
    idt[v].zero = 0;
    idt[v].type = (uint8_t)(0x8E | (dpl << 5));   /* interrupt gate: IF off */
    idt[v].off_hi = off >> 16;
}

#define DECL(n) extern void trap_##n(void);
DECL(0) DECL(1) DECL(2) DECL(3) DECL(4) DECL(5) DECL(6) DECL(7) DECL(8) DECL(9)
DECL(10) DECL(11) DECL(12) DECL(13) DECL(14) DECL(15) DECL(16) DECL(17) DECL(18) DECL(19)
DECL(32) DECL(33)
DECL(48) DECL(49) DECL(50) DECL(51) DECL(52) DECL(53) DECL(54) DECL(55)
DECL(56) DECL(57) DECL(58) DECL(59) DECL(60) DECL(61) DECL(62) DECL(63)

static void pic_remap(void)
{
    outb(0x20, 0x11); outb(0xA0, 0x11);           /* ICW1: init, ICW4 */
    outb(0x21, IRQ_BASE); outb(0xA1, IRQ_BASE + 8);
    outb(0x21, 0x04); outb(0xA1, 0x02);           /* cascade on IRQ2 */
    outb(0x21, 0x01); outb(0xA1, 0x01);           /* 8086 mode */
    outb(0x21, 0xFF); outb(0xA1, 0xFF);           /* all masked */
}

/* Firmware such as qboot leaves LINT0 of the local APIC masked, which
 * swallows the 8259's interrupts even with the APIC off. We use the 8259
 * only: put LINT0 back in ExtINT "virtual wire" mode, as a PC BIOS does.
 * Runs before paging, so the APIC page is reachable at its physical address. */
static void lapic_virtual_wire(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
    if (!(d & (1u << 9)) || !(d & (1u << 5))) return;     /* no APIC or no MSRs */
    __asm__ volatile("rdmsr" : "=a"(a), "=d"(d) : "c"(0x1B));
    if (!(a & (1u << 11))) return;                         /* APIC off: PIC is direct */
    volatile uint32_t *lapic = (volatile uint32_t *)(a & 0xfffff000u);
    lapic[0x350 / 4] = 0x700;          /* LINT0: ExtINT, unmasked */
    lapic[0x360 / 4] = 0x400;          /* LINT1: NMI */
}

/* User-Mode Instruction Prevention: with CR4.UMIP, sgdt, sidt, sldt, smsw
 * and str fault in ring 3 (#GP) instead of telling any program where the
 * kernel keeps its descriptor tables. Set where the CPU has it (CPUID
 * 7.0:ECX bit 2; QEMU's TCG does, with -cpu ...,+umip: faultinj/qemu.py). */
static void umip_enable(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
    if (a < 7) return;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    if (!(c & (1u << 2))) return;
    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1u << 11)));
}

/* The in-guest reset (warm.c) puts the 8259s back as they were at the
 * plan point: initialising them again forgets every request and
 * in-service bit a run left, then the masks are set as they were. */
void pic_masks_get(uint8_t m[2])
{
    m[0] = inb(0x21);
    m[1] = inb(0xA1);
}

void pic_settle(const uint8_t m[2])
{
    pic_remap();
    outb(0x21, m[0]);
    outb(0xA1, m[1]);
}

void irq_enable(int irq)
{
    uint16_t port = irq < 8 ? 0x21 : 0xA1;
    outb(port, inb(port) & (uint8_t)~(1 << (irq & 7)));
    if (irq >= 8)
        outb(0x21, inb(0x21) & (uint8_t)~(1 << 2));
}

void irq_eoi(int irq)
{
    if (irq >= 8) outb(0xA0, 0x20);
    outb(0x20, 0x20);
}

void protect_init(void)
{
    set_gdt(0, 0, 0, 0, 0);
    set_gdt(1, 0, 0xfffff, 0x9A, 0xC0);       /* kernel code */
    set_gdt(2, 0, 0xfffff, 0x92, 0xC0);       /* kernel data */
    set_gdt(3, 0, 0xfffff, 0xFA, 0xC0);       /* user code */
    set_gdt(4, 0, 0xfffff, 0xF2, 0xC0);       /* user data */
    set_gdt(5, (uint32_t)&tss, sizeof tss - 1, 0x89, 0x00);
    tss.ss0 = KDATA_SEL;
    tss.esp0 = (uint32_t)kstack_top;
    tss.iomap = sizeof tss;                    /* no I/O bitmap: ring 3 has no ports */

    struct dtr g = { sizeof gdt - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" :: "m"(g));
    __asm__ volatile("ljmp %0, $1f\n1:" :: "i"(KCODE_SEL));
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs; mov %0, %%ss"
                     :: "r"((uint32_t)KDATA_SEL));
    __asm__ volatile("ltr %w0" :: "r"((uint16_t)TSS_SEL));

    void (*exc[20])(void) = { trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6,
        trap_7, trap_8, trap_9, trap_10, trap_11, trap_12, trap_13, trap_14, trap_15,
        trap_16, trap_17, trap_18, trap_19 };
    for (int i = 0; i < 20; i++)
        set_idt(i, exc[i], i == 3 ? 3 : 0);   /* int3 from ring 3 is #BP, not #GP */
    void (*irq[16])(void) = { trap_48, trap_49, trap_50, trap_51, trap_52, trap_53,
        trap_54, trap_55, trap_56, trap_57, trap_58, trap_59, trap_60, trap_61,
        trap_62, trap_63 };
    for (int i = 0; i < 16; i++)
        set_idt(IRQ_BASE + i, irq[i], 0);
    set_idt(KERNEL_CALL_VECTOR, trap_32, 3);
    set_idt(IPC_VECTOR, trap_33, 3);
    struct dtr d = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" :: "m"(d));
    lapic_virtual_wire();
    umip_enable();
    pic_remap();
}
