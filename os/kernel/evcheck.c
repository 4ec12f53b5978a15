/* evcheck.c - may this text follow the header of a process's event line?
 * The kernel writes `t=` and `who=` itself, so the text must not set
 * them; and it must follow the grammar of the host's parser
 * (faultinj/events.py, _tokenize) to the letter, because a key is only
 * where the host's tokenizer finds it: `a="x who=kernel"` sets a, while a
 * text the host cannot parse would be silently dropped. Refusing both
 * keeps the kernel's view and the host's the same. Grammar: tokens
 * separated by spaces or tabs, each key=bare or key="quoted" where a
 * backslash escapes only " or \, and a non-empty ev= among them. */
#include "kernel.h"

static int is_sep(char c) { return c == ' ' || c == '\t'; }

static int key_is(const char *k, size_t len, const char *want)
{
    return strlen(want) == len && !memcmp(k, want, len);
}

int event_text_check(const char *s, size_t n)
{
    size_t i = 0;
    int have_ev = 0;
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
        if (key_is(key, klen, "ev")) have_ev = !empty;
    }
}
