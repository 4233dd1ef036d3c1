/* load_writers.c - the writer threads: the master written at full speed.
 * Chapter 12.
 *
 * Each writer sends batches of `wpipeline` commands from load_writes.c in
 * one write and reads their replies, as `redis-benchmark -P 64` does, so
 * the master's replication stream runs as fast as the master can take
 * writes and the replica applies a full-speed stream.  The writes are the
 * test's own, so an error reply is a defect of the test, with two
 * exceptions that come from writers racing on g2 (one destroys the group
 * while another reads it): BUSYGROUP and NOGROUP, counted.
 */
#include "load.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

void *load_writer_main(void *arg)
{
    load_writer *w = arg;
    load_run *run = w->run;
    load_conn c;
    if (load_conn_open(&c, run->master_port, run->timeout_ms) != 0) {
        snprintf(w->fail, sizeof w->fail, "writer %d: %s", w->id, c.err);
        atomic_store_explicit(&run->failed, 1, memory_order_relaxed);
        return NULL;
    }
    uint64_t rng = run->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)w->id + 99;
    load_buf b = {0};
    /* stop and failed: flags only, the counters are read after the join */
    while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
        b.len = 0;
        int n = 0;
        while (n < run->wpipeline)
            n += load_write_gen(&b, &run->shape, &rng, &w->pushes);
        if (load_conn_send(&c, &b) != 0) {
            snprintf(w->fail, sizeof w->fail, "writer %d: %s", w->id, c.err);
            break;
        }
        for (int i = 0; i < n; i++) {
            const char *rep;
            size_t len;
            if (load_conn_reply(&c, &rep, &len) != 1) {
                snprintf(w->fail, sizeof w->fail, "writer %d: %s", w->id,
                         c.err);
                goto out;
            }
            w->commands++;
            if (rep[0] != '-')
                continue;
            if (strncmp(rep, "-BUSYGROUP", 10) == 0 ||
                strncmp(rep, "-NOGROUP", 8) == 0) {
                w->allowed_errs++;
            } else {
                w->bad_errs++;
                if (w->fail[0] == '\0')
                    snprintf(w->fail, sizeof w->fail, "writer %d: the master "
                             "answered %.*s", w->id,
                             (int)(len > 300 ? 300 : len - 2), rep);
            }
        }
    }
out:
    if (w->fail[0] != '\0')
        atomic_store_explicit(&run->failed, 1, memory_order_relaxed);
    load_buf_free(&b);
    load_conn_close(&c);
    return NULL;
}
