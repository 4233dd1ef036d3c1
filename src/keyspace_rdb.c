/* keyspace_rdb.c - load every database of an RDB stream into a keyspace.
 * Chapter 9.
 *
 * Chapter 7's rdb_load_store() puts one database into a bare store; a
 * replica needs them all, each under its number.  This is the same kind
 * of parse handler: each key arrives decoded (rdb_parse()), and goes to
 * keyspace_put() in the database the last SELECTDB named.  The keys go
 * through batches of KEYSPACE_RDB_BATCH keys, so a reader sees the load
 * advance a thousand keys at a time and the overlay stays small whatever
 * the file's size.  A SELECTDB beyond the keyspace's databases is the
 * error Redis gives for it too (a file written by a server with more
 * databases), here with the number and the record's offset; the handler
 * learns the offset from rdb_handler.record, which runs before every
 * record.  AUX fields go to the caller's callback when it gives one
 * (keyspace_load_rdb_aux(): a replica reads where its stream starts from
 * them).
 */
#include "keyspace_rdb.h"
#include "keyspace_internal.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** The load's state, the handler's argument. */
typedef struct load_ctx {
    keyspace *ks;
    bool quiet;       /**< no warnings on stderr */
    bool own_batches; /**< the load opens and commits its batches */
    uint64_t at;      /**< offset of the record being read */
    size_t pending;   /**< keys in the open batch */
    uint64_t stored;  /**< keys put */
    uint64_t committed; /**< of those, keys in committed batches */
    uint64_t warnings;/**< warnings of our own (module values) */
    size_t *start;    /**< per database: its keys when the load first
                           put one there, +1 (0: none put yet) */
    keyspace_rdb_aux_fn *aux; /**< the caller's AUX callback, or NULL */
    void *aux_arg;    /**< its argument */
    char err[400];    /**< our error, "" if none */
} load_ctx;

static int on_record(void *arg, uint64_t offset, int opcode)
{
    (void)opcode;
    ((load_ctx *)arg)->at = offset;
    return 0;
}

static int on_aux(void *arg, const rdb_buf *key, const rdb_buf *val)
{
    const load_ctx *l = arg;
    return l->aux != NULL ? l->aux(l->aux_arg, key, val) : 0;
}

static void on_warning(void *arg, const char *msg)
{
    const load_ctx *l = arg;
    if (!l->quiet)
        fprintf(stderr, "rdb: warning: %s\n", msg);
}

static int check_db(load_ctx *l, uint64_t db)
{
    if (db < keyspace_databases(l->ks))
        return 0;
    snprintf(l->err, sizeof l->err, "offset %" PRIu64 ": database %" PRIu64
             " is out of range: this keyspace has %u databases (0 to %u)",
             l->at, db, keyspace_databases(l->ks),
             keyspace_databases(l->ks) - 1);
    return -1;
}

static int on_selectdb(void *arg, uint64_t db)
{
    return check_db(arg, db);
}

