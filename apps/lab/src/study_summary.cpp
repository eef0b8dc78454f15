// The runs grouped over seeds, and DT-PINN's speed-up over the reference vanilla run of the same
// problem, N and seed.
#include "study_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace dtpinn::lab::detail {

namespace {

std::vector<Group> group_runs(const std::vector<RunRecord>& runs) {
  std::vector<Group> groups;
  std::map<std::tuple<StudyProblemKind, std::int64_t, StudyMethod, int>, std::size_t> index;
  for (const auto& r : runs) {
    const auto key = std::make_tuple(r.problem, r.n_nodes, r.study_method, r.order);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, groups.size()).first;
      groups.push_back({r.problem, r.study_method, r.n_nodes, r.order, {}});
    }
    groups[it->second].runs.push_back(&r);
  }
  return groups;
}

std::vector<Speedup> speedups(const std::vector<RunRecord>& runs,
                              std::optional<StudyMethod> vanilla_ref) {
  std::vector<Speedup> speeds;
  if (!vanilla_ref) return speeds;
  for (const auto& d : runs) {
    if (d.study_method != StudyMethod::dtpinn || !d.ok) continue;
    for (const auto& v : runs)
      if (v.ok && v.study_method == *vanilla_ref && v.problem == d.problem &&
          v.n_nodes == d.n_nodes && v.seed == d.seed)
        speeds.push_back({d.problem, d.n_nodes, d.order, d.seed,
                          speedup_at_equal_error(d.hist, v.hist), d.r.best_test_rel_l2,
                          v.r.best_test_rel_l2, d.r.epochs_to_best, v.r.epochs_to_best});
  }
  return speeds;
}

}  // namespace

std::string Group::series_label() const {
  return order ? fmt::format("{} p={}", method_label(method), order) : method_label(method);
}

Spread Group::over_runs(double (*f)(const RunRecord&)) const {
  std::vector<double> v;
  for (const auto* r : runs)
    if (r->ok) v.push_back(f(*r));
  return spread(v);
}

std::optional<StudyMethod> vanilla_reference(const std::vector<StudyMethod>& methods) {
  for (const StudyMethod m : methods)
    if (m != StudyMethod::dtpinn) return m;
  return std::nullopt;
}

std::vector<StudyProblemKind> StudySummary::problems() const {
  std::vector<StudyProblemKind> out;
  for (const auto& g : groups)
    if (std::find(out.begin(), out.end(), g.problem) == out.end()) out.push_back(g.problem);
  return out;
}

StudySummary summarise(const StudyData& data) {
  return {group_runs(data.runs), speedups(data.runs, data.vanilla_ref)};
}

}  // namespace dtpinn::lab::detail
