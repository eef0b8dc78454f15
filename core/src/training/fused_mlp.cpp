// Fused CPU forward / weight-gradient kernel of a tanh MLP (see fused_mlp.hpp).
//
// Layout: an activation of width w over N nodes is a LibTorch [N, w] tensor, i.e. an Eigen
// column-major w x N matrix whose column j is node j. A block of nodes is then a contiguous
// slice of every activation, and each layer is one small GEMM (w x w times w x block).
#include <dtpinn/core/training/fused_mlp.hpp>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <fmt/format.h>
#include <Eigen/Core>

#include <algorithm>
#include <stdexcept>

namespace dtpinn::core {

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColMap = Eigen::Map<Eigen::MatrixXd>;
using ConstColMap = Eigen::Map<const Eigen::MatrixXd>;
using ConstRowMap = Eigen::Map<const RowMajor>;

constexpr std::int64_t kBlock = 256;  // nodes per block: a 50 x 256 activation is 100 KB

// Eigen would run each small GEMM on its own OpenMP team when called outside a parallel region
// (one intra-op thread): that costs far more than the product. The blocks are the parallelism.
struct EigenSerial {
  EigenSerial() : saved(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~EigenSerial() { Eigen::setNbThreads(saved); }
  int saved;
};

ConstRowMap weight_map(const at::Tensor& w) {
  return ConstRowMap(w.data_ptr<double>(), w.size(0), w.size(1));
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(fmt::format("fused_tanh_mlp: {}", what));
}

struct FusedTanhMlp : torch::autograd::Function<FusedTanhMlp> {
  // params = W_0, b_0, W_1, b_1, ..., W_H, b_H.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& z,
                            at::TensorList params) {
    const std::int64_t n = z.size(0), layers = static_cast<std::int64_t>(params.size()) / 2;
    const std::int64_t hidden = layers - 1;
    std::vector<at::Tensor> acts;
    for (std::int64_t k = 0; k < hidden; ++k)
      acts.push_back(at::empty({n, params[2 * k].size(0)}, z.options()));
    const std::int64_t outputs = params[2 * hidden].size(0);
    at::Tensor u =
        outputs == 1 ? at::empty({n}, z.options()) : at::empty({n, outputs}, z.options());
    const ConstColMap zin(z.data_ptr<double>(), z.size(1), n);
    EigenSerial serial;
    at::parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) {
        const std::int64_t j0 = b * kBlock, m = std::min(kBlock, n - j0);
        for (std::int64_t k = 0; k < hidden; ++k) {
          const auto W = weight_map(params[2 * k]);
          const std::int64_t w = W.rows();
          ColMap a(acts[k].data_ptr<double>() + j0 * w, w, m);
          if (k == 0)
            a.noalias() = W * zin.middleCols(j0, m);
          else
            a.noalias() =
                W * ConstColMap(acts[k - 1].data_ptr<double>() + j0 * W.cols(), W.cols(), m);
          a.colwise() += Eigen::Map<const Eigen::VectorXd>(params[2 * k + 1].data_ptr<double>(), w);
          tanh_in_place(a.data(), w * m);
        }
        const auto Wo = weight_map(params[2 * hidden]);
        const double* last =
            hidden > 0 ? acts[hidden - 1].data_ptr<double>() : z.data_ptr<double>();
        const ConstColMap top(last + j0 * Wo.cols(), Wo.cols(), m);
        const double* bo = params[2 * hidden + 1].data_ptr<double>();
        if (outputs == 1) {  // a row-vector product (GEMV)
          Eigen::Map<Eigen::RowVectorXd> ub(u.data_ptr<double>() + j0, m);
          ub.noalias() = Wo * top;
          ub.array() += bo[0];
        } else {  // u [N, F] is the column-major F x N matrix: an F x m block per node block
          ColMap ub(u.data_ptr<double>() + j0 * outputs, outputs, m);
          ub.noalias() = Wo * top;
          ub.colwise() += Eigen::Map<const Eigen::VectorXd>(bo, outputs);
        }
      }
    });
    std::vector<at::Tensor> saved = {z};
    saved.insert(saved.end(), acts.begin(), acts.end());
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["hidden"] = hidden;
    return u;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    const std::int64_t hidden = ctx->saved_data["hidden"].toInt();
    const at::Tensor& z = saved[0];
    const std::int64_t n = z.size(0), d = z.size(1);
    auto act = [&](std::int64_t k) -> const at::Tensor& { return saved[1 + k]; };
    auto weight = [&](std::int64_t k) -> const at::Tensor& { return saved[1 + hidden + 2 * k]; };
    const at::Tensor gu = grad_out[0].contiguous();  // [N] or [N, F], as u
    const double* g = gu.data_ptr<double>();
    const std::int64_t outputs = weight(hidden).size(0);
    std::int64_t width = d;  // the widest activation (or input) of any layer
    for (std::int64_t k = 0; k <= hidden; ++k) width = std::max(width, weight(k).size(0));

    // Per-thread sums of the weight and bias gradients, reduced in thread order below.
    const int threads = at::get_num_threads();
    std::vector<std::vector<RowMajor>> gw(threads);
    std::vector<std::vector<Eigen::VectorXd>> gb(threads);
    for (auto& t : gw)
      for (std::int64_t k = 0; k <= hidden; ++k)
        t.push_back(RowMajor::Zero(weight(k).size(0), weight(k).size(1)));
    for (auto& t : gb)
      for (std::int64_t k = 0; k <= hidden; ++k)
        t.push_back(Eigen::VectorXd::Zero(weight(k).size(0)));

    EigenSerial serial;
    at::parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](std::int64_t b0, std::int64_t b1) {
      const int t = at::get_thread_num();
      Eigen::MatrixXd delta(width, kBlock), next(width, kBlock);
      for (std::int64_t b = b0; b < b1; ++b) {
        const std::int64_t j0 = b * kBlock, m = std::min(kBlock, n - j0);
        // Input of layer k over the block: the activation below it, or z for layer 0.
        auto input = [&](std::int64_t k) {
          const at::Tensor& src = k == 0 ? z : act(k - 1);
          const std::int64_t w = src.size(1);
          return ConstColMap(src.data_ptr<double>() + j0 * w, w, m);
        };
        const auto Wo = weight_map(weight(hidden));
        auto dl = delta.topLeftCorner(Wo.cols(), m);
        if (outputs == 1) {
          const Eigen::Map<const Eigen::RowVectorXd> gub(g + j0, m);
          gw[t][hidden].noalias() += gub * input(hidden).transpose();
          gb[t][hidden][0] += gub.sum();
          dl.noalias() = Wo.transpose() * gub;
        } else {
          const ConstColMap gub(g + j0 * outputs, outputs, m);
          gw[t][hidden].noalias() += gub * input(hidden).transpose();
          gb[t][hidden] += gub.rowwise().sum();
          dl.noalias() = Wo.transpose() * gub;
        }
        for (std::int64_t k = hidden - 1; k >= 0; --k) {
          const std::int64_t w = weight(k).size(0);
          auto dk = delta.topLeftCorner(w, m);
          const ConstColMap a(act(k).data_ptr<double>() + j0 * w, w, m);
          dk.array() *= 1.0 - a.array().square();  // tanh' = 1 - tanh^2
          gw[t][k].noalias() += dk * input(k).transpose();
          gb[t][k] += dk.rowwise().sum();
          if (k > 0) {
            const auto W = weight_map(weight(k));
            next.topLeftCorner(W.cols(), m).noalias() = W.transpose() * dk;
            delta.topLeftCorner(W.cols(), m) = next.topLeftCorner(W.cols(), m);
          }
        }
      }
    });

    torch::autograd::variable_list grads = {at::Tensor()};  // none for z
    for (std::int64_t k = 0; k <= hidden; ++k) {
      at::Tensor w = at::empty_like(weight(k)), b = at::empty({weight(k).size(0)}, z.options());
      Eigen::Map<RowMajor> wm(w.data_ptr<double>(), w.size(0), w.size(1));
      Eigen::Map<Eigen::VectorXd> bm(b.data_ptr<double>(), b.size(0));
      wm = gw[0][k];
      bm = gb[0][k];
      for (int t = 1; t < threads; ++t) {
        wm += gw[t][k];
        bm += gb[t][k];
      }
      grads.push_back(w);
      grads.push_back(b);
    }
    return grads;
  }
};

}  // namespace

