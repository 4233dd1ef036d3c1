/* ch09_hll.c - chapter 9: HyperLogLog bytes equal to a real redis-server's.
 *
 * A replica applies the master's PFADD, PFMERGE and PFCOUNT and must end
 * with the same bytes, since GET shows them.  The main test drives a real
 * redis-server and hll.h side by side with one seeded random sequence
 * over several keys (small and large PFADD batches, so keys go from
 * sparse to dense; PFMERGE of sparse and dense; PFCOUNT of one key, which
 * writes the cached cardinality, and of several; a lower
 * hll-sparse-max-bytes half way) and compares, after every command, the
 * reply and the full value of every key.  The other tests check that
 * malformed values are refused with the offset of what is wrong (and
 * that redis-server refuses them too), and that a failed allocation, at
 * every allocation an operation makes, leaves the input as it was and
 * leaks nothing.
 */
#include "hll.h"

#include "alloc.h"
#include "oracle.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An element whose hash has 32 zero bits above its register index, so it
 * offers that register a value over 32, which no sparse VAL opcode
 * holds: adding it turns any sparse HLL dense at once.  Found by search
 * with hll_pattern(); the first test checks the claim. */
static const char promoter[] = "p7171fc65";

/* xorshift64*: deterministic, seeded per test */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* What an output pointer holds before a call that must not set it. */
static unsigned char sentinel[1];

/* The 18 bytes of PFADD k on a missing key: header with the cache marked
 * stale, then XZERO(16384). */
static const unsigned char empty_hll[] = {
    'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0xff,
};

/* --- known bytes -------------------------------------------------------------- */

