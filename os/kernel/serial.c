/* serial.c - polled output on COM1, the kernel's console (or, on the
 * harness's machines, conring.c's ring: serial_putc is where they part). */
#include "contain.h"
#include "kernel.h"

#define COM1 0x3f8

void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts for now; tty enables them */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xC7);   /* FIFO */
    outb(COM1 + 4, 0x0B);
}

/* Console input: the IRQ 4 handler fills a ring the registered reader
 * (the tty driver) drains with SYS_SERIAL; it is told by a notification
 * from HARDWARE. */
#define RX_SIZE 512
static char rx_ring[RX_SIZE];
static unsigned rx_head, rx_tail;

/* The UART's programmable registers as the plan point had them (warm.c):
 * interrupt enable, line and modem control. */
void serial_regs_get(uint8_t r[3])
{
    r[0] = inb(COM1 + 1);
    r[1] = inb(COM1 + 3);
    r[2] = inb(COM1 + 4);
}

/* Set them again, the FIFOs cleared, and read the status registers so no
 * condition a run left stays pending. */
void serial_settle(const uint8_t r[3])
{
    outb(COM1 + 3, r[1] & 0x7f);
    outb(COM1 + 2, 0xC7);
    outb(COM1 + 1, r[0]);
    outb(COM1 + 4, r[2]);
    (void)inb(COM1 + 5);
    (void)inb(COM1 + 6);
    (void)inb(COM1 + 2);
}

void serial_enable_rx(void)
{
    outb(COM1 + 1, 0x01);   /* interrupt on received data */
    outb(COM1 + 4, 0x0B);   /* OUT2: let the UART drive its IRQ line */
}

int serial_rx_irq(void)
{
    int got = 0;
    while (inb(COM1 + 5) & 0x01) {
        char c = (char)inb(COM1);
        if (rx_head - rx_tail < RX_SIZE) rx_ring[rx_head++ % RX_SIZE] = c;
        got = 1;
    }
    return got;
}

size_t serial_read(char *buf, size_t max)
{
    size_t n = 0;
    while (n < max && rx_tail != rx_head) buf[n++] = rx_ring[rx_tail++ % RX_SIZE];
    return n;
}

static char last_out = '\n';

/* Event lines must start a line: after a prompt or other partial line,
 * begin a new one. */
void serial_newline_if_needed(void)
{
    if (last_out != '\n') serial_write("\n", 1);
}

void serial_putc(char c)
{
    contain_commit();            /* output is an effect: a call that printed is not restarted */
    last_out = c == '\r' ? last_out : c;
    if (conring_on() && conring_write(&c, 1, 0))
        return;
    while ((inb(COM1 + 5) & 0x20) == 0)
        ;
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    /* the ring takes the piece whole (conring_write) */
    if (n && conring_on()) {
        contain_commit();
        if (conring_write(s, n, 1)) {
            for (size_t i = n; i--;)
                if (s[i] != '\r') { last_out = s[i]; break; }
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}
