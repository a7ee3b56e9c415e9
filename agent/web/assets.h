// The staff screens' files (agent/web/*.html, .css, .js), compiled into the
// agent so it serves them with no build step and no files to install.
// Generated at build time from the files beside this header; constant data,
// any thread.
#ifndef TAYORI_AGENT_WEB_ASSETS_H_
#define TAYORI_AGENT_WEB_ASSETS_H_

#include <string_view>

namespace tayori::agent::web {

struct Asset {
  std::string_view path;          // "/", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// The asset served at PATH, or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace tayori::agent::web

#endif  // TAYORI_AGENT_WEB_ASSETS_H_
