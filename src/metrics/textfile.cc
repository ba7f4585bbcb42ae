#include "metrics/textfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/fd_stream.h"

namespace erp::metrics {
namespace {

Error io_error(std::string_view what, const std::string& path, int error_number) {
  return Error{ErrorKind::permanent,
               std::string(what) + " " + path + ": " + std::strerror(error_number)};
}

std::optional<double> parse_value(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf" || text == "Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// `{a="x",b="y\"z"}` starting at text[pos] == '{'; advances pos past '}'.
std::optional<std::vector<Label>> parse_labels(std::string_view text, std::size_t& pos) {
  std::vector<Label> labels;
  ++pos;  // '{'
  while (pos < text.size() && text[pos] != '}') {
    const std::size_t equals = text.find('=', pos);
    if (equals == std::string_view::npos) return std::nullopt;
    Label label{std::string(text.substr(pos, equals - pos)), ""};
    if (!valid_label_name(label.name)) return std::nullopt;
    pos = equals + 1;
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
    ++pos;
    for (;;) {
      if (pos >= text.size()) return std::nullopt;
      const char c = text[pos++];
      if (c == '"') break;
      if (c != '\\') {
        label.value += c;
        continue;
      }
      if (pos >= text.size()) return std::nullopt;
      const char escaped = text[pos++];
      if (escaped == 'n')
        label.value += '\n';
      else if (escaped == '\\' || escaped == '"')
        label.value += escaped;
      else
        return std::nullopt;
    }
    labels.push_back(std::move(label));
    if (pos < text.size() && text[pos] == ',') ++pos;
  }
  if (pos >= text.size()) return std::nullopt;
  ++pos;  // '}'
  return labels;
}

}  // namespace

Result<void> write_textfile_atomically(const std::string& path, std::string_view text) {
  // The pid alone is not unique enough: in a container every run is PID 1, and a run killed
  // mid-write would leave a name the next run could never create again. mkostemp adds six
  // random characters and creates the file exclusively (mode 0600, widened below).
  std::string temporary = path + ".tmp." + std::to_string(::getpid()) + ".XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error("cannot create", temporary, errno));
  const auto fail = [&](std::string_view what, int error_number) -> Result<void> {
    ::close(fd);
    ::unlink(temporary.c_str());
    return std::unexpected(io_error(what, temporary, error_number));
  };
  // node-exporter runs as its own user: the file must be readable by others, like 0644.
  if (::fchmod(fd, 0644) != 0) return fail("cannot chmod", errno);
  if (auto written = FdSink(fd).write({text.data(), text.size()}); !written) {
    const int error_number = errno;
    return fail("cannot write", error_number);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync", errno);
  if (::close(fd) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return std::unexpected(io_error("cannot close", temporary, error_number));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return std::unexpected(io_error("cannot rename " + temporary + " to", path, error_number));
  }
  // The rename is durable once the directory is: without this a node crash right after the
  // run could bring back the previous file.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // best effort: some file systems refuse fsync on a directory
    ::close(dir_fd);
  }
  return {};
}

Result<std::optional<std::string>> read_textfile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return std::optional<std::string>();
    return std::unexpected(io_error("cannot read", path, errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::unexpected(io_error("cannot read", path, errno));
  return std::optional<std::string>(text.str());
}

Result<std::vector<ParsedSample>> parse_samples(std::string_view text, std::string_view name) {
  std::vector<ParsedSample> samples;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty() || line.starts_with('#')) continue;
    if (!line.starts_with(name)) continue;
    const std::size_t after = name.size();
    if (after < line.size() && line[after] != '{' && line[after] != ' ') continue;  // longer name
    const auto bad = [&] {
      return make_error(ErrorKind::corrupt, "line " + std::to_string(line_number) + " of " +
                                                std::string(name) +
                                                " does not parse: " + std::string(line));
    };
    ParsedSample sample;
    std::size_t pos = after;
    if (pos < line.size() && line[pos] == '{') {
      auto labels = parse_labels(line, pos);
      if (!labels) return bad();
      sample.labels = std::move(*labels);
    }
    if (pos >= line.size() || line[pos] != ' ') return bad();
    std::string_view rest = line.substr(pos + 1);
    rest = rest.substr(0, rest.find(' '));  // an optional timestamp follows
    auto value = parse_value(rest);
    if (!value) return bad();
    sample.value = *value;
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace erp::metrics
