// Prometheus text exposition format (version 0.0.4), the format node-exporter's textfile
// collector and the Pushgateway read. Pure: a Registry is filled with families and samples
// and rendered to text; nothing here does I/O.
//
// Output is deterministic, so two runs with the same values write the same bytes and tests
// can compare text: families sorted by name, each preceded by its `# HELP` and `# TYPE`
// lines; samples sorted by their label sets (labels within a sample sorted by name). A
// family with no samples is left out entirely (an empty family says nothing, and the
// Pushgateway would drop it anyway). Example:
//
//     # HELP erp_backup_stream_bytes Bytes stored for the stream by the last run.
//     # TYPE erp_backup_stream_bytes gauge
//     erp_backup_stream_bytes{command="backup",stream="db"} 15318737
//
// Escaping (the format's rules): in label values `\` → `\\`, `"` → `\"`, newline → `\n`;
// in HELP text `\` → `\\` and newline → `\n`. Values: the shortest decimal that reads back
// as the same double (integers up to 2^53 print exactly), `NaN`, `+Inf`, `-Inf`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace erp::metrics {

enum class MetricType { gauge, counter };

struct Label {
  std::string name;
  std::string value;

  friend auto operator<=>(const Label&, const Label&) = default;
};

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. Label names: [a-zA-Z_][a-zA-Z0-9_]*, not starting
// with "__" (reserved by Prometheus).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
std::string format_value(double value);

class Registry {
 public:
  // Declares a family. Errors: permanent for an invalid name, or a name declared before
  // (with any type): a programming error the caller's tests catch.
  Result<void> declare(std::string name, MetricType type, std::string help);

  // Sets the sample of `name` with `labels` (any order) to `value`; setting the same label
  // set again replaces the value. Errors: permanent for an undeclared family, an invalid or
  // repeated label name.
  Result<void> set(std::string_view name, std::vector<Label> labels, double value);

  bool empty() const;

  // The whole registry in exposition format (see above); "" when no family has a sample.
  std::string render() const;

 private:
  struct Family {
    MetricType type = MetricType::gauge;
    std::string help;
    std::map<std::vector<Label>, double> samples;  // labels sorted by name
  };
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace erp::metrics
