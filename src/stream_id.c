/* stream_id.c - stream IDs as Redis parses and prints them, and a group's read counter.
 * Chapter 9; extended in chapter 11.
 *
 * The rules of stream_id.h, written once for the write commands of
 * chapter 9 and the read commands of chapter 11 (see that header for why
 * they live apart from both).  Parsing works on a NUL-terminated copy of
 * at most 127 bytes, as Redis's 128-byte buffer does, so "1-2\0junk" is
 * "1-2" here as it is there.
 */
#include "stream_id.h"

#include "cmd_num.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pstream_id xs_zero = { 0, 0 };

/* Redis's string2ull(): a canonical long long that is not negative, or
 * whatever strtoull() takes whole (so "+5", " 5" and "-0" pass). */
static bool xs_string2ull(const char *s, uint64_t *out)
{
    long long ll;
    if (cmd_num_string2ll(s, strlen(s), &ll)) {
        if (ll < 0)
            return false;
        *out = (uint64_t)ll;
        return true;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == EINVAL || errno == ERANGE || *s == '\0' || *end != '\0')
        return false;
    *out = v;
    return true;
}

bool xs_parse_id(const char *s, size_t len, uint64_t missing_seq, bool strict,
                 bool *seq_given, pstream_id *out)
{
    char buf[128];
    if (len > sizeof(buf) - 1)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0')
        return false;
    if (seq_given != NULL)
        *seq_given = true;
    if (buf[0] == '-' && buf[1] == '\0') {
        out->ms = out->seq = 0;
        return true;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        out->ms = out->seq = UINT64_MAX;
        return true;
    }
    uint64_t ms, seq;
    char *dash = strchr(buf, '-');
    if (dash != NULL)
        *dash = '\0';
    if (!xs_string2ull(buf, &ms))
        return false;
    if (dash != NULL) {
        if (seq_given != NULL && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = false;
        } else if (!xs_string2ull(dash + 1, &seq)) {
            return false;
        }
    } else {
        seq = missing_seq;
    }
    out->ms = ms;
    out->seq = seq;
    return true;
}

char *xs_id_str(char *buf, size_t sz, pstream_id id)
{
    snprintf(buf, sz, "%" PRIu64 "-%" PRIu64, id.ms, id.seq);
    return buf;
}

int xs_id_incr(pstream_id *id)
{
    if (id->seq != UINT64_MAX) {
        id->seq++;
        return 0;
    }
    if (id->ms != UINT64_MAX) {
        id->ms++;
        id->seq = 0;
        return 0;
    }
    id->ms = id->seq = 0;
    return -1;
}

bool xs_tombstones_from(const pstream *s, pstream_id start)
{
    pstream_id md = pstream_max_deleted_id(s);
    if (pstream_len(s) == 0 || pstream_id_cmp(md, xs_zero) == 0)
        return false;
    if (pstream_id_cmp(pstream_first_id(s), md) > 0)
        return false;
    return pstream_id_cmp(start, md) <= 0;
}

uint64_t xs_estimate_read(const pstream *s, pstream_id id)
{
    uint64_t added = pstream_entries_added(s);
    size_t len = pstream_len(s);
    pstream_id last = pstream_last_id(s);
    if (added == 0)
        return 0;
    int cmp_last = pstream_id_cmp(id, last);
    if (len == 0 && cmp_last <= 0)
        return added;
    if (cmp_last == 0)
        return added;
    if (cmp_last > 0)
        return PSTREAM_ENTRIES_READ_UNKNOWN;
    pstream_id first = pstream_first_id(s);
    pstream_id md = pstream_max_deleted_id(s);
    int cmp_first = pstream_id_cmp(id, first);
    if (pstream_id_cmp(md, xs_zero) == 0 || pstream_id_cmp(md, first) < 0) {
        if (cmp_first < 0)
            return added - len;
        if (cmp_first == 0)
            return added - len + 1;
    }
    return PSTREAM_ENTRIES_READ_UNKNOWN;
}


int xs_id_decr(pstream_id *id)
{
    if (id->seq != 0) {
        id->seq--;
        return 0;
    }
    if (id->ms != 0) {
        id->ms--;
        id->seq = UINT64_MAX;
        return 0;
    }
    id->ms = id->seq = UINT64_MAX;
    return -1;
}

bool xs_parse_interval(const char *s, size_t len, uint64_t missing_seq,
                       bool *exclusive, pstream_id *out)
{
    *exclusive = len > 1 && s[0] == '(';
    if (*exclusive)
        return xs_parse_id(s + 1, len - 1, missing_seq, true, NULL, out);
    return xs_parse_id(s, len, missing_seq, false, NULL, out);
}