void tanh_in_place(double* x, long n) {
  // Taylor coefficients of tanh: x - x^3/3 + 2x^5/15 - ..., 2^2k (2^2k - 1) B_2k / (2k)!;
  // 12 terms reach 1e-17 relative at |x| = 0.3, where the exp form's cancellation in 1 - e
  // costs at most ~1.2 ulp.
  static constexpr double c[12] = {1.0,
                                   -0.3333333333333333,
                                   0.13333333333333333,
                                   -0.05396825396825397,
                                   0.021869488536155203,
                                   -0.008863235529902197,
                                   0.003592128036572481,
                                   -0.0014558343870513183,
                                   0.000590027440945586,
                                   -0.00023912911424355248,
                                   9.691537956929451e-05,
                                   -3.927832388331683e-05};
  constexpr long kChunk = 512;
  using Chunk = Eigen::Array<double, Eigen::Dynamic, 1, Eigen::ColMajor, kChunk, 1>;
  for (long i0 = 0; i0 < n; i0 += kChunk) {
    const long m = std::min(kChunk, n - i0);
    Eigen::Map<Eigen::ArrayXd> v(x + i0, m);
    const Chunk ax = v.abs();
    const Chunk e = (-2.0 * ax).exp();
    const Chunk s = ax.square();
    Chunk p = Chunk::Constant(m, c[11]);
    for (int k = 10; k >= 0; --k) p = p * s + c[k];
    // sign(x) * |tanh x|; NaN stays NaN (the comparison is false, the exp form gives NaN).
    v = (ax < 0.3).select(p * ax, (1.0 - e) / (1.0 + e)) * v.sign();
  }
}

