/* load_readers.c - the reader threads: many pipelined connections to the
 * replica sending every read command, every reply checked.  Chapter 12.
 *
 * A reader thread owns a few connections (half of them speak RESP3, after
 * HELLO 3) and keeps `pipeline` requests in flight on each: when all the
 * replies of a connection's batch have come, it sends the next batch of
 * random reads from load_gen.c.  One poll() covers the thread's
 * connections, so 32 connections need only a few threads, as a real
 * client fleet would be.  Every reply must be RESP (resp_scan()) and must
 * not be an error its request cannot explain (load_req.allowed); a
 * connection that closes or stays silent past the timeout is a failure
 * too (the replica crashed or hung).  Latency is from a batch's send to
 * each reply's arrival, recorded per command group.  The first failure of
 * any thread sets run->failed so that the run stops and reports.  Now and
 * then (run->churn_pct of batches) a connection is closed right after its
 * batch is sent, replies unread, and opened again: the server must drop a
 * client whose replies are still being written without harm to the rest.
 */
#include "load.h"

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- groups ------------------------------------------------------------------ */

static const char *groups[LOAD_MAX_GROUPS];
static int ngroups;
static int *group_of;
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static void groups_init(void)
{
    group_of = calloc(load_read_ncmds, sizeof *group_of);
    if (group_of == NULL)
        abort();
    for (size_t i = 0; i < load_read_ncmds; i++) {
        int g = 0;
        while (g < ngroups && strcmp(groups[g], load_read_cmds[i].group) != 0)
            g++;
        if (g == ngroups && ngroups < LOAD_MAX_GROUPS)
            groups[ngroups++] = load_read_cmds[i].group;
        group_of[i] = g < ngroups ? g : ngroups - 1;
    }
}

int load_group_count(void)
{
    pthread_once(&groups_once, groups_init);
    return ngroups;
}

const char *load_group_name(int g)
{
    pthread_once(&groups_once, groups_init);
    return g >= 0 && g < ngroups ? groups[g] : "?";
}

int load_group_of(int cmd)
{
    pthread_once(&groups_once, groups_init);
    return group_of[cmd];
}

/* ---- stats ------------------------------------------------------------------- */

void load_reader_init(load_reader *rd, load_run *run, int id)
{
    memset(rd, 0, sizeof *rd);
    rd->run = run;
    rd->id = id;
    rd->st.calls = calloc(load_read_ncmds, sizeof *rd->st.calls);
    rd->st.errs = calloc(load_read_ncmds, sizeof *rd->st.errs);
    if (rd->st.calls == NULL || rd->st.errs == NULL)
        abort();
}

void load_reader_free(load_reader *rd)
{
    free(rd->st.calls);
    free(rd->st.errs);
    rd->st.calls = NULL;
    rd->st.errs = NULL;
}

/* The request as text: its arguments, escaped, cut at ~150 bytes. */
static void render(char *out, size_t n, const load_req *r)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < r->argc && used + 8 < n; i++) {
        if (i > 0)
            out[used++] = ' ';
        for (size_t j = 0; j < r->lens[i] && used + 5 < n && used < 150; j++) {
            unsigned char ch = (unsigned char)r->argv[i][j];
            if (ch >= 32 && ch < 127)
                out[used++] = (char)ch;
            else
                used += (size_t)snprintf(out + used, n - used, "\\x%02x", ch);
        }
        out[used] = '\0';
    }
}

