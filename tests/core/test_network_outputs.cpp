// The network with F outputs, one per field (core/training/model.hpp): a single output keeps the
// scalar network's layout, initialisation and values; with F > 1 each output column is the
// scalar network of its output row, and every path (LibTorch layers, the fused CPU kernel, the
// tangent derivative, per-row weights, host evaluation, checkpoints) agrees with autograd or
// with the formula written out here.
#include <dtpinn/core/training/fused_mlp.hpp>
#include <dtpinn/core/training/model.hpp>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/autograd_graph.hpp"

using namespace dtpinn;
using core::Network;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
using HostPoints = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

core::ModelConfig model(int depth, int width, int outputs,
                        core::Architecture arch = core::Architecture::mlp,
                        core::Activation act = core::Activation::tanh,
                        core::CpuKernel kernel = core::CpuKernel::torch) {
  core::ModelConfig m;
  m.depth = depth;
  m.width = width;
  m.outputs = outputs;
  m.architecture = arch;
  m.activation = act;
  m.cpu_kernel = kernel;
  return m;
}

const Eigen::Vector2d kLower(-1, 0), kUpper(2, 1);

/// Every parameter moved off its initialisation (biases are zero there) by a seeded draw.
void perturb(Network& net, std::uint64_t seed) {
  torch::NoGradGuard ng;
  torch::manual_seed(seed);
  for (auto& p : net.parameters()) p.add_(0.3 * torch::randn_like(p));
}

/// The output layer of `from` restricted to row k copied into the single-output `to`, whose
/// other layers get `from`'s: the scalar network of field k.
void copy_with_output_row(const Network& from, Network& to, std::int64_t k) {
  torch::NoGradGuard ng;
  const auto src = from.parameters();
  auto dst = to.parameters();
  ASSERT_EQ(src.size(), dst.size());
  for (std::size_t i = 0; i + 2 < src.size(); ++i) dst[i].copy_(src[i]);
  dst[dst.size() - 2].copy_(src[src.size() - 2].narrow(0, k, 1));
  dst[dst.size() - 1].copy_(src[src.size() - 1].narrow(0, k, 1));
}

double max_abs(const at::Tensor& t) {
  return t.abs().max().item<double>();
}

std::string tmp_file(const std::string& name) {
  const auto dir = std::filesystem::path(DTPINN_BINARY_DIR) / "test_core_tmp" / "network_outputs";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

}  // namespace

// The single-output network is the scalar network: parameters [hidden0.weight [5, 2], bias [5],
// hidden1 ..., output.weight [1, 5], output.bias [1]], this seed's Xavier draw (float32 values,
// as checkpoints of it hold), and u = w_o . tanh(W_1 tanh(W_0 z + b_0) + b_1) + b_o with
// z = (x - (lower + upper) / 2) / ((upper - lower) / 2).
TEST(NetworkOutputs, SingleOutputIsTheScalarNetwork) {
  Network net(model(2, 5, 1), kLower, kUpper, c10::kDouble, c10::kCPU, 7);
  EXPECT_EQ(net.outputs(), 1);
  const auto p = net.parameters();
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[4].sizes(), (std::vector<std::int64_t>{1, 5}));
  EXPECT_EQ(p[5].sizes(), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(net.num_output_parameters(), 6);
  EXPECT_EQ(net.num_parameters(), 2 * 5 + 5 + 5 * 5 + 5 + 5 + 1);
  // This seed's initialisation stream: the output weights drawn after the hidden layers'.
  EXPECT_EQ(p[4][0][0].item<double>(), 1.0575348138809204);
  EXPECT_EQ(p[4][0][4].item<double>(), 0.23992377519607544);
  const auto x = torch::tensor({0.3, 0.2, -0.7, 0.9, 1.5, 0.1}, f64).view({3, 2});
  const auto u = net.forward(x);
  ASSERT_EQ(u.sizes(), (std::vector<std::int64_t>{3}));
  const double expected[3] = {-0.75284810175276662, 0.10630218475354539, -0.24268187836612004};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(u[i].item<double>(), expected[i], 1e-15) << i;
  {
    torch::NoGradGuard ng;
    const auto z = (x - torch::tensor({0.5, 0.5}, f64)) / torch::tensor({1.5, 0.5}, f64);
    const auto h = torch::tanh(torch::tanh(z.mm(p[0].t()) + p[1]).mm(p[2].t()) + p[3]);
    const auto ref = h.mv(p[4][0]) + p[5];
    EXPECT_LT(max_abs(u - ref), 1e-15);
  }
  // The modified MLP's single output: this seed's values.
  Network mod(model(2, 5, 1, core::Architecture::modified_mlp), kLower, kUpper, c10::kDouble,
              c10::kCPU, 7);
  const auto um = mod.forward(x);
  ASSERT_EQ(um.sizes(), (std::vector<std::int64_t>{3}));
  const double expected_mod[3] = {0.36946384433603663, -0.084049181496121117, 0.2869752302398545};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(um[i].item<double>(), expected_mod[i], 1e-15) << i;
  // Every path keeps the [N] shape, and evaluate is evaluate_fields' only column.
  EXPECT_EQ(net.forward_in_weights(x).sizes(), u.sizes());
  const auto [v, dv] = net.forward_with_derivative(x, 1);
  EXPECT_EQ(v.sizes(), u.sizes());
  EXPECT_EQ(dv.sizes(), u.sizes());
  EXPECT_EQ(net.forward_per_row(x, net.row_deltas(3, true)).sizes(), u.sizes());
  HostPoints xs(3, 2);
  xs << 0.3, 0.2, -0.7, 0.9, 1.5, 0.1;
  const Eigen::MatrixXd fields = net.evaluate_fields(xs, 2);
  ASSERT_EQ(fields.cols(), 1);
  EXPECT_THROW(net.evaluate_fields(xs, 0), std::invalid_argument);  // not an endless loop
  const Eigen::VectorXd values = net.evaluate(xs, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(values[i], fields(i, 0));
    EXPECT_NEAR(values[i], expected[i], 1e-15);
  }
}