START_TEST(known_bytes)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    int changed = -1;
    hll_error err;
    ck_assert_int_eq(hll_add(NULL, 0, NULL, NULL, 0, &out, &outlen, &changed,
                             &err), 0);
    ck_assert_int_eq(changed, 1);
    ck_assert_bytes_eq(out, outlen, empty_hll, sizeof empty_hll);
    ck_assert_int_eq(hll_validate(out, outlen, &err), 0);

    /* PFADD of no elements to an existing key changes nothing. */
    unsigned char *out2 = sentinel;
    ck_assert_int_eq(hll_add(out, outlen, NULL, NULL, 0, &out2, &outlen,
                             &changed, &err), 0);
    ck_assert_int_eq(changed, 0);
    ck_assert_ptr_null(out2);

    /* PFCOUNT of it computes 0 and writes a valid cache of 0. */
    const unsigned char *one[] = {out};
    size_t lens[] = {sizeof empty_hll};
    uint64_t card = 99;
    unsigned char cache[HLL_CACHE_LEN];
    ck_assert_int_eq(hll_count(one, lens, 1, &card, cache, &changed, &err), 0);
    ck_assert_uint_eq(card, 0);
    ck_assert_int_eq(changed, 1);
    static const unsigned char zero8[8] = {0};
    ck_assert_bytes_eq(cache, 8, zero8, 8);
    memcpy(out + HLL_CACHE_OFFSET, cache, HLL_CACHE_LEN);
    ck_assert_int_eq(hll_count(one, lens, 1, &card, cache, &changed, &err), 0);
    ck_assert_int_eq(changed, 0);
    free(out);

    /* The promoter offers a value over 32: the new key is dense at once. */
    unsigned idx;
    ck_assert_uint_gt(hll_pattern(promoter, strlen(promoter), &idx), 32);
    const void *el[] = {promoter};
    size_t ell[] = {strlen(promoter)};
    ck_assert_int_eq(hll_add(NULL, 0, el, ell, 1, &out, &outlen, &changed,
                             &err), 0);
    ck_assert_uint_eq(outlen, HLL_DENSE_SIZE);
    ck_assert_uint_eq(out[4], HLL_ENC_DENSE);
    free(out);

    /* No keys at all is an error, not a cardinality. */
    ck_assert_int_eq(hll_count(NULL, NULL, 0, &card, cache, &changed, &err),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* --- against a real redis-server -------------------------------------------- */

#define NKEYS 4
#define MAX_BATCH 3000

typedef struct mval {
    unsigned char *b; /* NULL: the key does not exist */
    size_t len;
} mval;

static const char *const key_names[NKEYS] = {"hll:a", "hll:b", "hll:c",
                                             "hll:d"};

static char elem_buf[MAX_BATCH][40];
static size_t elem_len[MAX_BATCH];

/* One element: mostly short names from a range small enough to repeat,
 * sometimes arbitrary bytes (NUL, CR, LF included) of 0 to 39 bytes, so
 * that every tail length of the hash is used. */
static void make_elem(size_t i)
{
    if (rnd_below(4) != 0) {
        elem_len[i] = (size_t)snprintf(elem_buf[i], sizeof elem_buf[i],
                                       "e%u", rnd_below(40000));
        return;
    }
    elem_len[i] = rnd_below(40);
    for (size_t j = 0; j < elem_len[i]; j++)
        elem_buf[i][j] = (char)rnd();
}

static void set_model(mval *m, unsigned char *b, size_t len)
{
    free(m->b);
    m->b = b;
    m->len = len;
}

static void call(resp_client *c, resp_value *r, size_t argc,
                 const char *const *argv, const size_t *lens)
{
    ck_assert_msg(resp_client_call(c, r, argc, argv, lens) == 0, "%s",
                  c->err);
}

/* GET every key and compare it with the model, byte for byte. */
static void compare_keys(resp_client *c, const mval *m, long step,
                         const char *cmd)
{
    for (int k = 0; k < NKEYS; k++) {
        resp_value r;
        ck_assert_msg(resp_client_calll(c, &r, "GET", key_names[k], NULL) == 0,
                      "%s", c->err);
        if (!m[k].b) {
            ck_assert_msg(r.type == RESP_NULL,
                          "step %ld (%s): %s exists on the server only",
                          step, cmd, key_names[k]);
        } else {
            ck_assert_msg(r.type == RESP_BULK, "step %ld (%s): GET %s: type %d",
                          step, cmd, key_names[k], (int)r.type);
            size_t i = 0;
            while (i < r.len && i < m[k].len
                   && (unsigned char)r.str[i] == m[k].b[i])
                i++;
            ck_assert_msg(i == r.len && i == m[k].len,
                          "step %ld (%s): %s differs at byte %zu (server %zu "
                          "bytes, ours %zu; encoding %d vs %d)", step, cmd,
                          key_names[k], i, r.len, m[k].len,
                          r.len > 4 ? (unsigned char)r.str[4] : -1,
                          m[k].len > 4 ? m[k].b[4] : -1);
        }
        resp_value_clear(&r);
    }
}

static void do_pfadd(resp_client *c, mval *m, int k, size_t n,
                     size_t max_bytes, long step)
{
    static const char *argv[MAX_BATCH + 2];
    static size_t lens[MAX_BATCH + 2];
    const void *elems[MAX_BATCH];
    argv[0] = "PFADD";
    lens[0] = 5;
    argv[1] = key_names[k];
    lens[1] = strlen(key_names[k]);
    for (size_t i = 0; i < n; i++) {
        argv[i + 2] = elem_buf[i];
        lens[i + 2] = elem_len[i];
        elems[i] = elem_buf[i];
    }
    resp_value r;
    call(c, &r, n + 2, argv, lens);
    unsigned char *out = NULL;
    size_t outlen = 0;
    int changed = -1;
    hll_error err;
    ck_assert_msg(hll_add_ex(m[k].b, m[k].len, elems, elem_len, n, max_bytes,
                             &out, &outlen, &changed, &err) == 0,
                  "step %ld: %s", step, err.msg);
    ck_assert_msg(r.type == RESP_INTEGER && r.integer == changed,
                  "step %ld: PFADD %s (%zu elements): server %s %" PRId64
                  ", ours %d", step, key_names[k], n,
                  r.type == RESP_ERROR ? r.str : "", r.integer, changed);
    resp_value_clear(&r);
    if (changed)
        set_model(&m[k], out, outlen);
}

static void do_pfmerge(resp_client *c, mval *m, int dest, const int *src,
                       size_t nsrc, size_t max_bytes, long step)
{
    const char *argv[2 + NKEYS];
    const unsigned char *srcs[NKEYS];
    size_t srclens[NKEYS];
    argv[0] = "PFMERGE";
    argv[1] = key_names[dest];
    for (size_t i = 0; i < nsrc; i++) {
        argv[i + 2] = key_names[src[i]];
        srcs[i] = m[src[i]].b;
        srclens[i] = m[src[i]].len;
    }
    resp_value r;
    call(c, &r, nsrc + 2, argv, NULL);
    ck_assert_msg(r.type == RESP_SIMPLE, "step %ld: PFMERGE: %s", step,
                  r.str ? r.str : "?");
    resp_value_clear(&r);
    unsigned char *out = NULL;
    size_t outlen = 0;
    hll_error err;
    ck_assert_msg(hll_merge(m[dest].b, m[dest].len, srcs, srclens, nsrc,
                            max_bytes, &out, &outlen, &err) == 0,
                  "step %ld: %s", step, err.msg);
    set_model(&m[dest], out, outlen);
}

static void do_pfcount(resp_client *c, mval *m, const int *keys, size_t n,
                       long step)
{
    const char *argv[1 + NKEYS];
    const unsigned char *hlls[NKEYS];
    size_t lens[NKEYS];
    argv[0] = "PFCOUNT";
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = key_names[keys[i]];
        hlls[i] = m[keys[i]].b;
        lens[i] = m[keys[i]].len;
    }
    resp_value r;
    call(c, &r, n + 1, argv, NULL);
    uint64_t card = 0;
    unsigned char cache[HLL_CACHE_LEN];
    int changed = -1;
    hll_error err;
    ck_assert_msg(hll_count(hlls, lens, n, &card, cache, &changed, &err) == 0,
                  "step %ld: %s", step, err.msg);
    ck_assert_msg(r.type == RESP_INTEGER && (uint64_t)r.integer == card,
                  "step %ld: PFCOUNT of %zu keys: server %" PRId64
                  ", ours %" PRIu64, step, n, r.integer, card);
    resp_value_clear(&r);
    if (changed)
        memcpy(m[keys[0]].b + HLL_CACHE_OFFSET, cache, HLL_CACHE_LEN);
}

