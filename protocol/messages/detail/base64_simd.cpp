#include "protocol/messages/detail/base64_simd.hpp"

#include <array>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SNAPSTREAM_BASE64_AVX2 1
#endif

namespace snapstream::messages::detail {

namespace {

#if SNAPSTREAM_BASE64_AVX2

constexpr std::string_view alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr bool in_alphabet(int c) {
  return alphabet.find(static_cast<char>(c)) != std::string_view::npos;
}

// A character c = (h << 4) | l is rejected when lo_bits[l] & hi_bits[h] != 0:
// lo_bits[l] has bit h (h < 8) set when (h, l) is not in the alphabet, and
// every high nibble from 8 up selects all bits (bit 0 is set in every
// lo_bits entry because no character below 0x10 is valid).
constexpr std::array<std::uint8_t, 32> make_lo_bits() {
  std::array<std::uint8_t, 32> t{};
  for (int l = 0; l < 16; ++l) {
    std::uint8_t bits = 0;
    for (int h = 0; h < 8; ++h)
      if (!in_alphabet((h << 4) | l)) bits = static_cast<std::uint8_t>(bits | (1u << h));
    t[static_cast<std::size_t>(l)] = t[static_cast<std::size_t>(l + 16)] = bits;
  }
  return t;
}

constexpr std::array<std::uint8_t, 32> make_hi_bits() {
  std::array<std::uint8_t, 32> t{};
  for (int h = 0; h < 16; ++h) {
    const auto bits = static_cast<std::uint8_t>(h < 8 ? (1u << h) : 0xffu);
    t[static_cast<std::size_t>(h)] = t[static_cast<std::size_t>(h + 16)] = bits;
  }
  return t;
}

// Added to a valid character to give its 6-bit value, indexed by its high
// nibble, except '/' (high nibble 2, like '+') which uses the free slot 1.
constexpr std::array<std::int8_t, 32> make_offsets() {
  std::array<std::int8_t, 32> t{};
  const std::int8_t row[16] = {0, 63 - '/', 62 - '+', 52 - '0', -'A', -'A', 26 - 'a', 26 - 'a',
                               0, 0,        0,        0,        0,    0,    0,        0};
  for (int i = 0; i < 16; ++i) t[static_cast<std::size_t>(i)] = t[static_cast<std::size_t>(i + 16)] = row[i];
  return t;
}

constexpr auto lo_bits = make_lo_bits();
constexpr auto hi_bits = make_hi_bits();
constexpr auto offsets = make_offsets();

/// Decodes `blocks` runs of 32 characters (24 bytes each, written with 32-byte
/// stores) and stops at the first run holding a character outside the
/// alphabet; returns the number of runs decoded.
__attribute__((target("avx2"))) std::size_t decode_blocks_avx2(const char* in, std::size_t blocks,
                                                              std::uint8_t* out) noexcept {
  const __m256i lo_lut = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo_bits.data()));
  const __m256i hi_lut = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi_bits.data()));
  const __m256i offset_lut = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets.data()));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  const __m256i pair_weights = _mm256_set1_epi32(0x01400140);   // a * 64 + b, c * 64 + d
  const __m256i quad_weights = _mm256_set1_epi32(0x00011000);   // ab * 4096 + cd
  const __m256i big_endian = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                              2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i compact = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  std::size_t i = 0;
  for (; i < blocks; ++i) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + 32 * i));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble);
    const __m256i lo = _mm256_and_si256(c, nibble);
    const __m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(lo_lut, lo), _mm256_shuffle_epi8(hi_lut, hi));
    if (!_mm256_testz_si256(bad, bad)) break;
    const __m256i index = _mm256_add_epi8(hi, _mm256_cmpeq_epi8(c, slash));
    __m256i v = _mm256_add_epi8(c, _mm256_shuffle_epi8(offset_lut, index));
    v = _mm256_maddubs_epi16(v, pair_weights);
    v = _mm256_madd_epi16(v, quad_weights);
    v = _mm256_shuffle_epi8(v, big_endian);
    v = _mm256_permutevar8x32_epi32(v, compact);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 24 * i), v);
  }
  return i;
}

