// Real child processes for multi-process and crash tests.
#pragma once

#include <sys/types.h>

#include <functional>

namespace opossum::test {

// Forks; the child runs `body` and exits with its result (99 when it throws). Returns the pid.
// Fork before starting threads in the parent.
pid_t forkChild(const std::function<int()>& body);

// Waits for the child: its exit code, or -(signal number) when a signal ended it.
int waitChild(pid_t pid);

}  // namespace opossum::test
