/* ch05_contract.c - chapter 5: the persistent-trie store passes the same
 * contract as every store before it. */
#include "store_contract.h"

Suite *ch05_contract_suite(void)
{
    return store_contract_suite("ch05_contract", "hamt");
}
