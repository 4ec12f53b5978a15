/* main.c - TTY: owns console input (the kernel buffers COM1 bytes and
 * notifies TTY from HARDWARE), echoes what is typed, and hands each line to
 * the shell. Services and programs may also write through TTY_WRITE. */
#include "tty.h"
#include "../../lib/common/evlimit.h"

/* Replies a caller did not wait for (a plain send): a rare one is worth a
 * line, a program sending in a loop gets a count a second (evlimit.h) */
static struct evlimit lost_replies;

static char line[160];
static unsigned len;

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type; (void)info;
    return sys_serial(SER_REGISTER, 0, 0);
}

static void input(void)
{
    char buf[128];
    int n;
    while ((n = sys_serial(SER_READ, buf, sizeof buf)) > 0) {
        for (int i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\r' || c == '\n') {
                sys_diag("\n", 1, 0);
                line[len] = 0;
                len = 0;
                shell_line(line);
                shell_prompt();
            } else if ((c == 0x7f || c == 0x08) && len) {
                len--;
                sys_diag("\b \b", 3, 0);
            } else if (c >= ' ' && len < sizeof line - 1) {
                line[len++] = c;
                sys_diag(&c, 1, 0);
            }
        }
    }
}

int main(void)
{
    sef_setcb_init_fresh(init_fresh);
    sef_setcb_init_restart(sef_cb_init_restart_fresh);
    sef_setcb_init_lu(sef_cb_init_restart_fresh);
    sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_standard);
    sef_startup();
    shell_prompt();
    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) {
            if (m.m_source == HARDWARE) input();
            continue;
        }
        FI_POINT("tty.request");
        int r = ENOSYS;
        if (m.m_type == TTY_WRITE) {
            uint32_t n = (uint32_t)m.m.i[0];
            if (n > 48) n = 48;
            /* on the writer's output budget: TTY must not be a way
             * round the kernel's limit on what a user prints */
            sys_diag_for(&m.m.c[4], n, m.m_source);
            r = OK;
        }
        /* non-blocking, as every server answers: a caller that sent
         * without waiting loses its answer but cannot stall the console */
        int src = m.m_source, sr = sef_reply(&m, r);
        if (sr != OK && event_pass(&lost_replies, "tty_reply_lost"))
            event("ev=tty_reply_lost dst=%d err=%d", src, sr);
    }
}
