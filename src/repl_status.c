/* repl_status.c - what the link reports: status, waits, families, log lines.
 * Chapter 10.
 *
 * The link's thread is the only one that changes the link, but anyone may
 * ask where it is: a status line, a test waiting for the replica to reach
 * the master's offset, a server answering INFO.  So the thread publishes
 * a copy of its counters into a status struct under a mutex after every
 * read of the stream (repl_publish()) and on every change of state, and
 * broadcasts a condition variable that repl_wait_offset() and
 * repl_wait_state() sleep on.  One mutex, taken once per read, costs far
 * less than the read itself; readers of the status never see a torn copy
 * (an offset from one read and a lag from another).
 *
 * Command counts come from the applier (cmd_applier_counts(), per
 * command name, the table entry's own name pointer) and are reported per
 * family, where the family is the command table the entry belongs to: cmd_string_table is "string",
 * cmd_list_table "list", and so on, with ZUNIONSTORE and friends
 * (cmd_zstore_table) counted as "zset" and XGROUP (cmd_xgroup_table) as
 * "stream".  A full sync replaces the applier; the families of the
 * retired one are kept in totals, so the counts cover the link's life.
 */
#include "repl_private.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t repl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t repl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *repl_state_name(repl_state s)
{
    switch (s) {
    case REPL_CONNECTING: return "connecting";
    case REPL_HANDSHAKE: return "handshake";
    case REPL_PSYNC: return "psync";
    case REPL_TRANSFER: return "transfer";
    case REPL_STREAMING: return "connected";
    case REPL_BACKOFF: return "backoff";
    case REPL_STOPPED: return "stopped";
    }
    return "unknown";
}