// F = 3: the output layer is [3, width] then [3], still the last parameters; output column k
// equals the single-output network made of the same hidden layers and output row k, for both
// architectures; evaluate_fields equals forward in batches.
TEST(NetworkOutputs, EachColumnIsTheScalarNetworkOfItsOutputRow) {
  for (const auto arch : {core::Architecture::mlp, core::Architecture::modified_mlp}) {
    SCOPED_TRACE(core::to_string(arch));
    Network net(model(3, 12, 3, arch), kLower, kUpper, c10::kDouble, c10::kCPU, 5);
    Network scalar(model(3, 12, 1, arch), kLower, kUpper, c10::kDouble, c10::kCPU, 5);
    const auto p3 = net.parameters(), p1 = scalar.parameters();
    ASSERT_EQ(p3.size(), p1.size());
    for (std::size_t i = 0; i + 2 < p3.size(); ++i) EXPECT_EQ(p3[i].sizes(), p1[i].sizes()) << i;
    EXPECT_EQ(p3[p3.size() - 2].sizes(), (std::vector<std::int64_t>{3, 12}));
    EXPECT_EQ(p3[p3.size() - 1].sizes(), (std::vector<std::int64_t>{3}));
    EXPECT_EQ(net.outputs(), 3);
    EXPECT_EQ(net.num_output_parameters(), 3 * 13);
    EXPECT_EQ(net.num_parameters() - scalar.num_parameters(), 2 * 13);

    perturb(net, 11);
    torch::manual_seed(2);
    const auto x = torch::rand({17, 2}, f64) * 3 - 1;
    const auto u = net.forward(x);
    ASSERT_EQ(u.sizes(), (std::vector<std::int64_t>{17, 3}));
    EXPECT_TRUE(torch::equal(net.forward_in_weights(x), u));  // torch kernel: forward itself
    for (std::int64_t k = 0; k < 3; ++k) {
      copy_with_output_row(net, scalar, k);
      const auto uk = scalar.forward(x);
      EXPECT_LT(max_abs(u.select(1, k) - uk), 1e-14 * max_abs(uk)) << "output " << k;
    }
    // The columns differ (three fields, not one repeated).
    EXPECT_GT(max_abs(u.select(1, 0) - u.select(1, 1)), 1e-3);

    HostPoints xs(17, 2);
    const auto xc = x.contiguous();
    std::copy(xc.data_ptr<double>(), xc.data_ptr<double>() + 34, xs.data());
    const Eigen::MatrixXd fields = net.evaluate_fields(xs, 5);  // batches of 5, 5, 5, 2
    ASSERT_EQ(fields.rows(), 17);
    ASSERT_EQ(fields.cols(), 3);
    for (int i = 0; i < 17; ++i)
      for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(fields(i, k), u[i][k].item<double>(), 1e-14) << i << ", " << k;
    try {
      (void)net.evaluate(xs);
      ADD_FAILURE() << "evaluate of a 3-output network did not throw";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("3 outputs"), std::string::npos) << e.what();
    }
  }
  core::ModelConfig none = model(2, 4, 0);
  EXPECT_THROW(Network(none, kLower, kUpper), std::invalid_argument);
}

