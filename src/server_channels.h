/* server_channels.h - the Pub/Sub registry: who listens to which channel.
 * Chapter 11.
 *
 * A replica does not publish; its master does, and the replication stream
 * carries each PUBLISH to the replica, which delivers it to its own
 * subscribers (chapter 10's on_publish).  So the registry has two kinds of
 * users on different threads: the serving threads, where clients
 * SUBSCRIBE and UNSUBSCRIBE, and the replication thread, which publishes.
 *
 * What it holds, as Redis does (redis/redis src/pubsub.c): channel name ->
 * its subscribers in subscription order; pattern -> its subscribers, the
 * patterns in the order they first appeared; and per client, its channels
 * and its patterns in the order it subscribed (what UNSUBSCRIBE without
 * arguments walks).  A client is a `server_client *` the registry never
 * dereferences: the server core owns the clients, the registry only
 * compares the pointers.  Unsubscribing from a channel with N subscribers
 * costs O(N), as in Redis 7.0, whose subscriber lists are linked lists;
 * publishing costs O(subscribers of the channel + number of patterns).
 *
 * Locking.  One mutex guards the whole registry, held only while a call
 * walks or changes it.  server_channels_publish() calls its deliver
 * callback with the mutex held, which is what makes drop_client safe: once
 * server_channels_drop_client() returns, no delivery to that client is
 * running or will start, so the core may free it.  The price is a rule
 * for the callback: it must not block (the core copies the message into
 * the client's loop mailbox and wakes the loop) and must not call back
 * into the registry.  Lock order: registry mutex, then whatever the
 * deliver callback takes (a loop's mailbox lock); never the other way
 * round, so the core must not call the registry while it holds a mailbox
 * lock.  The other callbacks (unsubscribe_all's, list's) run with the
 * mutex held too, on the calling thread: they append to that client's
 * reply buffer and nothing else.
 *
 * Memory: names are copied in; an out-of-memory failure leaves the
 * registry as it was.
 *
 * Thread-safety: every function may be called from any thread, except
 * server_channels_destroy() (no other call may run or follow).
 */
#ifndef SERVER_CHANNELS_H
#define SERVER_CHANNELS_H

#include "server_cmd.h"

#include <stdbool.h>
#include <stddef.h>

/** The registry. */
typedef struct server_channels server_channels;

/** A channel name, or a glob pattern (glob.h) for PSUBSCRIBE. */
typedef enum server_chan_kind {
    SERVER_CHAN_CHANNEL, /**< SUBSCRIBE / UNSUBSCRIBE */
    SERVER_CHAN_PATTERN, /**< PSUBSCRIBE / PUNSUBSCRIBE */
} server_chan_kind;

/**
 * Deliver one message to one subscriber (server_channels_publish()).
 * Called with the registry's mutex held: must not block, must not call
 * the registry.  The bytes are valid only during the call (copy them).
 * \param c       the subscriber.
 * \param pattern the pattern that matched (a "pmessage"), or NULL when c
 *                subscribed to the channel itself (a "message").
 * \param plen    the pattern's length (0 when NULL).
 * \param chan    the channel.
 * \param clen    its length.
 * \param msg     the message.
 * \param mlen    its length.
 * \param arg     server_channels_publish()'s arg.
 */
typedef void server_chan_deliver_fn(server_client *c, const void *pattern,
                                    size_t plen, const void *chan,
                                    size_t clen, const void *msg,
                                    size_t mlen, void *arg);

/**
 * Told of each channel or pattern server_channels_unsubscribe_all()
 * removed, in the client's subscription order (mutex held).
 * \param c     the client.
 * \param name  the channel or pattern.
 * \param len   its length.
 * \param count the client's channels + patterns left after this one (what
 *              Redis puts in the ["unsubscribe", name, count] reply).
 * \param arg   server_channels_unsubscribe_all()'s arg.
 */
typedef void server_chan_removed_fn(server_client *c, const void *name,
                                    size_t len, size_t count, void *arg);

/**
 * Told of each channel server_channels_list() found (mutex held).
 * \param name the channel.
 * \param len  its length.
 * \param arg  server_channels_list()'s arg.
 * \return 0 to go on, non-zero to stop the walk.
 */
typedef int server_chan_name_fn(const void *name, size_t len, void *arg);

/**
 * Make an empty registry.
 * \return it (free with server_channels_destroy()), or NULL (ENOMEM).
 */
server_channels *server_channels_create(void);