void repl_log(repl *r, repl_log_level lvl, const char *fmt, ...)
{
    if (lvl < r->opt.log_level)
        return;
    char msg[800];
    int n = snprintf(msg, sizeof msg, "repl: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    if (r->opt.log)
        r->opt.log(r->opt.log_arg, lvl, msg);
    else
        fprintf(stderr, "%s\n", msg);
}

void repl_fail(repl *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

void repl_quote(char *out, size_t outsz, const char *p, size_t n)
{
    size_t o = 0, i;
    if (outsz < 8) {
        if (outsz)
            out[0] = '\0';
        return;
    }
    out[o++] = '\'';
    for (i = 0; i < n && i < 60 && o + 8 < outsz; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
    }
    out[o++] = '\'';
    if (i < n && o + 4 < outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

void repl_set_state(repl *r, repl_state s)
{
    pthread_mutex_lock(&r->mu);
    r->st.state = s;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* ---- families ------------------------------------------------------------ */

static const struct {
    const cmd_spec *table;
    const char *family;
} family_tables[] = {
    {cmd_string_table, "string"},   {cmd_bits_table, "bits"},
    {cmd_hll_table, "hll"},         {cmd_keys_table, "keys"},
    {cmd_expire_table, "expire"},   {cmd_restore_table, "restore"},
    {cmd_sort_table, "sort"},       {cmd_list_table, "list"},
    {cmd_hash_table, "hash"},       {cmd_set_table, "set"},
    {cmd_zset_table, "zset"},       {cmd_zstore_table, "zset"},
    {cmd_geo_table, "geo"},         {cmd_stream_table, "stream"},
    {cmd_xgroup_table, "stream"},   {cmd_db_table, "db"},
    {cmd_server_table, "server"},   {cmd_txn_table, "txn"},
};

/* Every table entry's name (the pointer cmd_applier_counts() reports)
 * with its family, sorted by address: publishing the status runs once per
 * read of the stream, so finding a family is a binary search, not a walk
 * of every table. */
typedef struct name_family {
    const char *name;
    const char *family;
} name_family;

static name_family *by_name;
static size_t nby_name;
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

static int cmp_name(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const name_family *)a)->name;
    uintptr_t y = (uintptr_t)((const name_family *)b)->name;
    return x < y ? -1 : x > y;
}

static void build_by_name(void)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof family_tables / sizeof *family_tables; t++)
        for (const cmd_spec *e = family_tables[t].table; e->name; e++)
            n++;
    by_name = malloc(n * sizeof *by_name); /* kept for the process */
    if (!by_name)
        return; /* every family then reads "unknown" */
    for (size_t t = 0; t < sizeof family_tables / sizeof *family_tables; t++)
        for (const cmd_spec *e = family_tables[t].table; e->name; e++)
            by_name[nby_name++] = (name_family){e->name,
                                                family_tables[t].family};
    qsort(by_name, nby_name, sizeof *by_name, cmp_name);
}

/* The family of a command: the table whose entry's name this is. */
static const char *family_of(const char *name)
{
    pthread_once(&by_name_once, build_by_name);
    name_family key = {name, NULL};
    const name_family *f =
        by_name ? bsearch(&key, by_name, nby_name, sizeof *by_name, cmp_name)
                : NULL;
    return f ? f->family : "unknown";
}

static void families_add(repl_families *fam, const char *family,
                         uint64_t applied, uint64_t refused)
{
    for (size_t i = 0; i < fam->n; i++)
        if (strcmp(fam->f[i].family, family) == 0) {
            fam->f[i].applied += applied;
            fam->f[i].refused += refused;
            return;
        }
    if (fam->n == REPL_MAX_FAMILIES)
        return; /* more families than tables: cannot happen */
    fam->f[fam->n].family = family;
    fam->f[fam->n].applied = applied;
    fam->f[fam->n].refused = refused;
    fam->n++;
}

static void count_one(const cmd_count *c, void *arg)
{
    families_add(arg, family_of(c->name), c->applied, c->failed);
}

void repl_families_add_applier(repl_families *fam, const cmd_applier *a)
{
    cmd_applier_counts(a, count_one, fam);
}

/* ---- publishing ------------------------------------------------------------ */

void repl_publish(repl *r)
{
    uint64_t off = r->stream ? repl_stream_offset(r->stream) : r->offset;
    uint64_t recv = r->stream ? repl_stream_received(r->stream) : off;
    repl_stream_stats ss;
    memset(&ss, 0, sizeof ss);
    if (r->stream)
        repl_stream_stats_get(r->stream, &ss);
    repl_families fam = r->fam_base;
    if (r->app)
        repl_families_add_applier(&fam, r->app);
    uint64_t bytes = r->bytes_base + (r->have_in ? r->in.received : 0);
    int64_t now = repl_now_ms();
    int64_t last_io = r->last_rx_ms > 0
                          ? repl_wall_ms() - (now - r->last_rx_ms) : 0;

    pthread_mutex_lock(&r->mu);
    r->st.offset = off;
    r->st.master_offset = recv > off ? recv : off;
    r->st.commands_applied = r->applied_base + ss.applied;
    r->st.commands_refused = r->refused_base + ss.refused;
    r->st.bytes_received = bytes;
    r->st.last_io_unix_ms = last_io;
    r->st.db = r->app ? cmd_applier_db(r->app) : r->cmd_db;
    r->st.nfamilies = fam.n;
    memcpy(r->st.families, fam.f, fam.n * sizeof fam.f[0]);
    if (recv <= off)
        r->caught_up_ms = now;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* ---- the public side ------------------------------------------------------- */

void repl_status_get(repl *r, repl_status *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st;
    int64_t caught = r->caught_up_ms;
    pthread_mutex_unlock(&r->mu);
    out->lag_bytes = out->master_offset - out->offset;
    out->lag_seconds =
        out->lag_bytes ? (double)(repl_now_ms() - caught) / 1000.0 : 0.0;
    out->last_interaction_s_ago =
        out->last_io_unix_ms
            ? (repl_wall_ms() - out->last_io_unix_ms) / 1000 : -1;
}

/* Absolute monotonic deadline for pthread_cond_timedwait(). */
static struct timespec deadline_in(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int repl_wait_offset(repl *r, uint64_t offset, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    /* Before the first full sync the replica holds no copy, so it has
     * reached no offset, not even 0 (a master that never had a replica
     * reports master_repl_offset 0). */
    while (!(r->st.loaded && r->st.offset >= offset) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
    bool reached = r->st.loaded && r->st.offset >= offset;
    pthread_mutex_unlock(&r->mu);
    return reached ? 0 : -1;
}

int repl_wait_state(repl *r, repl_state state, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    while (r->st.state != state && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
    bool reached = r->st.state == state;
    pthread_mutex_unlock(&r->mu);
    return reached ? 0 : -1;
}
