/* gcov_dump.h - stream this binary's gcov counters over the console. */
#ifndef GCOV_DUMP_H
#define GCOV_DUMP_H
#include <stdint.h>
/* sink writes one whole line (it ends in '\n') */
typedef void (*gcov_sink_t)(const char *line, uint32_t len);
/* Returns the number of object files dumped, or -1 without coverage. */
int gcov_dump_all(gcov_sink_t sink, const char *who);
#endif
