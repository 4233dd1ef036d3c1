/* ch08_pstream.c - chapter 8: the persistent stream against a flat model.
 *
 * Every test drives pstream edits and keeps a model: a sorted array of
 * entry IDs (an entry's fields and values are a function of its ID, so
 * the model needs nothing else), the stream's metadata, and per group a
 * sorted array of pending entries and a table of consumers.  After edits
 * the stream must hold exactly what the model holds, in the same order,
 * and pstream_check() must pass; old versions must still hold what they
 * held; allocation failures must leave a version or a transient as it
 * was; readers on other threads iterate old versions while the writer
 * retires them through ebr.  At the end pstream_records_live() must be
 * back where it started.  Sizes scale with TEST_SCALE.
 */
#include "pstream.h"
#include "alloc.h"
#include "ebr.h"
#include "test_util.h"
#include "redis_server.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Check's ck_assert_* write on every call; the loops use these instead. */
#define REQ(c)                                                              \
    do {                                                                    \
        if (!(c))                                                           \
            ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c);       \
    } while (0)
#define REQ_EQ(a, b)                                                        \
    do {                                                                    \
        long long a_ = (long long)(a), b_ = (long long)(b);                 \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s:%d: %s == %s failed: %lld != %lld", __FILE__,  \
                         __LINE__, #a, #b, a_, b_);                         \
    } while (0)

#define NGROUPS 4
#define NCONS 6

static pstream_id ID(uint64_t ms, uint64_t seq)
{
    return (pstream_id){ ms, seq };
}

static int idcmp(pstream_id a, pstream_id b)
{
    return pstream_id_cmp(a, b);
}

/* ---- entry contents, a function of the ID ----------------------------------- */

static size_t content_nfields(pstream_id id)
{
    return (size_t)((id.ms * 7 + id.seq) % 4);
}

/* String j (field 2i, value 2i + 1) of the entry with this ID. */
static size_t content_str(pstream_id id, size_t j, char *buf)
{
    size_t n = (size_t)((id.ms + id.seq + j) % 23);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + (j + id.seq + i) % 26);
    return n + (size_t)sprintf(buf + n, "%zu:%llu-%llu", j,
                               (unsigned long long)id.ms,
                               (unsigned long long)id.seq);
}

static char g_bufs[8][96];

static size_t content_fv(pstream_id id, pstream_str *fv)
{
    size_t nf = content_nfields(id);
    for (size_t j = 0; j < 2 * nf; j++) {
        fv[j].p = g_bufs[j];
        fv[j].len = content_str(id, j, g_bufs[j]);
    }
    return nf;
}

/* Whether e holds what the entry of its ID must (readers use it too). */
static int entry_ok(const pstream_entry *e)
{
    pstream_id id = pstream_entry_id(e);
    size_t nf = content_nfields(id);
    if (pstream_entry_nfields(e) != nf)
        return 0;
    char buf[96];
    for (size_t j = 0; j < 2 * nf; j++) {
        size_t len, n = content_str(id, j, buf);
        const unsigned char *p = j % 2 ? pstream_entry_value(e, j / 2, &len)
                                       : pstream_entry_field(e, j / 2, &len);
        if (len != n || memcmp(p, buf, n) != 0 || p[n] != '\0')
            return 0;
    }
    return 1;
}

static const char *gname(int g, size_t *len)
{
    static const char *names[NGROUPS] = { "g0", "grp1", "g2", "group3" };
    *len = strlen(names[g]);
    return names[g];
}

static const char *cname(int c, size_t *len)
{
    static const char *names[NCONS] = { "alice", "bob", "carol", "dave",
                                        "erin", "frank" };
    *len = strlen(names[c]);
    return names[c];
}

/* ---- the model ---------------------------------------------------------------- */

typedef struct m_nack {
    pstream_id id;
    int64_t time;
    uint64_t count;
    int owner;
} m_nack;

typedef struct m_group {
    bool live;
    pstream_id last_id;
    uint64_t entries_read;
    m_nack *pel;
    size_t npel, cap;
    bool cons[NCONS];
    int64_t seen[NCONS], active[NCONS];
} m_group;

typedef struct model {
    pstream_id *ids;
    size_t n, cap;
    pstream_id last, first, maxdel;
    uint64_t added;
    m_group g[NGROUPS];
} model;

static void m_free(model *m)
{
    free(m->ids);
    for (int i = 0; i < NGROUPS; i++)
        free(m->g[i].pel);
    memset(m, 0, sizeof *m);
}

static model m_copy(const model *m)
{
    model c = *m;
    c.ids = malloc((m->cap ? m->cap : 1) * sizeof *c.ids);
    REQ(c.ids != NULL);
    if (m->n > 0)
        memcpy(c.ids, m->ids, m->n * sizeof *c.ids);
    for (int i = 0; i < NGROUPS; i++) {
        c.g[i].pel = malloc((m->g[i].cap ? m->g[i].cap : 1) *
                            sizeof(m_nack));
        REQ(c.g[i].pel != NULL);
        if (m->g[i].npel > 0)
            memcpy(c.g[i].pel, m->g[i].pel, m->g[i].npel * sizeof(m_nack));
    }
    return c;
}

