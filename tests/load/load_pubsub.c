/* load_pubsub.c - a subscriber on the replica while the master publishes.
 * Chapter 12.
 *
 * The master's PUBLISH commands travel in its replication stream, and the
 * replica delivers them to its own subscribers (chapter 11), on the link's
 * thread, while the server's threads serve reads and full syncs replace
 * the dataset.  This thread holds two subscriber connections (RESP2 and
 * RESP3, each SUBSCRIBE ch:0 ch:1 and PSUBSCRIBE ch:*) and takes every
 * push off them: each must be well-formed RESP and a "message" or
 * "pmessage" (or a subscription's confirmation); the writers' PUBLISHes
 * (load_writes.c) feed it.  A message may be lost across a full sync
 * (Redis gives no delivery promise there either); with no sync in the
 * run, every message must arrive (main compares the count with the
 * writers').  A malformed push or a closed connection fails the run.
 */
#include "load.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static int subscribe(load_conn *c, int proto, char *fail, size_t n)
{
    load_req r;
    load_buf b = {0};
    if (proto == 3) {
        load_req_init(&r);
        load_arg(&r, "HELLO"), load_arg(&r, "3");
        load_buf_cmd(&b, &r);
    }
    load_req_init(&r);
    load_arg(&r, "SUBSCRIBE"), load_arg(&r, "ch:0"), load_arg(&r, "ch:1");
    load_buf_cmd(&b, &r);
    load_req_init(&r);
    load_arg(&r, "PSUBSCRIBE"), load_arg(&r, "ch:*");
    load_buf_cmd(&b, &r);
    int rc = load_conn_send(c, &b);
    load_buf_free(&b);
    if (rc != 0)
        snprintf(fail, n, "subscriber: %s", c->err);
    return rc;
}

/* 1: "message" or "pmessage"; 2: "subscribe", "psubscribe"; 0: HELLO's
 * map; -1: anything else. */
static int push_kind(const char *rep, size_t n)
{
    static const char *const kinds[] = {"$7\r\nmessage\r\n",
                                        "$8\r\npmessage\r\n",
                                        "$9\r\nsubscribe\r\n",
                                        "$10\r\npsubscribe\r\n"};
    const char *nl = memchr(rep, '\n', n);
    if (nl == NULL || (rep[0] != '*' && rep[0] != '>'))
        return rep[0] == '%' ? 0 : -1; /* HELLO 3's map */
    size_t rest = n - (size_t)(nl + 1 - rep);
    for (int i = 0; i < 4; i++) {
        size_t kl = strlen(kinds[i]);
        if (rest >= kl && memcmp(nl + 1, kinds[i], kl) == 0)
            return i < 2 ? 1 : 2;
    }
    return -1;
}

void *load_subscriber_main(void *arg)
{
    load_subscriber *s = arg;
    load_run *run = s->run;
    load_conn c[2];
    int confirmed = 0;
    for (int i = 0; i < 2; i++) {
        if (load_conn_open(&c[i], run->port, run->timeout_ms) != 0) {
            snprintf(s->fail, sizeof s->fail, "subscriber: %s", c[i].err);
            atomic_store_explicit(&run->failed, 1, memory_order_relaxed);
            if (i == 1)
                load_conn_close(&c[0]);
            return NULL;
        }
        if (subscribe(&c[i], i + 2, s->fail, sizeof s->fail) != 0)
            goto out;
    }
    /* Until main says the replica has caught up (so every message the
     * master published has been delivered); a flag: the counts are read
     * after the join. */
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed) &&
           !atomic_load_explicit(&run->failed, memory_order_relaxed)) {
        struct pollfd pf[2] = {{.fd = c[0].fd, .events = POLLIN},
                               {.fd = c[1].fd, .events = POLLIN}};
        if (poll(pf, 2, 100) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            const char *rep;
            size_t n;
            int got;
            while ((got = load_conn_try_reply(&c[i], &rep, &n)) == 1) {
                int kind = push_kind(rep, n);
                if (kind < 0) {
                    snprintf(s->fail, sizeof s->fail, "subscriber (RESP%d): "
                             "not a message: %.*s", i + 2,
                             (int)(n > 120 ? 120 : n), rep);
                    goto out;
                }
                if (kind == 1)
                    atomic_fetch_add_explicit(&s->messages, 1,
                                              memory_order_relaxed);
                /* three confirmations a connection (ch:0, ch:1, ch:*):
                 * then main starts the writers; release pairs with its
                 * acquire (nothing else is handed over, but it is the
                 * order a reader of the code expects) */
                if (kind == 2 && ++confirmed == 6)
                    atomic_store_explicit(&s->ready, 1, memory_order_release);
            }
            if (got < 0) {
                snprintf(s->fail, sizeof s->fail, "subscriber (RESP%d): %s",
                         i + 2, c[i].err);
                goto out;
            }
        }
    }
out:
    if (s->fail[0] != '\0')
        atomic_store_explicit(&run->failed, 1, memory_order_relaxed);
    load_conn_close(&c[0]);
    load_conn_close(&c[1]);
    return NULL;
}
