//===- Target.cpp - The registry of code generation targets ---------------===//

#include "targets/Target.h"

#include "llvm/ADT/StringMap.h"

#include <mutex>

using namespace loom;

CodeGenerator::~CodeGenerator() = default;
Target::~Target() = default;

namespace {
/// The registered targets, by name (registration happens at tool start;
/// the lock keeps a late registration safe).
struct Registry {
  std::mutex mutex;
  llvm::StringMap<std::unique_ptr<Target>> targets;
};
Registry &getRegistry() {
  static Registry registry;
  return registry;
}
} // namespace

void loom::registerTarget(std::unique_ptr<Target> target) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  llvm::StringRef name = target->getName();
  registry.targets.try_emplace(name, std::move(target));
}

const Target *loom::lookupTarget(llvm::StringRef name) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto it = registry.targets.find(name);
  return it == registry.targets.end() ? nullptr : it->second.get();
}

llvm::SmallVector<llvm::StringRef> loom::getTargetNames() {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  llvm::SmallVector<llvm::StringRef> names;
  for (const auto &entry : registry.targets)
    names.push_back(entry.getKey());
  llvm::sort(names);
  return names;
}
