/* kcalls.c - one wrapper per kernel call: fill the message, trap, unpack. */
#include "syslib.h"
#include "../libc/libc.h"
#include "../common/evlimit.h"

static int kc(int call, message *m)
{
    m->m_type = call;
    return kernel_call(m);
}

int sys_privctl(int ep, int req, const priv_spec_t *spec)
{
    message m = {0};
    m.PRIV_ENDPT = ep; m.PRIV_REQ = req; m.PRIV_ADDR = (uint32_t)spec;
    return kc(SYS_PRIVCTL, &m);
}

int sys_exit_proc(int ep)
{
    message m = {0};
    m.PR_ENDPT = ep;
    return kc(SYS_EXIT, &m);
}

int sys_kill(int ep, int sig)
{
    message m = {0};
    m.PR_ENDPT = ep; m.PR_SIG = sig;
    return kc(SYS_KILL, &m);
}

int sys_getksig(int *ep, uint32_t *sigmap, uint32_t *addr, uint32_t *pc)
{
    message m = {0};
    int r = kc(SYS_GETKSIG, &m);
    *ep = m.KSIG_ENDPT; *sigmap = m.KSIG_MAP;
    if (addr) *addr = m.KSIG_ADDR;
    if (pc) *pc = m.KSIG_PC;
    return r;
}

int sys_stop(int ep, int stop)
{
    message m = {0};
    m.PR_ENDPT = ep; m.PR_STOP = stop;
    return kc(SYS_STOP, &m);
}

/* live update (RS only): op UPD_SWAP or UPD_COPY_KEEP on two processes */
int sys_update(int op, int src_ep, int dst_ep)
{
    message m = {0};
    m.UPD_OP = op; m.UPD_SRC_EP = src_ep; m.UPD_DST_EP = dst_ep;
    return kc(SYS_UPDATE, &m);
}

/* len more bytes of heap (page-rounded); *addr: where they start */
int sys_grow(uint32_t len, uint32_t *addr)
{
    message m = {0};
    m.GROW_BYTES = len;
    int r = kc(SYS_GROW, &m);
    if (r == OK && addr) *addr = m.GROW_ADDR;
    return r;
}

int sys_vircopy(int src_ep, uint32_t src, int dst_ep, uint32_t dst, uint32_t len)
{
    message m = {0};
    m.CP_SRC_EP = src_ep; m.CP_SRC_ADDR = src;
    m.CP_DST_EP = dst_ep; m.CP_DST_ADDR = dst; m.CP_LEN = len;
    return kc(SYS_VIRCOPY, &m);
}

int sys_setalarm(uint32_t ticks, uint32_t *left)
{
    message m = {0};
    m.ALRM_TICKS = ticks;
    int r = kc(SYS_SETALARM, &m);
    if (left) *left = m.ALRM_LEFT;
    return r;
}

int sys_times(message *m)
{
    memset(m, 0, sizeof *m);
    return kc(SYS_TIMES, m);
}

uint64_t sys_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint32_t sys_uptime(void)
{
    message m;
    sys_times(&m);
    return m.T_UPTIME;
}

int sys_getinfo(int req, void *buf, uint32_t len, int arg, int *count)
{
    message m = {0};
    m.I_REQ = req; m.I_ADDR = (uint32_t)buf; m.I_LEN = len; m.I_ARG = arg;
    int r = kc(SYS_GETINFO, &m);
    if (count) *count = m.I_COUNT;
    return r;
}

int sys_getbootmod(int idx, uint32_t off, void *buf, uint32_t len, uint32_t *total)
{
    message m = {0};
    m.I_REQ = GET_BOOTMOD; m.I_ADDR = (uint32_t)buf; m.I_LEN = len;
    m.I_ARG = idx; m.I_COUNT = (int)off;
    int r = kc(SYS_GETINFO, &m);
    if (total) *total = m.m.u[5];
    return r == OK ? m.I_COUNT : r;
}

int sys_whoami(struct whoami *w)
{
    return sys_getinfo(GET_WHOAMI, w, sizeof *w, 0, 0);
}

/* Whose output budget this process's lines are charged to (DIAG_FOR), 0:
 * its own. A service printing at a user's request (RS's list, PM's tree)
 * charges that user, so no user can have a service flood the console. */
static int diag_payer;

void diag_charge(int ep) { diag_payer = ep; }

int sys_diag(const char *s, uint32_t len, int event)
{
    message m = {0};
    m.DIAG_ADDR = (uint32_t)s; m.DIAG_LEN = len; m.DIAG_EVENT = event;
    m.DIAG_FOR = diag_payer;
    return kc(SYS_DIAGCTL, &m);
}

int sys_diag_for(const char *s, uint32_t len, int ep)
{
    message m = {0};
    m.DIAG_ADDR = (uint32_t)s; m.DIAG_LEN = len; m.DIAG_FOR = ep;
    return kc(SYS_DIAGCTL, &m);
}

int sys_abort(int how)
{
    message m = {0};
    m.ABRT_HOW = how;
    kc(SYS_ABORT, &m);
    for (;;) ;
}

int sys_fork(int parent, int slot, int flags, int *child)
{
    message m = {0};
    m.FORK_PARENT = parent;
    m.FORK_SLOT = slot;
    m.FORK_FLAGS = flags;
    int r = kc(SYS_FORK, &m);
    if (child) *child = m.FORK_CHILD;
    return r;
}

/* RS only: be replaced by a new image of itself, keeping the keep region.
 * Returns only on failure. */
int sys_renew(void)
{
    message m = {0};
    return kc(SYS_RENEW, &m);
}

int sys_exec_mem(int ep, const void *img, uint32_t len, const char *args, uint32_t mem_max)
{
    message m = {0};
    m.EXEC_ENDPT = ep; m.EXEC_IMG = (uint32_t)img; m.EXEC_LEN = len;
    m.EXEC_ARGS = (uint32_t)args; m.EXEC_ARGLEN = strlen(args);
    m.EXEC_MEM = mem_max;
    return kc(SYS_EXEC, &m);
}

int sys_exec(int ep, const void *img, uint32_t len, const char *args)
{
    return sys_exec_mem(ep, img, len, args, 0);
}

void event(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vprintf(1, fmt, ap);
    va_end(ap);
}

int event_pass(struct evlimit *l, const char *what)
{
    unsigned int summary;
    int show = evlimit_pass(l, sys_uptime(), &summary);
    if (summary) event("ev=suppressed what=%s n=%u", what, summary);
    return show;
}

void event_flush(struct evlimit *l, const char *what)
{
    unsigned int summary = evlimit_flush(l, sys_uptime());
    if (summary) event("ev=suppressed what=%s n=%u", what, summary);
}

int sys_serial(int op, void *buf, uint32_t len)
{
    message m = {0};
    m.SER_OP = op; m.SER_ADDR = (uint32_t)buf; m.SER_LEN = len;
    int r = kc(SYS_SERIAL, &m);
    return r == OK && op == SER_READ ? (int)m.SER_LEN : r;
}