/**
 * Free the registry and everything in it (the clients are not touched).
 * No other call may run concurrently or follow.
 * \param r the registry; NULL does nothing.
 */
void server_channels_destroy(server_channels *r);

/**
 * Subscribe a client to a channel or a pattern (again: no change).
 * \param r    the registry.
 * \param c    the client.
 * \param kind channel or pattern.
 * \param name its bytes (binary-safe, copied).
 * \param len  their length.
 * \return the client's channels + patterns afterwards (Redis's reply
 *         count), or -1 when out of memory (nothing changed).
 */
long server_channels_subscribe(server_channels *r, server_client *c,
                               server_chan_kind kind, const void *name,
                               size_t len);

/**
 * Unsubscribe a client from a channel or a pattern (not subscribed: no
 * change, which Redis answers all the same).
 * \param r    the registry.
 * \param c    the client.
 * \param kind channel or pattern.
 * \param name its bytes.
 * \param len  their length.
 * \return the client's channels + patterns afterwards (never fails).
 */
long server_channels_unsubscribe(server_channels *r, server_client *c,
                                 server_chan_kind kind, const void *name,
                                 size_t len);

/**
 * Unsubscribe a client from all its channels, or all its patterns
 * (UNSUBSCRIBE / PUNSUBSCRIBE without arguments), telling fn of each in
 * subscription order.
 * \param r    the registry.
 * \param c    the client.
 * \param kind which of the two.
 * \param fn   called once per removed name (may be NULL).
 * \param arg  its arg.
 * \return how many were removed (0: the caller replies [kind, nil, count]
 *         as Redis does).
 */
size_t server_channels_unsubscribe_all(server_channels *r, server_client *c,
                                       server_chan_kind kind,
                                       server_chan_removed_fn *fn, void *arg);

/**
 * Forget a client that disconnects: every channel and pattern.  When it
 * returns, no deliver callback for c is running or will be made.
 * \param r the registry.
 * \param c the client.
 */
void server_channels_drop_client(server_channels *r, server_client *c);

/**
 * The client's subscriptions (channels + patterns): non-zero means a
 * RESP2 client is in subscribed mode.
 * \param r the registry.
 * \param c the client.
 * \return the count.
 */
size_t server_channels_count(server_channels *r, server_client *c);

/**
 * Deliver a message: to each subscriber of the channel, in subscription
 * order, then to each subscriber of each matching pattern (glob_match(),
 * case-sensitive), patterns in order of first subscription.  A client
 * subscribed to the channel and to two matching patterns gets it three
 * times, as from Redis.
 * \param r       the registry.
 * \param chan    the channel.
 * \param clen    its length.
 * \param msg     the message.
 * \param mlen    its length.
 * \param deliver called once per receiver, mutex held (see above).
 * \param arg     its arg.
 * \return the number of deliveries (what PUBLISH replies with).
 */
size_t server_channels_publish(server_channels *r, const void *chan,
                               size_t clen, const void *msg, size_t mlen,
                               server_chan_deliver_fn *deliver, void *arg);

/**
 * PUBSUB CHANNELS: each channel with at least one subscriber whose name
 * matches the pattern, in no particular order.
 * \param r       the registry.
 * \param pattern glob pattern, or NULL for every channel.
 * \param plen    its length.
 * \param fn      called per channel (mutex held); non-zero stops.
 * \param arg     its arg.
 * \return 0, or fn's non-zero return that stopped the walk.
 */
int server_channels_list(server_channels *r, const void *pattern,
                         size_t plen, server_chan_name_fn *fn, void *arg);

/**
 * PUBSUB NUMSUB for one channel.
 * \param r    the registry.
 * \param chan the channel.
 * \param len  its length.
 * \return its subscribers (patterns not counted, as Redis).
 */
size_t server_channels_numsub(server_channels *r, const void *chan,
                              size_t len);

/** Counts for PUBSUB NUMPAT and INFO. */
typedef struct server_channels_stats {
    size_t channels; /**< channels with subscribers (INFO pubsub_channels) */
    size_t patterns; /**< distinct patterns with subscribers (NUMPAT,
                          INFO pubsub_patterns; Redis 7.0 counts each
                          pattern once) */
    size_t clients;  /**< clients subscribed to anything (INFO
                          pubsub_clients) */
} server_channels_stats;

/**
 * The registry's sizes, read together under the mutex.
 * \param r   the registry.
 * \param out receives them.
 */
void server_channels_get_stats(server_channels *r,
                               server_channels_stats *out);

#endif
