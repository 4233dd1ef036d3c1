/* ch02_contract.c - chapter 2: the writer-preferring rwlock store passes
 * the same contract as chapter 1's store. */
#include "store_contract.h"

Suite *ch02_contract_suite(void)
{
    return store_contract_suite("ch02_contract", "rwlock");
}