/// Encodes `blocks` runs of 24 bytes into 32 characters each; reads 28 bytes
/// per run (two 16-byte loads, 12 bytes apart).
__attribute__((target("avx2"))) void encode_blocks_avx2(const std::uint8_t* in, std::size_t blocks,
                                                       char* out) noexcept {
  // Per 128-bit lane, each 3-byte group (a, b, c) becomes the 32-bit word with
  // bytes b, a, c, b: its 16-bit halves hold a:b and b:c, from which the
  // multiplies below pull the four 6-bit values into their own bytes.
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  const __m256i first_third_mask = _mm256_set1_epi32(0x0fc0fc00);
  const __m256i first_third_shift = _mm256_set1_epi32(0x04000040); // mulhi: >> 10 and >> 6
  const __m256i second_fourth_mask = _mm256_set1_epi32(0x003f03f0);
  const __m256i second_fourth_shift = _mm256_set1_epi32(0x01000010); // mullo: << 4 and << 8
  // ASCII = value + offset; offsets indexed by saturate(value - 51), with 13
  // for values below 26: 'a' - 26, '0' - 52 (x10), '+' - 62, '/' - 63, 'A'.
  const __m256i offsets = _mm256_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0,
                                           71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  const __m256i fifty_one = _mm256_set1_epi8(51);
  const __m256i twenty_six = _mm256_set1_epi8(26);
  const __m256i thirteen = _mm256_set1_epi8(13);
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::uint8_t* p = in + 24 * i;
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12));
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set_m128i(hi, lo), spread);
    const __m256i a = _mm256_mulhi_epu16(_mm256_and_si256(bytes, first_third_mask), first_third_shift);
    const __m256i b = _mm256_mullo_epi16(_mm256_and_si256(bytes, second_fourth_mask), second_fourth_shift);
    const __m256i values = _mm256_or_si256(a, b);
    __m256i index = _mm256_subs_epu8(values, fifty_one);
    index = _mm256_or_si256(index, _mm256_and_si256(_mm256_cmpgt_epi8(twenty_six, values), thirteen));
    const __m256i ascii = _mm256_add_epi8(values, _mm256_shuffle_epi8(offsets, index));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * i), ascii);
  }
}

bool cpu_has_avx2() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}

#endif

} // namespace

bool base64_simd_available() noexcept {
#if SNAPSTREAM_BASE64_AVX2
  static const bool available = cpu_has_avx2();
  return available;
#else
  return false;
#endif
}

char* encode_base64(bytes_view in, char* out) noexcept {
#if SNAPSTREAM_BASE64_AVX2
  const std::size_t n = in.size();
  if (n >= 28 && base64_simd_available()) {
    const std::size_t blocks = (n - 4) / 24; // the last run's second load ends at 24 * blocks + 4 <= n
    encode_blocks_avx2(in.data(), blocks, out);
    return base64_encode_into(in.subspan(24 * blocks), out + 32 * blocks);
  }
#endif
  return base64_encode_into(in, out);
}

result<std::size_t> decode_base64(std::string_view text, std::uint8_t* out) noexcept {
#if SNAPSTREAM_BASE64_AVX2
  const std::size_t n = text.size();
  // The vector loop leaves at least the last 32 characters (so the padded final
  // quantum) to the scalar decoder, and its 32-byte stores stay below
  // base64_decoded_max(n).
  if (n % 4 == 0 && n >= 64 && base64_simd_available()) {
    const std::size_t blocks = (n - 32) / 32;
    const std::size_t done = decode_blocks_avx2(text.data(), blocks, out);
    if (done == blocks) {
      auto tail = base64_decode_into(text.substr(32 * done), out + 24 * done);
      if (tail) return 24 * done + *tail;
    }
    // Malformed: the scalar decoder names the first bad offset of the whole text.
  }
#endif
  return base64_decode_into(text, out);
}

} // namespace snapstream::messages::detail
