/* main_bench_sync.c - chapter 10's full-sync figure: our link against a real
 * Redis replica loading the same master's snapshot.
 * Chapter 10.
 *
 * How long is a new replica blind?  From the PSYNC it sends to the moment
 * it serves the master's data, a replica waits for the master's fork,
 * receives the snapshot and loads it.  The fair yardstick is a real
 * redis-server doing the same job against the same master in the same
 * run: this program fills one master with 1M keys of every type
 * (rb_populate()), then, repeat after repeat and taking turns, lets four
 * replicas do a full sync from it, one at a time:
 *
 *   redis-server, default   a fresh `redis-server` told REPLICAOF; with
 *                           repl-diskless-load disabled (the default) it
 *                           writes the snapshot to disk, then loads it
 *   redis-server, swapdb    the same with repl-diskless-load swapdb: it
 *                           parses the snapshot as it arrives into a new
 *                           database and swaps it in, which is what our
 *                           link does (dataset.h)
 *   ours, <variant>         repl.h's link into a dataset over that store
 *                           variant (hamt and ptrie by default)
 *
 * and that for both ways a master sends a snapshot: diskless (`$EOF:`,
 * the 7.0 default) and from disk (`$<len>`, repl-diskless-sync no).
 *
 * Redis's time is taken from its own log: the line written when it sends
 * PSYNC ("Partial resynchronization not possible" for a replica with no
 * history) to "MASTER <-> REPLICA sync: Finished with success" (the log
 * has milliseconds).  Ours is the link's status.last_sync_seconds, PSYNC
 * to dataset_switch().  Both are also timed from outside (REPLICAOF or
 * repl_start() to serving: INFO's master_link_status:up with
 * master_sync_in_progress:0, polled every 5 ms, or dataset_loaded(),
 * polled every millisecond), the second figure of each table.  That one
 * also counts connecting and the handshake, and in some repeats of a 1M
 * run the master answered the PING of a replica that connected right
 * after the previous one had left only 1 to 3 s later (the link's debug
 * log shows it); the PSYNC-to-serving figure leaves that out for both.  A
 * benchmark, not a test: nothing here asserts a speed.
 *
 * Output: the report on stdout and in <dir>/<stem>.md, every figure in
 * <dir>/<stem>.csv.
 *
 * Usage: bench-sync [-q] [-o dir] [-s stem] [-n keys] [-b big] [-r repeats]
 *                   [-v variant,...]
 *   -q  quick: 20k keys, big collections of 1000, 1 repeat (seconds; CI)
 */
#include "dataset.h"
#include "redis_server.h"
#include "repl.h"
#include "repl_bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXREP = 16, MAXLOADERS = 8 };

/** One loader in one master mode: its repeats. */
typedef struct cell {
    int mode;              /* 0 diskless, 1 disk */
    const char *name;      /* "redis-server, default", "ours, hamt" */
    const char *redis_load; /* repl-diskless-load for redis, NULL: ours */
    const char *variant;   /* ours: the store variant */
    double secs[MAXREP];   /* PSYNC to serving */
    double wall[MAXREP];   /* request to serving, from outside */
    double ratio_def[MAXREP], ratio_swap[MAXREP];
    int nrep;
    uint64_t keys;         /* keys in db 0 after the sync */
    uint64_t bytes;        /* snapshot bytes (ours) */
} cell;

static const char *const modes[] = {"diskless ($EOF:, the 7.0 default)",
                                    "disk ($<len>, repl-diskless-sync no)"};

/* Quiet link log: warnings and errors only. */
static void quiet_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    if (level >= REPL_LOG_WARN)
        fprintf(stderr, "bench-sync: %s\n", msg);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A full sync with our link; PSYNC-to-switch seconds, or NaN. */