// The fused CPU kernel with three outputs (the output layer a 3 x width product): values and
// weight gradients against LibTorch's layers, over blocks of 256 nodes and a remainder, on one
// and two threads.
TEST(NetworkOutputs, FusedKernelMatchesLibTorchWithThreeOutputs) {
  const int threads_before = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (long n : {1L, 700L}) {
      SCOPED_TRACE(fmt::format("threads {}, n {}", threads, n));
      Network fused(
          model(3, 20, 3, core::Architecture::mlp, core::Activation::tanh, core::CpuKernel::fused),
          kLower, kUpper, c10::kDouble, c10::kCPU, 4);
      Network plain(model(3, 20, 3), kLower, kUpper, c10::kDouble, c10::kCPU, 4);
      perturb(fused, 8);
      perturb(plain, 8);
      torch::manual_seed(6);
      const auto x = torch::rand({n, 2}, f64) * 3 - 1;
      const auto c = torch::randn({n, 3}, f64);
      const auto uf = fused.forward_in_weights(x), ut = plain.forward_in_weights(x);
      ASSERT_EQ(uf.sizes(), (std::vector<std::int64_t>{n, 3}));
      EXPECT_TRUE(test::autograd_graph_has(uf, "FusedTanhMlp"));
      EXPECT_FALSE(test::autograd_graph_has(ut, "FusedTanhMlp"));
      EXPECT_LT(max_abs(uf - ut), 1e-12 * max_abs(ut));
      const auto loss = [&](const Network& net, const at::Tensor& u) {
        return torch::autograd::grad({(c * u).sum() + 0.5 * u.square().sum()}, net.parameters());
      };
      const auto gf = loss(fused, uf), gt = loss(plain, ut);
      ASSERT_EQ(gf.size(), gt.size());
      for (std::size_t k = 0; k < gf.size(); ++k)
        EXPECT_LT(max_abs(gf[k] - gt[k]), 1e-12 * max_abs(gt[k])) << "parameter " << k;
    }
  }
  at::set_num_threads(threads_before);
}

// forward_with_derivative with several outputs: each column of the derivative is autograd's
// input gradient of that output (tangent propagation for tanh and silu, the autograd fallback
// for gelu), and a loss of both differentiates in the weights as autograd's double backward.
TEST(NetworkOutputs, DerivativeOfEachOutputMatchesAutograd) {
  struct Case {
    core::Architecture arch;
    core::Activation act;
    int outputs;
  };
  const Case cases[] = {{core::Architecture::mlp, core::Activation::tanh, 3},
                        {core::Architecture::mlp, core::Activation::gelu, 3},
                        {core::Architecture::modified_mlp, core::Activation::tanh, 2},
                        {core::Architecture::modified_mlp, core::Activation::silu, 2},
                        {core::Architecture::modified_mlp, core::Activation::gelu, 2}};
  for (const auto& c : cases) {
    SCOPED_TRACE(
        fmt::format("{} {} F = {}", core::to_string(c.arch), core::to_string(c.act), c.outputs));
    Network net(model(3, 10, c.outputs, c.arch, c.act), Eigen::Vector3d(-1, -2, 0),
                Eigen::Vector3d(1, 2, 0.5), c10::kDouble, c10::kCPU, 3);
    perturb(net, 12);
    torch::manual_seed(4);
    const auto x = torch::rand({9, 3}, f64);
    for (int col : {0, 2}) {
      const auto [u, du] = net.forward_with_derivative(x, col);
      ASSERT_EQ(du.sizes(), (std::vector<std::int64_t>{9, c.outputs}));
      const auto xr = x.clone().requires_grad_(true);
      const auto ur = net.forward(xr);
      std::vector<at::Tensor> columns;
      for (int k = 0; k < c.outputs; ++k)
        columns.push_back(torch::autograd::grad({ur.select(1, k).sum()}, {xr}, {},
                                                /*retain_graph=*/true, /*create_graph=*/true)[0]
                              .select(1, col));
      const auto dr = torch::stack(columns, 1);
      EXPECT_LT(max_abs(u - ur), 1e-14);
      EXPECT_LT(max_abs(du - dr), 1e-10 * max_abs(dr)) << "column " << col;
      const auto params = net.parameters();
      const auto g1 = torch::autograd::grad({(du * du).sum() + u.sum()}, params);
      const auto g2 = torch::autograd::grad({(dr * dr).sum() + ur.sum()}, params);
      for (std::size_t i = 0; i < g1.size(); ++i)
        EXPECT_LT(max_abs(g1[i] - g2[i]), 1e-10 * (1 + max_abs(g2[i]))) << "parameter " << i;
    }
  }
}

