/* syslib.h - user-space interface to IPC and kernel calls. */
#ifndef SYSLIB_H
#define SYSLIB_H
#include <stdint.h>
#include "../../include/ipc.h"
#include "../../include/kcall.h"
#include "../../include/errno.h"
#include "../../include/priv.h"
#include "../../include/kinfo.h"
#include "../../include/signal.h"

/* Every message sent carries its sender's end-to-end check, and every one
 * received is checked (ipc.S): one the kernel garbled on the way returns
 * EGARBLED, reported and not to be acted on (ipc_garbled.c). */
int ipc_call(int call, int endpoint, message *m);
int kernel_call(message *m);
/* The bare IPC trap: no end-to-end check sent or made (ipc.S). Only for
 * tests of the kernel's own checks of the trap's arguments. */
int ipc_trap_unchecked(int call, int endpoint, message *m);

int ipc_send(int dst, message *m);
int ipc_sendnb(int dst, message *m);
int ipc_receive(int src, message *m);
int ipc_sendrec(int dst, message *m);
/* SENDREC that gives up after ticks of virtual time with ETIMEDOUT (the
 * request never taken, or its reply never sent: lost), the kernel saying
 * so in an ev=ipc_timeout event; ticks 0 waits as long as ipc_sendrec */
int ipc_sendrec_timed(int dst, message *m, uint32_t ticks);
/* RS: the service at ep breaks its protocol with this process: it took a
 * timed request and did not answer it (COMPLAIN_LOST_REPLY, after an
 * ETIMEDOUT) or keeps answering ENOSYS (COMPLAIN_REFUSED); complain.c */
int rs_complain(int ep, int why);   /* why: COMPLAIN_* (services.h) */
static inline int ipc_notify(int dst)              { return ipc_call(IPC_NOTIFY, dst, 0); }
static inline int is_notify(const message *m)      { return m->m_type == NOTIFY_MESSAGE; }

int sys_privctl(int ep, int req, const priv_spec_t *spec);
int sys_exit_proc(int ep);
int sys_kill(int ep, int sig);
int sys_getksig(int *ep, uint32_t *sigmap, uint32_t *addr, uint32_t *pc);
int sys_stop(int ep, int stop);
int sys_update(int op, int src_ep, int dst_ep);
int sys_grow(uint32_t len, uint32_t *addr);
int sys_vircopy(int src_ep, uint32_t src, int dst_ep, uint32_t dst, uint32_t len);
int sys_setalarm(uint32_t ticks, uint32_t *left);
int sys_times(message *reply);
uint64_t sys_tsc(void);
uint32_t sys_uptime(void);
int sys_getinfo(int req, void *buf, uint32_t len, int arg, int *count);
int sys_getbootmod(int idx, uint32_t off, void *buf, uint32_t len, uint32_t *total);
int sys_diag(const char *s, uint32_t len, int event);
int sys_diag_for(const char *s, uint32_t len, int ep);   /* plain output for ep, on its budget */
void diag_charge(int ep);   /* later lines on ep's output budget (0: one's own) */
int sys_abort(int how) __attribute__((noreturn));
int sys_fork(int parent, int slot, int flags, int *child);
int sys_serial(int op, void *buf, uint32_t len);
int sys_exec(int ep, const void *img, uint32_t len, const char *args);
/* the same, the image's memory bounded by mem_max bytes (ENOMEM beyond) */
int sys_exec_mem(int ep, const void *img, uint32_t len, const char *args, uint32_t mem_max);
int sys_renew(void);             /* RS: a new version of itself (returns only on failure) */
int sys_whoami(struct whoami *w);

/* "#EV" event line from this process: the kernel adds the frame, time and
 * name, and drops text that sets t= or who= itself or does not parse */
void event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct evlimit;
/* One more event of kind what under the limit l (os/lib/common/evlimit.h):
 * 1 to print it; a summary of the period before is printed here first. */
int event_pass(struct evlimit *l, const char *what);
/* The summary of l's period if it is over and something was suppressed. */
void event_flush(struct evlimit *l, const char *what);
#endif
