/* fuzz_apply.c - libFuzzer target: random commands through the applier.
 *
 * The input is decoded into up to 64 commands, nearly valid ones mostly
 * (tests/util/fuzz_harness_apply.h has the encoding), and applied to a
 * fresh keyspace over the default store.  After each command the harness
 * checks the store's and every value's invariants, the key counts, the
 * shape of an error reply, and the contents of the keys a small reference
 * model follows.  Any broken check aborts with its message, which libFuzzer
 * reports as a crash and saves the input.
 */
#include "fuzz_harness_apply.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char err[512];
    if (fuzz_apply_run(data, size, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_apply: %s\n", err);
        abort();
    }
    return 0;
}
