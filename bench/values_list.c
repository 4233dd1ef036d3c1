/* values_list.c - LPUSH, RPUSH, LPOP, LSET and LINDEX, three ways: plist versions, a flat copy, in place.
 * Chapter 8.
 *
 * The list holds items "item:0".."item:<n-1>".  Persistent: plist's edits
 * of the published version, each new version replacing the last, which is
 * released.  Flat: chapter 7's item array and arena, copied whole by
 * every write (values_flat.c).  In place: a plist transient built from an
 * empty list, so every node of its tree carries its edit token and an
 * edit changes nodes in place; a round that pushed pops as many again,
 * one that popped pushes the same items back, untimed.  LSET and LINDEX
 * work on the middle position, n / 2, the deepest kind of path; the ends
 * are what LPUSH, RPUSH and LPOP touch.  An LPOP hands its item to the
 * caller, who releases it, as a reply does.
 */
#include "values_bench.h"

#include "plist.h"
#include "values_flat.h"
#include "velem.h"

#include <stdlib.h>

static volatile size_t sink; /* what the reads saw, so they are not elided */

static plist *fill(long n)
{
    plist *e = plist_new();
    plist *t = e == NULL ? NULL : plist_edit_begin(e);
    plist_release(e);
    if (t == NULL)
        vb_die("list build");
    for (long i = 0; i < n; i++) {
        char b[VB_ARG_LEN];
        uint8_t len = vb_name(b, "item:", i);
        plist *out;
        if (plist_push_back(t, b, len, &out) != 0)
            vb_die("list build");
    }
    return t;
}

static void *build_p(long n) { return plist_edit_end(fill(n)); }
static void *build_i(long n) { return fill(n); }
static void drop_p(void *b) { plist_release(b); }

static void *build_f(long n)
{
    vb_flat *f = vb_flat_new(1, false, false, n);
    for (long i = 0; i < n; i++) {
        char b[VB_ARG_LEN];
        size_t len = vb_name(b, "item:", i);
        const char *s = b;
        vb_flat_push(f, &s, &len, 0, NULL);
    }
    return f;
}

static void drop_f(void *b) { vb_flat_free(b); }
static size_t bytes_p(void *b) { return plist_bytes(b); }

/* ---- persistent --------------------------------------------------------- */

/* One edit of the current version: the new one replaces it, and the old
 * one is released unless it is the base, which the round keeps. */
#define STEP_P(call)                                                         \
    do {                                                                     \
        plist *nv;                                                           \
        if ((call) != 0)                                                     \
            vb_die("list edit");                                             \
        if (v != base)                                                       \
            plist_release(v);                                                \
        v = nv;                                                              \
    } while (0)

static double lpush_p(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    plist *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_P(plist_push_front(v, vb_arg.s[j], vb_arg.len[j], &nv));
    if (v != base)
        plist_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double rpush_p(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    plist *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_P(plist_push_back(v, vb_arg.s[j], vb_arg.len[j], &nv));
    if (v != base)
        plist_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double lpop_p(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    plist *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        velem *e;
        STEP_P(plist_pop_front(v, &e, &nv));
        velem_release(e);
    }
    if (v != base)
        plist_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double lset_p(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    vb_args_names("set:", 0, k);
    plist *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_P(plist_set(v, (size_t)n / 2, vb_arg.s[j], vb_arg.len[j], &nv));
    if (v != base)
        plist_release(v);
    return (double)(vb_cpu_ns() - t0);
}

/* LINDEX is the same call on a version and on a transient. */
static double lindex_pi(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const velem *e = plist_get(base, (size_t)n / 2);
        s += e->len + e->bytes[0];
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- flat --------------------------------------------------------------- */

#define STEP_F(del, ins)                                                     \
    do {                                                                     \
        const char *s_ = vb_arg.s[j];                                        \
        size_t l_ = vb_arg.len[j];                                           \
        vb_flat *nv = vb_flat_edit(v, (del), (ins), &s_, &l_, 0, NULL);      \
        if (v != base)                                                       \
            vb_flat_free(v);                                                 \
        v = nv;                                                              \
    } while (0)

static double lpush_f(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_F(-1, 0);
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double rpush_f(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_F(-1, v->count);
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double lpop_f(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        sink += v->e[0].len; /* the reply's item */
        STEP_F(0, -1);
    }
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double lset_f(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    vb_args_names("set:", 0, k);
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        STEP_F(n / 2, n / 2);
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double lindex_f(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    const vb_flat *f = base;
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const vb_felem *e = vb_flat_at(f, n / 2);
        s += e->len + e->bytes[0];
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- in place ----------------------------------------------------------- */

static double lpush_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    plist *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (plist_push_front(base, vb_arg.s[j], vb_arg.len[j], &out) != 0)
            vb_die("LPUSH");
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = 0; j < k; j++) {
        velem *e;
        if (plist_pop_front(base, &e, &out) != 0)
            vb_die("LPUSH undo");
        velem_release(e);
    }
    return ns;
}

static double rpush_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    plist *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (plist_push_back(base, vb_arg.s[j], vb_arg.len[j], &out) != 0)
            vb_die("RPUSH");
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = 0; j < k; j++) {
        velem *e;
        if (plist_pop_back(base, &e, &out) != 0)
            vb_die("RPUSH undo");
        velem_release(e);
    }
    return ns;
}

static double lpop_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    static velem *popped[VB_ROUND_MAX];
    plist *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        if (plist_pop_front(base, &popped[j], &out) != 0)
            vb_die("LPOP");
        sink += popped[j]->len; /* the reply's item */
    }
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = k - 1; j >= 0; j--) { /* the same items back, in order */
        if (plist_push_elem_front(base, popped[j], &out) != 0)
            vb_die("LPOP undo");
        velem_release(popped[j]);
    }
    return ns;
}

static double lset_i(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    vb_args_names("set:", 0, k);
    plist *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (plist_set(base, (size_t)n / 2, vb_arg.s[j], vb_arg.len[j],
                      &out) != 0)
            vb_die("LSET");
    return (double)(vb_cpu_ns() - t0);
}

static const vb_op list_ops[] = {
    { "LPUSH", false, { lpush_p, lpush_f, lpush_i } },
    { "RPUSH", false, { rpush_p, rpush_f, rpush_i } },
    { "LPOP", false, { lpop_p, lpop_f, lpop_i } },
    { "LSET middle", false, { lset_p, lset_f, lset_i } },
    { "LINDEX middle", true, { lindex_pi, lindex_f, lindex_pi } },
};

/** The list's writes and its read. */
const vb_type vb_list_type = {
    "list", "plist", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_p }, list_ops, 5, bytes_p
};
