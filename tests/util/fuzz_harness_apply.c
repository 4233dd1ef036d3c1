/* fuzz_harness_apply.c - random commands through the applier, checked against a model.
 * Chapter 12.
 *
 * See fuzz_harness_apply.h for the encoding and the checks.  The model is
 * deliberately small: ten keys of database 0, four types, and the commands
 * whose effect fits in a few lines each (SET, APPEND, INCR and friends,
 * DEL, SETRANGE, SADD/SREM, HSET/HDEL, pushes and pops), written from
 * Redis's documented behaviour, not from our handlers.  Any other command
 * that may have changed something re-reads the model from the keyspace
 * ("resync"), so the next modelled command starts from the truth; a
 * command queued inside MULTI must change nothing, so after it the model
 * is compared, not re-read.
 */
#include "fuzz_harness_apply.h"

#include "cmd.h"
#include "cmd_private.h"
#include "keyspace.h"
#include "phash.h"
#include "plist.h"
#include "pset.h"
#include "pstream.h"
#include "pstring.h"
#include "pzset.h"
#include "store.h"
#include "store_hamt.h"
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the alphabet ----------------------------------------------------------- */

static const char *const keys[] = {"k1", "k2", "k3", "s", "h", "l",
                                   "z", "x", "{t}a", "{t}b"};
#define NKEYS (sizeof keys / sizeof *keys)

static const char *const numbers[] = {
    "0", "1", "2", "3", "-1", "-2", "10", "100", "007", "-0", "+1", " 1",
    "3.5", "-2.5", "1e3", "inf", "-inf", "+inf", "nan", "0x10", "",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "18446744073709551615", "4294967295", "1099511627776", "5", "20",
    "1700000000000", "99999999999999", "0.1", "1.0000000000000002",
};
#define NNUMBERS (sizeof numbers / sizeof *numbers)

static const char *const ids[] = {
    "0-0", "0-1", "1-0", "1-1", "2-0", "5-5", "*", "$", ">", "-", "+",
    "1-*", "0", "1", "18446744073709551615-18446744073709551615",
    "18446744073709551615-0", "1-18446744073709551615", "(1-0", "1-x",
};
#define NIDS (sizeof ids / sizeof *ids)

static const char *const words[] = {
    "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT",
    "KEEPTTL", "GET", "WITHSCORES", "LIMIT", "COUNT", "MATCH", "BEFORE",
    "AFTER", "LEFT", "RIGHT", "MAXLEN", "MINID", "~", "=", "NOMKSTREAM",
    "BYSCORE", "BYLEX", "REV", "AGGREGATE", "SUM", "MIN", "MAX", "WEIGHTS",
    "STORE", "ALPHA", "DESC", "ASC", "BY", "REPLACE", "ABSTTL", "IDLETIME",
    "FREQ", "DB", "MKSTREAM", "ENTRIESREAD", "JUSTID", "FORCE",
    "RETRYCOUNT", "LASTID", "TIME", "IDLE", "M", "KM", "WITHCOORD", "AND",
    "OR", "XOR", "NOT", "u8", "i16", "u63", "i64", "#1", "OVERFLOW", "WRAP",
    "SAT", "FAIL", "SET", "INCRBY", "BIT", "BYTE", "FIELDS", "a", "b", "c",
    "abc", "hello", "", "g1", "c1", "[a", "(b", "-", "+", "*", "nosort",
    "13.361389", "38.115556", "LOAD", "FLUSH", "ASYNC", "SYNC", "delete",
    "load", "restore", "FLUSHALL",
};
#define NWORDS (sizeof words / sizeof *words)

/* ---- the command table, flattened ------------------------------------------- */

static const cmd_spec *specs[1024];
static size_t nspecs;

static void load_specs(void)
{
    if (nspecs > 0)
        return;
    for (size_t t = 0; cmd_tables[t] != NULL; t++)
        for (const cmd_spec *sp = cmd_tables[t]; sp->name != NULL; sp++)
            if (nspecs < sizeof specs / sizeof *specs)
                specs[nspecs++] = sp;
}

/* ---- byte strings and the model ----------------------------------------------- */

typedef struct bstr {
    unsigned char *p;
    size_t len;
} bstr;

/* A key as the model holds it.  type -1: absent; a type outside the four
 * modelled ones is kept as its type only (contents not compared). */
