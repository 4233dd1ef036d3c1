/* json.c - a small recursive-descent JSON reader (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    char *err;
    size_t errsz;
} parser;

static json *value(parser *p);

static json *fail(parser *p, const char *what)
{
    if (p->err[0] == '\0')
        snprintf(p->err, p->errsz, "JSON offset %zu: %s", p->pos, what);
    return NULL;
}

static void ws(parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) != NULL)
        p->pos++;
}

static json *node(json_type t)
{
    json *j = calloc(1, sizeof *j);
    if (j != NULL)
        j->type = t;
    return j;
}

static int put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 63));
    o[2] = (char)(0x80 | (cp >> 6 & 63)); o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

static int hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    if (p->len - p->pos < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Parse a string at p->pos (the opening quote); bytes to *out. */
static int string(parser *p, char **out, size_t *outlen)
{
    size_t cap = 16, n = 0;
    char *b = malloc(cap);
    p->pos++; /* the quote */
    while (b != NULL) {
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            break;
        }
        if (n + 5 > cap) {
            char *nb = realloc(b, cap *= 2);
            if (nb == NULL)
                break;
            b = nb;
        }
        char c = p->s[p->pos++];
        if (c == '"') {
            b[n] = '\0';
            *out = b;
            *outlen = n;
            return 0;
        }
        if (c != '\\') {
            b[n++] = c;
            continue;
        }
        if (p->pos >= p->len)
            break;
        c = p->s[p->pos++];
        const char *esc = strchr("\"\\/bfnrt", c);
        if (esc != NULL && c != 'u') {
            b[n++] = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (c != 'u' || hex4(p, &cp) != 0) {
            fail(p, "bad escape");
            break;
        }
        if (cp >= 0xD800 && cp < 0xDC00 && p->len - p->pos >= 6 &&
            p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
            p->pos += 2;
            if (hex4(p, &lo) != 0) {
                fail(p, "bad escape");
                break;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        n += (size_t)put_utf8(b + n, cp);
    }
    free(b);
    fail(p, "bad string");
    return -1;
}

static int push(json *j, json *item, char *key, size_t keylen)
{
    json **items = realloc(j->items, (j->n + 1) * sizeof *items);
    if (items == NULL)
        return -1;
    j->items = items;
    if (j->type == JSON_OBJECT) {
        char **keys = realloc(j->keys, (j->n + 1) * sizeof *keys);
        size_t *kl = realloc(j->keylens, (j->n + 1) * sizeof *kl);
        if (keys != NULL)
            j->keys = keys;
        if (kl != NULL)
            j->keylens = kl;
        if (keys == NULL || kl == NULL)
            return -1;
        j->keys[j->n] = key;
        j->keylens[j->n] = keylen;
    }
    j->items[j->n++] = item;
    return 0;
}

static json *container(parser *p, bool obj)
{
    json *j = node(obj ? JSON_OBJECT : JSON_ARRAY);
    char close = obj ? '}' : ']';
    if (j == NULL)
        return fail(p, "out of memory");
    p->pos++;
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        size_t keylen = 0;
        ws(p);
        if (obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"' ||
                string(p, &key, &keylen) != 0)
                goto bad;
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                fail(p, "expected ':'");
                goto bad;
            }
            p->pos++;
        }
        json *item = value(p);
        if (item == NULL || push(j, item, key, keylen) != 0) {
            free(key);
            json_free(item);
            goto bad;
        }
        ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return j;
        }
        fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
bad:
    json_free(j);
    return NULL;
}

static json *value(parser *p)
{
    ws(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end");
    if (++p->depth > 64)
        return fail(p, "too deep");
    json *j = NULL;
    char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        j = container(p, c == '{');
    } else if (c == '"') {
        j = node(JSON_STRING);
        if (j != NULL && string(p, &j->str, &j->len) != 0) {
            free(j);
            j = NULL;
        }
    } else if (p->len - p->pos >= 4 && strncmp(p->s + p->pos, "true", 4) == 0) {
        j = node(JSON_BOOL);
        if (j) j->b = true;
        p->pos += 4;
    } else if (p->len - p->pos >= 5 && strncmp(p->s + p->pos, "false", 5) == 0) {
        j = node(JSON_BOOL);
        p->pos += 5;
    } else if (p->len - p->pos >= 4 && strncmp(p->s + p->pos, "null", 4) == 0) {
        j = node(JSON_NULL);
        p->pos += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = p->pos;
        while (p->pos < p->len && strchr("+-0123456789.eE", p->s[p->pos]))
            p->pos++;
        j = node(JSON_NUMBER);
        if (j != NULL) {
            j->len = p->pos - start;
            j->str = strndup(p->s + start, j->len);
            j->num = j->str ? strtod(j->str, NULL) : 0;
        }
    } else {
        fail(p, "unexpected character");
    }
    p->depth--;
    return j;
}

json *json_parse(const char *text, size_t len, char *err, size_t errsz)
{
    parser p = {text, len, 0, 0, err, errsz};
    err[0] = '\0';
    json *j = value(&p);
    ws(&p);
    if (j != NULL && p.pos != len) {
        fail(&p, "trailing characters");
        json_free(j);
        return NULL;
    }
    return j;
}

void json_free(json *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys != NULL)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->keylens);
    free(j->str);
    free(j);
}

const json *json_get(const json *j, const char *key)
{
    if (j == NULL || j->type != JSON_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < j->n; i++)
        if (j->keylens[i] == kl && memcmp(j->keys[i], key, kl) == 0)
            return j->items[i];
    return NULL;
}

bool json_is_str(const json *j, const char *s)
{
    return j != NULL && j->type == JSON_STRING && j->len == strlen(s) &&
           memcmp(j->str, s, j->len) == 0;
}
