/* probe.c - the end-of-experiment check of every service RS supervises:
 * does it answer, and is the state it keeps for others still there? DS
 * must name every service at the endpoint RS knows; VM must still hold a
 * call mask for every one of them. One event per service:
 *   ev=sc_probe label=L result=R state=ok|lost|down
 * result is the IPC or service result of the question (0 = answered). */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../lib/libc/libc.h"
#include "probe.h"

#define NR_PUB 24
#define TRIES  50           /* a service still restarting gets ~half a second */
/* Each question's deadline (ticks of virtual time): a question or answer
 * lost on the way (kernel.ipc.* faults, a service's fault) ends in
 * ETIMEDOUT, one garbled on the way in EGARBLED (libsys's end-to-end
 * check, os/lib/libsys/ipc.S), and is asked again; every question here
 * only reads, so asking twice is harmless. */
#define DEADLINE 100

/* A question to RS, asked again while it is lost or garbled. */
static int rs_call(message *m)
{
    message q = *m;
    int r = ETIMEDOUT;
    for (int t = 0; t < TRIES && (r == ETIMEDOUT || r == EGARBLED); t++) {
        *m = q;
        r = ipc_sendrec_timed(RS_PROC_EP, m, DEADLINE);
    }
    return r;
}

static struct pub { int ep, flags; char label[LABEL_MAX]; } pub[NR_PUB];
static int nr_pub;

static int read_table_into(struct pub *out)
{
    int n = 0;
    for (int i = 0; i < NR_PUB; i++) {
        message m = { .m_type = RS_GETPUB };
        m.PUB_INDEX = i;
        if (rs_call(&m) != OK || m.m_type != OK) break;
        if (!(m.PUB_FLAGS & RSF_IN_USE)) continue;
        out[n].ep = m.PUB_ENDPOINT;
        out[n].flags = m.PUB_FLAGS;
        strlcpy(out[n].label, m.PUB_LABEL, LABEL_MAX);
        n++;
    }
    return n;
}

static void read_rs_table(void)
{
    nr_pub = read_table_into(pub);
}

/* RS's table as it is now: a service may have been restarted (new
 * endpoint) since the probe began, and DS's and VM's state must be
 * checked against who runs now, not who ran then. */
static struct pub now_pub[NR_PUB];
static int nr_now;

/* The endpoint RS's table gives label now, or NONE. */
static int current_ep(const char *label)
{
    for (int i = 0; i < NR_PUB; i++) {
        message m = { .m_type = RS_GETPUB };
        m.PUB_INDEX = i;
        if (rs_call(&m) != OK || m.m_type != OK) break;
        if ((m.PUB_FLAGS & RSF_IN_USE) && !strncmp(m.PUB_LABEL, label, LABEL_MAX))
            return (m.PUB_FLAGS & RSF_ACTIVE) ? m.PUB_ENDPOINT : NONE;
    }
    return NONE;
}

/* Ask as a client would: a service that died of this very request (a
 * fault at a site only the probe reaches) and was restarted under a new
 * endpoint is asked again there, as rebinding clients do. */
static int ask(const char *label, int ep, message *m)
{
    message q = *m;
    int r = EDEADSRCDST;
    for (int t = 0; t < TRIES; t++) {
        *m = q;
        r = ipc_sendrec_timed(ep, m, DEADLINE);
        if (r == OK) return OK;         /* answered; its result is m_type */
        /* no answer in a second: a service that took the question and went
         * on without answering may still answer RS's pings; RS restarts it
         * if the kernel saw the reply not come (os/servers/rs/complain.c) */
        if (r == ETIMEDOUT) (void)rs_complain(ep, COMPLAIN_LOST_REPLY);
        message c;
        if (sys_setalarm(1, 0) == OK) ipc_receive(CLOCK, &c);
        int now_ep = current_ep(label);
        if (now_ep != NONE) ep = now_ep;
    }
    return r;
}

static int is_service(const struct pub *p)
{
    static const char *svc[] = { "ds", "vm", "pm", "mem", "tty", "kv", "echo" };
    for (unsigned i = 0; i < sizeof svc / sizeof svc[0]; i++)
        if (!strcmp(p->label, svc[i])) return 1;
    return 0;
}

