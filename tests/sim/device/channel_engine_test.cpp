// SPDX-License-Identifier: Apache-2.0
// The SystemC HBM and engine modules on scripted sequences with finish times derived by hand. Each TEST runs in its
// own process (one simulation per process).
#include <gtest/gtest.h>

#include "sim/device/engine.h"
#include "sim/device/fabric.h"
#include "sim/device/shared_channel.h"
#include "tests/test_support.h"
#include "traces/sqlite_recorder.h"
#include "traces/trace_reader.h"

namespace hpusim::sim {
namespace {

// A scripted producer: starts transfers of given sizes at given times and notes when each returns.
SC_MODULE(Streams) {
  struct Stream {
    Picoseconds start;
    int64_t bytes;
    Picoseconds finished = -1;
  };
  SharedChannel* hbm = nullptr;
  std::vector<Stream> streams;
  SC_CTOR(Streams) {}
  void launch() {
    for (std::size_t i = 0; i < streams.size(); ++i)
      sc_core::sc_spawn([this, i] {
        sc_core::wait(to_sc_time(streams[i].start));
        hbm->transfer(streams[i].bytes);
        streams[i].finished = now_ps();
      });
  }
};

TEST(SharedChannel, OneStreamTakesBytesOverBandwidth) {
  init_systemc();
  SharedChannel hbm("hbm", 100.0);  // 100 GB/s = 0.1 bytes per ps
  Streams s("streams");
  s.hbm = &hbm;
  s.streams = {{0, 1'000'000}};
  s.launch();
  run_simulation();
  EXPECT_EQ(s.streams[0].finished, 10'000'000);  // 1e6 bytes / 100 GB/s = 10 us
  EXPECT_EQ(hbm.busy_ps(), 10'000'000);
}

TEST(SharedChannel, TwoStreamsAtOnceEachGetHalf) {
  init_systemc();
  SharedChannel hbm("hbm", 100.0);
  Streams s("streams");
  s.hbm = &hbm;
  s.streams = {{0, 1'000'000}, {0, 1'000'000}};
  s.launch();
  run_simulation();
  EXPECT_EQ(s.streams[0].finished, 20'000'000);
  EXPECT_EQ(s.streams[1].finished, 20'000'000);
}

TEST(SharedChannel, ALateStreamSharesOnlyWhileBothFlow) {
  init_systemc();
  SharedChannel hbm("hbm", 100.0);
  Streams s("streams");
  s.hbm = &hbm;
  // A alone for 5 us moves 0.5 MB; then both at 50 GB/s: A's other 0.5 MB take 10 us (done at 15 us); B then has
  // 0.5 MB left alone at 100 GB/s: 5 us more, done at 20 us.
  s.streams = {{0, 1'000'000}, {5'000'000, 1'000'000}};
  s.launch();
  run_simulation();
  EXPECT_EQ(s.streams[0].finished, 15'000'000);
  EXPECT_EQ(s.streams[1].finished, 20'000'000);
  EXPECT_EQ(hbm.bytes_moved(), 2'000'000);
}

TEST(Engine, TasksRunInOrderComputeAndMemoryOverlapAndSpansAreRecorded) {
  init_systemc();
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  {
    traces::SqliteRecorder rec(path, {"engine test", "test", "{}", "{}"});
    const int64_t card = rec.add_device(0, "test card");
    const int64_t id = rec.add_engine(card, "mme", traces::EngineKind::Matrix);
    SharedChannel hbm("hbm", 100.0);
    Engine mme("mme", hbm, rec, id);
    // 1: compute only, 1000 ps. 2: compute 500 ps beside 100 bytes (1000 ps at 0.1 byte/ps): 1000 ps. 3: compute 3000
    // ps beside 100 bytes: compute-bound, 3000 ps.
    auto op = [&](const char* name) {
      traces::OpRecord r;
      r.name = name;
      r.kind = "gemm";
      return rec.add_op(r);
    };
    mme.submit({op("a"), 1000, 0, {}, nullptr});
    mme.submit({op("b"), 500, 100, {}, nullptr});
    mme.submit({op("c"), 3000, 100, {}, nullptr});
    run_simulation();
    EXPECT_EQ(mme.tasks_done(), 3);
    EXPECT_EQ(mme.busy_ps(), 5000);
    rec.finish(traces::RunStatus::Complete, "");
  }
  traces::TraceReader reader(path);
  traces::OpFilter all;
  const auto ops = reader.ops(1, all);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].start_ps, 0);
  EXPECT_EQ(ops[0].end_ps, 1000);
  EXPECT_EQ(ops[1].end_ps, 2000);
  EXPECT_EQ(ops[2].end_ps, 5000);
}

