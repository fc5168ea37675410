// A process appending with flushEventsImmediately=true is killed (SIGKILL) at random moments,
// again and again on the same store; after each kill recovery must give back every acknowledged
// batch and no partial one. OPOSSUM_CRASH_ITERATIONS sets the number of kills (default 60),
// OPOSSUM_CRASH_SEED repeats a run.
#include <catch2/catch.hpp>

#include "crash_harness.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

}  // namespace

TEST_CASE("killed while appending with flushEventsImmediately=true: acknowledged batches survive",
          "[crash]") {
  opossum::test::TempDir dir;
  opossum::test::CrashOptions options;
  options.flush = true;
  auto report = opossum::test::runCrashExperiment(dir.path(), options);
  INFO("seed " << report.seed << ", " << report.iterations << " kills, head " << report.head << ", "
               << report.acknowledged << " batches acknowledged, " << report.rejected
               << " rejected, " << report.killedWhileOpening << " kills while opening");
  for (const auto& problem : report.problems) FAIL_CHECK(problem);
  CHECK(report.problems.empty());
  CHECK(report.acknowledged > 0);
  CHECK(report.head > 0);
}
