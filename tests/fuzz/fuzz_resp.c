/* fuzz_resp.c - libFuzzer target: the RESP parser under random bytes and splits.
 *
 * The first input byte picks the limits (small ones half of the time, so the
 * limit errors are reached), the second seeds the split points, the rest is
 * the stream.  The stream is parsed three ways: in one piece, in random
 * pieces, and one byte at a time.  The three runs must agree on every value,
 * on every value's size in bytes, and on where and why they stopped.  Every
 * value must also survive a round trip through the writer, and the sizes
 * must add up to the offset at which the last value ended.
 */
#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 4096

typedef struct run {
    resp_value vals[MAX_VALUES];
    uint64_t sizes[MAX_VALUES];
    size_t n;
    resp_status end;          /* RESP_ERR or RESP_NEED_MORE */
    uint64_t end_offset;      /* p.offset at the end (or error offset) */
    uint64_t value_start;     /* where the unfinished value began */
    char err[RESP_ERR_MAX];
} run;

static run runs[3];

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_resp invariant broken: %s\n", what);
        abort();
    }
}

/* Parse data, fed in pieces whose sizes come from next_piece(). */
static void parse(run *r, const resp_limits *lim, const uint8_t *data,
                  size_t len, int how, uint32_t seed)
{
    resp_parser p;
    resp_parser_init(&p, lim);
    memset(r, 0, sizeof *r);
    r->end = RESP_NEED_MORE;
    size_t pos = 0;
    uint64_t sum = 0;
    while (pos < len && r->end != RESP_ERR) {
        size_t piece = len - pos;
        if (how == 1) {
            seed = seed * 1103515245u + 12345u;
            piece = 1 + (seed >> 16) % 17;
            if (piece > len - pos) piece = len - pos;
        } else if (how == 2) {
            piece = 1;
        }
        size_t off = 0;
        while (off < piece) {
            size_t used;
            resp_value v;
            resp_status st = resp_parse(&p, data + pos + off, piece - off, &used, &v);
            check(used <= piece - off, "used <= len");
            off += used;
            if (st == RESP_ERR) {
                r->end = RESP_ERR;
                snprintf(r->err, sizeof r->err, "%s", resp_parser_error(&p));
                r->end_offset = p.err_offset;
                check(p.err_offset < len, "error offset inside the input");
                check(p.err_offset >= sum, "error after the last value");
                /* The error is sticky. */
                size_t u2;
                check(resp_parse(&p, data, len, &u2, &v) == RESP_ERR && u2 == 0,
                      "error state is sticky");
                break;
            }
            if (st == RESP_OK) {
                check(r->n < MAX_VALUES, "too many values for the harness");
                r->vals[r->n] = v;
                r->sizes[r->n] = p.last_size;
                r->n++;
                sum += p.last_size;
                check(sum == p.offset, "value sizes add up to the offset");
                check(p.offset == pos + off, "offset counts consumed bytes");
            } else {
                check(off == piece, "NEED_MORE consumes everything");
            }
        }
        pos += piece;
    }
    if (r->end != RESP_ERR) {
        r->end_offset = p.offset;
        r->value_start = p.value_start;
        check(p.offset == len, "all input consumed");
    }
    resp_parser_free(&p);
}

static void round_trip(const resp_value *v)
{
    resp_buf b;
    resp_buf_init(&b);
    check(resp_write_value(&b, v) == 0, "writer accepts a parsed value");
    resp_parser p;
    resp_limits lim = resp_limits_default();
    lim.allow_inline = false;
    resp_parser_init(&p, &lim);
    resp_value w;
    size_t used;
    check(resp_parse(&p, b.data, b.len, &used, &w) == RESP_OK, "re-parse ok");
    check(used == b.len, "re-parse uses every byte");
    check(p.last_size == b.len, "re-parse size");
    check(resp_value_equal(v, &w), "round trip gives an equal value");
    resp_value_clear(&w);
    resp_parser_free(&p);
    resp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    resp_limits lim = resp_limits_default();
    uint8_t cfg = data[0];
    if (cfg & 1) {                       /* small limits */
        lim.max_bulk = (cfg >> 1) & 15;
        lim.max_array = (cfg >> 3) & 7;
        lim.max_depth = 1 + ((cfg >> 5) & 3);
        lim.max_line = 4 + ((cfg >> 2) & 7);
        lim.max_value = 8 + (cfg >> 3) * 4;
    }
    lim.allow_inline = !(cfg & 0x80);
    uint32_t seed = data[1] * 2654435761u + (uint32_t)size;
    data += 2;
    size -= 2;

    int ways = size <= 2048 ? 3 : 2;
    for (int k = 0; k < ways; k++) parse(&runs[k], &lim, data, size, k, seed);
    for (int k = 1; k < ways; k++) {
        check(runs[k].n == runs[0].n, "same number of values");
        for (size_t i = 0; i < runs[0].n; i++) {
            check(resp_value_equal(&runs[0].vals[i], &runs[k].vals[i]), "same value");
            check(runs[0].vals[i].is_inline == runs[k].vals[i].is_inline, "same form");
            check(runs[0].sizes[i] == runs[k].sizes[i], "same size");
        }
        check(runs[0].end == runs[k].end, "same end state");
        check(runs[0].end_offset == runs[k].end_offset, "same end offset");
        check(runs[0].value_start == runs[k].value_start, "same pending value start");
        check(strcmp(runs[0].err, runs[k].err) == 0, "same error text");
    }
    for (size_t i = 0; i < runs[0].n; i++) round_trip(&runs[0].vals[i]);
    for (int k = 0; k < ways; k++)
        for (size_t i = 0; i < runs[k].n; i++) resp_value_clear(&runs[k].vals[i]);
    return 0;
}
