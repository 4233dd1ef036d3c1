/* reply_tree.c - a RESP2/RESP3 reply as a tree, for tests that check properties.
 * Chapter 11.
 *
 * A recursive descent over the types the read commands send; see
 * reply_tree.h.
 */
#include "reply_tree.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *p;
    size_t len, at;
} cursor;

/* The line at c->at up to CRLF: its start and length; moves past it. */
static const char *line(cursor *c, size_t *n)
{
    const char *s = c->p + c->at;
    const char *e = memchr(s, '\r', c->len - c->at);
    ck_assert_msg(e != NULL && (size_t)(e - c->p) + 1 < c->len && e[1] == '\n',
                  "reply_tree: byte %zu: line without CRLF", c->at);
    *n = (size_t)(e - s);
    c->at += *n + 2;
    return s;
}

static long long number(const char *s, size_t n, size_t at)
{
    char buf[32];
    ck_assert_msg(n > 0 && n < sizeof buf, "reply_tree: byte %zu: bad number",
                  at);
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    ck_assert_msg(*end == '\0', "reply_tree: byte %zu: bad number \"%s\"", at,
                  buf);
    return v;
}

static void parse(cursor *c, rtree *t)
{
    memset(t, 0, sizeof *t);
    ck_assert_msg(c->at < c->len, "reply_tree: byte %zu: reply cut short",
                  c->at);
    size_t at = c->at;
    t->type = c->p[c->at++];
    size_t n;
    const char *s = line(c, &n);
    switch (t->type) {
    case '$':
        t->num = number(s, n, at + 1);
        if (t->num < 0)
            return;
        t->len = (size_t)t->num;
        ck_assert_msg(c->at + t->len + 2 <= c->len,
                      "reply_tree: byte %zu: bulk cut short", at);
        t->str = malloc(t->len + 1);
        memcpy(t->str, c->p + c->at, t->len);
        t->str[t->len] = '\0';
        c->at += t->len + 2;
        return;
    case ':':
        t->num = number(s, n, at + 1);
        return;
    case '+': case '-': case ',': case '#': case '_':
        t->len = n;
        t->str = malloc(n + 1);
        memcpy(t->str, s, n);
        t->str[n] = '\0';
        return;
    case '*': case '~': case '%': case '>': {
        long long k = number(s, n, at + 1);
        if (k < 0)
            return;
        t->nkids = (size_t)k * (t->type == '%' ? 2 : 1);
        t->kids = calloc(t->nkids ? t->nkids : 1, sizeof *t->kids);
        for (size_t i = 0; i < t->nkids; i++)
            parse(c, &t->kids[i]);
        return;
    }
    default:
        ck_abort_msg("reply_tree: byte %zu: unknown type 0x%02x", at,
                     (unsigned char)t->type);
    }
}

rtree *rtree_parse(const char *buf, size_t len)
{
    cursor c = {.p = buf, .len = len};
    rtree *t = malloc(sizeof *t);
    parse(&c, t);
    ck_assert_msg(c.at == len, "reply_tree: byte %zu: bytes after the reply",
                  c.at);
    return t;
}

static void free_kids(rtree *t)
{
    for (size_t i = 0; i < t->nkids; i++)
        free_kids(&t->kids[i]);
    free(t->kids);
    free(t->str);
}

void rtree_free(rtree *t)
{
    if (t == NULL)
        return;
    free_kids(t);
    free(t);
}
