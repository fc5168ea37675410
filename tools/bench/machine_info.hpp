// Where the numbers were measured: they mean little without the machine and the file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace opossum::bench {

// Label/value pairs, in print order.
using MachineInfo = std::vector<std::pair<std::string, std::string>>;

MachineInfo describeMachine(const std::filesystem::path& dir);

// Bytes the files under `dir` occupy on disk (allocated blocks, not lengths).
std::uint64_t diskUsage(const std::filesystem::path& dir);

}  // namespace opossum::bench