// forward_per_row with three outputs: its value is forward's, and one reverse pass per output
// through the per-row deltas gives, for every row n, the gradient of output k at x_n alone
// (autograd on that row), for every parameter; output_layer_only deltas give the closed form
// d u_nk / d W_o[j, :] = [j = k] h_n, d u_nk / d b_o[j] = [j = k].
TEST(NetworkOutputs, PerRowJacobianMatchesPerRowAutograd) {
  for (const auto arch : {core::Architecture::mlp, core::Architecture::modified_mlp}) {
    SCOPED_TRACE(core::to_string(arch));
    Network net(model(2, 6, 3, arch), kLower, kUpper, c10::kDouble, c10::kCPU, 2);
    perturb(net, 13);
    torch::manual_seed(7);
    const std::int64_t n = 5;
    const auto x = torch::rand({n, 2}, f64) * 3 - 1;
    const auto params = net.parameters();
    const auto deltas = net.row_deltas(n, false);
    const auto y = net.forward_per_row(x, deltas);
    ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{n, 3}));
    EXPECT_LT(max_abs(y - net.forward(x)), 1e-14);
    for (std::int64_t k = 0; k < 3; ++k) {
      const auto rows = torch::autograd::grad({y.select(1, k).sum()}, deltas, {},
                                              /*retain_graph=*/true);
      for (std::int64_t r = 0; r < n; ++r) {
        const auto ur = net.forward(x.narrow(0, r, 1));
        const auto ref = torch::autograd::grad({ur[0][k]}, params);
        for (std::size_t i = 0; i < params.size(); ++i)
          EXPECT_LT(max_abs(rows[i][r] - ref[i]), 1e-10 * (1 + max_abs(ref[i])))
              << "output " << k << " row " << r << " parameter " << i;
      }
    }
    const auto out_deltas = net.row_deltas(n, true);
    std::int64_t per_row = 0;
    for (const auto& d : out_deltas)
      if (d.defined()) per_row += d.numel() / n;
    EXPECT_EQ(per_row, net.num_output_parameters());
    const auto yo = net.forward_per_row(x, out_deltas);
    const std::size_t w = params.size() - 2, b = params.size() - 1;
    const auto gw = torch::autograd::grad({yo.select(1, 1).sum()}, {out_deltas[w], out_deltas[b]});
    // h_n, the last hidden layer, from the output itself: u_n1 - b_o[1] = W_o[1, :] . h_n holds
    // for the gradient's row 1; rows 0 and 2 are zero.
    EXPECT_EQ(max_abs(gw[0].select(1, 0)), 0.0);
    EXPECT_EQ(max_abs(gw[0].select(1, 2)), 0.0);
    const auto h = gw[0].select(1, 1);  // [n, width]
    EXPECT_LT(max_abs(h.mv(params[w][1]) + params[b][1] - yo.select(1, 1).detach()), 1e-14);
    EXPECT_TRUE(torch::equal(gw[1], torch::tensor({0.0, 1.0, 0.0}, f64).expand({n, 3})));
  }
}

// Checkpoints keep the output count: a 3-output model reloads bit for bit into a 3-output
// network, and is refused, naming the file and both counts, by a network of another count.
TEST(NetworkOutputs, LoadRefusesAnotherOutputCount) {
  const std::string path3 = tmp_file("three.pt"), path1 = tmp_file("one.pt");
  Network three(model(2, 8, 3), kLower, kUpper, c10::kDouble, c10::kCPU, 1);
  perturb(three, 3);
  three.save(path3);
  Network one(model(2, 8, 1), kLower, kUpper, c10::kDouble, c10::kCPU, 1);
  one.save(path1);
  Network again(model(2, 8, 3), Eigen::Vector2d(0, 0), Eigen::Vector2d(1, 1), c10::kDouble,
                c10::kCPU, 9);
  again.load(path3);
  const auto x = torch::rand({6, 2}, f64);
  EXPECT_TRUE(torch::equal(again.forward(x), three.forward(x)));
  const auto refused = [](Network& net, const std::string& path, const std::string& counts) {
    const auto before = net.parameters()[0].clone();
    try {
      net.load(path);
      ADD_FAILURE() << path << " loaded into a network of another output count";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find(counts), std::string::npos) << what;
    }
    EXPECT_TRUE(torch::equal(net.parameters()[0], before)) << "the refused load changed weights";
  };
  refused(one, path3, "has 3 outputs (fields), this one 1");
  Network two(model(2, 8, 2), kLower, kUpper, c10::kDouble, c10::kCPU, 1);
  refused(two, path1, "has 1 output (fields), this one 2");
}
