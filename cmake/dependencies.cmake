# Every dependency comes from Debian 12's packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS unit_test_framework json url)

# CAF 0.17 ships neither a CMake config nor a pkg-config file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)

find_package(simdjson 3 REQUIRED CONFIG)
find_package(RocksDB 7 REQUIRED CONFIG)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# storage/ samples a chunk with LZ4 to choose its SST file's compression.
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)

# devp2p RLPx: secp256k1 (ECDH + recoverable ECDSA) and Snappy.
find_path(SECP256K1_INCLUDE_DIR secp256k1_recovery.h REQUIRED)
find_library(SECP256K1_LIBRARY secp256k1 REQUIRED)
add_library(secp256k1::secp256k1 SHARED IMPORTED)
set_target_properties(secp256k1::secp256k1 PROPERTIES
  IMPORTED_LOCATION "${SECP256K1_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${SECP256K1_INCLUDE_DIR}")
find_path(SNAPPY_INCLUDE_DIR snappy.h REQUIRED)
find_library(SNAPPY_LIBRARY snappy REQUIRED)
add_library(snappy::snappy SHARED IMPORTED)
set_target_properties(snappy::snappy PROPERTIES
  IMPORTED_LOCATION "${SNAPPY_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${SNAPPY_INCLUDE_DIR}")
