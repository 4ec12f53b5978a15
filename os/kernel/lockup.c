/* lockup.c - the kernel's lockup detector: a periodic NMI from the HPET.
 *
 * A fault can leave the kernel spinning in ring 0 with interrupts off
 * (a corrupted loop bound, a branch flipped into a cycle). Then no clock
 * interrupt comes, and the watchdog that ends a run at its virtual-time
 * limit (watchdog.c) never runs. An NMI still arrives: HPET timer 0 in
 * periodic mode delivers, over its FSB (MSI) route, a message in NMI
 * delivery mode to the local APIC every LOCKUP_PERIOD_US of virtual time.
 * At each one the kernel checks whether it was interrupted in ring 0 with
 * interrupts off and has not left the kernel (trap.S counts every return,
 * kernel_exits) since the NMI before; LOCKUP_NMIS such NMIs in a row are a
 * lockup, and a panic names it. The kernel's longest legitimate path is a
 * few hundred thousand instructions, far less than one period (under
 * -icount shift=0 a microsecond is a thousand instructions).
 *
 * The other way a run can outlive its watchdog: the clock stops (the PIC
 * never acknowledged, the timer reprogrammed by a corrupted write) while
 * the kernel idles with interrupts on. CLOCK_NMIS NMIs without one clock
 * tick (the clock ticks every 10 ms, as the NMIs come) are a dead clock;
 * while the idle kernel skips ticks the HPET stands still too (tickless.c,
 * lockup_idle). *
 *
 * The HPET's counter runs on QEMU's virtual clock, so the NMIs come at the
 * same instructions on every run: the detector is part of the guest, and
 * a locked-up run ends at a point the guest defines. QEMU must offer the
 * HPET's FSB route (faultinj/qemu.py: -global hpet.msi=on); without it the
 * detector stays off and says so at boot. */
#include "proc.h"
#include "memory.h"
#include "watchdog.h"
#include "contain.h"

#define HPET_BASE        0xFED00000u
#define HPET_CAP         0x000
#define HPET_CONFIG      0x010
#define HPET_T0_CONFIG   0x100
#define HPET_T0_CMP      0x108
#define HPET_T0_FSB      0x110
#define T_INT_ENB        (1u << 2)
#define T_PERIODIC       (1u << 3)
#define T_VAL_SET        (1u << 6)
#define T_FSB_EN         (1u << 14)
#define T_FSB_CAP        (1u << 15)
#define MSI_ADDR         0xFEE00000u   /* local APIC 0 */
#define MSI_NMI          (4u << 8)     /* delivery mode: NMI */
#define LOCKUP_PERIOD_US 10000
#define LOCKUP_NMIS      3
#define CLOCK_NMIS       10

extern volatile uint32_t kernel_exits;
static uint32_t last_exits, stuck, last_ticks, still;
static int armed;
static int idle_stopped;             /* lockup_idle(1): the HPET stands still */
static uint64_t hpet_ticks;          /* the period in HPET ticks, 0 = detector off */
static void hpet_program(void);

static volatile uint32_t *reg(uint32_t off) { return (volatile uint32_t *)(HPET_BASE + off); }

void lockup_init(void)
{
    /* the HPET's 4 MiB page, supervisor only, in the kernel's directory
     * (the detector needs it here, at boot, only) */
    kernel_pdir[HPET_BASE >> 22] = (HPET_BASE & 0xFFC00000u) | PTE_P | PTE_W | PTE_PS | 0x10;
    pdir_activate(kernel_pdir);
    uint32_t period_fs = *reg(HPET_CAP + 4);             /* femtoseconds per tick */
    uint32_t t0 = *reg(HPET_T0_CONFIG);
    if (!period_fs || !(t0 & T_FSB_CAP)) {
        kevent("ev=lockup_detector state=off why=no_hpet_fsb");
        return;
    }
    hpet_ticks = (uint64_t)LOCKUP_PERIOD_US * 1000000000ull / period_fs;
    hpet_program();
    armed = 1;
    kevent("ev=lockup_detector state=on period_us=%u nmis=%u", LOCKUP_PERIOD_US, LOCKUP_NMIS);
}

