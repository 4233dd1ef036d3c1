/* cc_dump.c - read every key of a server through RESP into check_key records.
 * Chapter 12.
 *
 * The canonical form of a value is a sequence of tokens, each written as
 * its length in decimal, a colon, its bytes and a space ("3:foo "), so
 * that no two different values share a form whatever bytes they hold
 * (binary-safe: a NUL or a space in a member is just a byte).  Structure
 * is written as bare tags ("[2 " ... "] ", "i:42 ", "nil "), which cannot
 * be confused with a token because a token starts with a digit and a tag
 * never does.  The first byte where two forms differ is therefore close
 * to the first element where the values differ, which is what
 * check_keys_diff() prints.
 *
 * Reads are pipelined per chunk of keys: every TYPE and PTTL of the chunk,
 * then every value read, so a dump of thousands of keys is a few dozen
 * round trips rather than thousands.
 */
#include "cc_dump.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define CHUNK 128

/* ---- a growing byte buffer --------------------------------------------- */

typedef struct cbuf {
    char *p;
    size_t len, cap;
    int oom;
} cbuf;

static void cb_raw(cbuf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A token: "<len>:<bytes> ". */
static void cb_tok(cbuf *b, const char *s, size_t n)
{
    char h[32];
    int hl = snprintf(h, sizeof h, "%zu:", n);
    cb_raw(b, h, (size_t)hl);
    cb_raw(b, s, n);
    cb_raw(b, " ", 1);
}

/* A tag: structure, never starting with a digit. */
static void cb_tag(cbuf *b, const char *fmt, ...)
{
    char t[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    cb_raw(b, t, (size_t)n < sizeof t ? (size_t)n : sizeof t - 1);
    cb_raw(b, " ", 1);
}

/* Any reply, recursively. */
static void cb_value(cbuf *b, const resp_value *v)
{
    switch (v->type) {
    case RESP_SIMPLE:
    case RESP_BULK:
        cb_tok(b, v->str, v->len);
        break;
    case RESP_ERROR:
        cb_tag(b, "err");
        cb_tok(b, v->str, v->len);
        break;
    case RESP_INTEGER:
        cb_tag(b, "i:%lld", (long long)v->integer);
        break;
    case RESP_NULL:
    case RESP_NULL_ARRAY:
        cb_tag(b, "nil");
        break;
    case RESP_ARRAY:
        cb_tag(b, "[%zu", v->len);
        for (size_t i = 0; i < v->len; i++)
            cb_value(b, &v->elems[i]);
        cb_tag(b, "]");
        break;
    }
}

/* ---- sorting pieces ------------------------------------------------------ */

typedef struct piece {
    char *p;
    size_t n;
} piece;

static int bytes_order(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int piece_order(const void *x, const void *y)
{
    const piece *a = x, *b = y;
    return bytes_order(a->p, a->n, b->p, b->n);
}

/* Append the pieces sorted, then free them. */
static void cb_sorted(cbuf *b, piece *ps, size_t n)
{
    qsort(ps, n, sizeof *ps, piece_order);
    cb_tag(b, "{%zu", n);
    for (size_t i = 0; i < n; i++) {
        cb_raw(b, ps[i].p, ps[i].n);
        free(ps[i].p);
    }
    cb_tag(b, "}");
}

/* ---- errors ---------------------------------------------------------------- */

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *esc(char *buf, size_t sz, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sz; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, sz - o, "\\x%02x", ch);
    }
    if (n > 0 && o + 5 >= sz && o + 4 < sz) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* ---- connections and INFO ------------------------------------------------- */

int cc_client_open(resp_client *c, int port, int timeout_ms)
{
    if (resp_client_open(c, port) != 0)
        return -1;
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

int cc_info_str(int port, const char *section, const char *field, char *out,
                size_t outsz, char *err, size_t errsz)
{
    resp_client c;
    if (cc_client_open(&c, port, 10000) != 0) {
        fail(err, errsz, "INFO %s on port %d: %s", section, port, c.err);
        resp_client_close(&c);
        return -1;
    }
    resp_value v = {0};
    int rc = -1;
    if (resp_client_calll(&c, &v, "INFO", section, NULL) != 0) {
        fail(err, errsz, "INFO %s on port %d: %s", section, port, c.err);
    } else if (v.type != RESP_BULK) {
        fail(err, errsz, "INFO %s on port %d: not a bulk reply (%s %s)", section,
             port, resp_type_name(v.type), v.str ? v.str : "");
    } else {
        size_t fl = strlen(field);
        const char *p = v.str, *end = v.str + v.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            if ((size_t)(le - p) > fl && memcmp(p, field, fl) == 0 && p[fl] == ':') {
                const char *s = p + fl + 1;
                size_t n = (size_t)(le - s);
                if (n && s[n - 1] == '\r')
                    n--;
                if (n >= outsz)
                    n = outsz - 1;
                memcpy(out, s, n);
                out[n] = '\0';
                rc = 0;
                break;
            }
            p = le + 1;
        }
        if (rc != 0)
            fail(err, errsz, "INFO %s on port %d: no field %s", section, port, field);
    }
    resp_value_clear(&v);
    resp_client_close(&c);
    return rc;
}

int cc_info_ll(int port, const char *section, const char *field, long long *out,
               char *err, size_t errsz)
{
    char buf[64], *end;
    if (cc_info_str(port, section, field, buf, sizeof buf, err, errsz) != 0)
        return -1;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || *end || errno)
        return fail(err, errsz, "INFO %s on port %d: %s is not a number: '%s'",
                    section, port, field, buf);
    *out = v;
    return 0;
}

/* ---- the dump ---------------------------------------------------------------- */

static const char *const type_names[] = {"string", "list", "set", "zset",
                                         "hash", "stream", NULL};

static const char *static_type(const resp_value *v)
{
    if (v->type != RESP_SIMPLE && v->type != RESP_BULK)
        return NULL;
    for (int i = 0; type_names[i]; i++)
        if (strcmp(v->str, type_names[i]) == 0)
            return type_names[i];
    if (strcmp(v->str, "none") == 0)
        return "none";
    return NULL;
}

/* A flat RESP2 map (name, value, name, value, ...): the value of name. */
static const resp_value *map_get(const resp_value *m, const char *name)
{
    if (m->type != RESP_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < m->len; i += 2) {
        const resp_value *k = &m->elems[i];
        if ((k->type == RESP_BULK || k->type == RESP_SIMPLE) && strcmp(k->str, name) == 0)
            return &m->elems[i + 1];
    }
    return NULL;
}

static void cb_field(cbuf *b, const resp_value *m, const char *name)
{
    const resp_value *v = map_get(m, name);
    cb_tag(b, "%s", name);
    if (v)
        cb_value(b, v);
    else
        cb_tag(b, "absent");
}

/* A piece: the bytes of a cbuf taken over. */
static int take(cbuf *b, piece *p)
{
    if (b->oom) {
        free(b->p);
        return -1;
    }
    p->p = b->p ? b->p : calloc(1, 1);
    p->n = b->len;
    return p->p ? 0 : -1;
}

/* One group of XINFO STREAM FULL, without its times. */
static int stream_group(const resp_value *g, piece *out)
{
    cbuf b = {0};
    cb_field(&b, g, "name");
    cb_field(&b, g, "last-delivered-id");
    /* entries-read is left out: Redis 7.0.15 propagates XREADGROUP as
     * XCLAIM ... LASTID, which does not carry it, so a real Redis replica
     * shows nil where its master counts (redis/redis src/t_stream.c,
     * streamPropagateXCLAIM()). */
    cb_field(&b, g, "pel-count");
    const resp_value *pend = map_get(g, "pending");
    cb_tag(&b, "pending");
    if (pend && pend->type == RESP_ARRAY) {
        cb_tag(&b, "[%zu", pend->len);
        for (size_t i = 0; i < pend->len; i++) {
            const resp_value *e = &pend->elems[i];
            if (e->type != RESP_ARRAY || e->len < 4) {
                cb_value(&b, e);
                continue;
            }
            /* id, owner, delivery time (left out), delivery count */
            cb_value(&b, &e->elems[0]);
            cb_value(&b, &e->elems[1]);
            cb_value(&b, &e->elems[3]);
        }
        cb_tag(&b, "]");
    } else {
        cb_tag(&b, "absent");
    }
    const resp_value *cons = map_get(g, "consumers");
    cb_tag(&b, "consumers");
    if (cons && cons->type == RESP_ARRAY) {
        piece *ps = calloc(cons->len ? cons->len : 1, sizeof *ps);
        if (!ps) {
            free(b.p);
            return -1;
        }
        for (size_t i = 0; i < cons->len; i++) {
            const resp_value *c = &cons->elems[i];
            cbuf cb = {0};
            cb_field(&cb, c, "name");
            cb_field(&cb, c, "pel-count");
            const resp_value *cp = map_get(c, "pending");
            cb_tag(&cb, "pending");
            if (cp && cp->type == RESP_ARRAY) {
                cb_tag(&cb, "[%zu", cp->len);
                for (size_t k = 0; k < cp->len; k++) {
                    const resp_value *e = &cp->elems[k];
                    if (e->type == RESP_ARRAY && e->len >= 3) {
                        /* id, delivery time (left out), delivery count */
                        cb_value(&cb, &e->elems[0]);
                        cb_value(&cb, &e->elems[2]);
                    } else {
                        cb_value(&cb, e);
                    }
                }
                cb_tag(&cb, "]");
            } else {
                cb_tag(&cb, "absent");
            }
            if (take(&cb, &ps[i]) != 0) {
                for (size_t k = 0; k < i; k++)
                    free(ps[k].p);
                free(ps);
                free(b.p);
                return -1;
            }
        }
        cb_sorted(&b, ps, cons->len);
        free(ps);
    } else {
        cb_tag(&b, "absent");
    }
    return take(&b, out);
}

/* The stream's state beyond its entries, from XINFO STREAM ... FULL. */
static int stream_info(cbuf *b, const resp_value *info)
{
    cb_field(b, info, "last-generated-id");
    cb_field(b, info, "max-deleted-entry-id");
    cb_field(b, info, "entries-added");
    const resp_value *groups = map_get(info, "groups");
    cb_tag(b, "groups");
    if (!groups || groups->type != RESP_ARRAY) {
        cb_tag(b, "absent");
        return 0;
    }
    piece *ps = calloc(groups->len ? groups->len : 1, sizeof *ps);
    if (!ps)
        return -1;
    for (size_t i = 0; i < groups->len; i++)
        if (stream_group(&groups->elems[i], &ps[i]) != 0) {
            for (size_t k = 0; k < i; k++)
                free(ps[k].p);
            free(ps);
            return -1;
        }
    cb_sorted(b, ps, groups->len);
    free(ps);
    return 0;
}

/* Pairs (field, value) of a flat array, sorted by field. */
static int sorted_pairs(cbuf *b, const resp_value *v, size_t step)
{
    size_t n = v->len / step;
    piece *ps = calloc(n ? n : 1, sizeof *ps);
    if (!ps)
        return -1;
    for (size_t i = 0; i < n; i++) {
        cbuf pb = {0};
        for (size_t k = 0; k < step; k++)
            cb_value(&pb, &v->elems[i * step + k]);
        if (take(&pb, &ps[i]) != 0) {
            for (size_t j = 0; j < i; j++)
                free(ps[j].p);
            free(ps);
            return -1;
        }
    }
    cb_sorted(b, ps, n);
    free(ps);
    return 0;
}

typedef struct dkey {
    char *key;
    size_t len;
    const char *type;
    long long pttl;
} dkey;

static int dkey_order(const void *x, const void *y)
{
    const dkey *a = x, *b = y;
    return bytes_order(a->key, a->len, b->key, b->len);
}

typedef struct dumper {
    resp_client c;
    cc_dump *out;
    size_t cap;
    int port;
    int db;
    char *err;
    size_t errsz;
} dumper;

static int push(dumper *d, const dkey *k, cbuf *val)
{
    if (val->oom)
        return fail(d->err, d->errsz, "out of memory");
    if (d->out->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        check_key *p = realloc(d->out->keys, cap * sizeof *p);
        if (!p)
            return fail(d->err, d->errsz, "out of memory");
        d->out->keys = p;
        d->cap = cap;
    }
    check_key *r = &d->out->keys[d->out->n++];
    memset(r, 0, sizeof *r);
    r->db = d->db;
    r->key = k->key;
    r->keylen = k->len;
    r->type = k->type;
    r->value = val->p ? val->p : calloc(1, 1);
    r->valuelen = val->len;
    r->pttl_ms = k->pttl;
    if (!r->value) {
        d->out->n--;
        return fail(d->err, d->errsz, "out of memory");
    }
    return 0;
}

static int reply(dumper *d, resp_value *v, const char *what, const dkey *k)
{
    char kb[120];
    if (resp_client_reply(&d->c, v) != 0)
        return fail(d->err, d->errsz, "port %d db %d: %s '%s': %s", d->port, d->db,
                    what, k ? esc(kb, sizeof kb, k->key, k->len) : "", d->c.err);
    return 0;
}

/* Queue the value reads of one key; returns how many replies to expect. */
static int send_reads(dumper *d, const dkey *k)
{
    const char *argv[8];
    size_t lens[8], argc = 0;
#define ARG(s) (argv[argc] = (s), lens[argc] = strlen(s), argc++)
    const char *t = k->type;
    if (!strcmp(t, "string")) {
        ARG("GET");
    } else if (!strcmp(t, "hash")) {
        ARG("HGETALL");
    } else if (!strcmp(t, "list")) {
        ARG("LRANGE");
    } else if (!strcmp(t, "set")) {
        ARG("SMEMBERS");
    } else if (!strcmp(t, "zset")) {
        ARG("ZRANGE");
    } else {
        ARG("XRANGE");
    }
    argv[argc] = k->key;
    lens[argc++] = k->len;
    if (!strcmp(t, "list") || !strcmp(t, "zset")) {
        ARG("0");
        ARG("-1");
        if (!strcmp(t, "zset"))
            ARG("WITHSCORES");
    } else if (!strcmp(t, "stream")) {
        ARG("-");
        ARG("+");
    }
    if (resp_client_send(&d->c, argc, argv, lens) != 0)
        return -1;
    if (!strcmp(t, "stream")) {
        argc = 0;
        ARG("XINFO");
        ARG("STREAM");
        argv[argc] = k->key;
        lens[argc++] = k->len;
        ARG("FULL");
        ARG("COUNT");
        ARG("0");
        if (resp_client_send(&d->c, argc, argv, lens) != 0)
            return -1;
        return 2;
    }
#undef ARG
    return 1;
}

/* Read the replies of one key and push its record (or skip it: gone). */
static int read_value(dumper *d, dkey *k, int nreplies)
{
    resp_value v[2] = {{0}, {0}};
    char kb[120];
    int rc = 0;
    for (int i = 0; i < nreplies; i++)
        if (reply(d, &v[i], k->type, k) != 0) {
            rc = -1;
            goto out;
        }
    cbuf b = {0};
    int gone = 0;
    const char *t = k->type;
    if (v[0].type == RESP_ERROR) {
        rc = fail(d->err, d->errsz, "port %d db %d: reading %s '%s': %s", d->port,
                  d->db, t, esc(kb, sizeof kb, k->key, k->len), v[0].str);
        goto out;
    }
    if (!strcmp(t, "string")) {
        if (v[0].type == RESP_NULL)
            gone = 1;
        else if (v[0].type != RESP_BULK)
            rc = -1;
        else
            cb_raw(&b, v[0].str, v[0].len); /* the bytes themselves */
    } else if (v[0].type != RESP_ARRAY) {
        rc = -1;
    } else if (v[0].len == 0) {
        gone = 1; /* expired between TYPE and the read */
    } else if (!strcmp(t, "hash")) {
        rc = sorted_pairs(&b, &v[0], 2);
    } else if (!strcmp(t, "set")) {
        rc = sorted_pairs(&b, &v[0], 1);
    } else if (!strcmp(t, "list") || !strcmp(t, "zset")) {
        cb_value(&b, &v[0]);
    } else {
        cb_tag(&b, "entries");
        cb_value(&b, &v[0]);
        if (v[1].type == RESP_ERROR) {
            gone = 1;
        } else if (v[1].type != RESP_ARRAY) {
            rc = -1;
        } else {
            rc = stream_info(&b, &v[1]);
        }
    }
    if (rc != 0) {
        free(b.p);
        if (!d->err[0])
            fail(d->err, d->errsz, "port %d db %d: reading %s '%s': unexpected "
                 "reply (%s)", d->port, d->db, t, esc(kb, sizeof kb, k->key, k->len),
                 resp_type_name(v[0].type));
        rc = -1;
        goto out;
    }
    if (gone) {
        free(b.p);
        goto out;
    }
    if (push(d, k, &b) != 0) {
        free(b.p);
        rc = -1;
        goto out;
    }
    k->key = NULL; /* owned by the record now */
out:
    resp_value_clear(&v[0]);
    resp_value_clear(&v[1]);
    return rc;
}

/* TYPE and PTTL of a chunk, then the values. */
static int dump_chunk(dumper *d, dkey *ks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *a1[2] = {"TYPE", ks[i].key}, *a2[2] = {"PTTL", ks[i].key};
        size_t l1[2] = {4, ks[i].len}, l2[2] = {4, ks[i].len};
        if (resp_client_send(&d->c, 2, a1, l1) != 0 ||
            resp_client_send(&d->c, 2, a2, l2) != 0)
            return fail(d->err, d->errsz, "out of memory");
    }
    char kb[120];
    for (size_t i = 0; i < n; i++) {
        resp_value t = {0}, p = {0};
        if (reply(d, &t, "TYPE", &ks[i]) != 0 || reply(d, &p, "PTTL", &ks[i]) != 0) {
            resp_value_clear(&t);
            return -1;
        }
        ks[i].type = static_type(&t);
        int bad = ks[i].type == NULL || p.type != RESP_INTEGER;
        if (bad)
            fail(d->err, d->errsz, "port %d db %d: TYPE/PTTL '%s': unexpected "
                 "reply (%s %s / %s)", d->port, d->db,
                 esc(kb, sizeof kb, ks[i].key, ks[i].len), resp_type_name(t.type),
                 t.str ? t.str : "", resp_type_name(p.type));
        ks[i].pttl = p.integer;
        if (!bad && p.integer == -2)
            ks[i].type = "none";
        resp_value_clear(&t);
        resp_value_clear(&p);
        if (bad)
            return -1;
    }
    int want[CHUNK];
    for (size_t i = 0; i < n; i++) {
        want[i] = 0;
        if (strcmp(ks[i].type, "none") == 0)
            continue;
        want[i] = send_reads(d, &ks[i]);
        if (want[i] < 0)
            return fail(d->err, d->errsz, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (want[i] > 0 && read_value(d, &ks[i], want[i]) != 0)
            return -1;
    return 0;
}

/* SCAN one database into ks (sorted, without duplicates). */
static int scan_db(dumper *d, dkey **ksp, size_t *np)
{
    dkey *ks = NULL;
    size_t n = 0, cap = 0;
    char cursor[32] = "0";
    do {
        resp_value v = {0};
        if (resp_client_calll(&d->c, &v, "SCAN", cursor, "COUNT", "1000", NULL) != 0) {
            fail(d->err, d->errsz, "port %d db %d: SCAN: %s", d->port, d->db, d->c.err);
            goto bad;
        }
        if (v.type != RESP_ARRAY || v.len != 2 || v.elems[0].type != RESP_BULK ||
            v.elems[0].len >= sizeof cursor || v.elems[1].type != RESP_ARRAY) {
            fail(d->err, d->errsz, "port %d db %d: SCAN: unexpected reply (%s)",
                 d->port, d->db, resp_type_name(v.type));
            resp_value_clear(&v);
            goto bad;
        }
        memcpy(cursor, v.elems[0].str, v.elems[0].len + 1);
        const resp_value *keys = &v.elems[1];
        for (size_t i = 0; i < keys->len; i++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                dkey *p = realloc(ks, cap * sizeof *p);
                if (!p) {
                    resp_value_clear(&v);
                    fail(d->err, d->errsz, "out of memory");
                    goto bad;
                }
                ks = p;
            }
            /* take the bytes over from the reply */
            ks[n].key = keys->elems[i].str;
            ks[n].len = keys->elems[i].len;
            ks[n].type = NULL;
            ks[n].pttl = -1;
            keys->elems[i].str = NULL;
            keys->elems[i].type = RESP_NULL;
            if (!ks[n].key)
                ks[n].key = calloc(1, 1);
            n++;
        }
        resp_value_clear(&v);
    } while (strcmp(cursor, "0") != 0);
    if (n)
        qsort(ks, n, sizeof *ks, dkey_order);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && dkey_order(&ks[w - 1], &ks[i]) == 0) {
            free(ks[i].key);
            continue;
        }
        ks[w++] = ks[i];
    }
    *ksp = ks;
    *np = w;
    return 0;
