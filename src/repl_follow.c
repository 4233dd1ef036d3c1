/* repl_follow.c - following the command stream: feed, publish, answer, wait.
 * Chapter 10.
 *
 * Once the link is up, the thread does the same few things for as long as
 * it lasts.  It feeds whatever the input holds to the stream
 * (repl_stream.c frames the commands, counts their bytes and applies
 * them), then flushes once, so that readers see every read of the stream
 * whole (a transaction still open waits for its EXEC), sends the answers
 * to GETACK the stream queued, and publishes the status (repl_publish()).
 * Then it reads again, but never waits longer than the next thing due:
 *   - the periodic `REPLCONF ACK <offset>` (ack_period_ms, a second by
 *     default, as replicationCron() sends it; a master drops a replica it
 *     has not heard from for repl-timeout),
 *   - dataset_reclaim(), once a second, which frees the snapshots that
 *     readers have all left,
 *   - the link's timeout, counted from the last byte received: a master
 *     sends at least a PING every repl-ping-replica-period, so silence
 *     longer than timeout_ms means the link is dead, even if TCP has not
 *     noticed.
 * A read that times out is not a failure by itself; the loop's head looks
 * at what is due.  Garbage in the stream, or a command the applier
 * refuses (under the default policy), ends the link and asks for a full
 * resync: the replica can no longer be sure its copy matches.
 */
#include "repl_private.h"

#include <errno.h>
#include <inttypes.h>

repl_step repl_follow(repl *r)
{
    int64_t now = repl_now_ms();
    if (r->next_ack_ms <= now)
        r->next_ack_ms = now + r->opt.ack_period_ms;
    for (;;) {
        if (repl_interrupted(r))
            return REPL_STEP_RETRY;
        repl_stream_status ss = REPL_STREAM_OK;
        size_t avail = repl_input_avail(&r->in);
        if (avail > 0) {
            size_t used = 0;
            ss = repl_stream_feed(r->stream, repl_input_peek(&r->in), avail,
                                  &used);
            repl_input_consume(&r->in, used);
        }
        /* One publication per read: readers see whole reads. */
        if (repl_stream_flush(r->stream) != 0) {
            repl_fail(r, "out of memory publishing the stream at offset "
                      "%" PRIu64, repl_stream_offset(r->stream));
            return REPL_STEP_RETRY;
        }
        uint64_t published = repl_stream_published(r->stream);
        if (r->opt.on_change != NULL && published != r->notified) {
            r->notified = published;
            r->opt.on_change(r->opt.change_arg);
        }
        if (ss != REPL_STREAM_OK) {
            repl_fail(r, "stream from %s:%d: %s", r->opt.host, r->opt.port,
                      repl_stream_error(r->stream));
            if (ss == REPL_STREAM_NOMEM)
                return REPL_STEP_RETRY;
            if (ss == REPL_STREAM_REFUSED &&
                r->opt.on_refused == REPL_REFUSED_STOP)
                return REPL_STEP_STOP;
            return REPL_STEP_FULL; /* garbage, or a divergence */
        }
        resp_buf *out = repl_stream_output(r->stream);
        if (out->len > 0) {
            int rc = repl_send(r, out->data, out->len);
            out->len = 0;
            if (rc != 0)
                return REPL_STEP_RETRY;
        }
        repl_publish(r);
        now = repl_now_ms();
        if (now >= r->next_ack_ms && repl_send_ack(r) != 0)
            return REPL_STEP_RETRY;
        if (now >= r->next_reclaim_ms) {
            if (r->ds)
                dataset_reclaim(r->ds);
            r->next_reclaim_ms = now + 1000;
        }
        int64_t deadline = r->last_rx_ms + r->opt.timeout_ms;
        if (now >= deadline) {
            repl_fail(r, "timeout: no data from %s:%d for %d ms",
                      r->opt.host, r->opt.port, r->opt.timeout_ms);
            return REPL_STEP_RETRY;
        }
        int64_t until = deadline;
        if (r->next_ack_ms < until)
            until = r->next_ack_ms;
        if (r->next_reclaim_ms < until)
            until = r->next_reclaim_ms;
        r->in.timeout_ms = until > now ? (int)(until - now) : 1;
        ssize_t n = repl_input_fill(&r->in);
        if (n > 0) {
            r->last_rx_ms = repl_now_ms();
            continue;
        }
        if (repl_interrupted(r))
            return REPL_STEP_RETRY;
        if (n < 0 && errno == ETIMEDOUT)
            continue; /* something is due: the loop's head does it */
        if (n == 0)
            repl_fail(r, "connection closed by %s:%d", r->opt.host,
                      r->opt.port);
        else
            repl_fail(r, "reading the stream: %s", repl_input_error(&r->in));
        return REPL_STEP_RETRY;
    }
}
