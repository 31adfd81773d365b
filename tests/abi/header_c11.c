/* ABI-14: the SDK headers are valid C11 under -Wall -Wextra -pedantic -Werror. */
#include "layout_table.h"

/* A translation unit must not be empty under -pedantic. */
int vitrine_header_c11_compiles(void);
int vitrine_header_c11_compiles(void) { return VITRINE_ABI_MAJOR; }
