// Micro-benchmarks of the upload path, as plain timed loops (not a test, not in ctest):
//
//   build/micro_bench [--gib N] [--part-mib M] [--concurrency C] [--seconds S]
//
//   1. SigV4: sign_request() of an UploadPart request (payload hash given), in signatures/s.
//   2. SHA-256 of 8 MiB blocks through OpenSSL EVP (the payload hash), in GiB/s: the floor of
//      the pipeline with payload signing on.
//   3. The part pipeline into a null transport, with payload signing off (UNSIGNED-PAYLOAD, as
//      over HTTPS) and on (a SHA-256 per part, as over plain HTTP): an in-memory source is read
//      by MultipartSink::write_from into pool buffers (the real BufferPool, PartSchedule and
//      parallel uploads), each part goes through the real S3Client (signing, payload hash,
//      retry wrapper, reply parsing) to an HttpTransport that answers at once and never reads
//      the body. What is left is the tool's own cost per byte: the copy into the part buffers
//      (which a read(2) from a pipe makes too) and the hash. Reported as GiB/s of wall time and
//      CPU s/GiB of the whole process (every thread).
//
// Figures depend on the machine and its load; run it on an idle one. The bound:
// >= 2 GiB/s with payload signing off.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codec/digest.h"
#include "http/curl_transport.h"
#include "s3/s3_client.h"
#include "s3/sigv4.h"
#include "upload/buffer_pool.h"
#include "upload/multipart_sink.h"

namespace {

using namespace erp;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Answers every S3 request at once, the way S3 would, without touching a request body.
class NullTransport final : public http::HttpTransport {
 public:
  Result<http::HttpResponse> perform(const http::HttpRequest& request, ByteSink*) override {
    http::HttpResponse response;
    response.status = 200;
    const bool initiate = request.url.find("?uploads") != std::string::npos;
    const bool has_upload_id = request.url.find("uploadId=") != std::string::npos;
    if (request.method == "POST" && initiate) {
      response.body =
          "<InitiateMultipartUploadResult><UploadId>bench-upload</UploadId>"
          "</InitiateMultipartUploadResult>";
    } else if (request.method == "POST" && has_upload_id) {
      response.body =
          "<CompleteMultipartUploadResult><ETag>\"0123456789abcdef0123456789abcdef-1\"</ETag>"
          "</CompleteMultipartUploadResult>";
    } else if (request.method == "DELETE") {
      response.status = 204;
    } else {
      response.headers.push_back({"ETag", "\"0123456789abcdef0123456789abcdef\""});
    }
    return response;
  }
};

// `total` bytes made of one random block repeated; read() copies like read(2) from a pipe.
class RepeatingSource final : public ByteSource {
 public:
  RepeatingSource(const std::vector<char>& block, std::uint64_t total)
      : block_(block), left_(total) {}
  Result<std::size_t> read(std::span<char> buffer) override {
    const std::size_t offset = static_cast<std::size_t>(position_ % block_.size());
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>({buffer.size(), block_.size() - offset, left_}));
    std::memcpy(buffer.data(), block_.data() + offset, n);
    position_ += n;
    left_ -= n;
    return n;
  }

 private:
  const std::vector<char>& block_;
  std::uint64_t left_;
  std::uint64_t position_ = 0;
};

