#ifndef SWITCHBOARD_TESTS_CLIENTS_CPP_IO_THREAD_H_
#define SWITCHBOARD_TESTS_CLIENTS_CPP_IO_THREAD_H_

#include <functional>
#include <future>
#include <thread>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"

namespace switchboard {
namespace client {
namespace testing {

// An io_context run by one thread, for tests of classes that live on an I/O
// thread. Run() executes a function there and waits for it. Objects created
// on it must be destroyed on it (Run) or after the thread stopped (Stop).
class IoThread {
 public:
  IoThread()
      : work_(io_context_.get_executor()),
        thread_([this] { io_context_.run(); }) {}
  ~IoThread() { Stop(); }

  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& io_context() { return io_context_; }

  void Run(const std::function<void()>& fn) {
    std::promise<void> done;
    boost::asio::post(io_context_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_context_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context io_context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  std::thread thread_;
};

}  // namespace testing
}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_CLIENTS_CPP_IO_THREAD_H_
