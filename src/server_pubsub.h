/* server_pubsub.h - Pub/Sub frames, and the registry the handlers use.
 * Chapter 11.
 *
 * The Pub/Sub commands (server_pubsub.c: SUBSCRIBE, PSUBSCRIBE,
 * UNSUBSCRIBE, PUNSUBSCRIBE, PUBSUB) keep their state in the server's
 * registry (server_channels.h), which they reach through
 * server_get_channels(x->srv).  The server core delivers the master's
 * messages with server_pubsub_message(), which writes the frame a
 * subscriber expects, exactly as Redis 7.0 writes it (redis/redis
 * src/pubsub.c): ["message", channel, payload] or ["pmessage", pattern,
 * channel, payload], an array in RESP2 and a push frame (">") in RESP3.
 *
 * Handler tests run without a server (x->srv NULL): they hand the
 * handlers a registry with server_pubsub_use_channels(), and set
 * x->client to any distinct non-NULL pointer per simulated client (the
 * registry compares client pointers and never follows them).
 *
 * Thread-safety: server_pubsub_message() touches only its buffer;
 * server_pubsub_use_channels() is for a test's setup, before handlers run.
 */
#ifndef SERVER_PUBSUB_H
#define SERVER_PUBSUB_H

#include "reply.h"
#include "server_channels.h"

#include <stddef.h>

/**
 * Append one message frame, as a subscriber receives it.
 * \param out     the subscriber's reply buffer (its protocol decides
 *                array or push).
 * \param pattern the pattern that matched, or NULL for a "message".
 * \param plen    its length.
 * \param chan    the channel.
 * \param clen    its length.
 * \param msg     the message.
 * \param mlen    its length.
 * \return 0, or -1 when out of memory (out as it was).
 */
int server_pubsub_message(reply_buf *out, const void *pattern, size_t plen,
                          const void *chan, size_t clen, const void *msg,
                          size_t mlen);

/**
 * The registry the Pub/Sub handlers use when x->srv is NULL (handler
 * tests).  Without one, they reply "-ERR Pub/Sub is not available".
 * \param r the registry (not owned), or NULL to forget it.
 */
void server_pubsub_use_channels(server_channels *r);

#endif