bad:
    for (size_t i = 0; i < n; i++)
        free(ks[i].key);
    free(ks);
    return -1;
}

int cc_dump_read(int port, int databases, cc_dump *out, char *err, size_t errsz)
{
    dumper d = {.out = out, .port = port, .err = err, .errsz = errsz};
    out->keys = NULL;
    out->n = 0;
    err[0] = '\0';
    if (cc_client_open(&d.c, port, 30000) != 0) {
        fail(err, errsz, "port %d: %s", port, d.c.err);
        resp_client_close(&d.c);
        return -1;
    }
    int rc = 0;
    for (d.db = 0; d.db < databases && rc == 0; d.db++) {
        char dbs[16];
        snprintf(dbs, sizeof dbs, "%d", d.db);
        resp_value v = {0};
        if (resp_client_calll(&d.c, &v, "SELECT", dbs, NULL) != 0 ||
            v.type != RESP_SIMPLE) {
            rc = fail(err, errsz, "port %d: SELECT %d: %s", port, d.db,
                      v.type == RESP_ERROR ? v.str : d.c.err);
            resp_value_clear(&v);
            break;
        }
        resp_value_clear(&v);
        dkey *ks = NULL;
        size_t n = 0;
        if (scan_db(&d, &ks, &n) != 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < n && rc == 0; i += CHUNK)
            rc = dump_chunk(&d, ks + i, n - i < CHUNK ? n - i : CHUNK);
        for (size_t i = 0; i < n; i++)
            free(ks[i].key);
        free(ks);
    }
    resp_client_close(&d.c);
    if (rc != 0) {
        cc_dump_free(out);
        return -1;
    }
    if (out->n)
        qsort(out->keys, out->n, sizeof *out->keys, check_key_order);
    return 0;
}

void cc_dump_free(cc_dump *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free((char *)d->keys[i].key);
        free((char *)d->keys[i].value);
    }
    free(d->keys);
    d->keys = NULL;
    d->n = 0;
}
