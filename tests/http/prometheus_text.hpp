#pragma once
/// A strict parser of the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/), for tests:
/// it rejects anything a scraper could misread, and checks the histogram
/// invariants (ascending `le`, cumulative counts, `+Inf` == `_count`).

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::http::test {

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct prom_family {
  std::string type;
  std::string help;
  std::vector<prom_sample> samples;
};

struct prom_document {
  std::string error; ///< empty when the text is valid
  std::map<std::string, prom_family> families;

  /// The value of the sample `name{labels}`; NaN when absent.
  [[nodiscard]] double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& [fname, f] : families)
      for (const auto& s : f.samples)
        if (s.name == name && s.labels == labels) return s.value;
    return std::nan("");
  }
};

namespace detail_prom {

inline bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
inline bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
inline bool label_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool label_char(char c) { return label_start(c) || (c >= '0' && c <= '9'); }

inline bool valid_metric_name(std::string_view n) {
  if (n.empty() || !name_start(n[0])) return false;
  for (char c : n)
    if (!name_char(c)) return false;
  return true;
}

inline bool parse_value(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf") return out = INFINITY, true;
  if (text == "-Inf") return out = -INFINITY, true;
  if (text == "NaN") return out = NAN, true;
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return false;
  std::string s(text);
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

} // namespace detail_prom

inline prom_document parse_prometheus(std::string_view text) {
  using namespace detail_prom;
  prom_document doc;
  auto fail = [&doc](std::size_t line_no, const std::string& why) {
    doc.error = "line " + std::to_string(line_no) + ": " + why;
    return doc;
  };
  if (!text.empty() && text.back() != '\n') return fail(0, "text does not end with a newline");

  std::string current_family;        // family of the previous sample line
  std::set<std::string> closed;      // families whose sample group has ended
  std::set<std::string> seen_series; // name + labels
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (line.find('\r') != std::string_view::npos) return fail(line_no, "carriage return");
    if (line.empty()) continue;

    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        const bool is_help = line[2] == 'H';
        std::string_view rest = line.substr(7);
        auto sp = rest.find(' ');
        if (sp == std::string_view::npos) return fail(line_no, "HELP/TYPE without text");
        std::string name(rest.substr(0, sp));
        std::string_view arg = rest.substr(sp + 1);
        if (!valid_metric_name(name)) return fail(line_no, "invalid metric name " + name);
        auto& f = doc.families[name];
        if (is_help) {
          if (!f.help.empty()) return fail(line_no, "second HELP for " + name);
          for (std::size_t i = 0; i < arg.size(); ++i)
            if (arg[i] == '\\' && (i + 1 >= arg.size() || (arg[i + 1] != '\\' && arg[i + 1] != 'n')))
              return fail(line_no, "bad escape in HELP");
          f.help = std::string(arg);
        } else {
          if (!f.type.empty()) return fail(line_no, "second TYPE for " + name);
          if (!f.samples.empty()) return fail(line_no, "TYPE after samples of " + name);
          if (arg != "counter" && arg != "gauge" && arg != "histogram" && arg != "summary" && arg != "untyped")
            return fail(line_no, "unknown type " + std::string(arg));
          f.type = std::string(arg);
        }
      }
      continue; // other comments are allowed
    }

    // metric_name [ "{" label="value" {, label="value"} [,] "}" ] value [ timestamp ]
    prom_sample s;
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i])) ++i;
    s.name = std::string(line.substr(0, i));
    if (!valid_metric_name(s.name)) return fail(line_no, "invalid metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (;;) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        std::size_t start = i;
        if (i >= line.size() || !label_start(line[i])) return fail(line_no, "invalid label name");
        while (i < line.size() && label_char(line[i])) ++i;
        std::string lname(line.substr(start, i - start));
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return fail(line_no, "expected =\"");
        i += 2;
        std::string lvalue;
        for (;;) {
          if (i >= line.size()) return fail(line_no, "unterminated label value");
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) return fail(line_no, "dangling escape");
            char e = line[i++];
            if (e == '\\') lvalue += '\\';
            else if (e == '"') lvalue += '"';
            else if (e == 'n') lvalue += '\n';
            else return fail(line_no, "bad escape in label value");
          } else {
            lvalue += c;
          }
        }
        if (!s.labels.emplace(lname, lvalue).second) return fail(line_no, "duplicate label " + lname);
        if (i < line.size() && line[i] == ',') ++i;
        else if (i >= line.size() || line[i] != '}') return fail(line_no, "expected , or }");
      }
    }
    if (i >= line.size() || line[i] != ' ') return fail(line_no, "expected a space before the value");
    ++i;
    std::string_view rest = line.substr(i);
    auto sp = rest.find(' ');
    std::string_view value_text = rest.substr(0, sp);
    if (!parse_value(value_text, s.value)) return fail(line_no, "invalid value " + std::string(value_text));
    if (sp != std::string_view::npos) {
      std::string_view ts = rest.substr(sp + 1);
      if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string_view::npos)
        return fail(line_no, "invalid timestamp");
    }

    // The family: the name itself, or a histogram/summary family for the suffixed names.
    std::string family = s.name;
    if (!doc.families.count(family) || doc.families[family].type.empty()) {
      for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (s.name.size() > suffix.size() && s.name.compare(s.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
          std::string base = s.name.substr(0, s.name.size() - suffix.size());
          auto it = doc.families.find(base);
          if (it != doc.families.end() && (it->second.type == "histogram" || it->second.type == "summary"))
            family = base;
        }
      }
    }
    auto fit = doc.families.find(family);
    if (fit == doc.families.end() || fit->second.type.empty()) return fail(line_no, "sample without TYPE: " + s.name);
    if (fit->second.type == "histogram" && family == s.name)
      return fail(line_no, "histogram sample without _bucket/_sum/_count");
    if (family != current_family) {
      if (closed.count(family)) return fail(line_no, "samples of " + family + " are not grouped");
      if (!current_family.empty()) closed.insert(current_family);
      current_family = family;
    }
    std::string series = s.name + "{";
    for (const auto& [k, v] : s.labels) series += k + "=" + v + ",";
    if (!seen_series.insert(series).second) return fail(line_no, "duplicate series " + series + "}");
    if (fit->second.type == "histogram" && s.name == family + "_bucket" && !s.labels.count("le"))
      return fail(line_no, "bucket without le");
    fit->second.samples.push_back(std::move(s));
  }

  // Histogram invariants, per label set without `le`.
  for (const auto& [name, f] : doc.families) {
    if (f.type.empty()) return fail(0, "HELP without TYPE for " + name);
    if (f.type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    std::map<std::map<std::string, std::string>, bool> sums;
    for (const auto& s : f.samples) {
      auto labels = s.labels;
      if (s.name == name + "_bucket") {
        double le = 0;
        if (!parse_value(labels["le"], le)) return fail(0, "bad le in " + name);
        labels.erase("le");
        buckets[labels].push_back({le, s.value});
      } else if (s.name == name + "_count") {
        counts[labels] = s.value;
      } else {
        sums[labels] = true;
      }
    }
    for (const auto& [labels, list] : buckets) {
      for (std::size_t k = 1; k < list.size(); ++k) {
        if (!(list[k].first > list[k - 1].first)) return fail(0, name + ": le not ascending");
        if (list[k].second < list[k - 1].second) return fail(0, name + ": bucket counts not cumulative");
      }
      if (list.empty() || !std::isinf(list.back().first)) return fail(0, name + ": no +Inf bucket");
      if (!counts.count(labels) || counts[labels] != list.back().second)
        return fail(0, name + ": +Inf bucket differs from _count");
      if (!sums.count(labels)) return fail(0, name + ": no _sum");
    }
  }
  return doc;
}

} // namespace snapstream::http::test
