/* conring.c - the console as a ring in memory the host maps, for the
 * harness's machines (console=ring on the command line).
 *
 * On the UART every byte the kernel prints is two port accesses in the
 * guest and a system call in QEMU, and QEMU holds the byte while the
 * host's pipe is full: the kernel then polls the line status in virtual
 * time, so a host that was slow to read changed the run. Here the bytes
 * go to the memory of QEMU's ivshmem device, a file the host maps and
 * reads when the machine is stopped, or after QEMU has ended. The kernel
 * never waits for the host: what it does is the same whether the host
 * reads at once, later, or not at all.
 *
 * The layout (contract/guest_host.def, CONRING_*): a header with pos, the
 * number of the next byte, then the ring. A piece (a byte, an event line)
 * is written at pos, then pos advanced past it by a compare-and-swap: an
 * NMI that prints in between has moved pos, and the piece is written
 * again at the new place. So a byte is in the ring before pos counts it
 * (a host following a running machine reads no byte not yet written),
 * and an NMI's line goes after, never over, the interrupted one. The host sets pos to 0 when it has
 * taken the bytes; the kernel reads pos only to place a byte, so nothing
 * it decides depends on the host. Every CONRING_CHUNK bytes it passes
 * conring_drain_point(), counted in its own memory: where the harness's
 * watchpoint takes what came, so the ring never wraps over
 * bytes the host has not read. */
#include "kernel.h"
#include "memory.h"
#include "contract.h"
#include "../include/conring.h"

#define PCI_ADDR      0xCF8
#define PCI_DATA      0xCFC
#define IVSHMEM_ID    0x11101af4u       /* device 0x1110, vendor 0x1af4 (Red Hat) */
#define BAR2          0x18              /* ivshmem's shared memory: a 64-bit BAR */
#define BAR_DEFAULT   0xE0000000u       /* in the PCI hole, if the firmware left it unset */
/* the device's memory in 4 MiB pages, at the top of the kernel's part of
 * every address space (supervisor only) */
#define CONRING_VA    (USER_BASE - CONRING_SHM)
#define PAGES_4M      (CONRING_SHM >> 22)
#define PDE_AD        0x60u             /* accessed, dirty */

_Static_assert(CONRING_DATA >= sizeof(struct conring_hdr), "header before the ring");
_Static_assert(CONRING_DATA + CONRING_RING <= CONRING_SHM, "ring inside the device");
_Static_assert((CONRING_SHM & (CONRING_SHM - 1)) == 0 && CONRING_SHM >= (4u << 20),
               "a BAR's size, in whole 4 MiB pages (it is aligned to its size)");
_Static_assert((CONRING_RING & (CONRING_RING - 1)) == 0, "a power of two");
_Static_assert((CONRING_CHUNK & (CONRING_CHUNK - 1)) == 0 && 2 * CONRING_CHUNK <= CONRING_RING,
               "a chunk, twice over, fits the ring");

static uint32_t phys;                   /* the device memory's address; 0: the UART */
static volatile uint8_t *shm;           /* where the kernel reaches it */
static int paging_on;                   /* shm is CONRING_VA, through CR3 */
uint32_t conring_count;                 /* bytes printed since the boot (a test moves it) */

static uint32_t pci_read(uint32_t dev, uint32_t off)
{
    outl(PCI_ADDR, 0x80000000u | dev << 11 | off);
    uint32_t v;
    __asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"((uint16_t)PCI_DATA));
    return v;
}

static void pci_write(uint32_t dev, uint32_t off, uint32_t v)
{
    outl(PCI_ADDR, 0x80000000u | dev << 11 | off);
    outl(PCI_DATA, v);
}

/* At the start of the boot, paging off: with console=ring, find the device
 * on bus 0 and print to its memory from the first byte on. Without the
 * word, or without the device, the console stays the UART. */
void conring_init(const char *cmdline)
{
    const char *p = cmdline ? strstr(cmdline, "console=ring") : 0;
    if (!p || (p != cmdline && p[-1] != ' ')) return;
    for (uint32_t dev = 0; dev < 32; dev++) {
        if (pci_read(dev, 0) != IVSHMEM_ID) continue;
        uint32_t bar = pci_read(dev, BAR2) & ~0xfu;
        if (!bar || pci_read(dev, BAR2 + 4)) {
            bar = BAR_DEFAULT;
            pci_write(dev, BAR2, bar);
            pci_write(dev, BAR2 + 4, 0);
        }
        pci_write(dev, 4, pci_read(dev, 4) | 2);     /* decode memory accesses */
        phys = bar;
        shm = (volatile uint8_t *)bar;
        ((volatile struct conring_hdr *)shm)->magic = CONRING_MAGIC;
        return;
    }
}

