/* ch06_header_digits.c - chapter 6's parser, forgetting a half-read header.
 *
 * Chapter 6 shows its split-read tests failing against a parser that keeps
 * its state between calls but throws away the digits of a ':', '$' or '*'
 * header that a call ended in the middle of.  This file makes that failure
 * real: it compiles src/resp_parse.c unchanged, with resp_parse() renamed,
 * and puts the mistake in front of it.  `make broken-ch06_header_digits`
 * links it with chapter 6's suites in place of the library's resp_parse.o.
 *
 * Why it is wrong: a socket may end a read after "*3"; the next read starts
 * with "\r\n".  Forget the 3 and the array becomes "*0".
 * Never built into the library; only for docs/transcripts.
 */
#define resp_parse resp_parse_keeps_digits
#include "resp_parse.c"
#undef resp_parse

resp_status resp_parse(resp_parser *p, const void *buf, size_t len,
                       size_t *used, resp_value *out);

resp_status resp_parse(resp_parser *p, const void *buf, size_t len,
                       size_t *used, resp_value *out)
{
    if (p->state == S_NUM)
        p->num = 0;                 /* the bug: the digits read so far */
    return resp_parse_keeps_digits(p, buf, len, used, out);
}
