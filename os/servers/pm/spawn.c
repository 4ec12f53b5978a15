/* spawn.c - starting user programs (program files in the boot image) as
 * user processes: a blank process, the program's image, the shared user
 * privilege (INIT's: SENDREC to services only, no privileged kernel call,
 * PM as signal manager), then run. PM also reaps them when they exit or
 * fault. */
#include "pm.h"
#include "../../lib/common/evlimit.h"

static uint8_t image[256 * 1024];
static struct boot_image_entry mods[NR_BOOT_PROCS];

/* A program file whose module line says `fi` (the wl workload tool) may
 * run with the fault-injection right: arm faults and send the victims'
 * crash and hang requests. A right in a call mask cannot be given to one
 * holder of a shared privilege alone, so these programs share a second
 * one, the user privilege plus SYS_FI_CTL (os/include/priv.h). Every other
 * program runs without it. The file only says the program can use the
 * right; whether it gets it is the requester's (requester_has_fi). */
static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; (p = strstr(p, w)) != 0; p += n)
        if ((p == s || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    return 0;
}

static int fi_right;            /* of the program load_program found last */

/* Only program files (noexec modules, never loaded at boot) are programs:
 * a user process is named after its file, and the kernel names every event
 * line's producer by that name, so a copy of a boot service's binary run
 * by a user would print genuine lines as, say, who=rs. */
static int load_program(const char *name, uint32_t *len)
{
    int n = 0;
    if (sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &n) != OK) return EIO;
    for (int i = 0; i < n; i++) {
        if (strcmp(mods[i].name, name) || mods[i].proc_nr != NONE) continue;
        fi_right = has_word(mods[i].args, "fi");
        int got = sys_getbootmod(mods[i].module, 0, image, sizeof image, len);
        if (got < 0) return got;
        return (uint32_t)got == *len ? OK : E2BIG;
    }
    return ENOENT;
}

/* May parent start one more process? A user parent adds to its own tree;
 * anyone else (the shell in TTY, INIT) starts a new tree. Refusals are
 * EAGAIN, as fork's when a process limit is reached, with an event. */
static int spawn_allowed(struct pmproc *parent, const char *name)
{
    int tree = parent && parent->kind == PK_USER ? parent->tree : -1;
    const char *why = 0;
    int have = 0, limit = 0;
    if (tree >= 0 && (have = pm_count_user(tree)) >= (limit = PM_TREE_MAX)) why = "tree_limit";
    else if ((have = pm_count_user(-1)) >=
             (limit = tree >= 0 ? PM_USER_MAX - PM_SHELL_RESERVE : PM_USER_MAX)) why = "user_limit";
    if (!why) return OK;
    /* name is the requester's bytes, not yet known to be a program's:
     * quoted, so a `"` or `reason=ok` in it stays inside the name field */
    char q[2 * LABEL_MAX + 3];
    static struct evlimit refusals;      /* a flood of them is summarised */
    if (event_pass(&refusals, "spawn_refused"))
        event("ev=spawn_refused ppid=%d tree=%d name=%s reason=%s procs=%d limit=%d err=%d",
              parent ? parent->pid : -1, tree, ev_quote(q, sizeof q, name), why, have, limit,
              EAGAIN);
    return EAGAIN;
}

/* PM would otherwise be a confused deputy: any user could have it start
 * wl with arguments of its choosing (`kv 1 crash@0`) and so crash the
 * victims by proxy. The right therefore goes only to a program whose
 * requester holds it itself (the shell in TTY, the scenario driver, a wl
 * the shell started), or to INIT's: INIT takes no requests, so what it
 * starts is what the boot image's author wrote. */
static int requester_has_fi(const struct pmproc *parent, int by)
{
    if (parent && parent->kind == PK_ROOT) return 1;
    priv_spec_t s;
    int n = 0;
    if (sys_getinfo(GET_PRIV, &s, sizeof s, by, &n) != OK || n != 1) return 0;
    return (s.k_calls & KC_BIT(SYS_FI_CTL)) != 0;
}

