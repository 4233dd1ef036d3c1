/* eofmark_ex.c - exercise 10.1, solved: the end mark of a diskless snapshot
 * (see eofmark_ex.h). */
#include "eofmark_ex.h"

#include <string.h>

void ex_mark_init(ex_mark *m, const unsigned char mark[EX_MARK_LEN])
{
    memcpy(m->mark, mark, EX_MARK_LEN);
    m->tail_len = 0;
    m->done = false;
}

/* Does the mark start at position i of the bytes tail + in?  It may begin
 * in the tail and end in the read. */
static bool mark_at(const ex_mark *m, const unsigned char *in, size_t n,
                    size_t i)
{
    if (i + EX_MARK_LEN > m->tail_len + n)
        return false;
    for (size_t k = 0; k < EX_MARK_LEN; k++) {
        size_t j = i + k;
        unsigned char b = j < m->tail_len ? m->tail[j] : in[j - m->tail_len];
        if (b != m->mark[k])
            return false;
    }
    return true;
}

size_t ex_mark_feed(ex_mark *m, const unsigned char *in, size_t n,
                    unsigned char *out, size_t *consumed)
{
    size_t total = m->tail_len + n;
    /* The earliest position where the mark could start and end by now. */
    for (size_t i = 0; i + EX_MARK_LEN <= total; i++) {
        if (!mark_at(m, in, n, i))
            continue;
        /* Everything before i is snapshot: the held-back tail first. */
        size_t from_tail = i < m->tail_len ? i : m->tail_len;
        memcpy(out, m->tail, from_tail);
        size_t from_in = i - from_tail;
        memcpy(out + from_tail, in, from_in);
        *consumed = i + EX_MARK_LEN - m->tail_len;
        m->tail_len = 0;
        m->done = true;
        return i;
    }
    /* No mark yet: all but the last EX_MARK_LEN - 1 bytes are snapshot. */
    size_t keep = total < EX_MARK_LEN - 1 ? total : EX_MARK_LEN - 1;
    size_t give = total - keep;
    size_t from_tail = give < m->tail_len ? give : m->tail_len;
    memcpy(out, m->tail, from_tail);
    memcpy(out + from_tail, in, give - from_tail);
    /* The new tail: what is left of the old one, then the read's end. */
    unsigned char t[EX_MARK_LEN - 1];
    size_t tl = 0;
    for (size_t j = give; j < total; j++)
        t[tl++] = j < m->tail_len ? m->tail[j] : in[j - m->tail_len];
    memcpy(m->tail, t, tl);
    m->tail_len = tl;
    *consumed = n;
    return give;
}