static double our_sync(int port, const char *variant, double *wall,
                       uint64_t *keys, uint64_t *bytes)
{
    const store_ops *ops = store_variant(variant);
    dataset *ds = ops ? dataset_create(ops, 16) : NULL;
    if (ds == NULL) {
        fprintf(stderr, "bench-sync: no dataset over '%s'\n", variant);
        return NAN;
    }
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = port;
    o.timeout_ms = 600000;
    o.log = quiet_log;
    char err[512];
    repl *r = repl_create(&o, ds, err, sizeof err);
    if (r == NULL) {
        fprintf(stderr, "bench-sync: %s\n", err);
        dataset_destroy(ds);
        return NAN;
    }
    double t0 = rb_now(), secs = NAN;
    if (repl_start(r) == 0) {
        while (!dataset_loaded(ds) && rb_now() - t0 < 600)
            sleep_ms(1);
        *wall = rb_now() - t0;
        repl_status s;
        repl_status_get(r, &s);
        if (dataset_loaded(ds)) {
            secs = s.last_sync_seconds;
            *bytes = s.snapshot_bytes;
        } else {
            fprintf(stderr, "bench-sync: ours did not finish: %s\n",
                    s.last_error);
        }
        dataset_reader *rd = dataset_reader_open(ds);
        if (rd != NULL) {
            keyspace_reader *kr = dataset_read_begin(rd);
            *keys = (uint64_t)keyspace_dbsize(kr, 0);
            dataset_read_end(rd);
            dataset_reader_close(rd);
        }
        repl_stop(r);
    }
    repl_destroy(r);
    dataset_destroy(ds);
    return secs;
}

