// tayori-broker: the durable store-and-forward server. See README.md.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "broker/config.h"
#include "broker/server.h"
#include "broker/setup_check.h"
#include "common/messages.h"
#include "common/version.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  // Chunk buffers of a MiB come and go all the time: keep them on the heap
  // instead of a fresh mmap (and page faults) for each.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  CLI::App app{"tayori-broker: store-and-forward exchange for care plan data"};
  std::string config_path;
  app.add_option("--config", config_path, "YAML config (see config/broker.yaml); default: embedded");
  bool check_only = false;
  app.add_flag("--check", check_only, "check the config, data folder and CA files, then exit (0: fine, 2: not)");
  app.set_version_flag("--version", std::string("tayori-broker ") + tayori::kVersion);
  CLI11_PARSE(app, argc, argv);

  tayori::broker::BrokerOptions options;
  if (!config_path.empty()) {
    auto loaded = tayori::broker::LoadBrokerConfig(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n%s\n", tayori::Render(loaded.status(), tayori::Lang::kJa).c_str(),
                   tayori::Render(loaded.status(), tayori::Lang::kEn).c_str());
      return 2;
    }
    options = *loaded;
  }
  tayori::broker::ApplyDefaultPaths(&options);
  if (check_only) {
    std::vector<std::string> notes;
    const tayori::Status st = tayori::broker::CheckBrokerSetup(options, &notes);
    for (const std::string& note : notes) std::printf("%s\n", note.c_str());
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n%s\n", tayori::Render(st, tayori::Lang::kJa).c_str(),
                   tayori::Render(st, tayori::Lang::kEn).c_str());
      return 2;
    }
    std::printf("config %s: OK\n", config_path.empty() ? "(embedded default)" : config_path.c_str());
    return 0;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto server = tayori::broker::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n%s\n", tayori::Render(server.status(), tayori::Lang::kJa).c_str(),
                 tayori::Render(server.status(), tayori::Lang::kEn).c_str());
    return 1;
  }
  std::printf("endpoint: %s\npublic_key: %s\nadmin_endpoint: %s\nmetrics_endpoint: %s\ndata_dir: %s\n",
              (*server)->endpoint().c_str(), (*server)->public_key().c_str(), (*server)->admin_endpoint().c_str(),
              (*server)->metrics_endpoint().c_str(), options.data_dir.c_str());
  std::fflush(stdout);
  (*server)->Run(&g_stop);
  return 0;
}
