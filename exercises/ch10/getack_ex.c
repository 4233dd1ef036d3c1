/* getack_ex.c - exercise 10.2: byte offsets and GETACK (see getack_ex.h). */
#include "getack_ex.h"

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

/* Starter: counts commands, not bytes, and never answers GETACK, as the
 * replica this course started from did.  Count p->last_size bytes per
 * command (outside MULTI ... EXEC), and answer each REPLCONF GETACK with
 * the offset before it (resp_write_command). */
int ex_acker_feed(ex_acker *a, const void *buf, size_t len, resp_buf *out)
{
    (void)out;
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
        a->offset += 1;
        resp_value_clear(&v);
    }
    return 0;
}

uint64_t ex_acker_offset(const ex_acker *a)
{
    return a->offset;
}