static void hpet_program(void)
{
    uint64_t ticks = hpet_ticks;
    *reg(HPET_CONFIG) = 0;                               /* stopped while set up */
    *reg(HPET_T0_FSB) = MSI_NMI;                         /* data */
    *reg(HPET_T0_FSB + 4) = MSI_ADDR;                    /* address */
    *reg(HPET_T0_CONFIG) = T_INT_ENB | T_PERIODIC | T_VAL_SET | T_FSB_EN;
    *reg(HPET_T0_CMP) = (uint32_t)ticks;
    *reg(HPET_T0_CMP + 4) = (uint32_t)(ticks >> 32);
    *reg(HPET_T0_CMP) = (uint32_t)ticks;                 /* VAL_SET: the period */
    *reg(0xF0) = 0;                                      /* main counter from 0 */
    *reg(0xF4) = 0;
    *reg(HPET_CONFIG) = 1;                               /* ENABLE_CNF */
}

/* The in-guest reset (warm.c): no NMI while the kernel copies memory with
 * paging off, and none left over from the run. */
/* The HPET is mapped in the kernel's directory only (lockup_init), and the
 * reset runs under whichever process made the call: borrow the kernel's. */
static uint32_t kpdir_borrow(void)
{
    uint32_t old;
    __asm__ volatile("mov %%cr3, %0" : "=r"(old));
    __asm__ volatile("mov %0, %%cr3" :: "r"(kernel_pdir) : "memory");
    return old;
}

static void kpdir_return(uint32_t old)
{
    __asm__ volatile("mov %0, %%cr3" :: "r"(old) : "memory");
}

void lockup_pause(void)
{
    if (!armed) return;
    uint32_t old = kpdir_borrow();
    *reg(HPET_CONFIG) = 0;
    kpdir_return(old);
    armed = 0;
}

/* At the plan point: the HPET counts from 0 again, so the detector's NMIs
 * come at the same instructions after a boot or a reset. */
void lockup_settle(void)
{
    if (!hpet_ticks) return;
    uint32_t old = kpdir_borrow();
    hpet_program();
    kpdir_return(old);
    armed = 1;
    idle_stopped = 0;
}

/* While the idle kernel skips ticks (tickless.c) the HPET stops, so its
 * NMIs do not wake the machine every period for nothing: interrupts are
 * on and no kernel code runs, there is no lockup to see. Its counter
 * stands still meanwhile and goes on where it stopped: the next NMI comes
 * what was left of its period after the idle. */
void lockup_idle(int on)
{
    if (!armed || idle_stopped == on) return;
    uint32_t old = kpdir_borrow();
    *reg(HPET_CONFIG) = on ? 0 : 1;
    kpdir_return(old);
    idle_stopped = on;
}

/* The coverage dump at an instance's or the machine's end (gcov.c) runs
 * with interrupts off for longer than a period: each file it writes, with
 * a bound on its length, is progress, not a lockup, and no tick is due. */
void lockup_progress(void)
{
    last_exits = kernel_exits - 1;
    still = 0;
}

/* An NMI; from_user: it interrupted a process. */
void lockup_nmi(const struct trapframe *tf, int from_user)
{
    if (!armed) return;
    int in_kernel_masked = !from_user && !(tf->eflags & 0x200);
    if (in_kernel_masked && kernel_exits == last_exits) {
        if (++stuck >= LOCKUP_NMIS) {
            /* stuck serving a call: that call fails (contain.c; NMIs stay
             * blocked until the kernel's next iret, on its way out) */
            stuck = 0;
            contain_fault(tf, "locked_up");
            panic("kernel locked up: in ring 0 with interrupts off at eip=0x%x for %u ms "
                  "without leaving the kernel", tf->eip, LOCKUP_NMIS * LOCKUP_PERIOD_US / 1000);
        }
    } else {
        stuck = 0;
    }
    last_exits = kernel_exits + 1;       /* this NMI's own way out counts one */
    if (ticks != last_ticks) { last_ticks = ticks; still = 0; }
    else if (++still >= CLOCK_NMIS)
        panic("kernel locked up: the clock stopped (no tick for %u ms) at eip=0x%x",
              CLOCK_NMIS * LOCKUP_PERIOD_US / 1000, tf->eip);
}
