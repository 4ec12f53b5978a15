/* gcov_dump.h - stream this binary's gcov counters over the console. */
#ifndef GCOV_DUMP_H
#define GCOV_DUMP_H
#include <stdint.h>
/* sink writes one whole line (it ends in '\n') */
typedef void (*gcov_sink_t)(const char *line, uint32_t len);
/* Returns the number of object files dumped, or -1 without coverage. */
int gcov_dump_all(gcov_sink_t sink, const char *who);
/* The same for the gcov_info pointers in [start, end), which may be
 * another binary's (the kernel dumping a process image it can see). A
 * file of more than limit bytes (0: no limit) calls over(), which must
 * not return; each(), if given, is called before every file. */
int gcov_dump_range(const void *const *start, const void *const *end, gcov_sink_t sink,
                    const char *who, uint32_t limit, void (*over)(void), void (*each)(void));
#endif
