// The error every sample command throws when a business rule forbids it. It is not an
// opossum::Error: the store did nothing wrong, the application refused the command.
#pragma once

#include <stdexcept>
#include <string>

namespace samples {

class CommandRejected : public std::runtime_error {
 public:
  explicit CommandRejected(const std::string& reason) : std::runtime_error(reason) {}
};

}  // namespace samples
