/* hll.h - Redis HyperLogLog values, byte for byte: PFADD, PFMERGE, PFCOUNT.
 * Chapter 9; extended in chapter 11.
 *
 * A HyperLogLog in Redis is not a type of its own: it is a string value
 * whose bytes a client can GET, SET, DUMP and replicate like any other.
 * A replica that applies the PFADD, PFMERGE and PFCOUNT commands its
 * master propagates must therefore end with exactly the master's bytes,
 * or a later GET tells the two apart.  This module computes those bytes:
 * each function takes the current value (or NULL for a missing key) and
 * returns the new value, and the caller stores it as a plain string.
 *
 * Design.  The functions work on plain byte strings, not on a store, so
 * they can be tested against a real redis-server with nothing else in
 * between, and so chapter 9 can use them whatever holds its strings.  An
 * input is never modified: a change is made on a private copy, which
 * becomes the output, so a failure (invalid input, out of memory) leaves
 * the caller's value exactly as it was.  Every input is checked in full
 * (hll_validate()) before it is used, which Redis 7.0 does only in part
 * (redis/redis src/hyperloglog.c, isHLLObjectOrReply() checks the header
 * and the dense length; the sparse opcodes are checked while they are
 * read); the stricter check refuses only bytes that Redis itself never
 * writes.  The layout, in short (the .c files say more):
 *
 *     bytes 0-3   "HYLL"
 *     byte  4     encoding: 0 dense, 1 sparse
 *     bytes 5-7   unused
 *     bytes 8-15  cached cardinality, little endian; bit 7 of byte 15
 *                 set means "stale, recompute"
 *     bytes 16-   dense: 16384 registers of 6 bits (12288 bytes);
 *                 sparse: run-length opcodes ZERO, XZERO and VAL
 *
 * Thread-safety: every function is reentrant; none keeps state between
 * calls.  Memory: outputs come from xmalloc() (alloc.h) and are freed
 * with free().
 */
#ifndef HLL_H
#define HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HLL_REGISTERS 16384   /**< registers in one HLL (2^14) */
#define HLL_HDR_SIZE 16       /**< bytes of the header */
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + HLL_REGISTERS * 6 / 8) /**< 12304 */
#define HLL_ENC_DENSE 0       /**< encoding byte of a dense HLL */
#define HLL_ENC_SPARSE 1      /**< encoding byte of a sparse HLL */
#define HLL_CACHE_OFFSET 8    /**< where the cached cardinality starts */
#define HLL_CACHE_LEN 8       /**< its length */
/** Redis's default hll-sparse-max-bytes: a sparse HLL that would grow
 *  past this many bytes (header included) becomes dense. */
#define HLL_SPARSE_MAX_BYTES 3000

/**
 * Whether a string starts as a HyperLogLog, as Redis's
 * isHLLObjectOrReply() checks (redis/redis src/hyperloglog.c): at least
 * the header, the "HYLL" magic, encoding 0 or 1, and a dense value of
 * exactly HLL_DENSE_SIZE bytes.  Failing it is "WRONGTYPE Key is not a
 * valid HyperLogLog string value."; the body is hll_validate()'s.
 * \param hdr the first HLL_HDR_SIZE bytes (or all, when shorter).
 * \param len the whole value's length.
 * \return true when the header passes.
 */
static inline bool hll_header_ok(const unsigned char *hdr, size_t len)
{
    return len >= HLL_HDR_SIZE && hdr[0] == 'H' && hdr[1] == 'Y' &&
           hdr[2] == 'L' && hdr[3] == 'L' && hdr[4] <= HLL_ENC_SPARSE &&
           (hdr[4] != HLL_ENC_DENSE || len == HLL_DENSE_SIZE);
}

/** Why an input was refused. */
typedef struct hll_error {
    size_t input;   /**< which input: 0 for the only or first one (the
                         destination of hll_merge()), then 1, 2, ... */
    size_t offset;  /**< byte offset in that input of what is wrong */
    char msg[192];  /**< the whole story, input and offset included */
} hll_error;

/**
 * Check that bytes are a HyperLogLog Redis would accept and could have
 * written: the magic, an encoding byte of 0 or 1, a dense value of
 * exactly HLL_DENSE_SIZE bytes, sparse opcodes that are all complete and
 * cover exactly HLL_REGISTERS registers.
 * \param p   the value.
 * \param len its length.
 * \param err receives the reason on failure (may be NULL).
 * \return 0, or -1 with errno EINVAL.
 */
int hll_validate(const unsigned char *p, size_t len, hll_error *err);

