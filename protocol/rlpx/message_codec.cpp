#include "protocol/rlpx/message_codec.hpp"

#include "protocol/rlpx/rlp.hpp"

#include <snappy.h>

#include <string>

namespace snapstream::rlpx {

result<frame_message> split_frame_data(bytes_view frame_data) {
  auto id = rlp_peek(frame_data);
  if (!id) return make_error(static_cast<rlpx_errc>(id.error().code().value()), "msg-id: " + id.error().message());
  if (id->is_list) return make_error(rlpx_errc::rlp_wrong_kind, "msg-id: expected an integer, found a list");
  auto code = rlp_to_uint64(id->payload, "msg-id");
  if (!code) return code.error();
  return frame_message{*code, frame_data.subspan(id->encoding.size())};
}

void snappy_compress(bytes_view in, byte_buffer& out) {
  const std::size_t start = out.size();
  out.resize(start + snappy::MaxCompressedLength(in.size()));
  std::size_t written = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data() + start), &written);
  out.resize(start + written);
}

result<void> snappy_decompress(bytes_view in, std::size_t limit, byte_buffer& out) {
  std::size_t size = 0;
  const char* data = reinterpret_cast<const char*>(in.data());
  if (!snappy::GetUncompressedLength(data, in.size(), &size))
    return make_error(rlpx_errc::snappy_invalid, "Snappy length header does not parse");
  if (size > limit)
    return make_error(rlpx_errc::message_too_large, "message decompresses to " + std::to_string(size) +
                                                        " bytes, above the limit of " + std::to_string(limit));
  out.resize(size);
  if (!snappy::RawUncompress(data, in.size(), reinterpret_cast<char*>(out.data())))
    return make_error(rlpx_errc::snappy_invalid, "Snappy data is corrupt");
  return {};
}

} // namespace snapstream::rlpx
