/* main_scan_bench.c - chapter 11's figure: what one SCAN call costs as the keyspace grows.
 * Chapter 11.
 *
 * SCAN must cost about COUNT per call, not the size of the database, or a
 * client walking a big replica with COUNT 10 would make the whole walk
 * O(n^2).  This program fills a keyspace with n keys (over each store
 * variant asked for), then times SCAN ... COUNT 10 calls run in-process
 * through server_cmd_run(), continuing one cursor, and reports the mean
 * microseconds per call, the lowest and highest of the repeats, and the
 * ratio to the smallest n of the same variant.  The hamt and ptrie
 * variants seek the cursor (store.h, store_scan()), so their ratio should
 * stay near 1 (log n grows a little); the others walk everything each call
 * (the documented fallback) and grow with n.  A benchmark, not a test:
 * nothing here asserts a speed.
 *
 * Usage: scan-bench [-r repeats] [-c calls] [variant ...]
 *   defaults: 5 repeats, 200 calls, variants hamt ptrie cow;
 *   n = 10k, 100k, 1M (the fallback variants stop at 100k).
 */
#include "keyspace.h"
#include "server_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static keyspace *fill(const store_ops *op, size_t n)
{
    keyspace *ks = keyspace_create(op, 16);
    if (ks == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (keyspace_batch_begin(ks) != 0)
            exit(1);
        for (size_t j = 0; j < 10000 && i < n; j++, i++) {
            char k[32];
            int kl = snprintf(k, sizeof k, "key:%zu", i);
            value *v = value_new_string("xxx", 3, VALUE_NO_EXPIRY);
            if (v == NULL || keyspace_put(ks, 0, k, (size_t)kl, v) != 0)
                exit(1);
        }
        if (keyspace_commit(ks) != 0)
            exit(1);
    }
    return ks;
}

/* Mean seconds per SCAN COUNT 10 call over `calls` calls from cursor 0. */
static double time_scan(keyspace *ks, int calls)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    reply_buf out;
    reply_init(&out, 2);
    uint64_t rng = 1;
    char cur[32] = "0";
    double t0 = now_s();
    for (int c = 0; c < calls; c++) {
        resp_value a[4] = {
            {.type = RESP_BULK, .str = "SCAN", .len = 4},
            {.type = RESP_BULK, .str = cur, .len = strlen(cur)},
            {.type = RESP_BULK, .str = "COUNT", .len = 5},
            {.type = RESP_BULK, .str = "10", .len = 2},
        };
        server_ctx x = {.out = &out, .argc = 4, .argv = a, .ks = r,
                        .databases = 16, .now_ms = value_now_ms(),
                        .rng = &rng};
        out.out.len = 0;
        keyspace_read_begin(r);
        if (server_cmd_run(&x) != 0)
            exit(1);
        keyspace_read_end(r);
        /* "*2\r\n$<n>\r\n<cursor>\r\n...": the next cursor. */
        const char *p = strchr((const char *)out.out.data + 4, '\n') + 1;
        size_t n = strcspn(p, "\r");
        memcpy(cur, p, n);
        cur[n] = '\0';
    }
    double t = (now_s() - t0) / calls;
    reply_free(&out);
    keyspace_reader_close(r);
    return t;
}

int main(int argc, char **argv)
{
    int repeats = 5, calls = 200;
    const char *names[8];
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            calls = atoi(argv[++i]);
        else if (nnames < 8)
            names[nnames++] = argv[i];
    }
    if (nnames == 0) {
        names[0] = "hamt";
        names[1] = "ptrie";
        names[2] = "cow";
        nnames = 3;
    }
    static const size_t sizes[] = {10000, 100000, 1000000};
    printf("| variant | keys | us/call (mean of %d) | min | max | vs 10k |\n",
           repeats);
    printf("|---|---|---|---|---|---|\n");
    for (int v = 0; v < nnames; v++) {
        const store_ops *op = store_variant(names[v]);
        if (op == NULL) {
            fprintf(stderr, "scan-bench: no store variant '%s'\n", names[v]);
            return 2;
        }
        bool seeks = op->scan != NULL;
        double base = 0;
        for (size_t s = 0; s < 3; s++) {
            if (!seeks && sizes[s] > 100000)
                break;
            keyspace *ks = fill(op, sizes[s]);
            if (ks == NULL) {
                fprintf(stderr, "scan-bench: '%s' has no batches\n",
                        names[v]);
                return 2;
            }
            double sum = 0, lo = 1e9, hi = 0;
            int c = seeks ? calls : 20;
            for (int r = 0; r < repeats; r++) {
                double t = time_scan(ks, c) * 1e6;
                sum += t;
                lo = t < lo ? t : lo;
                hi = t > hi ? t : hi;
            }
            double mean = sum / repeats;
            if (s == 0)
                base = mean;
            printf("| %s | %zu | %.2f | %.2f | %.2f | %.2fx |\n", names[v],
                   sizes[s], mean, lo, hi, mean / base);
            fflush(stdout);
            keyspace_destroy(ks);
        }
    }
    return 0;
}
