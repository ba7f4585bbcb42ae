#include "metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace erp::metrics {
namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

std::string_view type_name(MetricType type) {
  return type == MetricType::counter ? "counter" : "gauge";
}

// The exposition format escapes backslash and newline everywhere, and '"' only inside the quotes
// of a label value (HELP text keeps its quotes as they are).
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
  return std::ranges::all_of(name, [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !name_start(name[0]) || name.starts_with("__")) return false;
  return std::ranges::all_of(name, name_char);
}

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

std::string escape_help(std::string_view help) {
  return escape(help, false);
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // to_chars without a format is the shortest text that reads back exactly (1764473640 stays
  // 1764473640, not 1.76447364e+09).
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

Result<void> Registry::declare(std::string name, MetricType type, std::string help) {
  if (!valid_metric_name(name)) {
    return make_error(ErrorKind::permanent, "invalid metric name '" + name + "'");
  }
  if (families_.contains(name)) {
    return make_error(ErrorKind::permanent, "metric " + name + " declared twice");
  }
  families_.emplace(std::move(name), Family{type, std::move(help), {}});
  return {};
}

Result<void> Registry::set(std::string_view name, std::vector<Label> labels, double value) {
  const auto family = families_.find(name);
  if (family == families_.end()) {
    return make_error(ErrorKind::permanent, "metric " + std::string(name) + " is not declared");
  }
  std::ranges::sort(labels);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].name)) {
      return make_error(ErrorKind::permanent,
                        "invalid label name '" + labels[i].name + "' on " + std::string(name));
    }
    if (i > 0 && labels[i].name == labels[i - 1].name) {
      return make_error(ErrorKind::permanent,
                        "label " + labels[i].name + " given twice on " + std::string(name));
    }
  }
  family->second.samples[std::move(labels)] = value;
  return {};
}

bool Registry::empty() const {
  return std::ranges::all_of(families_,
                             [](const auto& entry) { return entry.second.samples.empty(); });
}

std::string Registry::render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.samples.empty()) continue;
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + std::string(type_name(family.type)) + "\n";
    for (const auto& [labels, value] : family.samples) {
      out += name;
      if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (i > 0) out += ',';
          out += labels[i].name + "=\"" + escape_label_value(labels[i].value) + "\"";
        }
        out += '}';
      }
      out += " " + format_value(value) + "\n";
    }
  }
  return out;
}

}  // namespace erp::metrics
