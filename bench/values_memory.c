/* values_memory.c - bytes per element of our collections: the module's own count and the heap's.
 * Chapter 8.
 *
 * Two figures for one collection, because each can be wrong alone.  The
 * module's *_bytes() adds up what it allocated as if it shared nothing:
 * exact about what it knows of, blind to malloc's own overhead (a 9-byte
 * element costs a 32-byte chunk).  The heap's growth while the collection
 * is built, from glibc's mallinfo2() (uordblks, the bytes of small blocks
 * in use, plus hblkhd, the bytes of big blocks malloc got from mmap), is
 * what the process really pays, header and rounding included, but it
 * counts anything else allocated meanwhile; nothing else is, here.  The
 * flat form of chapter 7 is measured the same way, for comparison.
 */
#include "values_bench.h"

#include <malloc.h>

/* Heap bytes in use now. */
static double heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

void vb_measure_memory(const vb_type *t, long n, vb_mem *m)
{
    *m = (vb_mem){ .type = t->name, .n = n, .redis_bytes = -1 };
    double h0 = heap_in_use();
    void *p = t->build[VB_PERSISTENT](n);
    m->malloc_bytes = heap_in_use() - h0;
    m->module_bytes = (double)t->bytes(p);
    t->drop[VB_PERSISTENT](p);
    h0 = heap_in_use();
    void *f = t->build[VB_FLAT](n);
    m->flat_bytes = heap_in_use() - h0;
    t->drop[VB_FLAT](f);
}