/* Print at most 64 bytes of a key, escaped, for a message. */
static void key_text(char *out, size_t outsz, const rdb_buf *key)
{
    size_t o = 0;
    for (size_t i = 0; i < key->len && i < 64 && o + 5 < outsz; i++) {
        unsigned char c = key->p[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
    }
    snprintf(out + o, outsz - o, "%s", key->len > 64 ? "..." : "");
}

static int on_key(void *arg, const rdb_buf *key, value *v,
                  const rdb_key_info *info)
{
    load_ctx *l = arg;
    char kt[300];
    if (check_db(l, info->db) != 0) {
        value_free(v);
        return -1;
    }
    if (v->type == VALUE_MODULE) {
        key_text(kt, sizeof kt, key);
        if (!l->quiet)
            fprintf(stderr, "rdb: warning: offset %" PRIu64 ": key \"%s\": "
                    "value of module type %s (encver %u) skipped: modules "
                    "are not supported\n", info->offset, kt,
                    value_as_module(v)->name, value_as_module(v)->encver);
        l->warnings++;
        value_free(v);
        return 0;
    }
    if (v->type != VALUE_STRING && v->type != VALUE_STREAM &&
        value_count(v) == 0) { /* Redis drops empty collections at load */
        value_free(v);
        return 0;
    }
    if (l->own_batches && l->pending == 0 &&
        keyspace_batch_begin(l->ks) != 0)
        goto oom;
    unsigned db = (unsigned)info->db;
    if (l->start[db] == 0)
        l->start[db] = keyspace_batch_dbsize(l->ks, db) + 1;
    size_t before = keyspace_batch_dbsize(l->ks, db);
    if (keyspace_put(l->ks, db, key->p, key->len, v) != 0)
        goto oom;
    /* A put that did not grow a database that was empty when the load
     * reached it replaced a key of this same file: Redis refuses such a
     * file ("Duplicated key found in RDB file"), and so do we.  In a
     * database that held keys, the file's key replaces the old one. */
    if (l->start[db] == 1 && keyspace_batch_dbsize(l->ks, db) == before) {
        key_text(kt, sizeof kt, key);
        snprintf(l->err, sizeof l->err, "offset %" PRIu64 ": key \"%s\" "
                 "appears twice in database %u", info->offset, kt, db);
        return -1;
    }
    l->stored++;
    if (l->own_batches && ++l->pending == KEYSPACE_RDB_BATCH) {
        l->pending = 0;
        if (keyspace_commit(l->ks) != 0)
            goto oom;
        l->committed = l->stored;
    }
    return 0;
oom:
    key_text(kt, sizeof kt, key);
    snprintf(l->err, sizeof l->err, "offset %" PRIu64 ": key \"%s\" of "
             "database %" PRIu64 ": out of memory storing it", info->offset,
             kt, info->db);
    return -1;
}

int keyspace_load_rdb(keyspace *ks, rdb_reader *r, const rdb_options *opt,
                      rdb_result *res)
{
    return keyspace_load_rdb_aux(ks, r, opt, NULL, NULL, res);
}

int keyspace_load_rdb_aux(keyspace *ks, rdb_reader *r, const rdb_options *opt,
                          keyspace_rdb_aux_fn *aux, void *aux_arg,
                          rdb_result *res)
{
    load_ctx l = {.ks = ks, .quiet = opt != NULL && opt->quiet,
                  .own_batches = !keyspace_in_batch(ks),
                  .aux = aux, .aux_arg = aux_arg};
    rdb_handler h = {.selectdb = on_selectdb, .key = on_key, .aux = on_aux,
                     .record = on_record, .warning = on_warning, .arg = &l};
    l.start = xcalloc(keyspace_databases(ks), sizeof *l.start);
    if (l.start == NULL) {
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "offset 0: out of memory");
        return -1;
    }
    int rc = rdb_parse(r, &h, opt, res);
    free(l.start);
    if (rc == 0 && l.own_batches && l.pending > 0) {
        l.pending = 0;
        if (keyspace_commit(ks) != 0) {
            snprintf(l.err, sizeof l.err, "offset %" PRIu64 ": out of memory "
                     "committing the last keys", res->end_offset);
            rc = -1;
        } else {
            l.committed = l.stored;
        }
    }
    if (l.own_batches && keyspace_in_batch(ks))
        keyspace_abort(ks); /* the failed batch: its keys are dropped */
    if (l.err[0] != '\0') {
        snprintf(res->error, sizeof res->error, "%s", l.err);
        rc = -1;
    }
    /* With our own batches, only keys of committed batches are stored. */
    res->keys_stored = l.own_batches ? l.committed : l.stored;
    res->warnings += l.warnings;
    return rc;
}

int keyspace_load_rdb_file(keyspace *ks, const char *path,
                           const rdb_options *opt, rdb_result *res)
{
    rdb_reader r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "%.400s: %s", path,
                 strerror(e));
        return -1;
    }
    if (rdb_reader_init(&r, rdb_source_fd, (void *)(intptr_t)fd) != 0) {
        close(fd);
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "%.400s: out of memory", path);
        return -1;
    }
    int rc = keyspace_load_rdb(ks, &r, opt, res);
    rdb_reader_free(&r);
    close(fd);
    return rc;
}
