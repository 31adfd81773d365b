// An independent PNG reader for the tests: checks the signature and every
// chunk CRC, and inflates the image data.
#pragma once

#include <cstdint>
#include <string>

namespace vitrine::sim::test {

struct PngInfo {
  bool ok = false;
  std::string error;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int bit_depth = 0;
  int color_type = 0;
  std::string raw;  // inflated IDAT data (filter byte + scanline per row)
};

PngInfo inspect_png(const std::string& bytes);

}  // namespace vitrine::sim::test
