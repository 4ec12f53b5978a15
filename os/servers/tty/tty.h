/* tty.h - the serial console driver and its shell. */
#ifndef TTY_H
#define TTY_H
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../include/fi.h"
void shell_line(char *line);
void shell_prompt(void);
int  service_main(int argc, char **argv);   /* os/commands/service */
void service_usage(void);                  /* its commands and options */
#endif
