// The command-line grammar and value parsers of `snapstream`.
#include <boost/test/unit_test.hpp>

#include "app/command_line.hpp"

#include <array>

using namespace snapstream;
using namespace snapstream::app;

namespace {

constexpr std::array<option_spec, 4> options{{
  {"out", "FILE", "where to write", true},
  {"force", "", "replace"},
  {"peer", "ADDR", "a peer", false, true},
  {"config-dir", "DIR", "from config", false, false, true},
}};
constexpr std::array<std::string_view, 1> positionals{"INPUT"};
const command_spec spec{"demo run", "does a demo", "Runs the demo.\n", options, positionals};

result<parsed_arguments> parse(std::initializer_list<std::string_view> words) {
  const std::vector<std::string_view> v(words);
  return parse_arguments(spec, v);
}

std::string error_of(std::initializer_list<std::string_view> words) {
  auto r = parse(words);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(app_errc::usage));
  return r.error().message();
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(values_come_separated_or_after_an_equals_sign) {
  auto r = parse({"--out", "a.txt", "--peer=p1", "in", "--peer", "p2", "--force"});
  BOOST_REQUIRE(r);
  BOOST_TEST(*r->value("out") == "a.txt");
  BOOST_TEST(r->values("peer") == (std::vector<std::string>{"p1", "p2"}));
  BOOST_TEST(*r->value("peer") == "p2");
  BOOST_TEST(r->has("force"));
  BOOST_TEST(!r->has("config-dir"));
  BOOST_TEST(!r->value("config-dir"));
  BOOST_TEST(r->positionals() == (std::vector<std::string>{"in"}));
  BOOST_TEST(!r->help());
}

BOOST_AUTO_TEST_CASE(double_dash_ends_the_options) {
  auto r = parse({"--out", "x", "--", "--force"});
  BOOST_REQUIRE(r);
  BOOST_TEST(!r->has("force"));
  BOOST_TEST(r->positionals() == (std::vector<std::string>{"--force"}));
}

BOOST_AUTO_TEST_CASE(help_wins_over_every_other_mistake) {
  auto r = parse({"--bogus", "-h"});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->help());
}

BOOST_AUTO_TEST_CASE(each_mistake_has_its_exact_message) {
  BOOST_TEST(error_of({"--out", "x", "in", "--nope"}) == "unknown option --nope");
  BOOST_TEST(error_of({"--out", "x", "in", "-n"}) == "unknown option -n");
  BOOST_TEST(error_of({"in", "--out"}) == "option --out needs a value (FILE)");
  BOOST_TEST(error_of({"--out", "--force", "in"}) == "option --out needs a value (FILE)");
  BOOST_TEST(error_of({"--out", "x", "--force=1", "in"}) == "option --force takes no value");
  BOOST_TEST(error_of({"--out", "x", "--out", "y", "in"}) == "option --out given twice");
  BOOST_TEST(error_of({"--force", "in"}) == "missing required option --out");
  BOOST_TEST(error_of({"--out", "x"}) == "missing argument INPUT");
  BOOST_TEST(error_of({"--out", "x", "in", "more"}) == "unexpected argument 'more'");
}

BOOST_AUTO_TEST_CASE(usage_shows_the_synopsis_and_every_option) {
  const std::string expected = "Usage: snapstream demo run --out FILE [--force] [--peer ADDR]...\n"
                               "                           --config-dir DIR INPUT\n"
                               "\n"
                               "Runs the demo.\n"
                               "\n"
                               "Options:\n"
                               "  --out FILE        where to write (required)\n"
                               "  --force           replace\n"
                               "  --peer ADDR       a peer (repeatable)\n"
                               "  --config-dir DIR  from config (required; may come from the config file)\n"
                               "  -h, --help        show this help\n";
  BOOST_TEST(usage_text(spec) == expected);
}

