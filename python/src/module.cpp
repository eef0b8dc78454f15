// dtpinn._dtpinn: the engine inside PyTorch programs (the one binding translation unit; the typed
// Python API with its docstrings is python/dtpinn/__init__.py, which calls these functions).
//
// Every engine error becomes a ValueError carrying the engine's one-line message, the message
// the `dtpinn` command prints after "error: "; the Python layer turns those about a missing
// file into FileNotFoundError.
#include <dtpinn/autodiff/sparse_operator.hpp>
#include <dtpinn/core/problem/config.hpp>
#include <dtpinn/core/problem/memory.hpp>
#include <dtpinn/core/training/model.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/core/training/trainer.hpp>
#include <dtpinn/core/version.hpp>
#include <dtpinn/lab/gnuplot.hpp>
#include <dtpinn/lab/interrupt.hpp>
#include <dtpinn/lab/machine.hpp>
#include <dtpinn/nodegen/import.hpp>
#include <dtpinn/nodegen/node_io.hpp>
#include <dtpinn/nodegen/request.hpp>
#include <dtpinn/nodegen/shapes.hpp>
#include <dtpinn/rbffd/operators.hpp>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <torch/extension.h>

#include <cstdint>
#include <iostream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
namespace ng = dtpinn::nodegen;

namespace {

std::string first_line(std::string s) {
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

/// Runs f, turning any C++ exception into ValueError with its first line.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const py::error_already_set&) {
    throw;
  } catch (const py::builtin_exception&) {
    throw;
  } catch (const dtpinn::core::Interrupted& e) {
    PyErr_SetString(PyExc_KeyboardInterrupt, first_line(e.what()).c_str());
    throw py::error_already_set();
  } catch (const c10::Error& e) {
    throw py::value_error(first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw py::value_error(first_line(e.what()));
  }
}

/// A read-only numpy view of a row-major matrix owned by `owner`.
py::array matrix_view(const ng::PointMatrix& m, const py::object& owner) {
  py::array_t<double> a({static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())},
                        {static_cast<py::ssize_t>(m.cols() * sizeof(double)),
                         static_cast<py::ssize_t>(sizeof(double))},
                        m.data(), owner);
  a.attr("setflags")(py::arg("write") = false);
  return std::move(a);
}

template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

/// The CSR arrays of a matrix as numpy (row pointers, column indices, values, shape).
py::tuple csr_to_python(const dtpinn::rbffd::CsrMatrix& m) {
  return py::make_tuple(to_numpy(m.row_ptr), to_numpy(m.col_idx), to_numpy(m.values),
                        py::make_tuple(m.rows, m.cols));
}

/// A CSR matrix from numpy arrays (indices of any integer type, checked to fit 32 bits).
dtpinn::rbffd::CsrMatrix csr_from_python(const py::array_t<std::int64_t, py::array::forcecast>& rp,
                                         const py::array_t<std::int64_t, py::array::forcecast>& ci,
                                         const py::array_t<double, py::array::forcecast>& va,
                                         std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (rows < 0 || cols < 0 || rows > kMax || cols > kMax)
    throw std::invalid_argument("SparseOperator: the matrix shape does not fit 32-bit indices");
  dtpinn::rbffd::CsrMatrix m;
  m.rows = static_cast<std::int32_t>(rows);
  m.cols = static_cast<std::int32_t>(cols);
  auto narrow = [&](const py::array_t<std::int64_t, py::array::forcecast>& a,
                    std::vector<std::int32_t>& out) {
    const auto* p = a.data();
    out.resize(static_cast<std::size_t>(a.size()));
    for (py::ssize_t i = 0; i < a.size(); ++i) {
      if (p[i] < 0 || p[i] > kMax)
        throw std::invalid_argument("SparseOperator: an index does not fit 32 bits");
      out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(p[i]);
    }
  };
  narrow(rp, m.row_ptr);
  narrow(ci, m.col_idx);
  m.values.assign(va.data(), va.data() + va.size());
  return m;
}

c10::ScalarType parse_dtype(const std::string& name) {
  if (name == "torch.float64" || name == "float64" || name == "fp64") return c10::kDouble;
  if (name == "torch.float32" || name == "float32" || name == "fp32") return c10::kFloat;
  throw std::invalid_argument("dtype: must be torch.float64 or torch.float32, got " + name);
}

