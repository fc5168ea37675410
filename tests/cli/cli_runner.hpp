// Runs the built `opossum` binary as a subprocess and captures what it prints.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace opossum::test {

struct CliResult {
  int status = -1;  // exit status, or -(signal)
  std::string out;
  std::string err;
};

inline std::string readWhole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void writeWhole(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// The binary under test, with its stdin from `input` and stdout/stderr in files under `work`.
class Cli {
 public:
  explicit Cli(std::filesystem::path work) : work_(std::move(work)) {}

  // Starts `opossum args...`; returns the pid.
  pid_t start(const std::vector<std::string>& args, const std::string& input = "") {
    writeWhole(work_ / "stdin.txt", input);
    const std::string in = (work_ / "stdin.txt").string();
    const std::string out = (work_ / "stdout.txt").string();
    const std::string err = (work_ / "stderr.txt").string();
    std::vector<std::string> argv{OPOSSUM_CLI_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int inFd = ::open(in.c_str(), O_RDONLY);
      int outFd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int errFd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (inFd < 0 || outFd < 0 || errFd < 0 || ::chdir(work_.c_str()) != 0) ::_exit(120);
      ::dup2(inFd, 0);
      ::dup2(outFd, 1);
      ::dup2(errFd, 2);
      // Only the build tree's plugin folder, found beside the binary.
      ::unsetenv("OPOSSUM_PLUGIN_PATH");
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(121);
    }
    return pid;
  }

  CliResult wait(pid_t pid) {
    int raw = 0;
    ::waitpid(pid, &raw, 0);
    CliResult result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -WTERMSIG(raw);
    result.out = readWhole(work_ / "stdout.txt");
    result.err = readWhole(work_ / "stderr.txt");
    return result;
  }

  CliResult run(const std::vector<std::string>& args, const std::string& input = "") {
    return wait(start(args, input));
  }

  std::string stdoutSoFar() const { return readWhole(work_ / "stdout.txt"); }

 private:
  std::filesystem::path work_;
};

}  // namespace opossum::test