/* Rank of the first ID >= id. */
static size_t m_lower(const model *m, pstream_id id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (idcmp(m->ids[mid], id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool m_has(const model *m, pstream_id id, size_t *at)
{
    size_t r = m_lower(m, id);
    if (at)
        *at = r;
    return r < m->n && idcmp(m->ids[r], id) == 0;
}

static void m_refresh_first(model *m)
{
    m->first = m->n ? m->ids[0] : ID(0, 0);
}

static size_t m_pel_lower(const m_group *g, pstream_id id)
{
    size_t lo = 0, hi = g->npel;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (idcmp(g->pel[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static m_nack *m_pel_find(m_group *g, pstream_id id)
{
    size_t r = m_pel_lower(g, id);
    return r < g->npel && idcmp(g->pel[r].id, id) == 0 ? &g->pel[r] : NULL;
}

static void m_pel_insert(m_group *g, m_nack n)
{
    if (g->npel == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->pel = realloc(g->pel, g->cap * sizeof *g->pel);
        REQ(g->pel != NULL);
    }
    size_t r = m_pel_lower(g, n.id);
    memmove(&g->pel[r + 1], &g->pel[r], (g->npel - r) * sizeof *g->pel);
    g->pel[r] = n;
    g->npel++;
}

static void m_pel_remove(m_group *g, size_t r)
{
    memmove(&g->pel[r], &g->pel[r + 1], (g->npel - r - 1) * sizeof *g->pel);
    g->npel--;
}

/* ---- comparing a stream with the model --------------------------------------- */

static void expect_check(const pstream *s)
{
    char err[256];
    if (pstream_check(s, err, sizeof err) != 0)
        ck_abort_msg("pstream_check: %s", err);
}

static void expect_meta(const pstream *s, const model *m)
{
    REQ_EQ(pstream_len(s), m->n);
    REQ(idcmp(pstream_last_id(s), m->last) == 0);
    REQ(idcmp(pstream_first_id(s), m->first) == 0);
    REQ(idcmp(pstream_max_deleted_id(s), m->maxdel) == 0);
    REQ_EQ(pstream_entries_added(s), m->added);
}

static void expect_group(const pstream *s, const model *m, int gi)
{
    size_t gl;
    const char *gn = gname(gi, &gl);
    const pstream_group *g = pstream_group_get(s, gn, gl);
    const m_group *mg = &m->g[gi];
    REQ((g != NULL) == mg->live);
    if (!g)
        return;
    REQ(g->name_len == gl && memcmp(g->name, gn, gl) == 0);
    REQ(idcmp(g->last_id, mg->last_id) == 0);
    REQ_EQ(g->entries_read, mg->entries_read);
    REQ_EQ(pstream_group_pel_len(g), mg->npel);
    pstream_iter it;
    pstream_pel_range(&it, g, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
    for (size_t i = 0; i < mg->npel; i++) {
        const pstream_nack *n = pstream_pel_next(&it);
        REQ(n != NULL);
        REQ(idcmp(n->id, mg->pel[i].id) == 0);
        REQ_EQ(n->delivery_time_ms, mg->pel[i].time);
        REQ_EQ(n->delivery_count, mg->pel[i].count);
        size_t cl;
        const char *cn = cname(mg->pel[i].owner, &cl);
        REQ(n->owner != NULL && velem_eq(n->owner, cn, cl));
    }
    REQ(pstream_pel_next(&it) == NULL);
    size_t ncons = 0;
    pstream_consumers(&it, g);
    const pstream_consumer *c = pstream_consumers_next(&it);
    for (int ci = 0; ci < NCONS; ci++) {
        if (!mg->cons[ci])
            continue;
        ncons++;
        size_t cl;
        const char *cn = cname(ci, &cl);
        REQ(c != NULL);
        REQ(c->name_len == cl && memcmp(c->name, cn, cl) == 0);
        REQ(pstream_consumer_get(g, cn, cl) == c);
        REQ_EQ(c->seen_time_ms, mg->seen[ci]);
        REQ_EQ(c->active_time_ms, mg->active[ci]);
        pstream_iter jt;
        pstream_consumer_pel_range(&jt, c, ID(0, 0),
                                   ID(UINT64_MAX, UINT64_MAX), false);
        size_t own = 0;
        for (size_t i = 0; i < mg->npel; i++) {
            if (mg->pel[i].owner != ci)
                continue;
            const pstream_nack *n = pstream_pel_next(&jt);
            REQ(n != NULL && idcmp(n->id, mg->pel[i].id) == 0);
            REQ(n == pstream_pel_get(g, n->id));
            own++;
        }
        REQ(pstream_pel_next(&jt) == NULL);
        REQ_EQ(pstream_consumer_pel_len(c), own);
        c = pstream_consumers_next(&it);
    }
    REQ(c == NULL);
    REQ_EQ(pstream_group_consumers_len(g), ncons);
}

static void expect_model(const pstream *s, const model *m)
{
    expect_meta(s, m);
    pstream_iter it;
    pstream_range(&it, s, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
    for (size_t i = 0; i < m->n; i++) {
        const pstream_entry *e = pstream_range_next(&it);
        REQ(e != NULL && idcmp(pstream_entry_id(e), m->ids[i]) == 0);
        REQ(entry_ok(e));
    }
    REQ(pstream_range_next(&it) == NULL);
    pstream_range(&it, s, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), true);
    for (size_t i = m->n; i-- > 0;) {
        const pstream_entry *e = pstream_range_next(&it);
        REQ(e != NULL && idcmp(pstream_entry_id(e), m->ids[i]) == 0);
    }
    REQ(pstream_range_next(&it) == NULL);
    size_t ng = 0;
    pstream_groups(&it, s);
    for (int gi = 0; gi < NGROUPS; gi++) {
        expect_group(s, m, gi);
        if (!m->g[gi].live)
            continue;
        ng++;
    }
    REQ_EQ(pstream_groups_len(s), ng);
    /* groups iterate in name order: "g0" < "g2" < "group3" < "grp1" */
    static const int order[NGROUPS] = { 0, 2, 3, 1 };
    for (int k = 0; k < NGROUPS; k++) {
        if (!m->g[order[k]].live)
            continue;
        size_t gl;
        const char *gn = gname(order[k], &gl);
        const pstream_group *g = pstream_groups_next(&it);
        REQ(g != NULL && g->name_len == gl && memcmp(g->name, gn, gl) == 0);
    }
    REQ(pstream_groups_next(&it) == NULL);
    REQ(strcmp(pstream_encoding(s), "stream") == 0);
    expect_check(s);
}

/* A range both ways against the model, at most 40 entries each way. */
static void expect_range(const pstream *s, const model *m, pstream_id lo,
                         pstream_id hi)
{
    pstream_iter it;
    size_t a = m_lower(m, lo), i;
    pstream_range(&it, s, lo, hi, false);
    for (i = a; i < m->n && idcmp(m->ids[i], hi) <= 0 && i < a + 40; i++) {
        const pstream_entry *e = pstream_range_next(&it);
        REQ(e != NULL && idcmp(pstream_entry_id(e), m->ids[i]) == 0);
    }
    if (i < a + 40)
        REQ(pstream_range_next(&it) == NULL);
    /* backwards from the last ID <= hi */
    size_t b = m_lower(m, hi);
    if (b < m->n && idcmp(m->ids[b], hi) == 0)
        b++;
    pstream_range(&it, s, lo, hi, true);
    size_t k = 0;
    for (i = b; i-- > 0 && idcmp(m->ids[i], lo) >= 0 && k < 40; k++) {
        const pstream_entry *e = pstream_range_next(&it);
        REQ(e != NULL && idcmp(pstream_entry_id(e), m->ids[i]) == 0);
    }
    if (k < 40)
        REQ(pstream_range_next(&it) == NULL);
}

/* ---- random operations -------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

enum {
    OP_ADD, OP_ADD_BAD, OP_DEL, OP_TRIM_LEN, OP_TRIM_MIN, OP_SETID,
    OP_GCREATE, OP_GDESTROY, OP_GSETID, OP_CCREATE, OP_CDELETE, OP_CTOUCH,
    OP_PADD, OP_PACK, OP_PCLAIM, OP_RANGE, OP_KINDS
};

typedef struct op {
    int kind;
    pstream_id id, id2;
    uint64_t n, limit;
    int g, c;
    int64_t t;
    long long ea;
    bool md;
} op;

/* An ID near the stream: one of its entries, or one just around them. */
static pstream_id near_id(const model *m)
{
    if (m->n > 0 && below(4) != 0) {
        pstream_id id = m->ids[below(m->n)];
        if (below(5) == 0)
            id.seq++;
        return id;
    }
    return ID(m->last.ms + below(3), below(4));
}

static op gen_op(const model *m, const unsigned *weights)
{
    unsigned total = 0;
    for (int k = 0; k < OP_KINDS; k++)
        total += weights[k];
    unsigned r = (unsigned)below(total);
    op o;
    memset(&o, 0, sizeof o);
    for (o.kind = 0; r >= weights[o.kind]; o.kind++)
        r -= weights[o.kind];
    o.g = (int)below(NGROUPS);
    o.c = (int)below(NCONS);
    o.t = (int64_t)below(1000000);
    o.n = below(5);
    switch (o.kind) {
    case OP_ADD:
        o.id = below(3) ? ID(m->last.ms, m->last.seq + 1 + below(2))
                        : ID(m->last.ms + 1 + below(3), below(3));
        break;
    case OP_ADD_BAD:
        o.id = m->n && below(2) ? m->ids[below(m->n)] : m->last;
        break;
    case OP_TRIM_LEN:
        o.n = m->n > 8 ? m->n - below(10) : m->n;
        o.limit = below(3) == 0 ? 1 + below(6) : 0;
        break;
    case OP_TRIM_MIN:
        o.id = m->n ? m->ids[below(m->n < 12 ? m->n : 12)] : ID(0, 0);
        o.limit = below(3) == 0 ? 1 + below(6) : 0;
        break;
    case OP_SETID:
        o.id = below(3) ? ID(m->last.ms + below(2), m->last.seq + below(3))
                        : near_id(m);
        o.ea = below(3) ? -1 : (long long)(m->added + below(3)) - 1;
        o.md = below(4) == 0;
        o.id2 = near_id(m);
        break;
    case OP_GCREATE:
    case OP_GSETID:
        o.id = near_id(m);
        o.n = below(3) ? below(1000) : PSTREAM_ENTRIES_READ_UNKNOWN;
        break;
    case OP_CTOUCH:
        o.n = below(2); /* 1: keep active */
        break;
    default:
        o.id = near_id(m);
        o.id2 = o.id;
        break;
    }
    return o;
}

/* Apply o to s and to the model (only when it succeeds); check the
 * result and the touched element.  Returns the edit's result, -1 only
 * for ENOMEM (expected errors are checked here); *out is the edit's
 * result, or NULL for a read or an edit refused as it must be. */
static long long apply(pstream *s, model *m, const op *o, pstream **out)
{
    size_t gl, cl, at;
    const char *gn = gname(o->g, &gl), *cn = cname(o->c, &cl);
    m_group *mg = &m->g[o->g];
    long long rc = 0;
    *out = NULL;
    switch (o->kind) {
    case OP_ADD:
    case OP_ADD_BAD: {
        pstream_str fv[8];
        size_t nf = content_fv(o->id, fv);
        rc = pstream_add(s, o->id, fv, nf, out);
        bool ok = idcmp(o->id, m->last) > 0;
        if (!ok) {
            REQ(rc == -1 && errno == EINVAL);
            return 0;
        }
        if (rc < 0)
            break;
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->ids = realloc(m->ids, m->cap * sizeof *m->ids);
            REQ(m->ids != NULL);
        }
        m->ids[m->n++] = o->id;
        m->last = o->id;
        m->added++;
        if (m->n == 1)
            m->first = o->id;
        const pstream_entry *e = pstream_get(*out, o->id);
        REQ(e != NULL && entry_ok(e));
        break;
    }
    case OP_DEL: {
        bool had = m_has(m, o->id, &at);
        rc = pstream_delete(s, o->id, out);
        if (rc < 0)
            break;
        REQ_EQ(rc, had);
        if (had) {
            memmove(&m->ids[at], &m->ids[at + 1],
                    (m->n - at - 1) * sizeof *m->ids);
            m->n--;
            if (idcmp(o->id, m->maxdel) > 0)
                m->maxdel = o->id;
            m_refresh_first(m);
        }
        REQ(pstream_get(*out, o->id) == NULL);
        break;
    }
    case OP_TRIM_LEN:
    case OP_TRIM_MIN: {
        size_t k = o->kind == OP_TRIM_LEN ? (m->n > o->n ? m->n - o->n : 0)
                                          : m_lower(m, o->id);
        if (o->limit && k > o->limit)
            k = o->limit;
        rc = o->kind == OP_TRIM_LEN
                 ? pstream_trim_maxlen(s, o->n, o->limit, out)
                 : pstream_trim_minid(s, o->id, o->limit, out);
        if (rc < 0)
            break;
        REQ_EQ(rc, k);
        if (k > 0)
            memmove(m->ids, m->ids + k, (m->n - k) * sizeof *m->ids);
        m->n -= k;
        m_refresh_first(m);
        break;
    }
    case OP_SETID: {
        bool md = o->md && idcmp(o->id2, ID(0, 0)) != 0;
        bool ok = !(md && idcmp(o->id, o->id2) < 0) &&
                  idcmp(o->id, m->maxdel) >= 0 &&
                  !(m->n && idcmp(o->id, m->ids[m->n - 1]) < 0) &&
                  !(o->ea != -1 && (o->ea < 0 ||
                                    (m->n && (uint64_t)o->ea < m->n)));
        rc = pstream_set_id(s, o->id, o->ea, o->md ? &o->id2 : NULL, out);
        if (!ok) {
            REQ(rc == -1 && errno == EINVAL);
            return 0;
        }
        if (rc < 0)
            break;
        m->last = o->id;
        if (o->ea != -1)
            m->added = (uint64_t)o->ea;
        if (md)
            m->maxdel = o->id2;
        break;
    }
    case OP_GCREATE:
        rc = pstream_group_create(s, gn, gl, o->id, o->n, out);
        if (rc < 0)
            break;
        REQ_EQ(rc, !mg->live);
        if (!mg->live) {
            free(mg->pel);
            memset(mg, 0, sizeof *mg);
            mg->live = true;
            mg->last_id = o->id;
            mg->entries_read = o->n;
        }
        break;
    case OP_GDESTROY:
        rc = pstream_group_destroy(s, gn, gl, out);
        if (rc < 0)
            break;
        REQ_EQ(rc, mg->live);
        mg->live = false;
        mg->npel = 0;
        REQ(pstream_group_get(*out, gn, gl) == NULL);
        break;
    case OP_GSETID:
        rc = pstream_group_set_id(s, gn, gl, o->id, o->n, out);
        if (!mg->live) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        mg->last_id = o->id;
        mg->entries_read = o->n;
        break;
    case OP_CCREATE:
        rc = pstream_consumer_create(s, gn, gl, cn, cl, o->t, o->t - 1, out);
        if (!mg->live) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        REQ_EQ(rc, !mg->cons[o->c]);
        if (!mg->cons[o->c]) {
            mg->cons[o->c] = true;
            mg->seen[o->c] = o->t;
            mg->active[o->c] = o->t - 1;
        }
        break;
    case OP_CTOUCH:
        rc = pstream_consumer_touch(s, gn, gl, cn, cl, o->t,
                                    o->n ? -1 : o->t + 5, out);
        if (!mg->live || !mg->cons[o->c]) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        mg->seen[o->c] = o->t;
        if (!o->n)
            mg->active[o->c] = o->t + 5;
        break;
    case OP_CDELETE: {
        rc = pstream_consumer_delete(s, gn, gl, cn, cl, out);
        if (!mg->live) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        long long k = 0;
        for (size_t i = mg->npel; i-- > 0;)
            if (mg->pel[i].owner == o->c) {
                m_pel_remove(mg, i);
                k++;
            }
        REQ_EQ(rc, k);
        mg->cons[o->c] = false;
        break;
    }
    case OP_PADD:
    case OP_PCLAIM: {
        bool claim = o->kind == OP_PCLAIM;
        uint64_t cnt = 1 + o->n;
        rc = claim ? pstream_pel_claim(s, gn, gl, o->id, cn, cl, o->t, cnt,
                                       out)
                   : pstream_pel_add(s, gn, gl, o->id, cn, cl, o->t, cnt,
                                     out);
        if (!mg->live || !mg->cons[o->c]) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        m_nack *n = m_pel_find(mg, o->id);
        if (claim)
            REQ_EQ(rc, n != NULL);
        else
            REQ_EQ(rc, n == NULL);
        if (n != NULL) {
            n->time = o->t;
            n->count = cnt;
            n->owner = o->c;
        } else if (!claim) {
            m_pel_insert(mg, (m_nack){ o->id, o->t, cnt, o->c });
        }
        break;
    }
    case OP_PACK: {
        rc = pstream_pel_ack(s, gn, gl, o->id, out);
        if (!mg->live) {
            REQ(rc == -1 && errno == ENOENT);
            return 0;
        }
        if (rc < 0)
            break;
        size_t r = m_pel_lower(mg, o->id);
        bool had = r < mg->npel && idcmp(mg->pel[r].id, o->id) == 0;
        REQ_EQ(rc, had);
        if (had)
            m_pel_remove(mg, r);
        break;
    }
    case OP_RANGE: {
        pstream_id a = near_id(m), b = near_id(m);
        if (idcmp(a, b) > 0) {
            pstream_id t = a;
            a = b;
            b = t;
        }
        expect_range(s, m, a, b);
        return 0; /* a read: *out stays NULL */
    }
    }
    if (rc < 0) {
        REQ(errno == ENOMEM);
        return -1;
    }
    switch (o->kind) { /* the touched part */
    case OP_ADD:
    case OP_DEL:
    case OP_TRIM_LEN:
    case OP_TRIM_MIN:
    case OP_SETID:
        expect_meta(*out, m);
        break;
    default:
        expect_group(*out, m, o->g);
    }
    return rc;
}

/* Move *v to the result of an edit (a version replaces it; a transient
 * is its own result). */
static void step_to(pstream **v, pstream *out)
{
    if (out == NULL)
        return;
    if (!pstream_is_transient(*v))
        pstream_release(*v);
    *v = out;
}

static void do_op(pstream **v, model *m, const op *o)
{
    pstream *out;
    long long rc = apply(*v, m, o, &out);
    REQ(rc >= 0);
    step_to(v, out);
}

static const unsigned w_default[OP_KINDS] = {
    [OP_ADD] = 150, [OP_ADD_BAD] = 3, [OP_DEL] = 20, [OP_TRIM_LEN] = 4,
    [OP_TRIM_MIN] = 4, [OP_SETID] = 8, [OP_GCREATE] = 10, [OP_GDESTROY] = 1,
    [OP_GSETID] = 8, [OP_CCREATE] = 20, [OP_CDELETE] = 2, [OP_CTOUCH] = 12,
    [OP_PADD] = 100, [OP_PACK] = 30, [OP_PCLAIM] = 25, [OP_RANGE] = 30,
};

/* Keep the stream under maxn entries so that it stays interesting. */
static void bound(pstream **v, model *m, size_t maxn)
{
    if (m->n <= maxn)
        return;
    op o = { .kind = OP_TRIM_LEN, .n = maxn / 2 };
    do_op(v, m, &o);
}

typedef struct saved {
    pstream *s;
    model m;
} saved;

#define NSAVED 6

static void random_run(uint64_t seed, long steps, size_t maxn)
{
    size_t live0 = pstream_records_live();
    rng_state = seed;
    model m;
    memset(&m, 0, sizeof m);
    pstream *v = pstream_new();
    REQ(v != NULL);
    saved sv[NSAVED];
    size_t ns = 0;
    for (long i = 1; i <= steps; i++) {
        if (i % 2500 == 0) { /* a transient burst */
            pstream *t = pstream_edit_begin(v);
            REQ(t != NULL && pstream_is_transient(t));
            pstream_release(v);
            for (int k = 0; k < 60; k++) {
                op o = gen_op(&m, w_default);
                do_op(&t, &m, &o);
            }
            expect_model(t, &m);
            v = pstream_edit_end(t);
            REQ(!pstream_is_transient(v));
        } else {
            op o = gen_op(&m, w_default);
            do_op(&v, &m, &o);
        }
        bound(&v, &m, maxn);
        if (i % 1000 == 0)
            expect_model(v, &m);
        if (i % 7000 == 0) {
            if (ns == NSAVED) { /* check and drop the oldest */
                expect_model(sv[0].s, &sv[0].m);
                pstream_release(sv[0].s);
                m_free(&sv[0].m);
                memmove(&sv[0], &sv[1], (NSAVED - 1) * sizeof sv[0]);
                ns--;
            }
            sv[ns].s = pstream_retain(v);
            sv[ns].m = m_copy(&m);
            ns++;
        }
    }
    expect_model(v, &m);
    for (size_t k = 0; k < ns; k++) {
        expect_model(sv[k].s, &sv[k].m);
        pstream_release(sv[k].s);
        m_free(&sv[k].m);
    }
    pstream_release(v);
    m_free(&m);
    REQ_EQ(pstream_records_live(), live0);
}

START_TEST(random_against_model)
{
    random_run(0x9e3779b97f4a7c15ull, test_scale(100000, 3000),
               (size_t)test_scale(3000, 300));
}
END_TEST

START_TEST(random_small_streams)
{
    /* small streams: the trees stay single leaves or cross to two levels */
    random_run(0x1234567ull, test_scale(30000, 2000), 40);
}
END_TEST

/* ---- basic cases ---------------------------------------------------------------- */

static pstream *add_n(pstream *v, size_t n, uint64_t ms0)
{
    for (size_t i = 0; i < n; i++) {
        pstream_str fv[8];
        pstream_id id = ID(ms0 + i / 3, i % 3);
        size_t nf = content_fv(id, fv);
        pstream *out;
        REQ(pstream_add(v, id, fv, nf, &out) == 0);
        step_to(&v, out);
    }
    return v;
}

START_TEST(edges_and_errors)
{
    size_t live0 = pstream_records_live();
    pstream *v = pstream_new(), *out;
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(pstream_len(v), 0);
    ck_assert_str_eq(pstream_encoding(v), "stream");
    pstream_str fv[2] = { { "f", 1 }, { "v", 1 } };
    /* 0-0 is never a valid ID: it does not exceed the initial last ID */
    ck_assert_int_eq(pstream_add(v, ID(0, 0), fv, 1, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pstream_add(v, ID(5, 1), fv, 1, &out), 0);
    ck_assert_int_eq(pstream_len(v), 0); /* the old version is untouched */
    ck_assert_int_eq(pstream_len(out), 1);
    ck_assert_int_eq(pstream_add(out, ID(5, 1), fv, 1, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    pstream_release(v);
    v = out;
    const pstream_entry *e = pstream_get(v, ID(5, 1));
    ck_assert_ptr_nonnull(e);
    size_t len;
    ck_assert_int_eq(pstream_entry_nfields(e), 1);
    ck_assert_str_eq((const char *)pstream_entry_field(e, 0, &len), "f");
    ck_assert_str_eq((const char *)pstream_entry_value(e, 0, &len), "v");
    ck_assert_ptr_null(pstream_get(v, ID(5, 2)));
    v = add_n(v, 100, 10);
    ck_assert_int_eq(pstream_len(v), 101);
    ck_assert_uint_eq(pstream_first_id(v).ms, 5);
    ck_assert_uint_eq(pstream_entries_added(v), 101);

    /* XDEL: the first entry moves first_id; max_deleted_id only grows */
    ck_assert_int_eq(pstream_delete(v, ID(20, 1), &out), 1);
    step_to(&v, out);
    ck_assert_uint_eq(pstream_max_deleted_id(v).ms, 20);
    ck_assert_int_eq(pstream_delete(v, ID(5, 1), &out), 1);
    step_to(&v, out);
    ck_assert_uint_eq(pstream_first_id(v).ms, 10);
    ck_assert_uint_eq(pstream_max_deleted_id(v).ms, 20);
    ck_assert_int_eq(pstream_delete(v, ID(5, 1), &out), 0);
    ck_assert_ptr_eq(out, v);
    pstream_release(out);
    ck_assert_uint_eq(pstream_entries_added(v), 101);

    /* XTRIM: MAXLEN with and without LIMIT, then MINID */
    ck_assert_int_eq(pstream_trim_maxlen(v, 90, 0, &out), 9);
    step_to(&v, out);
    ck_assert_int_eq(pstream_len(v), 90);
    ck_assert_int_eq(pstream_trim_maxlen(v, 10, 5, &out), 5);
    step_to(&v, out);
    ck_assert_int_eq(pstream_len(v), 85);
    pstream_id f = pstream_first_id(v);
    ck_assert_int_eq(pstream_trim_minid(v, ID(f.ms + 2, 0), 0, &out), 6 - f.seq);
    step_to(&v, out);
    ck_assert_uint_eq(pstream_first_id(v).ms, f.ms + 2);
    ck_assert_uint_eq(pstream_max_deleted_id(v).ms, 20); /* trim leaves it */
    ck_assert_int_eq(pstream_trim_minid(v, ID(0, 5), 0, &out), 0);
    pstream_release(out);

    /* XSETID's checks */
    pstream_id last = pstream_last_id(v);
    ck_assert_int_eq(pstream_set_id(v, ID(last.ms - 1, 0), -1, NULL, &out),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pstream_set_id(v, ID(last.ms + 9, 0), 5, NULL, &out), -1);
    pstream_id md = ID(last.ms + 10, 0);
    ck_assert_int_eq(pstream_set_id(v, ID(last.ms + 9, 0), -1, &md, &out), -1);
    ck_assert_int_eq(pstream_set_id(v, md, 500, &md, &out), 0);
    step_to(&v, out);
    ck_assert_uint_eq(pstream_last_id(v).ms, md.ms);
    ck_assert_uint_eq(pstream_max_deleted_id(v).ms, md.ms);
    ck_assert_uint_eq(pstream_entries_added(v), 500);

    /* groups, consumers, pending entries */
    ck_assert_int_eq(pstream_group_create(v, "g", 1, ID(0, 0),
                                          PSTREAM_ENTRIES_READ_UNKNOWN, &out),
                     1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_group_create(v, "g", 1, ID(1, 0), 3, &out), 0);
    pstream_release(out);
    ck_assert_int_eq(pstream_pel_add(v, "g", 1, ID(50, 0), "c", 1, 7, 1,
                                     &out), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(pstream_pel_add(v, "x", 1, ID(50, 0), "c", 1, 7, 1,
                                     &out), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(pstream_consumer_create(v, "g", 1, "c", 1, 7, -1, &out),
                     1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_consumer_create(v, "g", 1, "d", 1, 8, -1, &out),
                     1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_pel_add(v, "g", 1, ID(50, 0), "c", 1, 7, 1,
                                     &out), 1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_pel_add(v, "g", 1, ID(50, 1), "c", 1, 7, 1,
                                     &out), 1);
    step_to(&v, out);
    /* delivered again, to d: moves from c's PEL to d's */
    ck_assert_int_eq(pstream_pel_add(v, "g", 1, ID(50, 0), "d", 1, 9, 2,
                                     &out), 0);
    step_to(&v, out);
    const pstream_group *g = pstream_group_get(v, "g", 1);
    ck_assert_int_eq(pstream_group_pel_len(g), 2);
    ck_assert_int_eq(pstream_consumer_pel_len(pstream_consumer_get(g, "c", 1)),
                     1);
    ck_assert_int_eq(pstream_consumer_pel_len(pstream_consumer_get(g, "d", 1)),
                     1);
    ck_assert_int_eq(pstream_pel_get(g, ID(50, 0))->delivery_count, 2);
    ck_assert_int_eq(pstream_pel_claim(v, "g", 1, ID(51, 0), "c", 1, 9, 2,
                                       &out), 0);
    pstream_release(out);
    ck_assert_int_eq(pstream_pel_claim(v, "g", 1, ID(50, 0), "c", 1, 10, 3,
                                       &out), 1);
    step_to(&v, out);
    g = pstream_group_get(v, "g", 1);
    ck_assert_int_eq(pstream_consumer_pel_len(pstream_consumer_get(g, "c", 1)),
                     2);
    expect_check(v);
    ck_assert_int_eq(pstream_pel_ack(v, "g", 1, ID(50, 1), &out), 1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_pel_ack(v, "g", 1, ID(50, 1), &out), 0);
    pstream_release(out);
    ck_assert_int_eq(pstream_consumer_delete(v, "g", 1, "c", 1, &out), 1);
    step_to(&v, out);
    g = pstream_group_get(v, "g", 1);
    ck_assert_int_eq(pstream_group_pel_len(g), 0);
    ck_assert_ptr_null(pstream_consumer_get(g, "c", 1));
    ck_assert_int_eq(pstream_consumer_delete(v, "g", 1, "c", 1, &out), 0);
    pstream_release(out);
    ck_assert_int_eq(pstream_group_set_id(v, "g", 1, ID(60, 0), 12, &out), 0);
    step_to(&v, out);
    g = pstream_group_get(v, "g", 1);
    ck_assert_uint_eq(g->last_id.ms, 60);
    ck_assert_uint_eq(g->entries_read, 12);
    ck_assert_int_eq(pstream_group_set_id(v, "h", 1, ID(60, 0), 12, &out), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(pstream_group_destroy(v, "g", 1, &out), 1);
    step_to(&v, out);
    ck_assert_int_eq(pstream_groups_len(v), 0);
    expect_check(v);
    ck_assert_uint_gt(pstream_bytes(v), 85 * 24);
    pstream_release(v);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

/* A transient mid-build may hold nacks no consumer owns yet: every other
 * invariant must hold. */
static void expect_check_lenient(const pstream *s)
{
    char err[256];
    if (pstream_check(s, err, sizeof err) != 0 && !strstr(err, "no consumer"))
        ck_abort_msg("pstream_check: %s", err);
}

/* Two streams with the same contents, groups and PELs. */
static void expect_same(const pstream *a, const pstream *b)
{
    REQ_EQ(pstream_len(a), pstream_len(b));
    REQ(idcmp(pstream_last_id(a), pstream_last_id(b)) == 0);
    REQ(idcmp(pstream_first_id(a), pstream_first_id(b)) == 0);
    REQ(idcmp(pstream_max_deleted_id(a), pstream_max_deleted_id(b)) == 0);
    REQ_EQ(pstream_entries_added(a), pstream_entries_added(b));
    pstream_iter i, j;
    pstream_range(&i, a, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
    pstream_range(&j, b, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
    const pstream_entry *x, *y;
    while ((x = pstream_range_next(&i)) != NULL) {
        y = pstream_range_next(&j);
        REQ(y != NULL && idcmp(pstream_entry_id(x), pstream_entry_id(y)) == 0);
        REQ(entry_ok(x));
    }
    REQ(pstream_range_next(&j) == NULL);
    REQ_EQ(pstream_groups_len(a), pstream_groups_len(b));
    pstream_groups(&i, a);
    const pstream_group *ga;
    while ((ga = pstream_groups_next(&i)) != NULL) {
        const pstream_group *gb = pstream_group_get(b, ga->name, ga->name_len);
        REQ(gb != NULL && idcmp(ga->last_id, gb->last_id) == 0);
        REQ_EQ(ga->entries_read, gb->entries_read);
        REQ_EQ(pstream_group_pel_len(ga), pstream_group_pel_len(gb));
        REQ_EQ(pstream_group_consumers_len(ga),
               pstream_group_consumers_len(gb));
        pstream_pel_range(&j, ga, ID(0, 0), ID(UINT64_MAX, UINT64_MAX),
                          false);
        const pstream_nack *n;
        while ((n = pstream_pel_next(&j)) != NULL) {
            const pstream_nack *m = pstream_pel_get(gb, n->id);
            REQ(m != NULL && m->delivery_time_ms == n->delivery_time_ms &&
                m->delivery_count == n->delivery_count);
            REQ(velem_eq(m->owner, n->owner->bytes, n->owner->len));
        }
    }
}

/* ---- building from RDB-shaped input --------------------------------------------- */

START_TEST(build_like_rdb)
{
    size_t live0 = pstream_records_live();
    pstream *v = pstream_new(), *out;
    pstream *t = pstream_edit_begin(v);
    pstream_release(v);
    ck_assert_ptr_nonnull(t);
    size_t n = (size_t)test_scale(20000, 500);
    t = add_n(t, n, 1000);
    char err[200];
    pstream_id last = ID(1000 + (n - 1) / 3, (n - 1) % 3);
    ck_assert_int_eq(pstream_build_meta(t, ID(0, 1), ID(1000, 0), ID(0, 0),
                                        n, err, sizeof err, &out), -1);
    ck_assert_ptr_nonnull(strstr(err, "below its last entry"));
    ck_assert_int_eq(pstream_build_meta(t, last, ID(1000, 1), ID(0, 0), n,
                                        err, sizeof err, &out), -1);
    ck_assert_ptr_nonnull(strstr(err, "first ID"));
    ck_assert_int_eq(pstream_build_meta(t, last, ID(1000, 0), ID(0, 0),
                                        n - 1, err, sizeof err, &out), -1);
    ck_assert_int_eq(pstream_build_meta(t, last, ID(1000, 0), ID(900, 0),
                                        n + 7, err, sizeof err, &out), 0);
    ck_assert_ptr_eq(out, t);
    ck_assert_int_eq(pstream_group_create(t, "grp", 3, ID(1001, 0), 5, &t),
                     1);
    /* the group PEL: every even entry, no owners yet */
    for (size_t i = 0; i < n; i += 2)
        ck_assert_int_eq(pstream_build_nack(t, "grp", 3,
                                            ID(1000 + i / 3, i % 3),
                                            (int64_t)i, 1 + i % 4, &t), 0);
    ck_assert_int_eq(pstream_build_nack(t, "grp", 3, ID(1000, 0), 1, 1, &t),
                     -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_int_eq(pstream_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "has no consumer"));
    /* two consumers, alternating ownership */
    size_t np = (n + 1) / 2, na = 0, nb = 0;
    pstream_id *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
    for (size_t k = 0; k < np; k++) {
        size_t i = 2 * k;
        if (k % 3 == 0)
            a[na++] = ID(1000 + i / 3, i % 3);
        else
            b[nb++] = ID(1000 + i / 3, i % 3);
    }
    pstream_id bad[2] = { b[1], b[0] };
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "b", 1, 5, 6, bad, 2,
                                            &t), -1);
    ck_assert_int_eq(errno, EINVAL);
    pstream_id absent = ID(1000, 1); /* odd entry: not pending */
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "b", 1, 5, 6,
                                            &absent, 1, &t), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "a", 1, 5, 6, a, na,
                                            &t), 0);
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "b", 1, 5, 6, a, 1,
                                            &t), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "b", 1, 7, -1, b, nb,
                                            &t), 0);
    ck_assert_int_eq(pstream_build_consumer(t, "grp", 3, "idle", 4, 7, -1,
                                            NULL, 0, &t), 0);
    expect_check(t);
    v = pstream_edit_end(t);
    expect_check(v);
    const pstream_group *g = pstream_group_get(v, "grp", 3);
    ck_assert_int_eq(pstream_group_pel_len(g), np);
    ck_assert_int_eq(pstream_group_consumers_len(g), 3);
    ck_assert_int_eq(pstream_consumer_pel_len(pstream_consumer_get(g, "a", 1)),
                     na);
    ck_assert_int_eq(pstream_entries_added(v), n + 7);
    /* a built stream edits like any other */
    ck_assert_int_eq(pstream_pel_ack(v, "grp", 3, a[0], &out), 1);
    expect_check(out);
    pstream_release(out);
    free(a);
    free(b);
    pstream_release(v);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

/* ---- allocation failure ------------------------------------------------------------ */

/* A version with entries, groups, consumers and pending entries. */
static pstream *base_stream(model *m, uint64_t seed, long steps)
{
    memset(m, 0, sizeof *m);
    rng_state = seed;
    pstream *v = pstream_new();
    REQ(v != NULL);
    for (long i = 0; i < steps; i++) {
        op o = gen_op(m, w_default);
        do_op(&v, m, &o);
        bound(&v, m, 400);
    }
    return v;
}

/* One op of every kind that edits, valid in the model's state. */
static op pick_op(const model *m, int kind)
{
    static const unsigned none[OP_KINDS];
    unsigned w[OP_KINDS];
    memcpy(w, none, sizeof w);
    w[kind] = 1;
    for (int tries = 0;; tries++) {
        op o = gen_op(m, w);
        bool gl = m->g[o.g].live, cl = gl && m->g[o.g].cons[o.c];
        switch (kind) {
        case OP_GSETID: case OP_CCREATE: case OP_CDELETE: case OP_PACK:
            if (!gl && tries < 100)
                continue;
            break;
        case OP_CTOUCH: case OP_PADD: case OP_PCLAIM:
            if (!cl && tries < 100)
                continue;
            break;
        default:
            break;
        }
        return o;
    }
}

static void fail_each_allocation(pstream *v, const model *m, const op *o,
                                 bool transient)
{
    for (unsigned long nth = 1;; nth++) {
        model mc = m_copy(m);
        pstream *t = transient ? pstream_edit_begin(v) : v;
        REQ(t != NULL);
        pstream *out;
        alloc_fail_nth(nth);
        long long rc = apply(t, &mc, o, &out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc < 0) {
            REQ(fired == 1);
            expect_model(t, m); /* as it was */
            expect_model(v, m);
            if (transient)
                pstream_release(t);
            m_free(&mc);
            continue;
        }
        if (out != NULL) {
            expect_model(out, &mc);
            if (!transient)
                pstream_release(out);
        }
        if (transient)
            pstream_release(t);
        expect_model(v, m);
        m_free(&mc);
        break;
    }
}

START_TEST(allocation_failure_every_edit)
{
    size_t live0 = pstream_records_live();
    model m;
    pstream *v = base_stream(&m, 77, test_scale(3000, 800));
    int rounds = (int)test_scale(3, 1);
    for (int r = 0; r < rounds; r++)
        for (int kind = 0; kind < OP_KINDS; kind++) {
            if (kind == OP_RANGE)
                continue;
            op o = pick_op(&m, kind);
            fail_each_allocation(v, &m, &o, false);
            fail_each_allocation(v, &m, &o, true);
        }
    pstream_release(v);
    m_free(&m);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

START_TEST(allocation_failure_in_a_batch)
{
    size_t live0 = pstream_records_live();
    model m;
    pstream *v = base_stream(&m, 99, test_scale(2000, 600));
    enum { K = 40 };
    op ops[K];
    uint64_t seed = rng_state;
    for (unsigned long nth = 1;; nth++) {
        model mc = m_copy(&m);
        rng_state = seed;
        pstream *t = pstream_edit_begin(v);
        REQ(t != NULL);
        alloc_fail_nth(nth);
        for (int k = 0; k < K; k++) {
            ops[k] = gen_op(&mc, w_default);
            pstream *out;
            /* the one that meets the failure leaves t (and mc) as they were */
            if (apply(t, &mc, &ops[k], &out) >= 0 && out)
                REQ(out == t);
        }
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        expect_model(t, &mc);
        pstream *nv = pstream_edit_end(t);
        expect_model(nv, &mc);
        expect_model(v, &m);
        pstream_release(nv);
        m_free(&mc);
        if (!fired)
            break;
    }
    pstream_release(v);
    m_free(&m);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

/* The builder's calls, each retried once when it meets the failure: a
 * call that fails must leave the transient as it was, so the retry
 * finishes the same stream.  Returns the number of failures met. */
static unsigned long g_nth;
static int build_small(pstream **tp)
{
    int failed = 0;
    pstream *t = *tp;
    char err[128];
#define RETRY(call)                                                         \
    do {                                                                    \
        int rc_ = (call);                                                   \
        if (rc_ < 0) {                                                      \
            if (errno != ENOMEM) ck_abort_msg("%s: errno %d nth %lu", #call, errno, g_nth); \
            failed++;                                                       \
            expect_check_lenient(t);                                        \
            REQ((call) >= 0);                                               \
        }                                                                   \
    } while (0)
    for (size_t i = 0; i < 70; i++) {
        pstream_str fv[8];
        pstream_id id = ID(10 + i / 2, i % 2);
        size_t nf = content_fv(id, fv);
        RETRY(pstream_add(t, id, fv, nf, &t));
    }
    RETRY(pstream_build_meta(t, ID(100, 0), ID(10, 0), ID(9, 0), 80, err,
                             sizeof err, &t));
    pstream_id ids[2][80];
    size_t nids[2] = { 0, 0 };
    for (int g = 0; g < 2; g++) {
        size_t gl;
        const char *gn = gname(g, &gl);
        RETRY(pstream_group_create(t, gn, gl, ID(40, 1), 70, &t));
        for (size_t i = 0; i < 70; i += 1 + (size_t)g) {
            pstream_id id = ID(10 + i / 2, i % 2);
            RETRY(pstream_build_nack(t, gn, gl, id, (int64_t)i, 1, &t));
            ids[i % 3 == 0][nids[i % 3 == 0]++] = id;
        }
        for (int c = 0; c < 2; c++) {
            size_t cl;
            const char *cn = cname(c, &cl);
            RETRY(pstream_build_consumer(t, gn, gl, cn, cl, 5, 6, ids[c],
                                         nids[c], &t));
        }
        nids[0] = nids[1] = 0;
    }
#undef RETRY
    *tp = t;
    return failed;
}

START_TEST(allocation_failure_while_building)
{
    size_t live0 = pstream_records_live();
    pstream *v = pstream_new(), *ref = pstream_edit_begin(v);
    REQ(build_small(&ref) == 0);
    ref = pstream_edit_end(ref);
    expect_check(ref);
    for (unsigned long nth = 1;; nth++) {
        pstream *t = pstream_edit_begin(v);
        REQ(t != NULL);
        g_nth = nth;
        alloc_fail_nth(nth);
        int failed = build_small(&t);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        REQ_EQ(failed, fired);
        t = pstream_edit_end(t);
        expect_check(t);
        expect_same(t, ref);
        pstream_release(t);
        if (!fired)
            break;
    }
    pstream_release(ref);
    pstream_release(v);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

START_TEST(check_catches_damage)
{
    model m;
    pstream *v = base_stream(&m, 5, 600);
    expect_check(v);
    char err[200];
    /* a first_id that does not match is caught */
    pstream *out;
    pstream_id md = m.maxdel;
    REQ(pstream_set_id(v, m.last, -1, &md, &out) == 0);
    expect_check(out);
    pstream_release(out);
    /* an owner-less nack in a group */
    pstream *t = pstream_edit_begin(v);
    REQ(pstream_group_create(t, "zz", 2, ID(0, 0), 0, &t) == 1);
    REQ(pstream_build_nack(t, "zz", 2, ID(1, 1), 0, 1, &t) == 0);
    ck_assert_int_eq(pstream_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "zz"));
    pstream_release(t);
    pstream_release(v);
    m_free(&m);
}
END_TEST

/* ---- readers on other threads ------------------------------------------------------ */

typedef struct pub {
    ebr_node node;
    pstream *s;
} pub;

static _Atomic(pub *) g_cur;
static atomic_bool g_done;
static ebr *g_ebr;
static atomic_long g_reads;
static atomic_int g_started; /* readers that finished one whole read */

static void pub_free(ebr_node *n)
{
    pub *p = (pub *)n;
    pstream_release(p->s);
    free(p);
}

static void *reader_main(void *arg)
{
    (void)arg;
    ebr_reader *r = ebr_register(g_ebr);
    REQ(r != NULL);
    long reads = 0;
    /* acquire: the writer's release store of a new version; its contents
     * were written before it */
    while (!atomic_load_explicit(&g_done, memory_order_acquire)) {
        ebr_enter(r);
        pub *p = atomic_load_explicit(&g_cur, memory_order_acquire);
        const pstream *s = p->s;
        pstream_iter it;
        pstream_range(&it, s, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
        pstream_id prev = ID(0, 0);
        size_t n = 0;
        const pstream_entry *e;
        while ((e = pstream_range_next(&it)) != NULL) {
            REQ(n == 0 || idcmp(prev, pstream_entry_id(e)) < 0);
            REQ(entry_ok(e));
            prev = pstream_entry_id(e);
            n++;
        }
        REQ(n == pstream_len(s));
        pstream_range(&it, s, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), true);
        for (int k = 0; k < 20 && (e = pstream_range_next(&it)); k++)
            REQ(entry_ok(e));
        const pstream_group *g = pstream_group_get(s, "g", 1);
        if (g != NULL) {
            size_t np = 0;
            pstream_pel_range(&it, g, ID(0, 0), ID(UINT64_MAX, UINT64_MAX),
                              false);
            while (pstream_pel_next(&it) != NULL)
                np++;
            REQ(np == pstream_group_pel_len(g));
            const pstream_consumer *c;
            size_t nc = 0;
            pstream_consumers(&it, g);
            while ((c = pstream_consumers_next(&it)) != NULL) {
                pstream_iter jt;
                pstream_consumer_pel_range(&jt, c, ID(0, 0),
                                           ID(UINT64_MAX, UINT64_MAX), true);
                const pstream_nack *k;
                while ((k = pstream_pel_next(&jt)) != NULL)
                    REQ(pstream_pel_get(g, k->id) == k);
                nc += pstream_consumer_pel_len(c);
            }
            REQ(nc == np);
        }
        ebr_exit(r);
        if (++reads == 1)
            atomic_fetch_add_explicit(&g_started, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&g_reads, reads, memory_order_relaxed);
    REQ(ebr_unregister(r) == 0);
    return NULL;
}

static void publish(pstream *s)
{
    pub *p = malloc(sizeof *p);
    REQ(p != NULL);
    p->s = s;
    /* release: readers that load p see the version it points at whole */
    pub *old = atomic_exchange_explicit(&g_cur, p, memory_order_acq_rel);
    if (old != NULL)
        ebr_retire(g_ebr, &old->node, pub_free, sizeof *old);
}

START_TEST(readers_iterate_old_versions)
{
    size_t live0 = pstream_records_live();
    g_ebr = ebr_create();
    REQ(g_ebr != NULL);
    atomic_store(&g_done, false);
    atomic_store(&g_reads, 0);
    atomic_store(&g_started, 0);
    model m;
    memset(&m, 0, sizeof m);
    rng_state = 4242;
    pstream *v = pstream_new(), *out;
    REQ(pstream_group_create(v, "g", 1, ID(0, 0), 0, &out) == 1);
    pstream_release(v);
    REQ(pstream_consumer_create(out, "g", 1, "c", 1, 0, 0, &v) == 1);
    pstream_release(out);
    publish(v);
    enum { NR = 3 };
    pthread_t th[NR];
    for (int i = 0; i < NR; i++)
        REQ(pthread_create(&th[i], NULL, reader_main, NULL) == 0);
    long steps = test_scale(20000, 1000);
    pstream_id next = ID(1, 0);
    pstream *cur = v;
    for (long i = 0; i < steps; i++) {
        pstream_str fv[8];
        size_t nf = content_fv(next, fv);
        REQ(pstream_add(cur, next, fv, nf, &out) == 0);
        pstream *nv = out;
        if (i % 3 == 0)
            REQ(pstream_pel_add(nv, "g", 1, next, "c", 1, i, 1, &out) == 1);
        else if (i % 3 == 1 && pstream_len(nv) > 4)
            REQ(pstream_pel_ack(nv, "g", 1, ID(next.ms - 1, 0), &out) >= 0);
        else
            REQ(pstream_trim_maxlen(nv, 500, 0, &out) >= 0);
        pstream_release(nv);
        cur = out;
        publish(cur);
        if (i % 64 == 0)
            ebr_reclaim(g_ebr);
        next = i % 2 ? ID(next.ms + 1, 0) : ID(next.ms, next.seq + 1);
    }
    /* On a loaded machine the writer may finish before a reader has run
     * at all; wait until each has read one whole version, so that the
     * test always tests what it says. */
    while (atomic_load_explicit(&g_started, memory_order_relaxed) < NR)
        sched_yield();
    atomic_store_explicit(&g_done, true, memory_order_release);
    for (int i = 0; i < NR; i++)
        REQ(pthread_join(th[i], NULL) == 0);
    REQ(atomic_load(&g_reads) >= NR);
    expect_check(cur);
    pub *last = atomic_exchange(&g_cur, NULL);
    REQ(ebr_destroy(g_ebr) == 0); /* frees every retired version */
    pub_free(&last->node);
    m_free(&m);
    ck_assert_uint_eq(pstream_records_live(), live0);
}
END_TEST

/* ---- the same edits on a real redis-server --------------------------------------- */

/* Redis's view of a stream, one line per fact, from XINFO, XRANGE and
 * XPENDING (times left out: the server has its own clock). */
static const char *const STATE_LUA =
    "local k=KEYS[1] local o={} "
    "local function h(t) local r={} for j=1,#t,2 do r[t[j]]=t[j+1] end "
    "return r end "
    "local i=h(redis.call('XINFO','STREAM',k)) "
    "table.insert(o,i['length']..' '..i['last-generated-id']..' '.."
    "i['max-deleted-entry-id']..' '..i['entries-added']..' '.."
    "i['recorded-first-entry-id']) "
    "for _,e in ipairs(redis.call('XRANGE',k,'-','+')) do "
    "table.insert(o,e[1]) end "
    "for _,g in ipairs(redis.call('XINFO','GROUPS',k)) do local gh=h(g) "
    "table.insert(o,'G '..gh['name']..' '..gh['last-delivered-id']..' '.."
    "tostring(gh['entries-read'])) "
    "for _,c in ipairs(redis.call('XINFO','CONSUMERS',k,gh['name'])) do "
    "local ch=h(c) table.insert(o,'C '..ch['name']..' '..ch['pending']) end "
    "for _,p in ipairs(redis.call('XPENDING',k,gh['name'],'-','+',100000)) "
    "do table.insert(o,'P '..p[1]..' '..p[2]..' '..p[4]) end end "
    "return table.concat(o,'\\n')";

static void put(char **p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(char **p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *p += vsprintf(*p, fmt, ap);
    va_end(ap);
}

/* The same rendering of a pstream. */
static void our_state(const pstream *s, char *buf)
{
    char *p = buf;
    pstream_id l = pstream_last_id(s), m = pstream_max_deleted_id(s),
               f = pstream_first_id(s);
    put(&p, "%zu %llu-%llu %llu-%llu %llu %llu-%llu", pstream_len(s),
        (unsigned long long)l.ms, (unsigned long long)l.seq,
        (unsigned long long)m.ms, (unsigned long long)m.seq,
        (unsigned long long)pstream_entries_added(s),
        (unsigned long long)f.ms, (unsigned long long)f.seq);
    pstream_iter it, jt;
    const pstream_entry *e;
    pstream_range(&it, s, ID(0, 0), ID(UINT64_MAX, UINT64_MAX), false);
    while ((e = pstream_range_next(&it)) != NULL)
        put(&p, "\n%llu-%llu", (unsigned long long)pstream_entry_id(e).ms,
            (unsigned long long)pstream_entry_id(e).seq);
    const pstream_group *g;
    pstream_groups(&it, s);
    while ((g = pstream_groups_next(&it)) != NULL) {
        put(&p, "\nG %s %llu-%llu ", (const char *)g->name,
            (unsigned long long)g->last_id.ms,
            (unsigned long long)g->last_id.seq);
        if (g->entries_read == PSTREAM_ENTRIES_READ_UNKNOWN)
            put(&p, "false");
        else
            put(&p, "%llu", (unsigned long long)g->entries_read);
        const pstream_consumer *c;
        pstream_consumers(&jt, g);
        while ((c = pstream_consumers_next(&jt)) != NULL)
            put(&p, "\nC %s %zu", (const char *)c->name,
                pstream_consumer_pel_len(c));
        const pstream_nack *n;
        pstream_pel_range(&jt, g, ID(0, 0), ID(UINT64_MAX, UINT64_MAX),
                          false);
        while ((n = pstream_pel_next(&jt)) != NULL)
            put(&p, "\nP %llu-%llu %s %llu", (unsigned long long)n->id.ms,
                (unsigned long long)n->id.seq, (const char *)n->owner->bytes,
                (unsigned long long)n->delivery_count);
    }
}

static char g_rbuf[1 << 20], g_obuf[1 << 20];

static void idstr(char *b, pstream_id id)
{
    sprintf(b, "%llu-%llu", (unsigned long long)id.ms,
            (unsigned long long)id.seq);
}

START_TEST(same_as_redis_server)
{
    redis_server rs;
    char err[1024], r[256], a[48], b[48], c[48];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    int fd = redis_server_connect(&rs);
    ck_assert_int_ge(fd, 0);
    rng_state = 31337;
    pstream *v = pstream_new(), *out;
    pstream_id seen[4096];
    size_t nseen = 0;
    long steps = test_scale(3000, 300);
    for (long i = 0; i < steps; i++) {
        pstream_id last = pstream_last_id(v);
        pstream_id pick = nseen ? seen[below(nseen)] : ID(1, 1);
        size_t gl, cl;
        const char *gn = gname((int)below(2), &gl), *cn = cname((int)below(3),
                                                             &cl);
        unsigned k = (unsigned)below(100);
        long long rc = 0;
        int t = 0;
        if (k < 40 || pstream_len(v) == 0) { /* XADD */
            pstream_id id = below(2) ? ID(last.ms, last.seq + 1)
                                     : ID(last.ms + 1 + below(2), below(2));
            pstream_str fv[2] = { { "f", 1 }, { "v", 1 } };
            REQ(pstream_add(v, id, fv, 1, &out) == 0);
            idstr(a, id);
            t = redis_commandl(fd, r, sizeof r, "XADD", "s", a, "f", "v",
                               NULL);
            REQ(t == '$');
            if (nseen < 4096)
                seen[nseen++] = id;
        } else if (k < 50) { /* XDEL */
            rc = pstream_delete(v, pick, &out);
            idstr(a, pick);
            t = redis_commandl(fd, r, sizeof r, "XDEL", "s", a, NULL);
            REQ(t == ':' && atoll(r) == rc);
        } else if (k < 54) { /* XTRIM MAXLEN = */
            size_t n = pstream_len(v), keep = n > 3 ? n - below(4) : n;
            rc = pstream_trim_maxlen(v, keep, 0, &out);
            sprintf(a, "%zu", keep);
            t = redis_commandl(fd, r, sizeof r, "XTRIM", "s", "MAXLEN", "=",
                               a, NULL);
            REQ(t == ':' && atoll(r) == rc);
        } else if (k < 57) { /* XTRIM MINID = */
            rc = pstream_trim_minid(v, pick, 0, &out);
            idstr(a, pick);
            t = redis_commandl(fd, r, sizeof r, "XTRIM", "s", "MINID", "=",
                               a, NULL);
            REQ(t == ':' && atoll(r) == rc);
        } else if (k < 60) { /* XSETID, sometimes refused */
            pstream_id id = below(2) ? ID(last.ms + below(2), below(3)) : pick;
            pstream_id md = below(2) ? pick : ID(0, 0);
            long long ea = below(2) ? (long long)below(pstream_entries_added(v) + 3) : -1;
            bool use_md = below(2);
            idstr(a, id);
            idstr(b, md);
            sprintf(c, "%lld", ea);
            rc = pstream_set_id(v, id, ea, use_md ? &md : NULL, &out);
            const char *args[8] = { "XSETID", "s", a, NULL };
            int na = 3;
            if (ea != -1) {
                args[na++] = "ENTRIESADDED";
                args[na++] = c;
            }
            if (use_md) {
                args[na++] = "MAXDELETEDID";
                args[na++] = b;
            }
            t = redis_command(fd, r, sizeof r, na, args, NULL);
            if (rc < 0) {
                REQ(errno == EINVAL);
                ck_assert_msg(t == '-', "XSETID %s %s %s: ours refused, "
                              "Redis said %s", a, c, b, r);
                continue;
            }
            ck_assert_msg(t == '+', "XSETID %s %s %s: Redis said %s", a, c,
                          b, r);
        } else if (k < 64) { /* XGROUP CREATE */
            sprintf(c, "%llu", (unsigned long long)below(10));
            idstr(a, pick);
            rc = pstream_group_create(v, gn, gl, pick, strtoull(c, NULL, 10),
                                      &out);
            t = redis_commandl(fd, r, sizeof r, "XGROUP", "CREATE", "s", gn,
                               a, "ENTRIESREAD", c, NULL);
            REQ(rc == 1 ? t == '+' : t == '-');
        } else if (k < 72) { /* XGROUP CREATECONSUMER */
            rc = pstream_consumer_create(v, gn, gl, cn, cl, 0, 0, &out);
            t = redis_commandl(fd, r, sizeof r, "XGROUP", "CREATECONSUMER",
                               "s", gn, cn, NULL);
            if (rc < 0) {
                REQ(errno == ENOENT && t == '-');
                continue;
            }
            REQ(t == ':' && atoll(r) == rc);
        } else if (k < 75) { /* XGROUP DELCONSUMER */
            rc = pstream_consumer_delete(v, gn, gl, cn, cl, &out);
            t = redis_commandl(fd, r, sizeof r, "XGROUP", "DELCONSUMER", "s",
                               gn, cn, NULL);
            if (rc < 0) {
                REQ(errno == ENOENT && t == '-');
                continue;
            }
            REQ(t == ':' && atoll(r) == rc);
        } else if (k < 90) { /* XCLAIM ... FORCE: a delivery of an entry */
            if (pstream_get(v, pick) == NULL ||
                pstream_group_get(v, gn, gl) == NULL)
                continue;
            uint64_t cnt = 1 + below(5);
            REQ(pstream_consumer_create(v, gn, gl, cn, cl, 0, 0, &out) >= 0);
            pstream_release(v);
            v = out;
            rc = pstream_pel_add(v, gn, gl, pick, cn, cl, 1000, cnt, &out);
            REQ(rc >= 0);
            idstr(a, pick);
            sprintf(c, "%llu", (unsigned long long)cnt);
            t = redis_commandl(fd, r, sizeof r, "XCLAIM", "s", gn, cn, "0", a,
                               "TIME", "1000", "RETRYCOUNT", c, "FORCE",
                               "JUSTID", NULL);
            REQ(t == '*' && atoll(r) == 1);
        } else { /* XACK */
            rc = pstream_pel_ack(v, gn, gl, pick, &out);
            idstr(a, pick);
            t = redis_commandl(fd, r, sizeof r, "XACK", "s", gn, a, NULL);
            if (rc < 0) {
                REQ(errno == ENOENT);
                continue;
            }
            REQ(t == ':' && atoll(r) == rc);
        }
        pstream_release(v);
        v = out;
        if (i % 50 == 0 || i == steps - 1) {
            t = redis_commandl(fd, g_rbuf, sizeof g_rbuf, "EVAL", STATE_LUA,
                               "1", "s", NULL);
            REQ(t == '$');
            our_state(v, g_obuf);
            ck_assert_msg(strcmp(g_rbuf, g_obuf) == 0,
                          "step %ld: Redis:\n%s\nours:\n%s", i, g_rbuf,
                          g_obuf);
        }
    }
    expect_check(v);
    pstream_release(v);
    close(fd);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch08_pstream_suite(void)
{
    Suite *s = suite_create("ch08_pstream");
    TCase *tc = test_tcase("pstream", 300);
    tcase_add_test(tc, edges_and_errors);
    tcase_add_test(tc, build_like_rdb);
    tcase_add_test(tc, check_catches_damage);
    tcase_add_test(tc, random_against_model);
    tcase_add_test(tc, random_small_streams);
    tcase_add_test(tc, allocation_failure_every_edit);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, allocation_failure_while_building);
    tcase_add_test(tc, readers_iterate_old_versions);
    tcase_add_test(tc, same_as_redis_server);
    suite_add_tcase(s, tc);
    return s;
}
