#include "lasnn/interop/torchscript_modules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lasnn::torchscript_internal {

constexpr char kTorchNnPrefix[] = "__torch__.torch.nn.modules.";

// The class name of a scripted module ("Conv2d"), and whether it is a torch.nn class (a user
// class that happens to be called "Linear" is not).
std::string TypeName(const Module& m) {
  const auto& name = m.type()->name();
  return name ? name->name() : std::string("<anonymous>");
}

std::string QualifiedTypeName(const Module& m) {
  const auto& name = m.type()->name();
  return name ? name->qualifiedName() : std::string("<anonymous>");
}

bool IsTorchNn(const Module& m) { return QualifiedTypeName(m).rfind(kTorchNnPrefix, 0) == 0; }

bool IsSequential(const Module& m) { return IsTorchNn(m) && TypeName(m) == "Sequential"; }

// The path of child `name` of the module at `prefix` ("features" + "3" -> "features.3"), as
// named_modules() spells it; not a file path.
std::string JoinModulePath(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : absl::StrCat(prefix, ".", name);
}



// The names of the parameters and buffers `m` holds itself (not its children's), at most five.
std::string OwnTensors(const Module& m) {
  std::vector<std::string> own;
  for (const auto& p : m.named_parameters(/*recurse=*/false)) own.push_back(p.name);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) own.push_back(b.name);
  const size_t n = own.size();
  if (n > 5) own.resize(5);
  return absl::StrCat(absl::StrJoin(own, ", "),
                      n > 5 ? absl::StrCat(", ... (", n, " in all)") : "");
}

// Appends the leaves of Sequential `m` (nested Sequentials flattened) to `items`; a container
// holding its own parameters or buffers (which no Sequential uses) is a problem.
void CollectSequential(const Module& m, const std::string& prefix, bool starts_child,
                       std::vector<Item>& items, std::vector<std::string>& problems) {
  const std::string own = OwnTensors(m);
  if (!own.empty()) {
    problems.push_back(absl::StrCat(prefix.empty() ? "(top level)" : prefix, " (", TypeName(m),
                                    "): holds its own parameters/buffers (", own,
                                    ") that no mapped layer uses"));
  }
  for (const auto& child : m.named_children()) {
    const std::string path = JoinModulePath(prefix, child.name);
    if (IsSequential(child.value)) {
      CollectSequential(child.value, path, starts_child, items, problems);
    } else {
      items.push_back(Item{path, child.value, TypeName(child.value), starts_child});
    }
    starts_child = false;
  }
}

std::optional<c10::IValue> Attr(const Module& m, const std::string& name) {
  if (!m.hasattr(name)) return std::nullopt;
  return m.attr(name);
}

// An int, or a tuple/list of ints, as a vector; nullopt for anything else.
std::optional<std::vector<int64_t>> Ints(const c10::IValue& v) {
  if (v.isInt()) return std::vector<int64_t>{v.toInt()};
  if (v.isIntList()) return v.toIntVector();
  if (v.isTuple()) {
    std::vector<int64_t> out;
    for (const c10::IValue& e : v.toTupleRef().elements()) {
      if (!e.isInt()) return std::nullopt;
      out.push_back(e.toInt());
    }
    return out;
  }
  return std::nullopt;
}

std::string IntsText(const std::vector<int64_t>& v) {
  return v.size() == 1 ? absl::StrCat(v[0]) : absl::StrCat("(", absl::StrJoin(v, ", "), ")");
}

// The child of `m` called `name`, if any.
std::optional<Module> Child(const Module& m, const std::string& name) {
  for (const auto& c : m.named_children()) {
    if (c.name == name) return c.value;
  }
  return std::nullopt;
}

// A user module with the children of torchvision's BasicBlock: conv1, bn1, conv2, bn2, optional
// relu and downsample.
bool IsBasicBlock(const Module& m) {
  return !IsTorchNn(m) && Child(m, "conv1") && Child(m, "bn1") && Child(m, "conv2") &&
         Child(m, "bn2");
}

}  // namespace lasnn::torchscript_internal
