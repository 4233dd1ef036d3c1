/* hash.h - SipHash, the keyed hash every map in the course uses.
 * Chapter 1.
 *
 * A replica stores keys chosen by whoever writes to the master, and a server
 * built on it answers keys chosen by its clients.  With a fixed, public hash
 * function (FNV, djb2, murmur with a constant seed) an attacker can pick many
 * keys that land in one bucket and turn every lookup into a linear scan:
 * "hash flooding", or HashDoS (Crosby and Wallach, 2003; Klink and Waelde,
 * 28C3, 2011).  SipHash (Aumasson and Bernstein, 2012) is a pseudo-random
 * function keyed by a secret 128-bit key, so without the key nobody can
 * predict collisions.  Redis uses SipHash-1-3 for the same reason; so do we:
 * one compression round per 8-byte word and three finalization rounds is
 * enough for hash-table use and about twice as fast as SipHash-2-4.  The key
 * is drawn from the kernel's random source once per process.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

/**
 * SipHash-c-d of a byte string under a 128-bit key.
 *
 * Generic in the number of rounds so that a test can check SipHash-2-4
 * against the published test vectors and trust SipHash-1-3, which differs
 * only in the round counts.
 *
 * \param key      16-byte key.
 * \param c_rounds compression rounds per 8-byte block (1 for SipHash-1-3).
 * \param d_rounds finalization rounds (3 for SipHash-1-3).
 * \param data     bytes to hash; may be NULL when len is 0.
 * \param len      number of bytes.
 * \return the 64-bit hash.
 *
 * Thread-safety: pure function, safe from any thread.
 */
uint64_t hash_siphash(const uint8_t key[16], int c_rounds, int d_rounds,
                      const void *data, size_t len);

/**
 * Hash a key with SipHash-1-3 under this process's secret key.
 *
 * The secret is read from getrandom() on first use (falling back to the
 * clock and the address of a stack variable if the kernel cannot provide
 * entropy), so hashes differ between runs; never persist them.
 *
 * \param data bytes of the key; may be NULL when len is 0.
 * \param len  length in bytes.
 * \return the 64-bit hash.
 *
 * Thread-safety: safe from any thread; the key is initialised once.
 */
uint64_t hash_bytes(const void *data, size_t len);

#endif
