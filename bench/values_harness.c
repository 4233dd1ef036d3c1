/* values_harness.c - build/values-bench's timing loop: rounds, repeats, turns.
 * Chapter 8.
 *
 * A cell is one operation at one collection size, run three ways.  The
 * three collections are built first, untimed.  A repeat of one way runs
 * rounds until it has spent its budget of CPU time; a round is what a
 * vb_round_fn does: make k arguments, run k operations under the clock,
 * put the collection back.  The first round of a repeat is one operation
 * and each next one twice as long (up to VB_ROUND_MAX, and for writes
 * that change the size up to a tenth of the collection, so that n stays
 * within 10 % of itself): a write that copies a million elements is timed
 * one at a time, a path copy a thousand at a time, and both get a repeat
 * of about the same length.  Every round is seeded from the repeat and
 * its place in it, so the three ways see the very same arguments.
 *
 * The ways take turns within every repeat (repeat r of persistent, flat,
 * in-place, then repeat r + 1), as chapter 5's cells do, so a burst of
 * other work on this shared machine hits all three alike and a ratio can
 * be taken repeat by repeat (cell_paired()).  CPU time of the thread is
 * charged, not wall time, for the same reason.  A way whose repeats have
 * spent more than the cap stops early (the flat form at a million
 * elements: one write is most of a second); its figure is then the
 * median of fewer repeats, and the report says how many.
 */
#include "values_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

const char *const vb_way_names[VB_WAYS] = { "persistent", "flat",
                                            "in-place" };

vb_args vb_arg;

uint64_t vb_rand(vb_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

long vb_below(vb_rng *r, long n)
{
    return (long)(vb_rand(r) % (uint64_t)n);
}

uint64_t vb_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vb_die(const char *what)
{
    fprintf(stderr, "values-bench: %s failed (out of memory?)\n", what);
    exit(1);
}

uint8_t vb_name(char *buf, const char *prefix, long i)
{
    int n = snprintf(buf, VB_ARG_LEN, "%s%ld", prefix, i);
    return (uint8_t)(n < VB_ARG_LEN ? n : VB_ARG_LEN - 1);
}

void vb_args_names(const char *prefix, long first, long k)
{
    for (long j = 0; j < k; j++)
        vb_arg.len[j] = vb_name(vb_arg.s[j], prefix, first + j);
}

void vb_args_existing(vb_rng *r, const char *prefix, long n, long k)
{
    for (long j = 0; j < k; j++) {
        vb_arg.idx[j] = vb_below(r, n);
        vb_arg.len[j] = vb_name(vb_arg.s[j], prefix, vb_arg.idx[j]);
    }
}

/* One repeat of one way: rounds until the budget is spent; ns per op. */
static double repeat(vb_round_fn *fn, bool read, void *base, long n, int rep,
                     double budget_s)
{
    long kmax = VB_ROUND_MAX;
    if (!read && n / 10 + 1 < kmax)
        kmax = n / 10 + 1;
    double ns = 0, ops = 0, budget_ns = budget_s * 1e9;
    long k = 1;
    for (uint64_t round = 0; ns < budget_ns; round++) {
        vb_rng r = { (uint64_t)rep * 1000003u + round * 7919u + 1 };
        ns += fn(base, n, k, &r);
        ops += (double)k;
        k = 2 * k < kmax ? 2 * k : kmax;
    }
    return ns / ops;
}

void vb_run_type(const vb_type *t, long n, int reps, double budget_s,
                 double cap_s, vb_cell *cells)
{
    void *base[VB_WAYS];
    for (int w = 0; w < VB_WAYS; w++)
        base[w] = t->build[w](n);
    if (reps > CELL_REPS)
        reps = CELL_REPS;
    for (int o = 0; o < t->nops; o++) {
        const vb_op *op = &t->ops[o];
        double samples[VB_WAYS][CELL_REPS], spent[VB_WAYS] = { 0 };
        int got[VB_WAYS] = { 0 };
        for (int rep = 0; rep < reps; rep++)
            for (int w = 0; w < VB_WAYS; w++) {
                if (rep > 0 && spent[w] > cap_s)
                    continue;
                uint64_t c0 = vb_cpu_ns();
                samples[w][got[w]++] = repeat(op->run[w], op->read, base[w],
                                              n, rep, budget_s);
                spent[w] += (double)(vb_cpu_ns() - c0) * 1e-9;
            }
        vb_cell *c = &cells[o];
        c->type = t->name;
        c->op = op->name;
        c->read = op->read;
        c->n = n;
        for (int w = 0; w < VB_WAYS; w++)
            c->st[w] = cell_summarize(samples[w], got[w]);
    }
    for (int w = 0; w < VB_WAYS; w++)
        t->drop[w](base[w]);
}
