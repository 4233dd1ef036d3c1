/* values_redis.h - a real redis-server's MEMORY USAGE of the collections build/values-bench measures.
 * Chapter 8.
 *
 * One private server for the whole run (values_redis.c): open, ask for
 * each collection, close.  Single-threaded, like the rest of the bench.
 */
#ifndef VALUES_REDIS_H
#define VALUES_REDIS_H

#include <stddef.h>

/** What the server says of one collection. */
typedef struct vb_redis_fig {
    long bytes;         /**< MEMORY USAGE key SAMPLES 0 */
    char encoding[32];  /**< OBJECT ENCODING key */
} vb_redis_fig;

/**
 * Start a private redis-server (free loopback port, temporary directory,
 * stopped at exit whatever happens) and connect to it.
 * \param err receives the reason on failure. \param errlen its size.
 * \return 0, or -1 (nothing left running).
 */
int vb_redis_open(char *err, size_t errlen);

/**
 * Build a collection of n elements in the server (pipelined writes),
 * check its length, ask MEMORY USAGE and OBJECT ENCODING, delete it.
 * \param type "list", "hash" or "zset".
 * \param n    elements.
 * \param fig  receives the figures.
 * \param err  receives the reason on failure (an error reply is quoted).
 * \param errlen its size.
 * \return 0, or -1.
 */
int vb_redis_usage(const char *type, long n, vb_redis_fig *fig, char *err,
                   size_t errlen);

/** The server's version (INFO server). \param out receives it ("unknown"
 *  on failure). \param outlen its size. \return 0 or -1. */
int vb_redis_version(char *out, size_t outlen);

/** Disconnect and stop the server (safe when none runs). */
void vb_redis_close(void);

#endif