typedef struct mval {
    int type;
    size_t n;      /* elements: 1 for a string, pairs * 2 for a hash */
    size_t cap;
    bstr *e;
} mval;

typedef struct harness {
    keyspace *ks;
    keyspace_reader *rd;
    cmd_applier *app;
    mval model[NKEYS];
    char *err;
    size_t errsz;
    size_t index;      /* the command being checked */
    const char *name;  /* its name */
    bool oom;          /* the harness's own allocation failed */
} harness;

static void *xalloc(harness *h, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        h->oom = true;
    return p;
}

static void mval_clear(mval *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].p);
    free(m->e);
    memset(m, 0, sizeof *m);
    m->type = -1;
}

static void mval_push(harness *h, mval *m, const void *p, size_t len)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        bstr *e = realloc(m->e, cap * sizeof *e);
        if (e == NULL) {
            h->oom = true;
            return;
        }
        m->e = e;
        m->cap = cap;
    }
    unsigned char *c = xalloc(h, len + 1);
    if (c == NULL)
        return;
    if (len)
        memcpy(c, p, len);
    c[len] = '\0';
    m->e[m->n].p = c;
    m->e[m->n].len = len;
    m->n++;
}

static void mval_remove_at(mval *m, size_t i, size_t count)
{
    for (size_t k = i; k < i + count; k++)
        free(m->e[k].p);
    memmove(m->e + i, m->e + i + count, (m->n - i - count) * sizeof *m->e);
    m->n -= count;
}

static bool bstr_eq(const bstr *b, const void *p, size_t len)
{
    return b->len == len && (len == 0 || memcmp(b->p, p, len) == 0);
}

