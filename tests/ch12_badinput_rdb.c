#include "ch12_badinput.h"
#include "test_util.h"
const size_t ch12_badinput_rdb_rows = 0;
Suite *ch12_badinput_rdb_suite(void) { return suite_create("ch12_badinput_rdb"); }
