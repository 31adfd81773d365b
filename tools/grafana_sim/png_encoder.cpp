#include "png_encoder.h"

#include <zlib.h>

#include <stdexcept>

namespace vitrine::sim {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xffU));
  out.push_back(static_cast<char>((v >> 16) & 0xffU));
  out.push_back(static_cast<char>((v >> 8) & 0xffU));
  out.push_back(static_cast<char>(v & 0xffU));
}

// A chunk's CRC covers its type and data, not its length.
void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::string typed = std::string(type, 4) + data;
  out += typed;
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

RgbImage::RgbImage(int w, int h)
    : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3) {}

std::string encode_png(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0) throw std::invalid_argument("empty image");
  const std::size_t row = static_cast<std::size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((row + 1) * static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    raw.push_back('\0');  // filter type 0 (None): simple and always valid
    const auto* start = image.pixels.data() + static_cast<std::size_t>(y) * row;
    raw.append(reinterpret_cast<const char*>(start), row);
  }

  uLongf packed_len = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_len, '\0');
  // Why level 1: a 4000x4000 render must stay fast; size hardly matters here.
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_len,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                1) != Z_OK) {
    throw std::runtime_error("zlib compress2 failed");
  }
  packed.resize(packed_len);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(image.width));
  put_u32(ihdr, static_cast<std::uint32_t>(image.height));
  ihdr.push_back(8);  // bit depth
  ihdr.push_back(2);  // color type: truecolor
  ihdr.push_back(0);  // compression: deflate
  ihdr.push_back(0);  // filter method 0
  ihdr.push_back(0);  // no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", std::string());
  return png;
}

}  // namespace vitrine::sim
