/* main_mem_bench.c - bytes per key: every store against a real Redis.
 * Chapter 8.
 *
 * Chapter 8's memory target is stated against Redis itself: the dataset
 * `DEBUG POPULATE N` writes (keys "key:0".."key:N-1", values "value:0"..,
 * no expiry), held by our store, must cost no more bytes per key than
 * Redis's own `used_memory` grows by for the same keys.  This program
 * measures both sides on one machine in one run.  Redis: start a private
 * redis-server (free loopback port, temporary directory, always stopped:
 * tests/util/redis_server.c), read INFO memory's used_memory, run DEBUG
 * POPULATE N, read it again; the difference over N is Redis's figure.
 * Ours: for every store variant (store_variants), create an empty store,
 * set the same N keys with values from value_new_string(), and take two
 * figures.  "requested" is store_stats bytes over N: the bytes the store
 * asked malloc for.  "heap" is the growth of glibc's mallinfo2() uordblks
 * (bytes in chunks handed out) plus hblkhd (blocks above the mmap
 * threshold, such as a large table, are mapped on their own) over N.  It
 * also counts what malloc adds to every request (an 8-byte chunk header,
 * rounding up to 16 bytes, a 32-byte minimum) and the slack of reused
 * memory (a free chunk less than 32 bytes larger than asked for is handed
 * out whole, which a writer that frees and allocates nodes of many sizes
 * meets often): what the process really pays.  Redis's
 * used_memory is counted the same way: jemalloc's usable size of every
 * allocation, size-class rounding included (redis/redis src/zmalloc.c
 * adds zmalloc_size() of each block), so heap against used_memory is the
 * fair comparison, and the verdict ("met" or "NOT met") uses it.
 *
 * Loading: one store_set() per key, as a replication stream would write
 * them, except for chapter 3's cow store, whose every write copies the
 * whole table: it gets store_apply() batches of N/32 keys.  Memory is
 * read before the store is destroyed and after the last write; what the
 * epoch stores have retired and not yet freed at that moment is shown in
 * its own column (it is a few writes' worth).  mallinfo2() also counts the
 * chunks glibc keeps in its per-thread caches as in use (at most 7 per
 * size class), a few kilobytes that vanish at these sizes.
 *
 * Usage: mem-bench [-q] [-n keys] [-o dir]
 *   -q  quick: 100,000 keys (seconds), files named ch08-mem-quick.*
 *   -n  keys (default 1,000,000)
 *   -o  output directory (default bench/results): ch08-mem.md and .csv
 * Exit status: 0 when every measurement was taken (whatever the
 * verdicts), 1 when one failed (no redis-server, out of memory).
 */
#include "bench.h"
#include "redis_server.h"
#include "store.h"
#include "store_cow.h"
#include "value.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/** One row of the results. */
typedef struct mem_row {
    const char *name;  /**< "redis" or a store variant */
    double requested;  /**< store_stats bytes per key (0 for redis) */
    double heap;       /**< heap growth per key (used_memory for redis) */
    size_t retired;    /**< retired bytes not yet freed when measured */
} mem_row;

/* used_memory from an INFO memory reply, or -1. */
static long long used_memory(int fd)
{
    static char reply[16384];
    if (redis_commandl(fd, reply, sizeof reply, "INFO", "memory", NULL) !=
        '$')
        return -1;
    const char *p = strstr(reply, "used_memory:");
    return p != NULL ? atoll(p + strlen("used_memory:")) : -1;
}

/* The server's version and allocator, e.g. "7.0.15, jemalloc-5.3.0". */
static char redis_info[128] = "unknown";

/* Copy the value of INFO field name (up to the line's end) to out. */
static void info_field(const char *reply, const char *name, char *out,
                       size_t outsz)
{
    const char *p = strstr(reply, name);
    if (p == NULL)
        return;
    p += strlen(name);
    snprintf(out, outsz, "%.*s", (int)strcspn(p, "\r\n"), p);
}

static void read_version(int fd)
{
    static char reply[16384];
    char ver[48] = "?", alloc[48] = "?";
    if (redis_commandl(fd, reply, sizeof reply, "INFO", "server", NULL) ==
        '$')
        info_field(reply, "redis_version:", ver, sizeof ver);
    if (redis_commandl(fd, reply, sizeof reply, "INFO", "memory", NULL) ==
        '$')
        info_field(reply, "mem_allocator:", alloc, sizeof alloc);
    snprintf(redis_info, sizeof redis_info, "%s, %s", ver, alloc);
}

