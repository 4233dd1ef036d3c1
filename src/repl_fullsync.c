/* repl_fullsync.c - a full resync: the snapshot into a fresh keyspace, then the switch.
 * Chapter 10.
 *
 * After +FULLRESYNC <id> <offset> the master sends, maybe after more
 * keep-alive newlines, a `$<len>` or `$EOF:<mark>` line and the snapshot
 * (repl_snapshot.h).  The replica loads it into a keyspace that no reader
 * can see yet (dataset_fresh()), so readers go on reading the old copy for
 * as long as the transfer takes; a snapshot that is cut short or fails its
 * checksum is thrown away whole and the old copy stays, with the old
 * replication ID and offset (the data is still at that position, so the
 * retry may even continue from it).  Only a complete snapshot is switched
 * in (dataset_switch()), with a new applier that starts in the database
 * the snapshot names (AUX repl-stream-db: a master does not repeat the
 * SELECT it sent before the snapshot was taken), and a new stream at the
 * offset +FULLRESYNC announced.  After a diskless snapshot the master
 * streams nothing until it hears an ACK, so one is sent at once
 * (readSyncBulkPayload() in redis/redis src/replication.c does the same).
 *
 * A link that does not apply (the tail tool) still has to read the
 * snapshot to reach the stream: it passes the bytes through
 * repl_snapshot_read() and drops them, unparsed.  Its stream starts in
 * database 0 without needing the snapshot's repl-stream-db: a master that
 * starts a full resync forgets which database its replicas last saw
 * (server.slaveseldb = -1 in replicationSetupSlaveForFullResync(),
 * redis/redis src/replication.c), so the first command it streams after
 * the snapshot is a SELECT.
 */
#include "repl_private.h"

#include "repl_snapshot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Trampolines from the stream's callbacks to the link's options. */
static void on_command(void *arg, const resp_value *cmd, uint64_t offset,
                       uint64_t size, unsigned db)
{
    repl *r = arg;
    r->cmd_db = db;
    if (r->opt.on_command)
        r->opt.on_command(r->opt.command_arg, cmd, offset, size, db);
}

static void on_refused(void *arg, uint64_t offset, const char *name,
                       const char *error)
{
    repl *r = arg;
    repl_log(r, r->opt.on_refused == REPL_REFUSED_SKIP ? REPL_LOG_WARN
                                                        : REPL_LOG_ERROR,
             "command %s at offset %" PRIu64 " refused: %s", name, offset,
             error);
}

/* A new stream over app (NULL when not applying) at an offset. */
static repl_stream *new_stream(repl *r, cmd_applier *app, uint64_t offset)
{
    repl_stream_options so = repl_stream_options_default();
    so.on_refused = r->opt.on_refused;
    so.apply = r->opt.apply;
    so.on_command = on_command;
    so.on_refused_fn = on_refused;
    so.arg = r;
    return repl_stream_create(app, offset, &so);
}

/* Retire the current stream and applier, keeping their counts. */
static void retire(repl *r)
{
    if (r->stream) {
        repl_stream_stats s;
        repl_stream_stats_get(r->stream, &s);
        r->applied_base += s.applied;
        r->refused_base += s.refused;
        repl_stream_destroy(r->stream);
        r->stream = NULL;
    }
    if (r->app) {
        repl_families_add_applier(&r->fam_base, r->app);
        cmd_applier_destroy(r->app);
        r->app = NULL;
    }
}

/* Receive the snapshot without keeping it (apply == false). */
static int skip_snapshot(repl *r, const repl_payload *p, uint64_t *bytes)
{
    repl_snapshot s;
    repl_snapshot_init(&s, &r->in, p);
    unsigned char *sink = malloc(REPL_INPUT_CHUNK);
    if (!sink) {
        repl_fail(r, "out of memory receiving the snapshot");
        return -1;
    }
    ssize_t n;
    while ((n = repl_snapshot_read(&s, sink, REPL_INPUT_CHUNK)) > 0)
        ;
    free(sink);
    *bytes = s.delivered;
    if (n < 0) {
        if (!repl_interrupted(r))
            repl_fail(r, "snapshot: %s", s.err);
        return -1;
    }
    return 0;
}

/* Load the snapshot into a fresh keyspace and switch it in, with a new
 * applier (in the snapshot's repl-stream-db) and a new stream at off. */
