/* ch11_channels.c - chapter 11: the Pub/Sub registry: counts as Redis
 * replies them, delivery order, unsubscribe-all, disconnects, out of
 * memory, and serving threads subscribing while the replication thread
 * publishes. */
#include "server_channels.h"

#include "alloc.h"
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The registry never follows a client pointer: any distinct addresses do. */
static char clients[8];
#define CLI(i) ((server_client *)&clients[(i)])

/* What a publish delivered, in order. */
typedef struct delivery {
    server_client *c;
    char pattern[32]; /* "" for a plain message */
    int has_pattern;
    char chan[32];
    size_t clen;
    char msg[32];
} delivery;

typedef struct dlog {
    delivery d[32];
    size_t n;
} dlog;

static void record(server_client *c, const void *pattern, size_t plen,
                   const void *chan, size_t clen, const void *msg,
                   size_t mlen, void *arg)
{
    dlog *l = arg;
    ck_assert_uint_lt(l->n, 32);
    delivery *d = &l->d[l->n++];
    memset(d, 0, sizeof *d);
    d->c = c;
    d->has_pattern = pattern != NULL;
    if (pattern)
        memcpy(d->pattern, pattern, plen < 31 ? plen : 31);
    memcpy(d->chan, chan, clen < 31 ? clen : 31);
    d->clen = clen;
    memcpy(d->msg, msg, mlen < 31 ? mlen : 31);
}

static long sub(server_channels *r, int i, const char *name)
{
    return server_channels_subscribe(r, CLI(i), SERVER_CHAN_CHANNEL, name,
                                     strlen(name));
}

static long psub(server_channels *r, int i, const char *name)
{
    return server_channels_subscribe(r, CLI(i), SERVER_CHAN_PATTERN, name,
                                     strlen(name));
}

static size_t pub(server_channels *r, const char *chan, dlog *l)
{
    l->n = 0;
    return server_channels_publish(r, chan, strlen(chan), "m", 1, record, l);
}

START_TEST(counts_are_channels_plus_patterns)
{
    server_channels *r = server_channels_create();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(sub(r, 0, "a"), 1);
    ck_assert_int_eq(sub(r, 0, "a"), 1); /* again: no change */
    ck_assert_int_eq(sub(r, 0, "b"), 2);
    ck_assert_int_eq(psub(r, 0, "a"), 3); /* a pattern "a" is not channel a */
    ck_assert_int_eq(psub(r, 0, "a"), 3);
    ck_assert_int_eq(sub(r, 1, "a"), 1);
    ck_assert_uint_eq(server_channels_count(r, CLI(0)), 3);
    ck_assert_uint_eq(server_channels_count(r, CLI(2)), 0);
    ck_assert_uint_eq(server_channels_numsub(r, "a", 1), 2);
    ck_assert_uint_eq(server_channels_numsub(r, "b", 1), 1);
    ck_assert_uint_eq(server_channels_numsub(r, "c", 1), 0);
    server_channels_stats st;
    server_channels_get_stats(r, &st);
    ck_assert_uint_eq(st.channels, 2);
    ck_assert_uint_eq(st.patterns, 1);
    ck_assert_uint_eq(st.clients, 2);

    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(0),
                     SERVER_CHAN_CHANNEL, "a", 1), 2);
    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(0),
                     SERVER_CHAN_CHANNEL, "a", 1), 2); /* not subscribed */
    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(0),
                     SERVER_CHAN_CHANNEL, "zz", 2), 2);
    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(3),
                     SERVER_CHAN_CHANNEL, "a", 1), 0); /* unknown client */
    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(0),
                     SERVER_CHAN_CHANNEL, "b", 1), 1);
    ck_assert_int_eq(server_channels_unsubscribe(r, CLI(0),
                     SERVER_CHAN_PATTERN, "a", 1), 0);
    ck_assert_uint_eq(server_channels_numsub(r, "a", 1), 1);
    server_channels_get_stats(r, &st);
    ck_assert_uint_eq(st.channels, 1);
    ck_assert_uint_eq(st.patterns, 0);
    ck_assert_uint_eq(st.clients, 1);
    server_channels_destroy(r);
}
END_TEST

