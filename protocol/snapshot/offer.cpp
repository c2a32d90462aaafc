#include "protocol/snapshot/offer.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/snapshot/page_builder.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <optional>
#include <string>

namespace snapstream::snapshot {

namespace {

constexpr std::uint8_t offers_magic[4] = {'S', 'S', 'O', 'F'};
constexpr std::uint8_t offers_version = 1;

std::string num(std::uint64_t v) { return std::to_string(v); }

std::string hex_byte(std::uint8_t v) {
  constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[v >> 4] + digits[v & 0x0f];
}

error offers_error(snapshot_errc code, const std::string& what) {
  return error{code, "offers: " + what};
}

error offer_error(snapshot_errc code, std::size_t index, const std::string& what) {
  return error{code, "offers: offer " + num(index) + ": " + what};
}

/// The fields of an offer's header, with the offset at which each ends.
struct header_field {
  const char* name;
  std::size_t end;
};
constexpr header_field header_fields[] = {
  {"state_root", 32},   {"height", 40},       {"page_size", 44},    {"page_count", 52},
  {"total_bytes", 60},  {"update_count", 64}, {"signer_count", 65},
};
static_assert(header_fields[std::size(header_fields) - 1].end == offer_header_size);

/// The header field inside which an input of `remaining` bytes ends.
const char* field_cut_at(std::size_t remaining) noexcept {
  for (const auto& f : header_fields)
    if (remaining < f.end) return f.name;
  return header_fields[std::size(header_fields) - 1].name;
}

/// The lowest page index at or past `page_count` whose bit is set in a
/// bitmap of `offer_bitmap_size(page_count)` bytes (only its last byte can
/// hold such bits).
std::optional<std::uint64_t> first_bit_past_end(const byte_buffer& pages, std::uint64_t page_count) noexcept {
  const unsigned used = static_cast<unsigned>(page_count % 8);
  if (used == 0 || pages.empty()) return std::nullopt;
  const auto stray = static_cast<std::uint8_t>(pages.back() >> used);
  if (stray == 0) return std::nullopt;
  return page_count + static_cast<unsigned>(std::countr_zero(stray));
}

} // namespace

bool offer::has_pages(std::uint64_t first, std::uint64_t end) const noexcept {
  if (first >= end) return true;
  if (end > page_count) return false;
  if (complete) return true;
  const auto byte_at = [this](std::uint64_t i) -> std::uint8_t { return i < pages.size() ? pages[i] : 0; };
  std::uint64_t p = first;
  // Leading bits up to a byte boundary, then whole bytes, then the tail.
  while (p < end && p % 8 != 0) {
    if (!(byte_at(p / 8) >> (p % 8) & 1)) return false;
    ++p;
  }
  while (end - p >= 8) {
    if (byte_at(p / 8) != 0xff) return false;
    p += 8;
  }
  while (p < end) {
    if (!(byte_at(p / 8) >> (p % 8) & 1)) return false;
    ++p;
  }
  return true;
}

std::uint64_t offer::pages_held() const noexcept {
  if (complete) return page_count;
  const std::uint64_t whole = std::min<std::uint64_t>(pages.size(), page_count / 8);
  std::uint64_t held = 0;
  for (std::uint64_t i = 0; i < whole; ++i) held += static_cast<unsigned>(std::popcount(pages[i]));
  const unsigned tail = static_cast<unsigned>(page_count % 8);
  if (tail != 0 && whole < pages.size()) {
    held += static_cast<unsigned>(std::popcount(static_cast<std::uint8_t>(pages[whole] & ((1u << tail) - 1))));
  }
  return held;
}

byte_buffer encode_offers(std::span<const offer> offers) {
  assert(offers.size() <= max_offers);
  std::size_t size = offers_header_size;
  for (const auto& o : offers) {
    assert(o.signers.size() <= max_offer_signers);
    assert(o.complete || o.pages.size() == offer_bitmap_size(o.page_count));
    size += offer_header_size + 32 * o.signers.size() + 1 + (o.complete ? 0 : o.pages.size());
  }
  byte_buffer out(size);
  std::uint8_t* w = out.data();
  std::memcpy(w, offers_magic, 4);
  w[4] = offers_version;
  w[5] = static_cast<std::uint8_t>(offers.size());
  w += offers_header_size;
  for (const auto& o : offers) {
    std::memcpy(w, o.state_root.data(), 32);
    store_be64(w + 32, o.height);
    store_be32(w + 40, o.page_size);
    store_be64(w + 44, o.page_count);
    store_be64(w + 52, o.total_bytes);
    store_be32(w + 60, o.update_count);
    w[64] = static_cast<std::uint8_t>(o.signers.size());
    w += offer_header_size;
    for (const auto& k : o.signers) {
      std::memcpy(w, k.data(), 32);
      w += 32;
    }
    *w++ = o.complete ? offer_complete_flag : 0;
    if (!o.complete && !o.pages.empty()) {
      std::memcpy(w, o.pages.data(), o.pages.size());
      w += o.pages.size();
    }
  }
  assert(w == out.data() + out.size());
  return out;
}

result<std::vector<offer>> decode_offers(bytes_view in) {
  if (in.size() < offers_header_size) {
    return offers_error(snapshot_errc::truncated,
                        num(in.size()) + " bytes, the header needs " + num(offers_header_size));
  }
  if (std::memcmp(in.data(), offers_magic, 4) != 0) return offers_error(snapshot_errc::bad_magic, "magic is not SSOF");
  if (in[4] != offers_version) {
    return offers_error(snapshot_errc::unsupported_version, "format version " + num(in[4]) + " is not 1");
  }
  const std::size_t count = in[5];
  if (count > max_offers) {
    return offers_error(snapshot_errc::invalid_offer,
                        "offer count " + num(count) + " is above the maximum of " + num(max_offers));
  }
  std::vector<offer> out;
  out.reserve(count);
  std::size_t at = offers_header_size;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* r = in.data() + at;
    const std::size_t remaining = in.size() - at;
    if (remaining < offer_header_size) {
      return offer_error(snapshot_errc::truncated, i,
                         std::string("truncated at ") + field_cut_at(remaining) + ": " + num(remaining) +
                           " bytes remain, the fields need " + num(offer_header_size));
    }
    offer o;
    std::memcpy(o.state_root.data(), r, 32);
    o.height = load_be64(r + 32);
    o.page_size = load_be32(r + 40);
    o.page_count = load_be64(r + 44);
    o.total_bytes = load_be64(r + 52);
    o.update_count = load_be32(r + 60);
    const std::size_t signers = r[64];
    at += offer_header_size;
    if (auto ok = check_page_size(o.page_size); !ok) {
      return offer_error(snapshot_errc::invalid_page_size, i, ok.error().message());
    }

    if (in.size() - at < 32 * signers) {
      return offer_error(snapshot_errc::truncated, i,
                         "truncated at signers: signer_count " + num(signers) + " needs " + num(32 * signers) +
                           " bytes, " + num(in.size() - at) + " remain");
    }
    o.signers.resize(signers);
    for (auto& k : o.signers) {
      std::memcpy(k.data(), in.data() + at, 32);
      at += 32;
    }

    if (at == in.size()) return offer_error(snapshot_errc::truncated, i, "truncated at flags: 0 bytes remain");
    const std::uint8_t flags = in[at++];
    if ((flags & ~offer_complete_flag) != 0) {
      return offer_error(snapshot_errc::invalid_offer, i,
                         "flags " + hex_byte(flags) + " set unknown bits (only bit 0 is defined)");
    }
    o.complete = (flags & offer_complete_flag) != 0;

    if (!o.complete) {
      // Checked against the input before anything is allocated: a declared
      // page_count of 2^64-1 costs nothing.
      const std::uint64_t bitmap = offer_bitmap_size(o.page_count);
      if (in.size() - at < bitmap) {
        return offer_error(snapshot_errc::truncated, i,
                           "truncated at pages: page_count " + num(o.page_count) + " needs a bitmap of " +
                             num(bitmap) + " bytes, " + num(in.size() - at) + " remain");
      }
      o.pages.assign(in.begin() + static_cast<std::ptrdiff_t>(at),
                     in.begin() + static_cast<std::ptrdiff_t>(at + bitmap));
      at += bitmap;
      if (const auto stray = first_bit_past_end(o.pages, o.page_count)) {
        return offer_error(snapshot_errc::invalid_offer, i,
                           "pages bitmap marks page " + num(*stray) + ", past page_count " + num(o.page_count));
      }
    }
    out.push_back(std::move(o));
  }
  if (at != in.size()) {
    const std::string after = count == 0 ? std::string("the header") : "offer " + num(count - 1);
    return offers_error(snapshot_errc::trailing_bytes, num(in.size() - at) + " bytes after " + after);
  }
  return out;
}

offer offer_of(const plan& p) {
  offer o;
  o.state_root = p.state_root;
  o.height = p.height;
  o.page_size = p.page_size;
  o.page_count = p.page_count();
  o.total_bytes = p.total_bytes;
  o.update_count = p.update_count;
  return o;
}

} // namespace snapstream::snapshot
