/* main_rdb_bench.c - rdb-bench: how fast does an RDB file load into a store?
 * Chapter 7.
 *
 *   rdb-bench FILE [--store NAME] [--repeat N]
 *
 * Three timings, each the best of N runs (default 3), all reading the file
 * through the streaming reader from the page cache:
 *   parse  decode every value and free it (the reader alone);
 *   load   decode and store_set() every key of db 0 into a fresh store;
 *   free   destroying that store (reported, not part of load).
 * Prints bytes/s and keys/s for each.  bench/rdb_load.sh makes a dump with
 * a real redis-server and compares against that server's own load time.
 * A benchmark program, not a test: nothing here asserts a speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdb.h"
#include "store.h"


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_reader(const char *path, rdb_reader *r, int *fd)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        fprintf(stderr, "rdb-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (rdb_reader_init(r, rdb_source_fd, (void *)(intptr_t)*fd) != 0) {
        close(*fd);
        return -1;
    }
    return 0;
}

static void report(const char *what, double secs, double bytes, double keys)
{
    printf("%-6s %8.3f s  %8.1f MB/s  %10.0f keys/s\n", what, secs,
           bytes / secs / 1e6, keys / secs);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *store_name = "naive";
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store_name = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (path == NULL)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    const store_ops *ops = store_variant(store_name);
    if (path == NULL || ops == NULL || repeat < 1) {
        fprintf(stderr, "usage: rdb-bench FILE [--store NAME] [--repeat N]\n");
        return 2;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "rdb-bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    double best_parse = 1e30, best_load = 1e30, best_free = 1e30;
    uint64_t keys = 0, stored = 0;
    rdb_options opt = {.quiet = true};
    for (int i = 0; i < repeat; i++) {
        rdb_reader r;
        rdb_result res;
        int fd;
        if (open_reader(path, &r, &fd) != 0)
            return 1;
        double t0 = now_s();
        int rc = rdb_parse(&r, NULL, &opt, &res);
        double t1 = now_s();
        rdb_reader_free(&r);
        close(fd);
        if (rc != 0) {
            fprintf(stderr, "rdb-bench: %s: %s\n", path, res.error);
            return 1;
        }
        keys = res.keys;
        if (t1 - t0 < best_parse)
            best_parse = t1 - t0;

        store *s = store_create(ops);
        if (s == NULL || open_reader(path, &r, &fd) != 0)
            return 1;
        t0 = now_s();
        rc = rdb_load_store(&r, s, 0, &opt, &res);
        t1 = now_s();
        rdb_reader_free(&r);
        close(fd);
        if (rc != 0) {
            fprintf(stderr, "rdb-bench: %s: %s\n", path, res.error);
            return 1;
        }
        stored = res.keys_stored;
        if (t1 - t0 < best_load)
            best_load = t1 - t0;
        t0 = now_s();
        store_destroy(s);
        t1 = now_s();
        if (t1 - t0 < best_free)
            best_free = t1 - t0;
    }
    printf("file %s: %.1f MB, %" PRIu64 " keys (%" PRIu64 " stored in db 0),"
           " store %s, best of %d\n", path, st.st_size / 1e6, keys, stored,
           store_name, repeat);
    report("parse", best_parse, (double)st.st_size, (double)keys);
    report("load", best_load, (double)st.st_size, (double)stored);
    report("free", best_free, (double)st.st_size, (double)stored);
    return 0;
}