/**
 * PFADD: add elements to a HyperLogLog.
 *
 * \param in       the key's value, or NULL if the key does not exist
 *                 (then an empty sparse HLL is created, even for n = 0,
 *                 and *changed is 1, as PFADD key with no elements).
 * \param inlen    its length.
 * \param elems    n elements (any bytes).
 * \param lens     their lengths.
 * \param n        number of elements (0 is allowed).
 * \param out      on success with *changed = 1, the new value (free());
 *                 with *changed = 0, NULL: the value stays as it was.
 * \param outlen   length of *out (0 when *out is NULL).
 * \param changed  receives 1 if the value changed (PFADD replies 1, and
 *                 the command is propagated), else 0.
 * \param err      receives the reason for EINVAL (may be NULL).
 * \return 0; -1 with errno EINVAL or ENOMEM; on failure *out, *outlen
 *         and *changed are untouched.  EINVAL is Redis 7.0's PFADD
 *         refusal: a bad header, or a sparse body in which an element's
 *         register is not found or that cannot become dense; a sparse
 *         body with bytes after its last register is edited as Redis does
 *         (hll_sparse.c), so the result may itself fail hll_validate().
 */
int hll_add(const unsigned char *in, size_t inlen, const void *const *elems,
            const size_t *lens, size_t n, unsigned char **out, size_t *outlen,
            int *changed, hll_error *err);

/**
 * hll_add() with a given hll-sparse-max-bytes (the server's setting;
 * hll_add() uses HLL_SPARSE_MAX_BYTES).
 * \param in, inlen, elems, lens, n, out, outlen, changed, err as hll_add().
 * \param sparse_max_bytes the setting.
 * \return as hll_add().
 */
int hll_add_ex(const unsigned char *in, size_t inlen,
               const void *const *elems, const size_t *lens, size_t n,
               size_t sparse_max_bytes, unsigned char **out, size_t *outlen,
               int *changed, hll_error *err);

/**
 * PFMERGE dest src...: the register-wise maximum of dest and the sources,
 * written into dest.  As in Redis 7.0, the result is dense if any input
 * is dense; otherwise the maxima are set into dest's sparse form one by
 * one, which becomes dense only if it outgrows sparse_max_bytes.  The
 * cached cardinality is marked stale.  PFMERGE always writes its
 * destination, so there is always an output.
 *
 * \param dest     the destination's value, or NULL if it does not exist.
 * \param destlen  its length.
 * \param srcs     nsrc source values; NULL entries are missing keys
 *                 (empty HLLs).
 * \param srclens  their lengths.
 * \param nsrc     number of sources (0 is allowed).
 * \param sparse_max_bytes hll-sparse-max-bytes (HLL_SPARSE_MAX_BYTES).
 * \param out      receives the new destination value (free()).
 * \param outlen   its length.
 * \param err      receives the reason for EINVAL (err->input: 0 for
 *                 dest, i + 1 for srcs[i]); may be NULL.
 * \return 0, or -1 with errno EINVAL or ENOMEM (*out untouched).
 */
int hll_merge(const unsigned char *dest, size_t destlen,
              const unsigned char *const *srcs, const size_t *srclens,
              size_t nsrc, size_t sparse_max_bytes, unsigned char **out,
              size_t *outlen, hll_error *err);

/**
 * PFCOUNT key...: the estimated cardinality of one HLL, or of the union
 * of several.
 *
 * With one key whose cached cardinality is stale, Redis computes it and
 * writes it into the value, bytes 8-15: a change of the value that the
 * master propagates.  The inputs here are read-only; instead *changed is
 * set to 1 and cache receives the 8 bytes that replace bytes
 * HLL_CACHE_OFFSET .. HLL_CACHE_OFFSET + 7 of hlls[0].  With several keys
 * nothing is cached and *changed is 0.
 *
 * \param hlls    n values; NULL entries are missing keys (empty HLLs).
 * \param lens    their lengths.
 * \param n       number of keys, at least 1.
 * \param card    receives the cardinality.
 * \param cache   receives the new cache bytes when *changed is 1.
 * \param changed receives 1 if hlls[0] must be updated, else 0.
 * \param err     receives the reason for EINVAL (may be NULL).
 * \return 0, or -1 with errno EINVAL (an invalid value, or n = 0).
 *         Allocates nothing.
 */
int hll_count(const unsigned char *const *hlls, const size_t *lens, size_t n,
              uint64_t *card, unsigned char cache[HLL_CACHE_LEN],
              int *changed, hll_error *err);

/**
 * The hash Redis gives an element: MurmurHash64A, seed 0xadc83b19.  The
 * low 14 bits pick the register; the position of the lowest 1 bit of the
 * rest (counting from 1, at most 51) is the value offered to it.
 * \param elem  the element.
 * \param len   its length.
 * \param index receives the register, 0 .. HLL_REGISTERS - 1.
 * \return the value, 1 .. 51.
 */
unsigned hll_pattern(const void *elem, size_t len, unsigned *index);

#endif
