/* evcheck.c - may this text follow the header of a process's event line?
 * The kernel writes `t=` and `who=` itself, so the text must not set
 * them; and it must follow the grammar of the host's parser
 * (faultinj/events.py, _tokenize) to the letter, because a key is only
 * where the host's tokenizer finds it: `a="x who=kernel"` sets a, while a
 * text the host cannot parse would be silently dropped. Refusing both
 * keeps the kernel's view and the host's the same. Grammar: tokens
 * separated by spaces or tabs, each key=bare or key="quoted" where a
 * backslash escapes only " or \, and a non-empty ev= among them.
 *
 * And the kind must be one this process may emit: who= says which process
 * printed a line, not that it may print it, so a user program's
 * `ev=wl_done ...` would otherwise be a genuine wl_done under its own
 * name. contract/events.def says per kind which processes may emit it
 * (generated into ev_producers.h). */
#include "kernel.h"
#include "proc.h"
#include "ev_producers.h"

static int is_sep(char c) { return c == ' ' || c == '\t'; }

static int key_is(const char *k, size_t len, const char *want)
{
    return strlen(want) == len && !memcmp(k, want, len);
}

/* The value of a token as the host reads it: quotes removed, \" and \\
 * unescaped; "" if it does not fit (longer than any kind). */
static void copy_value(const char *v, size_t len, char *out, size_t size)
{
    size_t o = 0;
    if (len >= 2 && v[0] == '"') { v++; len -= 2; }
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '\\') i++;            /* the check allows only \" and \\ */
        if (o + 1 >= size) { out[0] = 0; return; }
        out[o++] = v[i];
    }
    out[o] = 0;
}

int event_text_check(const char *s, size_t n, char *kind, size_t ksize)
{
    size_t i = 0;
    int have_ev = 0;
    kind[0] = 0;
    for (;;) {
        while (i < n && is_sep(s[i])) i++;
        if (i >= n) return have_ev ? OK : EINVAL;
        const char *key = s + i;
        while (i < n && !is_sep(s[i]) && s[i] != '=' && s[i] != '"') i++;
        size_t klen = (size_t)(s + i - key);
        if (klen == 0 || i >= n || s[i] != '=') return EINVAL;
        if (key_is(key, klen, "t") || key_is(key, klen, "who")) return EINVAL;
        i++;
        size_t vstart = i;
        int empty;
        if (i < n && s[i] == '"') {
            for (i++;; ) {
                if (i >= n) return EINVAL;                 /* unterminated */
                if (s[i] == '\\') {
                    if (i + 1 >= n || (s[i + 1] != '"' && s[i + 1] != '\\')) return EINVAL;
                    i += 2;
                } else if (s[i++] == '"') {
                    break;
                }
            }
            if (i < n && !is_sep(s[i])) return EINVAL;     /* x="a"b */
            empty = i - vstart == 2;
        } else {
            for (; i < n && !is_sep(s[i]); i++)
                if (s[i] == '"') return EINVAL;            /* x=a"b */
            empty = i == vstart;
        }
        /* a repeated key keeps its last value, on the host as here */
        if (key_is(key, klen, "ev")) {
            have_ev = !empty;
            copy_value(s + vstart, i - vstart, kind, ksize);
        }
    }
}

/* Is name one of the comma-separated words of list? */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *w = list; *w; ) {
        const char *end = w;
        while (*end && *end != ',') end++;
        if ((size_t)(end - w) == n && !memcmp(w, name, n)) return 1;
        w = *end ? end + 1 : end;
    }
    return 0;
}

/* The kind's rule, by binary search: contract/gen.py sorts ev_rules by
 * kind in strcmp's order. (Looked for one by one, the ~190 kinds cost
 * ~1,500 guest instructions for each event a process prints.) */
static const struct ev_rule *rule_of(const char *kind)
{
    int lo = 0, hi = EV_NR_RULES;
    while (lo < hi) {
        int mid = (lo + hi) / 2, c = strcmp(ev_rules[mid].kind, kind);
        if (!c) return &ev_rules[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* The producer is the process's name, which its user cannot choose: PM
 * names a user process after its program file (never a boot service's),
 * RS a service after its label in RS's own table. "sys" also asks for a
 * privilege of its own, which user processes never have (they share
 * INIT's or the fault-injection tools'). A kind the schema does not know
 * passes: the host refuses it as malformed, and it can pass for nothing. */
int event_producer_check(const struct proc *p, const char *kind)
{
    const struct ev_rule *r = rule_of(kind);
    if (!r) return OK;
    const char *list = r->producers;
    if (in_list(list, "*") || in_list(list, p->name)) return OK;
    if (in_list(list, "sys") && p->priv && !is_user_priv_id(p->priv->id)) return OK;
    return EPERM;
}
