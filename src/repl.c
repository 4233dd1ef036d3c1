/* repl.c - the replication link's state machine: connect, sync, stream, retry.
 * Chapter 10.
 *
 * One thread runs the link and is the only writer of the replica's data.
 * Its life is a loop of attempts, and this file is that loop.  An attempt
 * connects (TCP, maybe TLS), does the handshake and the PSYNC
 * (repl_handshake.c), loads the snapshot if the master answered
 * +FULLRESYNC (repl_fullsync.c), and then follows the stream until the
 * link fails (repl_follow.c: feed, publish, answer GETACK, ACK every
 * second, notice a silent master).  The status that other threads read
 * is published by repl_status.c.
 *
 * Every failure ends the attempt the same way: whatever was half received
 * is dropped (repl_stream_reset(): a transaction cut by the hangup, a
 * partial command), what was applied before it is published, the offset
 * is kept, and the link backs off before the next attempt.  The delay
 * doubles from backoff_min_ms to backoff_max_ms with each failure in a
 * row and is drawn at random from its upper half ("equal jitter"), so it
 * never collapses to zero and a fleet of replicas restarted together
 * spreads out.  Some failures also mean the copies can no longer be
 * trusted to continue -- a stream that is not RESP, a command the
 * applier refused -- and those ask for a full resync (PSYNC ? -1) next.
 *
 * Stopping.  repl_stop() sets a flag and shuts the connection down
 * (repl_conn_interrupt()), which wakes the thread from any read or write;
 * the backoff's sleep is a condition-variable wait that the stop
 * broadcasts, so no wait outlasts a stop (a connect in progress is bounded
 * by connect_timeout_ms).  repl_drop() is the same interrupt without the
 * flag: the attempt fails, as if the network had, and the link resumes
 * with a partial resync.
 */
#include "repl_private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

repl_options repl_options_default(void)
{
    repl_options o;
    memset(&o, 0, sizeof o);
    o.connect_timeout_ms = 5000;
    o.timeout_ms = 60000;
    o.ack_period_ms = 1000;
    o.backoff_min_ms = 100;
    o.backoff_max_ms = 5000;
    o.on_refused = REPL_REFUSED_RESYNC;
    o.apply = true;
    o.log_level = REPL_LOG_INFO;
    return o;
}

/* Copy a string option into r->strs[i]; 0, or -1 out of memory. */
static int keep(repl *r, int i, const char **s)
{
    if (!*s)
        return 0;
    r->strs[i] = strdup(*s);
    *s = r->strs[i];
    return r->strs[i] ? 0 : -1;
}

