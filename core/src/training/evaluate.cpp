// Checkpoints and `dtpinn eval`: a trained network from its run folder, evaluated at new points.
#include <dtpinn/core/training/output_expressions.hpp>
#include <dtpinn/core/training/run.hpp>
#include <dtpinn/nodegen/atomic_file.hpp>
#include <dtpinn/nodegen/text_fields.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <ostream>
#include <stdexcept>

namespace dtpinn::core {

using json = nlohmann::json;
using nodegen::join_path;

Network load_checkpoint(const std::string& dir, RunConfig* config) {
  const std::string meta = join_path(dir, "checkpoint.json");
  std::ifstream in(meta);
  if (!in)
    throw std::runtime_error(fmt::format(
        "{}: no checkpoint here (checkpoint.json missing: is this a `dtpinn train` folder?)", dir));
  json j;
  try {
    in >> j;
    ModelConfig m;
    m.architecture = parse_option<Architecture>(j.at("architecture").get<std::string>());
    m.depth = j.at("depth").get<int>();
    m.width = j.at("width").get<int>();
    m.activation = parse_option<Activation>(j.at("activation").get<std::string>());
    m.outputs = static_cast<int>(
        j.value("fields", std::vector<std::string>{"u"}).size());  // one output per field
    const auto lo = j.at("input_lower").get<std::vector<double>>();
    const auto hi = j.at("input_upper").get<std::vector<double>>();
    const Precision prec = parse_option<Precision>(j.at("precision").get<std::string>());
    Eigen::VectorXd L =
        Eigen::Map<const Eigen::VectorXd>(lo.data(), static_cast<Eigen::Index>(lo.size()));
    Eigen::VectorXd U =
        Eigen::Map<const Eigen::VectorXd>(hi.data(), static_cast<Eigen::Index>(hi.size()));
    Network net(m, L, U, prec == Precision::fp32 ? c10::kFloat : c10::kDouble, c10::kCPU, 0);
    net.load(join_path(dir, j.value("weights", "model.pt")));
    if (config) *config = load_config(join_path(dir, j.value("config", "config.toml")));
    return net;
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: bad checkpoint description ({})", meta, e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", meta, e.what()));
  }
}

