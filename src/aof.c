/* aof.c - loading append-only files: the manifest's files, RDB parts, commands.
 * Chapter 9.
 *
 * aof_load() decides what the path is (a directory with a manifest, a
 * manifest, or one legacy file), then loads file after file as Redis's
 * loadAppendOnlyFiles() does (redis/redis src/aof.c): the base, then each
 * incremental file in manifest order; history files never.  Every file
 * listed must exist before anything is loaded, and only the last file may
 * end in a truncated command.
 *
 * One file, as loadSingleAppendOnlyFile(): if it starts with "REDIS" its
 * RDB part is loaded with keyspace_load_rdb() and the commands start where
 * the RDB's checksum ends; the commands go to a new applier per file, so
 * each file starts in database 0 as Redis's fresh loading client does.
 *
 * Batches.  The applier publishes on cmd_applier_flush(), and here that is
 * called every AOF_BATCH_COMMANDS (4096) commands or AOF_BATCH_BYTES
 * (4 MiB) of them, whichever comes first, and at the end of each file.  A
 * flush costs one store_apply() plus sealing the collections the batch
 * edited, so flushing per command would make loading as slow as the
 * store's slowest path; flushing once per file would keep every pending
 * key in the batch's overlay at once (memory the size of the file's
 * working set) and show readers nothing until the end.  A few thousand
 * commands spread the cost of a publication over many commands, and the
 * byte bound keeps one batch of big values from holding gigabytes.
 * bench/main_apply_bench.c sweeps the size (64 to 262144 commands): on
 * the course's shared 2-vCPU machine no size was clearly faster (single
 * runs moved by 2x either way), so 4096 stays.
 *
 * An open MULTI at the end of a file: the transaction never reached its
 * EXEC, so Redis drops it (it treats this as a truncated file); so do we,
 * with a DISCARD that is not counted.
 */
#include "aof.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "keyspace_rdb.h"

/* Everything one aof_load() call shares. */
typedef struct loader {
    keyspace *ks;
    aof_options opt;
    aof_result *res;
    uint64_t discards; /* DISCARDs we added, not the files' */
} loader;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool name_is(const resp_value *cmd, const char *name)
{
    size_t n = strlen(name);
    return cmd->elems[0].len == n && strncasecmp(cmd->elems[0].str, name, n) == 0;
}

/* Add one applier's counts to the result's. */
static void add_count(const cmd_count *c, void *arg)
{
    aof_result *res = arg;
    for (size_t i = 0; i < res->ncounts; i++)
        if (strcmp(res->counts[i].name, c->name) == 0) {
            res->counts[i].applied += c->applied;
            res->counts[i].failed += c->failed;
            return;
        }
    cmd_count *v = xrealloc(res->counts, (res->ncounts + 1) * sizeof *v);
    if (v == NULL)
        return; /* counts are a report; the load itself goes on */
    res->counts = v;
    res->counts[res->ncounts++] = *c;
}

static void remove_discards(aof_result *res, uint64_t n)
{
    for (size_t i = 0; i < res->ncounts && n > 0; i++)
        if (strcmp(res->counts[i].name, "discard") == 0)
            res->counts[i].applied -= n < res->counts[i].applied
                                          ? n : res->counts[i].applied;
}

/* Publish the batch; -1 with res->error on failure. */
static int flush(loader *L, cmd_applier *a, const char *name, uint64_t off)
{
    if (cmd_applier_flush(a) != 0) {
        int e = errno;
        snprintf(L->res->error, sizeof L->res->error,
                 "%s: offset %" PRIu64 ": publishing a batch: %s", name,
                 off, strerror(e));
        errno = e;
        return -1;
    }
    L->res->batches++;
    return 0;
}

/* The commands of one file from offset start.  last: the last file (a
 * truncated tail is then allowed).  Returns 0 or -1 with res->error. */
