//===- Elab.cpp - Elaboration of Loom models ------------------------------===//
//
// Loads the main file and its imports, selects the model, evaluates its
// config (with command-line overrides), elaborates its layers, and
// instantiates the blocks its forward body uses. Forward bodies themselves
// are checked in Forward.cpp, constant expressions in ConfigEval.cpp and
// built-in layers in Builtins.cpp.
//
//===----------------------------------------------------------------------===//

#include "dsl/Elab.h"
#include "dsl/ElabImpl.h"
#include "dsl/Parser.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <functional>

using namespace loom::dsl;
using namespace loom::dsl::detail;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;

/// Deepest chain of imports or of blocks using blocks.
static constexpr unsigned kMaxNesting = 64;

//===----------------------------------------------------------------------===//
// Value types
//===----------------------------------------------------------------------===//

std::string loom::dsl::detail::describeType(const ValueType &type) {
  std::string rows = std::to_string(type.rows);
  std::string width = std::to_string(type.width);
  switch (type.kind) {
  case ValueType::Kind::Ids:
    return "token ids [seq]";
  case ValueType::Kind::Features:
    return "[seq, " + width + "]";
  case ValueType::Kind::Row:
    return "a row [" + width + "]";
  case ValueType::Kind::Matrix:
    return "a matrix [" + rows + ", " + width + "]";
  case ValueType::Kind::Heads:
    return "heads [" + rows + ", seq, " + width + "]";
  case ValueType::Kind::RopedHeads:
    return "rotated heads [" + rows + ", seq, " + width + "]";
  case ValueType::Kind::HeadsT:
    return "transposed heads [" + rows + ", " + width + ", seq]";
  case ValueType::Kind::Scores:
    return "attention scores [" + rows + ", seq, seq]";
  case ValueType::Kind::Probs:
    return "attention weights [" + rows + ", seq, seq]";
  case ValueType::Kind::LinearScores:
    return "masked attention scores [" + rows + ", seq, seq]";
  }
  return "?";
}

ValueType loom::dsl::detail::typeOf(const Node &node) {
  return {node.kind, node.width, node.rows};
}

//===----------------------------------------------------------------------===//
// Files and imports
//===----------------------------------------------------------------------===//

std::string Elaborator::canonicalPath(StringRef path) {
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real))
    return std::string(real);
  llvm::SmallString<256> abs(path);
  llvm::sys::fs::make_absolute(abs);
  llvm::sys::path::remove_dots(abs, /*remove_dot_dot=*/true);
  return std::string(abs);
}

/// The file path behind a buffer identifier. `--split-input-file` (MLIR's
/// splitAndProcessBuffer) names each chunk "within split at PATH:LINE offset ";
/// imports of a chunk are resolved relative to PATH.
static StringRef filePathOf(StringRef identifier) {
  if (!identifier.consume_front("within split at "))
    return identifier;
  if (identifier.consume_back(" offset ") || identifier.consume_back(" offset"))
    identifier = identifier.rsplit(':').first;
  return identifier;
}

