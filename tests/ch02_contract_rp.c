/* ch02_contract_rp.c - chapter 2: the reader-preferring rwlock store passes
 * the store contract too. */
#include "store_contract.h"

Suite *ch02_contract_rp_suite(void)
{
    return store_contract_suite("ch02_contract_rp", "rwlock-rp");
}