/* Redis's bytes per key for DEBUG POPULATE n; 0 or -1 (reason printed). */
static int measure_redis(long n, mem_row *row)
{
    static const char *const extra[] = {"--enable-debug-command", "yes",
                                        NULL};
    redis_server rs;
    char err[1024] = "", reply[256], num[32];
    if (redis_server_start(&rs, extra, err, sizeof err) != 0) {
        fprintf(stderr, "mem-bench: cannot start redis-server: %s\n", err);
        return -1;
    }
    int rc = -1, fd = redis_server_connect(&rs);
    if (fd >= 0)
        read_version(fd);
    long long before = fd >= 0 ? used_memory(fd) : -1, after = -1;
    snprintf(num, sizeof num, "%ld", n);
    if (before < 0) {
        fprintf(stderr, "mem-bench: no used_memory in INFO memory\n");
    } else if (redis_commandl(fd, reply, sizeof reply, "DEBUG", "POPULATE",
                              num, NULL) != '+') {
        fprintf(stderr, "mem-bench: DEBUG POPULATE %s failed: %s\n", num,
                reply);
    } else if (redis_commandl(fd, reply, sizeof reply, "DBSIZE", NULL) !=
                   ':' || atol(reply) != n) {
        fprintf(stderr, "mem-bench: DBSIZE says %s, expected %ld\n", reply,
                n);
    } else if ((after = used_memory(fd)) < 0) {
        fprintf(stderr, "mem-bench: no used_memory after the populate\n");
    } else {
        *row = (mem_row){"redis", 0, (double)(after - before) / (double)n,
                         0};
        rc = 0;
    }
    if (fd >= 0)
        close(fd);
    redis_server_stop(&rs);
    return rc;
}

/* Bytes in use on the heap now: chunks of every arena, and the blocks
 * glibc maps on their own (large tables, above its mmap threshold). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* value "value:i" for key "key:i"; the key goes into kbuf. */
static value *make_pair(long i, char *kbuf, size_t ksz, size_t *klen)
{
    char vbuf[32];
    *klen = (size_t)snprintf(kbuf, ksz, "key:%ld", i);
    int vlen = snprintf(vbuf, sizeof vbuf, "value:%ld", i);
    return value_new_string(vbuf, (size_t)vlen, VALUE_NO_EXPIRY);
}

/* Batched load for a store whose every write copies the whole table. */
static int load_batched(store *st, long n)
{
    size_t batch = (size_t)(n / 32 > 0 ? n / 32 : 1);
    store_change *ch = calloc(batch, sizeof *ch);
    char *keys = malloc(batch * 24);
    if (ch == NULL || keys == NULL) {
        free(ch);
        free(keys);
        return -1;
    }
    int rc = 0;
    for (long i = 0; i < n && rc == 0;) {
        size_t k = 0;
        for (; k < batch && i < n; k++, i++) {
            ch[k].kind = STORE_CHANGE_SET;
            ch[k].key = keys + k * 24;
            ch[k].val = make_pair(i, keys + k * 24, 24, &ch[k].klen);
            if (ch[k].val == NULL)
                rc = -1;
        }
        if (rc == 0)
            rc = store_apply(st, ch, k);
        else
            for (size_t j = 0; j < k; j++)
                value_free(ch[j].val);
    }
    free(ch);
    free(keys);
    return rc;
}

