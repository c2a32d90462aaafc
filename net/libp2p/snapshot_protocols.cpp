// The /rpp/snapshots protocol ids and their caps, in a file of their own so
// that code without sockets (the config reader, its fuzz target) links them.

#include "net/libp2p/host.hpp"

namespace snapstream::net {

protocol_spec snapshots_v1_3() { return {"/rpp/snapshots/1.3.0", 1024 * 1024, 16 * 1024 * 1024, true}; }
protocol_spec snapshots_v1_2() { return {"/rpp/snapshots/1.2.0", 1024 * 1024, 16 * 1024 * 1024, true}; }
protocol_spec snapshots_v1_1() { return {"/rpp/snapshots/1.1.0", 1024 * 1024, 16 * 1024 * 1024}; }
protocol_spec snapshots_v1_0() { return {"/rpp/snapshots/1.0.0", 1024 * 1024, 10 * 1024 * 1024}; }
std::vector<protocol_spec> snapshot_protocols() { return {snapshots_v1_3(), snapshots_v1_2(), snapshots_v1_1(), snapshots_v1_0()};
}

} // namespace snapstream::net