static int bstr_cmp(const void *a, const void *b)
{
    const bstr *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int pair_cmp(const void *a, const void *b)
{
    return bstr_cmp(a, b); /* pairs sort by their first (field) */
}

/* Read a stored value into the model's form. */
static void to_mval(harness *h, const value *v, mval *m)
{
    mval_clear(m);
    if (v == NULL)
        return;
    m->type = v->type;
    switch ((value_type)v->type) {
    case VALUE_STRING: {
        size_t len = value_str_len(v);
        unsigned char *buf = xalloc(h, len + 1);
        if (buf == NULL)
            return;
        size_t got = value_str_read(v, 0, buf, len);
        mval_push(h, m, buf, got);
        free(buf);
        break;
    }
    case VALUE_LIST: {
        plist_iter it;
        for (plist_iter_seek(&it, value_as_list(v), 0); plist_iter_valid(&it);
             plist_iter_next(&it)) {
            const velem *e = plist_iter_elem(&it);
            mval_push(h, m, e->bytes, e->len);
        }
        break;
    }
    case VALUE_SET: {
        pset_iter it;
        pset_iter_init(&it, value_as_set(v));
        for (const velem *e; (e = pset_iter_next(&it)) != NULL;)
            mval_push(h, m, e->bytes, e->len);
        qsort(m->e, m->n, sizeof *m->e, bstr_cmp);
        break;
    }
    case VALUE_HASH: {
        phash_iter it;
        phash_iter_init(&it, value_as_hash(v));
        for (const phash_field *f; (f = phash_iter_next(&it)) != NULL;) {
            size_t fl, vl;
            const unsigned char *fp = phash_field_name(f, &fl);
            const unsigned char *vp = phash_field_value(f, &vl);
            mval_push(h, m, fp, fl);
            mval_push(h, m, vp, vl);
        }
        qsort(m->e, m->n / 2, 2 * sizeof *m->e, pair_cmp);
        break;
    }
    default:
        break;
    }
}

/* The key as the applier's writer sees it now (its batch, or the store). */
static void snapshot(harness *h, unsigned db, const char *key, mval *out)
{
    if (keyspace_in_batch(h->ks)) {
        to_mval(h, keyspace_lookup(h->ks, db, key, strlen(key)), out);
        return;
    }
    keyspace_read_begin(h->rd);
    to_mval(h, keyspace_get(h->rd, db, key, strlen(key)), out);
    keyspace_read_end(h->rd);
}

static int fail(harness *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(harness *h, const char *fmt, ...)
{
    int n = snprintf(h->err, h->errsz, "command %zu (%s): ", h->index,
                     h->name ? h->name : "?");
    if (n < 0 || (size_t)n >= h->errsz)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err + n, h->errsz - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void resync(harness *h)
{
    for (size_t k = 0; k < NKEYS; k++)
        snapshot(h, 0, keys[k], &h->model[k]);
}

/* Sort the model's unordered types the way to_mval() does. */
static void normalise(mval *m)
{
    if (m->type == VALUE_SET)
        qsort(m->e, m->n, sizeof *m->e, bstr_cmp);
    else if (m->type == VALUE_HASH)
        qsort(m->e, m->n / 2, 2 * sizeof *m->e, pair_cmp);
}

static int compare_all(harness *h)
{
    mval got = {.type = -1};
    int rc = 0;
    for (size_t k = 0; k < NKEYS && rc == 0; k++) {
        mval *want = &h->model[k];
        normalise(want);
        snapshot(h, 0, keys[k], &got);
        if (got.type != want->type) {
            rc = fail(h, "key %s: type %d, the model says %d", keys[k],
                      got.type, want->type);
        } else if (want->type >= VALUE_STRING && want->type <= VALUE_HASH &&
                   want->type != VALUE_ZSET) {
            if (got.n != want->n) {
                rc = fail(h, "key %s: %zu elements, the model says %zu",
                          keys[k], got.n, want->n);
            } else {
                for (size_t i = 0; i < got.n; i++)
                    if (bstr_cmp(&got.e[i], &want->e[i]) != 0) {
                        rc = fail(h, "key %s: element %zu is \"%.40s\" (%zu "
                                  "bytes), the model says \"%.40s\" (%zu)",
                                  keys[k], i, (const char *)got.e[i].p,
                                  got.e[i].len, (const char *)want->e[i].p,
                                  want->e[i].len);
                        break;
                    }
            }
        }
    }
    mval_clear(&got);
    return rc;
}

/* ---- the model's commands ------------------------------------------------------ */

/* Redis's string2ll() (redis/redis src/util.c): the strict integer form. */
static bool strict_ll(const unsigned char *s, size_t len, long long *out)
{
    if (len == 0 || len >= 21)
        return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        if (++i == len)
            return false;
    }
    if (s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > ULLONG_MAX / 10 || v * 10 > ULLONG_MAX - d)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
                                                       : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

typedef struct margs {
    size_t argc;
    const char *const *argv;
    const size_t *lens;
} margs;

static bool is(const margs *a, const char *name)
{
    return strcmp(a->argv[0], name) == 0;
}

static int key_index(const margs *a, size_t i)
{
    for (size_t k = 0; k < NKEYS; k++)
        if (a->lens[i] == strlen(keys[k]) &&
            memcmp(a->argv[i], keys[k], a->lens[i]) == 0)
            return (int)k;
    return -1;
}

static void set_string(harness *h, mval *m, const void *p, size_t len)
{
    mval_clear(m);
    m->type = VALUE_STRING;
    mval_push(h, m, p, len);
}

/* Apply the command to the model.  Returns 1 (modelled: *ok says whether
 * Redis would accept it) or 0 (not modelled: resync afterwards). */
static int model_apply(harness *h, const margs *a, bool *ok)
{
    if (a->argc < 2)
        return 0;
    int k = key_index(a, 1);
    const unsigned char *const *av = (const unsigned char *const *)a->argv;
    if (is(a, "del") || is(a, "unlink")) {
        for (size_t i = 1; i < a->argc; i++) {
            int j = key_index(a, i);
            if (j >= 0)
                mval_clear(&h->model[j]);
        }
        *ok = true;
        return 1;
    }
    if (k < 0)
        return 0;
    mval *m = &h->model[k];
    if (is(a, "set") && a->argc == 3) {
        set_string(h, m, av[2], a->lens[2]);
        *ok = true;
        return 1;
    }
    if (is(a, "append") && a->argc == 3) {
        *ok = m->type == -1 || m->type == VALUE_STRING;
        if (!*ok)
            return 1;
        if (m->type == -1) {
            set_string(h, m, av[2], a->lens[2]);
            return 1;
        }
        size_t ol = m->e[0].len, nl = ol + a->lens[2];
        unsigned char *p = xalloc(h, nl + 1);
        if (p == NULL)
            return 1;
        memcpy(p, m->e[0].p, ol);
        memcpy(p + ol, av[2], a->lens[2]);
        set_string(h, m, p, nl);
        free(p);
        return 1;
    }
    bool incr = (is(a, "incr") || is(a, "decr")) && a->argc == 2;
    bool incrby = (is(a, "incrby") || is(a, "decrby")) && a->argc == 3;
    if (incr || incrby) {
        long long by = 1, cur = 0;
        *ok = false;
        if (incrby && !strict_ll(av[2], a->lens[2], &by))
            return 1;
        if (m->type != -1 && m->type != VALUE_STRING)
            return 1;
        if (m->type == VALUE_STRING &&
            !strict_ll(m->e[0].p, m->e[0].len, &cur))
            return 1;
        if (a->argv[0][0] == 'd') {
            if (by == LLONG_MIN)
                return 1;
            by = -by;
        }
        if ((by < 0 && cur < 0 && by < LLONG_MIN - cur) ||
            (by > 0 && cur > 0 && by > LLONG_MAX - cur))
            return 1;
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", cur + by);
        set_string(h, m, num, (size_t)n);
        *ok = true;
        return 1;
    }
    if (is(a, "setrange") && a->argc == 4) {
        long long off;
        *ok = false;
        if (!strict_ll(av[2], a->lens[2], &off) || off < 0)
            return 1;
        if (m->type != -1 && m->type != VALUE_STRING)
            return 1;
        size_t vl = a->lens[3];
        if (vl == 0) {
            *ok = true;
            return 1;
        }
        if ((unsigned long long)off + vl > 512ull * 1024 * 1024)
            return 1;
        size_t ol = m->type == -1 ? 0 : m->e[0].len;
        size_t nl = (size_t)off + vl > ol ? (size_t)off + vl : ol;
        unsigned char *p = xalloc(h, nl + 1);
        if (p == NULL)
            return 1;
        memset(p, 0, nl);
        if (ol)
            memcpy(p, m->e[0].p, ol);
        memcpy(p + off, av[3], vl);
        set_string(h, m, p, nl);
        free(p);
        *ok = true;
        return 1;
    }
    bool sadd = is(a, "sadd"), srem = is(a, "srem");
    bool hset = is(a, "hset") || is(a, "hmset"), hdel = is(a, "hdel");
    if ((sadd || srem) && a->argc >= 3) {
        *ok = m->type == -1 || m->type == VALUE_SET;
        if (!*ok || (srem && m->type == -1))
            return 1;
        m->type = VALUE_SET;
        for (size_t i = 2; i < a->argc; i++) {
            size_t j = 0;
            while (j < m->n && !bstr_eq(&m->e[j], av[i], a->lens[i]))
                j++;
            if (sadd && j == m->n)
                mval_push(h, m, av[i], a->lens[i]);
            else if (srem && j < m->n)
                mval_remove_at(m, j, 1);
        }
        if (m->n == 0)
            mval_clear(m);
        return 1;
    }
    if (hset && a->argc >= 4) {
        *ok = a->argc % 2 == 0 && (m->type == -1 || m->type == VALUE_HASH);
        if (!*ok)
            return 1;
        m->type = VALUE_HASH;
        for (size_t i = 2; i + 1 < a->argc; i += 2) {
            size_t j = 0;
            while (j < m->n && !bstr_eq(&m->e[j], av[i], a->lens[i]))
                j += 2;
            if (j < m->n)
                mval_remove_at(m, j, 2);
            mval_push(h, m, av[i], a->lens[i]);
            mval_push(h, m, av[i + 1], a->lens[i + 1]);
        }
        return 1;
    }
    if (hdel && a->argc >= 3) {
        *ok = m->type == -1 || m->type == VALUE_HASH;
        if (!*ok || m->type == -1)
            return 1;
        for (size_t i = 2; i < a->argc; i++)
            for (size_t j = 0; j < m->n; j += 2)
                if (bstr_eq(&m->e[j], av[i], a->lens[i])) {
                    mval_remove_at(m, j, 2);
                    break;
                }
        if (m->n == 0)
            mval_clear(m);
        return 1;
    }
    bool lpush = is(a, "lpush") || is(a, "lpushx");
    bool rpush = is(a, "rpush") || is(a, "rpushx");
    if ((lpush || rpush) && a->argc >= 3) {
        bool x = a->argv[0][5] == 'x';
        *ok = m->type == -1 || m->type == VALUE_LIST;
        if (!*ok || (x && m->type == -1))
            return 1;
        m->type = VALUE_LIST;
        for (size_t i = 2; i < a->argc; i++) {
            mval_push(h, m, av[i], a->lens[i]);
            if (lpush && m->n > 1) {
                bstr last = m->e[m->n - 1];
                memmove(m->e + 1, m->e, (m->n - 1) * sizeof *m->e);
                m->e[0] = last;
            }
        }
        return 1;
    }
    bool lpop = is(a, "lpop"), rpop = is(a, "rpop");
    if ((lpop || rpop) && (a->argc == 2 || a->argc == 3)) {
        long long count = 1;
        *ok = false;
        if (a->argc == 3 && (!strict_ll(av[2], a->lens[2], &count) ||
                             count < 0))
            return 1;
        if (m->type != -1 && m->type != VALUE_LIST)
            return 1;
        *ok = true;
        if (m->type == -1)
            return 1;
        size_t c = (unsigned long long)count > m->n ? m->n : (size_t)count;
        mval_remove_at(m, lpop ? 0 : m->n - c, c);
        if (m->n == 0)
            mval_clear(m);
        return 1;
    }
    return 0;
}

/* ---- the structures' invariants ------------------------------------------------- */

typedef struct walk {
    harness *h;
    size_t keys;
    int rc;
} walk;

static int check_value(harness *h, const void *key, size_t klen,
                       const value *v)
{
    char e[256] = "";
    int rc = 0;
    switch ((value_type)v->type) {
    case VALUE_STRING:
        if (v->enc == VALUE_ENC_PAYLOAD)
            rc = pstring_check(v->u.str, e, sizeof e);
        break;
    case VALUE_LIST:
        rc = plist_check(value_as_list(v), e, sizeof e);
        break;
    case VALUE_SET:
        rc = pset_check(value_as_set(v), e, sizeof e);
        break;
    case VALUE_HASH:
        rc = phash_check(value_as_hash(v), e, sizeof e);
        break;
    case VALUE_ZSET:
        rc = pzset_check(value_as_zset(v), e, sizeof e);
        break;
    case VALUE_STREAM:
        rc = pstream_check(value_as_stream(v), e, sizeof e);
        break;
    default:
        break;
    }
    if (rc != 0)
        return fail(h, "key \"%.*s\" (%s): %s", (int)(klen > 40 ? 40 : klen),
                    (const char *)key, value_type_name((value_type)v->type),
                    e);
    /* Redis never keeps an empty collection, except a stream (XDEL and
     * XTRIM may empty one, and it stays with its last ID and groups). */
    if (v->type != VALUE_STRING && v->type != VALUE_MODULE &&
        v->type != VALUE_STREAM && value_count(v) == 0)
        return fail(h, "key \"%.*s\": an empty %s is stored",
                    (int)(klen > 40 ? 40 : klen), (const char *)key,
                    value_type_name((value_type)v->type));
    return 0;
}

static int walk_fn(const void *key, size_t klen, const value *v, void *arg)
{
    walk *w = arg;
    w->keys++;
    if (check_value(w->h, key, klen, v) != 0) {
        w->rc = -1;
        return 1;
    }
    return 0;
}

/* Every published value's invariants, the store's, and the key counts. */
static int check_published(harness *h)
{
    char e[256] = "";
    if (store_hamt_check(keyspace_store(h->ks), e, sizeof e) != 0)
        return fail(h, "store: %s", e);
    int rc = 0;
    keyspace_read_begin(h->rd);
    for (unsigned db = 0; db < keyspace_databases(h->ks) && rc == 0; db++) {
        walk w = {.h = h};
        keyspace_iterate(h->rd, db, walk_fn, &w);
        if (w.rc != 0)
            rc = -1;
        else if (w.keys != keyspace_dbsize(h->rd, db))
            rc = fail(h, "database %u: %zu keys walked, DBSIZE says %zu", db,
                      w.keys, keyspace_dbsize(h->rd, db));
    }
    keyspace_read_end(h->rd);
    return rc;
}

/* An error reply must be one line a RESP "-" reply can carry, opening with
 * an upper-case code ("ERR", "WRONGTYPE", ...). */
static int check_error(harness *h)
{
    const char *r = cmd_applier_reply_error(h->app);
    const char *full = cmd_applier_error(h->app);
    size_t n = strlen(r);
    if (n == 0)
        return fail(h, "refused with an empty error reply");
    if (strncmp(full, "offset ", 7) != 0)
        return fail(h, "error context \"%s\" does not start with its offset",
                    full);
    if (!isupper((unsigned char)r[0]))
        return fail(h, "error reply \"%s\" has no upper-case code", r);
    for (size_t i = 0; i < n; i++)
        if (r[i] == '\r' || r[i] == '\n')
            return fail(h, "error reply \"%s\" holds a line break", r);
    return 0;
}

/* ---- decoding ------------------------------------------------------------------- */

#define MAX_ARGS 16
#define MAX_COMMANDS 64

typedef struct decoded {
    size_t argc;
    const char *argv[MAX_ARGS + 2];
    size_t lens[MAX_ARGS + 2];
    char name[64], sub[64];
    char raw[MAX_ARGS][16];
    bool flush;
} decoded;

/* Decode one command at *pos.  Returns false at the end of the input. */
static bool decode(const uint8_t *d, size_t size, size_t *pos, decoded *c)
{
    if (*pos + 2 > size)
        return false;
    const cmd_spec *sp = specs[d[(*pos)++] % nspecs];
    uint8_t ab = d[(*pos)++];
    c->flush = !(ab & 0x40);
    const char *bar = strchr(sp->name, '|');
    c->argc = 0;
    if (bar != NULL) {
        snprintf(c->name, sizeof c->name, "%.*s", (int)(bar - sp->name),
                 sp->name);
        snprintf(c->sub, sizeof c->sub, "%s", bar + 1);
        c->argv[c->argc] = c->name;
        c->lens[c->argc++] = strlen(c->name);
        c->argv[c->argc] = c->sub;
        c->lens[c->argc++] = strlen(c->sub);
    } else {
        snprintf(c->name, sizeof c->name, "%s", sp->name);
        c->argv[c->argc] = c->name;
        c->lens[c->argc++] = strlen(c->name);
    }
    size_t want;
    if (ab & 0x80) /* the table's arity, plus a few for variadic ones */
        want = sp->arity > 0 ? (size_t)sp->arity
                             : (size_t)-sp->arity + (ab & 7);
    else
        want = c->argc + (ab & 7);
    if (want > MAX_ARGS)
        want = MAX_ARGS;
    for (size_t r = 0; c->argc < want && *pos < size; r++) {
        uint8_t t = d[(*pos)++];
        const char *s;
        size_t len;
        if (t < 0x60) {
            s = keys[t % NKEYS];
            len = strlen(s);
        } else if (t < 0x90) {
            s = numbers[t % NNUMBERS];
            len = strlen(s);
        } else if (t < 0xA8) {
            s = ids[t % NIDS];
            len = strlen(s);
        } else if (t < 0xF0) {
            s = words[t % NWORDS];
            len = strlen(s);
        } else {
            len = t & 0x0F;
            if (len > size - *pos)
                len = size - *pos;
            memcpy(c->raw[r], d + *pos, len);
            c->raw[r][len] = '\0';
            *pos += len;
            s = c->raw[r];
        }
        c->argv[c->argc] = s;
        c->lens[c->argc++] = len;
    }
    return true;
}

/* Commands whose memory grows with a numeric argument (an offset in bits
 * or bytes) are skipped above a megabyte, so a run stays fast. */
static bool too_big(const decoded *c)
{
    static const char *const big[] = {"setrange", "setbit", "bitfield",
                                      "bitfield_ro"};
    bool match = false;
    for (size_t i = 0; i < sizeof big / sizeof *big; i++)
        match |= strcmp(c->argv[0], big[i]) == 0;
    if (!match)
        return false;
    for (size_t i = 1; i < c->argc; i++) {
        const char *s = c->argv[i];
        if (*s == '#' || *s == 'u' || *s == 'i')
            s++;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end != s && (v > 1 << 20 || v < -(1 << 20) || errno != 0))
            return true;
    }
    return false;
}

/* FUZZ_APPLY_TRACE=1 in the environment: each command and its outcome on
 * stderr, to read what a saved input does. */
static void print_command(const decoded *c, cmd_status s,
                          const cmd_applier *a)
{
    fprintf(stderr, "fuzz_apply:");
    for (size_t i = 0; i < c->argc; i++) {
        fputs(" \"", stderr);
        for (size_t j = 0; j < c->lens[i]; j++) {
            unsigned char ch = (unsigned char)c->argv[i][j];
            if (ch < 32 || ch > 126 || ch == '"' || ch == '\\')
                fprintf(stderr, "\\x%02x", ch);
            else
                fputc(ch, stderr);
        }
        fputc('"', stderr);
    }
    fprintf(stderr, " -> %s%s%s\n", s == CMD_APPLIED ? "applied" : "refused",
            s == CMD_FAILED ? ": " : "",
            s == CMD_FAILED ? cmd_applier_reply_error(a) : "");
}

int fuzz_apply_run(const uint8_t *data, size_t size, fuzz_apply_stats *st,
                   char *err, size_t errsz)
{
    fuzz_apply_stats dummy;
    if (st == NULL)
        st = &dummy;
    memset(st, 0, sizeof *st);
    if (errsz > 0)
        err[0] = '\0';
    load_specs();
    harness h = {.err = err, .errsz = errsz};
    for (size_t k = 0; k < NKEYS; k++)
        h.model[k].type = -1;
    int rc = 0;
    h.ks = keyspace_create(store_variant("hamt"), KEYSPACE_DEFAULT_DBS);
    h.rd = h.ks ? keyspace_reader_open(h.ks) : NULL;
    h.app = h.rd ? cmd_applier_create(h.ks, NULL) : NULL;
    if (h.app == NULL) {
        snprintf(err, errsz, "setup: out of memory");
        rc = -1;
        goto done;
    }
    size_t pos = 0;
    decoded c;
    bool trace = getenv("FUZZ_APPLY_TRACE") != NULL;
    while (rc == 0 && st->commands < MAX_COMMANDS &&
           decode(data, size, &pos, &c)) {
        if (too_big(&c))
            continue;
        h.index = st->commands++;
        h.name = c.argv[0];
        margs ma = {c.argc, c.argv, c.lens};
        bool modelled_ctx = cmd_applier_db(h.app) == 0 &&
                            !cmd_applier_in_multi(h.app);
        bool was_multi = cmd_applier_in_multi(h.app);
        bool want_ok = false;
        int modelled = modelled_ctx ? model_apply(&h, &ma, &want_ok) : 0;
        cmd_status s = cmd_apply_argv(h.app, c.argc, c.argv, c.lens);
        if (trace)
            print_command(&c, s, h.app);
        if (s == CMD_NOMEM) {
            rc = fail(&h, "out of memory without any allocation failing");
            break;
        }
        if (s == CMD_FAILED) {
            st->failed++;
            snprintf(st->last_error, sizeof st->last_error, "%s",
                     cmd_applier_reply_error(h.app));
            if ((rc = check_error(&h)) != 0)
                break;
        }
        if (modelled && want_ok != (s == CMD_APPLIED)) {
            rc = fail(&h, "the model %s it, the applier %s it (%s)",
                      want_ok ? "accepts" : "refuses",
                      s == CMD_APPLIED ? "applied" : "refused",
                      s == CMD_APPLIED ? "" : cmd_applier_reply_error(h.app));
            break;
        }
        bool queued = was_multi && cmd_applier_in_multi(h.app);
        if (c.flush && cmd_applier_flush(h.app) != 0) {
            rc = fail(&h, "flush: %s", strerror(errno));
            break;
        }
        if (h.oom) {
            rc = fail(&h, "harness: out of memory");
            break;
        }
        /* A refused command changed nothing, except EXEC, whose queued
         * commands fail alone (Redis has no rollback, cmd.c). */
        bool unchanged = s == CMD_FAILED && strcmp(c.argv[0], "exec") != 0;
        if (modelled || queued || unchanged) {
            st->modelled += modelled ? 1 : 0;
            if ((rc = compare_all(&h)) != 0)
                break;
        } else {
            resync(&h);
        }
        if (!keyspace_in_batch(h.ks) && (rc = check_published(&h)) != 0)
            break;
    }
    if (rc == 0 && !cmd_applier_in_multi(h.app)) {
        if (cmd_applier_flush(h.app) != 0)
            rc = fail(&h, "final flush: %s", strerror(errno));
        else
            rc = check_published(&h);
    }
done:
    for (size_t k = 0; k < NKEYS; k++)
        mval_clear(&h.model[k]);
    cmd_applier_destroy(h.app);
    keyspace_reader_close(h.rd);
    keyspace_destroy(h.ks);
    return rc;
}
