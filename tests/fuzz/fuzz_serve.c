/* fuzz_serve.c - libFuzzer target: any bytes a client sends to the server.
 *
 * The input's first byte picks the server (open, or with a password) and
 * how the bytes are cut into writes; the rest goes through the server's
 * real input path (tests/util/fuzz_harness_serve.h): pipelined RESP and
 * inline commands, frames cut anywhere, HELLO 3 and RESP3 replies,
 * blocking commands, Pub/Sub.  Every reply stream must be whole and
 * well-formed RESP, the client must be closed once its input ends, and the
 * read-only server's dataset must be unchanged.  The server is built once
 * (two of them) and reused by every input.
 */
#include "fuzz_harness_serve.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static fuzz_serve *harness;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char err[512];
    if (harness == NULL) {
        harness = fuzz_serve_create(err, sizeof err);
        if (harness == NULL) {
            fprintf(stderr, "fuzz_serve: setup: %s\n", err);
            abort();
        }
    }
    if (fuzz_serve_run(harness, data, size, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_serve: %s\n", err);
        abort();
    }
    return 0;
}
