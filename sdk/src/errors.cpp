// Out-of-line destructors are the key functions of the error classes: their typeinfo is emitted
// once, in libopossum_sdk.so, so a plugin's throw is caught by the kernel's catch.
#include "opossum/errors.hpp"

#include <cstring>

namespace opossum {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
AppendConditionFailedError::~AppendConditionFailedError() = default;
InvalidArgumentError::~InvalidArgumentError() = default;
LockTimeoutError::~LockTimeoutError() = default;
CancelledError::~CancelledError() = default;
CorruptionError::~CorruptionError() = default;
IoError::~IoError() = default;
PluginError::~PluginError() = default;
ConfigError::~ConfigError() = default;

void throwIoError(const std::string& what, const std::string& path, int errnoValue) {
  // strerror_r (GNU flavour) is thread-safe, unlike strerror.
  char buffer[256];
  const char* text = strerror_r(errnoValue, buffer, sizeof buffer);
  throw IoError(what + " '" + path + "': " + text);
}

}  // namespace opossum
