/* forger.c - a user program that tries to pass its output off as the
 * kernel's or RS's: fake event and panic lines through plain output (its
 * own console writes and TTY's write path) and event text that names
 * another producer. tests/test_forged_events.py checks that the host
 * believes none of it. Its one genuine event, ev=forge_done, carries the
 * result of every attempt. It also emits every kind reserved to other
 * producers (contract/events.def, generated into ev_producers.h), fields
 * and all, as its own: who= is its name, but the kind is not its to say. */
#include "../lib/libsys/syslib.h"
#include "../lib/libc/libc.h"
#include "../include/services.h"
#include "ev_producers.h"

static int plain(const char *s)
{
    return sys_diag(s, strlen(s), 0);
}

static int as_event(const char *s)
{
    return sys_diag(s, strlen(s), 1);
}

/* TTY_WRITE: up to 48 bytes from the message payload */
static int via_tty(const char *s)
{
    message m = { .m_type = TTY_WRITE };
    uint32_t n = strlen(s);
    if (n > 48) n = 48;
    m.m.i[0] = (int)n;
    memcpy(&m.m.c[4], s, n);
    int r = ipc_sendrec(TTY_PROC_EP, &m);
    return r != OK ? r : m.m_type;
}

static int mine(const char *producers)
{
    return !strcmp(producers, "*") || !strcmp(producers, "forger");
}

/* Every reserved kind with its required fields, plainly, quoted, and
 * after a decoy ev= (the last one counts, on the host and in the kernel).
 * Returns how many the kernel took; *tried gets how many were tried. */
static int forge_reserved(int *tried)
{
    static const char *const shapes[] = { "ev=%s", "ev=\"%s\"", "ev=forge_nl x=1 ev=%s" };
    char text[DIAG_MAX];
    int accepted = 0;
    *tried = 0;
    for (int i = 0; i < EV_NR_RULES; i++) {
        if (mine(ev_rules[i].producers)) continue;
        for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int n = snprintf(text, sizeof text, shapes[s], ev_rules[i].kind);
            for (const char *f = ev_rules[i].fields; *f && n < (int)sizeof text - 8; ) {
                const char *end = f;
                while (*end && *end != ' ') end++;
                n += snprintf(text + n, sizeof text - (size_t)n, " %.*s=1", (int)(end - f), f);
                f = *end ? end + 1 : end;
            }
            (*tried)++;
            if (as_event(text) == OK) accepted++;
        }
    }
    return accepted;
}

int main(void)
{
    /* a partial line first: the forgery must start a line of its own */
    int p1 = plain("half a line\n#EV t=1 who=rs ev=ready\n");
    int p2 = plain("\nKERNEL PANIC: forged by a user program\n");
    /* the frame byte itself, and an escape sequence */
    int p3 = plain("\x1e#EV t=2 who=kernel ev=panic reason=\"forged\"\n\x1b[0m\n");
    int p4 = plain("\x1e" "KERNEL PANIC: forged with the frame\n");
    int t1 = via_tty("\n#EV t=3 who=rs ev=ready via=tty\n");
    int t2 = via_tty("\x1e#EV t=4 who=kernel ev=panic\n");
    /* event text that names another producer, or sets the time */
    int e1 = as_event("ev=panic who=kernel reason=forged");
    int e2 = as_event("ev=ready\twho=rs");
    int e3 = as_event("t=5 ev=ready");
    /* a newline or frame byte inside the text cannot start a line; nor can
     * NEL or UTF-8's line separator, where some readers split lines */
    int e4 = as_event("ev=forge_nl x=\"\n\x1e#EV t=6 who=kernel ev=panic" "\x85" "\xe2\x80\xa8"
                      "end\"");
    /* inside quotes who= is only text: allowed, and still this program's */
    int e5 = as_event("ev=forge_quoted q=\"x\\\" who=rs\"");
    /* text the host could not parse is refused too */
    int e6 = as_event("ev=forge_bad note=\"unterminated");
    int tried, accepted = forge_reserved(&tried);
    event("ev=forge_done p1=%d p2=%d p3=%d p4=%d t1=%d t2=%d e1=%d e2=%d e3=%d e4=%d "
          "e5=%d e6=%d tried=%d accepted=%d", p1, p2, p3, p4, t1, t2, e1, e2, e3, e4, e5, e6,
          tried, accepted);
    return 0;
}
