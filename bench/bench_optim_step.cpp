// Per-iteration cost of the optimisers on this machine's CPU: DeviceLbfgs (fixed step) against
// torch::optim::LBFGS, DeviceAdam against torch::optim::Adam, on the paper's DT-PINN problem
// (unit disk, p = 4, 4 x 50 tanh MLP, fp64, Poisson with Robin alpha = beta = 1, u = 1 +
// sin(pi x) cos(pi y)), and, in the same run on the same nodes and operators, the PyTorch
// (Python) implementation in bench/pytorch/dtpinn_torch.py (DT-PINN and the autograd PINN).
//
// Usage: bench_optim_step [--n 1663[,4977,...]] [--repeats 7] [--threads 2] [--device cpu|cuda]
//                         [--python PATH | --no-python] [--out bench/results/optim_cpu.md]
// On --device cuda it also times DeviceLbfgs / DeviceAdam with the whole iteration captured in a
// CUDA graph (autodiff::CudaGraphStep) and projects the paper's 5000-epoch (100000-iteration)
// L-BFGS run; the Python script then runs on the GPU too.
// The nodes (nodegen::make_nodes("disk")) and operators (rbffd::assemble) are written as
// nodes.csv, L.mtx, B.mtx to a temporary folder that the Python script reads.
// Timing: steady state after a warm-up; medians over `repeats` blocks of 20 iterations
// (one L-BFGS epoch); every iteration includes its closure (forward + SpMV + loss + backward).
#include <dtpinn/autodiff/cuda_graph.hpp>
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/training/device_adam.hpp>
#include <dtpinn/core/training/device_lbfgs.hpp>
#include <dtpinn/core/training/flat_parameters.hpp>
#include <dtpinn/core/training/fused_mlp.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/generate.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/rbffd/matrix_market.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string shell(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The source tree: $DTPINN_SOURCE_DIR when set (a prebuilt binary run from another checkout,
// as scripts/gpu_check.sh does on the GPU machine), else the one this was built from.
std::string source_dir() {
  const char* v = std::getenv("DTPINN_SOURCE_DIR");
  return v && *v ? v : DTPINN_SOURCE_DIR;
}

torch::Device g_device(torch::kCPU);

void sync() {
  if (g_device.is_cuda()) torch::cuda::synchronize();
}

torch::nn::Sequential make_mlp() {
  torch::manual_seed(0);
  torch::nn::Sequential net;
  int d = 2;
  for (int i = 0; i < 4; ++i) {
    torch::nn::Linear lin(d, 50);
    torch::nn::init::xavier_normal_(lin->weight);
    torch::nn::init::zeros_(lin->bias);
    net->push_back(lin);
    net->push_back(torch::nn::Tanh());
    d = 50;
  }
  torch::nn::Linear out(d, 1);
  torch::nn::init::xavier_normal_(out->weight);
  torch::nn::init::zeros_(out->bias);
  net->push_back(out);
  net->to(torch::kFloat64);
  net->to(g_device);
  return net;
}

struct Problem {
  torch::Tensor x, f, g;
  std::unique_ptr<dtpinn::autodiff::SparseOperator> L, B;
  std::int64_t n = 0, ni = 0, nb = 0;

  torch::Tensor loss(torch::nn::Sequential& net) const {
    return loss_of(net->forward(x).squeeze(1));
  }
  /// The same loss with the network through the engine's fused CPU kernel (core/fused_mlp.hpp).
  torch::Tensor loss_fused(torch::nn::Sequential& net) const {
    std::vector<torch::Tensor> w, b;
    for (const auto& m : net->modules(false))
      if (auto* lin = m->as<torch::nn::Linear>()) w.push_back(lin->weight), b.push_back(lin->bias);
    return loss_of(dtpinn::core::fused_tanh_mlp(x, w, b));
  }
  torch::Tensor loss_of(const torch::Tensor& u) const {
    auto r1 = L->apply(u) - f;
    auto r2 = B->apply(u) - g;
    return r1.pow(2).mean() + r2.pow(2).mean();
  }
};

