#pragma once
/// The eight snap/1 messages (devp2p caps/snap.md, "Protocol Messages"). Codes
/// are relative to snap's negotiated offset.
///
/// Decoded messages borrow the payload they were decoded from (`bytes_view`
/// fields: account bodies, slot data, proofs, codes, trie nodes): keep it alive
/// while the message is used. Encoders take the same structures. Decoding is
/// exact: missing or extra fields fail and name the field. Pure, thread-safe.

#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace snapstream::rlpx::snap {

inline constexpr std::uint64_t get_account_range_code = 0x00;
inline constexpr std::uint64_t account_range_code = 0x01;
inline constexpr std::uint64_t get_storage_ranges_code = 0x02;
inline constexpr std::uint64_t storage_ranges_code = 0x03;
inline constexpr std::uint64_t get_byte_codes_code = 0x04;
inline constexpr std::uint64_t byte_codes_code = 0x05;
inline constexpr std::uint64_t get_trie_nodes_code = 0x06;
inline constexpr std::uint64_t trie_nodes_code = 0x07;
/// Message codes snap/1 uses.
inline constexpr std::uint64_t snap1_length = 8;

/// "GetAccountRange" etc. for a relative code; "unknown" above 7.
[[nodiscard]] std::string_view message_name(std::uint64_t code) noexcept;

/// GetAccountRange (0x00): `[reqID: P, rootHash: B_32, startingHash: B_32, limitHash: B_32, responseBytes: P]`
struct get_account_range {
  std::uint64_t request_id = 0;
  hash256 root_hash{};
  hash256 starting_hash{};
  hash256 limit_hash{};
  std::uint64_t response_bytes = 0;
};

struct account_data {
  hash256 hash{};
  bytes_view body; ///< slim RLP account body
};

/// AccountRange (0x01): `[reqID: P, accounts: [[accHash: B_32, accBody: B], ...], proof: [node: B, ...]]`
struct account_range {
  std::uint64_t request_id = 0;
  std::vector<account_data> accounts;
  std::vector<bytes_view> proof;
};

/// GetStorageRanges (0x02):
/// `[reqID: P, rootHash: B_32, accountHashes: [B_32], startingHash: B, limitHash: B, responseBytes: P]`
/// (startingHash and limitHash are at most 32 bytes; empty means unbounded).
struct get_storage_ranges {
  std::uint64_t request_id = 0;
  hash256 root_hash{};
  std::vector<hash256> account_hashes;
  bytes_view starting_hash;
  bytes_view limit_hash;
  std::uint64_t response_bytes = 0;
};

struct storage_data {
  hash256 hash{};
  bytes_view data;
};

/// StorageRanges (0x03): `[reqID: P, slots: [[[slotHash: B_32, slotData: B], ...], ...], proof: [node: B, ...]]`
struct storage_ranges {
  std::uint64_t request_id = 0;
  std::vector<std::vector<storage_data>> slots;
  std::vector<bytes_view> proof;
};

/// GetByteCodes (0x04): `[reqID: P, hashes: [B_32, ...], bytes: P]`
struct get_byte_codes {
  std::uint64_t request_id = 0;
  std::vector<hash256> hashes;
  std::uint64_t response_bytes = 0;
};

/// ByteCodes (0x05): `[reqID: P, codes: [B, ...]]`
struct byte_codes {
  std::uint64_t request_id = 0;
  std::vector<bytes_view> codes;
};

/// GetTrieNodes (0x06): `[reqID: P, rootHash: B_32, paths: [[accPath: B, slotPath: B, ...], ...], bytes: P]`
struct get_trie_nodes {
  std::uint64_t request_id = 0;
  hash256 root_hash{};
  std::vector<std::vector<bytes_view>> paths;
  std::uint64_t response_bytes = 0;
};

/// TrieNodes (0x07): `[reqID: P, nodes: [B, ...]]`
struct trie_nodes {
  std::uint64_t request_id = 0;
  std::vector<bytes_view> nodes;
};

[[nodiscard]] byte_buffer encode(const get_account_range& m);
[[nodiscard]] byte_buffer encode(const account_range& m);
[[nodiscard]] byte_buffer encode(const get_storage_ranges& m);
[[nodiscard]] byte_buffer encode(const storage_ranges& m);
[[nodiscard]] byte_buffer encode(const get_byte_codes& m);
[[nodiscard]] byte_buffer encode(const byte_codes& m);
[[nodiscard]] byte_buffer encode(const get_trie_nodes& m);
[[nodiscard]] byte_buffer encode(const trie_nodes& m);

[[nodiscard]] result<get_account_range> decode_get_account_range(bytes_view payload);
[[nodiscard]] result<account_range> decode_account_range(bytes_view payload);
[[nodiscard]] result<get_storage_ranges> decode_get_storage_ranges(bytes_view payload);
[[nodiscard]] result<storage_ranges> decode_storage_ranges(bytes_view payload);
[[nodiscard]] result<get_byte_codes> decode_get_byte_codes(bytes_view payload);
[[nodiscard]] result<byte_codes> decode_byte_codes(bytes_view payload);
[[nodiscard]] result<get_trie_nodes> decode_get_trie_nodes(bytes_view payload);
[[nodiscard]] result<trie_nodes> decode_trie_nodes(bytes_view payload);

/// Reads only the request id (the first field of every snap message), to
/// answer or match a message without decoding all of it.
[[nodiscard]] result<std::uint64_t> peek_request_id(bytes_view payload);

/// The response code of a request code (GetX -> X); none for a response code.
[[nodiscard]] std::optional<std::uint64_t> response_code(std::uint64_t request_code) noexcept;

/// The empty response a node that cannot serve request `request_code` sends
/// (snap.md: "must return an empty reply"): AccountRange / StorageRanges with
/// no items and no proof, ByteCodes / TrieNodes with no items.
[[nodiscard]] result<byte_buffer> empty_response(std::uint64_t request_code, std::uint64_t request_id);

} // namespace snapstream::rlpx::snap