int pm_spawn(struct pmproc *parent, int by, const char *name, const char *args)
{
    uint32_t len = 0;
    int r, child;
    if ((r = spawn_allowed(parent, name)) != OK) return r;
    if ((r = load_program(name, &len)) != OK) return r;
    int fi = fi_right && requester_has_fi(parent, by);
    if ((r = sys_fork(SELF, -1, FORK_BLANK, &child)) != OK) return r;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s%s%s", name, args[0] ? " " : "", args);
    if ((r = sys_exec_mem(child, image, len, cmd, PM_USER_IMAGE_MEM)) != OK ||
        (r = sys_privctl(child, fi ? PRIV_SET_FI_USER : PRIV_SET_USER, 0)) != OK) {
        sys_exit_proc(child);
        return r;
    }
    struct pmproc *p = pm_add(PK_USER, child, parent ? parent->pid : 0, name);
    if (!p) { sys_exit_proc(child); return EAGAIN; }
    p->tree = parent && parent->kind == PK_USER ? parent->tree : p->pid;
    event("ev=spawn pid=%d ppid=%d name=%s ep=%d fi=%d", p->pid, p->ppid, name, child, fi);
    if ((r = sys_privctl(child, PRIV_ALLOW, 0)) != OK) return r;
    return p->pid;
}

/* The parent waits in sendrec, so a non-blocking send reaches it and PM
 * never hangs on a parent that stopped listening. Only an answer that got
 * there frees the zombie; otherwise a later PM_WAIT still finds it. */
static int answer_wait(struct pmproc *parent, struct pmproc *child)
{
    message m = { .m_type = OK };
    m.PM_PID = child->pid;
    m.PM_STATUS = child->status;
    parent->wait_for = -2;
    int r = ipc_sendnb(parent->ep, &m);
    if (r != OK) {
        event("ev=pm_reply_lost dst=%d type=wait err=%d", parent->ep, r);
        return 0;
    }
    child->in_use = 0;
    return 1;
}

/* p ended: its zombies will never be waited for, so they go; its living
 * children become INIT's, which waits for any child. They stay in their
 * tree, so a bomb cannot escape its limit by losing its parent. */
static void orphan_children(struct pmproc *p)
{
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *c = &pmtab[i];
        if (!c->in_use || c == p || c->kind != PK_USER || c->ppid != p->pid) continue;
        if (c->zombie) c->in_use = 0;
        else c->ppid = 0;
    }
}

/* A user process ended: tell a waiting parent, or keep it as a zombie. */
void pm_child_ended(struct pmproc *p, int status)
{
    p->zombie = 1;
    p->status = status;
    p->wait_for = -2;
    event("ev=proc_exit pid=%d name=%s status=%d", p->pid, p->name, status);
    orphan_children(p);
    struct pmproc *parent = pm_by_pid(p->ppid);
    if (parent && parent->wait_for != -2 && (parent->wait_for == -1 || parent->wait_for == p->pid))
        answer_wait(parent, p);
    else if (!parent || parent->kind == PK_SERVICE)
        p->in_use = 0;                /* nobody will wait for it */
}

int pm_try_wait(struct pmproc *parent, int pid)
{
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *c = &pmtab[i];
        if (c->in_use && c->zombie && c->ppid == parent->pid && (pid == -1 || c->pid == pid))
            return answer_wait(parent, c);
    }
    return 0;
}

/* Collect the user processes that ended (exit, fault, kill). DS is told
 * with a notification, non-blocking, so it can end their subscriptions. */
void pm_reap_signals(void)
{
    for (int reaped = 0;; reaped++) {
        int ep; uint32_t map;
        if (sys_getksig(&ep, &map, 0, 0) != OK || ep == NONE) {
            if (reaped) ipc_notify(DS_PROC_EP);
            return;
        }
        struct pmproc *p = pm_by_ep(ep);
        sys_exit_proc(ep);
        int sig = 0;
        for (int s = 1; s < NSIG; s++) if (map & SIGBIT(s)) { sig = s; break; }
        if (p) pm_child_ended(p, sig == SIGEXIT ? 0 : 128 + sig);
    }
}
