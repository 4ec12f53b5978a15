/* window.h - kv's recovery window: one request's changes to the table,
 * logged so they are either all committed (saved in DS) when the request
 * ends or all undone (window.c). */
#ifndef KV_WINDOW_H
#define KV_WINDOW_H
#include <stdint.h>

/* The table in memory is what DS holds now (after init's save or
 * restore): it becomes the committed copy every request starts from. */
void kv_window_committed(void);
/* Open the window at the start of a request: the log is empty, and the
 * table must still be the committed copy - if it changed between
 * requests (memory corrupted outside any request), kv dies and restarts
 * from DS's copy instead of answering from, or saving, a corrupt table. */
void kv_window_open(void);
/* Every change a request makes to kvt or kvu goes through here: the old
 * value is logged before the new one is written. */
void kv_set(int32_t *field, int32_t val);
/* Close the window with the request's result r: a request that changed
 * nothing answers r; one that failed (r != OK) is undone; one that
 * succeeded is checked (the slots it touched must still be a sane table)
 * and saved in DS, else undone and answered with the reason. What
 * survives a restart is therefore always the table as some whole request
 * left it. */
int kv_window_close(int r, int key);
/* A check of this request failed (the window's, or a look-up's that did
 * not hold up): the request is refused with EAGAIN and the client asks
 * again. A check that fails in DOUBT_MAX requests in a row is no passing
 * fault but a table corrupted in memory: kv dies then, and RS restarts it
 * from the copy the last whole request committed. */
#define DOUBT_MAX 3
int kv_doubt(void);
#endif