static int check_file(const char *what, const char *path, char *err,
                      size_t errsz)
{
    if (path && access(path, R_OK) != 0) {
        snprintf(err, errsz, "repl: TLS %s %s: %s", what, path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

repl *repl_create(const repl_options *opt, dataset *ds, char *err,
                  size_t errsz)
{
    if (!opt->host || !opt->host[0]) {
        snprintf(err, errsz, "repl: no master host given");
        return NULL;
    }
    if (opt->port < 1 || opt->port > 65535) {
        snprintf(err, errsz, "repl: master port %d is not in 1..65535",
                 opt->port);
        return NULL;
    }
    if (opt->apply && !ds) {
        snprintf(err, errsz, "repl: a link that applies needs a dataset");
        return NULL;
    }
    if (opt->user && !opt->password) {
        snprintf(err, errsz, "repl: user %s given without a password",
                 opt->user);
        return NULL;
    }
    const repl_tls_options *t = &opt->tls;
    if (t->enabled &&
        (check_file("CA file", t->ca_file, err, errsz) != 0 ||
         check_file("CA directory", t->ca_dir, err, errsz) != 0 ||
         check_file("certificate", t->cert_file, err, errsz) != 0 ||
         check_file("key", t->key_file, err, errsz) != 0))
        return NULL;
    repl *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errsz, "repl: out of memory");
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->mu, NULL);
    atomic_init(&r->stopping, false);
    atomic_init(&r->drop_req, false);
    r->opt = *opt;
    repl_options *o = &r->opt;
    if (keep(r, 0, &o->host) || keep(r, 1, &o->user) ||
        keep(r, 2, &o->password) || keep(r, 3, &o->tls.ca_file) ||
        keep(r, 4, &o->tls.ca_dir) || keep(r, 5, &o->tls.cert_file) ||
        keep(r, 6, &o->tls.key_file) || keep(r, 7, &o->tls.server_name)) {
        repl_destroy(r);
        snprintf(err, errsz, "repl: out of memory");
        return NULL;
    }
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = 5000;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 60000;
    if (o->ack_period_ms <= 0)
        o->ack_period_ms = 1000;
    if (o->backoff_min_ms <= 0)
        o->backoff_min_ms = 100;
    if (o->backoff_max_ms <= 0)
        o->backoff_max_ms = 5000;
    if (o->backoff_max_ms < o->backoff_min_ms)
        o->backoff_max_ms = o->backoff_min_ms;
    r->ds = opt->apply ? ds : NULL;
    r->st.state = REPL_CONNECTING;
    snprintf(r->st.master_host, sizeof r->st.master_host, "%s", o->host);
    r->st.master_port = o->port;
    r->st.last_interaction_s_ago = -1;
    r->rng = o->seed ? o->seed : (uint64_t)repl_wall_ms() * 2654435761u + 1;
    return r;
}

/* ---- the backoff --------------------------------------------------------- */

/* xorshift64*: enough randomness for jitter, and seedable for tests. */
static uint64_t next_random(repl *r)
{
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return r->rng * 2685821657736338717ull;
}

/* [ch10-backoff] */
/* Wait before the next attempt; returns early on repl_stop(). */
static void back_off(repl *r)
{
    r->failures++;
    int64_t d = r->opt.backoff_min_ms;
    for (unsigned i = 1; i < r->failures && d < r->opt.backoff_max_ms; i++)
        d *= 2;
    if (d > r->opt.backoff_max_ms)
        d = r->opt.backoff_max_ms;
    int64_t half = d / 2;
    d = half + (int64_t)(next_random(r) % (uint64_t)(d - half + 1));
    repl_log(r, REPL_LOG_WARN, "retrying %s:%d in %" PRId64 " ms (attempt "
             "%u failed)", r->opt.host, r->opt.port, d, r->failures);
    repl_set_state(r, REPL_BACKOFF);
    if (r->ds)
        dataset_reclaim(r->ds);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += d / 1000;
    ts.tv_nsec += (long)(d % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    while (!atomic_load_explicit(&r->stopping, memory_order_acquire) &&
           rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    pthread_mutex_unlock(&r->mu);
    /* A drop asked for while no link was up has nothing left to drop. */
    atomic_store_explicit(&r->drop_req, false, memory_order_release);
}
/* [ch10-backoff] */

/* ---- one attempt ------------------------------------------------------------- */

static repl_step attempt(repl *r, bool *streamed)
{
    char cerr[300];
    *streamed = false;
    repl_set_state(r, REPL_CONNECTING);
    repl_log(r, REPL_LOG_DEBUG, "connecting to %s:%d%s", r->opt.host,
             r->opt.port, r->opt.tls.enabled ? " (TLS)" : "");
    repl_conn *c = repl_conn_open(r->opt.host, r->opt.port,
                                  r->opt.tls.enabled ? &r->opt.tls : NULL,
                                  r->opt.connect_timeout_ms, cerr,
                                  sizeof cerr);
    if (!c) {
        if (!repl_interrupted(r))
            repl_fail(r, "%s", cerr);
        return REPL_STEP_RETRY;
    }
    pthread_mutex_lock(&r->mu);
    r->conn = c;
    r->st.tls = repl_conn_is_tls(c);
    /* A stop or drop that came while connecting had nothing to wake. */
    if (atomic_load_explicit(&r->stopping, memory_order_acquire) ||
        atomic_load_explicit(&r->drop_req, memory_order_acquire))
        repl_conn_interrupt(c);
    pthread_mutex_unlock(&r->mu);
    repl_input_init(&r->in, c, r->opt.timeout_ms);
    r->in.max_read = r->opt.read_chunk;
    r->have_in = true;
    r->last_rx_ms = repl_now_ms();

    repl_step st = repl_handshake(r);
    if (st == REPL_STEP_OK) {
        *streamed = true;
        r->failures = 0;
        repl_set_state(r, REPL_STREAMING);
        repl_log(r, REPL_LOG_INFO, "streaming from %s:%d at offset %" PRIu64,
                 r->opt.host, r->opt.port, repl_stream_offset(r->stream));
        st = repl_follow(r);
    }

    /* Whatever was half received goes; what was applied is published. */
    if (r->stream) {
        repl_stream_output(r->stream)->len = 0; /* ACKs for a dead link */
        repl_stream_reset(r->stream);
        (void)repl_stream_flush(r->stream); /* on ENOMEM the offset moved
                                               back: still consistent */
        r->offset = repl_stream_offset(r->stream);
    }
    repl_publish(r);
    pthread_mutex_lock(&r->mu);
    r->conn = NULL;
    pthread_mutex_unlock(&r->mu);
    r->bytes_base += r->in.received;
    repl_input_free(&r->in);
    r->have_in = false;
    repl_conn_close(c);
    return st;
}

int repl_run(repl *r)
{
    int result = 0;
    while (!atomic_load_explicit(&r->stopping, memory_order_acquire)) {
        bool streamed;
        repl_step st = attempt(r, &streamed);
        if (atomic_load_explicit(&r->stopping, memory_order_acquire))
            break;
        pthread_mutex_lock(&r->mu);
        snprintf(r->st.last_error, sizeof r->st.last_error, "%s", r->err);
        if (!streamed)
            r->st.sync_failures++;
        if (st != REPL_STEP_STOP)
            r->st.reconnects++;
        pthread_mutex_unlock(&r->mu);
        if (st == REPL_STEP_STOP) {
            repl_log(r, REPL_LOG_ERROR, "stopped following %s:%d: %s",
                     r->opt.host, r->opt.port, r->err);
            result = -1;
            break;
        }
        if (st == REPL_STEP_FULL)
            r->force_full = true;
        repl_log(r, REPL_LOG_WARN, "link to %s:%d lost: %s%s", r->opt.host,
                 r->opt.port, r->err,
                 r->force_full ? " (a full resync follows)" : "");
        back_off(r);
    }
    repl_set_state(r, REPL_STOPPED);
    return result;
}

static void *thread_main(void *arg)
{
    (void)repl_run(arg);
    return NULL;
}

int repl_start(repl *r)
{
    pthread_mutex_lock(&r->mu);
    int rc = pthread_create(&r->thread, NULL, thread_main, r);
    if (rc == 0)
        r->started = true;
    pthread_mutex_unlock(&r->mu);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

void repl_stop(repl *r)
{
    /* Release: pairs with the link thread's acquire loads; the flag is all
     * it needs to see, and the interrupt below wakes it to look. */
    atomic_store_explicit(&r->stopping, true, memory_order_release);
    pthread_mutex_lock(&r->mu);
    if (r->conn)
        repl_conn_interrupt(r->conn);
    pthread_cond_broadcast(&r->cv);
    bool join = r->started && !r->joined;
    if (join)
        r->joined = true;
    pthread_mutex_unlock(&r->mu);
    if (join)
        pthread_join(r->thread, NULL);
}

void repl_drop(repl *r)
{
    atomic_store_explicit(&r->drop_req, true, memory_order_release);
    pthread_mutex_lock(&r->mu);
    if (r->conn)
        repl_conn_interrupt(r->conn);
    pthread_mutex_unlock(&r->mu);
}

void repl_destroy(repl *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    bool join = r->started && !r->joined;
    pthread_mutex_unlock(&r->mu);
    if (join)
        repl_stop(r);
    repl_stream_destroy(r->stream);
    cmd_applier_destroy(r->app);
    if (r->have_in)
        repl_input_free(&r->in);
    for (size_t i = 0; i < sizeof r->strs / sizeof r->strs[0]; i++)
        free(r->strs[i]);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
