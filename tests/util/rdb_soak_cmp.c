/* rdb_soak_cmp.c - comparing a loaded dump with the server (see
 * rdb_soak.h; chapter 7).
 *
 * For every key the reader loaded, ask the server (pipelined, eight keys at
 * a time) for TYPE, PEXPIRETIME and the contents -- GET, LRANGE, SMEMBERS,
 * ZRANGE WITHSCORES, HGETALL, XRANGE and XINFO STREAM FULL -- and compare
 * field by field; DBSIZE must equal our key count, so a dropped key is
 * caught as well as a misread one.  Order is compared where Redis defines
 * it (lists, sorted sets, stream entries and pending lists), membership
 * where it does not (sets, hashes, groups, consumers).
 */
#include "rdb_soak_internal.h"

#include "rdb.h"
#include "store_naive.h"
#include "test_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- comparing ------------------------------------------------------------------ */

typedef struct loaded_key {
    const unsigned char *key;
    size_t klen;
    const value *v;
} loaded_key;

typedef struct key_list {
    loaded_key *k;
    size_t n, cap;
} key_list;

static int collect(const void *key, size_t klen, const value *v, void *arg)
{
    key_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->k = realloc(l->k, l->cap * sizeof *l->k);
        if (l->k == NULL)
            abort();
    }
    l->k[l->n++] = (loaded_key){key, klen, v};
    return 0;
}

/* The key being compared, escaped, for messages; a long one shows its
 * head and its (distinguishing) tail. */
static const char *kname(const loaded_key *k, char *buf, size_t sz)
{
    if (k->klen <= 48)
        return test_escape(buf, sz, k->key, k->klen);
    char head[40], tail[64];
    test_escape(head, sizeof head, k->key, 12);
    test_escape(tail, sizeof tail, k->key + k->klen - 20, 20);
    if (snprintf(buf, sz, "%s...(%zu bytes)...%s", head, k->klen, tail) < 0)
        buf[0] = '\0';
    return buf;
}

#define DIFF(s, k, ...)                                                    \
    do {                                                                   \
        char kb_[160], msg_[700];                                          \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                          \
        soak_fail((s), 1, "db %d key \"%s\": %s", (s)->cur_db,           \
                  kname((k), kb_, sizeof kb_), msg_);                      \
    } while (0)

static bool is_str(const resp_value *r)
{
    return r->type == RESP_BULK || r->type == RESP_SIMPLE;
}

/* Compare one element; on a difference say which and show both sides. */
static bool same_elem(soak *s, const loaded_key *k, const char *what,
                      size_t i, const resp_value *srv, const void *p,
                      size_t len)
{
    if (is_str(srv) && srv->len == len && memcmp(srv->str, p, len) == 0)
        return true;
    char a[80], b[80];
    DIFF(s, k, "%s %zu: server \"%s\" (%zu bytes), file \"%s\" (%zu bytes)",
         what, i, is_str(srv) ? test_escape(a, sizeof a, srv->str, srv->len)
                              : resp_type_name(srv->type),
         is_str(srv) ? srv->len : 0, test_escape(b, sizeof b, p, len), len);
    return false;
}

static bool want_array(soak *s, const loaded_key *k, const char *what,
                       const resp_value *r, size_t n)
{
    if (r->type == RESP_ARRAY && r->len == n)
        return true;
    DIFF(s, k, "%s: server has %zu, file has %zu", what,
         r->type == RESP_ARRAY ? r->len : 0, n);
    return false;
}

static void cmp_list(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "list length", r, value_count(v)))
        return;
    for (size_t i = 0; i < r->len; i++) {
        const velem *e = plist_get(value_as_list(v), i);
        if (!same_elem(s, k, "list element", i, &r->elems[i], e->bytes,
                       e->len))
            return;
    }
}

static void cmp_set(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "set size", r, value_count(v)))
        return;
    for (size_t i = 0; i < r->len; i++) {
        const resp_value *m = &r->elems[i];
        if (!is_str(m) || !pset_has(value_as_set(v), m->str, m->len)) {
            char a[80];
            DIFF(s, k, "set member \"%s\" missing from the file",
                 is_str(m) ? test_escape(a, sizeof a, m->str, m->len) : "?");
            return;
        }
    }
}