START_TEST(publish_reaches_channel_then_patterns_in_order)
{
    server_channels *r = server_channels_create();
    dlog l;
    ck_assert_uint_eq(pub(r, "news.it", &l), 0);
    ck_assert_uint_eq(l.n, 0);
    sub(r, 2, "news.it");
    sub(r, 0, "news.it");
    psub(r, 1, "news.*");
    psub(r, 0, "*");
    psub(r, 0, "news.??");
    psub(r, 1, "sport.*");
    /* channel subscribers first, in subscription order; then each matching
     * pattern in order of creation, each with its subscribers */
    ck_assert_uint_eq(pub(r, "news.it", &l), 5);
    ck_assert_uint_eq(l.n, 5);
    ck_assert_ptr_eq(l.d[0].c, CLI(2));
    ck_assert_int_eq(l.d[0].has_pattern, 0);
    ck_assert_str_eq(l.d[0].chan, "news.it");
    ck_assert_str_eq(l.d[0].msg, "m");
    ck_assert_ptr_eq(l.d[1].c, CLI(0));
    ck_assert_ptr_eq(l.d[2].c, CLI(1));
    ck_assert_str_eq(l.d[2].pattern, "news.*");
    ck_assert_int_eq(l.d[2].has_pattern, 1);
    ck_assert_ptr_eq(l.d[3].c, CLI(0));
    ck_assert_str_eq(l.d[3].pattern, "*");
    ck_assert_ptr_eq(l.d[4].c, CLI(0));
    ck_assert_str_eq(l.d[4].pattern, "news.??");
    /* a channel nobody subscribed to, reached by a pattern only */
    ck_assert_uint_eq(pub(r, "sport.f1", &l), 2);
    ck_assert_str_eq(l.d[0].pattern, "*");
    ck_assert_str_eq(l.d[1].pattern, "sport.*");
    /* glob is case-sensitive for channels */
    ck_assert_uint_eq(pub(r, "NEWS.it", &l), 1);
    ck_assert_str_eq(l.d[0].pattern, "*");
    /* a pattern created again after it died goes to the end of the order */
    server_channels_unsubscribe(r, CLI(1), SERVER_CHAN_PATTERN, "news.*", 6);
    psub(r, 2, "news.*");
    ck_assert_uint_eq(pub(r, "news.it", &l), 5);
    ck_assert_str_eq(l.d[2].pattern, "*");
    ck_assert_str_eq(l.d[3].pattern, "news.??");
    ck_assert_str_eq(l.d[4].pattern, "news.*");
    ck_assert_ptr_eq(l.d[4].c, CLI(2));
    server_channels_destroy(r);
}
END_TEST

START_TEST(binary_and_empty_names)
{
    server_channels *r = server_channels_create();
    dlog l = {0};
    ck_assert_int_eq(server_channels_subscribe(r, CLI(0), SERVER_CHAN_CHANNEL,
                                               "a\0b", 3), 1);
    ck_assert_int_eq(server_channels_subscribe(r, CLI(0), SERVER_CHAN_CHANNEL,
                                               "a", 1), 2);
    ck_assert_int_eq(server_channels_subscribe(r, CLI(0), SERVER_CHAN_CHANNEL,
                                               "", 0), 3);
    ck_assert_int_eq(server_channels_subscribe(r, CLI(1), SERVER_CHAN_PATTERN,
                                               "a\0*", 3), 1);
    ck_assert_uint_eq(server_channels_numsub(r, "a\0b", 3), 1);
    ck_assert_uint_eq(server_channels_numsub(r, "", 0), 1);
    ck_assert_uint_eq(server_channels_publish(r, "a\0bc", 4, "m", 1, record,
                                              &l), 1);
    ck_assert_int_eq(l.d[0].has_pattern, 1);
    ck_assert_uint_eq(l.d[0].clen, 4);
    l.n = 0;
    ck_assert_uint_eq(server_channels_publish(r, "a\0b", 3, "", 0, record,
                                              &l), 2);
    ck_assert_uint_eq(l.d[0].clen, 3);
    ck_assert_int_eq(memcmp(l.d[0].chan, "a\0b", 3), 0);
    l.n = 0;
    ck_assert_uint_eq(server_channels_publish(r, "", 0, "m", 1, record, &l),
                      1);
    ck_assert_uint_eq(l.d[0].clen, 0);
    server_channels_destroy(r);
}
END_TEST

