/* main_pstream_bench.c - chapter 8: what XADD costs on a persistent stream.
 *
 * build/pstream-bench [--reps N] [--big N]
 *
 * For a stream of 1,000 entries and one of --big entries (default
 * 1,000,000) it measures, each --reps times (default 5):
 *   - one XADD on a version: pstream_add() on the base version, then
 *     releasing the new version (the base stays as it is), so each
 *     measurement is one edit of a stream of exactly that size;
 *   - XADD on a transient (loading): appending the whole stream;
 * and prints the median with the spread (min..max), in thread CPU time.  Then the memory of
 * the big stream of two-field entries: pstream_bytes() per entry, and the
 * heap that malloc really handed out (mallinfo2() before and after),
 * which includes malloc's own chunk headers and rounding.  Last, XACK and
 * a delivery (XREADGROUP's PEL insert) on a group whose PEL holds every
 * entry of the big stream, owned by 10 consumers, each on a version.
 */
#include "pstream.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    /* CPU time of this thread: on a shared machine, wall time also counts
     * the time other processes held the CPU */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Entry i: user=u%07zu, event=click: two fields of typical short size. */
static size_t fill(size_t i, pstream_str fv[4], char *buf)
{
    int n = snprintf(buf, 16, "u%07zu", i);
    fv[0] = (pstream_str){ "user", 4 };
    fv[1] = (pstream_str){ buf, (size_t)n };
    fv[2] = (pstream_str){ "event", 5 };
    fv[3] = (pstream_str){ "click", 5 };
    return 2;
}

static pstream_id id_of(size_t i)
{
    return (pstream_id){ 1700000000000ull + i / 4, i % 4 };
}

/* Build a stream of n entries on a transient; returns ns per entry. */
static pstream *build(size_t n, double *ns_per)
{
    pstream *v = pstream_new(), *t = pstream_edit_begin(v), *out;
    pstream_release(v);
    char buf[16];
    pstream_str fv[4];
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        size_t nf = fill(i, fv, buf);
        if (pstream_add(t, id_of(i), fv, nf, &out) != 0) {
            perror("pstream_add");
            exit(1);
        }
    }
    *ns_per = (now_ns() - t0) / (double)n;
    return pstream_edit_end(t);
}

/* ns per XADD on version v (size stays n), over k edits. */
static double xadd_version(pstream *v, size_t n, size_t k)
{
    char buf[16];
    pstream_str fv[4];
    double t0 = now_ns();
    for (size_t i = 0; i < k; i++) {
        pstream *out;
        size_t nf = fill(n + i, fv, buf);
        if (pstream_add(v, id_of(n + i), fv, nf, &out) != 0) {
            perror("pstream_add");
            exit(1);
        }
        pstream_release(out);
    }
    return (now_ns() - t0) / (double)k;
}

static void report(const char *what, double *x, int reps)
{
    qsort(x, (size_t)reps, sizeof *x, cmp_d);
    printf("  %-40s %8.0f ns  (min %.0f .. max %.0f, %d runs)\n", what,
           x[reps / 2], x[0], x[reps - 1], reps);
}

int main(int argc, char **argv)
{
    int reps = 5;
    size_t big = 1000000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--big") == 0)
            big = (size_t)strtoull(argv[i + 1], NULL, 10);
    }
    if (reps < 1 || reps > 50 || big < 1000) {
        fprintf(stderr, "usage: pstream-bench [--reps 1..50] [--big N>=1000]\n");
        return 2;
    }
    size_t sizes[2] = { 1000, big };
    double xv[50], xt[50];
    printf("pstream XADD, two-field entries (median of %d runs)\n", reps);
    for (int s = 0; s < 2; s++) {
        size_t n = sizes[s];
        pstream *v = NULL;
        for (int r = 0; r < reps; r++) {
            pstream_release(v);
            v = build(n, &xt[r]);
            xv[r] = xadd_version(v, n, 200000);
        }
        char what[64];
        snprintf(what, sizeof what, "XADD on a version of %zu entries", n);
        report(what, xv, reps);
        snprintf(what, sizeof what, "XADD on a transient, 0..%zu", n);
        report(what, xt, reps);
        pstream_release(v);
    }
    struct mallinfo2 m0 = mallinfo2();
    double ns;
    pstream *v = build(big, &ns);
    struct mallinfo2 m1 = mallinfo2();
    size_t heap = (m1.uordblks + m1.hblkhd) - (m0.uordblks + m0.hblkhd);
    printf("memory, %zu entries user=u%%07d event=click:\n", big);
    printf("  pstream_bytes: %.1f bytes/entry; malloc heap in use: %.1f "
           "bytes/entry\n", (double)pstream_bytes(v) / (double)big,
           (double)heap / (double)big);
    /* a group PEL of every entry, loaded as an RDB file would be */
    pstream *t = pstream_edit_begin(v), *out;
    pstream_release(v);
    pstream_group_create(t, "g", 1, id_of(big - 1), big, &t);
    pstream_id *ids = malloc(big * sizeof *ids);
    for (size_t i = 0; i < big; i++)
        if (pstream_build_nack(t, "g", 1, id_of(i), 1, 1, &t) != 0) {
            perror("pstream_build_nack");
            return 1;
        }
    for (int c = 0; c < 10; c++) {
        size_t k = 0;
        char name[8];
        for (size_t i = (size_t)c; i < big; i += 10)
            ids[k++] = id_of(i);
        snprintf(name, sizeof name, "c%d", c);
        if (pstream_build_consumer(t, "g", 1, name, 2, 1, 1, ids, k, &t)) {
            perror("pstream_build_consumer");
            return 1;
        }
    }
    free(ids);
    v = pstream_edit_end(t);
    char err[200];
    if (pstream_check(v, err, sizeof err) != 0) {
        fprintf(stderr, "check: %s\n", err);
        return 1;
    }
    double xa[50], xd[50];
    size_t k = 100000;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (size_t i = 0; i < k; i++) {
            pstream_pel_ack(v, "g", 1, id_of((i * 7919) % big), &out);
            pstream_release(out);
        }
        xa[r] = (now_ns() - t0) / (double)k;
        t0 = now_ns();
        for (size_t i = 0; i < k; i++) {
            pstream_pel_add(v, "g", 1, id_of(big + i), "c3", 2, 2, 1, &out);
            pstream_release(out);
        }
        xd[r] = (now_ns() - t0) / (double)k;
    }
    printf("pending entries, a group PEL of %zu, 10 consumers:\n", big);
    report("XACK on a version", xa, reps);
    report("delivery (PEL insert) on a version", xd, reps);
    pstream_release(v);
    return 0;
}