s3::Credentials bench_credentials() {
  return s3::Credentials{"AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                         Secret("FwoGZXIvYXdzEXAMPLEsessiontoken")};
}

void bench_sigv4(double seconds) {
  const s3::Credentials credentials = bench_credentials();
  const s3::SigningScope scope{.region = "eu-west-3"};
  const s3::QueryParams query = {{"partNumber", "17"}, {"uploadId", "2~bench-upload-id"}};
  const std::string hash = codec::sha256_hex(std::string_view("part"));
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::uint64_t count = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  do {
    for (int i = 0; i < 1000; ++i) {
      http::HttpRequest request;
      request.method = "PUT";
      request.url =
          "https://s3.eu-west-3.amazonaws.com/erp-backups/erp/prod/db/"
          "20260102T030405Z.dump?partNumber=17&uploadId=2~bench-upload-id";
      request.has_body = true;
      auto signature = s3::sign_request(request, query, hash, credentials, scope, now);
      if (signature.signature.size() != 64) std::abort();
    }
    count += 1000;
  } while (seconds_since(start) < seconds);
  const double wall = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  std::printf("sigv4 sign_request (UploadPart)   %10.0f signatures/s   %6.2f us CPU each\n",
              count / wall, cpu / count * 1e6);
}

void bench_sha256(const std::vector<char>& block, double seconds) {
  const std::size_t piece = std::min<std::size_t>(block.size(), 8 * kMiB);
  std::uint64_t bytes = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  do {
    for (std::size_t at = 0; at + piece <= block.size(); at += piece) {
      const std::string hex = codec::sha256_hex({block.data() + at, piece});
      if (hex.size() != 64) std::abort();
      bytes += piece;
    }
  } while (seconds_since(start) < seconds);
  const double wall = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  std::printf("sha256 (OpenSSL EVP, 8 MiB)       %10.2f GiB/s        %6.2f CPU s/GiB\n",
              bytes / wall / kGiB, cpu / (static_cast<double>(bytes) / kGiB));
}

void bench_pipeline(const std::vector<char>& block, std::uint64_t total, std::uint64_t part_size,
                    int concurrency, s3::PayloadSigning signing, const char* label) {
  http::TransportPool transports([] { return std::make_unique<NullTransport>(); });
  s3::S3Client client(s3::S3ClientOptions{.endpoint = "http://127.0.0.1:9",
                                          .bucket = "erp-backups",
                                          .scope = {.region = "us-east-1"},
                                          .payload_signing = signing},
                      bench_credentials(), transports);
  upload::BufferPool pool;
  RepeatingSource source(block, total);
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  {
    upload::MultipartSink sink(client, pool, "bench/object",
                               {.first_part_size = part_size, .concurrency = concurrency});
    auto written = sink.write_from(source);
    if (written) written = sink.finish();
    if (!written || sink.stats().bytes != total) {
      std::fprintf(stderr, "pipeline failed: %s\n",
                   written ? "short" : written.error().message.c_str());
      std::exit(1);
    }
  }
  const double wall = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  const double gib = static_cast<double>(total) / kGiB;
  std::printf(
      "pipeline, payload signing %-5s   %10.2f GiB/s        %6.2f CPU s/GiB"
      "   (%.0f GiB, %llu MiB parts, %d in flight, pool high water %llu MiB)\n",
      label, gib / wall, cpu / gib, gib, static_cast<unsigned long long>(part_size / kMiB),
      concurrency, static_cast<unsigned long long>(pool.high_water() / kMiB));
}

double arg_value(int argc, char** argv, std::string_view name, double fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atof(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::puts(
          "usage: micro_bench [--gib N (4)] [--part-mib M (8)] [--concurrency C (4)] "
          "[--seconds S (2)]");
      return 0;
    }
  }
  const auto total = static_cast<std::uint64_t>(arg_value(argc, argv, "--gib", 4) * kGiB);
  const auto part_size = static_cast<std::uint64_t>(arg_value(argc, argv, "--part-mib", 8) * kMiB);
  const int concurrency = static_cast<int>(arg_value(argc, argv, "--concurrency", 4));
  const double seconds = arg_value(argc, argv, "--seconds", 2);

  // 64 MiB of random bytes: more than the caches, so the copy and the hash read memory.
  std::vector<char> block(64 * kMiB);
  std::mt19937_64 random(42);
  for (std::size_t i = 0; i + 8 <= block.size(); i += 8) {
    const std::uint64_t value = random();
    std::memcpy(block.data() + i, &value, 8);
  }

  bench_sigv4(seconds);
  bench_sha256(block, seconds);
  bench_pipeline(block, total, part_size, concurrency, s3::PayloadSigning::never, "off");
  bench_pipeline(block, total, part_size, concurrency, s3::PayloadSigning::always, "on");
  return 0;
}
