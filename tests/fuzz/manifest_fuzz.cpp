// manifest.json of the file-per-event storage: any bytes either parse or give a CorruptionError.
// Each part read is "" (absent) or "<name> version <n>", and parsing is deterministic.
#include "fuzz_support.hpp"
#include "manifest.hpp"
#include "opossum/errors.hpp"

namespace {

bool wellFormedPart(const std::string& part) {
  if (part.empty()) return true;
  const auto at = part.rfind(" version ");
  if (at == std::string::npos) return false;
  const auto number = part.substr(at + 9);
  if (number.empty()) return false;
  const auto digits = number.front() == '-' ? number.substr(1) : number;
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace store = opossum::plugins::file_storage;
  using opossum::fuzz::violated;
  const std::string_view text = opossum::fuzz::bytesOf(data, size);
  const std::filesystem::path path = "/fuzz/manifest.json";
  store::Manifest manifest;
  try {
    manifest = store::parseManifest(text, path);
  } catch (const opossum::CorruptionError&) {
    return 0;
  }
  for (const auto* part : {&manifest.storage, &manifest.serializer, &manifest.index}) {
    if (!wellFormedPart(*part)) violated("a manifest part is not \"<name> version <n>\"");
  }
  if (store::parseManifest(text, path) != manifest) violated("parsing twice differs");
  return 0;
}
