/* server_exec.c - run one command through Redis's checks, and count it.
 * Chapter 11.
 *
 * redis/redis src/server.c processCommand() checks a command in a fixed
 * order, and a client can tell the order apart (an unauthenticated client
 * sending a wrong-arity command gets the arity error, not -NOAUTH).  The
 * checks that exist on a read-only replica, in that order:
 *
 *   1. the name and the arity (server_cmd_resolve(), which also maps
 *      every write command of chapter 9's table to its -READONLY entry);
 *   2. -NOAUTH unless the command is allowed before AUTH;
 *   3. -READONLY for a write (the write entry's handler; it carries the
 *      LOADING and PUBSUB flags so that it answers before 4 and 5, as
 *      Redis's replica check comes first);
 *   4. RESP2 subscribed mode: only the Pub/Sub commands, PING, QUIT, RESET;
 *   5. -LOADING before the first full sync, unless the command is allowed
 *      while loading;
 *   6. run, inside the batch's read section when it reads keys.
 *
 * A refusal counts as "rejected" in INFO commandstats, an error the
 * handler writes as "failed", as Redis 7.0 counts them.
 */
#include "server_private.h"

#include "cmd.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void server_ctx_init(server_client *c, server_ctx *x, size_t argc,
                     const resp_value *argv)
{
    memset(x, 0, sizeof *x);
    x->out = &c->out;
    x->argc = argc;
    x->argv = argv;
    x->db = c->db;
    x->databases = c->loop->srv->databases;
    x->now_ms = value_now_ms();
    x->rng = &c->loop->rng;
    x->srv = c->loop->srv;
    x->client = c;
}

void server_batch_end(server_batch *b)
{
    if (b->ks != NULL)
        dataset_read_end(b->loop->reader);
    b->ks = NULL;
}

keyspace_reader *server_batch_ks(server_batch *b)
{
    server_loop *l = b->loop;
    if (b->ks != NULL)
        return b->ks;
    if (l->reader == NULL)
        l->reader = dataset_reader_open(l->srv->ds);
    if (l->reader == NULL)
        return NULL;
    b->ks = dataset_read_begin(l->reader);
    return b->ks;
}

static uint64_t usec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Did the bytes after `before` start an error reply? */
static bool replied_error(const reply_buf *r, size_t before)
{
    return r->out.len > before && r->out.data[before] == '-';
}

static int oom_reply(server_client *c, size_t before)
{
    c->out.out.len = before;
    if (reply_error(&c->out, "ERR out of memory") != 0) {
        c->closing = true;
        return -1;
    }
    server_stat_add(&c->loop->st.errors, 1);
    return 0;
}

int server_exec_call(server_ctx *x, server_cmdslot *slot)
{
    server_client *c = x->client;
    size_t before = x->out->out.len;
    uint64_t t0 = usec_now();
    int rc = x->cmd->fn(x);
    uint64_t dt = usec_now() - t0;
    if (rc != 0) {
        x->out->out.len = before;
        c->block_req = false;
        server_argv_free(c->bnext_argc, c->bnext_argv);
        c->bnext_argv = NULL;
        c->bnext_argc = 0;
        return -1;
    }
    server_loop *l = c->loop;
    server_stat_add(&l->st.hits, x->hits);
    server_stat_add(&l->st.misses, x->misses);
    if (slot != NULL) {
        server_stat_add(&slot->usec, dt);
        if (!c->block_req)
            server_stat_add(&slot->calls, 1);
    }
    if (replied_error(x->out, before)) {
        server_stat_add(&l->st.errors, 1);
        if (slot != NULL)
            server_stat_add(&slot->failed, 1);
    }
    return 0;
}

/* The name INFO commandstats files a command under. */
static void stat_name(const server_ctx *x, const server_command *cmd,
                      char *buf, size_t n)
{
    /* Every write shares server_cmd.c's entry named "write"; its line in
     * commandstats is the command's own name, from chapter 9's table. */
    if (strcmp(cmd->name, "write") == 0) {
        const cmd_spec *w = cmd_lookup(x->argv[0].str, x->argv[0].len);
        if (w != NULL) {
            snprintf(buf, n, "%s", w->name);
            return;
        }
    }
    server_cmd_fullname(x, buf, n);
}

