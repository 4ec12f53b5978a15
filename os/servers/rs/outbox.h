/* outbox.h - non-blocking delivery with retry, see outbox.c. */
#ifndef RS_OUTBOX_H
#define RS_OUTBOX_H
void outbox_post(int dst, const message *m);
void outbox_flush(void);
int  outbox_pending(void);
#endif
