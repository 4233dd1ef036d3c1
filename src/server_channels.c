/* server_channels.c - the Pub/Sub registry: channels, patterns, subscribers.
 * Chapter 11.
 *
 * Three tables under one mutex.  `names[kind]` maps a channel (or a
 * pattern) to its entry: the name's bytes and its subscribers in
 * subscription order.  `clients` maps a client pointer to its record: the
 * entries it subscribed to, per kind, in its own order.  Each subscription
 * is written twice, once on each side, because each side is walked by a
 * different question: publishing asks "who listens to this channel?",
 * UNSUBSCRIBE without arguments and a disconnect ask "what does this
 * client listen to?".  Patterns are also chained in the order they first
 * appeared, because publishing must try every pattern and should try them
 * in an order that does not depend on the hash function.
 *
 * Arrays rather than lists: a subscriber list is walked on every message
 * and changed only on (un)subscribe, and an array walks in cache order.
 * Removing keeps the order (memmove), O(N) as Redis 7.0's list search.
 *
 * Failure atomicity: subscribe reserves every allocation it may need
 * (a new client record, a new entry, room in both arrays, room in the
 * maps) before it links anything, so running out of memory changes
 * nothing.  Unsubscribing only frees memory and cannot fail.
 */
#include "server_channels.h"

#include "alloc.h"
#include "glob.h"
#include "map.h"

#include <pthread.h>
#include <string.h>

/* One channel or pattern with at least one subscriber. */
typedef struct chan_entry {
    unsigned char *name;        /* the bytes (owned; map key) */
    size_t len;                 /* their count */
    server_client **subs;       /* subscribers, in subscription order */
    size_t nsubs;               /* how many */
    size_t cap;                 /* room in subs */
    struct chan_entry *prev;    /* patterns only: the order of creation */
    struct chan_entry *next;
} chan_entry;

/* One client subscribed to at least one channel or pattern. */
typedef struct client_rec {
    server_client *client;      /* the key's bytes are this pointer's */
    chan_entry **subs[2];       /* per kind, in the client's order */
    size_t n[2];                /* how many of each */
    size_t cap[2];              /* room */
} client_rec;

struct server_channels {
    pthread_mutex_t mu;         /* guards everything below */
    map names[2];               /* kind -> name -> chan_entry */
    map clients;                /* &rec->client bytes -> client_rec */
    chan_entry *pat_first;      /* patterns in order of creation */
    chan_entry *pat_last;
};

/* ---- small helpers (mutex held) ----------------------------------------- */

/* Make room for one more subscriber of e. */
static int grow_subs(chan_entry *e)
{
    if (e->nsubs < e->cap)
        return 0;
    size_t ncap = e->cap ? e->cap * 2 : 4;
    server_client **p = xrealloc(e->subs, ncap * sizeof *p);
    if (p == NULL)
        return -1;
    e->subs = p;
    e->cap = ncap;
    return 0;
}

/* Make room for one more subscription of cr's kind. */
static int grow_rec(client_rec *cr, server_chan_kind kind)
{
    if (cr->n[kind] < cr->cap[kind])
        return 0;
    size_t ncap = cr->cap[kind] ? cr->cap[kind] * 2 : 4;
    chan_entry **p = xrealloc(cr->subs[kind], ncap * sizeof *p);
    if (p == NULL)
        return -1;
    cr->subs[kind] = p;
    cr->cap[kind] = ncap;
    return 0;
}

/* Remove element i of an array of n elements of size sz, keeping the
 * order of the rest. */
static void remove_at(void *arr, size_t sz, size_t i, size_t n)
{
    unsigned char *a = arr;
    memmove(a + i * sz, a + (i + 1) * sz, (n - i - 1) * sz);
}

static client_rec *find_client(const server_channels *r, server_client *c)
{
    map_entry *e = map_find(&r->clients, &c, sizeof c);
    return e ? e->val : NULL;
}

static chan_entry *find_entry(const server_channels *r, server_chan_kind kind,
                              const void *name, size_t len)
{
    map_entry *e = map_find(&r->names[kind], len ? name : "", len);
    return e ? e->val : NULL;
}

static size_t rec_total(const client_rec *cr)
{
    return cr ? cr->n[0] + cr->n[1] : 0;
}

static void free_entry(chan_entry *e)
{
    if (e) {
        free(e->name);
        free(e->subs);
        free(e);
    }
}

static void free_rec(client_rec *cr)
{
    if (cr) {
        free(cr->subs[0]);
        free(cr->subs[1]);
        free(cr);
    }
}

