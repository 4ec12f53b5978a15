/* layout_v1.h - the saved table of kv version 1 ("KV01"): written by
 * layout_v1.c, and read by later versions that transfer it (kv2). */
#ifndef KV_LAYOUT_V1_H
#define KV_LAYOUT_V1_H
#include "kv.h"

struct kv01 {
    char magic[4];             /* "KV01" */
    struct kv_table t;
};
#endif
