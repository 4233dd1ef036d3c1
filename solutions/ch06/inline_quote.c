/* inline_quote.c - exercise 6.2, solved: Redis's inline quoting rules.
 *
 * A three-state machine (outside quotes, in "...", in '...') walks the line
 * once, building the current argument in a growable buffer.  An argument
 * ends at white space outside quotes or at the end of the line; a closing
 * quote must be followed by white space or the end, as in Redis, so that
 * `"a"b` is an error rather than a silent `ab`.
 */
#include "inline_quote.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/** The argument being built. */
typedef struct arg_buf {
    char *p;    /**< its bytes (malloc'ed) */
    size_t len; /**< bytes used */
    size_t cap; /**< bytes allocated */
} arg_buf;

static int put(arg_buf *a, char c)
{
    if (a->len + 1 >= a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        char *n = realloc(a->p, cap);
        if (!n) return -1;
        a->p = n;
        a->cap = cap;
    }
    a->p[a->len++] = c;
    return 0;
}

/* Move the finished argument into out. */
static int push(inline_args *out, arg_buf *a)
{
    if (put(a, '\0') != 0) return -1;          /* NUL, not counted */
    a->len--;
    char **argv = realloc(out->argv, (out->argc + 1) * sizeof *argv);
    if (!argv) return -1;
    out->argv = argv;
    size_t *lens = realloc(out->lens, (out->argc + 1) * sizeof *lens);
    if (!lens) return -1;
    out->lens = lens;
    out->argv[out->argc] = a->p;
    out->lens[out->argc] = a->len;
    out->argc++;
    memset(a, 0, sizeof *a);
    return 0;
}

int inline_split_quoted(const char *line, size_t len, inline_args *out,
                        char *err, size_t errlen)
{
    enum { OUT, DQ, SQ } st = OUT;
    arg_buf a = { 0 };
    bool in_arg = false;
    size_t i = 0;
    memset(out, 0, sizeof *out);
    while (i < len) {
        char c = line[i];
        int rc = 0;
        if (st == OUT) {
            if (is_space(c)) {
                if (in_arg) rc = push(out, &a);
                in_arg = false;
            } else {
                in_arg = true;
                if (c == '"') st = DQ;
                else if (c == '\'') st = SQ;
                else rc = put(&a, c);
            }
            i++;
        } else if (st == DQ) {
            if (c == '\\' && i + 3 < len && line[i + 1] == 'x' &&
                hex_val(line[i + 2]) >= 0 && hex_val(line[i + 3]) >= 0) {
                rc = put(&a, (char)(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3])));
                i += 4;
            } else if (c == '\\' && i + 1 < len) {
                char e = line[i + 1];
                rc = put(&a, e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t'
                           : e == 'b' ? '\b' : e == 'a' ? '\a' : e);
                i += 2;
            } else if (c == '"') {
                if (i + 1 < len && !is_space(line[i + 1])) {
                    snprintf(err, errlen, "byte %zu: closing quote must be "
                             "followed by a space", i + 1);
                    goto fail;
                }
                st = OUT;
                i++;
            } else {
                rc = put(&a, c);
                i++;
            }
        } else {                                       /* SQ */
            if (c == '\\' && i + 1 < len && line[i + 1] == '\'') {
                rc = put(&a, '\'');
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < len && !is_space(line[i + 1])) {
                    snprintf(err, errlen, "byte %zu: closing quote must be "
                             "followed by a space", i + 1);
                    goto fail;
                }
                st = OUT;
                i++;
            } else {
                rc = put(&a, c);
                i++;
            }
        }
        if (rc != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (st != OUT) {
        snprintf(err, errlen, "byte %zu: unbalanced quotes", len);
        goto fail;
    }
    if (in_arg && push(out, &a) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    free(a.p);
    return 0;
fail:
    free(a.p);
    inline_args_free(out);
    return -1;
}

void inline_args_free(inline_args *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}
