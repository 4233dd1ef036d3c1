/* values_stream.c - XADD, three ways: pstream versions, a flat copy, in place.
 * Chapter 8.
 *
 * The stream holds n entries with IDs 1-0..n-0, each one field "field"
 * with the value "value:<i>"; XADD appends an entry with the next ID and
 * one field and value, as `XADD key * field value` does.  Persistent:
 * pstream_add() on the published version, the old one released.  Flat:
 * chapter 7's entry array (IDs, fields and values, their arena), copied
 * whole per XADD.  In place: a pstream transient built from an empty
 * stream, so it owns every node; a round deletes its entries again,
 * untimed.  A stream's last ID never goes back (XDEL leaves it), so the
 * in-place stream keeps its own next ID and every round appends above
 * the last one.
 */
#include "values_bench.h"

#include "pstream.h"
#include "values_flat.h"

#include <stdlib.h>

/* The in-place way: the transient and the next ID's milliseconds. */
typedef struct inplace {
    pstream *t;
    uint64_t next;
} inplace;

static pstream *fill(long n)
{
    pstream *e = pstream_new();
    pstream *t = e == NULL ? NULL : pstream_edit_begin(e);
    pstream_release(e);
    if (t == NULL)
        vb_die("stream build");
    for (long i = 0; i < n; i++) {
        char v[VB_ARG_LEN];
        pstream_str fv[2] = { { "field", 5 }, { v, vb_name(v, "value:", i) } };
        pstream *out;
        if (pstream_add(t, (pstream_id){ (uint64_t)i + 1, 0 }, fv, 1, &out)
            != 0)
            vb_die("stream build");
    }
    return t;
}

static void *build_p(long n) { return pstream_edit_end(fill(n)); }
static void drop_p(void *b) { pstream_release(b); }

static void *build_i(long n)
{
    inplace *s = malloc(sizeof *s);
    if (s == NULL)
        vb_die("stream build");
    *s = (inplace){ fill(n), (uint64_t)n + 1 };
    return s;
}

static void drop_i(void *b)
{
    inplace *s = b;
    pstream_release(s->t);
    free(s);
}

static void *build_f(long n)
{
    vb_flat *f = vb_flat_new(2, false, true, n);
    for (long i = 0; i < n; i++) {
        char v[VB_ARG_LEN];
        size_t len[2] = { 5, vb_name(v, "value:", i) };
        const char *s[2] = { "field", v };
        uint64_t id[2] = { (uint64_t)i + 1, 0 };
        vb_flat_push(f, s, len, 0, id);
    }
    return f;
}

static void drop_f(void *b) { vb_flat_free(b); }

static double xadd_p(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    vb_args_names("value:new:", 0, k);
    pstream *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        pstream_str fv[2] = { { "field", 5 }, { vb_arg.s[j], vb_arg.len[j] } };
        pstream *nv;
        if (pstream_add(v, (pstream_id){ (uint64_t)(n + 1 + j), 0 }, fv, 1,
                        &nv) != 0)
            vb_die("XADD");
        if (v != base)
            pstream_release(v);
        v = nv;
    }
    if (v != base)
        pstream_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double xadd_f(void *base, long n, long k, vb_rng *r)
{
    (void)r;
    vb_args_names("value:new:", 0, k);
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const char *s[2] = { "field", vb_arg.s[j] };
        size_t len[2] = { 5, vb_arg.len[j] };
        uint64_t id[2] = { (uint64_t)(n + 1 + j), 0 };
        vb_flat *nv = vb_flat_edit(v, -1, v->count, s, len, 0, id);
        if (v != base)
            vb_flat_free(v);
        v = nv;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double xadd_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    inplace *s = base;
    vb_args_names("value:new:", 0, k);
    pstream *out;
    uint64_t first = s->next;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        pstream_str fv[2] = { { "field", 5 }, { vb_arg.s[j], vb_arg.len[j] } };
        if (pstream_add(s->t, (pstream_id){ first + (uint64_t)j, 0 }, fv, 1,
                        &out) != 0)
            vb_die("XADD");
    }
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = 0; j < k; j++) /* untimed: back to n entries */
        if (pstream_delete(s->t, (pstream_id){ first + (uint64_t)j, 0 },
                           &out) != 1)
            vb_die("XADD undo");
    s->next = first + (uint64_t)k;
    return ns;
}

static const vb_op stream_ops[] = {
    { "XADD", false, { xadd_p, xadd_f, xadd_i } },
};

/** The stream's write. */
const vb_type vb_stream_type = {
    "stream", "pstream", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_i }, stream_ops, 1, NULL
};
