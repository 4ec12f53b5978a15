/* sef_priv.h - what the SEF parts share among themselves. */
#ifndef SEF_PRIV_H
#define SEF_PRIV_H
#include "sef.h"
int  sef_run_init_cb(int type, const struct sef_init_info *info);
void sef_run_ping_cb(int rs_ep);
void sef_lu_request(const message *m);
void sef_lu_before_receive(void);
void sef_block_forever(void) __attribute__((noreturn));
int  sef_gcov_dump(const char *who);
#endif
