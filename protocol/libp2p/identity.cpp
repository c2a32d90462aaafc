#include "protocol/libp2p/identity.hpp"

#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/detail/sodium.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace snapstream::libp2p {

namespace {

constexpr std::uint64_t key_type_ed25519 = 1;
constexpr std::size_t key_file_size = 68;

error io_error(const std::string& what, const std::string& path) {
  return make_error(libp2p_errc::key_file_io, what + " " + path + ": " + std::strerror(errno));
}

class fd_guard {
public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() { if (fd_ >= 0) ::close(fd_); }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { int f = fd_; fd_ = -1; return f; }
private:
  int fd_;
};

} // namespace

identity identity::generate() {
  detail::ensure_sodium();
  identity id;
  crypto_sign_ed25519_keypair(id.public_.data(), id.secret_.data());
  id.id_ = libp2p::peer_id::from_public_key(id.public_);
  return id;
}

result<identity> identity::from_seed(bytes_view seed) {
  detail::ensure_sodium();
  if (seed.size() != ed25519_seed_size) {
    return make_error(libp2p_errc::invalid_key,
                      "Ed25519 seed of " + std::to_string(seed.size()) + " bytes, expected 32");
  }
  identity id;
  crypto_sign_ed25519_seed_keypair(id.public_.data(), id.secret_.data(), seed.data());
  id.id_ = libp2p::peer_id::from_public_key(id.public_);
  return id;
}

result<identity> identity::from_private_key_protobuf(bytes_view protobuf) {
  detail::pb_reader reader(protobuf);
  std::optional<std::uint64_t> type;
  std::optional<bytes_view> data;
  while (auto f = reader.next()) {
    if (f->number == 1 && f->wire_type == 0) type = f->varint;
    else if (f->number == 2 && f->wire_type == 2) data = f->bytes;
  }
  if (reader.failed() || !type || !data) {
    return make_error(libp2p_errc::invalid_key, "malformed private key protobuf");
  }
  if (*type != key_type_ed25519) {
    return make_error(libp2p_errc::unsupported_key_type,
                      "private key type " + std::to_string(*type) + " is not Ed25519 (1)");
  }
  if (data->size() != 64) {
    return make_error(libp2p_errc::invalid_key,
                      "Ed25519 private key of " + std::to_string(data->size()) + " bytes, expected 64");
  }
  auto id = from_seed(data->first(32));
  if (!id) return id;
  if (std::memcmp(id->public_.data(), data->data() + 32, 32) != 0) {
    return make_error(libp2p_errc::invalid_key, "stored public key does not match the private key seed");
  }
  return id;
}

identity::identity(const identity& other)
  : secret_(other.secret_), public_(other.public_), id_(other.id_) {}

identity& identity::operator=(const identity& other) {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    id_ = other.id_;
  }
  return *this;
}

identity::~identity() { sodium_memzero(secret_.data(), secret_.size()); }

byte_buffer identity::private_key_protobuf() const {
  byte_buffer out;
  out.reserve(key_file_size);
  detail::pb_put_varint(out, 1, key_type_ed25519);
  detail::pb_put_bytes(out, 2, secret_);
  return out;
}

ed25519_signature identity::sign(bytes_view message) const noexcept {
  ed25519_signature sig{};
  crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

result<identity> load_identity(const std::string& path) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return io_error("cannot open key file", path);
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat key file", path);
  if (!S_ISREG(st.st_mode)) {
    return make_error(libp2p_errc::key_file_io, "key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(libp2p_errc::key_file_permissions,
                      "key file " + path + " has mode " + mode +
                          "; it must not be accessible by group or others (chmod 600)");
  }
  std::array<std::uint8_t, key_file_size + 1> buf{};
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read key file", path);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  auto id = identity::from_private_key_protobuf(bytes_view(buf.data(), got));
  sodium_memzero(buf.data(), buf.size());
  if (!id) return make_error(libp2p_errc::invalid_key, "key file " + path + ": " + id.error().message());
  return id;
}

result<void> save_identity(const identity& id, const std::string& path) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return io_error("cannot create key file", tmp);
  // The umask can only remove bits; make the mode exact all the same.
  if (::fchmod(fd.get(), 0600) != 0) return io_error("cannot chmod key file", tmp);
  byte_buffer bytes = id.private_key_protobuf();
  std::size_t put = 0;
  while (put < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + put, bytes.size() - put);
    if (n < 0) {
      if (errno == EINTR) continue;
      sodium_memzero(bytes.data(), bytes.size());
      return io_error("cannot write key file", tmp);
    }
    put += static_cast<std::size_t>(n);
  }
  sodium_memzero(bytes.data(), bytes.size());
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync key file", tmp);
  if (::close(fd.release()) != 0) return io_error("cannot close key file", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename key file to", path);
  return {};
}

result<identity> load_or_create_identity(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) return load_identity(path);
  if (errno != ENOENT) return io_error("cannot stat key file", path);
  identity id = identity::generate();
  auto saved = save_identity(id, path);
  if (!saved) return saved.error();
  return id;
}

} // namespace snapstream::libp2p
