/* fuzz_rdb.c - libFuzzer target: any bytes through the RDB reader.
 *
 * The input is parsed as an RDB file and rendered as JSON (rdb_dump_json),
 * which walks every decoded value.  The reader's source hands out the
 * input in chunks of 1 to 13 bytes (chosen from the input length), so the
 * window-refill and big-read paths of rdb_reader.c are exercised on every
 * run, not only the in-memory fast path.  CRC checking is off so that
 * mutated files are decoded to the end instead of stopping at the
 * checksum.  Success is: no crash, no sanitizer report, no leak, and on
 * failure a non-empty error message that starts with its offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb.h"
#include "rdb_json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    rdb_mem_source c = {data, size, 0, 1 + size % 13};
    rdb_reader r;
    rdb_result res;
    rdb_options opt = {.no_crc = true, .quiet = true};
    char *out = NULL;
    size_t outlen = 0;
    if (rdb_reader_init(&r, rdb_source_mem, &c) != 0)
        return 0;
    FILE *mem = open_memstream(&out, &outlen);
    if (mem == NULL) {
        rdb_reader_free(&r);
        return 0;
    }
    int rc = rdb_dump_json(&r, mem, &opt, true, &res);
    fclose(mem);
    free(out);
    rdb_reader_free(&r);
    if (rc != 0 && strncmp(res.error, "offset ", 7) != 0)
        abort(); /* every error must say where it happened */
    return 0;
}
