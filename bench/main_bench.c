/* main_bench.c - build/bench: measure the store variants (see cli.c). */
#include "bench.h"

int main(int argc, char **argv)
{
    return bench_main(argc, argv, stdout);
}
