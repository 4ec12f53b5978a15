/* probe.h - asking every service whether it serves, with its state (probe.c). */
#ifndef SCENARIO_PROBE_H
#define SCENARIO_PROBE_H
void probe_all(void);
#endif