static int reject(server_client *c, server_cmdslot *slot, const char *msg,
                  size_t before)
{
    if (slot != NULL)
        server_stat_add(&slot->rejected, 1);
    if (reply_error(&c->out, msg) != 0)
        return oom_reply(c, before);
    server_stat_add(&c->loop->st.errors, 1);
    return 0;
}

/* [ch11-exec] */
int server_exec(server_client *c, server_batch *b, size_t argc,
                const resp_value *argv)
{
    server_loop *l = c->loop;
    server_ctx x;
    server_ctx_init(c, &x, argc, argv);
    size_t before = c->out.out.len;
    server_stat_add(&l->st.commands, 1);

    /* 1. name, arity, writes */
    errno = 0;
    const server_command *cmd = server_cmd_resolve(&x);
    if (cmd == NULL) {
        if (c->out.out.len == before)
            return oom_reply(c, before);
        server_stat_add(&l->st.errors, 1);
        /* A known command with a bad arity is "rejected" under its name;
         * an unknown name has no line, as in Redis. */
        if (server_cmd_find(argv[0].str, argv[0].len) != NULL ||
            cmd_lookup(argv[0].str, argv[0].len) != NULL) {
            char name[64];
            server_cmd_fullname(&x, name, sizeof name);
            server_cmdslot *slot = server_cmdslot_get(l, name);
            if (slot != NULL)
                server_stat_add(&slot->rejected, 1);
        }
        return 0;
    }
    char name[64];
    stat_name(&x, cmd, name, sizeof name);
    server_cmdslot *slot = server_cmdslot_get(l, name);
    if (slot != NULL)
        atomic_store_explicit(&c->lastcmd, slot->name, memory_order_relaxed);
    if (cmd->fn == NULL) { /* a container named without a subcommand */
        char msg[128];
        snprintf(msg, sizeof msg, "ERR wrong number of arguments for '%s' "
                 "command", name);
        return reject(c, slot, msg, before);
    }

    /* 2. authentication */
    if (!c->authed && !(cmd->flags & SERVER_CMD_NOAUTH))
        return reject(c, slot, "NOAUTH Authentication required.", before);

    /* 3. writes: -READONLY, before 4 and 5 as Redis's replica check */
    if (strcmp(cmd->name, "write") == 0) {
        if (slot != NULL)
            server_stat_add(&slot->rejected, 1);
        if (cmd->fn(&x) != 0)
            return oom_reply(c, before);
        server_stat_add(&l->st.errors, 1);
        return 0;
    }

    /* 4. RESP2 subscribed mode */
    if (c->out.proto == 2 && !(cmd->flags & SERVER_CMD_PUBSUB) &&
        atomic_load_explicit(&c->subs, memory_order_relaxed) +
                atomic_load_explicit(&c->psubs, memory_order_relaxed) > 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "ERR Can't execute '%s': only "
                 "(P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                 "are allowed in this context", name);
        return reject(c, slot, msg, before);
    }

    /* 5. loading */
    if (!(cmd->flags & SERVER_CMD_LOADING) && !dataset_loaded(l->srv->ds))
        return reject(c, slot, "LOADING Redis is loading the dataset in "
                      "memory", before);

    /* 6. run */
    if (cmd->flags & SERVER_CMD_READ) {
        x.ks = server_batch_ks(b);
        if (x.ks == NULL)
            return oom_reply(c, before);
    }
    int rc = server_exec_call(&x, slot);
    /* Only the Pub/Sub family changes subscriptions (even a SUBSCRIBE
     * that ran out of memory half-way may have). */
    if ((cmd->flags & SERVER_CMD_PUBSUB) && strstr(name, "subscribe"))
        server_client_sync_subs(c, name[0] == 'p');
    if (rc != 0)
        return oom_reply(c, before);
    if (c->block_req && server_block_finish(c, &x, slot) != 0)
        return oom_reply(c, before);
    return 0;
}
/* [ch11-exec] */