Problem make_problem(std::int64_t n_target, const std::string& dir) {
  namespace ng = dtpinn::nodegen;
  namespace rb = dtpinn::rbffd;
  const auto nodes = ng::make_nodes("disk", n_target, 0, /*ghosts=*/true);
  rb::RbffdParams params;
  params.order = 4;
  rb::OperatorRequest req;
  req.robin = rb::RobinCoefficients::constant(1.0, 1.0);
  const auto ops = rb::assemble(nodes, params, req);
  std::filesystem::create_directories(dir);
  ng::write_nodes(dir + "/nodes.csv", nodes);
  rb::write_matrix_market(dir + "/L.mtx", ops.laplacian);
  rb::write_matrix_market(dir + "/B.mtx", ops.boundary);

  Problem p;
  p.n = nodes.size();
  p.ni = nodes.n_interior;
  p.nb = nodes.n_boundary;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  p.x = torch::empty({p.n, 2}, opts);
  for (std::int64_t i = 0; i < p.n; ++i) {
    p.x[i][0] = nodes.points(i, 0);
    p.x[i][1] = nodes.points(i, 1);
  }
  const auto nc = p.ni + p.nb;
  const auto xc = p.x.narrow(0, 0, nc);
  const double pi = M_PI;
  p.f = -2 * pi * pi * torch::sin(pi * xc.select(1, 0)) * torch::cos(pi * xc.select(1, 1));
  p.g = torch::empty({p.nb}, opts);
  for (std::int64_t k = 0; k < p.nb; ++k) {
    const auto i = p.ni + k;
    const double x = nodes.points(i, 0), y = nodes.points(i, 1);
    const double nx = nodes.normals(i, 0), ny = nodes.normals(i, 1);
    const double ux = pi * std::cos(pi * x) * std::cos(pi * y);
    const double uy = -pi * std::sin(pi * x) * std::sin(pi * y);
    p.g[k] = nx * ux + ny * uy + 1 + std::sin(pi * x) * std::cos(pi * y);
  }
  p.x = p.x.to(g_device);
  p.f = p.f.to(g_device);
  p.g = p.g.to(g_device);
  p.L = std::make_unique<dtpinn::autodiff::SparseOperator>(ops.laplacian, opts.device(g_device));
  p.B = std::make_unique<dtpinn::autodiff::SparseOperator>(ops.boundary, opts.device(g_device));
  return p;
}

/// Median ms per iteration of `block` (which runs `iters` iterations), after one warm-up block.
double time_blocks(const std::function<int()>& block, int repeats) {
  block();
  std::vector<double> per;
  for (int r = 0; r < repeats; ++r) {
    sync();
    const auto t0 = Clock::now();
    const int iters = block();
    sync();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    per.push_back(ms / std::max(iters, 1));
  }
  return median(per);
}

struct Row {
  std::string what;
  double ms = 0;
};

