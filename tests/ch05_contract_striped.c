/* ch05_contract_striped.c - chapter 5: the lock-striped store, kept for
 * comparison, passes the same contract. */
#include "store_contract.h"

Suite *ch05_contract_striped_suite(void)
{
    return store_contract_suite("ch05_contract_striped", "striped");
}