/* unsubscribe_all's callback: names and counts, in order. */
typedef struct removed_log {
    char names[8][8];
    size_t counts[8];
    size_t n;
} removed_log;

static void on_removed(server_client *c, const void *name, size_t len,
                       size_t count, void *arg)
{
    removed_log *l = arg;
    ck_assert_ptr_eq(c, CLI(0));
    ck_assert_uint_lt(l->n, 8);
    memcpy(l->names[l->n], name, len < 7 ? len : 7);
    l->names[l->n][len < 7 ? len : 7] = '\0';
    l->counts[l->n++] = count;
}

START_TEST(unsubscribe_all_walks_subscription_order)
{
    server_channels *r = server_channels_create();
    removed_log l = {0};
    ck_assert_uint_eq(server_channels_unsubscribe_all(r, CLI(0),
                      SERVER_CHAN_CHANNEL, on_removed, &l), 0);
    sub(r, 0, "c3");
    sub(r, 0, "c1");
    psub(r, 0, "p*");
    sub(r, 0, "c2");
    sub(r, 1, "c1");
    ck_assert_uint_eq(server_channels_unsubscribe_all(r, CLI(0),
                      SERVER_CHAN_CHANNEL, on_removed, &l), 3);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.names[0], "c3");
    ck_assert_str_eq(l.names[1], "c1");
    ck_assert_str_eq(l.names[2], "c2");
    ck_assert_uint_eq(l.counts[0], 3); /* the pattern stays counted */
    ck_assert_uint_eq(l.counts[1], 2);
    ck_assert_uint_eq(l.counts[2], 1);
    ck_assert_uint_eq(server_channels_count(r, CLI(0)), 1);
    ck_assert_uint_eq(server_channels_numsub(r, "c1", 2), 1);
    ck_assert_uint_eq(server_channels_numsub(r, "c3", 2), 0);
    l.n = 0;
    ck_assert_uint_eq(server_channels_unsubscribe_all(r, CLI(0),
                      SERVER_CHAN_PATTERN, on_removed, &l), 1);
    ck_assert_str_eq(l.names[0], "p*");
    ck_assert_uint_eq(l.counts[0], 0);
    server_channels_stats st;
    server_channels_get_stats(r, &st);
    ck_assert_uint_eq(st.clients, 1);
    ck_assert_uint_eq(st.patterns, 0);
    ck_assert_uint_eq(server_channels_unsubscribe_all(r, CLI(0),
                      SERVER_CHAN_PATTERN, NULL, NULL), 0);
    server_channels_destroy(r);
}
END_TEST

START_TEST(drop_client_forgets_everything)
{
    server_channels *r = server_channels_create();
    dlog l;
    sub(r, 0, "a");
    sub(r, 0, "b");
    psub(r, 0, "*");
    sub(r, 1, "a");
    server_channels_drop_client(r, CLI(0));
    server_channels_drop_client(r, CLI(0)); /* twice: nothing */
    server_channels_drop_client(r, CLI(5)); /* never subscribed */
    ck_assert_uint_eq(server_channels_count(r, CLI(0)), 0);
    ck_assert_uint_eq(pub(r, "a", &l), 1);
    ck_assert_ptr_eq(l.d[0].c, CLI(1));
    ck_assert_uint_eq(pub(r, "b", &l), 0);
    server_channels_stats st;
    server_channels_get_stats(r, &st);
    ck_assert_uint_eq(st.channels, 1);
    ck_assert_uint_eq(st.patterns, 0);
    ck_assert_uint_eq(st.clients, 1);
    /* a dropped client may come back, from nothing */
    ck_assert_int_eq(sub(r, 0, "b"), 1);
    server_channels_destroy(r); /* frees what is left (Valgrind checks) */
    server_channels_destroy(NULL);
}
END_TEST

