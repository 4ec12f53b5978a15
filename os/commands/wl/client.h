/* client.h - the workload client of the victim services (client.c), shared
 * by the `wl` command and the scenario driver. */
#ifndef WL_CLIENT_H
#define WL_CLIENT_H

/* What a client saw. An answer is right, wrong (a value nobody wrote:
 * silent corruption), stale (an earlier or no value, while the service
 * still holds the acknowledged one: a transient wrong answer), or missing
 * altogether (lost: no answer after every retry). gone counts acknowledged
 * writes the service no longer holds (durable loss), found when a key is
 * rewritten or read back, or when echo's counter stays back. */
struct wl_counts {
    int answered, retried, wrong, stale, lost, verified, rebinds, gone;
    int timeouts;           /* requests whose deadline passed: lost, asked again */
};
extern struct wl_counts wl;

enum { T_KV, T_ECHO };
extern int wl_target;
extern const char *wl_label;

int  client_set_target(const char *name);   /* "kv" or "echo"; -1 if neither */
void client_use_alarm(int yes);             /* may this process sleep on alarms? */
int  client_bind(void);                     /* wait until DS names the target */
void client_item(int i);                    /* one request, checked */
void client_verify(void);                   /* read back all that was acknowledged */
int  client_endpoint(void);
void client_rebind(void);
void client_pause(void);                    /* about a tick */
void client_report_done(void);              /* the ev=wl_done line */
#endif
