// Files built into the binary (cmake/EmbedFiles.cmake writes them from
// src/explorer at build time): the API explorer's page, script and styles.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace kith::server {

// {file name ("index.html"), contents}.
const std::vector<std::pair<std::string_view, std::string_view>>& ExplorerFiles();

}  // namespace kith::server
