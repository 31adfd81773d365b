// The PNG encoder produces files any decoder accepts.
#include <gtest/gtest.h>

#include "panel_painter.h"
#include "png_encoder.h"
#include "png_inspect.h"

namespace vitrine::sim {
namespace {

TEST(SimPng, EncodesValidTruecolorPng) {
  RgbImage img(7, 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i);
  const auto info = test::inspect_png(encode_png(img));
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.width, 7U);
  EXPECT_EQ(info.height, 3U);
  EXPECT_EQ(info.bit_depth, 8);
  EXPECT_EQ(info.color_type, 2);
  ASSERT_EQ(info.raw.size(), (1U + 7U * 3U) * 3U);
  for (int y = 0; y < 3; ++y) EXPECT_EQ(info.raw[static_cast<std::size_t>(y) * 22], '\0');
  EXPECT_EQ(static_cast<unsigned char>(info.raw[1 + 22 + 5]), 21 + 5);
}

TEST(SimPng, PainterVariesByPanelAndTheme) {
  PaintRequest a;
  a.uid = "svc-checkout";
  a.panel_id = 2;
  a.width = 64;
  a.height = 32;
  PaintRequest b = a;
  b.panel_id = 3;
  PaintRequest c = a;
  c.light_theme = true;
  EXPECT_NE(paint(a).pixels, paint(b).pixels);
  EXPECT_NE(paint(a).pixels, paint(c).pixels);
  EXPECT_EQ(paint(a).pixels, paint(a).pixels);
}

TEST(SimPng, TinyImagesStillWork) {
  PaintRequest p;
  p.width = 1;
  p.height = 1;
  const auto info = test::inspect_png(encode_png(paint(p)));
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.raw.size(), 4U);
}

}  // namespace
}  // namespace vitrine::sim