/* Take c off e's subscribers; free e when it has none left. */
static void entry_drop_sub(server_channels *r, server_chan_kind kind,
                           chan_entry *e, server_client *c)
{
    for (size_t i = 0; i < e->nsubs; i++) {
        if (e->subs[i] == c) {
            remove_at(e->subs, sizeof *e->subs, i, e->nsubs);
            e->nsubs--;
            break;
        }
    }
    if (e->nsubs > 0)
        return;
    map_remove(&r->names[kind], e->name, e->len, NULL);
    if (kind == SERVER_CHAN_PATTERN) {
        if (e->prev) e->prev->next = e->next; else r->pat_first = e->next;
        if (e->next) e->next->prev = e->prev; else r->pat_last = e->prev;
    }
    free_entry(e);
}

/* Forget the client's record once it holds nothing. */
static void rec_release_if_empty(server_channels *r, client_rec *cr)
{
    if (rec_total(cr) != 0)
        return;
    map_remove(&r->clients, &cr->client, sizeof cr->client, NULL);
    free_rec(cr);
}

/* ---- the registry ------------------------------------------------------- */

server_channels *server_channels_create(void)
{
    server_channels *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return NULL;
    }
    /* map_init with 0 expected keys allocates nothing and cannot fail. */
    map_init(&r->names[0], 0, NULL);
    map_init(&r->names[1], 0, NULL);
    map_init(&r->clients, 0, NULL);
    return r;
}

void server_channels_destroy(server_channels *r)
{
    if (r == NULL)
        return;
    for (int k = 0; k < 2; k++) {
        size_t pos = 0;
        map_entry *e;
        while ((e = map_next(&r->names[k], &pos)) != NULL)
            free_entry(e->val);
        map_release(&r->names[k]);
    }
    size_t pos = 0;
    map_entry *e;
    while ((e = map_next(&r->clients, &pos)) != NULL)
        free_rec(e->val);
    map_release(&r->clients);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* Subscribe, mutex held.  Returns the new total or -1 (nothing changed). */
static long subscribe_locked(server_channels *r, server_client *c,
                             server_chan_kind kind, const void *name,
                             size_t len)
{
    client_rec *cr = find_client(r, c);
    chan_entry *e = find_entry(r, kind, name, len);
    if (cr != NULL && e != NULL) {
        for (size_t i = 0; i < cr->n[kind]; i++)
            if (cr->subs[kind][i] == e)
                return (long)rec_total(cr); /* already subscribed */
    }
    /* Reserve everything first: new objects, array room, map room. */
    client_rec *new_cr = NULL;
    chan_entry *new_e = NULL;
    if (cr == NULL) {
        new_cr = xcalloc(1, sizeof *new_cr);
        if (new_cr == NULL || map_reserve(&r->clients, 1) != 0)
            goto nomem;
        new_cr->client = c;
        cr = new_cr;
    }
    if (e == NULL) {
        new_e = xcalloc(1, sizeof *new_e);
        if (new_e == NULL)
            goto nomem;
        new_e->name = xmalloc(len ? len : 1);
        if (new_e->name == NULL || map_reserve(&r->names[kind], 1) != 0)
            goto nomem;
        if (len)
            memcpy(new_e->name, name, len);
        new_e->len = len;
        e = new_e;
    }
    if (grow_subs(e) != 0 || grow_rec(cr, kind) != 0)
        goto nomem;
    /* Link: nothing below allocates (the maps have room). */
    if (new_cr)
        map_insert(&r->clients, &new_cr->client, sizeof new_cr->client,
                   new_cr);
    if (new_e) {
        map_insert(&r->names[kind], new_e->name, new_e->len, new_e);
        if (kind == SERVER_CHAN_PATTERN) {
            new_e->prev = r->pat_last;
            if (r->pat_last) r->pat_last->next = new_e; else r->pat_first = new_e;
            r->pat_last = new_e;
        }
    }
    e->subs[e->nsubs++] = c;
    cr->subs[kind][cr->n[kind]++] = e;
    return (long)rec_total(cr);
nomem:
    /* The arrays of existing objects may have grown: harmless room. */
    free_entry(new_e);
    free_rec(new_cr);
    return -1;
}

long server_channels_subscribe(server_channels *r, server_client *c,
                               server_chan_kind kind, const void *name,
                               size_t len)
{
    pthread_mutex_lock(&r->mu);
    long n = subscribe_locked(r, c, kind, name, len);
    pthread_mutex_unlock(&r->mu);
    return n;
}

long server_channels_unsubscribe(server_channels *r, server_client *c,
                                 server_chan_kind kind, const void *name,
                                 size_t len)
{
    pthread_mutex_lock(&r->mu);
    client_rec *cr = find_client(r, c);
    chan_entry *e = cr ? find_entry(r, kind, name, len) : NULL;
    long left = (long)rec_total(cr);
    if (e != NULL) {
        for (size_t i = 0; i < cr->n[kind]; i++) {
            if (cr->subs[kind][i] == e) {
                remove_at(cr->subs[kind], sizeof *cr->subs[kind], i,
                          cr->n[kind]);
                cr->n[kind]--;
                entry_drop_sub(r, kind, e, c);
                left = (long)rec_total(cr);
                rec_release_if_empty(r, cr);
                break;
            }
        }
    }
    pthread_mutex_unlock(&r->mu);
    return left;
}

size_t server_channels_unsubscribe_all(server_channels *r, server_client *c,
                                       server_chan_kind kind,
                                       server_chan_removed_fn *fn, void *arg)
{
    pthread_mutex_lock(&r->mu);
    client_rec *cr = find_client(r, c);
    size_t removed = 0;
    if (cr != NULL) {
        /* Walk the client's list from the front, so fn sees the
         * subscription order; the names stay valid until the entry is
         * dropped, which is after fn when we are its last subscriber. */
        size_t n = cr->n[kind];
        chan_entry **subs = cr->subs[kind];
        size_t other = cr->n[kind == SERVER_CHAN_CHANNEL];
        for (size_t i = 0; i < n; i++) {
            chan_entry *e = subs[i];
            if (fn)
                fn(c, e->name, e->len, other + (n - i - 1), arg);
            entry_drop_sub(r, kind, e, c);
        }
        cr->n[kind] = 0;
        removed = n;
        rec_release_if_empty(r, cr);
    }
    pthread_mutex_unlock(&r->mu);
    return removed;
}

void server_channels_drop_client(server_channels *r, server_client *c)
{
    pthread_mutex_lock(&r->mu);
    client_rec *cr = find_client(r, c);
    if (cr != NULL) {
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < cr->n[k]; i++)
                entry_drop_sub(r, (server_chan_kind)k, cr->subs[k][i], c);
            cr->n[k] = 0;
        }
        rec_release_if_empty(r, cr);
    }
    pthread_mutex_unlock(&r->mu);
}

