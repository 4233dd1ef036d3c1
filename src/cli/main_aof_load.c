/* main_aof_load.c - aof-load: load Redis's append-only files, count the commands.
 * Chapter 9.
 *
 *   aof-load [--json] [--variant V] [--databases N] [--strict] PATH
 *
 * PATH is an append-only directory (Redis 7's appendonlydir, with its
 * manifest), a manifest, or one legacy AOF file, with or without an RDB
 * preamble (so a plain RDB file loads too: a preamble with no commands).
 * The files are applied to a fresh keyspace of N databases (default 16)
 * over store variant V (default ptrie) through the applier, as aof_load()
 * does.  Without --json it prints, on stdout, each file loaded, then one
 * line per command name (applied, refused) and the totals; with --json it
 * prints the keyspace as keyspace_dump_json() writes it (the "dbs" part of
 * what rdb-dump prints for an RDB file, in the same shape, so
 * `aof-load --json appendonlydir` and `aof-load --json dump.rdb` can be
 * compared with diff), and the counts go to stderr.  Timing always goes to
 * stderr, so stdout is the same on every run.
 *
 * Each refused command is reported on stderr with its file and offset (the
 * first 20, then a count).  --strict refuses a truncated last command
 * (Redis's aof-load-truncated no) and stops at the first refused command.
 * Exit status: 0 loaded, 3 loaded but some commands were refused, 1 an
 * error (named with its file and offset), 2 a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aof.h"
#include "keyspace_rdb.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: aof-load [--json] [--variant V] [--databases N] "
            "[--strict] PATH\n"
            "  PATH           an append-only directory, its manifest, or one "
            "AOF file\n"
            "  --json         print the keyspace as JSON (rdb-dump's \"dbs\" "
            "shape)\n"
            "  --variant V    the store variant (default ptrie)\n"
            "  --databases N  number of databases (default 16)\n"
            "  --strict       refuse a truncated tail; stop at the first "
            "refused command\n");
}

typedef struct refusals {
    uint64_t n;
} refusals;

static void on_refusal(void *arg, const char *file, uint64_t offset,
                       const char *msg)
{
    refusals *r = arg;
    (void)offset; /* msg starts with "offset N:" */
    if (r->n++ < 20)
        fprintf(stderr, "aof-load: refused: %s: %s\n", file, msg);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_counts(FILE *out, const aof_result *res)
{
    fprintf(out, "%-20s %12s %10s\n", "command", "applied", "refused");
    for (size_t i = 0; i < res->ncounts; i++)
        fprintf(out, "%-20s %12" PRIu64 " %10" PRIu64 "\n",
                res->counts[i].name, res->counts[i].applied,
                res->counts[i].failed);
    fprintf(out, "%-20s %12" PRIu64 " %10" PRIu64 "\n", "total",
            res->commands, res->refused);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *vname = "ptrie";
    bool json = false, strict = false;
    unsigned long dbs = KEYSPACE_DEFAULT_DBS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--strict") == 0)
            strict = true;
        else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc)
            vname = argv[++i];
        else if (strcmp(argv[i], "--databases") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            dbs = strtoul(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || dbs < 1 ||
                dbs > KEYSPACE_MAX_DBS) {
                fprintf(stderr, "aof-load: --databases %s: not a number "
                        "from 1 to %u\n", argv[i], KEYSPACE_MAX_DBS);
                return 2;
            }
        } else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else {
            usage();
            return 2;
        }
    }
    if (path == NULL) {
        usage();
        return 2;
    }
    const store_ops *variant = store_variant(vname);
    if (variant == NULL) {
        fprintf(stderr, "aof-load: no store variant named '%s'\n", vname);
        return 2;
    }
    keyspace *ks = keyspace_create(variant, (unsigned)dbs);
    if (ks == NULL) {
        fprintf(stderr, "aof-load: keyspace over %s: %s\n", vname,
                strerror(errno));
        return 1;
    }
    refusals ref = {0};
    aof_options opt = {.refuse_truncated = strict,
                       .stop_on_refusal = strict,
                       .on_refusal = on_refusal,
                       .refusal_arg = &ref};
    aof_result res;
    double t0 = now_s();
    int rc = aof_load(ks, path, &opt, &res);
    double secs = now_s() - t0;
    if (ref.n > 20)
        fprintf(stderr, "aof-load: ... %" PRIu64 " refused in all\n", ref.n);
    if (res.truncated)
        fprintf(stderr, "aof-load: %s: truncated at offset %" PRIu64
                ": the incomplete tail from there on was not loaded (as "
                "aof-load-truncated yes)\n", res.truncated_file,
                res.truncated_offset);
    FILE *counts = json ? stderr : stdout;
    for (size_t i = 0; i < res.nfiles; i++) {
        const aof_file_stats *f = &res.files[i];
        fprintf(counts, "file %s (%s%s): %" PRIu64 " bytes, %" PRIu64
                " keys from RDB, %" PRIu64 " commands, %" PRIu64
                " refused\n", f->name,
                f->type == 'b' ? "base" : f->type == 'i' ? "incr" : "single",
                f->rdb ? ", RDB" : "", f->bytes, f->rdb_keys, f->commands,
                f->refused);
        fprintf(stderr, "aof-load: %s: %.3f s\n", f->name, f->seconds);
    }
    print_counts(counts, &res);
    fprintf(stderr, "aof-load: %.3f s over %s, %" PRIu64 " bytes, %" PRIu64
            " batches\n", secs, vname, res.bytes, res.batches);
    int status = 0;
    if (rc != 0) {
        fprintf(stderr, "aof-load: %s\n", res.error);
        status = 1;
    } else if (res.refused > 0)
        status = 3;
    if (rc == 0 && json) {
        keyspace_reader *r = keyspace_reader_open(ks);
        if (r == NULL || keyspace_dump_json(r, stdout) != 0) {
            fprintf(stderr, "aof-load: writing JSON: %s\n", strerror(errno));
            status = 1;
        }
        keyspace_reader_close(r);
    }
    aof_result_free(&res);
    keyspace_destroy(ks);
    return status;
}