static void cmp_hash(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "hash fields (x2)", r, 2 * value_count(v)))
        return;
    for (size_t i = 0; i + 1 < r->len; i += 2) {
        const resp_value *f = &r->elems[i];
        const phash_field *pf =
            is_str(f) ? phash_get(value_as_hash(v), f->str, f->len) : NULL;
        if (pf == NULL) {
            char a[80];
            DIFF(s, k, "hash field \"%s\" missing from the file",
                 is_str(f) ? test_escape(a, sizeof a, f->str, f->len) : "?");
            return;
        }
        size_t vl;
        const unsigned char *val = phash_field_value(pf, &vl);
        if (!same_elem(s, k, "value of hash field", i / 2, &r->elems[i + 1],
                       val, vl))
            return;
    }
}

static void cmp_zset(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "zset members (x2)", r, 2 * value_count(v)))
        return;
    for (size_t i = 0; i + 1 < r->len; i += 2) {
        const pzset_entry *e = pzset_at(value_as_zset(v), i / 2);
        size_t ml;
        const void *mb = pzset_entry_member(e, &ml);
        double score = pzset_entry_score(e);
        if (!same_elem(s, k, "zset member (by rank)", i / 2, &r->elems[i],
                       mb, ml))
            return;
        const resp_value *sc = &r->elems[i + 1];
        double d = is_str(sc) ? strtod(sc->str, NULL) : NAN;
        if (!(d == score && signbit(d) == signbit(score))) {
            DIFF(s, k, "score of member %zu: server %s, file %.17g", i / 2,
                 is_str(sc) ? sc->str : "?", score);
            return;
        }
    }
}

/* Parse "ms-seq". */
static bool parse_id(const resp_value *r, pstream_id *id)
{
    if (r == NULL || !is_str(r))
        return false;
    char *end;
    id->ms = strtoull(r->str, &end, 10);
    if (*end != '-')
        return false;
    id->seq = strtoull(end + 1, &end, 10);
    return *end == '\0';
}

static bool same_id(soak *s, const loaded_key *k, const char *what,
                    const resp_value *r, pstream_id want)
{
    pstream_id got;
    if (parse_id(r, &got) && got.ms == want.ms && got.seq == want.seq)
        return true;
    DIFF(s, k, "%s: server %s, file %" PRIu64 "-%" PRIu64, what,
         r && is_str(r) ? r->str : "(missing)", want.ms, want.seq);
    return false;
}

static bool same_int(soak *s, const loaded_key *k, const char *what,
                     const resp_value *r, int64_t want)
{
    if (r != NULL && r->type == RESP_INTEGER && r->integer == want)
        return true;
    DIFF(s, k, "%s: server %s%" PRId64 ", file %" PRId64, what,
         r == NULL ? "(missing) " : r->type == RESP_INTEGER ? "" : "(not "
         "an integer) ", r && r->type == RESP_INTEGER ? r->integer : 0, want);
    return false;
}

/* Value of a name in a RESP2 "map" (a flat array of name, value, ...). */
static const resp_value *field(const resp_value *map, const char *name)
{
    if (map == NULL || map->type != RESP_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < map->len; i += 2)
        if (is_str(&map->elems[i]) && strcmp(map->elems[i].str, name) == 0)
            return &map->elems[i + 1];
    return NULL;
}

/* field(), or a difference naming what XINFO did not say. */
static const resp_value *need(soak *s, const loaded_key *k,
                              const resp_value *map, const char *name)
{
    const resp_value *v = field(map, name);
    if (v == NULL)
        DIFF(s, k, "XINFO STREAM FULL has no \"%s\"", name);
    return v;
}