TEST(Engine, TwoEnginesStreamingAtOnceShareTheHbm) {
  init_systemc();
  traces::NullRecorder rec;
  SharedChannel hbm("hbm", 100.0);
  Engine a("a", hbm, rec, 1), b("b", hbm, rec, 2);
  a.submit({1, 0, 1'000'000, {}, nullptr});
  b.submit({2, 0, 1'000'000, {}, nullptr});
  run_simulation();
  EXPECT_EQ(a.busy_ps(), 20'000'000);  // each alone would take 10 us
  EXPECT_EQ(b.busy_ps(), 20'000'000);
}

// MME and TPC are separate engines: two tasks with no dependency between them run at once; a dependency orders them.
TEST(Engine, IndependentTasksOnTwoEnginesOverlapAndADependencyOrdersThem) {
  init_systemc();
  traces::NullRecorder rec;
  SharedChannel hbm("hbm", 100.0);
  Engine mme("mme", hbm, rec, 1), tpc("tpc", hbm, rec, 2);
  Completion gemm, gelu, after;
  mme.submit({1, 4000, 0, {}, &gemm});                // 4 ns on the MME
  tpc.submit({2, 3000, 0, {}, &gelu});                // 3 ns on the TPC, unrelated: overlaps
  tpc.submit({3, 1000, 0, {&gemm}, &after});          // needs the GEMM: starts at 4 ns, not at 3
  run_simulation();
  EXPECT_EQ(mme.busy_ps() + tpc.busy_ps(), 8000);
  EXPECT_TRUE(after.done());
  EXPECT_EQ(sc_core::sc_time_stamp(), to_sc_time(5000));  // max(4, 3) + 1, not 4 + 3 + 1
}

// A dependency already satisfied when the task reaches the head of its queue costs nothing.
TEST(Engine, ADependencyThatEndedLongAgoDoesNotWait) {
  init_systemc();
  traces::NullRecorder rec;
  SharedChannel hbm("hbm", 100.0);
  Engine a("a", hbm, rec, 1), b("b", hbm, rec, 2);
  Completion first, second;
  a.submit({1, 1000, 0, {}, &first});
  b.submit({2, 5000, 0, {}, nullptr});
  b.submit({3, 1000, 0, {&first}, &second});  // `first` ended at 1 ns; this starts at 5 ns when b is free
  run_simulation();
  EXPECT_EQ(sc_core::sc_time_stamp(), to_sc_time(6000));
}

// The fabric synchronises: each card's port waits for the slowest card, then the collective's alpha-beta time.
TEST(Fabric, PortsWaitForTheLastCardThenTheCollectiveTime) {
  init_systemc();
  traces::NullRecorder rec;
  models::FabricSpec spec{"nvswitch", 8, 12, 0, 25.0, 0, 2.0};
  Fabric fabric("fabric", spec, 2);
  SharedChannel hbm("hbm", 100.0);
  Engine late("late", hbm, rec, 1);
  FabricPort p0("p0", fabric, rec, 2, true), p1("p1", fabric, rec, 3, false);
  Completion ready, done0, done1;
  late.submit({1, 7000, 0, {}, &ready});
  p0.submit({2, 0, 0, {}, &done0, 1 << 20});
  p1.submit({3, 0, 0, {&ready}, &done1, 1 << 20});
  run_simulation();
  const Picoseconds t = all_reduce_time(spec, 1 << 20, 2, CollectiveAlgorithm::ring).ps;
  EXPECT_EQ(sc_core::sc_time_stamp(), to_sc_time(7000 + t));
  EXPECT_EQ(fabric.collectives(), 1);
  EXPECT_EQ(fabric.busy_ps(), t);
  EXPECT_EQ(p0.busy_ps(), t);  // the wait for the late card is not busy time
  EXPECT_EQ(p1.busy_ps(), t);
}

}  // namespace
}  // namespace hpusim::sim
