#pragma once
// Which code path built a tensor, read from its autograd graph (LibTorch test programs only):
// the names of the backward nodes behind it, e.g. the fused MLP kernel's FusedTanhMlp, or the
// "...BackwardBackward0" nodes that only a double backward (create_graph) leaves.
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

namespace dtpinn::test {

/// The names of every node of `t`'s backward graph (empty for a tensor without grad_fn).
inline std::vector<std::string> autograd_node_names(const at::Tensor& t) {
  std::vector<std::string> names;
  std::set<const torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> todo;
  if (t.grad_fn()) todo.push_back(t.grad_fn().get());
  while (!todo.empty()) {
    torch::autograd::Node* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    names.push_back(n->name());
    for (const auto& e : n->next_edges())
      if (e.function) todo.push_back(e.function.get());
  }
  return names;
}

/// Whether a node of `t`'s backward graph has `part` in its name.
inline bool autograd_graph_has(const at::Tensor& t, const std::string& part) {
  for (const auto& n : autograd_node_names(t))
    if (n.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace dtpinn::test
