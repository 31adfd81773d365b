// ABI-14: the SDK headers are valid C++20 under -Wall -Wextra -pedantic -Werror.
#include "layout_table.h"

#include <type_traits>

// ABI-3: every ABI struct is trivially copyable standard layout, so the
// host may memcpy and zero-initialise them and offsets are well defined.
static_assert(std::is_standard_layout_v<vitrine_render_request>);
static_assert(std::is_trivially_copyable_v<vitrine_render_request>);
static_assert(std::is_standard_layout_v<vitrine_plugin_entry>);
static_assert(std::is_standard_layout_v<vitrine_http_response>);

int vitrine_header_cxx20_compiles();
int vitrine_header_cxx20_compiles() { return VITRINE_ABI_MAJOR; }
