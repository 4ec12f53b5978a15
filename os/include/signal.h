/* signal.h - signal numbers the kernel posts for faults and kills. */
#ifndef OS_SIGNAL_H
#define OS_SIGNAL_H
#define SIGHUP   1
#define SIGINT   2
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGFPE   8
#define SIGKILL  9
#define SIGSEGV  11
#define SIGTERM  15
#define SIGCHLD  17
#define SIGBUS   7
#define SIGEXIT  31   /* not a real signal: the process called exit */
#define NSIG     32
#define SIGBIT(s) (1u << (s))
#endif
