// baseline-server: the "plain Boost.Beast" comparison server of issue 7 (see
// docs/performance.md): one thread, Beast websocket::stream per connection,
// every message broadcast to all other connections through per-session
// queues of shared buffers, one async_write per message per connection.
// Drive it with `loadgen --protocol=raw --scenario=big_room`.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "bench/baseline/broadcast_room.h"
#include "bench/baseline/listener.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "Listen address");
ABSL_FLAG(int, port, 18090, "Listen port (0: any; the chosen port is printed)");
ABSL_FLAG(int, max_queue, 0,
          "Messages a session may have queued before it is closed; 0 = unbounded "
          "(Beast's chat example)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Plain Boost.Beast broadcast server for benchmarks");
  absl::ParseCommandLine(argc, argv);
  namespace baseline = switchboard::bench::baseline;
  namespace net = boost::asio;

  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  net::io_context io(1);
  baseline::BroadcastRoom room;
  auto listener =
      std::make_shared<baseline::Listener>(io, room, static_cast<size_t>(absl::GetFlag(FLAGS_max_queue)));
  boost::system::error_code ec;
  const auto address = net::ip::make_address(absl::GetFlag(FLAGS_address), ec);
  if (ec) {
    std::cerr << "--address: " << ec.message() << "\n";
    return 2;
  }
  if (absl::Status s = listener->Listen(
          {address, static_cast<unsigned short>(absl::GetFlag(FLAGS_port))});
      !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  listener->Run();
  std::printf("listening on %s:%u\n", absl::GetFlag(FLAGS_address).c_str(), listener->port());
  std::fflush(stdout);

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  std::printf("messages=%llu deliveries=%llu sessions=%zu\n",
              static_cast<unsigned long long>(room.messages()),
              static_cast<unsigned long long>(room.deliveries()), room.size());
  return 0;
}