static repl_step load_and_switch(repl *r, const repl_payload *p,
                                 uint64_t off, uint64_t *bytes,
                                 uint64_t *keys)
{
    keyspace *ks = dataset_fresh(r->ds);
    if (!ks) {
        repl_fail(r, "out of memory making a keyspace for the snapshot");
        return REPL_STEP_RETRY;
    }
    repl_snapshot_result *res = calloc(1, sizeof *res); /* 2 KB */
    if (!res || repl_snapshot_load(ks, &r->in, p, res) != 0) {
        keyspace_destroy(ks);
        if (!repl_interrupted(r))
            repl_fail(r, "full sync from %s:%d: %s", r->opt.host,
                      r->opt.port, res ? res->error : "out of memory");
        free(res);
        return REPL_STEP_RETRY;
    }
    *bytes = res->bytes;
    *keys = res->rdb.keys_stored;
    unsigned db = res->stream_db > 0 ? (unsigned)res->stream_db : 0;
    unsigned ndb = keyspace_databases(ks);
    free(res);
    cmd_options co = {0};
    co.replica = true; /* a past expiry waits for the master's DEL */
    co.on_publish = r->opt.on_publish;
    co.publish_arg = r->opt.publish_arg;
    cmd_applier *app = cmd_applier_create(ks, &co);
    repl_stream *s = app ? new_stream(r, app, off) : NULL;
    if (!s) {
        cmd_applier_destroy(app);
        keyspace_destroy(ks);
        repl_fail(r, "out of memory creating the applier");
        return REPL_STEP_RETRY;
    }
    if (db >= ndb || cmd_applier_select(app, db) != 0) {
        repl_stream_destroy(s);
        cmd_applier_destroy(app);
        keyspace_destroy(ks);
        repl_fail(r, "full sync from %s:%d: the snapshot's "
                  "repl-stream-db %u is not below %u databases",
                  r->opt.host, r->opt.port, db, ndb);
        return REPL_STEP_FULL;
    }
    /* The old applier and stream go after the switch: if it fails,
     * they still write the keyspace that stays current.  The retired
     * keyspace lives until a dataset_reclaim() on this thread, so
     * destroying its applier after the switch is safe. */
    if (dataset_switch(r->ds, ks) != 0) {
        repl_stream_destroy(s);
        cmd_applier_destroy(app);
        keyspace_destroy(ks);
        repl_fail(r, "out of memory switching to the new snapshot");
        return REPL_STEP_RETRY;
    }
    retire(r);
    r->app = app;
    r->stream = s;
    r->notified = repl_stream_published(s);
    if (r->opt.on_change != NULL)
        r->opt.on_change(r->opt.change_arg);
    return REPL_STEP_OK;
}

/* After +FULLRESYNC: the payload header, the snapshot, the switch. */
repl_step repl_full_sync(repl *r, const char id[41], uint64_t off)
{
    char line[REPL_LINE_MAX + 1], perr[200];
    repl_set_state(r, REPL_TRANSFER);
    repl_log(r, REPL_LOG_INFO, "full resync from %s:%d: replication ID %s, "
             "offset %" PRIu64, r->opt.host, r->opt.port, id, off);
    if (repl_read_line(r, line, sizeof line, true, "PSYNC (the snapshot)") != 0)
        return REPL_STEP_RETRY;
    if (line[0] == '-') {
        char q[128];
        repl_quote(q, sizeof q, line, strlen(line));
        repl_fail(r, "%s:%d aborted the full sync: %s", r->opt.host,
                  r->opt.port, q);
        return REPL_STEP_RETRY;
    }
    repl_payload p;
    if (repl_payload_parse(line, strlen(line), &p, perr, sizeof perr) != 0) {
        repl_fail(r, "full sync from %s:%d: %s", r->opt.host, r->opt.port,
                  perr);
        return REPL_STEP_RETRY;
    }
    r->in.timeout_ms = r->opt.timeout_ms;
    uint64_t bytes = 0, keys = 0;
    if (!r->opt.apply) {
        if (skip_snapshot(r, &p, &bytes) != 0)
            return REPL_STEP_RETRY;
        repl_stream *s = new_stream(r, NULL, off);
        if (!s) {
            repl_fail(r, "out of memory creating the stream");
            return REPL_STEP_RETRY;
        }
        retire(r);
        r->stream = s;
    } else {
        repl_step st = load_and_switch(r, &p, off, &bytes, &keys);
        if (st != REPL_STEP_OK)
            return st;
    }
    memcpy(r->replid, id, 41);
    r->offset = off;
    r->force_full = false;
    double secs = (double)(repl_now_ms() - r->psync_ms) / 1000.0;
    pthread_mutex_lock(&r->mu);
    memcpy(r->st.replid, id, 41);
    r->st.full_syncs++;
    r->st.loaded = true;
    r->st.snapshot_bytes = bytes;
    r->st.snapshot_keys = keys;
    r->st.last_sync_seconds = secs;
    pthread_mutex_unlock(&r->mu);
    repl_log(r, REPL_LOG_INFO, "full sync done: %" PRIu64 " bytes (%s), "
             "%" PRIu64 " keys, %.3f s", bytes,
             p.kind == REPL_PAYLOAD_EOF ? "diskless" : "from disk", keys,
             secs);
    /* After a diskless load the master streams nothing until an ACK. */
    if (p.kind == REPL_PAYLOAD_EOF && repl_send_ack(r) != 0)
        return REPL_STEP_RETRY;
    return REPL_STEP_OK;
}