dtpinn::rbffd::OperatorSet assemble(const ng::NodeSet& nodes, int order, bool laplacian,
                                    bool boundary, const Eigen::VectorXd& alpha,
                                    const Eigen::VectorXd& beta, bool gradient, bool biharmonic,
                                    int threads, double boundary_stencil_factor) {
  dtpinn::rbffd::RbffdParams params;
  params.order = order;
  params.threads = threads;
  params.boundary_stencil_factor = boundary_stencil_factor;
  params.validate();
  dtpinn::rbffd::OperatorRequest req;
  req.laplacian = laplacian;
  req.boundary = boundary;
  req.gradient = gradient;
  req.biharmonic = biharmonic;
  req.robin.alpha = alpha;
  req.robin.beta = beta;
  return dtpinn::rbffd::assemble(nodes, params, req);
}

}  // namespace

PYBIND11_MODULE(_dtpinn, m) {
  m.doc() = "dtpinn engine binding (use the `dtpinn` package, not this module)";
#ifdef DTPINN_HAVE_CUDA
  m.attr("HAVE_CUDA") = true;
#else
  m.attr("HAVE_CUDA") = false;
#endif
  m.def("shape_names", [] { return ng::shape_names(); });
  m.def("is_geometry_file", [](const std::string& s) { return ng::is_geometry_file(s); });

  // --- nodes ------------------------------------------------------------------------------
  py::class_<ng::NodeSet>(m, "NodeSet")
      .def_readonly("dim", &ng::NodeSet::dim)
      .def_readonly("n_interior", &ng::NodeSet::n_interior)
      .def_readonly("n_boundary", &ng::NodeSet::n_boundary)
      .def_readonly("n_ghost", &ng::NodeSet::n_ghost)
      .def_readonly("part_names", &ng::NodeSet::part_names)
      .def_property_readonly("size", &ng::NodeSet::size)
      .def_property_readonly("points",
                             [](const py::object& self) {
                               return matrix_view(self.cast<const ng::NodeSet&>().points, self);
                             })
      .def_property_readonly("normals",
                             [](const py::object& self) {
                               return matrix_view(self.cast<const ng::NodeSet&>().normals, self);
                             })
      .def_property_readonly("kinds",
                             [](const ng::NodeSet& n) {
                               py::array_t<std::uint8_t> k(static_cast<py::ssize_t>(n.size()));
                               auto* p = k.mutable_data();
                               for (ng::Index i = 0; i < n.size(); ++i)
                                 p[i] = static_cast<std::uint8_t>(n.kind(i));
                               return k;
                             })
      .def_property_readonly("parts", [](const ng::NodeSet& n) {
        py::array_t<std::int32_t> k(static_cast<py::ssize_t>(n.size()));
        auto* p = k.mutable_data();
        for (ng::Index i = 0; i < n.size(); ++i)
          p[i] = i < n.n_interior ? -1
                                  : n.part_of_boundary(i < n.ghost_begin() ? i - n.n_interior
                                                                           : i - n.ghost_begin());
        return k;
      });

  m.def(
      "make_nodes",
      [](const std::string& domain, std::int64_t n, bool n_given, double h, bool h_given,
         std::uint64_t seed, bool ghosts, double ghost_distance, bool ghost_distance_given,
         int repulsion, bool rescale, bool keep_points) {
        ng::NodeRequest r;
        r.domain = domain;
        r.n = n;
        r.n_given = n_given;
        r.memory_limit = dtpinn::lab::available_memory_bytes();
        r.h = h;
        r.h_given = h_given;
        r.seed = seed;
        r.ghosts = ghosts;
        r.ghost_distance = ghost_distance;
        r.ghost_distance_given = ghost_distance_given;
        r.repulsion = repulsion;
        r.rescale = rescale;
        r.keep_points = keep_points;
        py::gil_scoped_release nogil;
        return guarded([&] {
          ng::NodeResult made = ng::build_nodes(r);
          return std::make_pair(std::move(made.nodes), made.source);
        });
      },
      py::arg("domain"), py::arg("n"), py::arg("n_given"), py::arg("h"), py::arg("h_given"),
      py::arg("seed"), py::arg("ghosts"), py::arg("ghost_distance"),
      py::arg("ghost_distance_given"), py::arg("repulsion"), py::arg("rescale"),
      py::arg("keep_points"));
  m.def("read_nodes",
        [](const std::string& path) { return guarded([&] { return ng::read_nodes(path); }); });
  m.def("write_nodes", [](const ng::NodeSet& nodes, const std::string& path) {
    guarded([&] { ng::write_nodes(path, nodes); });
  });

  // --- operators --------------------------------------------------------------------------
  m.def(
      "assemble",
      [](const ng::NodeSet& nodes, int order, bool laplacian, bool boundary,
         const Eigen::VectorXd& alpha, const Eigen::VectorXd& beta, bool gradient, bool biharmonic,
         int threads, double boundary_stencil_factor) {
        dtpinn::rbffd::OperatorSet ops;
        {
          py::gil_scoped_release nogil;
          ops = guarded([&] {
            return assemble(nodes, order, laplacian, boundary, alpha, beta, gradient, biharmonic,
                            threads, boundary_stencil_factor);
          });
        }
        py::dict mats, info;
        for (const auto& op : ops.info) {
          const dtpinn::rbffd::CsrMatrix* a = ops.matrix(op.name);
          if (!a) continue;
          mats[py::str(op.name)] = csr_to_python(*a);
          py::dict d;
          d["rows"] = op.rows;
          d["cols"] = op.cols;
          d["nnz"] = op.nnz;
          d["stencil"] = op.rule.describe();
          d["stencil_size"] = op.rule.size;
          d["boundary_stencil_size"] = op.rule.boundary_size;
          d["polynomial_degree"] = op.rule.degree;
          d["phs_exponent"] = op.rule.phs_exponent;
          d["theta"] = op.rule.theta;
          d["min_rcond"] = op.min_rcond;
          info[py::str(op.name)] = d;
        }
        info["assembly_seconds"] = ops.seconds;
        return py::make_tuple(mats, info);
      },
      py::arg("nodes"), py::arg("order"), py::arg("laplacian"), py::arg("boundary"),
      py::arg("alpha"), py::arg("beta"), py::arg("gradient"), py::arg("biharmonic"),
      py::arg("threads"), py::arg("boundary_stencil_factor"));

  // --- the autograd op --------------------------------------------------------------------
  using dtpinn::autodiff::SparseOperator;
  py::class_<SparseOperator>(m, "SparseOperator")
      .def(py::init([](const py::array_t<std::int64_t, py::array::forcecast>& row_ptr,
                       const py::array_t<std::int64_t, py::array::forcecast>& col_idx,
                       const py::array_t<double, py::array::forcecast>& values, std::int64_t rows,
                       std::int64_t cols, const std::string& device, const std::string& dtype) {
             return guarded([&] {
               const auto a = csr_from_python(row_ptr, col_idx, values, rows, cols);
               const auto options =
                   c10::TensorOptions().dtype(parse_dtype(dtype)).device(c10::Device(device));
               return SparseOperator(a, options);
             });
           }),
           py::arg("row_ptr"), py::arg("col_idx"), py::arg("values"), py::arg("rows"),
           py::arg("cols"), py::arg("device"), py::arg("dtype"))
      .def_property_readonly("rows", &SparseOperator::rows)
      .def_property_readonly("cols", &SparseOperator::cols)
      .def_property_readonly("nnz", &SparseOperator::nnz)
      .def_property_readonly("device", [](const SparseOperator& s) { return s.device().str(); })
      .def_property_readonly("values", [](const SparseOperator& s) { return s.matrix().values; })
      .def_property_readonly("row_ptr", [](const SparseOperator& s) { return s.matrix().row_ptr; })
      .def_property_readonly("col_idx", [](const SparseOperator& s) { return s.matrix().col_idx; })
      .def("apply", [](const SparseOperator& s,
                       const at::Tensor& u) { return guarded([&] { return s.apply(u); }); })
      .def("multiply", [](const SparseOperator& s,
                          const at::Tensor& u) { return guarded([&] { return s.multiply(u); }); })
      .def("multiply_transpose",
           [](const SparseOperator& s, const at::Tensor& g) {
             return guarded([&] { return s.multiply_transpose(g); });
           })
      .def("prepare",
           [](const SparseOperator& s, std::int64_t k) { guarded([&] { s.prepare(k); }); });

  // --- training and checkpoints -----------------------------------------------------------
  // The run's config as train() makes it (file or text, then the sets).
  const auto run_config = [](const std::string& source, bool is_file, const std::string& origin,
                             const std::vector<std::pair<std::string, std::string>>& sets) {
    dtpinn::core::RunConfig c =
        is_file ? dtpinn::core::load_config(source) : dtpinn::core::parse_config(source, origin);
    for (const auto& [k, v] : sets) dtpinn::core::set_option(c, k, v);
    dtpinn::core::resolve_paths(c, "");  // a dict's paths: the current folder
    dtpinn::core::validate_config(c);
    return c;
  };
  m.def("config_warnings",
        [run_config](const std::string& source, bool is_file, const std::string& origin,
                     const std::vector<std::pair<std::string, std::string>>& sets) {
          return guarded([&] {
            return dtpinn::core::config_warnings(run_config(source, is_file, origin, sets));
          });
        });
  m.def(
      "train",
      [run_config](const std::string& source, bool is_file, const std::string& origin,
                   const std::vector<std::pair<std::string, std::string>>& sets,
                   const std::string& out, bool log, bool plots, bool interrupts, int threads) {
        return guarded([&] {
          const dtpinn::core::RunConfig c = run_config(source, is_file, origin, sets);
          dtpinn::core::check_memory(c, dtpinn::lab::available_memory_bytes());
          if (threads < 0) throw std::invalid_argument("threads: must be >= 0 (0: all cores)");
          dtpinn::core::set_threads(threads);
          // SIGINT / SIGTERM end the run within the current epoch, written (the caller puts
          // Python's own handlers back afterwards); a second signal does nothing more.
          dtpinn::lab::request_interrupt(0);
          if (interrupts) dtpinn::lab::install_interrupt_handlers(/*exit_on_second=*/false);
          py::gil_scoped_release nogil;
          const dtpinn::core::PlotRenderer plot =
              plots ? dtpinn::core::PlotRenderer(dtpinn::lab::render_plot)
                    : dtpinn::core::PlotRenderer();
          const dtpinn::core::TrainResult r = dtpinn::core::run_train(
              c, out, log ? &std::cout : nullptr, nullptr, plot, dtpinn::lab::interrupt_signal);
          std::cout << std::flush;
          const int sig = dtpinn::lab::interrupt_signal();
          return std::make_pair(r.stop_reason == "interrupted"
                                    ? fmt::format("interrupted ({}) at epoch {}: the run so far "
                                                  "is in {}",
                                                  dtpinn::core::signal_name(sig), r.epochs, out)
                                    : std::string(),
                                r.epochs);
        });
      },
      py::arg("source"), py::arg("is_file"), py::arg("origin"), py::arg("sets"), py::arg("output"),
      py::arg("log"), py::arg("plots"), py::arg("interrupts"), py::arg("threads"));
  m.attr("__version__") = dtpinn::core::dtpinn_version();
  m.attr("git_commit") = dtpinn::core::dtpinn_git_commit();

  using dtpinn::core::Network;
  py::class_<Network>(m, "Network")
      .def("forward", [](const Network& n,
                         const at::Tensor& x) { return guarded([&] { return n.forward(x); }); })
      .def("parameters", &Network::parameters)
      .def_property_readonly("in_dim", &Network::in_dim)
      .def_property_readonly(
          "dtype",
          [](const Network& n) { return n.dtype() == c10::kFloat ? "float32" : "float64"; })
      .def_property_readonly("lower", &Network::lower)
      .def_property_readonly("upper", &Network::upper)
      .def_property_readonly("num_parameters", &Network::num_parameters);
  m.def(
      "evaluate_expressions",
      [](const Network& n, const std::string& dir,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& x,
         const std::vector<std::string>& definitions) {
        return guarded([&] {
          if (x.ndim() != 2 || x.shape(1) != n.in_dim())
            throw std::invalid_argument(
                fmt::format("model.evaluate: x must be [M, {}]", n.in_dim()));
          const auto e = dtpinn::core::load_output_expressions(dir, definitions, "expr");
          const dtpinn::nodegen::PointMatrix p =
              Eigen::Map<const dtpinn::nodegen::PointMatrix>(x.data(), x.shape(0), x.shape(1));
          py::gil_scoped_release no_gil;  // autograd runs without the GIL
          return Eigen::MatrixXd(e.evaluate(n, p));
        });
      },
      py::arg("network"), py::arg("run_dir"), py::arg("x"), py::arg("definitions"));
  m.def("load_checkpoint", [](const std::string& dir) {
    return guarded([&] {
      dtpinn::core::RunConfig config;
      Network net = dtpinn::core::load_checkpoint(dir, &config);
      return std::make_pair(std::move(net), dtpinn::core::to_toml(config));
    });
  });
}