BOOST_AUTO_TEST_CASE(sizes_accept_binary_and_decimal_suffixes) {
  BOOST_TEST(*parse_size("0", "s") == 0u);
  BOOST_TEST(*parse_size("4096", "s") == 4096u);
  BOOST_TEST(*parse_size("10B", "s") == 10u);
  BOOST_TEST(*parse_size("64KiB", "s") == 65536u);
  BOOST_TEST(*parse_size("256MiB", "s") == 268435456u);
  BOOST_TEST(*parse_size("256mib", "s") == 268435456u);
  BOOST_TEST(*parse_size("1GiB", "s") == 1073741824u);
  BOOST_TEST(*parse_size("2TiB", "s") == 2199023255552u);
  BOOST_TEST(*parse_size("5KB", "s") == 5000u);
  BOOST_TEST(*parse_size("500MB", "s") == 500000000u);
  BOOST_TEST(*parse_size("3GB", "s") == 3000000000u);
  BOOST_TEST(*parse_size("16777215TiB", "s") == 16777215ull << 40);
  const std::string not_size =
    " is not a size (a number with an optional B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)";
  BOOST_TEST(parse_size("", "--bytes").error().message() == "--bytes: ''" + not_size);
  BOOST_TEST(parse_size("MiB", "--bytes").error().message() == "--bytes: 'MiB'" + not_size);
  BOOST_TEST(parse_size("1.5GiB", "--bytes").error().message() == "--bytes: '1.5GiB'" + not_size);
  BOOST_TEST(parse_size("-1", "--bytes").error().message() == "--bytes: '-1'" + not_size);
  BOOST_TEST(parse_size("16777216TiB", "--bytes").error().message() == "--bytes: 16777216TiB does not fit in 64 bits");
  BOOST_TEST(parse_size("99999999999999999999", "--bytes").error().message() ==
             "--bytes: 99999999999999999999 does not fit in 64 bits");
}

BOOST_AUTO_TEST_CASE(unsigned_numbers_are_checked_against_their_range) {
  BOOST_TEST(*parse_uint("0", "n") == 0u);
  BOOST_TEST(*parse_uint("18446744073709551615", "n") == UINT64_MAX);
  BOOST_TEST(parse_uint("18446744073709551616", "--n").error().message() ==
             "--n: 18446744073709551616 is outside 0..18446744073709551615");
  BOOST_TEST(parse_uint("7", "--k", 1, 5).error().message() == "--k: 7 is outside 1..5");
  BOOST_TEST(parse_uint("0", "--k", 1, 5).error().message() == "--k: 0 is outside 1..5");
  BOOST_TEST(parse_uint("+3", "--k").error().message() == "--k: '+3' is not a number");
  BOOST_TEST(parse_uint("3x", "--k").error().message() == "--k: '3x' is not a number");
}

BOOST_AUTO_TEST_CASE(host_port_accepts_names_ipv4_and_bracketed_ipv6) {
  auto v4 = parse_host_port("127.0.0.1:8080", "a");
  BOOST_TEST(v4->host == "127.0.0.1");
  BOOST_TEST(v4->port == 8080u);
  auto name = parse_host_port("localhost:0", "a");
  BOOST_TEST(name->host == "localhost");
  BOOST_TEST(name->port == 0u);
  auto v6 = parse_host_port("[::1]:65535", "a");
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 65535u);
  BOOST_TEST(to_string(host_port{"::1", 80}) == "[::1]:80");
  BOOST_TEST(to_string(host_port{"10.0.0.1", 80}) == "10.0.0.1:80");
  const std::string w = "--http: ";
  BOOST_TEST(parse_host_port("8080", "--http").error().message() == w + "'8080' is not HOST:PORT (the port is missing)");
  BOOST_TEST(parse_host_port(":8080", "--http").error().message() == w + "':8080' is not HOST:PORT (the host is empty)");
  BOOST_TEST(parse_host_port("h:65536", "--http").error().message() ==
             w + "'h:65536' is not HOST:PORT (the port must be a number from 0 to 65535)");
  BOOST_TEST(parse_host_port("h:", "--http").error().message() ==
             w + "'h:' is not HOST:PORT (the port must be a number from 0 to 65535)");
  BOOST_TEST(parse_host_port("::1:80", "--http").error().message() ==
             w + "'::1:80' is not HOST:PORT (write an IPv6 host as [::1]:PORT)");
  BOOST_TEST(parse_host_port("[::1]", "--http").error().message() ==
             w + "'[::1]' is not HOST:PORT ([IPv6]:PORT needs the brackets and a port)");
  BOOST_TEST(parse_host_port("a b:1", "--http").error().message() ==
             w + "'a b:1' has a character a host name cannot contain");
}

BOOST_AUTO_TEST_CASE(byte_counts_read_in_binary_units) {
  BOOST_TEST(format_bytes(0) == "0 B");
  BOOST_TEST(format_bytes(1023) == "1023 B");
  BOOST_TEST(format_bytes(1024) == "1.00 KiB");
  BOOST_TEST(format_bytes(1536) == "1.50 KiB");
  BOOST_TEST(format_bytes(120795955) == "115.2 MiB");
  BOOST_TEST(format_bytes(268435456) == "256.0 MiB");
  BOOST_TEST(format_bytes(1073741824) == "1.00 GiB");
}

BOOST_AUTO_TEST_SUITE_END()
