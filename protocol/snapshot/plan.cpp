#include "protocol/snapshot/plan.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "protocol/snapshot/record.hpp"

#include <cstring>

namespace snapstream::snapshot {

namespace {

constexpr std::uint8_t plan_magic[4] = {'S', 'S', 'P', 'L'};
constexpr std::uint8_t plan_version = 1;

error plan_error(snapshot_errc code, const std::string& what) {
  return error{code, "plan: " + what};
}

} // namespace

byte_buffer encode_plan(const plan& p) {
  byte_buffer out(encoded_plan_size(p.page_count()));
  std::uint8_t* w = out.data();
  std::memcpy(w, plan_magic, 4);
  w[4] = plan_version;
  store_be64(w + 5, p.height);
  store_be32(w + 13, p.page_size);
  store_be64(w + 17, p.page_count());
  store_be64(w + 25, p.record_count);
  store_be64(w + 33, p.total_bytes);
  store_be32(w + 41, p.update_count);
  std::memcpy(w + 45, p.state_root.data(), 32);
  w += plan_header_size;
  for (const auto& h : p.page_hashes) {
    std::memcpy(w, h.data(), 32);
    w += 32;
  }
  return out;
}

result<void> check_plan(const plan& p) {
  if (auto ok = check_page_size(p.page_size); !ok) return plan_error(snapshot_errc::invalid_page_size, ok.error().message());
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  if (p.update_count < 1) return plan_error(snapshot_errc::invalid_plan, "update_count is 0, at least 1 is required");
  const std::uint64_t pages = p.page_count();
  if ((pages == 0) != (p.total_bytes == 0)) {
    return plan_error(snapshot_errc::invalid_plan,
                      "page_count " + n(pages) + " and total_bytes " + n(p.total_bytes) + " must be zero together");
  }
  if ((pages == 0) != (p.record_count == 0)) {
    return plan_error(snapshot_errc::invalid_plan,
                      "page_count " + n(pages) + " and record_count " + n(p.record_count) + " must be zero together");
  }
  if (p.record_count < pages) {
    return plan_error(snapshot_errc::invalid_plan,
                      "record_count " + n(p.record_count) + " is below page_count " + n(pages));
  }
  if (p.record_count > p.total_bytes / min_record_size) {
    return plan_error(snapshot_errc::invalid_plan, "total_bytes " + n(p.total_bytes) + " cannot hold record_count " +
                                                     n(p.record_count) + " records");
  }
  return {};
}

result<plan> decode_plan(bytes_view in) {
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  if (in.size() < plan_header_size) {
    return plan_error(snapshot_errc::truncated, n(in.size()) + " bytes, the header needs " + n(plan_header_size));
  }
  if (std::memcmp(in.data(), plan_magic, 4) != 0) return plan_error(snapshot_errc::bad_magic, "magic is not SSPL");
  if (in[4] != plan_version) {
    return plan_error(snapshot_errc::unsupported_version, "format version " + n(in[4]) + " is not 1");
  }
  plan p;
  p.height = load_be64(in.data() + 5);
  p.page_size = load_be32(in.data() + 13);
  const std::uint64_t page_count = load_be64(in.data() + 17);
  p.record_count = load_be64(in.data() + 25);
  p.total_bytes = load_be64(in.data() + 33);
  p.update_count = load_be32(in.data() + 41);
  std::memcpy(p.state_root.data(), in.data() + 45, 32);
  const std::size_t hash_bytes = in.size() - plan_header_size;
  if (page_count > hash_bytes / 32) {
    return plan_error(snapshot_errc::truncated, "page_count " + n(page_count) + " needs " + n(page_count) +
                                                  " page hashes, the input holds " + n(hash_bytes / 32));
  }
  if (hash_bytes != page_count * 32) {
    return plan_error(snapshot_errc::trailing_bytes,
                      n(hash_bytes - page_count * 32) + " bytes after page hash " + n(page_count));
  }
  p.page_hashes.resize(page_count);
  const std::uint8_t* r = in.data() + plan_header_size;
  for (auto& h : p.page_hashes) {
    std::memcpy(h.data(), r, 32);
    r += 32;
  }
  if (auto ok = check_plan(p); !ok) return ok.error();
  return p;
}

bool check_plan_root(const plan& p) noexcept {
  return merkle_root(p.page_hashes) == p.state_root;
}

std::string plan_id(const hash256& state_root) {
  return to_hex(state_root);
}

} // namespace snapstream::snapshot
