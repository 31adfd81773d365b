// The two scripts of the height protocol (docs/embedding.md#height):
//   frame_script()  /static/vitrine-embed-frame.js, loaded by every embed
//                   document: posts {type: "vitrine:height", height, id} to
//                   its parent whenever its content's height changes
//   embedder_script() /embed.js, for the page that embeds: resizes the
//                   iframe a message came from, after checking that
//                   event.origin is this Vitrine's origin
#pragma once

#include <string_view>

namespace vitrine::server {

std::string_view frame_script();
std::string_view embedder_script();

}  // namespace vitrine::server
