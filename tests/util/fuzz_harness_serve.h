/* fuzz_harness_serve.h - a client's bytes through the server's real input path.
 * Chapter 12.
 *
 * The harness behind the fuzz_serve libFuzzer target and the regression
 * suite ch12_regress.  It builds a read-only server over a small dataset
 * of every type (never started: no threads), and for each input connects
 * one client through a socketpair handed to the server's own accept code,
 * writes the input in pieces (whole, byte by byte, or random splits, so
 * frames arrive cut anywhere), and drives the loop on the calling thread
 * with server_loop_poll() until it settles: the real reads, parser,
 * inline splitting, dispatch, replies, blocking, Pub/Sub mail and ticks.
 * Then it half-closes the client, lets the server close it, and checks
 * that the reply stream is whole, well-formed RESP (tests/util/
 * resp_scan.h), that the server holds no client and the dataset is
 * byte-for-byte what it was (the server is read-only).
 *
 * Thread-safety: one thread uses a harness (it is the server's loop).
 */
#ifndef TEST_FUZZ_HARNESS_SERVE_H
#define TEST_FUZZ_HARNESS_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A server over the fixed dataset, driven by fuzz_serve_run(). */
typedef struct fuzz_serve fuzz_serve;

/** What one run produced. */
typedef struct fuzz_serve_result {
    char *replies;     /**< every byte the server sent (owned: free()) */
    size_t len;        /**< their length */
    size_t nreplies;   /**< complete replies in it */
    bool closed_by_server; /**< the server closed before our half-close */
} fuzz_serve_result;

/**
 * Build the dataset and two servers over it, one without a password and
 * one with requirepass "pw".
 * \param err   receives why it failed.
 * \param errsz size of err.
 * \return the harness, or NULL.
 */
fuzz_serve *fuzz_serve_create(char *err, size_t errsz);

/**
 * Feed one input as a client's bytes.  Byte 0 picks the server (bit 7:
 * the password one) and the way the rest is cut into writes (bits 0-1:
 * whole, one byte at a time, pieces of 1-16 bytes, pieces of 1-256 bytes,
 * bits 2-6 seeding the cuts); bytes 1.. are what the client sends.
 * \param f     the harness.
 * \param data  the input.
 * \param size  its length (0 does nothing).
 * \param res   receives the reply stream (may be NULL; else free
 *              res->replies).
 * \param err   receives what broke.
 * \param errsz size of err.
 * \return 0 when every check held, -1 otherwise (err says which).
 */
int fuzz_serve_run(fuzz_serve *f, const uint8_t *data, size_t size,
                   fuzz_serve_result *res, char *err, size_t errsz);

/**
 * Stop and free everything.
 * \param f the harness; NULL does nothing.
 */
void fuzz_serve_destroy(fuzz_serve *f);

#endif
