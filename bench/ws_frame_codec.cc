#include "bench/ws_frame_codec.h"

#include "absl/status/status.h"

namespace switchboard::bench {
namespace {

// Server frames larger than this are treated as a protocol error (replay batches
// are bounded by the gateway's 1 MiB queue, so 16 MiB is generous).
constexpr uint64_t kMaxFrameBytes = 16u << 20;

}  // namespace

void WsFrameCodec::AppendClientFrame(uint8_t opcode, absl::string_view payload, uint32_t mask,
                                     std::string* out) {
  const uint64_t size = payload.size();
  out->push_back(static_cast<char>(0x80 | opcode));
  if (size < 126) {
    out->push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    out->push_back(static_cast<char>(0x80 | 126));
    out->push_back(static_cast<char>(size >> 8));
    out->push_back(static_cast<char>(size & 0xFF));
  } else {
    out->push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
  const char key[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16),
                       static_cast<char>(mask >> 8), static_cast<char>(mask)};
  out->append(key, 4);
  const size_t start = out->size();
  out->append(payload.data(), payload.size());
  for (size_t i = 0; i < size; ++i) (*out)[start + i] ^= key[i & 3];
}

absl::StatusOr<bool> WsFrameCodec::Next(Message* message) {
  while (true) {
    const size_t available = buffer_.size() - read_pos_;
    if (available < 2) break;
    const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data() + read_pos_);
    const bool fin = (p[0] & 0x80) != 0;
    const uint8_t opcode = p[0] & 0x0F;
    if ((p[1] & 0x80) != 0) return absl::InvalidArgumentError("masked server frame");
    uint64_t length = p[1] & 0x7F;
    size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (length > kMaxFrameBytes) return absl::InvalidArgumentError("server frame too large");
    if (available < header + length) break;
    absl::string_view body(buffer_.data() + read_pos_ + header, length);
    read_pos_ += header + length;

    if (opcode >= kClose) {  // Control frames may interleave with fragments.
      message->opcode = opcode;
      message->payload.assign(body.data(), body.size());
      return true;
    }
    if (opcode != kContinuation) {
      fragment_opcode_ = opcode;
      fragment_.clear();
    }
    fragment_.append(body.data(), body.size());
    if (fin) {
      message->opcode = fragment_opcode_;
      message->payload.swap(fragment_);
      fragment_.clear();
      return true;
    }
  }
  // Compact the consumed prefix once it is a read's worth (moving only the
  // partial frame after it), and give back what one large frame needed:
  // with 10K connections, per-connection buffers of 64 KiB came to 700 MB.
  if (read_pos_ > 0 && (read_pos_ == buffer_.size() || read_pos_ >= 8192)) {
    buffer_.erase(0, read_pos_);
    read_pos_ = 0;
    if (buffer_.capacity() > 65536 && buffer_.size() < 16384) buffer_.shrink_to_fit();
  }
  return false;
}

}  // namespace switchboard::bench