namespace {

/// One warning counting the points more than one box size outside the trained box.
void warn_far_outside(const nodegen::PointMatrix& x, const Network& net, int dim,
                      const std::string& points_file, std::ostream* warn) {
  if (!warn) return;
  const Eigen::VectorXd lo = net.lower(), hi = net.upper();
  Eigen::Index far = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    bool out = false;
    for (int j = 0; j < dim; ++j) {
      const double size = hi[j] - lo[j];
      out = out || x(i, j) < lo[j] - size || x(i, j) > hi[j] + size;
    }
    far += out ? 1 : 0;
  }
  if (far > 0)
    *warn << fmt::format(
        "warning: {}: {} of {} points lie more than one box size outside the box the network "
        "was trained on; its values there are extrapolation\n",
        points_file, far, x.rows());
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

/// The time of points without a t column: `time` when given (checked), else t_final.
double default_time(std::optional<double> time, bool timed, int dim, double t_final,
                    const std::string& dir, std::ostream* warn) {
  if (time && !timed)
    throw std::runtime_error(fmt::format(
        "--t {}: the model in {} is steady (its inputs are x, y{}): it has no time to set", *time,
        dir, dim == 3 ? ", z" : ""));
  if (time && !(std::isfinite(*time) && *time >= 0))
    throw std::runtime_error(
        fmt::format("--t {}: must be a finite time >= 0 (the model was trained on 0 <= t <= {})",
                    *time, t_final));
  if (time && *time > t_final && warn)
    *warn << fmt::format(
        "warning: --t {}: past t_final = {}, the end of the time the network was trained on; its "
        "values there are extrapolation\n",
        *time, t_final);
  return time ? *time : t_final;
}

/// The points of `points_file` as the network's inputs (N x in_dim: x, y[, z][, t]).
nodegen::PointMatrix read_points(const std::string& points_file, int dim, bool timed,
                                 double t_default, int in_dim) {
  std::ifstream in(points_file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the points file", points_file));
  std::vector<int> cols;  // input columns: x, y[, z][, t]
  int t_col = -1;
  std::size_t ncols = 0;
  std::vector<std::vector<double>> rows;
  std::string line;
  int lineno = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first field; node files
    // accept it too.
    if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    const auto nb = line.find_first_not_of(" \t");
    if (nb == std::string::npos || line[nb] == '#') continue;
    auto f = nodegen::split_fields(line, nodegen::has_commas(line));
    if (first) {
      first = false;
      double v;
      if (!parse_double(f[0], v)) {  // a header
        const char* names[] = {"x", "y", "z"};
        for (int j = 0; j < dim; ++j) {
          auto it = std::find(f.begin(), f.end(), names[j]);
          if (it == f.end())
            throw std::runtime_error(
                fmt::format("{}:{}: header has no '{}' column", points_file, lineno, names[j]));
          cols.push_back(static_cast<int>(it - f.begin()));
        }
        if (dim < 3 && std::find(f.begin(), f.end(), "z") != f.end())
          throw std::runtime_error(
              fmt::format("{}:{}: header has a 'z' column, but the model is {}D (x, y)",
                          points_file, lineno, dim));
        auto it = std::find(f.begin(), f.end(), "t");
        if (!timed && it != f.end())
          throw std::runtime_error(
              fmt::format("{}:{}: header has a 't' column, but the model is steady (no time input)",
                          points_file, lineno));
        if (it != f.end()) t_col = static_cast<int>(it - f.begin());
        ncols = f.size();
        continue;
      }
      if (f.size() < static_cast<std::size_t>(dim))
        throw std::runtime_error(fmt::format("{}:{}: {} columns, the model needs {} coordinates",
                                             points_file, lineno, f.size(), dim));
      const std::size_t most = static_cast<std::size_t>(dim) + (timed ? 1 : 0);
      if (f.size() > most)
        throw std::runtime_error(fmt::format(
            "{}:{}: {} columns, but the model takes {} ({}{}): give a header to pick columns",
            points_file, lineno, f.size(), most, dim == 2 ? "x, y" : "x, y, z",
            timed ? ", t" : ""));
      for (int j = 0; j < dim; ++j) cols.push_back(j);
      if (timed && f.size() > static_cast<std::size_t>(dim)) t_col = dim;
      ncols = f.size();
    }
    if (f.size() != ncols)
      throw std::runtime_error(
          fmt::format("{}:{}: {} columns, expected {}", points_file, lineno, f.size(), ncols));
    std::vector<double> row;
    for (int c : cols) {
      double v;
      if (!parse_double(f[static_cast<std::size_t>(c)], v) || !std::isfinite(v))
        throw std::runtime_error(fmt::format("{}:{}: column {} is not a finite number ('{}')",
                                             points_file, lineno, c + 1,
                                             f[static_cast<std::size_t>(c)]));
      row.push_back(v);
    }
    if (timed) {
      double t = t_default;
      if (t_col >= 0 && (!parse_double(f[static_cast<std::size_t>(t_col)], t) || !std::isfinite(t)))
        throw std::runtime_error(
            fmt::format("{}:{}: t is not a finite number", points_file, lineno));
      row.push_back(t);
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw std::runtime_error(fmt::format("{}: no points", points_file));
  nodegen::PointMatrix x(static_cast<Eigen::Index>(rows.size()), in_dim);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int j = 0; j < in_dim; ++j)
      x(static_cast<Eigen::Index>(i), j) = rows[i][static_cast<std::size_t>(j)];
  return x;
}

}  // namespace

OutputExpressions load_output_expressions(const std::string& dir,
                                          const std::vector<std::string>& definitions,
                                          const std::string& option) {
  std::ifstream cj(join_path(dir, "checkpoint.json"));
  json meta;
  cj >> meta;
  const auto params =
      definitions.empty()
          ? std::map<std::string, std::string>()
          : load_config(join_path(dir, meta.value("config", "config.toml"))).problem.params;
  return OutputExpressions(definitions, meta.value("fields", std::vector<std::string>{"u"}), params,
                           meta.at("dim").get<int>(), meta.at("time_dependent").get<bool>(),
                           option);
}

std::int64_t evaluate_checkpoint(const std::string& dir, const std::string& points_file,
                                 const std::string& out_file, std::optional<double> time,
                                 std::ostream* warn, const std::vector<std::string>& expressions) {
  std::ifstream cj(join_path(dir, "checkpoint.json"));
  Network net = load_checkpoint(dir);
  json meta;
  cj >> meta;
  const int dim = meta.at("dim").get<int>();
  const bool timed = meta.at("time_dependent").get<bool>();
  const auto fields = meta.value("fields", std::vector<std::string>{"u"});
  const OutputExpressions outputs = load_output_expressions(dir, expressions);
  const double t_default = default_time(time, timed, dim, meta.value("t_final", 1.0), dir, warn);
  const nodegen::PointMatrix x = read_points(points_file, dim, timed, t_default, net.in_dim());
  warn_far_outside(x, net, dim, points_file, warn);
  const Eigen::MatrixXd u = net.evaluate_fields(x);
  const Eigen::MatrixXd q = outputs.empty() ? Eigen::MatrixXd() : outputs.evaluate(net, x);
  nodegen::AtomicFile out(out_file);
  const char* names[] = {"x", "y", "z"};
  for (int j = 0; j < dim; ++j) out.stream() << names[j] << ',';
  if (timed) out.stream() << "t,";
  for (std::size_t w = 0; w < fields.size(); ++w) out.stream() << (w ? "," : "") << fields[w];
  for (const auto& name : outputs.names()) out.stream() << ',' << name;
  out.stream() << '\n';
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (int j = 0; j < net.in_dim(); ++j) out.stream() << fmt::format("{:.17g},", x(i, j));
    for (Eigen::Index w = 0; w < u.cols(); ++w)
      out.stream() << fmt::format(w + 1 < u.cols() ? "{:.17g}," : "{:.17g}", u(i, w));
    for (Eigen::Index e = 0; e < q.cols(); ++e) out.stream() << fmt::format(",{:.17g}", q(i, e));
    out.stream() << '\n';
  }
  out.commit();
  return x.rows();
}

}  // namespace dtpinn::core