START_TEST(matches_redis_server)
{
    redis_server rs;
    char errbuf[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    rng_state = 0x9e3779b97f4a7c15ULL;
    mval m[NKEYS] = {{0}};
    size_t max_bytes = HLL_SPARSE_MAX_BYTES;
    long steps = test_scale(3000, 300);
    int grow_promotions = 0, merge_promotions = 0, sparse_merges = 0;
    int dense_merges = 0, caches = 0;
    for (long step = 0; step < steps; step++) {
        const char *what;
        if (step == steps / 2 || step == steps * 3 / 4) {
            /* Other hll-sparse-max-bytes settings: sparse keys already
             * longer turn dense on their next split. */
            const char *setting = step == steps / 2 ? "300" : "1000";
            max_bytes = (size_t)atoi(setting);
            resp_value r;
            ck_assert_int_eq(resp_client_calll(&c, &r, "CONFIG", "SET",
                                               "hll-sparse-max-bytes", setting,
                                               NULL), 0);
            ck_assert_int_eq(r.type, RESP_SIMPLE);
            resp_value_clear(&r);
        }
        unsigned op = rnd_below(100);
        if (step == 0) {
            /* a key that is dense from its first element */
            memcpy(elem_buf[0], promoter, sizeof promoter - 1);
            elem_len[0] = sizeof promoter - 1;
            do_pfadd(&c, m, 3, 1, max_bytes, step);
            what = "PFADD promoter";
        } else if (step == 1 || op < 55) {
            /* batch sizes: mostly a few (0 included), some dozens, and
             * now and then a large batch, so keys cross to dense both in
             * one command and one element at a time */
            unsigned sz = rnd_below(10);
            size_t n = step == 1 ? 1200
                     : sz < 5 ? rnd_below(5)
                     : sz < 8 ? 5 + rnd_below(36)
                     : 100 + rnd_below(500);
            for (size_t i = 0; i < n; i++)
                make_elem(i);
            int k = step == 1 ? 0 : (int)rnd_below(NKEYS);
            int was_sparse = !m[k].b || m[k].b[4] == HLL_ENC_SPARSE;
            do_pfadd(&c, m, k, n, max_bytes, step);
            grow_promotions += was_sparse && m[k].b[4] == HLL_ENC_DENSE;
            what = "PFADD";
        } else if (op < 67) {
            int src[3];
            size_t nsrc = rnd_below(4);
            int any_dense = 0;
            for (size_t i = 0; i < nsrc; i++) {
                src[i] = (int)rnd_below(NKEYS);
                any_dense |= m[src[i]].b && m[src[i]].b[4] == HLL_ENC_DENSE;
            }
            int dest = (int)rnd_below(NKEYS);
            any_dense |= m[dest].b && m[dest].b[4] == HLL_ENC_DENSE;
            do_pfmerge(&c, m, dest, src, nsrc, max_bytes, step);
            dense_merges += any_dense;
            sparse_merges += !any_dense;
            merge_promotions += !any_dense && m[dest].b[4] == HLL_ENC_DENSE;
            what = "PFMERGE";
        } else if (op < 90) {
            int keys[3];
            size_t n = 1 + (rnd_below(3) == 0 ? rnd_below(3) : 0);
            for (size_t i = 0; i < n; i++)
                keys[i] = (int)rnd_below(NKEYS);
            if (n == 1 && m[keys[0]].b && (m[keys[0]].b[15] & 0x80))
                caches++;
            do_pfcount(&c, m, keys, n, step);
            what = "PFCOUNT";
        } else {
            int k = (int)rnd_below(NKEYS);
            resp_value r;
            ck_assert_int_eq(resp_client_calll(&c, &r, "DEL", key_names[k],
                                               NULL), 0);
            resp_value_clear(&r);
            set_model(&m[k], NULL, 0);
            what = "DEL";
        }
        compare_keys(&c, m, step, what);
    }
    /* The sequence did reach every path it is meant to. */
    ck_assert_int_gt(grow_promotions, 0);
    ck_assert_int_gt(merge_promotions, 0);
    ck_assert_int_gt(sparse_merges, 0);
    ck_assert_int_gt(dense_merges, 0);
    ck_assert_int_gt(caches, 0);
    if (getenv("HLL_TEST_STATS"))
        fprintf(stderr, "steps %ld: %d grow promotions, %d merge promotions, "
                "%d sparse merges, %d dense merges, %d cache writes\n", steps,
                grow_promotions, merge_promotions, sparse_merges, dense_merges,
                caches);
    for (int k = 0; k < NKEYS; k++)
        free(m[k].b);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* One PFADD at a time, from an empty key until it is dense, at several
 * hll-sparse-max-bytes settings: every length the sparse value passes
 * through is compared, so a promotion one byte early or late shows (a
 * large batch that ends dense hides it).  The test also checks that some
 * value sat exactly at the limit, where that off-by-one lives. */
START_TEST(one_element_at_a_time_to_dense)
{
    redis_server rs;
    char errbuf[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    rng_state = 0x5eed0001ULL;
    static const char *const settings[] = {"40", "100", "300", "1000",
                                           "3000"};
    size_t nset = (size_t)test_scale(5, 3);
    int at_limit = 0;
    for (size_t s = 0; s < nset; s++) {
        size_t max_bytes = (size_t)atoi(settings[s]);
        resp_value r;
        ck_assert_int_eq(resp_client_calll(&c, &r, "CONFIG", "SET",
                                           "hll-sparse-max-bytes",
                                           settings[s], NULL), 0);
        ck_assert_int_eq(r.type, RESP_SIMPLE);
        resp_value_clear(&r);
        mval m[NKEYS] = {{0}};
        long step = 0;
        while (!m[0].b || m[0].b[4] == HLL_ENC_SPARSE) {
            make_elem(0);
            do_pfadd(&c, m, 0, 1, max_bytes, step);
            compare_keys(&c, m, step, settings[s]);
            at_limit += m[0].b[4] == HLL_ENC_SPARSE && m[0].len == max_bytes;
            ck_assert_int_lt(++step, 100000);
        }
        free(m[0].b);
        ck_assert_int_eq(resp_client_calll(&c, &r, "DEL", key_names[0], NULL),
                         0);
        resp_value_clear(&r);
    }
    ck_assert_int_gt(at_limit, 0);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* Elements whose register is below HLL_WINDOW, for the test below. */
#define HLL_WINDOW 256
#define POOL 400
static char pool_buf[POOL][16];
static size_t pool_len[POOL];

static void fill_pool(void)
{
    unsigned found = 0;
    for (unsigned i = 0; found < POOL; i++) {
        char e[16];
        int n = snprintf(e, sizeof e, "w%u", i);
        unsigned idx;
        hll_pattern(e, (size_t)n, &idx);
        if (idx < HLL_WINDOW) {
            memcpy(pool_buf[found], e, (size_t)n);
            pool_len[found++] = (size_t)n;
        }
    }
}

/* A random sparse value that Redis would accept though it would not write
 * it itself: VALs of small values next to equal ones that could have
 * been merged, runs of ZERO, short XZEROs, over the first `width`
 * registers, then zeros to the end.  \return its length. */
static size_t random_sparse(unsigned char *b, unsigned width)
{
    memcpy(b, empty_hll, HLL_HDR_SIZE);
    if (rnd_below(2)) /* a valid cache, sometimes */
        b[15] = 0;
    size_t pos = HLL_HDR_SIZE;
    unsigned reg = 0;
    while (reg < width) {
        unsigned left = width - reg, kind = rnd_below(10), run;
        if (kind < 6) {
            run = 1 + rnd_below(4);
            run = run > left ? left : run;
            b[pos++] = (unsigned char)(0x80 | rnd_below(3) << 2 | (run - 1));
        } else if (kind < 9) {
            run = 1 + rnd_below(8);
            run = run > left ? left : run;
            b[pos++] = (unsigned char)(run - 1);
        } else {
            run = 1 + rnd_below(80);
            run = run > left ? left : run;
            b[pos++] = (unsigned char)(0x40 | (run - 1) >> 8);
            b[pos++] = (unsigned char)((run - 1) & 0xff);
        }
        reg += run;
    }
    unsigned rest = HLL_REGISTERS - width;
    b[pos++] = (unsigned char)(0x40 | (rest - 1) >> 8);
    b[pos++] = (unsigned char)((rest - 1) & 0xff);
    return pos;
}

/* Hand-made sparse values, SET on the server and edited by PFADD and
 * PFMERGE on both sides: the in-place edit, the split and the bounded
 * merge of neighbours are checked on encodings that the random sequence
 * above rarely builds. */
START_TEST(hand_made_sparse_values)
{
    redis_server rs;
    char errbuf[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    rng_state = 0x5eed0002ULL;
    fill_pool();
    long trials = test_scale(2000, 200);
    static unsigned char b[HLL_HDR_SIZE + 2 * HLL_REGISTERS];
    for (long t = 0; t < trials; t++) {
        mval m[NKEYS] = {{0}};
        for (int k = 0; k < 2; k++) {
            size_t len = random_sparse(b, 8 + rnd_below(HLL_WINDOW - 8));
            ck_assert_int_eq(hll_validate(b, len, NULL), 0);
            const char *set[] = {"SET", key_names[k], (const char *)b};
            size_t setl[] = {3, strlen(key_names[k]), len};
            resp_value r;
            call(&c, &r, 3, set, setl);
            ck_assert_int_eq(r.type, RESP_SIMPLE);
            resp_value_clear(&r);
            m[k].b = malloc(len);
            ck_assert_ptr_nonnull(m[k].b);
            memcpy(m[k].b, b, len);
            m[k].len = len;
        }
        size_t n = 1 + rnd_below(3);
        for (size_t i = 0; i < n; i++) {
            unsigned e = rnd_below(POOL);
            memcpy(elem_buf[i], pool_buf[e], pool_len[e]);
            elem_len[i] = pool_len[e];
        }
        do_pfadd(&c, m, 0, n, HLL_SPARSE_MAX_BYTES, t);
        compare_keys(&c, m, t, "PFADD hand-made");
        if (rnd_below(2)) {
            int src[] = {0};
            do_pfmerge(&c, m, 1, src, 1, HLL_SPARSE_MAX_BYTES, t);
            compare_keys(&c, m, t, "PFMERGE hand-made");
        }
        int keys[] = {(int)rnd_below(2)};
        do_pfcount(&c, m, keys, 1, t);
        compare_keys(&c, m, t, "PFCOUNT hand-made");
        for (int k = 0; k < NKEYS; k++)
            free(m[k].b);
    }
    resp_value r;
    ck_assert_int_eq(resp_client_calll(&c, &r, "DEL", key_names[0],
                                       key_names[1], NULL), 0);
    resp_value_clear(&r);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* --- malformed values ----------------------------------------------------------- */

/* A sparse value: the header (cache marked stale, so that PFCOUNT reads
 * the opcodes) and then n opcode bytes. */
static size_t sparse_value(unsigned char *b, const unsigned char *ops,
                           size_t n)
{
    memcpy(b, empty_hll, HLL_HDR_SIZE);
    memcpy(b + HLL_HDR_SIZE, ops, n);
    return HLL_HDR_SIZE + n;
}

typedef struct bad_case {
    const char *name;
    size_t offset;      /* the byte the error must name */
    const char *phrase; /* a phrase the message must contain */
} bad_case;

/* Every way to refuse bytes is checked through every entry point, and
 * against the real server (which must refuse them too).  PFADD is the
 * exception Redis makes: it checks only the header and edits a sparse body
 * as long as it finds the register, so hll_add() must answer what
 * redis-server's PFADD answers, with the same bytes. */
START_TEST(malformed_values_are_refused)
{
    static unsigned char bufs[10][HLL_DENSE_SIZE + 1];
    size_t lens[10];
    bad_case cases[10];
    int n = 0;
    /* 1: bad magic in byte 2 */
    memcpy(bufs[n], empty_hll, sizeof empty_hll);
    bufs[n][2] = 'X';
    lens[n] = sizeof empty_hll;
    cases[n++] = (bad_case){"bad magic", 2, "magic"};
    /* 2: bad encoding byte */
    memcpy(bufs[n], empty_hll, sizeof empty_hll);
    bufs[n][4] = 2;
    lens[n] = sizeof empty_hll;
    cases[n++] = (bad_case){"bad encoding", 4, "encoding 0x02"};
    /* 3: shorter than a header */
    memcpy(bufs[n], empty_hll, 10);
    lens[n] = 10;
    cases[n++] = (bad_case){"short header", 10, "header"};
    /* 4: dense, one byte short */
    memcpy(bufs[n], empty_hll, HLL_HDR_SIZE);
    bufs[n][4] = 0;
    memset(bufs[n] + HLL_HDR_SIZE, 0, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    lens[n] = HLL_DENSE_SIZE - 1;
    cases[n++] = (bad_case){"short dense", HLL_DENSE_SIZE - 1, "12304"};
    /* 5: dense, one byte too many */
    memcpy(bufs[n], bufs[n - 1], HLL_DENSE_SIZE);
    bufs[n][HLL_DENSE_SIZE] = 0;
    lens[n] = HLL_DENSE_SIZE + 1;
    cases[n++] = (bad_case){"long dense", HLL_DENSE_SIZE, "this one 12305"};
    /* 6: truncated sparse: opcodes for half the registers */
    {
        static const unsigned char ops[] = {0x5f, 0xff}; /* XZERO(8192) */
        lens[n] = sparse_value(bufs[n], ops, sizeof ops);
        cases[n++] = (bad_case){"truncated sparse", 18, "8192 of the 16384"};
    }
    /* 7: an XZERO cut off after its first byte */
    {
        static const unsigned char ops[] = {0x5f, 0xff, 0x5f};
        lens[n] = sparse_value(bufs[n], ops, sizeof ops);
        cases[n++] = (bad_case){"cut XZERO", 18, "XZERO"};
    }
    /* 8: opcodes running past register 16383: XZERO(16384) + VAL */
    {
        static const unsigned char ops[] = {0x7f, 0xff, 0x80};
        lens[n] = sparse_value(bufs[n], ops, sizeof ops);
        cases[n++] = (bad_case){"past the end", 18, "16384..16384"};
    }
    /* 9: a ZERO that runs 3 registers past the end */
    {
        static const unsigned char ops[] = {0x7f, 0xfb, 0x06};
        lens[n] = sparse_value(bufs[n], ops, sizeof ops);
        cases[n++] = (bad_case){"ZERO past the end", 18, "ZERO opcode covers"};
    }
    /* 10: bytes after the last register, as APPEND k v6216 to an empty
     * sparse HLL leaves them ('v' = 0x76 reads as an XZERO) */
    {
        static const unsigned char ops[] = {0x7f, 0xff, 'v', '6', '2', '1', '6'};
        lens[n] = sparse_value(bufs[n], ops, sizeof ops);
        cases[n++] = (bad_case){"bytes after the end", 18, "XZERO opcode covers"};
    }

    redis_server rs;
    char errbuf[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);

    static unsigned char good[sizeof empty_hll];
    memcpy(good, empty_hll, sizeof empty_hll);
    for (int i = 0; i < n; i++) {
        const char *name = cases[i].name;
        unsigned char copy[sizeof bufs[0]];
        memcpy(copy, bufs[i], lens[i]);
        hll_error err;
        memset(&err, 0, sizeof err);
        errno = 0;
        ck_assert_msg(hll_validate(bufs[i], lens[i], &err) == -1
                      && errno == EINVAL, "%s: accepted", name);
        ck_assert_msg(err.offset == cases[i].offset,
                      "%s: offset %zu, want %zu (%s)", name, err.offset,
                      cases[i].offset, err.msg);
        ck_assert_msg(strstr(err.msg, cases[i].phrase) != NULL,
                      "%s: message \"%s\" lacks \"%s\"", name, err.msg,
                      cases[i].phrase);
        char at[32];
        snprintf(at, sizeof at, "byte %zu", cases[i].offset);
        ck_assert_msg(strstr(err.msg, at) != NULL,
                      "%s: message \"%s\" does not name %s", name, err.msg,
                      at);

        /* PFADD, with elements whose registers lie early and late: as
         * redis-server answers, with its bytes */
        unsigned char *out = sentinel;
        size_t outlen = 7;
        int changed = 7;
        static const char *const pf_elems[] = {"x", "m7", "a", "m3"};
        for (int e = 0; e < 4; e++) {
            const void *el[] = {pf_elems[e]};
            size_t ell[] = {strlen(pf_elems[e])};
            const char *set2[] = {"SET", "pf", (const char *)bufs[i]};
            size_t set2l[] = {3, 2, lens[i]};
            resp_value r;
            call(&c, &r, 3, set2, set2l);
            resp_value_clear(&r);
            const char *pfadd[] = {"PFADD", "pf", pf_elems[e]};
            ck_assert_int_eq(resp_client_call(&c, &r, 3, pfadd, NULL), 0);
            int refused = r.type == RESP_ERROR;
            long long replied = r.integer;
            resp_value_clear(&r);
            errno = 0;
            int rc = hll_add(bufs[i], lens[i], el, ell, 1, &out, &outlen, &changed,
                             &err);
            if (refused) {
                ck_assert_msg(rc == -1 && errno == EINVAL,
                              "%s, PFADD %s: redis-server refused, hll_add %d",
                              name, pf_elems[e], rc);
                ck_assert_msg(out == sentinel && outlen == 7 && changed == 7,
                              "%s: outputs touched", name);
                continue;
            }
            ck_assert_msg(rc == 0, "%s, PFADD %s: redis-server replied %lld, "
                          "hll_add refused: %s", name, pf_elems[e], replied, err.msg);
            ck_assert_int_eq(changed, replied);
            ck_assert_int_eq(resp_client_calll(&c, &r, "GET", "pf", NULL), 0);
            if (changed)
                ck_assert_bytes_eq(out, outlen, r.str, r.len);
            else
                ck_assert_bytes_eq(bufs[i], lens[i], r.str, r.len);
            resp_value_clear(&r);
            free(out);
            out = sentinel;
            outlen = 7;
            changed = 7;
        }
        /* PFMERGE good bad: the error names input 2 */
        const unsigned char *srcs[] = {good, bufs[i]};
        size_t slens[] = {sizeof good, lens[i]};
        ck_assert_int_eq(hll_merge(good, sizeof good, srcs, slens, 2,
                                   HLL_SPARSE_MAX_BYTES, &out, &outlen, &err),
                         -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(err.input, 2);
        ck_assert_msg(strstr(err.msg, "input 2, ") == err.msg, "%s: %s", name,
                      err.msg);
        /* PFMERGE bad: the destination, input 0 */
        ck_assert_int_eq(hll_merge(bufs[i], lens[i], NULL, NULL, 0,
                                   HLL_SPARSE_MAX_BYTES, &out, &outlen, &err),
                         -1);
        ck_assert_uint_eq(err.input, 0);
        /* PFCOUNT, one key and several */
        uint64_t card = 5;
        unsigned char cache[HLL_CACHE_LEN];
        ck_assert_int_eq(hll_count(srcs + 1, slens + 1, 1, &card, cache,
                                   &changed, &err), -1);
        ck_assert_int_eq(hll_count(srcs, slens, 2, &card, cache, &changed,
                                   &err), -1);
        ck_assert_uint_eq(err.input, 1);
        ck_assert_msg(card == 5 && changed == 7 && out ==
                      sentinel, "%s: outputs touched",
                      name);
        ck_assert_msg(memcmp(copy, bufs[i], lens[i]) == 0, "%s: input changed",
                      name);

        /* redis-server refuses the same bytes */
        const char *set[] = {"SET", "bad", (const char *)bufs[i]};
        size_t setl[] = {3, 3, lens[i]};
        resp_value r;
        call(&c, &r, 3, set, setl);
        resp_value_clear(&r);
        ck_assert_int_eq(resp_client_calll(&c, &r, "PFCOUNT", "bad", NULL), 0);
        ck_assert_msg(r.type == RESP_ERROR, "%s: redis-server counted %" PRId64,
                      name, r.integer);
        resp_value_clear(&r);
    }
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* --- allocation failure ---------------------------------------------------------- */

enum { OP_ADD, OP_MERGE, OP_COUNT };

typedef struct scenario {
    const char *name;
    int op;
    const unsigned char *in;   /* hll_add input / merge destination */
    size_t inlen;
    const unsigned char *src;  /* merge source */
    size_t srclen;
    size_t n;                  /* elements */
} scenario;

static const void *fail_elems[MAX_BATCH];

static int run_op(const scenario *s, unsigned char **out, size_t *outlen,
                  int *changed)
{
    hll_error err;
    if (s->op == OP_ADD)
        return hll_add(s->in, s->inlen, fail_elems, elem_len, s->n, out,
                       outlen, changed, &err);
    if (s->op == OP_MERGE) {
        const unsigned char *srcs[] = {s->src, NULL};
        size_t lens[] = {s->srclen, 0};
        return hll_merge(s->in, s->inlen, srcs, lens, 2,
                         HLL_SPARSE_MAX_BYTES, out, outlen, &err);
    }
    const unsigned char *hlls[] = {s->in};
    size_t lens[] = {s->inlen};
    uint64_t card;
    unsigned char cache[HLL_CACHE_LEN];
    int r = hll_count(hlls, lens, 1, &card, cache, changed, &err);
    if (r == 0) {
        /* hand back something comparable: the updated value */
        *out = malloc(s->inlen);
        ck_assert_ptr_nonnull(*out);
        memcpy(*out, s->in, s->inlen);
        if (*changed)
            memcpy(*out + HLL_CACHE_OFFSET, cache, HLL_CACHE_LEN);
        *outlen = s->inlen;
    }
    return r;
}

START_TEST(allocation_failure_leaves_input_untouched)
{
    rng_state = 12345;
    for (size_t i = 0; i < MAX_BATCH; i++) {
        make_elem(i);
        fail_elems[i] = elem_buf[i];
    }
    /* Inputs: a small sparse HLL, one just under the promotion, a dense one. */
    unsigned char *small = NULL, *big = NULL, *dense = NULL;
    size_t small_len = 0, big_len = 0, dense_len = 0;
    int changed;
    hll_error err;
    ck_assert_int_eq(hll_add(NULL, 0, fail_elems, elem_len, 20, &small,
                             &small_len, &changed, &err), 0);
    size_t k = 20;
    for (;;) {
        unsigned char *next;
        size_t next_len;
        ck_assert_int_eq(hll_add(NULL, 0, fail_elems, elem_len, k + 10, &next,
                                 &next_len, &changed, &err), 0);
        if (next[4] == HLL_ENC_DENSE) {
            free(next);
            break;
        }
        free(big);
        big = next;
        big_len = next_len;
        k += 10;
        ck_assert_uint_lt(k, MAX_BATCH - 20);
    }
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(hll_add(NULL, 0, fail_elems, elem_len, MAX_BATCH, &dense,
                             &dense_len, &changed, &err), 0);
    ck_assert_uint_eq(dense[4], HLL_ENC_DENSE);

    const scenario sc[] = {
        {"add to a missing key", OP_ADD, NULL, 0, NULL, 0, 30},
        {"add to sparse", OP_ADD, small, small_len, NULL, 0, 40},
        {"add across promotion", OP_ADD, big, big_len, NULL, 0, 200},
        {"add to dense", OP_ADD, dense, dense_len, NULL, 0, 100},
        {"merge sparse into missing", OP_MERGE, NULL, 0, big, big_len, 0},
        {"merge sparse into sparse", OP_MERGE, small, small_len, big, big_len,
         0},
        {"merge dense into sparse", OP_MERGE, small, small_len, dense,
         dense_len, 0},
        {"count", OP_COUNT, big, big_len, NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        const scenario *s = &sc[i];
        unsigned char *want = NULL;
        size_t want_len = 0;
        int want_changed = 0;
        ck_assert_int_eq(run_op(s, &want, &want_len, &want_changed), 0);
        unsigned char *before = NULL;
        if (s->in) {
            before = malloc(s->inlen);
            ck_assert_ptr_nonnull(before);
            memcpy(before, s->in, s->inlen);
        }
        unsigned long nth;
        for (nth = 1;; nth++) {
            unsigned char *out = sentinel;
            size_t outlen = 7;
            int ch = 7;
            alloc_fail_nth(nth);
            int r = run_op(s, &out, &outlen, &ch);
            int e = errno;
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            if (s->in)
                ck_assert_msg(memcmp(before, s->in, s->inlen) == 0,
                              "%s: allocation %lu changed the input", s->name,
                              nth);
            if (r == 0) {
                ck_assert_msg(fired == 0, "%s: allocation %lu failed unseen",
                              s->name, nth);
                if (s->op != OP_MERGE)
                    ck_assert_int_eq(ch, want_changed);
                ck_assert_bytes_eq(out, outlen, want, want_len);
                free(out);
                break;
            }
            ck_assert_msg(e == ENOMEM, "%s: allocation %lu: errno %d",
                          s->name, nth, e);
            ck_assert_msg(out == sentinel && outlen == 7
                          && ch == 7, "%s: allocation %lu touched outputs",
                          s->name, nth);
        }
        /* every scenario but PFCOUNT allocates; PFCOUNT never does */
        if (s->op == OP_COUNT)
            ck_assert_uint_eq(nth, 1);
        else
            ck_assert_uint_gt(nth, 1);
        free(before);
        free(want);
    }
    free(small);
    free(big);
    free(dense);
}
END_TEST

/* Found by the consistency checker (chapter 12): APPEND to an HLL leaves
 * bytes after its last register, Redis's PFADD still edits it (only PFCOUNT
 * then refuses), and an applier that refused that PFADD dropped its link
 * over a command its master applied.  Both forms a replica sees: as sent,
 * and as Redis propagates them (its AOF). */
START_TEST(pfadd_after_append_as_redis)
{
    for (unsigned mode = ORACLE_DIRECT; mode <= ORACLE_AOF; mode++) {
        oracle *o = oracle_start("hamt", mode);
        oracle_cmd(o, "PFADD", "k", "m8", "m7", NULL);
        oracle_cmd(o, "APPEND", "k", "v6216", NULL);
        oracle_cmd(o, "PFADD", "k", "m7", "m3", NULL);
        oracle_cmd(o, "PFADD", "k", "x", "a", "b", "c", NULL);
        oracle_expect_error(o, "PFCOUNT", "k", NULL);
        oracle_cmd(o, "APPEND", "k2", "HYLL", NULL);
        oracle_expect_error(o, "PFADD", "k2", "a", NULL);
        oracle_check(o);
        oracle_stop(o);
    }
}
END_TEST

Suite *ch09_hll_suite(void)
{
    Suite *s = suite_create("ch09_hll");
    TCase *tc = test_tcase("hll", 240);
    tcase_add_test(tc, known_bytes);
    tcase_add_test(tc, matches_redis_server);
    tcase_add_test(tc, one_element_at_a_time_to_dense);
    tcase_add_test(tc, hand_made_sparse_values);
    tcase_add_test(tc, malformed_values_are_refused);
    tcase_add_test(tc, pfadd_after_append_as_redis);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, allocation_failure_leaves_input_untouched);
    suite_add_tcase(s, tc);
    return s;
}