bool Elaborator::loadFile(unsigned bufferId, const std::string &path) {
  std::unique_ptr<File> file = parseFile(srcMgr, bufferId, rep.getEngine());
  if (!file)
    return false;
  const File *filePtr = file.get();
  files.push_back(std::move(file));
  filesByPath[path] = filePtr;

  StringRef importer =
      filePathOf(srcMgr.getMemoryBuffer(bufferId)->getBufferIdentifier());
  llvm::SmallString<256> dir(importer);
  llvm::sys::path::remove_filename(dir);

  importStack.push_back(path);
  bool ok = true;
  for (const ImportDecl &import : filePtr->imports) {
    // Candidates: relative to the importing file, then the include dirs.
    std::vector<std::string> candidates;
    if (llvm::sys::path::is_absolute(import.path)) {
      candidates.push_back(import.path);
    } else {
      llvm::SmallString<256> local(dir);
      llvm::sys::path::append(local, import.path);
      candidates.push_back(std::string(local));
      for (const std::string &inc : options.includeDirs) {
        llvm::SmallString<256> p(inc);
        llvm::sys::path::append(p, import.path);
        candidates.push_back(std::string(p));
      }
    }
    // Regular files only: a device or a FIFO (`/dev/zero`) would never end.
    auto found = llvm::find_if(candidates, [](const std::string &c) {
      return llvm::sys::fs::is_regular_file(c);
    });
    auto special = llvm::find_if(candidates, [](const std::string &c) {
      return llvm::sys::fs::exists(c) && !llvm::sys::fs::is_directory(c);
    });
    if (found == candidates.end() && special != candidates.end()) {
      rep.error(import.range,
                "imported file '" + *special + "' is not a regular file");
      ok = false;
      continue;
    }
    if (found == candidates.end()) {
      rep.error(import.range,
                "cannot find imported file '" + import.path +
                    "' (searched: " + llvm::join(candidates, ", ") + ")");
      ok = false;
      continue;
    }
    std::string canonical = canonicalPath(*found);
    if (llvm::is_contained(importStack, canonical)) {
      std::string cycle;
      auto start = llvm::find(importStack, canonical);
      for (auto it = start; it != importStack.end(); ++it)
        cycle += llvm::sys::path::filename(*it).str() + " -> ";
      cycle += llvm::sys::path::filename(canonical).str();
      rep.error(import.range, "import cycle: " + cycle);
      ok = false;
      continue;
    }
    if (filesByPath.count(canonical))
      continue; // Already imported (possibly through another path).
    if (importStack.size() >= kMaxNesting) {
      rep.error(import.range, "imports are nested too deeply (more than " +
                                  llvm::Twine(kMaxNesting) + " levels)");
      ok = false;
      continue;
    }
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFile(*found, /*IsText=*/true);
    if (!buffer) {
      rep.error(import.range, "cannot read imported file '" + *found +
                                  "': " + buffer.getError().message());
      ok = false;
      continue;
    }
    unsigned id =
        srcMgr.AddNewSourceBuffer(std::move(*buffer), import.range.Start);
    if (!loadFile(id, canonical))
      ok = false;
  }
  importStack.pop_back();
  filesPostOrder.push_back(filePtr);
  return ok;
}

//===----------------------------------------------------------------------===//
// Models and blocks
//===----------------------------------------------------------------------===//

const ModelDecl *Elaborator::selectModel() {
  const File &main = *files.front();
  std::vector<StringRef> names;
  llvm::StringMap<const ModelDecl *> byName;
  bool duplicates = false;
  for (const auto &model : main.models) {
    auto [it, inserted] = byName.try_emplace(model->name, model.get());
    if (!inserted) {
      rep.error(model->nameRange, "duplicate model '" + model->name + "'");
      rep.note(it->second->nameRange.Start, "previous definition is here");
      duplicates = true;
      continue;
    }
    names.push_back(model->name);
  }
  if (duplicates)
    return nullptr;
  auto listNames = [&] {
    return names.empty() ? std::string("none") : llvm::join(names, ", ");
  };
  if (!options.modelName.empty()) {
    for (const auto &model : main.models)
      if (model->name == options.modelName)
        return model.get();
    SMLoc loc =
        main.models.empty()
            ? SMLoc::getFromPointer(
                  srcMgr.getMemoryBuffer(main.bufferId)->getBufferStart())
            : main.models.front()->nameRange.Start;
    rep.error(loc, "no model named '" + options.modelName + "'" +
                       didYouMean(options.modelName, names) +
                       " (models in this file: " + listNames() + ")");
    return nullptr;
  }
  if (main.models.empty()) {
    // Point at the first declaration, if any.
    SMLoc loc = SMLoc::getFromPointer(
        srcMgr.getMemoryBuffer(main.bufferId)->getBufferStart());
    if (!main.imports.empty())
      loc = main.imports.front().range.Start;
    else if (!main.blocks.empty())
      loc = main.blocks.front()->range.Start;
    rep.error(loc, "no model to compile: this file defines no 'model'");
    return nullptr;
  }
  if (main.models.size() > 1) {
    rep.error(main.models[1]->nameRange, "this file defines several models (" +
                                             listNames() +
                                             "); choose one with --model NAME");
    return nullptr;
  }
  return main.models.front().get();
}