std::vector<Row> run_cpp(const Problem& p, int repeats, double* final_loss_dev,
                         double* final_loss_torch) {
  std::vector<Row> rows;
  const int kIters = 20;
  // The DT-PINN loss with the network through LibTorch's layers, or through the engine's fused
  // CPU kernel (core/fused_mlp.hpp).
  auto loss_of = [&p](torch::nn::Sequential& net, bool fused) {
    return fused ? p.loss_fused(net) : p.loss(net);
  };
  auto closure_alone = [&](bool fused) {
    auto net = make_mlp();
    dtpinn::core::FlatParameters flat(*net);
    return time_blocks(
        [&] {
          for (int i = 0; i < kIters; ++i) {
            flat.zero_grad();
            loss_of(net, fused).backward();
          }
          return kIters;
        },
        repeats);
  };
  // DeviceLbfgs (fixed step, lr 0.04, m 100) after 5 epochs of history; also graph-captured on
  // CUDA. Returns the loss after the timed iterations.
  auto device_lbfgs = [&](bool fused, const std::string& label) {
    auto net = make_mlp();
    dtpinn::core::FlatParameters flat(*net);
    dtpinn::core::DeviceLbfgsOptions o;
    o.lr = 0.04;
    o.history_size = 100;
    dtpinn::core::DeviceLbfgs opt(flat, o);
    auto closure = [&] {
      flat.zero_grad();
      auto l = loss_of(net, fused);
      l.backward();
      return l;
    };
    for (int i = 0; i < 5 * kIters; ++i) opt.step(closure);
    rows.push_back({label, time_blocks(
                               [&] {
                                 for (int i = 0; i < kIters; ++i) opt.step(closure);
                                 return kIters;
                               },
                               repeats)});
    const double loss = p.loss(net).item<double>();
    if (g_device.is_cuda()) {
      dtpinn::autodiff::CudaGraphStep graph([&] { opt.step(closure); }, 1);
      graph.replay();
      rows.push_back({"DeviceLbfgs fixed step, CUDA graph, per iteration",
                      time_blocks(
                          [&] {
                            for (int i = 0; i < kIters; ++i) graph.replay();
                            return kIters;
                          },
                          repeats)});
    }
    return loss;
  };
  rows.push_back({"closure alone (forward + SpMV + loss + backward)", closure_alone(false)});
  {  // torch::optim::LBFGS, the paper's settings
    auto net = make_mlp();
    torch::optim::LBFGS opt(net->parameters(),
                            torch::optim::LBFGSOptions(0.04).max_iter(kIters).history_size(100));
    int calls = 0;
    auto closure = [&] {
      ++calls;
      opt.zero_grad();
      auto l = p.loss(net);
      l.backward();
      return l;
    };
    for (int e = 0; e < 5; ++e) opt.step(closure);  // fill part of the history
    rows.push_back({"torch::optim::LBFGS (lr 0.04, max_iter 20, m 100), per iteration",
                    time_blocks(
                        [&] {
                          calls = 0;
                          opt.step(closure);
                          return calls;
                        },
                        repeats)});
    *final_loss_torch = p.loss(net).item<double>();
  }
  *final_loss_dev = device_lbfgs(false, "DeviceLbfgs fixed step (lr 0.04, m 100), per iteration");
  if (!g_device.is_cuda()) {
    rows.push_back({"closure alone, fused MLP kernel", closure_alone(true)});
    device_lbfgs(true, "DeviceLbfgs fixed step + fused MLP kernel, per iteration");
  }
  {  // the optimisers alone: a cheap closure (gradient of a diagonal quadratic, P = 7851, with
     // curvatures 1e-3 ... 1, so 100+ iterations do not converge), history m = 100 filled first
    auto net_t = make_mlp();
    auto net_d = make_mlp();
    dtpinn::core::FlatParameters flat_t(*net_t), flat_d(*net_d);
    const auto P = flat_t.numel();
    const auto curv = torch::logspace(-3, 0, P, 10.0, flat_t.values().options());
    auto quad = [&](dtpinn::core::FlatParameters& fp) {
      return [&fp, &curv] {
        const auto& x = fp.values();
        fp.grads().copy_(curv * x);
        return 0.5 * (curv * x * x).sum();
      };
    };
    torch::optim::LBFGS opt_t(net_t->parameters(), torch::optim::LBFGSOptions(0.04)
                                                       .max_iter(kIters)
                                                       .history_size(100)
                                                       .tolerance_grad(1e-300)
                                                       .tolerance_change(1e-300));
    int calls = 0;
    auto qt = quad(flat_t);
    auto closure_t = [&] {
      ++calls;
      return qt();
    };
    for (int e = 0; e < 6; ++e) opt_t.step(closure_t);
    rows.push_back({"optimiser alone: torch::optim::LBFGS (m 100 full), per iteration",
                    time_blocks(
                        [&] {
                          calls = 0;
                          opt_t.step(closure_t);
                          return calls;
                        },
                        repeats)});
    dtpinn::core::DeviceLbfgsOptions o;
    o.lr = 0.04;
    o.history_size = 100;
    o.tolerance_grad = o.tolerance_change = 1e-300;
    dtpinn::core::DeviceLbfgs opt_d(flat_d, o);
    auto qd = quad(flat_d);
    for (int i = 0; i < 6 * kIters; ++i) opt_d.step(qd);
    rows.push_back({"optimiser alone: DeviceLbfgs (m 100 full), per iteration",
                    time_blocks(
                        [&] {
                          for (int i = 0; i < kIters; ++i) opt_d.step(qd);
                          return kIters;
                        },
                        repeats)});
    if (g_device.is_cuda()) {
      dtpinn::autodiff::CudaGraphStep graph([&] { opt_d.step(qd); }, 1);
      graph.replay();
      rows.push_back({"optimiser alone: DeviceLbfgs, CUDA graph, per iteration",
                      time_blocks(
                          [&] {
                            for (int i = 0; i < kIters; ++i) graph.replay();
                            return kIters;
                          },
                          repeats)});
    }
  }
  {  // torch::optim::Adam
    auto net = make_mlp();
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
    rows.push_back(
        {"torch::optim::Adam, per step (closure + update)", time_blocks(
                                                                [&] {
                                                                  for (int i = 0; i < kIters; ++i) {
                                                                    opt.zero_grad();
                                                                    p.loss(net).backward();
                                                                    opt.step();
                                                                  }
                                                                  return kIters;
                                                                },
                                                                repeats)});
  }
  for (const bool fused : {false, true}) {
    auto net = make_mlp();
    dtpinn::core::FlatParameters flat(*net);
    dtpinn::core::DeviceAdamOptions o;
    o.lr = 1e-3;
    o.fused = fused;
    dtpinn::core::DeviceAdam opt(flat, o);
    auto one_step = [&] {
      flat.zero_grad();
      p.loss(net).backward();
      opt.step();
    };
    rows.push_back(
        {std::string("DeviceAdam") + (fused ? " fused" : "") + ", per step (closure + update)",
         time_blocks(
             [&] {
               for (int i = 0; i < kIters; ++i) one_step();
               return kIters;
             },
             repeats)});
    if (g_device.is_cuda()) {
      dtpinn::autodiff::CudaGraphStep graph(one_step, 1);
      graph.replay();
      rows.push_back({std::string("DeviceAdam") + (fused ? " fused" : "") +
                          ", CUDA graph, per step (closure + update)",
                      time_blocks(
                          [&] {
                            for (int i = 0; i < kIters; ++i) graph.replay();
                            return kIters;
                          },
                          repeats)});
    }
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes{1663};
  int repeats = 7;
  int threads = 2;
  std::string python;
  bool no_python = false;
  std::string out;
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench_optim_step: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--n") {
        sizes.clear();
        std::stringstream ss(next());
        for (std::string t; std::getline(ss, t, ',');) sizes.push_back(std::stoll(t));
      } else if (a == "--repeats") {
        repeats = std::stoi(next());
      } else if (a == "--threads") {
        threads = std::stoi(next());
      } else if (a == "--python") {
        python = next();
      } else if (a == "--device") {
        const auto d = next();
        if (d != "cpu" && d != "cuda") {
          std::cerr << "bench_optim_step: --device must be cpu or cuda\n";
          return 2;
        }
        g_device = torch::Device(d == "cuda" ? torch::kCUDA : torch::kCPU);
      } else if (a == "--no-python") {
        no_python = true;
      } else if (a == "--out") {
        out = next();
      } else {
        std::cerr << "bench_optim_step: unknown option " << a
                  << " (--n, --repeats, --threads, --device, --python, --no-python, --out)\n";
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "bench_optim_step: bad value for " << a << "\n";
      return 2;
    }
  }
  if (out.empty()) {
    out = source_dir() + "/bench/results/" + (g_device.is_cuda() ? "optim_gpu.md" : "optim_cpu.md");
  }
  if (repeats < 1 || threads < 1 || sizes.empty()) {
    std::cerr << "bench_optim_step: --repeats and --threads must be >= 1\n";
    return 2;
  }
  if (python.empty() && !no_python) {
    if (const char* py = std::getenv("DTPINN_PYTHON")) {
      python = py;
    } else if (const char* home = std::getenv("HOME")) {
      python = std::string(home) + "/.local/share/dtpinn/venv/bin/python";
    }
    if (!std::filesystem::exists(python)) no_python = true;
  }
  if (g_device.is_cuda() && !torch::cuda::is_available()) {
    // Like bench_gpu_spmv: not an error (scripts run it everywhere), nothing measured.
    std::cout << "no CUDA device: torch::cuda::is_available() is false\n"
              << "bench_optim_step --device cuda: nothing measured, no results written\n";
    return 0;
  }
  at::set_num_threads(threads);
  at::set_num_interop_threads(1);

  std::ostringstream md;
  const auto date = shell("date -u '+%Y-%m-%d %H:%M UTC'");
  const auto commit = shell("git -C " + source_dir() + " rev-parse --short HEAD");
  const auto dirty = shell("git -C " + source_dir() + " status --porcelain | wc -l");
  const std::string device_name =
      g_device.is_cuda() ? shell("nvidia-smi --query-gpu=name --format=csv,noheader | head -1")
                         : std::string("CPU");
  md << "# Optimiser step cost on " << device_name << "\n\n"
     << "- Machine: `" << shell("uname -a") << "`\n"
     << "- CPU: " << shell("lscpu | sed -n 's/^Model name: *//p'") << ", " << shell("nproc")
     << " cores visible (shared with other jobs: medians, not minima)\n"
     << "- Date: " << date << "; git commit " << commit << " (+" << dirty
     << " uncommitted paths in the tree)\n"
     << "- Command: `" << command << "`\n"
     << "- LibTorch " << TORCH_VERSION << ", " << threads << " intra-op threads (C++ and Python)\n"
     << "- Problem: unit disk (nodegen::make_nodes, ghosts), RBF-FD p = 4 (rbffd::assemble), "
        "Poisson + Robin 1/1, 4 x 50 tanh MLP (P = 7851), fp64 unless stated; C++ SpMV through "
        "dtpinn::autodiff::SparseOperator, Python through torch sparse CSR with explicit L^T\n"
     << "- Medians over " << repeats
     << " blocks of 20 iterations after warm-up; ms per iteration / step, closure included\n\n";

  for (const auto n : sizes) {
    const auto dir =
        (std::filesystem::temp_directory_path() / ("dtpinn_bench_optim_" + std::to_string(n)))
            .string();
    std::printf("N ~ %lld: building nodes and operators in %s\n", static_cast<long long>(n),
                dir.c_str());
    const auto prob = make_problem(n, dir);
    double loss_dev = 0, loss_torch = 0;
    const auto rows = run_cpp(prob, repeats, &loss_dev, &loss_torch);
    std::map<std::string, double> py;
    std::string py_note;
    if (!no_python) {
      const auto json_path = dir + "/python.json";
      std::filesystem::remove(json_path);
      const auto cmd = python + " " + source_dir() + "/bench/pytorch/dtpinn_torch.py --dir " + dir +
                       " --threads " + std::to_string(threads) + " --device " +
                       (g_device.is_cuda() ? "cuda" : "cpu") + " --repeats " +
                       std::to_string(repeats) + " --json " + json_path;
      std::printf("running: %s\n", cmd.c_str());
      const int rc = std::system(cmd.c_str());
      if (rc == 0 && std::filesystem::exists(json_path)) {
        std::ifstream in(json_path);
        const auto j = nlohmann::json::parse(in);
        for (const auto& [k, v] : j.items())
          if (v.is_number_float()) py[k] = v.get<double>();
        py_note = "PyTorch " + j.value("torch", std::string("?"));
      } else {
        py_note = "the Python script failed (exit " + std::to_string(rc) + ")";
      }
    } else {
      py_note = "Python not run (--no-python or no venv)";
    }
    md << "## N = " << prob.n << " (Ni = " << prob.ni << ", Nb = " << prob.nb
       << ", ghosts = Nb), nnz(L) = " << prob.L->nnz() << "\n\n"
       << "| what | ms |\n| --- | --- |\n";
    for (const auto& r : rows) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", r.ms);
      md << "| C++: " << r.what << " | " << buf << " |\n";
      std::printf("  C++ %-70s %8.3f ms\n", r.what.c_str(), r.ms);
    }
    const std::vector<std::pair<std::string, std::string>> py_rows{
        {"dtpinn_fp64_closure_ms", "closure alone (forward + SpMV + loss + backward)"},
        {"dtpinn_fp64_lbfgs_iter_ms",
         "DT-PINN torch.optim.LBFGS (lr 0.04, max_iter 20, m 100), per iteration"},
        {"dtpinn_fp64_adam_step_ms", "DT-PINN torch.optim.Adam, per step (closure + update)"},
        {"vanilla_fp32_lbfgs_iter_ms",
         "vanilla PINN fp32, torch.optim.LBFGS (lr 0.2), per iteration"},
        {"vanilla_fp64_lbfgs_iter_ms",
         "vanilla PINN fp64, torch.optim.LBFGS (lr 0.2), per iteration"}};
    for (const auto& [key, label] : py_rows) {
      if (!py.count(key)) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", py.at(key));
      md << "| Python: " << label << " | " << buf << " |\n";
    }
    md << "\n" << py_note << ".";
    if (py.count("dtpinn_fp64_lbfgs_iter_ms")) {
      const double cpp = rows[2].ms, pyv = py.at("dtpinn_fp64_lbfgs_iter_ms");
      char buf[384];
      std::snprintf(buf, sizeof buf,
                    " DT-PINN L-BFGS iteration: C++ DeviceLbfgs %.3f ms vs Python %.3f ms: "
                    "%.2fx; C++ torch::optim::LBFGS %.3f ms.",
                    cpp, pyv, pyv / cpp, rows[1].ms);
      md << buf;
      for (const auto& r : rows)
        if (r.what.rfind("DeviceLbfgs fixed step + fused", 0) == 0) {
          std::snprintf(buf, sizeof buf,
                        " With the fused MLP kernel (the engine's default on the CPU): %.3f ms, "
                        "%.2fx faster than the PyTorch script (target >= 2x).",
                        r.ms, pyv / r.ms);
          md << buf;
          std::printf("DT-PINN L-BFGS iteration: fused C++ %.3f ms vs Python %.3f ms: %.2fx\n",
                      r.ms, pyv, pyv / r.ms);
        }
    }
    for (const auto& r : rows) {
      if (r.what.rfind("DeviceLbfgs fixed step, CUDA graph", 0) == 0) {
        char pb[160];
        std::snprintf(pb, sizeof pb,
                      " Projected 5000-epoch L-BFGS run (100000 iterations) with the graph: "
                      "%.1f s (target < 60 s).",
                      r.ms * 100000 / 1000);
        md << pb;
      }
    }
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  " Loss after the timed runs (same start and iteration budget): "
                  "DeviceLbfgs %.6g, torch::optim::LBFGS %.6g.\n\n",
                  loss_dev, loss_torch);
    md << buf;
  }
  {
    dtpinn::nodegen::AtomicFile file(out);
    file.stream() << md.str();
    file.commit();
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
