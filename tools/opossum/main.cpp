// opossum: the command-line tool beside the library (README.md): inspect, query, operate and
// move stores.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "opossum/errors.hpp"
#include "opossum/version.hpp"

namespace {

// One line on stderr, whatever the message holds.
int fail(int status, const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cout.flush();
  std::fprintf(stderr, "opossum: %s\n", line.c_str());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace opossum::cli;
  std::ios::sync_with_stdio(false);

  CLI::App app{"opossum " OPOSSUM_VERSION_STRING
               ": inspect, query, operate and move Opossum event stores"};
  app.require_subcommand(1);
  app.set_version_flag("--version", OPOSSUM_VERSION_STRING);
  app.footer(
      "Every store command takes --config FILE, or --root DIR --store NAME.\n"
      "Exit status: 0 ok, 1 error, 2 usage, 3 append condition failed, 4 verify found problems.\n"
      "Run 'opossum COMMAND --help' for a command's options and an example.");

  int status = kExitOk;
  registerEventCommands(app, status);
  registerTransferCommands(app, status);
  registerVerifyCommands(app, status);
  registerAdminCommands(app, status);
  registerProjectionCommands(app, status);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(kExitUsage, std::string(e.what()) + " (run with --help for usage)");
  } catch (const UsageError& e) {
    return fail(kExitUsage, std::string(e.what()) + " (run with --help for usage)");
  } catch (const opossum::AppendConditionFailedError& e) {
    return fail(kExitConflict, e.what());
  } catch (const std::exception& e) {
    return fail(kExitError, e.what());
  }
  std::cout.flush();
  if (!std::cout) return fail(kExitError, "cannot write to standard output");
  return status;
}