bool fused_mlp_applicable(const at::Tensor& z, const std::vector<at::Tensor>& weights,
                          const std::vector<at::Tensor>& biases) {
  if (!z.defined() || z.dim() != 2 || z.scalar_type() != at::kDouble || !z.device().is_cpu() ||
      !z.is_contiguous() || z.requires_grad())
    return false;
  if (weights.empty() || weights.size() != biases.size()) return false;
  std::int64_t in = z.size(1);
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const auto& w = weights[k];
    const auto& b = biases[k];
    if (!w.defined() || !b.defined() || w.dim() != 2 || b.dim() != 1 ||
        w.scalar_type() != at::kDouble || b.scalar_type() != at::kDouble || !w.device().is_cpu() ||
        !b.device().is_cpu() || !w.is_contiguous() || !b.is_contiguous() || w.size(1) != in ||
        b.size(0) != w.size(0))
      return false;
    in = w.size(0);
  }
  return true;
}

at::Tensor fused_tanh_mlp(const at::Tensor& z, const std::vector<at::Tensor>& weights,
                          const std::vector<at::Tensor>& biases) {
  check(fused_mlp_applicable(z, weights, biases),
        "needs fp64 CPU contiguous tensors, z [N, D] without requires_grad, chaining layer "
        "shapes");
  std::vector<at::Tensor> params;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    params.push_back(weights[k]);
    params.push_back(biases[k]);
  }
  return FusedTanhMlp::apply(z, at::TensorList(params));
}

}  // namespace dtpinn::core
