/* values_set.c - SADD (new member) and SISMEMBER, three ways: pset versions, a flat copy, in place.
 * Chapter 8.
 *
 * The set holds members "member:<i>".  SADD adds members "new:<j>" that
 * no build has; SISMEMBER asks for a random existing member.  Persistent:
 * pset's edits of the published version, the old version released.
 * Flat: chapter 7's member array and arena, copied whole per SADD, the
 * index table (map.h) rebuilt; the SADD looks the member up first, as it
 * must to know whether it is new.  In place: a pset transient built from
 * an empty set, so it owns every trie node; a round removes its members
 * again, untimed.
 */
#include "values_bench.h"

#include "pset.h"
#include "values_flat.h"

static volatile size_t sink; /* what the reads saw, so they are not elided */

static pset *fill(long n)
{
    pset *e = pset_new();
    pset *t = e == NULL ? NULL : pset_edit_begin(e);
    pset_release(e);
    if (t == NULL)
        vb_die("set build");
    for (long i = 0; i < n; i++) {
        char m[VB_ARG_LEN];
        uint8_t len = vb_name(m, "member:", i);
        pset *out;
        if (pset_add(t, m, len, &out) != 1)
            vb_die("set build");
    }
    return t;
}

static void *build_p(long n) { return pset_edit_end(fill(n)); }
static void *build_i(long n) { return fill(n); }
static void drop_p(void *b) { pset_release(b); }

static void *build_f(long n)
{
    vb_flat *f = vb_flat_new(1, false, false, n);
    for (long i = 0; i < n; i++) {
        char m[VB_ARG_LEN];
        size_t len = vb_name(m, "member:", i);
        const char *s = m;
        vb_flat_push(f, &s, &len, 0, NULL);
    }
    vb_flat_index(f);
    return f;
}

static void drop_f(void *b) { vb_flat_free(b); }

static double sadd_p(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    pset *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        pset *nv;
        if (pset_add(v, vb_arg.s[j], vb_arg.len[j], &nv) != 1)
            vb_die("SADD");
        if (v != base)
            pset_release(v);
        v = nv;
    }
    if (v != base)
        pset_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double sadd_f(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const char *s = vb_arg.s[j];
        size_t len = vb_arg.len[j];
        if (vb_flat_find(v, s, len) >= 0)
            vb_die("SADD (flat)");
        vb_flat *nv = vb_flat_edit(v, -1, v->count, &s, &len, 0, NULL);
        if (v != base)
            vb_flat_free(v);
        v = nv;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double sadd_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    pset *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (pset_add(base, vb_arg.s[j], vb_arg.len[j], &out) != 1)
            vb_die("SADD");
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = 0; j < k; j++) /* untimed: back to n members */
        if (pset_remove(base, vb_arg.s[j], vb_arg.len[j], &out) != 1)
            vb_die("SADD undo");
    return ns;
}

/* SISMEMBER is the same call on a version and on a transient. */
static double sismember_pi(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        s += pset_has(base, vb_arg.s[j], vb_arg.len[j]);
    double ns = (double)(vb_cpu_ns() - t0);
    if (s != (size_t)k)
        vb_die("SISMEMBER");
    sink += s;
    return ns;
}

static double sismember_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        s += vb_flat_find(base, vb_arg.s[j], vb_arg.len[j]) >= 0;
    double ns = (double)(vb_cpu_ns() - t0);
    if (s != (size_t)k)
        vb_die("SISMEMBER (flat)");
    sink += s;
    return ns;
}

static const vb_op set_ops[] = {
    { "SADD", false, { sadd_p, sadd_f, sadd_i } },
    { "SISMEMBER", true, { sismember_pi, sismember_f, sismember_pi } },
};

/** The set's write and its read. */
const vb_type vb_set_type = {
    "set", "pset", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_p }, set_ops, 2, NULL
};