bool Elaborator::collectBlocks(const ModelDecl &model) {
  bool ok = true;
  auto add = [&](llvm::StringMap<const BlockDecl *> &map,
                 const BlockDecl &block) {
    if (isBuiltin(block.name)) {
      rep.error(block.nameRange, "block '" + block.name +
                                     "' has the same name as a built-in layer");
      ok = false;
      return;
    }
    auto [it, inserted] = map.try_emplace(block.name, &block);
    if (inserted)
      return;
    rep.error(block.nameRange, "duplicate block '" + block.name + "'");
    rep.note(it->second->nameRange.Start, "previous definition is here");
    ok = false;
  };
  // Imported files first, so that a clash is reported in the importer.
  for (const File *file : filesPostOrder)
    for (const auto &block : file->blocks)
      add(globalBlocks, *block);
  for (const auto &block : model.blocks)
    add(modelBlocks, *block);
  return ok;
}

const BlockDecl *Elaborator::lookupBlock(StringRef name,
                                         const ModelDecl *model) const {
  if (model) {
    auto it = modelBlocks.find(name);
    if (it != modelBlocks.end())
      return it->second;
  }
  auto it = globalBlocks.find(name);
  return it == globalBlocks.end() ? nullptr : it->second;
}

bool Elaborator::checkRecursion(const ModelDecl &model) {
  // Depth-first search over "block uses block" edges.
  enum class State { Unvisited, Active, Done };
  llvm::DenseMap<const BlockDecl *, State> state;
  std::vector<const BlockDecl *> path;
  bool ok = true;
  std::function<void(const BlockDecl &, bool)> visit =
      [&](const BlockDecl &block, bool nested) {
        state[&block] = State::Active;
        path.push_back(&block);
        for (const LayerDecl &layer : block.layers) {
          const BlockDecl *callee =
              lookupBlock(layer.callee, nested ? &model : nullptr);
          if (!callee || isBuiltin(layer.callee))
            continue;
          State s = state.lookup(callee);
          if (s == State::Active) {
            std::string cycle;
            auto start = llvm::find(path, callee);
            for (auto it = start; it != path.end(); ++it)
              cycle += (*it)->name + " -> ";
            cycle += callee->name;
            rep.error(layer.calleeRange,
                      "block '" + callee->name +
                          "' uses itself (directly or indirectly): " + cycle);
            ok = false;
          } else if (s == State::Unvisited) {
            bool calleeNested = modelBlocks.lookup(callee->name) == callee;
            visit(*callee, calleeNested);
          }
        }
        path.pop_back();
        state[&block] = State::Done;
      };
  for (const auto &block : model.blocks)
    if (state.lookup(block.get()) == State::Unvisited)
      visit(*block, /*nested=*/true);
  for (const auto &entry : globalBlocks)
    if (state.lookup(entry.second) == State::Unvisited)
      visit(*entry.second, /*nested=*/false);
  return ok;
}

//===----------------------------------------------------------------------===//
// Config
//===----------------------------------------------------------------------===//

