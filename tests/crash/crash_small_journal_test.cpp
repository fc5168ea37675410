// Like crash_test, with a journal of 8 KiB that wraps every few appends: kills also land in
// checkpoints, and recovery must still find every acknowledged batch.
#include <catch2/catch.hpp>

#include "crash_harness.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

}  // namespace

TEST_CASE("killed while appending through a small journal: acknowledged batches survive",
          "[crash]") {
  opossum::test::TempDir dir;
  opossum::test::CrashOptions options;
  options.mixedFlush = true;
  options.journalCapacityBytes = 8192;
  auto report = opossum::test::runCrashExperiment(dir.path(), options);
  INFO("seed " << report.seed << ", " << report.iterations << " kills, head " << report.head << ", "
               << report.acknowledged << " batches acknowledged, " << report.rejected
               << " rejected, " << report.killedWhileOpening << " kills while opening");
  for (const auto& problem : report.problems) FAIL_CHECK(problem);
  CHECK(report.problems.empty());
  CHECK(report.acknowledged > 0);
}
