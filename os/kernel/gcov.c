/* gcov.c - the kernel's side of coverage (the gcov build); never
 * instrumented itself.
 *
 * SYS_GCOV: the kernel streams its own counters on the console (the
 * `gcov` command; format in os/lib/gcov/gcov_dump.c).
 *
 * `gcov=ends` on the command line (the host's coverage runs): counters are
 * saved when their instance goes, not asked for at the end of a scenario.
 * A process image's counters are dumped by the kernel when the image goes
 * (exit, a crash, a kill, an exec or restart replacing it), and at the
 * machine's end (clean halt, panic, virtual deadline: machine_exit) the
 * kernel's own and those of every image still alive. So a line only a
 * crashed, hung, killed or replaced instance reached is counted, and a run
 * that ends in a kernel panic still gives its counters. The kernel is the
 * one party present at every such end; the dump is a step of the guest, at
 * an instruction the guest chose, so the run stays a function of virtual
 * time. Each image's stream is named <process>.<n>, n counting the dumps
 * of this boot, so two instances of one program never mix.
 *
 * A process's memory is the process's to corrupt: its descriptors are read
 * with its page table loaded, and a kernel fault while reading them, or a
 * file longer than any real one, abandons that image's dump (`gcov_lost`),
 * never the kernel. */
#include "system.h"
#include "memory.h"
#include "watchdog.h"
#include "gcov.h"
#include "../lib/gcov/gcov_dump.h"

static void kernel_sink(const char *line, uint32_t len)
{
    serial_newline_if_needed();
    for (uint32_t i = 0; i < len; i++) serial_putc(line[i]);
}

int do_gcov(struct proc *caller, message *m)
{
    (void)caller; (void)m;
    int n = gcov_dump_all(kernel_sink, "kernel");
    if (n < 0) return ENOSYS;
    kevent("ev=gcov_done bin=kernel files=%d", n);
    return OK;
}

#if COVERAGE
/* libgcov may call abort on a corrupt stream: that is a kernel bug */
void abort(void) { panic("abort called from the coverage runtime"); }

/* the largest real .gcda is a few KiB; more is a corrupted descriptor */
#define IMAGE_FILE_LIMIT (64u * 1024u)
#define IMAGE_MAX_FILES  512u

static int at_ends;             /* gcov=ends */
static int ending;              /* the machine's final dump has begun */
static unsigned dumps;          /* image dumps of this boot: names the streams */
static void *recover[5];        /* __builtin_setjmp buffer while reading an image */
static volatile int reading;    /* an image is being read: a kernel fault abandons it */
static const char *lost_why;

void gcov_init(const char *cmdline)
{
    at_ends = cmdline && strstr(cmdline, "gcov=ends") != 0;
}

static void __attribute__((noreturn)) abandon(const char *why)
{
    lost_why = why;
    __builtin_longjmp(recover, 1);
}

static void image_too_long(void) { abandon("file_too_long"); }

int gcov_trap_recover(void)
{
    if (!reading) return 0;
    reading = 0;
    abandon("kernel_fault");
}

/* p's image: its counters, if it has any, as stream <name>.<n> */
static void dump_image(struct proc *p)
{
    uint32_t range[2];
    /* a blank fork has no image yet: nothing to save */
    if (!p->pdir || copy_from_user(p, USER_INFO_GCOV, range, sizeof range) != OK) return;
    if (range[0] == range[1]) return;                     /* not instrumented */
    char who[PROC_NAME_LEN + 12];
    fmt_snprintf(who, sizeof who, "%s.%u", p->name, ++dumps);
    if (range[0] > range[1] || (range[1] - range[0]) / 4 > IMAGE_MAX_FILES ||
        !user_range_ok(p, range[0], range[1] - range[0], 0)) {
        kevent("ev=gcov_lost bin=%s why=bad_range", who);
        return;
    }
    uint32_t was;
    __asm__ volatile("mov %%cr3, %0" : "=r"(was));
    pdir_activate(p->pdir);
    volatile int files = -1;
    lost_why = 0;
    if (__builtin_setjmp(recover) == 0) {
        reading = 1;
        /* every descriptor in the process's part of the address space: a
         * pointer into the kernel's would be read without a fault */
        for (const uint32_t *d = (const uint32_t *)range[0]; d < (const uint32_t *)range[1]; d++)
            if (*d < USER_BASE || *d >= USER_TOP) abandon("bad_descriptor");
        files = gcov_dump_range((const void *const *)range[0], (const void *const *)range[1],
                                kernel_sink, who, IMAGE_FILE_LIMIT, image_too_long,
                                lockup_progress);
    }
    reading = 0;
    pdir_activate((uint32_t *)was);
    if (lost_why)
        kevent("ev=gcov_lost bin=%s why=%s", who, lost_why);
    else
        kevent("ev=gcov_done bin=%s files=%d", who, files);
}

void gcov_image_end(struct proc *p)
{
    if (at_ends && !ending) dump_image(p);
}

extern const void *const __gcov_info_start[];
extern const void *const __gcov_info_end[];

void gcov_machine_end(void)
{
    if (!at_ends || ending) return;      /* a panic inside this dump ends without it */
    ending = 1;
    reading = 0;
    int n = gcov_dump_range(__gcov_info_start, __gcov_info_end, kernel_sink, "kernel", 0, 0,
                            lockup_progress);
    kevent("ev=gcov_done bin=kernel files=%d", n);
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        if (!is_task(p) && !(p->rts & RTS_SLOT_FREE)) dump_image(p);
    }
}
#endif
