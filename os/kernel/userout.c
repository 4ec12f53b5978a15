/* userout.c - what the bytes a process hands the kernel may become on the
 * console. The kernel starts each of its event lines and its panic line with
 * EV_FRAME (ASCII RS); the host believes only framed lines. So no byte a
 * process writes may be a control byte: plain output keeps \n \r \t \b
 * (the shell's line editing needs them) and shows every other control byte
 * in caret notation (RS -> "^^", ESC -> "^["); event text keeps its length
 * so the kernel checks exactly what it will print. */
#include "kernel.h"
#include "proc.h"

/* What one user process may print per second, plain output and events
 * together. A program that prints in a loop would otherwise fill the
 * console (and the host reading it) without end; the rest of its output
 * that second is dropped and counted, and said in one kernel line,
 * `ev=suppressed what=output proc=NAME n=BYTES`, at its next write after
 * the second. Services and the kernel's own lines are not held. */
#define USEROUT_BYTES  8192
#define USEROUT_PERIOD HZ

/* The count of what p's output lost this period, if any, said now: when
 * a new period begins, and when p ends (its last second's count would
 * otherwise go with it). */
void userout_flush(struct proc *p)
{
    uint32_t dropped = p->out_dropped;
    p->out_start = ticks;
    p->out_bytes = p->out_dropped = 0;
    if (dropped) kevent("ev=suppressed what=output proc=%s n=%u", p->name, dropped);
}

int userout_allowed(struct proc *p, uint32_t n)
{
    if (!p->priv || !is_user_priv_id(p->priv->id)) return 1;
    if (ticks - p->out_start >= USEROUT_PERIOD) userout_flush(p);
    if (p->out_bytes + n <= USEROUT_BYTES) { p->out_bytes += n; return 1; }
    p->out_dropped += n;
    return 0;
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

void serial_write_untrusted(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_control(c) || c == '\n' || c == '\r' || c == '\t' || c == '\b') {
            serial_write(&s[i], 1);     /* it turns \n into \r\n */
        } else {
            serial_putc('^');
            serial_putc((char)(c ^ 0x40));
        }
    }
}

char event_text_byte(char c)
{
    if (c == '\n' || c == '\r') return ' ';    /* an event is one line */
    if (c != '\t' && is_control((unsigned char)c)) return '?';
    /* event text is ASCII: a byte past it could be NEL (0x85) or part of
     * UTF-8's line and paragraph separators, where readers that split
     * lines on them (Python's splitlines) would cut one event in two */
    if ((unsigned char)c >= 0x80) return '?';
    return c;
}

/* Event text is cleaned, then every byte is cleaned again and compared
 * with what the first pass wrote; on a difference the whole text is
 * cleaned anew (at most three rounds). Why: a fault in this per-byte
 * function that does not trap (a flipped branch, a skipped instruction)
 * turned a letter of a step's result line into '?' or ' ' and the host
 * could not parse the line (7 kernel failures of the EDFI campaign, seed
 * 1: "step did not report"). A fault strikes one pass, so the other
 * disagrees. out must not be s: cleaned in place, a byte the fault
 * changed would be compared with itself. */
uint32_t event_text_redone;      /* rounds cleaned anew, said by kevent_raw */

void event_text_clean(char *out, const char *s, size_t n)
{
    for (int round = 0; round < 3; round++) {
        size_t i;
        for (i = 0; i < n; i++) out[i] = event_text_byte(s[i]);
        for (i = 0; i < n && out[i] == event_text_byte(s[i]); i++) ;
        if (i == n) return;
        event_text_redone++;
    }
}
