/* ch02_contract.c - chapter 2: both reader-writer lock stores pass the
 * same contract as chapter 1's store. */
#include "store_contract.h"

Suite *ch02_contract_suite(void)
{
    return store_contract_suite("rwlock");
}