static void cmp_stream_entries(soak *s, const loaded_key *k,
                               const resp_value *r)
{
    const pstream *st = value_as_stream(k->v);
    if (!want_array(s, k, "stream entries", r, pstream_len(st)))
        return;
    pstream_iter it;
    pstream_range(&it, st, (pstream_id){0, 0},
                  (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    for (size_t i = 0; i < r->len; i++) {
        const pstream_entry *e = pstream_range_next(&it);
        const resp_value *x = &r->elems[i];
        if (x->type != RESP_ARRAY || x->len != 2) {
            DIFF(s, k, "XRANGE entry %zu is not [id, fields]", i);
            return;
        }
        char what[64];
        snprintf(what, sizeof what, "ID of entry %zu", i);
        if (!same_id(s, k, what, &x->elems[0], pstream_entry_id(e)))
            return;
        snprintf(what, sizeof what, "fields of entry %zu (x2)", i);
        if (!want_array(s, k, what, &x->elems[1],
                        2 * pstream_entry_nfields(e)))
            return;
        for (size_t j = 0; j < x->elems[1].len; j++) {
            size_t len;
            const unsigned char *b =
                j % 2 ? pstream_entry_value(e, j / 2, &len)
                      : pstream_entry_field(e, j / 2, &len);
            snprintf(what, sizeof what, "entry %zu field/value", i);
            if (!same_elem(s, k, what, j, &x->elems[1].elems[j], b, len))
                return;
        }
    }
}

static const pstream_group *find_group(const pstream *st,
                                       const resp_value *name)
{
    return name && is_str(name) ? pstream_group_get(st, name->str, name->len)
                                : NULL;
}

static const pstream_consumer *find_consumer(const pstream_group *g,
                                             const resp_value *name)
{
    return name && is_str(name)
               ? pstream_consumer_get(g, name->str, name->len)
               : NULL;
}

static void cmp_consumer(soak *s, const loaded_key *k, const char *gname,
                         const pstream_group *g, const resp_value *cm)
{
    const resp_value *name = field(cm, "name");
    const pstream_consumer *c = find_consumer(g, name);
    char what[128];
    if (c == NULL) {
        DIFF(s, k, "group %s: consumer %s missing from the file", gname,
             name && is_str(name) ? name->str : "?");
        return;
    }
    snprintf(what, sizeof what, "group %s consumer %s seen-time", gname,
             name->str);
    if (!same_int(s, k, what, field(cm, "seen-time"), c->seen_time_ms))
        return;
    const resp_value *at = field(cm, "active-time");
    snprintf(what, sizeof what, "group %s consumer %s active-time", gname,
             name->str);
    if (at != NULL && !same_int(s, k, what, at, c->active_time_ms))
        return;
    snprintf(what, sizeof what, "group %s consumer %s pending", gname,
             name->str);
    const resp_value *pel = need(s, k, cm, "pending");
    if (pel == NULL)
        return;
    if (!want_array(s, k, what, pel, pstream_consumer_pel_len(c)))
        return;
    pstream_iter it;
    pstream_consumer_pel_range(&it, c, (pstream_id){0, 0},
                               (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    for (size_t i = 0; i < pel->len; i++) {
        const resp_value *p = &pel->elems[i];
        const pstream_nack *n = pstream_pel_next(&it);
        snprintf(what, sizeof what, "group %s consumer %s pending %zu",
                 gname, name->str, i);
        if (!same_id(s, k, what, p->type == RESP_ARRAY && p->len > 0
                     ? &p->elems[0] : NULL, n->id))
            return;
    }
}

static void cmp_group(soak *s, const loaded_key *k, const resp_value *gm)
{
    const pstream *st = value_as_stream(k->v);
    const resp_value *name = field(gm, "name");
    const pstream_group *g = find_group(st, name);
    if (g == NULL) {
        DIFF(s, k, "group %s missing from the file",
             name && is_str(name) ? name->str : "?");
        return;
    }
    const char *gn = name->str;
    char what[128];
    snprintf(what, sizeof what, "group %s last-delivered-id", gn);
    if (!same_id(s, k, what, field(gm, "last-delivered-id"), g->last_id))
        return;
    const resp_value *er = field(gm, "entries-read");
    if (er != NULL) {
        bool ok = er->type == RESP_NULL ? g->entries_read == UINT64_MAX
                : er->type == RESP_INTEGER &&
                  (uint64_t)er->integer == g->entries_read;
        if (!ok) {
            DIFF(s, k, "group %s entries-read: server %" PRId64 "%s, file %"
                 PRIu64, gn, er->type == RESP_INTEGER ? er->integer : 0,
                 er->type == RESP_NULL ? " (nil)" : "", g->entries_read);
            return;
        }
    }
    snprintf(what, sizeof what, "group %s pending entries", gn);
    const resp_value *pel = need(s, k, gm, "pending");
    if (pel == NULL)
        return;
    if (!want_array(s, k, what, pel, pstream_group_pel_len(g)))
        return;
    pstream_iter it;
    pstream_pel_range(&it, g, (pstream_id){0, 0},
                      (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    for (size_t i = 0; i < pel->len; i++) {
        const resp_value *p = &pel->elems[i];
        const pstream_nack *n = pstream_pel_next(&it);
        snprintf(what, sizeof what, "group %s pending entry %zu", gn, i);
        if (p->type != RESP_ARRAY || p->len != 4) {
            DIFF(s, k, "%s is not [id, consumer, time, count]", what);
            return;
        }
        if (!same_id(s, k, what, &p->elems[0], n->id))
            return;
        snprintf(what, sizeof what, "group %s pending entry %zu delivery "
                 "time", gn, i);
        if (!same_int(s, k, what, &p->elems[2], n->delivery_time_ms))
            return;
        snprintf(what, sizeof what, "group %s pending entry %zu delivery "
                 "count", gn, i);
        if (!same_int(s, k, what, &p->elems[3], (int64_t)n->delivery_count))
            return;
    }
    snprintf(what, sizeof what, "group %s consumers", gn);
    const resp_value *cons = need(s, k, gm, "consumers");
    if (cons == NULL)
        return;
    if (!want_array(s, k, what, cons, pstream_group_consumers_len(g)))
        return;
    for (size_t i = 0; i < cons->len && !s->failed; i++)
        cmp_consumer(s, k, gn, g, &cons->elems[i]);
}

static void cmp_stream_info(soak *s, const loaded_key *k, const resp_value *r)
{
    const pstream *st = value_as_stream(k->v);
    if (r->type != RESP_ARRAY) {
        DIFF(s, k, "XINFO STREAM FULL: %s", r->type == RESP_ERROR ? r->str
                                                                  : "?");
        return;
    }
    if (!same_int(s, k, "length", field(r, "length"),
                  (int64_t)pstream_len(st)) ||
        !same_id(s, k, "last-generated-id", field(r, "last-generated-id"),
                 pstream_last_id(st)) ||
        !same_id(s, k, "max-deleted-entry-id",
                 field(r, "max-deleted-entry-id"),
                 pstream_max_deleted_id(st)) ||
        !same_int(s, k, "entries-added", field(r, "entries-added"),
                  (int64_t)pstream_entries_added(st)) ||
        !same_id(s, k, "recorded-first-entry-id",
                 field(r, "recorded-first-entry-id"), pstream_first_id(st)))
        return;
    const resp_value *groups = need(s, k, r, "groups");
    if (groups == NULL)
        return;
    if (!want_array(s, k, "consumer groups", groups,
                    pstream_groups_len(st)))
        return;
    for (size_t i = 0; i < groups->len && !s->failed; i++)
        cmp_group(s, k, &groups->elems[i]);
}

/* Queue the questions about one key. */
static void ask(soak *s, const loaded_key *k)
{
    static const char *const fetch[] = {
        [VALUE_STRING] = "GET", [VALUE_LIST] = "LRANGE",
        [VALUE_SET] = "SMEMBERS", [VALUE_ZSET] = "ZRANGE",
        [VALUE_HASH] = "HGETALL", [VALUE_STREAM] = "XRANGE",
    };
    soak_cmd_key(s, "TYPE", (const char *)k->key, k->klen);
    soak_send(s);
    soak_cmd_key(s, "PEXPIRETIME", (const char *)k->key, k->klen);
    soak_send(s);
    value_type t = k->v->type;
    if (t > VALUE_STREAM) {
        soak_cmd_key(s, "TYPE", (const char *)k->key, k->klen);
        soak_send(s);
        return;
    }
    soak_cmd_key(s, fetch[t], (const char *)k->key, k->klen);
    if (t == VALUE_LIST || t == VALUE_ZSET) {
        soak_arg_str(s, "0");
        soak_arg_str(s, "-1");
    }
    if (t == VALUE_ZSET)
        soak_arg_str(s, "WITHSCORES");
    if (t == VALUE_STREAM) {
        soak_arg_str(s, "-");
        soak_arg_str(s, "+");
    }
    soak_send(s);
    if (t == VALUE_STREAM) {
        soak_arg_str(s, "XINFO");
        soak_arg_str(s, "STREAM");
        soak_arg_add(s, k->key, k->klen);
        soak_arg_str(s, "FULL");
        soak_arg_str(s, "COUNT");
        soak_arg_str(s, "0");
        soak_send(s);
    }
}

static int read_reply(soak *s, resp_value *r)
{
    if (resp_client_reply(&s->c, r) == 0)
        return 0;
    soak_fail(s, -1, "%s", s->c.err);
    return -1;
}

/* Read and compare the answers about one key. */
static void check(soak *s, const loaded_key *k)
{
    resp_value type, exp, body, info = {0};
    int bad = read_reply(s, &type) | read_reply(s, &exp) |
              read_reply(s, &body);
    if (k->v->type == VALUE_STREAM)
        bad |= read_reply(s, &info);
    if (bad)
        return;
    const char *want = value_type_name(k->v->type);
    if (type.type != RESP_SIMPLE || strcmp(type.str, want) != 0) {
        DIFF(s, k, "type: server %s, file %s",
             type.type == RESP_SIMPLE ? type.str : "?", want);
    } else if (!same_int(s, k, "expiry (PEXPIRETIME)", &exp,
                         k->v->expire_ms)) {
        /* reported */
    } else {
        switch (k->v->type) {
        case VALUE_STRING: {
            /* A long string is kept in chunks: compare a flat copy. */
            size_t n = value_str_len(k->v);
            unsigned char *flat = malloc(n + 1);
            if (flat == NULL) { /* this file also runs outside Check */
                DIFF(s, k, "string value: out of memory for %zu bytes", n);
                break;
            }
            value_str_read(k->v, 0, flat, n);
            same_elem(s, k, "string value", 0, &body, flat, n);
            free(flat);
            break;
        }
        case VALUE_LIST: cmp_list(s, k, &body); break;
        case VALUE_SET: cmp_set(s, k, &body); break;
        case VALUE_ZSET: cmp_zset(s, k, &body); break;
        case VALUE_HASH: cmp_hash(s, k, &body); break;
        case VALUE_STREAM:
            cmp_stream_entries(s, k, &body);
            if (!s->failed)
                cmp_stream_info(s, k, &info);
            break;
        default: break;
        }
    }
    resp_value_clear(&type);
    resp_value_clear(&exp);
    resp_value_clear(&body);
    resp_value_clear(&info);
}

/* Compare one database of the dump with the server's. */
void soak_compare(soak *s, const char *path, int db)
{
    store *st = store_create(&store_naive_ops);
    if (st == NULL)
        abort();
    rdb_result res;
    rdb_options opt = {.quiet = true};
    int rc;
    if (s->dump == NULL) {
        rc = rdb_load_file(path, st, (uint64_t)db, &opt, &res);
    } else {
        /* The same bytes handed over a few at a time: the reader's window
         * refills land at every position of real data. */
        rdb_mem_source src = {s->dump, s->dump_len, 0, s->chunk};
        rdb_reader r;
        if (rdb_reader_init(&r, rdb_source_mem, &src) != 0)
            abort();
        rc = rdb_load_store(&r, st, (uint64_t)db, &opt, &res);
        rdb_reader_free(&r);
    }
    if (rc != 0) {
        soak_fail(s, 1, "our reader refused the dump%s: %s",
                  s->dump ? " (read in small chunks)" : "", res.error);
        store_destroy(st);
        return;
    }
    char dbs[16];
    snprintf(dbs, sizeof dbs, "%d", db);
    s->cur_db = db;
    resp_value r;
    if (resp_client_calll(&s->c, &r, "SELECT", dbs, NULL) != 0 ||
        r.type != RESP_SIMPLE)
        soak_fail(s, -1, "SELECT %d failed: %s", db, s->c.err);
    resp_value_clear(&r);
    store_reader *rd = store_reader_open(st);
    store_read_begin(rd);
    key_list keys = {0};
    store_iterate(rd, collect, &keys);
    if (s->failed) {
        /* SELECT failed: nothing to compare against */
    } else if (resp_client_calll(&s->c, &r, "DBSIZE", NULL) != 0) {
        soak_fail(s, -1, "%s", s->c.err);
    } else {
        s->res->keys += r.type == RESP_INTEGER ? (size_t)r.integer : 0;
        if (r.type != RESP_INTEGER || (size_t)r.integer != keys.n)
            soak_fail(s, 1, "db %d: the server holds %" PRId64 " keys, the "
                      "file gave us %zu", db, r.integer, keys.n);
        resp_value_clear(&r);
    }
    /* A few keys at a time: pipelined, but replies stay small. */
    for (size_t i = 0; i < keys.n && !s->failed; i += 8) {
        size_t end = i + 8 < keys.n ? i + 8 : keys.n;
        for (size_t j = i; j < end; j++)
            ask(s, &keys.k[j]);
        for (size_t j = i; j < end && !s->failed; j++)
            check(s, &keys.k[j]);
    }
    free(keys.k);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(st);
}