/* memory.c, building the kernel's page directory: the ring's page, so the
 * kernel reaches it once paging is on, from every address space. */
void conring_map(uint32_t *pdir)
{
    if (!phys) return;
    KASSERT(phys % CONRING_SHM == 0);
    for (uint32_t i = 0; i < PAGES_4M; i++) {
        KASSERT(!pdir[(CONRING_VA >> 22) + i]);
        pdir[(CONRING_VA >> 22) + i] = (phys + (i << 22)) | PTE_P | PTE_W | PTE_PS;
    }
    shm = (volatile uint8_t *)CONRING_VA;
    paging_on = 1;
}

int conring_on(void) { return phys != 0; }

/* The ring's bytes go through the page directory CR3 names, and a fault
 * can leave CR3 naming garbage (a process's directory read through a
 * null pointer): its entries for the ring would send every byte to some
 * frame of its choosing, the warm reset's saved copy of the OS included.
 * So a byte goes to the ring only through the entry the kernel put there
 * (read through the same directory: garbage reads as garbage, and a
 * fault ends in the trap guard like any fault of a broken kernel's);
 * else to the UART, which writes no memory, as before there was a ring. */
static int mapped_here(const volatile uint32_t *pd, uint32_t off)
{
    uint32_t i = off >> 22;
    /* the CPU sets the accessed and dirty bits of the entry it uses */
    return (pd[(CONRING_VA >> 22) + i] & ~PDE_AD) == ((phys + (i << 22)) | PTE_P | PTE_W | PTE_PS);
}

/* the page directory CR3 names, reached through itself */
static const volatile uint32_t *directory_here(void)
{
    uint32_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    return (const volatile uint32_t *)(cr3 & ~0xfffu);
}

/* The word conring_drain_point writes, alone on its page: the harness
 * stops on a write watchpoint here, takes the ring's bytes and sets pos
 * to 0. Not a breakpoint: under QEMU 7.2's TCG a breakpoint makes every
 * block of its page one instruction long, and going on from one throws
 * away every translated block (plan.c says the same of plan_mark).
 * Without a harness (a replay under gdb) nothing stops here. */
volatile uint32_t conring_mark[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

void __attribute__((noinline, used)) conring_drain_point(void)
{
    conring_mark[0] = 1;
    __asm__ volatile("" ::: "memory");
}

/* Where byte number `at` of the stream goes in the ring, checked first
 * (paging on) through the entry of the directory in CR3: 0 if it may
 * not be written there. */
static volatile uint8_t *ring_byte(const volatile uint32_t *pd, uint32_t at)
{
    uint32_t off = CONRING_DATA + (at & (CONRING_RING - 1));
    if (pd && !mapped_here(pd, off)) return 0;
    return shm + off;
}

/* The console's bytes s[0..n) as one piece (with crlf, each '\n' after a
 * '\r', as on the UART): its room reserved by one compare-and-swap of
 * pos, so one look at the page entries and one atomic step for a whole
 * event line rather than for each of its bytes (byte by byte it cost ~40
 * guest instructions a byte, 5% of a run that restarts a service). 0 if
 * the ring cannot be reached here: the caller prints on the UART. */
int conring_write(const char *s, size_t n, int crlf)
{
    volatile struct conring_hdr *h = (volatile struct conring_hdr *)shm;
    const volatile uint32_t *pd = paging_on ? directory_here() : 0;
    if (pd && !mapped_here(pd, 0)) return 0;
    uint32_t k = (uint32_t)n;
    if (crlf)
        for (size_t i = 0; i < n; i++) k += s[i] == '\n';
    if (!k) return 1;
    uint32_t at = h->pos;
    do {
        /* a piece (an event line, < 1 KiB) lies in at most two of the
         * ring's 4 MiB pages: those of its first and last byte */
        if (!ring_byte(pd, at) || !ring_byte(pd, at + k - 1)) return 0;
        uint32_t o = at;
        for (size_t i = 0; i < n; i++) {
            if (crlf && s[i] == '\n') shm[CONRING_DATA + (o++ & (CONRING_RING - 1))] = '\r';
            shm[CONRING_DATA + (o++ & (CONRING_RING - 1))] = (uint8_t)s[i];
        }
    } while (!__atomic_compare_exchange_n(&h->pos, &at, at + k, 0,
                                          __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    /* a chunk's worth printed since the last drain point: the host takes it */
    uint32_t before = conring_count;
    conring_count += k;
    if ((before ^ conring_count) & ~(CONRING_CHUNK - 1)) conring_drain_point();
    return 1;
}
