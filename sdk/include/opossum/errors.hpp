// The error types of the product. Every error derives from opossum::Error and says what was wrong
// and where (file, option, plugin, index of the offending event).
#pragma once

#include <stdexcept>
#include <string>

#include "opossum/export.hpp"

namespace opossum {

class OPOSSUM_EXPORT Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

// The append condition matched; nothing was written.
class OPOSSUM_EXPORT AppendConditionFailedError : public Error {
 public:
  using Error::Error;
  ~AppendConditionFailedError() override;
};

// Bad input: events, tags, payloads, store names, options.
class OPOSSUM_EXPORT InvalidArgumentError : public Error {
 public:
  using Error::Error;
  ~InvalidArgumentError() override;
};

// The cross-process lock was not acquired within crossProcessLockTimeoutMs.
class OPOSSUM_EXPORT LockTimeoutError : public Error {
 public:
  using Error::Error;
  ~LockTimeoutError() override;
};

// The caller's std::stop_token fired before the operation took effect.
class OPOSSUM_EXPORT CancelledError : public Error {
 public:
  using Error::Error;
  ~CancelledError() override;
};

// A damaged file that cannot be recovered automatically.
class OPOSSUM_EXPORT CorruptionError : public Error {
 public:
  using Error::Error;
  ~CorruptionError() override;
};

// An operating-system I/O failure (disk full, permission, ...).
class OPOSSUM_EXPORT IoError : public Error {
 public:
  using Error::Error;
  ~IoError() override;
};

// A plugin cannot be found, loaded, or has an incompatible ABI.
class OPOSSUM_EXPORT PluginError : public Error {
 public:
  using Error::Error;
  ~PluginError() override;
};

// An unreadable or invalid config file (or a plugin option it passes on).
class OPOSSUM_EXPORT ConfigError : public Error {
 public:
  using Error::Error;
  ~ConfigError() override;
};

// Builds the message of an IoError from errno: "<what> '<path>': <strerror>".
[[noreturn]] OPOSSUM_EXPORT void throwIoError(const std::string& what, const std::string& path,
                                              int errnoValue);

}  // namespace opossum
