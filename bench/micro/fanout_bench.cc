// Delivery to many recipients on one worker (gateway/local_rooms,
// gateway/connection): the per-recipient cost of a room message, with the
// frame built once or once per recipient, with and without the gather write
// that follows; and joining and leaving a room of a given size.
//
// Recipients are real Connections on loopback sockets (MicroGateway). Queues
// are flushed and the peers drained outside the timed region every
// kDrainEvery iterations, so queues stay far below their limits; the
// *AndFlush benchmark times the flush too.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/micro/micro_gateway.h"
#include "bench/micro/sample_frames.h"
#include "benchmark/benchmark.h"
#include "fanout/room_event.h"
#include "gateway/codec/shared_frame.h"
#include "gateway/connection.h"
#include "gateway/local_rooms.h"

namespace switchboard::bench {
namespace {

using gateway::FrameFormat;
using gateway::MessageClass;

constexpr int kDrainEvery = 256;

FrameFormat FormatOf(int64_t arg) {
  return arg == 0 ? FrameFormat::kProtobuf : FrameFormat::kJson;
}

// The shared gateway of `format`, or the benchmark skipped with the reason.
MicroGateway* GatewayOrSkip(benchmark::State& state, FrameFormat format) {
  absl::StatusOr<MicroGateway*> gw = SharedMicroGateway(format);
  if (!gw.ok()) {
    state.SkipWithError(gw.status().ToString().c_str());
    return nullptr;
  }
  return *gw;
}

// Connection::Send of one room message to each of N connections, the frame
// encoded once and shared (what the hub does) or encoded per recipient (what
// a naive server does). Args: N, format (0 proto, 1 JSON), shared (0/1).
void BM_SendToRecipients(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const FrameFormat format = FormatOf(state.range(1));
  const bool shared = state.range(2) != 0;
  MicroGateway* gw = GatewayOrSkip(state, format);
  if (gw == nullptr) return;
  const client::v1::ServerFrame message = SampleMessage(format);
  int64_t i = 0;
  for (auto _ : state) {
    if (shared) {
      const gateway::SharedFrame frame = gateway::EncodeSharedFrame(message, format);
      for (int c = 0; c < n; ++c) gw->connection(c).Send(frame, MessageClass::kPersisted);
    } else {
      for (int c = 0; c < n; ++c) {
        gw->connection(c).Send(gateway::EncodeSharedFrame(message, format),
                               MessageClass::kPersisted);
      }
    }
    if (++i % kDrainEvery == 0) {
      state.PauseTiming();
      gw->FlushAndDrain(0, n);
      state.ResumeTiming();
    }
  }
  gw->FlushAndDrain(0, n);  // After the loop: not timed.
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(absl::StrCat(format == FrameFormat::kProtobuf ? "proto" : "json",
                              shared ? " shared frame" : " frame per recipient",
                              "; items = recipients"));
}
BENCHMARK(BM_SendToRecipients)
    ->ArgNames({"n", "json", "shared"})
    ->Args({100, 0, 1})
    ->Args({100, 0, 0})
    ->Args({100, 1, 1})
    ->Args({100, 1, 0})
    ->Args({1000, 0, 1})
    ->Args({1000, 0, 0});

// A persisted room event through LocalRooms::Deliver to a room of N live
// members: the worker's whole per-message fan-out loop, without the flush.
fanout::RoomEvent PersistedEvent(FrameFormat format) {
  fanout::RoomEvent event;
  event.kind = fanout::RoomEvent::Kind::kPersisted;
  event.frames.by_format[static_cast<int>(format)] =
      gateway::EncodeSharedFrame(SampleMessage(format), format);
  return event;
}

void BM_LocalRoomsDeliver(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  MicroGateway* gw = GatewayOrSkip(state, FrameFormat::kProtobuf);
  if (gw == nullptr) return;
  // Members joined through the ephemeral path are live at once; persisted
  // events with consecutive offsets then take the live branch every time.
  fanout::RoomEvent event = PersistedEvent(FrameFormat::kProtobuf);
  event.room = gw->RoomOfSize(n);
  event.offset = gw->LastOffset(event.room);
  int64_t i = 0;
  for (auto _ : state) {
    event.prev = event.offset;
    ++event.offset;
    gw->rooms().Deliver(event);
    if (++i % kDrainEvery == 0) {
      state.PauseTiming();
      gw->FlushAndDrain(0, n);
      state.ResumeTiming();
    }
  }
  gw->SetLastOffset(event.room, event.offset);
  gw->FlushAndDrain(0, n);  // After the loop: not timed.
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel("items = recipients");
}
BENCHMARK(BM_LocalRoomsDeliver)->Arg(10)->Arg(100)->Arg(1000);

// B events delivered to a room of N, then the worker's end-of-pass flush:
// one gather write (sendmsg) per connection carrying B frames. B = 1 is one
// write per message per connection, the plain-server shape; the difference
// to BM_LocalRoomsDeliver is the syscall. Draining the peers is not timed.
void BM_DeliverAndFlush(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  MicroGateway* gw = GatewayOrSkip(state, FrameFormat::kProtobuf);
  if (gw == nullptr) return;
  fanout::RoomEvent event = PersistedEvent(FrameFormat::kProtobuf);
  event.room = gw->RoomOfSize(n);
  event.offset = gw->LastOffset(event.room);
  for (auto _ : state) {
    for (int b = 0; b < batch; ++b) {
      event.prev = event.offset;
      ++event.offset;
      gw->rooms().Deliver(event);
    }
    gw->RunPending();
    state.PauseTiming();
    gw->DrainPeers(0, n);
    state.ResumeTiming();
  }
  gw->SetLastOffset(event.room, event.offset);
  state.SetItemsProcessed(state.iterations() * n * batch);
  state.counters["frames_per_write"] = batch;
  state.SetLabel("items = deliveries");
}
BENCHMARK(BM_DeliverAndFlush)
    ->ArgNames({"n", "batch"})
    ->Args({100, 1})
    ->Args({100, 16})
    ->Args({1000, 1})
    ->Args({1000, 16});

// One connection joins and leaves a room that already has K members (so the
// hub is not involved: its subscription exists). Leave looks the member up
// by a linear scan; the leaver here is the last member, the worst case.
void BM_JoinLeave(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  MicroGateway* gw = GatewayOrSkip(state, FrameFormat::kProtobuf);
  if (gw == nullptr) return;
  const std::string room = gw->RoomOfSize(k);
  gateway::Connection* subject = &gw->connection(gw->size() - 1);
  int64_t i = 0;
  for (auto _ : state) {
    gateway::LocalRooms::JoinRequest request;
    request.reply_id = 7;
    request.room = room;
    request.presence = true;
    gw->rooms().Join(subject, std::move(request));
    gw->rooms().Leave(subject, room);
    if (++i % kDrainEvery == 0) {
      state.PauseTiming();
      gw->FlushAndDrain(gw->size() - 1, 1);
      state.ResumeTiming();
    }
  }
  gw->FlushAndDrain(gw->size() - 1, 1);  // After the loop: not timed.
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items = join+leave pairs (includes the Joined frame)");
}
BENCHMARK(BM_JoinLeave)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace switchboard::bench
