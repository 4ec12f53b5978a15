/* userout.c - what the bytes a process hands the kernel may become on the
 * console. The kernel starts each of its event lines and its panic line with
 * EV_FRAME (ASCII RS); the host believes only framed lines. So no byte a
 * process writes may be a control byte: plain output keeps \n \r \t \b
 * (the shell's line editing needs them) and shows every other control byte
 * in caret notation (RS -> "^^", ESC -> "^["); event text keeps its length
 * so the kernel checks exactly what it will print. */
#include "kernel.h"

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
    return c;
}