bool Elaborator::evalConfig(const ModelDecl &decl, Model &model) {
  bool ok = true;
  modelScope.what = "config entry";

  // Duplicate entries.
  llvm::StringMap<const ConfigEntry *> entries;
  for (const ConfigEntry &entry : decl.config) {
    auto [it, inserted] = entries.try_emplace(entry.name, &entry);
    if (!inserted) {
      rep.error(entry.nameRange, "duplicate config entry '" + entry.name + "'");
      rep.note(it->second->nameRange.Start, "previous definition is here");
      ok = false;
    }
    modelScope.later.insert(entry.name);
  }

  // Command-line overrides.
  llvm::StringMap<ConfigValue> overrides;
  SMLoc overrideLoc =
      decl.configLoc.isValid() ? decl.configLoc : decl.nameRange.Start;
  for (const auto &[name, text] : options.overrides) {
    std::string option = "-D " + name + "=" + text;
    auto it = entries.find(name);
    if (it == entries.end()) {
      std::vector<StringRef> names;
      for (const ConfigEntry &entry : decl.config)
        names.push_back(entry.name);
      std::string hint = didYouMean(name, names);
      if (hint.empty())
        hint = "; its entries are: " +
               (names.empty() ? std::string("none") : llvm::join(names, ", "));
      rep.error(overrideLoc, "command-line option '" + option +
                                 "' sets unknown config entry '" + name +
                                 "' of model '" + decl.name + "'" + hint);
      ok = false;
      continue;
    }
    std::optional<ConfigValue> value = parseOverrideValue(text);
    if (!value) {
      rep.error(overrideLoc,
                "command-line option '" + option + "' has an invalid value '" +
                    text +
                    "' (expected an integer, a number, true, false or a "
                    "string)");
      ok = false;
      continue;
    }
    value->range = it->second->value->getRange();
    overrides[name] = *value;
  }

  // Entries in order; an override replaces the entry's expression.
  llvm::StringSet<> defined;
  for (const ConfigEntry &entry : decl.config) {
    if (!defined.insert(entry.name).second)
      continue; // Duplicate, reported above.
    modelScope.later.erase(entry.name);
    std::optional<ConfigValue> value;
    auto it = overrides.find(entry.name);
    if (it != overrides.end())
      value = it->second;
    else
      value = eval.eval(*entry.value, modelScope);
    if (!value) {
      modelScope.poisoned.insert(entry.name);
      ok = false;
      continue;
    }
    value->range = entry.value->getRange();
    modelScope.define(entry.name, *value);
    model.config.emplace_back(entry.name, *value);
  }
  return ok;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

bool Elaborator::checkBinding(const LayerDecl &decl, const Layer &layer) {
  StringRef binding = layer.binding;
  SMRange range = decl.binding ? decl.bindingRange : decl.nameRange;
  bool hasIndex = false;
  for (size_t pos = 0; pos < binding.size(); ++pos) {
    if (binding[pos] == '}') {
      rep.error(range, "unbalanced '}' in binding \"" + binding + "\"");
      return false;
    }
    if (binding[pos] != '{')
      continue;
    size_t close = binding.find('}', pos);
    if (close == StringRef::npos) {
      rep.error(range, "unbalanced '{' in binding \"" + binding + "\"");
      return false;
    }
    StringRef placeholder = binding.slice(pos, close + 1);
    if (placeholder != "{i}") {
      rep.error(range, "unknown placeholder '" + placeholder +
                           "' in binding \"" + binding +
                           "\"; only '{i}' (the copy index of a stack) is "
                           "allowed");
      return false;
    }
    hasIndex = true;
    pos = close;
  }

  if (layer.kind == LayerKind::Param && binding.empty()) {
    rep.error(range, "'" + decl.name +
                         "' (Param) is one checkpoint tensor and its binding "
                         "names it, so it cannot be empty");
    return false;
  }

  bool isStack = decl.stackCount != nullptr;
  if (!isStack && decl.isLoop) {
    if (hasIndex) {
      rep.error(range, "'" + decl.name +
                           "' loops over one block with shared "
                           "weights, so its binding must not contain '{i}'; "
                           "hint: 'loop " +
                           decl.callee +
                           "[N] x M' loops over N copies with "
                           "distinct weights");
      return false;
    }
    return true;
  }
  if (!isStack) {
    if (hasIndex) {
      rep.error(range, "'{i}' in the binding of '" + decl.name +
                           "' needs a stack: only 'Block[N]' layers have "
                           "copies to number");
      return false;
    }
    return true;
  }
  if (layer.blockUse.count > 1 && !hasIndex) {
    std::string where = decl.binding ? "its binding \"" + binding.str() + "\""
                                     : "its binding (the layer name '" +
                                           decl.name + "', as none is given)";
    rep.error(range, "'" + decl.name + "' stacks " +
                         llvm::Twine(layer.blockUse.count) + " copies of '" +
                         decl.callee + "' with distinct weights, but " + where +
                         " has no '{i}', so all copies would load the same "
                         "tensors; write e.g. @ \"" +
                         decl.name + ".{i}\", or use 'loop " + decl.callee +
                         " x N' to share weights");
    return false;
  }
  return true;
}

bool Elaborator::elabBlockLayer(const LayerDecl &decl, const BlockDecl &block,
                                Body &body, Layer &layer, BodyLayer &info) {
  layer.kind = LayerKind::Block;
  info.block = &block;
  bool ok = true;
  std::string callee = "block '" + block.name + "'";
  if (!block.hasParamList || block.params.empty()) {
    if (!decl.args.empty()) {
      bool nested = modelBlocks.lookup(block.name) == &block;
      rep.error(decl.args.front().value->getRange(),
                callee + " takes no arguments" +
                    (nested ? " (a block inside a model uses the model's "
                              "config directly)"
                            : ""));
      ok = false;
    }
  } else {
    std::vector<ParamSpec> specs;
    for (const BlockParam &p : block.params)
      specs.push_back({p.name, true, p.defaultValue == nullptr});
    std::vector<const Arg *> matched;
    if (!matchArgs(callee, specs, decl.args, decl.calleeRange, rep, matched))
      return false;
    // Arguments are evaluated where the block is used; defaults inside the
    // block, where they see the parameters before them.
    ConstScope defaultsScope;
    defaultsScope.what = "parameter of block '" + block.name + "'";
    for (size_t i = 0; i < block.params.size(); ++i) {
      const BlockParam &param = block.params[i];
      std::optional<ConfigValue> value =
          matched[i] ? eval.eval(*matched[i]->value, *body.scope)
                     : eval.eval(*param.defaultValue, defaultsScope);
      if (!value) {
        defaultsScope.poisoned.insert(param.name);
        ok = false;
        continue;
      }
      defaultsScope.define(param.name, *value);
      info.blockArgs.emplace_back(param.name, *value);
    }
  }
  if (decl.stackCount) {
    std::optional<int64_t> count =
        eval.evalPositiveInt(*decl.stackCount, *body.scope,
                             "the stack count of '" + decl.name + "'");
    if (!count)
      ok = false;
    else
      layer.blockUse.count = *count;
    layer.blockUse.stacked = true;
  }
  if (decl.loopCount) {
    std::optional<int64_t> count = eval.evalPositiveInt(
        *decl.loopCount, *body.scope, "the loop count of '" + decl.name + "'");
    if (!count)
      ok = false;
    else
      layer.blockUse.iterations = *count;
  }
  if (decl.loraRank && llvm::StringRef(body.owner).starts_with("block")) {
    // Deltas are chosen by the loop index, which the entry point has.
    rep.error(decl.range, "a 'lora' loop selects each iteration's deltas by "
                          "the loop index, which only the model's forward "
                          "can: loop the block in the model");
    ok = false;
  } else if (decl.loraRank) {
    std::optional<int64_t> rank = eval.evalPositiveInt(
        *decl.loraRank, *body.scope, "the LoRA rank of '" + decl.name + "'");
    if (!rank)
      ok = false;
    else
      layer.blockUse.loraRank = *rank;
  }
  layer.blockUse.loop = decl.isLoop;
  if (!decl.exitArgs.empty())
    ok &= elabExit(decl, body, layer);
  if (!decl.unsharedArgs.empty())
    ok &= elabUnshared(decl, body, layer);
  return ok;
}

bool Elaborator::elabExit(const LayerDecl &decl, Body &body, Layer &layer) {
  BlockUseSpec &use = layer.blockUse;
  if (llvm::StringRef(body.owner).starts_with("block")) {
    rep.error(decl.exitRange, "a loop with 'exit' decides its depth per token "
                              "in the model's forward: loop the block in the "
                              "model");
    return false;
  }
  const char *forms = "write 'exit(gate = LAYER, threshold = T)' or "
                      "'exit(converge, threshold = T)'";
  bool ok = true, sawThreshold = false;
  for (const Arg &arg : decl.exitArgs) {
    auto *ident = llvm::dyn_cast<IdentExpr>(arg.value.get());
    if (!arg.isKeyword()) {
      if (!ident || ident->getName() != "converge" ||
          use.exit != BlockUseSpec::Exit::None) {
        rep.error(arg.value->getRange(),
                  llvm::Twine("expected the exit rule: ") + forms);
        ok = false;
        continue;
      }
      use.exit = BlockUseSpec::Exit::Converge;
      continue;
    }
    if (arg.name == "gate") {
      if (!ident || use.exit != BlockUseSpec::Exit::None) {
        rep.error(arg.value->getRange(),
                  "'gate' names the model's exit gate layer (a Linear(width, "
                  "1)): " +
                      llvm::Twine(forms));
        ok = false;
        continue;
      }
      use.exit = BlockUseSpec::Exit::Gate;
      // Resolved when the loop is called (the gate may be declared later).
      use.exitGateName = ident->getName().str();
      use.exitGateRange = ident->getRange();
      continue;
    }
    if (arg.name == "threshold") {
      sawThreshold = true;
      std::optional<ConfigValue> value = eval.eval(*arg.value, *body.scope);
      if (!value) {
        ok = false;
        continue;
      }
      double threshold =
          value->kind == ConfigValue::Kind::Int     ? double(value->intValue)
          : value->kind == ConfigValue::Kind::Float ? value->floatValue
                                                    : -1.0;
      if (!(threshold > 0 && threshold <= 1)) {
        rep.error(arg.value->getRange(),
                  "the exit threshold of '" + decl.name +
                      "' must be a number in (0, 1], got " +
                      describeValue(*value));
        ok = false;
        continue;
      }
      use.exitThreshold = threshold;
      continue;
    }
    rep.error(arg.nameRange, "'exit' has no argument '" + arg.name +
                                 "': " + llvm::Twine(forms));
    ok = false;
  }
  if (ok && use.exit == BlockUseSpec::Exit::None) {
    rep.error(decl.exitRange, llvm::Twine("'exit' needs a rule: ") + forms);
    ok = false;
  }
  if (ok && !sawThreshold) {
    rep.error(decl.exitRange, "'exit' needs 'threshold = T' (T in (0, 1])");
    ok = false;
  }
  return ok;
}

bool Elaborator::elabUnshared(const LayerDecl &decl, const Body &body,
                              Layer &layer) {
  const char *form = "write 'unshared(layer, ...)' with names of the looped "
                     "block's layers";
  if (llvm::StringRef(body.owner).starts_with("block")) {
    // The copies are chosen by the loop index, which the entry point has.
    rep.error(decl.unsharedRange,
              "an 'unshared' loop selects each iteration's layers by the loop "
              "index, which only the model's forward can: loop the block in "
              "the model");
    return false;
  }
  if (decl.stackCount) {
    rep.error(decl.unsharedRange, "'unshared' is for a loop over one block "
                                  "('loop B x N'), not over a stack");
    return false;
  }
  if (decl.loraRank) {
    rep.error(decl.unsharedRange,
              "'unshared' and 'lora' cannot be combined yet");
    return false;
  }
  bool ok = true;
  for (const Arg &arg : decl.unsharedArgs) {
    const auto *ident = llvm::dyn_cast<IdentExpr>(arg.value.get());
    if (arg.isKeyword() || !ident) {
      rep.error(arg.isKeyword() ? arg.nameRange : arg.value->getRange(), form);
      ok = false;
      continue;
    }
    layer.blockUse.unsharedNames.emplace_back(ident->getName().str(),
                                              ident->getRange());
  }
  return ok;
}

void Elaborator::elabLayers(const std::vector<LayerDecl> &decls, Body &body) {
  for (const LayerDecl &decl : decls) {
    // Name clashes.
    auto [it, inserted] =
        body.layerIndex.try_emplace(decl.name, body.layers.size());
    if (!inserted) {
      rep.error(decl.nameRange,
                "duplicate layer '" + decl.name + "' in " + body.owner);
      rep.note(body.info[it->second].decl->nameRange.Start,
               "previous definition is here");
      continue;
    }
    Layer layer;
    layer.kind = LayerKind::Linear;
    layer.name = decl.name;
    layer.range = decl.range;
    layer.binding = decl.binding ? *decl.binding : decl.name;
    BodyLayer info;
    info.decl = &decl;

    bool ok = true;
    if (body.scope->lookup(decl.name) ||
        body.scope->poisoned.contains(decl.name)) {
      rep.error(decl.nameRange, "layer '" + decl.name +
                                    "' has the same name as a " +
                                    body.scope->what);
      ok = false;
    } else if (parseActivation(decl.name)) {
      rep.error(decl.nameRange, "layer '" + decl.name +
                                    "' has the same name as an activation "
                                    "function");
      ok = false;
    }

    if (!ok) {
      // Keep going: the callee may have errors of its own.
    } else if (isBuiltin(decl.callee)) {
      if (decl.stackCount || decl.isLoop) {
        rep.error(decl.calleeRange, "'" + decl.callee +
                                        "' is a built-in layer; '[N]' and "
                                        "'loop' apply only to blocks");
        ok = false;
      } else {
        ok = buildBuiltinLayer(decl, *body.scope, eval, rep, layer);
      }
    } else if (const BlockDecl *block = lookupBlock(decl.callee, body.model)) {
      if (llvm::is_contained(instStack, block))
        ok = false; // Recursion; reported by checkRecursion.
      else
        ok = elabBlockLayer(decl, *block, body, layer, info);
    } else {
      std::vector<StringRef> names(getBuiltinNames().begin(),
                                   getBuiltinNames().end());
      if (body.model)
        for (const auto &entry : modelBlocks)
          names.push_back(entry.getKey());
      for (const auto &entry : globalBlocks)
        names.push_back(entry.getKey());
      rep.error(decl.calleeRange, "unknown layer or block '" + decl.callee +
                                      "'" + didYouMean(decl.callee, names));
      ok = false;
    }
    if (ok)
      ok = checkBinding(decl, layer);
    info.failed = !ok;
    body.layers.push_back(std::move(layer));
    body.info.push_back(std::move(info));
  }
}

void Elaborator::finishBody(Body &body, Forward &forward, bool warnUnused) {
  std::vector<unsigned> newIndex(body.layers.size(), ~0u);
  std::vector<Layer> kept;
  for (size_t i = 0; i < body.layers.size(); ++i) {
    const BodyLayer &info = body.info[i];
    if (warnUnused && !info.used && !info.failed)
      rep.warning(info.decl->nameRange.Start,
                  "layer '" + info.decl->name + "' is never used",
                  {info.decl->nameRange});
    // A block layer that is never called has no input type to be
    // instantiated with; it is dropped.
    if (body.layers[i].kind == LayerKind::Block &&
        !body.layers[i].blockUse.block)
      continue;
    newIndex[i] = kept.size();
    kept.push_back(std::move(body.layers[i]));
  }
  for (Node &node : forward.nodes)
    if (node.op == Node::Op::CallLayer || node.op == Node::Op::EmbeddingRow ||
        node.op == Node::Op::Param)
      node.layer = newIndex[node.layer];
  for (Layer &layer : kept)
    if (layer.blockUse.exitGate != ~0u)
      layer.blockUse.exitGate = newIndex[layer.blockUse.exitGate];
  body.layers = std::move(kept);
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

const Block *Elaborator::instantiate(
    const BlockDecl &decl,
    const std::vector<std::pair<std::string, ConfigValue>> &params,
    const std::vector<ValueType> &inputs, SMRange useRange) {
  // Instances are keyed by declaration, parameter values and input types.
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&decl));
  for (const auto &param : params)
    key += "|" + describeValue(param.second);
  for (const ValueType &input : inputs)
    key += "|" + describeType(input);
  auto cached = instances.find(key);
  if (cached != instances.end())
    return cached->second;
  if (llvm::is_contained(instStack, &decl))
    return nullptr; // Recursion; reported by checkRecursion.
  if (instStack.size() >= kMaxNesting) {
    rep.error(useRange, "blocks are nested too deeply (more than " +
                            llvm::Twine(kMaxNesting) + " levels)");
    return nullptr;
  }
  if (!decl.forward) {
    rep.error(decl.nameRange, "block '" + decl.name + "' has no 'forward'");
    instances[key] = nullptr;
    return nullptr;
  }

  unsigned errorsBefore = rep.getNumErrors();
  instStack.push_back(&decl);
  bool nested = modelBlocks.lookup(decl.name) == &decl;
  ConstScope paramScope;
  paramScope.what = "parameter of block '" + decl.name + "'";
  for (const auto &[name, value] : params)
    paramScope.define(name, value);

  Body body;
  body.owner = "block '" + decl.name + "'";
  body.scope = nested ? &modelScope : &paramScope;
  body.model = nested ? modelDecl : nullptr;
  elabLayers(decl.layers, body);
  auto block = std::make_unique<Block>();
  block->range = decl.range;
  bool ok = elabForward(*decl.forward, body, inputs, block->forward);
  finishBody(body, block->forward,
             /*warnUnused=*/ok && rep.getNumErrors() == errorsBefore);
  block->layers = std::move(body.layers);
  instStack.pop_back();

  if (rep.getNumErrors() != errorsBefore) {
    instances[key] = nullptr;
    return nullptr;
  }
  std::string name = decl.name;
  for (unsigned suffix = 1; blockNames.contains(name); ++suffix)
    name = decl.name + "_" + std::to_string(suffix);
  blockNames.insert(name);
  block->name = name;
  const Block *blockPtr = block.get();
  result->blocks.push_back(std::move(block));
  instances[key] = blockPtr;
  return blockPtr;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

std::unique_ptr<Model> Elaborator::run(unsigned mainBufferId) {
  if (mainBufferId == 0 || mainBufferId > srcMgr.getNumBuffers()) {
    rep.error(SMLoc(), "invalid source buffer");
    return nullptr;
  }
  unsigned errorsBefore = rep.getNumErrors();
  StringRef mainName =
      srcMgr.getMemoryBuffer(mainBufferId)->getBufferIdentifier();
  if (!loadFile(mainBufferId, canonicalPath(filePathOf(mainName))))
    return nullptr;
  const ModelDecl *decl = selectModel();
  if (!decl)
    return nullptr;
  modelDecl = decl;
  if (!collectBlocks(*decl) || !checkRecursion(*decl))
    return nullptr;

  auto model = std::make_unique<Model>();
  model->name = decl->name;
  model->range = decl->range;
  result = model.get();
  if (!evalConfig(*decl, *model))
    return nullptr;

  Body body;
  body.owner = "model '" + decl->name + "'";
  body.scope = &modelScope;
  body.model = decl;
  elabLayers(decl->layers, body);
  if (!decl->forward) {
    rep.error(decl->nameRange, "model '" + decl->name + "' has no 'forward'");
    return nullptr;
  }
  if (decl->forward->params.size() != 1) {
    rep.error(decl->forward->range.Start,
              "the forward of model '" + decl->name +
                  "' must take exactly one parameter (the token ids, or "
                  "features 'x[width]'), but takes " +
                  llvm::Twine(decl->forward->params.size()));
    return nullptr;
  }
  // Token ids, or float features of a declared width (`forward(x[768])`).
  ValueType input = ValueType::ids();
  if (const Expr *width = decl->forward->params.front().width.get()) {
    std::optional<int64_t> value = eval.evalPositiveInt(
        *width, modelScope, "the input width of model '" + decl->name + "'");
    if (!value)
      return nullptr;
    input = ValueType::features(*value);
  }
  bool ok = elabForward(*decl->forward, body, input, model->forward);
  finishBody(body, model->forward,
             /*warnUnused=*/ok && rep.getNumErrors() == errorsBefore);
  model->layers = std::move(body.layers);
  if (rep.getNumErrors() != errorsBefore)
    return nullptr;
  return model;
}

std::unique_ptr<Model> loom::dsl::elaborate(llvm::SourceMgr &srcMgr,
                                            unsigned mainBufferId,
                                            const ElabOptions &options,
                                            DiagnosticEngine &diags) {
  Elaborator elaborator(srcMgr, options, diags);
  return elaborator.run(mainBufferId);
}