static void fail(load_reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(load_reader *rd, const char *fmt, ...)
{
    /* The flag only tells main to stop; the text is read after the
     * join, so relaxed is enough. */
    atomic_store_explicit(&rd->run->failed, 1, memory_order_relaxed);
    if (rd->st.nfails >= LOAD_MAX_FAILS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->st.fails[rd->st.nfails++], sizeof rd->st.fails[0], fmt, ap);
    va_end(ap);
}

/* ---- connections --------------------------------------------------------------- */

typedef struct rconn {
    load_conn c;
    int proto;          /* 2 or 3 */
    load_req *reqs;     /* the batch in flight */
    int sent, got;      /* of the batch */
    uint64_t sent_us;
    bool dead;
} rconn;

static int rconn_open(load_reader *rd, rconn *rc, int proto)
{
    memset(rc, 0, sizeof *rc);
    rc->proto = proto;
    rc->reqs = calloc((size_t)rd->run->pipeline, sizeof *rc->reqs);
    if (rc->reqs == NULL)
        abort();
    if (load_conn_open(&rc->c, rd->run->port, rd->run->timeout_ms) != 0) {
        fail(rd, "reader %d: %s", rd->id, rc->c.err);
        rc->dead = true;
        return -1;
    }
    if (proto == 3) {
        char *h = load_conn_call(&rc->c, "HELLO", "3", NULL);
        if (h == NULL || h[0] != '%') {
            fail(rd, "reader %d: HELLO 3: %s", rd->id, h ? h : rc->c.err);
            free(h);
            rc->dead = true;
            return -1;
        }
        free(h);
    }
    return 0;
}

static void send_batch(load_reader *rd, rconn *rc, uint64_t *rng, load_buf *b)
{
    b->len = 0;
    for (int i = 0; i < rd->run->pipeline; i++) {
        load_req *r = &rc->reqs[i];
        load_req_init(r);
        r->cmd = (int)load_below(rng, load_read_ncmds);
        load_read_cmds[r->cmd].gen(r, &rd->run->shape, rng);
        load_buf_cmd(b, r);
    }
    rc->sent = rd->run->pipeline;
    rc->got = 0;
    rc->sent_us = load_now_us();
    if (load_conn_send(&rc->c, b) != 0) {
        fail(rd, "reader %d: %s", rd->id, rc->c.err);
        rc->dead = true;
    }
}

static void check_reply(load_reader *rd, rconn *rc, const char *rep, size_t n)
{
    const load_req *r = &rc->reqs[rc->got++];
    rd->st.calls[r->cmd]++;
    load_hist_add(&rd->st.hist[load_group_of(r->cmd)],
                  load_now_us() - rc->sent_us);
    if (rep[0] != '-' && rep[0] != '!') {
        const char *want = load_read_cmds[r->cmd].resp2;
        if (rc->proto == 2 && strchr(want, rep[0]) == NULL) {
            rd->st.wrong_shape++;
            char cmd[200];
            render(cmd, sizeof cmd, r);
            fail(rd, "a reply of the wrong type (RESP2, wanted one of "
                 "\"%s\"): %s -> %.*s", want, cmd, (int)(n > 80 ? 80 : n),
                 rep);
        }
        return;
    }
    /* "-TEXT\r\n", or RESP3's "!len\r\nTEXT\r\n" */
    const char *text = rep + 1;
    size_t tl = n >= 3 ? n - 3 : 0;
    if (rep[0] == '!') {
        const char *nl = memchr(rep, '\n', n);
        text = nl ? nl + 1 : rep + n;
        tl = (size_t)(rep + n - text) >= 2 ? (size_t)(rep + n - text) - 2 : 0;
    }
    load_err k = load_err_kind(text, tl);
    rd->st.errs[r->cmd][k]++;
    if (!(r->allowed & (1u << k))) {
        rd->st.unexpected++;
        char cmd[200];
        render(cmd, sizeof cmd, r);
        fail(rd, "unexpected error (RESP%d): %s -> -%.*s", rc->proto, cmd,
             (int)(tl > 200 ? 200 : tl), text);
    }
}

/* Take every complete reply off rc. */
static void drain(load_reader *rd, rconn *rc)
{
    while (!rc->dead && rc->got < rc->sent) {
        const char *rep;
        size_t n;
        int got = load_conn_try_reply(&rc->c, &rep, &n);
        if (got == 0)
            return;
        if (got < 0) {
            char cmd[200];
            render(cmd, sizeof cmd, &rc->reqs[rc->got]);
            if (strncmp(rc->c.err, "malformed", 9) == 0)
                rd->st.malformed++;
            else
                rd->st.conn_failures++;
            fail(rd, "reader %d (RESP%d): %s, waiting for the reply to %s",
                 rd->id, rc->proto, rc->c.err, cmd);
            rc->dead = true;
            return;
        }
        check_reply(rd, rc, rep, n);
    }
}

void *load_reader_main(void *arg)
{
    load_reader *rd = arg;
    load_run *run = rd->run;
    int nc = run->conns_per_thread;
    rconn *cs = calloc((size_t)nc, sizeof *cs);
    struct pollfd *pf = calloc((size_t)nc, sizeof *pf);
    if (cs == NULL || pf == NULL)
        abort();
    uint64_t rng = run->seed * 1000003u + (uint64_t)rd->id * 7919u + 1;
    load_buf b = {0};
    for (int i = 0; i < nc; i++)
        rconn_open(rd, &cs[i], (rd->id + i) % 2 ? 3 : 2);
    /* stop: main's request to finish; relaxed, see fail(). */
    while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
        int live = 0;
        uint64_t now = load_now_us();
        for (int i = 0; i < nc; i++) {
            rconn *rc = &cs[i];
            pf[i].fd = rc->dead ? -1 : rc->c.fd;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
            if (rc->dead)
                continue;
            live++;
            if (rc->got == rc->sent) {
                send_batch(rd, rc, &rng, &b);
                /* Churn: now and then a client hangs up with its whole
                 * batch unanswered and comes back, as clients do. */
                if (!rc->dead && run->churn_pct > 0 &&
                    (int)load_below(&rng, 1000) < run->churn_pct * 10) {
                    int proto = rc->proto;
                    load_conn_close(&rc->c);
                    free(rc->reqs);
                    rd->st.churned++;
                    rconn_open(rd, rc, proto);
                }
            } else if (now - rc->sent_us > (uint64_t)run->timeout_ms * 1000u) {
                char cmd[200];
                render(cmd, sizeof cmd, &rc->reqs[rc->got]);
                rd->st.conn_failures++;
                fail(rd, "reader %d: no reply in %d ms to %s (%d of %d "
                     "replies of the batch came)", rd->id, run->timeout_ms,
                     cmd, rc->got, rc->sent);
                rc->dead = true;
            }
        }
        if (live == 0)
            break;
        if (poll(pf, (nfds_t)nc, 100) <= 0)
            continue;
        for (int i = 0; i < nc; i++)
            if (pf[i].revents != 0)
                drain(rd, &cs[i]);
    }
    for (int i = 0; i < nc; i++) {
        /* finish the batch in flight, so no reply goes unchecked */
        uint64_t end = load_now_us() + (uint64_t)run->timeout_ms * 1000u;
        while (!cs[i].dead && cs[i].got < cs[i].sent && load_now_us() < end) {
            struct pollfd p = {.fd = cs[i].c.fd, .events = POLLIN};
            poll(&p, 1, 100);
            drain(rd, &cs[i]);
        }
        load_conn_close(&cs[i].c);
        free(cs[i].reqs);
    }
    load_buf_free(&b);
    free(cs);
    free(pf);
    return NULL;
}