/* Our bytes per key for one variant; 0 or -1. */
static int measure_store(const store_ops *ops, long n, mem_row *row)
{
    size_t h0 = heap_in_use();
    store *st = store_create(ops);
    if (st == NULL)
        return -1;
    int rc = 0;
    if (strcmp(ops->name, "cow") == 0) {
        /* Its retired tables are reported in their column, not on stderr. */
        store_cow_set_alarm(st, 0, NULL, NULL);
        rc = load_batched(st, n);
    } else {
        char kbuf[24];
        size_t klen;
        for (long i = 0; i < n && rc == 0; i++) {
            value *v = make_pair(i, kbuf, sizeof kbuf, &klen);
            rc = v != NULL ? store_set(st, kbuf, klen, v) : -1;
        }
    }
    store_stats s;
    store_stats_get(st, &s);
    size_t h1 = heap_in_use();
    if (rc == 0 && s.keys != (size_t)n) {
        fprintf(stderr, "mem-bench: %s holds %zu keys, expected %ld\n",
                ops->name, s.keys, n);
        rc = -1;
    }
    if (rc == 0)
        *row = (mem_row){ops->name, (double)s.bytes / (double)n,
                         (double)(h1 - h0) / (double)n, s.retired_bytes};
    else
        fprintf(stderr, "mem-bench: loading %s failed\n", ops->name);
    store_destroy(st);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: mem-bench [-q] [-n keys] [-o dir]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long n = 1000000;
    bool quick = false;
    const char *dir = "bench/results";
    int opt;
    while ((opt = getopt(argc, argv, "qn:o:")) != -1) {
        if (opt == 'q') {
            quick = true;
            n = 100000;
        } else if (opt == 'n') {
            char *end;
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || n <= 0) {
                fprintf(stderr, "mem-bench: -n wants a positive number of "
                                "keys, got '%s'\n", optarg);
                return 2;
            }
        } else if (opt == 'o') {
            dir = optarg;
        } else {
            usage();
        }
    }
    if (optind != argc)
        usage();

    size_t nvar = 0;
    while (store_variants[nvar] != NULL)
        nvar++;
    mem_row *rows = calloc(nvar + 1, sizeof *rows);
    if (rows == NULL || measure_redis(n, &rows[0]) != 0)
        return 1;
    for (size_t i = 0; i < nvar; i++)
        if (measure_store(store_variants[i], n, &rows[i + 1]) != 0)
            return 1;

    char model[256], date[64], md_path[512], csv_path[512];
    bench_cpu_model(model, sizeof model);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    struct utsname u;
    uname(&u);
    const char *stem = quick ? "ch08-mem-quick" : "ch08-mem";
    snprintf(md_path, sizeof md_path, "%s/%s.md", dir, stem);
    snprintf(csv_path, sizeof csv_path, "%s/%s.csv", dir, stem);
    FILE *md = fopen(md_path, "w"), *csv = fopen(csv_path, "w");
    if (md == NULL || csv == NULL) {
        fprintf(stderr, "mem-bench: cannot write %s and %s\n", md_path,
                csv_path);
        return 1;
    }
    FILE *outs[2] = {stdout, md};
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        fprintf(f, "## Bytes per key: DEBUG POPULATE %ld, Redis against "
                   "every store\n\n", n);
        fprintf(f, "- date: %s; machine: %s, %ld CPUs online, %s %s; "
                   "our stores on glibc malloc; redis-server %s\n",
                date, model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname,
                u.release, redis_info);
        fprintf(f, "- redis: used_memory growth over the populate; "
                   "requested: store_stats bytes; heap: mallinfo2() "
                   "uordblks + hblkhd growth (chunk headers and rounding "
                   "counted, as jemalloc's size classes are in "
                   "used_memory)\n");
        fprintf(f, "- target: heap bytes per key <= Redis's %.1f\n\n",
                rows[0].heap);
        fprintf(f, "| store | requested B/key | heap B/key | retired "
                   "pending (B) | target |\n|---|---:|---:|---:|---|\n");
        fprintf(f, "| redis (used_memory) | | %.1f | | |\n", rows[0].heap);
        for (size_t i = 1; i <= nvar; i++)
            fprintf(f, "| %s | %.1f | %.1f | %zu | %s |\n", rows[i].name,
                    rows[i].requested, rows[i].heap, rows[i].retired,
                    rows[i].heap <= rows[0].heap ? "met" : "NOT met");
    }
    fprintf(csv, "keys,store,requested_bytes_per_key,heap_bytes_per_key,"
                 "retired_pending_bytes,target_met\n");
    fprintf(csv, "%ld,redis,,%.3f,,\n", n, rows[0].heap);
    for (size_t i = 1; i <= nvar; i++)
        fprintf(csv, "%ld,%s,%.3f,%.3f,%zu,%s\n", n, rows[i].name,
                rows[i].requested, rows[i].heap, rows[i].retired,
                rows[i].heap <= rows[0].heap ? "yes" : "no");
    fclose(md);
    fclose(csv);
    printf("\nwrote %s and %s\n", md_path, csv_path);
    free(rows);
    return 0;
}
