/* resp3.c - exercise 6.1: decode one RESP3 header line (see resp3.h).
 *
 * Start with the type byte (line[0]) and a switch.  Reuse resp_parse_int()
 * from src/resp.h for ':' and for the counts.  For ',' copy the text into a
 * small NUL-terminated buffer and use strtod(), checking that it consumed
 * every byte; "inf", "-inf" and "nan" are what strtod accepts anyway.
 */
#include "resp3.h"

#include <stdio.h>

int resp3_decode_line(const char *line, size_t len, resp3_item *out,
                      char *err, size_t errlen)
{
    (void)line; (void)len; (void)out;
    snprintf(err, errlen, "exercise 6.1: implement resp3_decode_line() in "
             "exercises/ch06/resp3.c");
    return -1;
}