/* A wrong answer about another service's state is asked once more: wrong
 * again, the state is lost (durable); right the second time, the service
 * answered wrongly once while its state was intact, which is a wrong
 * answer of that service, not lost state. */
static int wrong_answers;

static int ds_names(const struct pub *p)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, p->label, LABEL_MAX);
    return ask("ds", DS_PROC_EP, &m) == OK && m.m_type == OK && m.DS_ENDPT == p->ep;
}

static int vm_has_mask(const struct pub *p)
{
    message m = { .m_type = VM_GET_MASK };
    m.m.i[0] = p->ep;
    return ask("vm", VM_PROC_EP, &m) == OK && m.m_type == OK && m.m.u[1] != 0;
}

/* Does the service hold p's state, asked about who runs as p now? The
 * table was read before the questions, and a question can take long (the
 * service under test hangs on it until RS restarts it, and RS restarts
 * others meanwhile): an endpoint that has since been replaced names a dead
 * process, of which no service should keep anything. So a miss is asked
 * again about the label's current endpoint; a service that is not active
 * now is the concern of its own probe, not of this state check. */
static int holds_now(struct pub *p, int (*holds)(const struct pub *))
{
    if (holds(p)) return 1;
    int ep = current_ep(p->label);
    if (ep == NONE) return 1;
    if (ep == p->ep) return 0;
    p->ep = ep;
    return holds(p);
}

/* DS's state: every service published at its current endpoint; VM's: a
 * call mask for every one of them. */
static int state_lost(const char *in, int (*holds)(const struct pub *))
{
    int lost = 0;
    nr_now = read_table_into(now_pub);
    for (int i = 0; i < nr_now; i++) {
        struct pub *p = &now_pub[i];
        if (!is_service(p) || !(p->flags & RSF_ACTIVE) || holds_now(p, holds)) continue;
        if (holds(p)) {
            wrong_answers++;
            event("ev=sc_wrong in=%s label=%s ep=%d", in, p->label, p->ep);
            continue;
        }
        event("ev=sc_state_lost in=%s label=%s ep=%d", in, p->label, p->ep);
        lost++;
    }
    return lost;
}

static void probe(const struct pub *p)
{
    message m = {0};
    int lost = 0, r;
    if (!(p->flags & RSF_ACTIVE)) {
        event("ev=sc_probe label=%s result=%d state=down flags=0x%x", p->label, ESRCH, p->flags);
        return;
    }
    if (!strcmp(p->label, "kv")) m.m_type = KV_STATS;
    else if (!strcmp(p->label, "echo")) m.m_type = ECHO_ECHO;
    else if (!strcmp(p->label, "ds")) { m.m_type = DS_LOOKUP; strlcpy(m.DS_LABEL, "rs", LABEL_MAX); }
    else if (!strcmp(p->label, "vm")) m.m_type = VM_INFO;
    else if (!strcmp(p->label, "pm")) m.m_type = PM_GETPID;
    else if (!strcmp(p->label, "mem")) { m.m_type = MEM_FIND; strlcpy(m.MEM_LABEL, "wl", LABEL_MAX); }
    else if (!strcmp(p->label, "tty")) { m.m_type = TTY_WRITE; m.m.i[0] = 0; }
    r = ask(p->label, p->ep, &m);
    /* any answer, a refusal included (PM: ESRCH to a non-child), means
     * the service serves; only an IPC failure means it does not */
    int served = r == OK;
    wrong_answers = 0;
    if (!strcmp(p->label, "ds") && served) lost = state_lost("ds", ds_names);
    if (!strcmp(p->label, "vm") && served) lost = state_lost("vm", vm_has_mask);
    event("ev=sc_probe label=%s result=%d answer=%d state=%s wrong=%d", p->label, r,
          served ? m.m_type : 0, !served ? "down" : lost ? "lost" : "ok", wrong_answers);
}

void probe_all(void)
{
    read_rs_table();
    for (int i = 0; i < nr_pub; i++)
        if (is_service(&pub[i])) probe(&pub[i]);
}
