/* hiredis_client.c - a small hiredis program: run commands, print every reply.
 * Chapter 11.
 *
 *   hiredis-client PORT CMD [ARG...] [; CMD [ARG...]]...
 *
 * The C client most Redis tools are built on, pointed at a server: it
 * connects to 127.0.0.1:PORT, sends each command (the words between ";")
 * with redisCommandArgv(), and prints each reply on its own lines, typed
 * and indented, so that a test can run the same commands against the
 * replica and against the master and compare the two outputs byte for
 * byte.  With "SUBSCRIBE" as the last command it then reads N more
 * replies (N from the environment variable HIREDIS_READ, default 0): the
 * messages pushed to it.  hiredis 0.14 (Debian's libhiredis-dev) speaks
 * RESP2 only.  Exit status 0, or 1 when the connection fails (the reason
 * on stderr).
 */
#include <hiredis/hiredis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_reply(const redisReply *r, int depth)
{
    printf("%*s", depth * 2, "");
    switch (r->type) {
    case REDIS_REPLY_STRING:
        printf("string(%zu) \"", r->len);
        fwrite(r->str, 1, r->len, stdout);
        printf("\"\n");
        break;
    case REDIS_REPLY_STATUS:
        printf("status %s\n", r->str);
        break;
    case REDIS_REPLY_ERROR:
        printf("error %s\n", r->str);
        break;
    case REDIS_REPLY_INTEGER:
        printf("integer %lld\n", r->integer);
        break;
    case REDIS_REPLY_NIL:
        printf("nil\n");
        break;
    case REDIS_REPLY_ARRAY:
        printf("array(%zu)\n", r->elements);
        for (size_t i = 0; i < r->elements; i++)
            print_reply(r->element[i], depth + 1);
        break;
    default:
        printf("type %d\n", r->type);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hiredis-client PORT CMD [ARG...] "
                "[; CMD [ARG...]]...\n");
        return 2;
    }
    redisContext *c = redisConnect("127.0.0.1", atoi(argv[1]));
    if (!c || c->err) {
        fprintf(stderr, "hiredis-client: %s\n",
                c ? c->errstr : "out of memory");
        redisFree(c);
        return 1;
    }
    int rc = 0;
    for (int i = 2; i < argc;) {
        int j = i;
        while (j < argc && strcmp(argv[j], ";") != 0)
            j++;
        redisReply *r = redisCommandArgv(c, j - i, (const char **)argv + i,
                                         NULL);
        if (!r) {
            fprintf(stderr, "hiredis-client: %s\n", c->errstr);
            rc = 1;
            break;
        }
        print_reply(r, 0);
        freeReplyObject(r);
        i = j + 1;
    }
    const char *more = getenv("HIREDIS_READ");
    for (int n = more ? atoi(more) : 0; rc == 0 && n > 0; n--) {
        void *r;
        if (redisGetReply(c, &r) != REDIS_OK) {
            fprintf(stderr, "hiredis-client: %s\n", c->errstr);
            rc = 1;
            break;
        }
        print_reply(r, 0);
        freeReplyObject(r);
    }
    fflush(stdout);
    redisFree(c);
    return rc;
}
