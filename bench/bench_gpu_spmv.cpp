// SpMV on the GPU against the memory-bandwidth floor, for RBF-FD-shaped operators of the
// paper's unit-disk sizes (N = 582 ... 19638) and orders p = 3, 4, 5.
//
// Operators: L is (Ni + Nb) x (Ni + 2 Nb) (ghost columns), each row the n = 2 binom(p + 3, 2) + 1
// nearest nodes (31, 43, 57 for p = 3, 4, 5: the Laplacian's stencil sizes), nodes on a
// quasi-uniform sunflower layout of the unit disk with a boundary ring and a ghost ring, random
// weights (timing does not depend on them). Stored A and explicit A^T (as the autograd op does).
//
// Measured (CUDA events, median of 15 batches of 50 calls; warm-up first):
//   cusparse A x, cusparse A^T g, hand-written csr_spmv A x, cusparse SpMM k = 4, fused
//   residual + square + reduce; "launch" = back-to-back launches on one stream, "graph" = the
//   same 50 calls captured in a CUDA graph (launch overhead removed); "cold" = one call on each
//   of enough copies of A to fill L2 twice over (every copy is evicted before its next use:
//   device-memory traffic, the honest floor). For small N that is hundreds of copies (the
//   smallest L is ~0.23 MB, the H200's L2 50 MB); the cold batch holds one call per copy, and
//   the copies share one cuSPARSE handle.
// Floor = bytes of the CSR arrays + x + y / device-to-device copy bandwidth (read + write),
// measured here on a 512 MiB copy.
//
// Without a CUDA device it prints "no CUDA device: ..." and exits 0 without writing results.
// With one it writes bench/results/gpu_<device>.md (in source_dir()) or --out FILE, unless
// --no-write.
#if __has_include(<dtpinn/kernels/csr_operator.hpp>)
#define DTPINN_BENCH_HAVE_KERNELS 1
#include <dtpinn/kernels/csr_kernels.hpp>
#include <dtpinn/kernels/csr_operator.hpp>
#include <dtpinn/kernels/device.hpp>
#include <dtpinn/kernels/error.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/rbffd/csr_ops.hpp>
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef DTPINN_BENCH_HAVE_KERNELS
int main() {
  std::cout << "no CUDA device: dtpinn was built without CUDA (no kernels library)\n";
  return 0;
}
#else

namespace k = dtpinn::kernels;

