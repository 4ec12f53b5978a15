/* supconf.c - where a service's supervision settings come from: its sys
 * table row (zeros: RS's defaults), then what `service up` asked for,
 * checked here since the caller only parsed its command line. Also how
 * they read in `service list`. */
#include "rs.h"

static const char *const stage_names[NR_STAGES] = { "restart", "reset", "dependents", "giveup" };

const char *stage_name(int stage)
{
    return stage >= 0 && stage < NR_STAGES ? stage_names[stage] : "?";
}

/* "restart,reset,giveup" -> stages; giveup, if there, ends the chain.
 * A chain without giveup repeats its last stage for ever. */
static int parse_chain(struct rs_sup *s, const char *text)
{
    int n = 0;
    while (*text) {
        const char *end = text;
        while (*end && *end != ',') end++;
        int st = -1;
        for (int i = 0; i < NR_STAGES; i++)
            if (strlen(stage_names[i]) == (size_t)(end - text) &&
                !strncmp(stage_names[i], text, (size_t)(end - text))) st = i;
        if (st < 0 || n == CHAIN_MAX) return EINVAL;
        if (n && s->chain[n - 1] == STAGE_GIVEUP) return EINVAL;
        s->chain[n++] = (uint8_t)st;
        text = *end ? end + 1 : end;
    }
    if (!n) return EINVAL;
    s->nchain = n;
    return OK;
}

/* "kv ds" or "kv,ds" -> "kv,ds": every label a known service, not self. */
static int parse_deps(struct rs_sup *s, const char *text, const char *self)
{
    char out[RS_DEPS_TEXT] = "";
    size_t used = 0;
    if (!strcmp(text, "-")) text = "";
    while (*text) {
        while (*text == ' ' || *text == ',') text++;
        const char *end = text;
        while (*end && *end != ' ' && *end != ',') end++;
        size_t n = (size_t)(end - text);
        if (!n) break;
        char label[LABEL_MAX];
        if (n >= LABEL_MAX) return EINVAL;
        memcpy(label, text, n);
        label[n] = 0;
        const struct rs_priv_entry *e = rs_priv_lookup(label);
        /* a dependency on itself, on RS or on something RS cannot name
         * would never be met */
        if (!e || (self && !strcmp(label, self)) || (e->sys_flags & SF_SELF)) return EINVAL;
        if (used + n + 2 > sizeof out) return E2BIG;
        if (used) out[used++] = ',';
        memcpy(out + used, label, n);
        used += n;
        out[used] = 0;
        text = end;
    }
    strlcpy(s->deps, out, sizeof s->deps);
    return OK;
}

static int pick(int v, int def) { return v > 0 ? v : def; }

void sup_from_table(struct rs_sup *s, const struct rs_priv_entry *e)
{
    const struct rs_sup_conf *c = &e->sup;
    memset(s, 0, sizeof *s);
    s->max_restarts = pick(c->max_restarts, DEF_MAX_RESTARTS);
    if (s->max_restarts > INTENSITY_MAX) s->max_restarts = INTENSITY_MAX;
    s->window = pick(c->window, DEF_WINDOW);
    const char *def = (e->sys_flags & SF_CORE) ? DEF_CHAIN_CORE : DEF_CHAIN;
    if (!c->chain || parse_chain(s, c->chain) != OK) parse_chain(s, def);
    s->deps[0] = 0;
    if (c->deps && parse_deps(s, c->deps, e->label) != OK) s->deps[0] = 0;
    s->dep_policy = c->dep_policy == RS_DEP_REST_FOR_ONE ? RS_DEP_REST_FOR_ONE : RS_DEP_ONE_FOR_ONE;
    s->dep_origin = -1;
    s->ping_late = pick(c->ping_late, DEF_PING_LATE);
    s->ping_hang = pick(c->ping_hang, DEF_PING_HANG);
    if (s->ping_hang <= s->ping_late) s->ping_hang = s->ping_late + 1;
}

/* Settings from `service up` over the table's; EINVAL (nothing changed
 * in *s that matters: the caller drops it) when any is out of range. */
int sup_apply_opts(struct rs_sup *s, const struct rs_up_opts *o, const char *self)
{
    if (o->max_restarts < 0 || o->max_restarts > INTENSITY_MAX) return EINVAL;
    if (o->window < 0 || o->window > WINDOW_MAX) return EINVAL;
    if (o->dep_policy < -1 || o->dep_policy > RS_DEP_REST_FOR_ONE) return EINVAL;
    if (o->ping_late < 0 || o->ping_late > PING_MAX || o->ping_hang < 0 || o->ping_hang > PING_MAX)
        return EINVAL;
    if (o->max_restarts) s->max_restarts = o->max_restarts;
    if (o->window) s->window = o->window;
    if (o->dep_policy >= 0) s->dep_policy = o->dep_policy;
    if (o->ping_late) s->ping_late = o->ping_late;
    if (o->ping_hang) s->ping_hang = o->ping_hang;
    /* a hang is a late answer that went on: its threshold is the later one */
    if (s->ping_hang <= s->ping_late) return EINVAL;
    char text[RS_DEPS_TEXT > RS_CHAIN_TEXT ? RS_DEPS_TEXT : RS_CHAIN_TEXT];
    int r;
    memcpy(text, o->chain, RS_CHAIN_TEXT);
    text[RS_CHAIN_TEXT - 1] = 0;
    if (text[0] && (r = parse_chain(s, text)) != OK) return r;
    memcpy(text, o->deps, RS_DEPS_TEXT);
    text[RS_DEPS_TEXT - 1] = 0;
    if (text[0] && (r = parse_deps(s, text, self)) != OK) return r;
    return OK;
}

/* The supervision part of a `service list` line. */
int sup_describe(const struct rproc *rp, char *buf, int len)
{
    const struct rs_sup *s = &rp->sup;
    char chain[RS_CHAIN_TEXT] = "";
    size_t used = 0;
    for (int i = 0; i < s->nchain; i++) {
        const char *n = stage_name(s->chain[i]);
        if (used + strlen(n) + 2 > sizeof chain) break;
        if (used) chain[used++] = ',';
        strlcpy(chain + used, n, sizeof chain - used);
        used += strlen(n);
    }
    int stage = s->stage < s->nchain ? s->chain[s->stage] : STAGE_GIVEUP;
    return snprintf(buf, (size_t)len, "intensity=%d/%d strikes=%d stage=%s chain=%s deps=%s"
                    " dep_policy=%s late_after=%d hang_after=%d", s->max_restarts, s->window,
                    sup_strikes(rp), stage_name(stage), chain, s->deps[0] ? s->deps : "-",
                    s->dep_policy == RS_DEP_REST_FOR_ONE ? "rest_for_one" : "one_for_one",
                    s->ping_late * rp->pub.period, s->ping_hang * rp->pub.period);
}