/* PUBSUB CHANNELS's walk: collect names. */
typedef struct names {
    char s[8][8];
    size_t n;
    size_t stop_after; /* 0: never */
} names;

static int collect(const void *name, size_t len, void *arg)
{
    names *ns = arg;
    ck_assert_uint_lt(ns->n, 8);
    memcpy(ns->s[ns->n], name, len);
    ns->s[ns->n][len] = '\0';
    ns->n++;
    return ns->stop_after && ns->n == ns->stop_after ? 7 : 0;
}

static int has(const names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->s[i], s) == 0)
            return 1;
    return 0;
}

START_TEST(list_channels_by_pattern)
{
    server_channels *r = server_channels_create();
    names ns = {0};
    ck_assert_int_eq(server_channels_list(r, NULL, 0, collect, &ns), 0);
    ck_assert_uint_eq(ns.n, 0);
    sub(r, 0, "news.it");
    sub(r, 1, "news.fr");
    sub(r, 1, "sport");
    psub(r, 2, "news.*"); /* patterns are not channels */
    ck_assert_int_eq(server_channels_list(r, NULL, 0, collect, &ns), 0);
    ck_assert_uint_eq(ns.n, 3);
    ck_assert(has(&ns, "news.it") && has(&ns, "news.fr") && has(&ns, "sport"));
    ns.n = 0;
    ck_assert_int_eq(server_channels_list(r, "news.*", 6, collect, &ns), 0);
    ck_assert_uint_eq(ns.n, 2);
    ck_assert(has(&ns, "news.it") && has(&ns, "news.fr"));
    ns.n = 0;
    ck_assert_int_eq(server_channels_list(r, "x*", 2, collect, &ns), 0);
    ck_assert_uint_eq(ns.n, 0);
    ns.stop_after = 1;
    ck_assert_int_eq(server_channels_list(r, "*", 1, collect, &ns), 7);
    ck_assert_uint_eq(ns.n, 1);
    server_channels_destroy(r);
}
END_TEST

/* A snapshot of what a client and the registry hold. */
static void snapshot(server_channels *r, size_t out[5])
{
    server_channels_stats st;
    server_channels_get_stats(r, &st);
    out[0] = st.channels;
    out[1] = st.patterns;
    out[2] = st.clients;
    out[3] = server_channels_count(r, CLI(0));
    out[4] = server_channels_numsub(r, "new", 3);
}