static int load_commands(loader *L, int fd, const char *name, uint64_t start,
                         bool last, aof_file_stats *fs)
{
    aof_result *res = L->res;
    aof_reader r;
    if (aof_reader_open(&r, fd, name, start) != 0) {
        snprintf(res->error, sizeof res->error, "%s", r.error);
        aof_reader_close(&r);
        return -1;
    }
    cmd_applier *a = cmd_applier_create(L->ks, L->opt.cmd);
    if (a == NULL) {
        snprintf(res->error, sizeof res->error, "%s: out of memory", name);
        aof_reader_close(&r);
        errno = ENOMEM;
        return -1;
    }
    unsigned batch_n = L->opt.batch_commands ? L->opt.batch_commands
                                             : AOF_BATCH_COMMANDS;
    uint64_t batch_b = L->opt.batch_bytes ? L->opt.batch_bytes
                                          : AOF_BATCH_BYTES;
    unsigned pending = 0;
    uint64_t batch_start = r.p.offset;
    bool in_multi = false;
    uint64_t multi_offset = 0, txn_cmds = 0;
    int rc = 0;
    bool nomem = false;
    for (;;) {
        resp_value cmd;
        aof_read_status st = aof_reader_next(&r, &cmd);
        if (st == AOF_READ_ERROR) {
            snprintf(res->error, sizeof res->error, "%s", r.error);
            rc = -1;
            break;
        }
        if (st != AOF_READ_CMD) {
            uint64_t cut = in_multi ? multi_offset : r.cmd_offset;
            if (st == AOF_READ_TRUNCATED || in_multi) {
                char what[160];
                if (st == AOF_READ_TRUNCATED)
                    snprintf(what, sizeof what, "offset %" PRIu64 ": the "
                             "file ends inside the command that starts "
                             "there", r.cmd_offset);
                else
                    snprintf(what, sizeof what, "offset %" PRIu64 ": the "
                             "file ends inside the MULTI that starts there "
                             "(no EXEC)", multi_offset);
                if (!last || L->opt.refuse_truncated) {
                    snprintf(res->error, sizeof res->error, "%s: %s (%s)",
                             name, what,
                             !last ? "only the last file may be truncated"
                                   : "truncated files are refused");
                    rc = -1;
                    break;
                }
                res->truncated = true;
                res->truncated_offset = cut;
                snprintf(res->truncated_file, sizeof res->truncated_file,
                         "%s", name);
            }
            break;
        }
        uint64_t off = r.cmd_offset;
        bool is_multi = name_is(&cmd, "multi");
        bool ends_multi = name_is(&cmd, "exec") || name_is(&cmd, "discard");
        cmd_status cs = cmd_apply(a, &cmd, off);
        resp_value_clear(&cmd);
        if (cs == CMD_NOMEM) {
            snprintf(res->error, sizeof res->error, "%s: offset %" PRIu64
                     ": out of memory (the batch since offset %" PRIu64
                     " was dropped)", name, off, batch_start);
            nomem = true;
            rc = -1;
            break;
        }
        if (cs == CMD_FAILED) {
            fs->refused++;
            res->refused++;
            const char *msg = cmd_applier_error(a);
            if (res->first_refusal[0] == '\0')
                snprintf(res->first_refusal, sizeof res->first_refusal,
                         "%s: %s", name, msg);
            if (L->opt.on_refusal != NULL)
                L->opt.on_refusal(L->opt.refusal_arg, name, off, msg);
            if (L->opt.stop_on_refusal) {
                snprintf(res->error, sizeof res->error, "%s: %s (stopped "
                         "at the first refused command)", name, msg);
                rc = -1;
                break;
            }
        } else {
            fs->commands++;
            res->commands++;
            if (is_multi && !in_multi) {
                in_multi = true;
                multi_offset = off;
                txn_cmds = 0;
            }
            txn_cmds += in_multi;
        }
        if (ends_multi)
            in_multi = false;
        if (++pending >= batch_n || r.p.offset - batch_start >= batch_b) {
            if (flush(L, a, name, off) != 0) {
                nomem = errno == ENOMEM;
                rc = -1;
                break;
            }
            pending = 0;
            batch_start = r.p.offset;
        }
    }
    if (in_multi) { /* never reached its EXEC: drop it, uncounted */
        const char *discard = "DISCARD";
        cmd_apply_argv(a, 1, &discard, NULL);
        L->discards++;
        fs->commands -= txn_cmds;
        res->commands -= txn_cmds;
    }
    if (!nomem) {
        if (cmd_applier_flush(a) == 0)
            res->batches++;
        else if (rc == 0) {
            snprintf(res->error, sizeof res->error, "%s: publishing the "
                     "last batch: %s", name, strerror(errno));
            nomem = true;
            rc = -1;
        }
    }
    cmd_applier_counts(a, add_count, res);
    cmd_applier_destroy(a);
    fs->bytes += r.p.offset - start;
    aof_reader_close(&r);
    if (nomem)
        errno = ENOMEM;
    return rc;
}