namespace {

#define CK(call) k::check_cuda(call, #call)

using HostCsr = dtpinn::rbffd::CsrMatrix;  // the engine's CPU CSR, and its transpose below
using dtpinn::rbffd::transpose;

struct Point {
  double x, y;
};

// Unit disk, N = Ni + Nb collocation nodes plus Nb ghosts: sunflower interior, boundary ring,
// ghost ring at 1 + h. Returns the points in the node file's order (interior, boundary, ghost).
std::vector<Point> disk_nodes(int n, int& ni, int& nb) {
  const double pi = 3.14159265358979323846;
  const double h = std::sqrt(pi / n);
  nb = static_cast<int>(std::lround(2 * pi / h));
  ni = n - nb;
  std::vector<Point> p;
  p.reserve(static_cast<std::size_t>(n + nb));
  const double golden = pi * (3.0 - std::sqrt(5.0));
  for (int i = 0; i < ni; ++i) {
    const double r = (1.0 - 0.5 * h) * std::sqrt((i + 0.5) / ni);
    p.push_back({r * std::cos(i * golden), r * std::sin(i * golden)});
  }
  for (double radius : {1.0, 1.0 + h}) {
    for (int i = 0; i < nb; ++i) {
      const double t = 2 * pi * i / nb;
      p.push_back({radius * std::cos(t), radius * std::sin(t)});
    }
  }
  return p;
}

// Each of the first `rows` points gets its `n` nearest points (bucket grid, exact kNN).
HostCsr stencil_matrix(const std::vector<Point>& p, int rows, int n, std::uint64_t seed) {
  const double lo = -1.2, hi = 1.2;
  const int g = std::max(1, static_cast<int>(std::sqrt(p.size() / 4.0)));
  const double cell = (hi - lo) / g;
  std::vector<std::vector<int> > bucket(static_cast<std::size_t>(g * g));
  auto cell_of = [&](double v) { return std::clamp(static_cast<int>((v - lo) / cell), 0, g - 1); };
  for (int i = 0; i < static_cast<int>(p.size()); ++i)
    bucket[static_cast<std::size_t>(cell_of(p[i].y) * g + cell_of(p[i].x))].push_back(i);
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> val(-1.0, 1.0);
  HostCsr a;
  a.rows = rows;
  a.cols = static_cast<std::int64_t>(p.size());
  a.row_ptr.push_back(0);
  std::vector<std::pair<double, int> > cand;
  for (int i = 0; i < rows; ++i) {
    const int cx = cell_of(p[i].x), cy = cell_of(p[i].y);
    for (int ring = 1;; ++ring) {
      cand.clear();
      for (int y = std::max(0, cy - ring); y <= std::min(g - 1, cy + ring); ++y)
        for (int x = std::max(0, cx - ring); x <= std::min(g - 1, cx + ring); ++x)
          for (int j : bucket[static_cast<std::size_t>(y * g + x)]) {
            const double dx = p[j].x - p[i].x, dy = p[j].y - p[i].y;
            cand.push_back({dx * dx + dy * dy, j});
          }
      // Exact once the n-th distance is within the searched square's inner radius.
      if (static_cast<int>(cand.size()) >= n) {
        std::nth_element(cand.begin(), cand.begin() + (n - 1), cand.end());
        if (std::sqrt(cand[n - 1].first) <= ring * cell || ring > g) break;
      }
    }
    std::vector<int> cols;
    for (int t = 0; t < n; ++t) cols.push_back(cand[t].second);
    std::sort(cols.begin(), cols.end());
    for (int c : cols) {
      a.col_idx.push_back(c);
      a.values.push_back(val(gen));
    }
    a.row_ptr.push_back(static_cast<std::int32_t>(a.col_idx.size()));
  }
  return a;
}

struct DeviceBuffer {
  void* ptr = nullptr;
  explicit DeviceBuffer(std::size_t bytes) {
    CK(cudaMalloc(&ptr, std::max<std::size_t>(bytes, 8)));
  }
  template <typename T>
  explicit DeviceBuffer(const std::vector<T>& h) : DeviceBuffer(h.size() * sizeof(T)) {
    CK(cudaMemcpy(ptr, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

struct DeviceCsr {
  DeviceBuffer rp, ci, va;
  k::CsrView view;
  explicit DeviceCsr(const HostCsr& a) : rp(a.row_ptr), ci(a.col_idx), va(a.values) {
    view.row_ptr = static_cast<const std::int32_t*>(rp.ptr);
    view.col_idx = static_cast<const std::int32_t*>(ci.ptr);
    view.values = va.ptr;
    view.rows = a.rows;
    view.cols = a.cols;
    view.nnz = a.nnz();
    view.dtype = k::DataType::fp64;
  }
};

// The source tree: $DTPINN_SOURCE_DIR when set (a prebuilt binary run from another checkout,
// as scripts/gpu_check.sh does on the GPU machine), else the one this was built from.
std::string source_dir() {
  const char* v = std::getenv("DTPINN_SOURCE_DIR");
  return v && *v ? v : DTPINN_SOURCE_DIR;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr int kBatch = 50;
constexpr int kBatches = 15;

// Median microseconds per call of `call(i)` (i = call index in the batch of `batch` calls),
// launched eagerly or replayed from a CUDA graph holding the whole batch.
double time_us(cudaStream_t s, const std::function<void(int)>& call, bool graph,
               int batch = kBatch) {
  for (int i = 0; i < 2 * batch; ++i) call(i);  // warm-up: handles, buffers, module load
  CK(cudaStreamSynchronize(s));
  cudaGraphExec_t exec = nullptr;
  cudaGraph_t gr = nullptr;
  if (graph) {
    CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < batch; ++i) call(i);
    CK(cudaStreamEndCapture(s, &gr));
    CK(cudaGraphInstantiate(&exec, gr, 0));
    CK(cudaGraphLaunch(exec, s));
  }
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<double> t;
  for (int b = 0; b < kBatches; ++b) {
    CK(cudaEventRecord(e0, s));
    if (graph)
      CK(cudaGraphLaunch(exec, s));
    else
      for (int i = 0; i < batch; ++i) call(i);
    CK(cudaEventRecord(e1, s));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(1000.0 * ms / batch);
  }
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
  if (exec) cudaGraphExecDestroy(exec);
  if (gr) cudaGraphDestroy(gr);
  return median(t);
}

// Device-to-device copy bandwidth, bytes read + written per second.
double copy_bandwidth(cudaStream_t s) {
  const std::size_t bytes = std::size_t{512} << 20;
  DeviceBuffer a(bytes), b(bytes);
  CK(cudaMemsetAsync(a.ptr, 1, bytes, s));
  auto call = [&](int) { CK(cudaMemcpyAsync(b.ptr, a.ptr, bytes, cudaMemcpyDeviceToDevice, s)); };
  for (int i = 0; i < 3; ++i) call(i);
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<double> t;
  for (int r = 0; r < 10; ++r) {
    CK(cudaEventRecord(e0, s));
    call(r);
    CK(cudaEventRecord(e1, s));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(ms * 1e-3);
  }
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
  return 2.0 * static_cast<double>(bytes) / median(t);
}

std::string shell(const char* cmd) {
  std::string out;
  if (FILE* f = popen(cmd, "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, f)) out += buf;
    pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Bytes one SpMV moves at least: the CSR arrays, x and y.
double spmv_bytes(const HostCsr& a) {
  return 4.0 * (a.rows + 1) + 12.0 * a.nnz() + 8.0 * (a.rows + a.cols);
}

// Copies of an operator of `bytes` needed for a cold rotation: together twice the L2 size, so
// that cycling through them evicts each before its next use. Not capped: 64 copies of the
// smallest operator (0.23 MB) would sit in the H200's 50 MB L2.
int cold_copies(double bytes, double l2_bytes) {
  const double needed = std::ceil(2.0 * l2_bytes / bytes);
  return static_cast<int>(std::clamp<double>(needed, 2.0, 1 << 16));
}

struct Row {
  int n, p, rows, cols, copies;
  std::int64_t nnz;
  double floor_us;
  double sp_launch, sp_graph, sp_cold, spt_graph, custom_graph, custom_cold, spmm4_graph,
      fused_graph;
};

}  // namespace

int main(int argc, char** argv) {
  bool write = true;
  bool dry_run = false;
  std::string out_path;  // default: bench/results/gpu_<device>.md in the source tree
  std::vector<int> sizes = {582, 828, 1663, 2180, 4977, 19638};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-write") == 0) {
      write = false;
    } else if (std::strcmp(argv[i], "--dry-run") == 0) {
      dry_run = true;  // host only: build the operators, check and print them, no GPU
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      sizes = {1663, 19638};
    } else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else {
      std::cerr << "bench_gpu_spmv: unknown option " << argv[i]
                << " (--no-write, --quick, --dry-run, --out FILE)\n";
      return 2;
    }
  }
  if (dry_run) {
    for (int n : sizes) {
      int ni = 0, nb = 0;
      const auto pts = disk_nodes(n, ni, nb);
      for (int p : {3, 4, 5}) {
        const int stencil = (p + 3) * (p + 2) + 1;
        const HostCsr a = stencil_matrix(pts, ni + nb, stencil, 1000u * n + p);
        // Every row: exactly `stencil` distinct sorted columns, its own node among them.
        int bad = 0;
        for (std::int64_t i = 0; i < a.rows; ++i) {
          const auto b = a.row_ptr[i], e = a.row_ptr[i + 1];
          bool self = false, sorted = true;
          for (auto t = b; t < e; ++t) {
            self |= a.col_idx[t] == i;
            if (t > b && a.col_idx[t] <= a.col_idx[t - 1]) sorted = false;
          }
          bad += (e - b != stencil || !self || !sorted);
        }
        // The cold rotation for an H200-sized L2 (50 MiB): the copies must hold twice the L2.
        const double l2 = 50.0 * 1024 * 1024, bytes = spmv_bytes(a);
        const int copies = cold_copies(bytes, l2);
        std::printf(
            "N %5d p %d: Ni %5d Nb %4d, L %5lld x %5lld, nnz %7lld, %d nodes/row, %d bad rows, "
            "%.3f MB, %d cold copies for a 50 MiB L2\n",
            n, p, ni, nb, static_cast<long long>(a.rows), static_cast<long long>(a.cols),
            static_cast<long long>(a.nnz()), stencil, bad, bytes / 1e6, copies);
        if (bad || copies * bytes < 2 * l2) return 1;
      }
    }
    return 0;
  }
  if (!k::device_available()) {
    std::cout << k::no_device_reason()
              << "\nbench_gpu_spmv: nothing measured, no results written\n";
    return 0;
  }
  try {
    const std::string device = k::device_name(0);
    cudaDeviceProp prop{};
    CK(cudaGetDeviceProperties(&prop, 0));
    cudaStream_t s;
    CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const double bw = copy_bandwidth(s);
    std::printf("%s: %d SMs, L2 %.0f MB, device-to-device copy %.0f GB/s (read + write)\n",
                device.c_str(), prop.multiProcessorCount, prop.l2CacheSize / 1e6, bw / 1e9);
    std::vector<Row> rows;
    for (int n : sizes) {
      int ni = 0, nb = 0;
      const auto pts = disk_nodes(n, ni, nb);
      for (int p : {3, 4, 5}) {
        const int l = p + 1;
        const int stencil = (l + 2) * (l + 1) + 1;  // 2 binom(l + 2, 2) + 1
        const HostCsr a = stencil_matrix(pts, ni + nb, stencil, 1000u * n + p);
        const HostCsr at = transpose(a);
        Row r{};
        r.n = n;
        r.p = p;
        r.rows = static_cast<int>(a.rows);
        r.cols = static_cast<int>(a.cols);
        r.nnz = a.nnz();
        const double bytes = spmv_bytes(a);
        r.floor_us = 1e6 * bytes / bw;
        // Enough copies of A to overflow L2 twice: the cold measurement reads device memory.
        const int copies = cold_copies(bytes, prop.l2CacheSize);
        r.copies = copies;
        std::vector<std::unique_ptr<DeviceCsr> > da;
        std::vector<std::unique_ptr<k::CsrOperator> > ops;
        for (int c = 0; c < copies; ++c) {
          da.push_back(std::make_unique<DeviceCsr>(a));
          ops.push_back(c == 0 ? std::make_unique<k::CsrOperator>(da.back()->view)
                               : std::make_unique<k::CsrOperator>(da.back()->view, *ops[0]));
          ops.back()->prepare(0);
        }
        const int cold_batch = std::max(kBatch, copies);  // one call per copy per replay
        DeviceCsr dat(at);
        k::CsrOperator opt(dat.view);
        std::mt19937_64 gen(7);
        std::uniform_real_distribution<double> u(-1, 1);
        std::vector<double> hx(static_cast<std::size_t>(4 * a.cols)),
            hg(static_cast<std::size_t>(4 * a.rows));
        for (auto& v : hx) v = u(gen);
        for (auto& v : hg) v = u(gen);
        DeviceBuffer x(hx), g(hg), y(8 * 4 * a.rows), z(8 * 4 * a.cols), out(8);
        // The uploads ran on the legacy stream, which s (non-blocking) does not wait for.
        CK(cudaDeviceSynchronize());
        k::CsrOperator& op = *ops[0];
        k::FusedResidual fused(a.rows, k::DataType::fp64);
        auto sp = [&](int) { op.spmv(x.ptr, y.ptr, s); };
        auto sp_cold = [&](int i) {
          ops[static_cast<std::size_t>(i % copies)]->spmv(x.ptr, y.ptr, s);
        };
        auto spt = [&](int) { opt.spmv(g.ptr, z.ptr, s); };
        auto cu = [&](int) { k::csr_spmv(da[0]->view, x.ptr, y.ptr, s); };
        auto cu_cold = [&](int i) {
          k::csr_spmv(da[static_cast<std::size_t>(i % copies)]->view, x.ptr, y.ptr, s);
        };
        auto mm = [&](int) { op.spmm(x.ptr, y.ptr, 4, k::DenseLayout::row_major, s); };
        auto fu = [&](int) {
          fused.run(da[0]->view, x.ptr, g.ptr, y.ptr, out.ptr, 1, 1.0 / a.rows, s);
        };
        r.sp_launch = time_us(s, sp, false);
        r.sp_graph = time_us(s, sp, true);
        r.sp_cold = time_us(s, sp_cold, true, cold_batch);
        r.spt_graph = time_us(s, spt, true);
        r.custom_graph = time_us(s, cu, true);
        r.custom_cold = time_us(s, cu_cold, true, cold_batch);
        r.spmm4_graph = time_us(s, mm, true);
        r.fused_graph = time_us(s, fu, true);
        rows.push_back(r);
        std::printf(
            "N %5d p %d: %5d x %5d nnz %7lld floor %5.2f us | cusparse %6.2f launch %6.2f graph "
            "%6.2f cold (%d copies) | "
            "A^T %6.2f | custom %6.2f graph %6.2f cold | spmm k=4 %6.2f | fused %6.2f us\n",
            r.n, r.p, r.rows, r.cols, static_cast<long long>(r.nnz), r.floor_us, r.sp_launch,
            r.sp_graph, r.sp_cold, r.copies, r.spt_graph, r.custom_graph, r.custom_cold,
            r.spmm4_graph, r.fused_graph);
        std::fflush(stdout);
      }
    }
    CK(cudaStreamDestroy(s));
    if (!write) return 0;

    std::string safe = device;
    for (auto& c : safe)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    const std::string path =
        out_path.empty() ? source_dir() + "/bench/results/gpu_" + safe + ".md" : out_path;
    std::ostringstream md;
    const std::time_t now = std::time(nullptr);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    md << "# GPU SpMV vs the memory-bandwidth floor: " << device << "\n\n"
       << "- machine: `" << shell("uname -a") << "`\n"
       << "- CPU: " << shell("lscpu | sed -n 's/^Model name: *//p' | head -1") << ", "
       << shell("nproc") << " cores\n"
       << "- GPU: " << device << ", " << prop.multiProcessorCount << " SMs, L2 "
       << prop.l2CacheSize / 1e6 << " MB; device-to-device copy " << bw / 1e9
       << " GB/s (read + write, 512 MiB, median of 10)\n"
       << "- command: `" << argv[0] << "` (scripts/gpu_check.sh, or scripts/gpu_test.sh bench)\n"
       << "- date: " << date << "\n- commit: "
       << shell(("git -C '" + source_dir() + "' rev-parse --short HEAD 2>/dev/null").c_str())
       << "\n\n"
       << "Operators: RBF-FD-shaped L, (Ni + Nb) x (Ni + 2 Nb), n = 31/43/57 nearest nodes per row "
          "(p = 3/4/5), unit-disk nodes, fp64 values, int32 indices. Floor = (CSR arrays + x + y) "
          "bytes / copy bandwidth. Times: microseconds per call, median of 15 batches of 50 calls "
          "(CUDA events). launch = back-to-back launches; graph = the batch replayed from a CUDA "
          "graph; cold = one call on each of `copies` copies of A (together twice the L2 size) "
          "per replay, so every call reads A from device memory.\n\n"
       << "| N | p | rows x cols | nnz | floor us | cuSPARSE launch | cuSPARSE graph | cuSPARSE "
          "cold "
          "| cold / floor | copies | A^T graph | custom graph | custom cold | SpMM k=4 graph | "
          "fused residual graph |\n"
       << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    char line[512];
    for (const Row& r : rows) {
      std::snprintf(line, sizeof line,
                    "| %d | %d | %d x %d | %lld | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.2f | "
                    "%.2f | %.2f | %.2f | %.2f |\n",
                    r.n, r.p, r.rows, r.cols, static_cast<long long>(r.nnz), r.floor_us,
                    r.sp_launch, r.sp_graph, r.sp_cold, r.sp_cold / r.floor_us, r.copies,
                    r.spt_graph, r.custom_graph, r.custom_cold, r.spmm4_graph, r.fused_graph);
      md << line;
    }
    dtpinn::nodegen::AtomicFile file(path);
    file.stream() << md.str();
    file.commit();
    std::cout << "wrote " << path << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_gpu_spmv: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
#endif
