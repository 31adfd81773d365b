#include "png_inspect.h"

#include <zlib.h>

namespace vitrine::sim::test {
namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

}  // namespace

PngInfo inspect_png(const std::string& bytes) {
  PngInfo info;
  if (bytes.size() < 8 || bytes.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) {
    info.error = "bad signature";
    return info;
  }
  std::string idat;
  std::size_t at = 8;
  bool seen_end = false;
  while (at + 12 <= bytes.size()) {
    const auto len = be32(bytes, at);
    if (at + 12 + len > bytes.size()) {
      info.error = "chunk overruns file";
      return info;
    }
    const std::string type = bytes.substr(at + 4, 4);
    const std::string data = bytes.substr(at + 8, len);
    const std::string typed = type + data;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size())));
    if (crc != be32(bytes, at + 8 + len)) {
      info.error = "bad CRC in " + type;
      return info;
    }
    if (type == "IHDR") {
      info.width = be32(data, 0);
      info.height = be32(data, 4);
      info.bit_depth = static_cast<unsigned char>(data[8]);
      info.color_type = static_cast<unsigned char>(data[9]);
    } else if (type == "IDAT") {
      idat += data;
    } else if (type == "IEND") {
      seen_end = true;
    }
    at += 12 + len;
  }
  if (!seen_end) {
    info.error = "no IEND";
    return info;
  }
  const std::size_t expected =
      (1 + static_cast<std::size_t>(info.width) * 3) * static_cast<std::size_t>(info.height);
  info.raw.resize(expected + 1);
  uLongf out_len = static_cast<uLongf>(info.raw.size());
  if (uncompress(reinterpret_cast<Bytef*>(info.raw.data()), &out_len,
                 reinterpret_cast<const Bytef*>(idat.data()),
                 static_cast<uLong>(idat.size())) != Z_OK) {
    info.error = "IDAT does not inflate";
    return info;
  }
  info.raw.resize(out_len);
  info.ok = true;
  return info;
}

}  // namespace vitrine::sim::test
