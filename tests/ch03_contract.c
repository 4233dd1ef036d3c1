/* ch03_contract.c - chapter 3: the copy-on-write store passes the same
 * contract as the stores of chapters 1 and 2. */
#include "store_contract.h"

Suite *ch03_contract_suite(void)
{
    return store_contract_suite("ch03_contract", "cow");
}