START_TEST(out_of_memory_changes_nothing)
{
    /* Every allocation a subscribe makes fails once, in each of the
     * situations it can meet: new client and new channel, known client
     * and new channel, new client and known channel, and the arrays full
     * (4 slots each to start). */
    for (int scene = 0; scene < 4; scene++) {
        for (unsigned long nth = 1;; nth++) {
            server_channels *r = server_channels_create();
            ck_assert_ptr_nonnull(r);
            if (scene == 1 || scene == 3)
                for (int i = 0; i < 4; i++) {
                    char name[8];
                    snprintf(name, sizeof name, "c%d", i);
                    sub(r, 0, name);
                }
            if (scene == 2)
                sub(r, 1, "new");
            if (scene == 3)
                for (int i = 1; i < 5; i++)
                    sub(r, i, "new");
            size_t before[5], after[5];
            snapshot(r, before);
            alloc_fail_nth(nth);
            long n = sub(r, 0, "new");
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            snapshot(r, after);
            if (fired == 0) {
                ck_assert_int_eq(n, (long)before[3] + 1);
                ck_assert_uint_eq(after[4], before[4] + 1);
                server_channels_destroy(r);
                ck_assert_uint_ge(nth, 2); /* some allocation was tried */
                break;
            }
            ck_assert_int_eq(n, -1);
            ck_assert_mem_eq(before, after, sizeof before);
            /* and the registry still works */
            ck_assert_int_eq(sub(r, 0, "new"), (long)before[3] + 1);
            server_channels_destroy(r);
        }
    }
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

/* A test client: its subscriptions as the serving thread believes them,
 * and a flag the deliver callback checks. */
typedef struct tclient {
    atomic_bool dropped;      /* set after drop_client returned */
    atomic_ulong received;    /* deliveries */
} tclient;

enum { T_THREADS = 4, T_CLIENTS = 4, T_NAMES = 6 };

static tclient tclients[T_THREADS][T_CLIENTS];
static tclient steady;              /* subscribed to "a" all along */
static atomic_ulong late_deliveries;
static atomic_bool publishing;
static atomic_ulong published_a;    /* publishes to "a" */
static const char *const t_names[T_NAMES] = {"a", "b", "c", "a*", "?", "*"};

static void t_deliver(server_client *c, const void *pattern, size_t plen,
                      const void *chan, size_t clen, const void *msg,
                      size_t mlen, void *arg)
{
    (void)pattern, (void)plen, (void)chan, (void)clen, (void)msg, (void)mlen;
    (void)arg;
    tclient *t = (tclient *)c;
    /* relaxed is enough: a serving thread stores false before the
     * subscribe that makes a delivery possible, and the registry's mutex
     * orders that subscribe before this call; true is stored only after
     * drop_client() returned, when no delivery can start. */
    if (atomic_load_explicit(&t->dropped, memory_order_relaxed))
        atomic_fetch_add_explicit(&late_deliveries, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->received, 1, memory_order_relaxed);
}

typedef struct worker {
    server_channels *r;
    int id;
    long rounds;
    unsigned long seed;
    long mismatches;
} worker;

static unsigned long next_rand(unsigned long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *serving_thread(void *arg)
{
    worker *w = arg;
    /* start once the publisher runs, so that the two overlap (relaxed:
     * the counter carries no data, and pthread_join orders the end) */
    while (atomic_load_explicit(&published_a, memory_order_relaxed) == 0)
        sched_yield();
    bool model[T_CLIENTS][T_NAMES] = {{false}};
    for (long i = 0; i < w->rounds; i++) {
        int ci = (int)(next_rand(&w->seed) % T_CLIENTS);
        int ni = (int)(next_rand(&w->seed) % T_NAMES);
        tclient *t = &tclients[w->id][ci];
        server_client *c = (server_client *)t;
        server_chan_kind kind = ni >= 3 ? SERVER_CHAN_PATTERN
                                        : SERVER_CHAN_CHANNEL;
        const char *name = t_names[ni];
        long expect = 0, got;
        switch (next_rand(&w->seed) % 8) {
        case 0:
            server_channels_drop_client(w->r, c);
            atomic_store_explicit(&t->dropped, true, memory_order_relaxed);
            memset(model[ci], 0, sizeof model[ci]);
            continue;
        case 1:
            server_channels_unsubscribe_all(w->r, c, kind, NULL, NULL);
            for (int k = 0; k < T_NAMES; k++)
                if ((k >= 3) == (kind == SERVER_CHAN_PATTERN))
                    model[ci][k] = false;
            got = (long)server_channels_count(w->r, c);
            break;
        case 2: case 3:
            got = server_channels_unsubscribe(w->r, c, kind, name,
                                              strlen(name));
            model[ci][ni] = false;
            break;
        default:
            atomic_store_explicit(&t->dropped, false, memory_order_relaxed);
            got = server_channels_subscribe(w->r, c, kind, name,
                                            strlen(name));
            model[ci][ni] = true;
            break;
        }
        for (int k = 0; k < T_NAMES; k++)
            expect += model[ci][k];
        if (got != expect)
            w->mismatches++;
    }
    for (int ci = 0; ci < T_CLIENTS; ci++) {
        server_channels_drop_client(w->r, (server_client *)&tclients[w->id][ci]);
        atomic_store_explicit(&tclients[w->id][ci].dropped, true,
                              memory_order_relaxed);
    }
    return NULL;
}

static void *publishing_thread(void *arg)
{
    server_channels *r = arg;
    unsigned long n = 0;
    /* acquire is not needed for a stop flag that guards no data; relaxed
     * and the join afterwards are enough. */
    while (atomic_load_explicit(&publishing, memory_order_relaxed)) {
        const char *chan = t_names[n++ % 3];
        server_channels_publish(r, chan, 1, "msg", 3, t_deliver, NULL);
        if (chan[0] == 'a')
            atomic_fetch_add_explicit(&published_a, 1, memory_order_relaxed);
        if (n % 64 == 0) { /* the queries, concurrently with the rest */
            server_channels_stats st;
            server_channels_get_stats(r, &st);
            (void)server_channels_numsub(r, "a", 1);
        }
    }
    return NULL;
}

START_TEST(threads_subscribe_while_one_publishes)
{
    server_channels *r = server_channels_create();
    memset(tclients, 0, sizeof tclients);
    memset(&steady, 0, sizeof steady);
    atomic_store(&late_deliveries, 0);
    atomic_store(&published_a, 0);
    atomic_store(&publishing, true);
    ck_assert_int_eq(server_channels_subscribe(r, (server_client *)&steady,
                                               SERVER_CHAN_CHANNEL, "a", 1),
                     1);
    pthread_t pub_t, serve[T_THREADS];
    worker w[T_THREADS];
    ck_assert_int_eq(pthread_create(&pub_t, NULL, publishing_thread, r), 0);
    for (int i = 0; i < T_THREADS; i++) {
        w[i] = (worker){.r = r, .id = i, .rounds = test_scale(20000, 500),
                        .seed = 0x9e3779b97f4a7c15ul * (unsigned long)(i + 1)};
        ck_assert_int_eq(pthread_create(&serve[i], NULL, serving_thread,
                                        &w[i]), 0);
    }
    for (int i = 0; i < T_THREADS; i++)
        pthread_join(serve[i], NULL);
    atomic_store(&publishing, false);
    pthread_join(pub_t, NULL);
    for (int i = 0; i < T_THREADS; i++)
        ck_assert_int_eq(w[i].mismatches, 0);
    ck_assert_uint_eq(atomic_load(&late_deliveries), 0);
    /* every message to "a" reached the steady subscriber exactly once,
     * whatever the others did meanwhile */
    ck_assert_uint_gt(atomic_load(&published_a), 0);
    ck_assert_uint_eq(atomic_load(&steady.received),
                      atomic_load(&published_a));
    server_channels_drop_client(r, (server_client *)&steady);
    server_channels_stats st;
    server_channels_get_stats(r, &st);
    ck_assert_uint_eq(st.channels, 0);
    ck_assert_uint_eq(st.patterns, 0);
    ck_assert_uint_eq(st.clients, 0);
    server_channels_destroy(r);
}
END_TEST

Suite *ch11_channels_suite(void)
{
    Suite *s = suite_create("ch11_channels");
    TCase *tc = test_tcase("semantics", 10);
    tcase_add_test(tc, counts_are_channels_plus_patterns);
    tcase_add_test(tc, publish_reaches_channel_then_patterns_in_order);
    tcase_add_test(tc, binary_and_empty_names);
    tcase_add_test(tc, unsubscribe_all_walks_subscription_order);
    tcase_add_test(tc, drop_client_forgets_everything);
    tcase_add_test(tc, list_channels_by_pattern);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    suite_add_tcase(s, tc);
    tc = test_tcase("threads", 60);
    tcase_add_test(tc, threads_subscribe_while_one_publishes);
    suite_add_tcase(s, tc);
    return s;
}
