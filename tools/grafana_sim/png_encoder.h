// Minimal PNG writer: 8-bit RGB, filter 0 on every row, one zlib IDAT chunk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vitrine::sim {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width * height * 3, row-major

  RgbImage(int w, int h);
};

// Encodes `image` as a complete PNG file. Color type 2 (truecolor), so the
// inflated IDAT payload is exactly (1 + 3 * width) * height bytes.
std::string encode_png(const RgbImage& image);

}  // namespace vitrine::sim
