// Several processes (2 or 3) append to one store concurrently and are killed at once; recovery
// must keep every batch any of them had acknowledged, whole, and none that a condition refused.
#include <catch2/catch.hpp>

#include "crash_harness.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

}  // namespace

TEST_CASE("several appending processes killed at once: acknowledged batches survive",
          "[crash][engines]") {
  opossum::test::TempDir dir;
  opossum::test::CrashOptions options;
  options.children = 3;
  options.randomChildren = true;
  options.mixedFlush = true;
  auto report = opossum::test::runCrashExperiment(dir.path(), options);
  INFO("seed " << report.seed << ", " << report.iterations << " kills, head " << report.head << ", "
               << report.acknowledged << " batches acknowledged, " << report.rejected
               << " rejected, " << report.killedWhileOpening << " kills while opening");
  for (const auto& problem : report.problems) FAIL_CHECK(problem);
  CHECK(report.problems.empty());
  CHECK(report.acknowledged > 0);
}
