/* gcov.h - saving coverage counters at every instance's end (gcov.c);
 * nothing in a build without coverage. */
#ifndef KERNEL_GCOV_H
#define KERNEL_GCOV_H
struct proc;
#if COVERAGE
void gcov_init(const char *cmdline);      /* gcov=ends: dump at every end */
void gcov_image_end(struct proc *p);      /* p's image is about to go */
void gcov_machine_end(void);              /* the machine is about to stop */
int  gcov_trap_recover(void);             /* a kernel trap: abandons an image being read */
#else
static inline void gcov_init(const char *cmdline) { (void)cmdline; }
static inline void gcov_image_end(struct proc *p) { (void)p; }
static inline void gcov_machine_end(void) {}
static inline int  gcov_trap_recover(void) { return 0; }
#endif
#endif
