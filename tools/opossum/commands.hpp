// The subcommands of `opossum`, grouped by file. Each register function adds its subcommands to
// `app`; their callbacks set `status` (an ExitStatus) or throw.
#pragma once

#include <CLI/CLI.hpp>

namespace opossum::cli {

void registerEventCommands(CLI::App& app, int& status);       // info read last append tail
void registerTransferCommands(CLI::App& app, int& status);    // export import
void registerVerifyCommands(CLI::App& app, int& status);      // verify reindex
void registerAdminCommands(CLI::App& app, int& status);       // plugins delete-store
void registerProjectionCommands(CLI::App& app, int& status);  // projections list|status|rebuild

}  // namespace opossum::cli