/* A full sync of a fresh redis-server; seconds from its log, or NaN. */
static double redis_sync(int mport, const char *load, double *wall,
                         uint64_t *keys)
{
    const char *extra[] = {"--repl-diskless-load", load, "--repl-timeout",
                           "600", NULL};
    redis_server rs;
    char err[1024];
    if (redis_server_start(&rs, extra, err, sizeof err) != 0) {
        fprintf(stderr, "bench-sync: replica: %s\n", err);
        return NAN;
    }
    resp_client c;
    double secs = NAN;
    char port[16], v[64];
    snprintf(port, sizeof port, "%d", mport);
    if (resp_client_open(&c, rs.port) != 0) {
        fprintf(stderr, "bench-sync: replica: %s\n", c.err);
        redis_server_stop(&rs);
        return NAN;
    }
    double t0 = rb_now();
    if (rb_call(&c, "REPLICAOF", "127.0.0.1", port, NULL) != 0) {
        fprintf(stderr, "bench-sync: REPLICAOF: %s\n", c.err);
    } else {
        bool up = false;
        while (!up && rb_now() - t0 < 600) {
            sleep_ms(5);
            up = rb_info(&c, "replication", "master_link_status", v,
                         sizeof v) == 0 && strcmp(v, "up") == 0 &&
                 rb_info_int(&c, "replication", "master_sync_in_progress")
                     == 0;
        }
        *wall = rb_now() - t0;
        char log[300];
        snprintf(log, sizeof log, "%s/redis.log", rs.dir);
        double start = rb_log_time(log, "Partial resynchronization not "
                                        "possible");
        if (isnan(start))
            start = rb_log_time(log, "Trying a partial resynchronization");
        double done = rb_log_time(log, "sync: Finished with success");
        if (up)
            secs = done - start;
        else
            fprintf(stderr, "bench-sync: redis-server replica did not "
                    "finish; see %s\n", log);
        resp_value r;
        if (resp_client_calll(&c, &r, "DBSIZE", NULL) == 0 &&
            r.type == RESP_INTEGER)
            *keys = (uint64_t)r.integer;
        resp_value_clear(&r);
    }
    resp_client_close(&c);
    redis_server_stop(&rs);
    return secs;
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *outdir = NULL, *stem = NULL, *variants_arg = "hamt,ptrie";
    uint64_t n = 1000000, big = 100000;
    int reps = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quick = true;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            stem = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            big = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0 && i + 1 < argc)
            variants_arg = argv[++i];
        else {
            fprintf(stderr, "usage: bench-sync [-q] [-o dir] [-s stem] "
                    "[-n keys] [-b big] [-r repeats] [-v variant,...]\n");
            return 2;
        }
    }
    if (quick) {
        n = 20000;
        big = 1000;
        reps = 1;
    }
    if (reps < 1 || reps > MAXREP || n < 100) {
        fprintf(stderr, "bench-sync: -r 1..%d, -n at least 100\n", MAXREP);
        return 2;
    }
    char cmdline[300] = "build/bench-sync";
    for (int i = 1; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, " %s", argv[i]);
    }
    if (outdir == NULL)
        outdir = quick ? "build" : "bench/results";
    if (stem == NULL)
        stem = quick ? "bench-sync-quick" : "ch10-sync";
    static char vbuf[200];
    snprintf(vbuf, sizeof vbuf, "%s", variants_arg);
    const char *variants[MAXLOADERS];
    int nv = 0;
    for (char *save, *t = strtok_r(vbuf, ",", &save); t && nv < 4;
         t = strtok_r(NULL, ",", &save)) {
        if (store_variant(t) == NULL) {
            fprintf(stderr, "bench-sync: -v: no store variant '%s'\n", t);
            return 2;
        }
        variants[nv++] = t;
    }

    char machine[600], version[64] = "?";
    rb_machine(machine, sizeof machine);
    const char *mextra[] = {"--repl-diskless-sync-delay", "0",
                            "--repl-timeout", "600", NULL};
    redis_server master;
    char err[1024];
    if (redis_server_start(&master, mextra, err, sizeof err) != 0) {
        fprintf(stderr, "bench-sync: master: %s\n", err);
        return 1;
    }
    resp_client mc;
    if (resp_client_open(&mc, master.port) != 0) {
        fprintf(stderr, "bench-sync: master: %s\n", mc.err);
        redis_server_stop(&master);
        return 1;
    }
    rb_info(&mc, "server", "redis_version", version, sizeof version);
    rb_mix mix;
    double t_fill = rb_now();
    if (rb_populate(&mc, n, big, &mix) != 0) {
        fprintf(stderr, "bench-sync: filling the master: %s\n", mc.err);
        resp_client_close(&mc);
        redis_server_stop(&master);
        return 1;
    }
    int64_t used_mem = rb_info_int(&mc, "memory", "used_memory");
    fprintf(stderr, "bench-sync: master on port %d: %" PRIu64 " keys, %"
            PRIu64 " elements, %.0f MB, filled in %.1f s\n", master.port,
            mix.keys, mix.elements, (double)used_mem / 1e6,
            rb_now() - t_fill);

    cell cells[2 * MAXLOADERS];
    int nc = 0;
    for (int m = 0; m < 2; m++) {
        cells[nc++] = (cell){.mode = m, .name = "redis-server, default",
                             .redis_load = "disabled"};
        cells[nc++] = (cell){.mode = m, .name = "redis-server, swapdb",
                             .redis_load = "swapdb"};
        for (int v = 0; v < nv; v++) {
            static char names[MAXLOADERS][64];
            snprintf(names[v], sizeof names[v], "ours, %s", variants[v]);
            cells[nc++] = (cell){.mode = m, .name = names[v],
                                 .variant = variants[v]};
        }
    }
    int per_mode = nc / 2;
    double t_run = rb_now();
    for (int m = 0; m < 2; m++) {
        if (rb_call(&mc, "CONFIG", "SET", "repl-diskless-sync",
                    m == 0 ? "yes" : "no", NULL) != 0) {
            fprintf(stderr, "bench-sync: %s\n", mc.err);
            return 1;
        }
        for (int r = 0; r < reps; r++) {
            for (int i = m * per_mode; i < (m + 1) * per_mode; i++) {
                cell *c = &cells[i];
                double wall = NAN, s;
                if (c->redis_load != NULL)
                    s = redis_sync(master.port, c->redis_load, &wall,
                                   &c->keys);
                else
                    s = our_sync(master.port, c->variant, &wall, &c->keys,
                                 &c->bytes);
                c->secs[c->nrep] = s;
                c->wall[c->nrep] = wall;
                c->nrep++;
                fprintf(stderr, "bench-sync: %s, repeat %d, %s: %.3f s "
                        "(%.3f s from outside), %" PRIu64 " keys\n",
                        m == 0 ? "diskless" : "disk", r + 1, c->name, s,
                        wall, c->keys);
            }
            const cell *def = &cells[m * per_mode],
                       *swp = &cells[m * per_mode + 1];
            for (int i = m * per_mode; i < (m + 1) * per_mode; i++) {
                cell *c = &cells[i];
                c->ratio_def[r] = c->secs[r] / def->secs[r];
                c->ratio_swap[r] = c->secs[r] / swp->secs[r];
            }
        }
    }
    double wall_run = rb_now() - t_run;
    resp_client_close(&mc);
    redis_server_stop(&master);

    char path[700];
    snprintf(path, sizeof path, "%s/%s.md", outdir, stem);
    FILE *md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.csv", outdir, stem);
    FILE *csv = fopen(path, "w");
    if (md == NULL || csv == NULL) {
        fprintf(stderr, "bench-sync: cannot write to %s\n", outdir);
        return 1;
    }
    FILE *outs[2] = {stdout, md};
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        fprintf(f, "# Chapter 10: a full sync, our link against a real "
                   "Redis replica\n\n");
        fprintf(f, "Machine: %s.  redis-server %s (master and replicas on "
                   "loopback).  The master holds %" PRIu64 " keys in db 0 "
                   "(%" PRIu64 " collection elements, used_memory %.0f MB): "
                   "%s.  %d repeat%s, the replicas taking turns, one sync at "
                   "a time; %.0f s in all.  Command: `%s` (`make "
                   "bench-sync` runs it with the defaults).\n\n",
                machine, version, mix.keys, mix.elements,
                (double)used_mem / 1e6, mix.what, reps, reps == 1 ? "" : "s",
                wall_run, cmdline);
        fprintf(f, "Time: PSYNC sent to serving the new data.  "
                   "redis-server's from its log (the PSYNC line to \"sync: "
                   "Finished with success\", milliseconds); ours is the "
                   "link's last_sync_seconds (PSYNC to dataset_switch()).  "
                   "\"outside\": from REPLICAOF (or repl_start()) to "
                   "master_link_status:up (or dataset_loaded()), polled.  "
                   "Ratios: ours / redis-server's in the same repeat, "
                   "median [min, max] over the repeats; below 1 is "
                   "faster.\n\n");
        for (int m = 0; m < 2; m++) {
            fprintf(f, "## Master sends the snapshot %s\n\n", modes[m]);
            fprintf(f, "| replica | median s | min | max | / redis default "
                       "| / redis swapdb | outside, median s | keys |\n"
                       "|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (int i = m * per_mode; i < (m + 1) * per_mode; i++) {
                const cell *c = &cells[i];
                double med, lo, hi, dm, dl, dh, sm, sl, sh, wm, wl, wh;
                rb_stats(c->secs, c->nrep, &med, &lo, &hi);
                rb_stats(c->ratio_def, c->nrep, &dm, &dl, &dh);
                rb_stats(c->ratio_swap, c->nrep, &sm, &sl, &sh);
                rb_stats(c->wall, c->nrep, &wm, &wl, &wh);
                fprintf(f, "| %s | %.3f | %.3f | %.3f | %.2f [%.2f, %.2f] | "
                           "%.2f [%.2f, %.2f] | %.3f | %" PRIu64 "%s |\n",
                        c->name, med, lo, hi, dm, dl, dh, sm, sl, sh, wm,
                        c->keys, c->keys != mix.keys ? " (differs)" : "");
            }
            fprintf(f, "\n");
        }
    }
    fprintf(csv, "master_mode,replica,repeat,psync_to_serving_s,outside_s,"
                 "ratio_default,ratio_swapdb,keys,snapshot_bytes\n");
    for (int i = 0; i < nc; i++) {
        const cell *c = &cells[i];
        for (int r = 0; r < c->nrep; r++)
            fprintf(csv, "%s,\"%s\",%d,%.6f,%.6f,%.4f,%.4f,%" PRIu64 ",%"
                         PRIu64 "\n", c->mode == 0 ? "diskless" : "disk",
                    c->name, r + 1, c->secs[r], c->wall[r],
                    c->ratio_def[r], c->ratio_swap[r], c->keys, c->bytes);
    }
    fclose(md);
    fclose(csv);
    return 0;
}
