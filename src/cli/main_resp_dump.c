/* main_resp_dump.c - resp-dump: read RESP from stdin, print each value.
 * Chapter 6.
 *
 * Usage: resp-dump [-c CHUNK] [-n]   (reads standard input)
 *
 * Each complete value is printed on one line with the offset where it began
 * and the bytes it took, so the byte counting of chapter 6 can be watched:
 *
 *   @0 +22 array[2] { bulk "GET", bulk "k" }
 *
 * -c CHUNK feeds the parser CHUNK bytes at a time (1 shows that any split
 * gives the same result); -n refuses inline commands.  A protocol error is
 * printed with its byte offset and the exit status is 1.
 */
#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c >= 0x20 && c < 0x7f) putchar(c);
        else printf("\\x%02x", c);
    }
    putchar('"');
}

static void print_value(const resp_value *v)
{
    switch (v->type) {
    case RESP_SIMPLE:  fputs("simple ", stdout); print_str(v->str, v->len); break;
    case RESP_ERROR:   fputs("error ", stdout); print_str(v->str, v->len); break;
    case RESP_BULK:    fputs("bulk ", stdout); print_str(v->str, v->len); break;
    case RESP_INTEGER: printf("integer %lld", (long long)v->integer); break;
    case RESP_NULL:    fputs("null", stdout); break;
    case RESP_NULL_ARRAY: fputs("null-array", stdout); break;
    case RESP_ARRAY:
        printf("%s[%zu] {", v->is_inline ? "inline" : "array", v->len);
        for (size_t i = 0; i < v->len; i++) {
            fputs(i ? ", " : " ", stdout);
            print_value(&v->elems[i]);
        }
        fputs(v->len ? " }" : "}", stdout);
        break;
    }
}

int main(int argc, char **argv)
{
    size_t chunk = 65536;
    resp_limits lim = resp_limits_default();
    int opt;
    while ((opt = getopt(argc, argv, "c:n")) != -1) {
        if (opt == 'c' && atol(optarg) > 0) chunk = (size_t)atol(optarg);
        else if (opt == 'n') lim.allow_inline = false;
        else {
            fprintf(stderr, "usage: resp-dump [-c CHUNK] [-n] < input\n");
            return 2;
        }
    }
    char *buf = malloc(chunk);
    if (!buf) return 2;
    resp_parser p;
    resp_parser_init(&p, &lim);
    int status = 0;
    ssize_t got;
    while (status == 0 && (got = read(0, buf, chunk)) > 0) {
        size_t off = 0;
        while (off < (size_t)got) {
            size_t used;
            resp_value v;
            resp_status st = resp_parse(&p, buf + off, (size_t)got - off, &used, &v);
            off += used;
            if (st == RESP_ERR) {
                /* The values before the error come first, also when stdout
                 * is a pipe (fully buffered) and stderr is not. */
                fflush(stdout);
                fprintf(stderr, "resp-dump: %s\n", resp_parser_error(&p));
                status = 1;
                break;
            }
            if (st == RESP_OK) {
                printf("@%llu +%llu ", (unsigned long long)(p.offset - p.last_size),
                       (unsigned long long)p.last_size);
                print_value(&v);
                putchar('\n');
                resp_value_clear(&v);
            }
        }
    }
    if (status == 0 && p.offset != p.value_start) {
        fflush(stdout);
        fprintf(stderr, "resp-dump: input ends inside a value (%llu bytes "
                "pending)\n", (unsigned long long)(p.offset - p.value_start));
        status = 1;
    }
    resp_parser_free(&p);
    free(buf);
    return status;
}
