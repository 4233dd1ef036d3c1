/* ch01_naive.c - chapter 1: the unsynchronised store passes the contract. */
#include "store_contract.h"

Suite *ch01_naive_suite(void)
{
    return store_contract_suite("ch01_naive", "naive");
}
