/* values_zset.c - ZADD (new member, new score), ZSCORE and ZRANK, three ways: pzset versions, a flat copy, in place.
 * Chapter 8.
 *
 * The sorted set holds members "member:<i>" with score i.  ZADD new adds
 * members "new:<j>" at a random score (so at a random rank); ZADD update
 * gives a random existing member a random new score, which moves it;
 * ZSCORE and ZRANK ask for a random existing member.  Persistent: pzset's
 * edits of the published version, the old one released.  Flat: chapter
 * 7's entries sorted by (score, member), their arena and the member ->
 * position table (map.h), all copied or rebuilt per write: the new
 * member's rank is found by binary search, the moved member's old one
 * through the table.  In place: a pzset transient built from an empty
 * set, so it owns every node; a round of new members removes them again,
 * untimed (new scores stay: the set keeps n members either way).
 */
#include "values_bench.h"

#include "pzset.h"
#include "values_flat.h"
#include "velem.h"

#include <string.h>

static volatile size_t sink; /* what the reads saw, so they are not elided */

static pzset *fill(long n)
{
    pzset *e = pzset_new();
    pzset *t = e == NULL ? NULL : pzset_edit_begin(e);
    pzset_release(e);
    if (t == NULL)
        vb_die("zset build");
    for (long i = 0; i < n; i++) {
        char m[VB_ARG_LEN];
        uint8_t len = vb_name(m, "member:", i);
        pzset *out;
        if (pzset_add(t, m, len, (double)i, &out) != 1)
            vb_die("zset build");
    }
    return t;
}

static void *build_p(long n) { return pzset_edit_end(fill(n)); }
static void *build_i(long n) { return fill(n); }
static void drop_p(void *b) { pzset_release(b); }
static size_t bytes_p(void *b) { return pzset_bytes(b); }

static void *build_f(long n)
{
    vb_flat *f = vb_flat_new(1, true, false, n);
    for (long i = 0; i < n; i++) {
        char m[VB_ARG_LEN];
        size_t len = vb_name(m, "member:", i);
        const char *s = m;
        vb_flat_push(f, &s, &len, (double)i, NULL);
    }
    vb_flat_index(f);
    return f;
}

static void drop_f(void *b) { vb_flat_free(b); }

/* Random scores in [0, n), never equal to a built one. */
static void scores(vb_rng *r, long n, long k)
{
    for (long j = 0; j < k; j++)
        vb_arg.score[j] = (double)vb_below(r, n) + 0.5;
}

/* ---- persistent --------------------------------------------------------- */

static double zadd_p(void *base, long k, int expect)
{
    pzset *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        pzset *nv;
        if (pzset_add(v, vb_arg.s[j], vb_arg.len[j], vb_arg.score[j],
                      &nv) != expect)
            vb_die("ZADD");
        if (v != base)
            pzset_release(v);
        v = nv;
    }
    if (v != base)
        pzset_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double zadd_new_p(void *base, long n, long k, vb_rng *r)
{
    vb_args_names("new:", 0, k);
    scores(r, n, k);
    return zadd_p(base, k, 1);
}

static double zadd_upd_p(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    scores(r, n, k);
    return zadd_p(base, k, 0);
}

/* ZSCORE and ZRANK are the same calls on a version and on a transient. */
static double zscore_pi(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    double s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        double x;
        if (!pzset_score(base, vb_arg.s[j], vb_arg.len[j], &x))
            vb_die("ZSCORE");
        s += x;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += (size_t)s;
    return ns;
}

static double zrank_pi(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        size_t x;
        if (!pzset_rank(base, vb_arg.s[j], vb_arg.len[j], &x))
            vb_die("ZRANK");
        s += x;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- flat --------------------------------------------------------------- */

/* Rank of the first entry >= (score, member) in f. */
static long lower_bound(const vb_flat *f, double score, const char *m,
                        size_t len)
{
    long lo = 0, hi = f->count;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        const vb_felem *e = &f->e[mid];
        int c = f->score[mid] < score   ? -1
                : f->score[mid] > score ? 1
                                        : velem_cmp_bytes(e->bytes, e->len, m,
                                                          len);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double zadd_f(void *base, long k, int expect)
{
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const char *s = vb_arg.s[j];
        size_t len = vb_arg.len[j];
        double sc = vb_arg.score[j];
        long old = vb_flat_find(v, s, len);
        if ((old < 0) != expect)
            vb_die("ZADD (flat)");
        long at = lower_bound(v, sc, s, len);
        if (old >= 0 && at > old)
            at--; /* its rank once the old entry is gone */
        vb_flat *nv = vb_flat_edit(v, old, at, &s, &len, sc, NULL);
        if (v != base)
            vb_flat_free(v);
        v = nv;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double zadd_new_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_names("new:", 0, k);
    scores(r, n, k);
    return zadd_f(base, k, 1);
}

static double zadd_upd_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    scores(r, n, k);
    return zadd_f(base, k, 0);
}

static double zscore_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    const vb_flat *f = base;
    double s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        s += f->score[vb_flat_find(f, vb_arg.s[j], vb_arg.len[j])];
    double ns = (double)(vb_cpu_ns() - t0);
    sink += (size_t)s;
    return ns;
}

static double zrank_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        s += (size_t)vb_flat_find(base, vb_arg.s[j], vb_arg.len[j]);
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- in place ----------------------------------------------------------- */

static double zadd_i(void *base, long k, int expect)
{
    pzset *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (pzset_add(base, vb_arg.s[j], vb_arg.len[j], vb_arg.score[j],
                      &out) != expect)
            vb_die("ZADD");
    return (double)(vb_cpu_ns() - t0);
}

static double zadd_new_i(void *base, long n, long k, vb_rng *r)
{
    vb_args_names("new:", 0, k);
    scores(r, n, k);
    double ns = zadd_i(base, k, 1);
    pzset *out;
    for (long j = 0; j < k; j++) /* untimed: back to n members */
        if (pzset_remove(base, vb_arg.s[j], vb_arg.len[j], &out) != 1)
            vb_die("ZADD undo");
    return ns;
}

static double zadd_upd_i(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "member:", n, k);
    scores(r, n, k);
    return zadd_i(base, k, 0);
}

static const vb_op zset_ops[] = {
    { "ZADD new", false, { zadd_new_p, zadd_new_f, zadd_new_i } },
    { "ZADD update", false, { zadd_upd_p, zadd_upd_f, zadd_upd_i } },
    { "ZSCORE", true, { zscore_pi, zscore_f, zscore_pi } },
    { "ZRANK", true, { zrank_pi, zrank_f, zrank_pi } },
};

/** The sorted set's writes and reads. */
const vb_type vb_zset_type = {
    "zset", "pzset", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_p }, zset_ops, 4, bytes_p
};
