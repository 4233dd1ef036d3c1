/* soak_rdb.c - `make soak-rdb SEEDS=N`: many seeds of tests/util/rdb_soak.
 *
 * Usage: soak-rdb [--seeds N] [--first S] [--scale X] [--no-big]
 * Runs seeds S .. S+N-1 (default 1 .. 100), one private redis-server each,
 * prints one line per seed and a summary, and exits 1 if any seed found a
 * difference or could not run.  A failing seed is rerun alone with
 * --first SEED --seeds 1.
 */
#include "rdb_soak.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    uint64_t first = 1, n = 100;
    rdb_soak_opts o = {.scale = 1.0, .big = true};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
            first = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc)
            o.scale = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--no-big") == 0)
            o.big = false;
        else {
            fprintf(stderr, "usage: %s [--seeds N] [--first S] [--scale X] "
                    "[--no-big]\n", argv[0]);
            return 2;
        }
    }
    uint64_t ok = 0, diff = 0, broken = 0, keys = 0, bytes = 0;
    rdb_soak_enc total[64];
    size_t ntotal = 0;
    for (uint64_t seed = first; seed < first + n; seed++) {
        rdb_soak_result res;
        o.seed = seed;
        int rc = rdb_soak_run(&o, &res);
        if (rc == 0) {
            ok++;
            printf("seed %" PRIu64 ": ok, %zu keys, %zu commands, %" PRIu64
                   " bytes of RDB\n", seed, res.keys, res.commands,
                   res.rdb_bytes);
        } else {
            rc > 0 ? diff++ : broken++;
            printf("%s: %s\n  settings: %s\n",
                   rc > 0 ? "DIFFERENCE" : "COULD NOT RUN", res.diff,
                   res.config);
        }
        fflush(stdout);
        keys += res.keys;
        bytes += res.rdb_bytes;
        for (size_t i = 0; i < res.nenc; i++) {
            size_t j = 0;
            while (j < ntotal && strcmp(total[j].name, res.enc[i].name) != 0)
                j++;
            if (j == ntotal && ntotal < 64)
                total[ntotal++] = (rdb_soak_enc){.n = 0};
            if (j < ntotal) {
                memcpy(total[j].name, res.enc[i].name, sizeof total[j].name);
                total[j].n += res.enc[i].n;
            }
        }
    }
    printf("encodings seen:");
    for (size_t j = 0; j < ntotal; j++)
        printf(" %s=%u", total[j].name, total[j].n);
    printf("\nsoak-rdb: %" PRIu64 " seeds (%" PRIu64 "..%" PRIu64 "), %"
           PRIu64 " keys, %" PRIu64 " bytes of RDB: %" PRIu64 " matched, %"
           PRIu64 " differed, %" PRIu64 " could not run\n", n, first,
           first + n - 1, keys, bytes, ok, diff, broken);
    return diff || broken ? 1 : 0;
}
