/* ch10_eofmark.c - tests for exercise 10.1 (exercises/ch10/eofmark_ex.c).
 *
 * A snapshot framed by an end mark is fed to the matcher in every way the
 * network could deliver it: whole, split in two at every position (the
 * mark split at each of its 40 bytes among them), one byte at a time, and
 * in random pieces; with payloads that hold near-misses of the mark (its
 * first 39 bytes, then a different byte) and with stream bytes after the
 * mark.  The payload handed out must be exactly the snapshot, the mark
 * must be found, and the bytes after it must be left unconsumed.
 */
#include "eofmark_ex.h"
#include "test_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HINT "exercise 10.1: write ex_mark_feed in exercises/ch10/eofmark_ex.c"

static const unsigned char MARK[EX_MARK_LEN + 1] =
    "3f6b2a91c0d7e45a8b19f0c2d3e4a5b6c7d8e9f0";
static const char AFTER[] = "*1\r\n$4\r\nPING\r\n";

/* payload + mark + AFTER */
typedef struct framed {
    unsigned char *bytes;
    size_t len, payload_len;
} framed;

static framed frame(const unsigned char *payload, size_t n)
{
    framed f;
    f.payload_len = n;
    f.len = n + EX_MARK_LEN + strlen(AFTER);
    f.bytes = malloc(f.len);
    ck_assert_ptr_nonnull(f.bytes);
    memcpy(f.bytes, payload, n);
    memcpy(f.bytes + n, MARK, EX_MARK_LEN);
    memcpy(f.bytes + n + EX_MARK_LEN, AFTER, strlen(AFTER));
    return f;
}

/* Feed f in pieces whose ends are cuts[0..ncuts) (increasing), then check. */
static void feed_cut(const framed *f, const size_t *cuts, size_t ncuts,
                     const char *how)
{
    ex_mark m;
    ex_mark_init(&m, MARK);
    unsigned char *out = malloc(f->len + EX_MARK_LEN);
    ck_assert_ptr_nonnull(out);
    size_t got = 0, pos = 0;
    for (size_t c = 0; c <= ncuts && !m.done; c++) {
        size_t end = c < ncuts ? cuts[c] : f->len;
        size_t used = 0;
        size_t w = ex_mark_feed(&m, f->bytes + pos, end - pos, out + got,
                                &used);
        ck_assert_msg(used <= end - pos, HINT ": %s: consumed %zu of %zu",
                      how, used, end - pos);
        ck_assert_msg(m.done || used == end - pos,
                      HINT ": %s: left %zu bytes of a read unconsumed "
                      "before the mark was seen", how, end - pos - used);
        got += w;
        ck_assert_msg(got <= f->payload_len, HINT ": %s: handed out %zu "
                      "bytes, the snapshot has only %zu (mark bytes given "
                      "as snapshot?)", how, got, f->payload_len);
        pos += used;
        if (m.done)
            break;
    }
    ck_assert_msg(m.done, HINT ": %s: the mark was never found (payload "
                  "%zu bytes)", how, f->payload_len);
    ck_assert_msg(got == f->payload_len, HINT ": %s: handed out %zu "
                  "snapshot bytes, want %zu", how, got, f->payload_len);
    ck_assert_msg(memcmp(out, f->bytes, got) == 0,
                  HINT ": %s: the snapshot bytes differ", how);
    ck_assert_msg(pos == f->payload_len + EX_MARK_LEN,
                  HINT ": %s: consumed %zu bytes, want %zu (the stream "
                  "after the mark must stay unread)", how, pos,
                  f->payload_len + EX_MARK_LEN);
    free(out);
}

static unsigned char *random_payload(size_t n, uint64_t *seed)
{
    unsigned char *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 6364136223846793005u + 1442695040888963407u;
        p[i] = (unsigned char)(*seed >> 56);
    }
    return p;
}

START_TEST(whole_read)
{
    uint64_t seed = 1;
    static const size_t sizes[] = {0, 1, 38, 39, 40, 41, 79, 80, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        unsigned char *p = random_payload(sizes[s], &seed);
        framed f = frame(p, sizes[s]);
        char how[64];
        snprintf(how, sizeof how, "%zu-byte snapshot in one read", sizes[s]);
        feed_cut(&f, NULL, 0, how);
        free(f.bytes);
        free(p);
    }
}
END_TEST

START_TEST(split_at_every_position)
{
    uint64_t seed = 2;
    static const size_t sizes[] = {0, 5, 39, 40, 100};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        unsigned char *p = random_payload(sizes[s], &seed);
        framed f = frame(p, sizes[s]);
        for (size_t at = 1; at < f.len; at++) {
            char how[96];
            snprintf(how, sizeof how, "%zu-byte snapshot split at byte %zu "
                     "(mark starts at %zu)", sizes[s], at, sizes[s]);
            feed_cut(&f, &at, 1, how);
        }
        free(f.bytes);
        free(p);
    }
}
END_TEST

START_TEST(one_byte_reads)
{
    uint64_t seed = 3;
    unsigned char *p = random_payload(200, &seed);
    framed f = frame(p, 200);
    size_t cuts[400];
    for (size_t i = 0; i + 1 < f.len; i++)
        cuts[i] = i + 1;
    feed_cut(&f, cuts, f.len - 1, "one byte per read");
    free(f.bytes);
    free(p);
}
END_TEST

/* The payload holds the mark's first 39 bytes followed by something else,
 * and a mark shifted by one: a matcher that restarts wrongly after a
 * partial match misses the real mark or finds a false one. */
START_TEST(near_misses)
{
    unsigned char p[3 * EX_MARK_LEN];
    memcpy(p, MARK, EX_MARK_LEN - 1);
    p[EX_MARK_LEN - 1] = 'x';
    memcpy(p + EX_MARK_LEN, MARK + 1, EX_MARK_LEN - 1);
    p[2 * EX_MARK_LEN - 1] = MARK[0];
    memcpy(p + 2 * EX_MARK_LEN, MARK, 20);
    memset(p + 2 * EX_MARK_LEN + 20, 'y', 20);
    framed f = frame(p, sizeof p);
    feed_cut(&f, NULL, 0, "near misses, one read");
    for (size_t at = 1; at < f.len; at++) {
        char how[64];
        snprintf(how, sizeof how, "near misses split at %zu", at);
        feed_cut(&f, &at, 1, how);
    }
    free(f.bytes);
}
END_TEST

START_TEST(random_pieces)
{
    uint64_t seed = 4;
    for (int round = 0; round < 300; round++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t n = (size_t)(seed >> 40) % 3000;
        unsigned char *p = random_payload(n, &seed);
        framed f = frame(p, n);
        size_t cuts[64], nc = 0, at = 0;
        while (nc < 64) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            at += 1 + (size_t)(seed >> 33) % 120;
            if (at >= f.len)
                break;
            cuts[nc++] = at;
        }
        char how[64];
        snprintf(how, sizeof how, "round %d: %zu bytes in %zu pieces", round,
                 n, nc + 1);
        feed_cut(&f, cuts, nc, how);
        free(f.bytes);
        free(p);
    }
}
END_TEST

Suite *ex10_eofmark_suite(void)
{
    Suite *s = suite_create("ex10_eofmark");
    TCase *tc = test_tcase("eofmark", 60);
    tcase_add_test(tc, whole_read);
    tcase_add_test(tc, split_at_every_position);
    tcase_add_test(tc, one_byte_reads);
    tcase_add_test(tc, near_misses);
    tcase_add_test(tc, random_pieces);
    suite_add_tcase(s, tc);
    return s;
}
