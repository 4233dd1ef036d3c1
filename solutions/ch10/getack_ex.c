/* getack_ex.c - exercise 10.2, solved: byte offsets and GETACK (see
 * getack_ex.h). */
#include "getack_ex.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

void ex_acker_init(ex_acker *a, uint64_t offset)
{
    resp_parser_init(&a->parser, NULL);
    a->offset = offset;
    a->in_multi_at = 0;
}

void ex_acker_free(ex_acker *a)
{
    resp_parser_free(&a->parser);
}

/* Whether argument i of a command is the word w, ignoring case. */
static bool arg_is(const resp_value *v, size_t i, const char *w)
{
    return v->type == RESP_ARRAY && v->len > i &&
           v->elems[i].type == RESP_BULK && strcasecmp(v->elems[i].str, w) == 0;
}

static int answer(resp_buf *out, uint64_t offset)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, offset);
    const char *argv[] = {"REPLCONF", "ACK", num};
    return resp_write_command(out, 3, argv, NULL);
}

int ex_acker_feed(ex_acker *a, const void *buf, size_t len, resp_buf *out)
{
    const unsigned char *p = buf;
    while (len > 0) {
        size_t used = 0;
        resp_value v;
        resp_status st = resp_parse(&a->parser, p, len, &used, &v);
        p += used;
        len -= used;
        if (st == RESP_ERR)
            return -1;
        if (st == RESP_NEED_MORE)
            break;
        uint64_t size = a->parser.last_size;
        int rc = 0;
        if (arg_is(&v, 0, "replconf") && arg_is(&v, 1, "getack"))
            rc = answer(out, a->offset); /* the offset before this command */
        if (arg_is(&v, 0, "multi") && a->in_multi_at == 0) {
            a->in_multi_at = 1;            /* hold the offset back ... */
            a->in_multi_at += size;        /* ... counting MULTI itself */
        } else if (a->in_multi_at != 0) {
            a->in_multi_at += size;
            if (arg_is(&v, 0, "exec") || arg_is(&v, 0, "discard")) {
                a->offset += a->in_multi_at - 1; /* ... until EXEC */
                a->in_multi_at = 0;
            }
        } else {
            a->offset += size;
        }
        resp_value_clear(&v);
        if (rc != 0)
            return -1;
    }
    return 0;
}

uint64_t ex_acker_offset(const ex_acker *a)
{
    return a->offset;
}
