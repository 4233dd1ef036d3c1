/* cc_workload_stub.c - a stand-in for the consistency checker's workload (SET/HSET/RPUSH/SELECT).
 * Chapter 12.
 *
 * Weak definitions of cc_workload.h, used only until tests/util/cc_workload.c
 * is in the tree (its strong definitions then win, and this file goes).
 */
#include "cc_workload.h"

#include <stdlib.h>
#include <string.h>

struct cc_workload {
    uint64_t rng;
    int db, databases;
    size_t total;
    cc_op *ops;
    size_t nops;
    char (*buf)[4][48];
    size_t cap;
    size_t counts[4];
};

static const char *const fam[4] = {"db", "hash", "list", "string"};

__attribute__((weak)) void cc_workload_opts_default(cc_workload_opts *o)
{
    o->databases = 4;
    o->big = 1;
}

__attribute__((weak)) cc_workload *cc_workload_new(uint64_t seed, const cc_workload_opts *o)
{
    cc_workload *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->rng = seed * 0x9E3779B97F4A7C15ull | 1;
    w->databases = o && o->databases > 0 ? o->databases : 4;
    return w;
}

__attribute__((weak)) void cc_workload_free(cc_workload *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->cap; i++) {
        free(w->ops[i].argv);
        free(w->ops[i].lens);
    }
    free(w->ops);
    free(w->buf);
    free(w);
}

static uint64_t rnd(cc_workload *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

__attribute__((weak)) int cc_workload_batch(cc_workload *w, size_t n, const cc_op **ops,
                                            size_t *nops)
{
    if (n > w->cap) {
        cc_op *p = realloc(w->ops, n * sizeof *p);
        if (!p)
            return -1;
        w->ops = p;
        char (*b)[4][48] = realloc(w->buf, n * sizeof *b);
        if (!b)
            return -1;
        w->buf = b;
        for (size_t i = w->cap; i < n; i++) {
            w->ops[i].argv = calloc(4, sizeof(char *));
            w->ops[i].lens = calloc(4, sizeof(size_t));
            if (!w->ops[i].argv || !w->ops[i].lens)
                return -1;
            w->cap = i + 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        cc_op *op = &w->ops[i];
        int k = (int)(rnd(w) % 10);
        int f = k == 0 ? 0 : k < 4 ? 1 : k < 7 ? 2 : 3;
        char (*a)[48] = w->buf[i];
        unsigned key = (unsigned)(rnd(w) % 50);
        if (f == 0) {
            w->db = (int)(rnd(w) % (uint64_t)w->databases);
            strcpy(a[0], "SELECT");
            snprintf(a[1], 48, "%d", w->db);
            op->argc = 2;
        } else if (f == 1) {
            strcpy(a[0], "HSET");
            snprintf(a[1], 48, "h:%u", key);
            snprintf(a[2], 48, "f%u", (unsigned)(rnd(w) % 20));
            snprintf(a[3], 48, "v%llu", (unsigned long long)(rnd(w) % 1000));
            op->argc = 4;
        } else if (f == 2) {
            strcpy(a[0], "RPUSH");
            snprintf(a[1], 48, "l:%u", key);
            snprintf(a[2], 48, "e%llu", (unsigned long long)(rnd(w) % 1000));
            op->argc = 3;
        } else {
            strcpy(a[0], "SET");
            snprintf(a[1], 48, "s:%u", key);
            snprintf(a[2], 48, "v%llu", (unsigned long long)rnd(w));
            op->argc = 3;
        }
        for (size_t j = 0; j < op->argc; j++) {
            op->argv[j] = a[j];
            op->lens[j] = strlen(a[j]);
        }
        op->family = fam[f];
        op->flags = 0;
        w->counts[f]++;
    }
    w->total += n;
    *ops = w->ops;
    *nops = n;
    return 0;
}

__attribute__((weak)) int cc_workload_db(const cc_workload *w)
{
    return w->db;
}

__attribute__((weak)) void cc_workload_print_stats(const cc_workload *w, FILE *out)
{
    for (int i = 0; i < 4; i++)
        fprintf(out, "%s %zu\n", fam[i], w->counts[i]);
}

__attribute__((weak)) size_t cc_workload_total(const cc_workload *w)
{
    return w->total;
}