size_t server_channels_count(server_channels *r, server_client *c)
{
    pthread_mutex_lock(&r->mu);
    size_t n = rec_total(find_client(r, c));
    pthread_mutex_unlock(&r->mu);
    return n;
}

size_t server_channels_publish(server_channels *r, const void *chan,
                               size_t clen, const void *msg, size_t mlen,
                               server_chan_deliver_fn *deliver, void *arg)
{
    size_t receivers = 0;
    pthread_mutex_lock(&r->mu);
    chan_entry *e = find_entry(r, SERVER_CHAN_CHANNEL, chan, clen);
    if (e != NULL) {
        for (size_t i = 0; i < e->nsubs; i++)
            deliver(e->subs[i], NULL, 0, chan, clen, msg, mlen, arg);
        receivers += e->nsubs;
    }
    for (chan_entry *p = r->pat_first; p != NULL; p = p->next) {
        if (!glob_match((const char *)p->name, p->len, clen ? chan : "", clen,
                        false))
            continue;
        for (size_t i = 0; i < p->nsubs; i++)
            deliver(p->subs[i], p->name, p->len, chan, clen, msg, mlen, arg);
        receivers += p->nsubs;
    }
    pthread_mutex_unlock(&r->mu);
    return receivers;
}

int server_channels_list(server_channels *r, const void *pattern,
                         size_t plen, server_chan_name_fn *fn, void *arg)
{
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    size_t pos = 0;
    map_entry *me;
    while (rc == 0 && (me = map_next(&r->names[SERVER_CHAN_CHANNEL], &pos))) {
        const chan_entry *e = me->val;
        if (pattern == NULL ||
            glob_match(pattern, plen, (const char *)e->name, e->len, false))
            rc = fn(e->name, e->len, arg);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

size_t server_channels_numsub(server_channels *r, const void *chan,
                              size_t len)
{
    pthread_mutex_lock(&r->mu);
    const chan_entry *e = find_entry(r, SERVER_CHAN_CHANNEL, chan, len);
    size_t n = e ? e->nsubs : 0;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void server_channels_get_stats(server_channels *r, server_channels_stats *out)
{
    pthread_mutex_lock(&r->mu);
    out->channels = r->names[SERVER_CHAN_CHANNEL].count;
    out->patterns = r->names[SERVER_CHAN_PATTERN].count;
    out->clients = r->clients.count;
    pthread_mutex_unlock(&r->mu);
}