/* Load one file: its RDB part if it has one, then its commands. */
static int load_file(loader *L, const char *dir, const char *name, char type,
                     bool last)
{
    aof_result *res = L->res;
    char path[4096];
    if (dir != NULL)
        snprintf(path, sizeof path, "%s/%s", dir, name);
    else
        snprintf(path, sizeof path, "%s", name);
    aof_file_stats *v = xrealloc(res->files, (res->nfiles + 1) * sizeof *v);
    if (v == NULL) {
        snprintf(res->error, sizeof res->error, "%s: out of memory", name);
        errno = ENOMEM;
        return -1;
    }
    res->files = v;
    aof_file_stats *fs = &res->files[res->nfiles++];
    memset(fs, 0, sizeof *fs);
    snprintf(fs->name, sizeof fs->name, "%s", name);
    fs->type = type;
    double t0 = now_s();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(res->error, sizeof res->error, "%.400s: %s", path,
                 strerror(e));
        errno = e;
        return -1;
    }
    char magic[5];
    ssize_t got = pread(fd, magic, sizeof magic, 0);
    uint64_t start = 0;
    int rc = 0;
    if (got == (ssize_t)sizeof magic && memcmp(magic, "REDIS", 5) == 0) {
        fs->rdb = true;
        rdb_reader rr;
        rdb_result rres;
        if (rdb_reader_init(&rr, rdb_source_fd, (void *)(intptr_t)fd) != 0) {
            snprintf(res->error, sizeof res->error, "%s: out of memory",
                     name);
            close(fd);
            errno = ENOMEM;
            return -1;
        }
        rc = keyspace_load_rdb(L->ks, &rr, &L->opt.rdb, &rres);
        rdb_reader_free(&rr);
        fs->rdb_keys = rres.keys_stored;
        res->rdb_keys += rres.keys_stored;
        if (rc != 0) {
            snprintf(res->error, sizeof res->error, "%s: RDB part: %s", name,
                     rres.error);
            close(fd);
            return -1;
        }
        start = rres.end_offset;
        fs->bytes = start;
    }
    rc = load_commands(L, fd, name, start, last, fs);
    close(fd);
    fs->seconds = now_s() - t0;
    res->bytes += fs->bytes;
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The manifest in a directory: the one "*.manifest" not starting with
 * "temp-" (a rewrite in progress writes temp-<name>.manifest). */
static int find_manifest(const char *dir, char *out, size_t outsz,
                         aof_result *res)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        int e = errno;
        snprintf(res->error, sizeof res->error, "%s: %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".manifest") ||
            strncmp(e->d_name, "temp-", 5) == 0)
            continue;
        if (found++ == 0)
            snprintf(out, outsz, "%s", e->d_name);
        else
            snprintf(res->error, sizeof res->error, "%s: two manifests, %s "
                     "and %s: name one of them", dir, out, e->d_name);
    }
    closedir(d);
    if (found == 0)
        snprintf(res->error, sizeof res->error, "%s: no manifest (a file "
                 "named *.manifest) in this directory", dir);
    if (found != 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static int load_manifest(loader *L, const char *dir, const char *mpath)
{
    aof_result *res = L->res;
    aof_manifest m;
    if (aof_manifest_read(mpath, &m, res->error, sizeof res->error) != 0) {
        aof_manifest_free(&m);
        return -1;
    }
    size_t total = (m.base != NULL) + m.nincr;
    /* every file must be there before anything is loaded */
    for (size_t i = 0; i < total; i++) {
        const aof_file_info *f = m.base != NULL
            ? (i == 0 ? m.base : &m.incr[i - 1]) : &m.incr[i];
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, f->name);
        int e = stat(path, &st) != 0 ? errno : 0;
        if (e != 0 || !S_ISREG(st.st_mode)) {
            snprintf(res->error, sizeof res->error, "%.400s (manifest line "
                     "%u): %s", path, f->line,
                     e != 0 ? strerror(e) : "not a regular file");
            aof_manifest_free(&m);
            errno = e ? e : EINVAL;
            return -1;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < total && rc == 0; i++) {
        const aof_file_info *f = m.base != NULL
            ? (i == 0 ? m.base : &m.incr[i - 1]) : &m.incr[i];
        rc = load_file(L, dir, f->name, f->type, i + 1 == total);
    }
    aof_manifest_free(&m);
    return rc;
}

int aof_load(keyspace *ks, const char *path, const aof_options *opt,
             aof_result *res)
{
    memset(res, 0, sizeof *res);
    loader L = {.ks = ks, .res = res};
    if (opt != NULL)
        L.opt = *opt;
    if (keyspace_in_batch(ks)) {
        snprintf(res->error, sizeof res->error, "aof_load: the keyspace "
                 "has a batch open");
        errno = EBUSY;
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        snprintf(res->error, sizeof res->error, "%s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    int rc;
    if (S_ISDIR(st.st_mode)) {
        char name[256], mpath[4096];
        if (find_manifest(path, name, sizeof name, res) != 0)
            return -1;
        snprintf(mpath, sizeof mpath, "%s/%s", path, name);
        rc = load_manifest(&L, path, mpath);
    } else if (ends_with(path, ".manifest")) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        rc = load_manifest(&L, dir, path);
    } else {
        rc = load_file(&L, NULL, path, 's', true);
    }
    remove_discards(res, L.discards);
    return rc;
}

void aof_result_free(aof_result *res)
{
    if (res == NULL)
        return;
    free(res->files);
    free(res->counts);
    res->files = NULL;
    res->counts = NULL;
    res->nfiles = res->ncounts = 0;
}
