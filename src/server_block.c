/* server_block.c - clients parked in a blocking read until the dataset changes.
 * Chapter 11.
 *
 * A replica cannot be written by its clients, so the only thing that can
 * release an XREAD BLOCK is the master's stream arriving over the link.
 * The link calls server_notify_change() after each publication; every
 * loop then runs each of its blocked commands again (ctx.rerun set), in
 * one read section for all of them, and a command that now finds data
 * replies and is released.  This is simpler than Redis's per-key wait
 * lists (redis/redis src/blocked.c) and costs one re-run per blocked
 * client per publication, which is cheap next to a network round trip and
 * needs no index of who waits on which key: the handler itself decides.
 *
 * A blocked client's arguments are copied (its input buffer moves on), and
 * any further pipelined input waits in the buffer until it is released:
 * by data, by its deadline (the timer tick writes the null array, as
 * Redis's timeout reply), or by disconnecting (freed with the client).
 */
#include "server_private.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

resp_value *server_argv_copy(size_t argc, const resp_value *argv)
{
    resp_value *v = xcalloc(argc ? argc : 1, sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < argc; i++) {
        v[i].type = RESP_BULK;
        v[i].len = argv[i].len;
        v[i].str = xmalloc(argv[i].len + 1);
        if (v[i].str == NULL) {
            server_argv_free(i, v);
            return NULL;
        }
        memcpy(v[i].str, argv[i].str, argv[i].len);
        v[i].str[argv[i].len] = '\0';
    }
    return v;
}

void server_argv_free(size_t argc, resp_value *argv)
{
    if (argv == NULL)
        return;
    for (size_t i = 0; i < argc; i++)
        free(argv[i].str);
    free(argv);
}

int server_client_block(server_ctx *x, int64_t deadline_ms, size_t argc,
                        const resp_value *argv)
{
    server_client *c = x->client;
    if (argc > 0 || !c->blocked) {
        size_t n = argc > 0 ? argc : x->argc;
        resp_value *copy = server_argv_copy(n, argc > 0 ? argv : x->argv);
        if (copy == NULL)
            return -1;
        server_argv_free(c->bnext_argc, c->bnext_argv);
        c->bnext_argv = copy;
        c->bnext_argc = n;
    }
    if (!c->blocked)
        c->deadline_ms = deadline_ms; /* a re-run keeps the first one */
    c->block_req = true;
    return 0;
}

static void unlink_blocked(server_client *c)
{
    server_loop *l = c->loop;
    if (c->bprev != NULL)
        c->bprev->bnext = c->bnext;
    else
        l->blocked = c->bnext;
    if (c->bnext != NULL)
        c->bnext->bprev = c->bprev;
    c->bprev = c->bnext = NULL;
}

int server_block_finish(server_client *c, const server_ctx *x,
                        server_cmdslot *slot)
{
    server_loop *l = c->loop;
    c->block_req = false;
    if (c->bnext_argv != NULL) {
        /* The old copy (x->argv on a re-run) is no longer referenced: the
         * handler has returned. */
        server_argv_free(c->bargc, c->bargv);
        c->bargv = c->bnext_argv;
        c->bargc = c->bnext_argc;
        c->bnext_argv = NULL;
        c->bnext_argc = 0;
    }
    if (c->blocked)
        return 0;
    c->blocked = true;
    c->bcmd = x->cmd;
    c->bslot = slot;
    c->bprev = NULL;
    c->bnext = l->blocked;
    if (l->blocked != NULL)
        l->blocked->bprev = c;
    l->blocked = c;
    server_stat_add(&l->st.blocked, 1);
    atomic_store_explicit(&c->blocked_shown, true, memory_order_relaxed);
    return 0;
}

/* Release a parked client (its reply is written or about to be). */
static void unblock(server_client *c)
{
    server_loop *l = c->loop;
    unlink_blocked(c);
    server_argv_free(c->bargc, c->bargv);
    c->bargv = NULL;
    c->bargc = 0;
    c->blocked = false;
    atomic_store_explicit(&l->st.blocked,
                          atomic_load_explicit(&l->st.blocked,
                                               memory_order_relaxed) - 1,
                          memory_order_relaxed);
    atomic_store_explicit(&c->blocked_shown, false, memory_order_relaxed);
}

void server_block_drop(server_client *c)
{
    server_argv_free(c->bnext_argc, c->bnext_argv);
    c->bnext_argv = NULL;
    c->bnext_argc = 0;
    if (c->blocked)
        unblock(c);
}

/* Run a blocked command again; true when it replied (released). */
static bool rerun(server_client *c, server_batch *b)
{
    server_ctx x;
    server_ctx_init(c, &x, c->bargc, c->bargv);
    x.rerun = true;
    x.cmd = c->bcmd;
    size_t before = c->out.out.len;
    if (c->bcmd->flags & SERVER_CMD_READ) {
        x.ks = server_batch_ks(b);
        if (x.ks == NULL) {
            reply_error(&c->out, "ERR out of memory");
            return true;
        }
    }
    if (server_exec_call(&x, c->bslot) != 0) {
        c->out.out.len = before;
        reply_error(&c->out, "ERR out of memory");
        return true;
    }
    if (!c->block_req)
        return true;
    if (server_block_finish(c, &x, c->bslot) != 0) {
        reply_error(&c->out, "ERR out of memory");
        return true;
    }
    return false;
}

/* Process each released client (a list through bnext): its reply, then
 * the input that waited behind it. */
static void resume(server_client *done)
{
    while (done != NULL) {
        server_client *next = done->bnext;
        done->bnext = NULL;
        server_client_process(done);
        done = next;
    }
}

void server_block_rerun_all(server_loop *l)
{
    server_batch b = {.loop = l, .ks = NULL};
    server_client *done = NULL;
    for (server_client *c = l->blocked, *next; c != NULL; c = next) {
        next = c->bnext;
        if (rerun(c, &b)) {
            unblock(c);
            c->bnext = done;
            done = c;
        }
    }
    /* The released clients' further commands open sections of their own. */
    server_batch_end(&b);
    resume(done);
}

void server_block_expire(server_loop *l, int64_t now)
{
    server_client *done = NULL;
    for (server_client *c = l->blocked, *next; c != NULL; c = next) {
        next = c->bnext;
        if (c->deadline_ms == 0 || now < c->deadline_ms)
            continue;
        if (reply_null_array(&c->out) != 0)
            reply_error(&c->out, "ERR out of memory");
        if (c->bslot != NULL)
            server_stat_add(&c->bslot->calls, 1);
        unblock(c);
        c->bnext = done;
        done = c;
    }
    resume(done);
}
