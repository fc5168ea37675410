// Links the installed kernel but calls nothing of the SDK: it starts only when the installed
// libopossum finds libopossum_sdk by itself.
#include <iostream>
#include <opossum/version.hpp>

int main() {
  std::cout << "opossum " << opossum::version() << "\n";
  return 0;
}
