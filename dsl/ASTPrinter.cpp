//===- ASTPrinter.cpp - Dump of the Loom syntax tree ----------------------===//
//
// Prints a File as an indented tree, one node per line, each followed by the
// line:column where it starts. Used by `loomc --emit=ast`.
//
//===----------------------------------------------------------------------===//

#include "dsl/Parser.h"

#include "llvm/Support/Casting.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>

using namespace loom::dsl;

namespace {

/// The shortest decimal form that reads back as `value`.
std::string formatDouble(double value) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value)
      break;
  }
  return buf;
}

class ASTPrinter {
public:
  ASTPrinter(const File &file, llvm::raw_ostream &os) : file(file), os(os) {}

  void print();

private:
  void printBlock(const BlockDecl &block);
  void printModel(const ModelDecl &model);
  void printLayer(const LayerDecl &layer);
  void printForward(const ForwardDecl &forward);
  void printArgs(const std::vector<Arg> &args);
  void printExpr(const Expr &expr);

  /// Starts a new line at the current indentation.
  llvm::raw_ostream &line() { return os.indent(indent * 2); }
  /// Ends a line with the position of `loc`.
  void end(llvm::SMLoc loc) {
    if (file.sourceMgr && loc.isValid()) {
      auto [lineNo, col] = file.sourceMgr->getLineAndColumn(loc);
      os << " <" << lineNo << ":" << col << ">";
    }
    os << "\n";
  }
  void printString(llvm::StringRef s) {
    os << '"';
    os.write_escaped(s);
    os << '"';
  }

  struct Indent {
    explicit Indent(unsigned &indent) : indent(indent) { ++indent; }
    ~Indent() { --indent; }
    unsigned &indent;
  };

  const File &file;
  llvm::raw_ostream &os;
  unsigned indent = 0;
};

} // namespace

void ASTPrinter::print() {
  line() << "File";
  os << "\n";
  Indent in(indent);
  for (const ImportDecl &import : file.imports) {
    line() << "Import ";
    printString(import.path);
    end(import.range.Start);
  }
  for (const auto &block : file.blocks)
    printBlock(*block);
  for (const auto &model : file.models)
    printModel(*model);
}

void ASTPrinter::printBlock(const BlockDecl &block) {
  line() << "Block " << block.name;
  end(block.nameRange.Start);
  Indent in(indent);
  for (const BlockParam &param : block.params) {
    line() << "Param " << param.name;
    end(param.nameRange.Start);
    if (param.defaultValue) {
      Indent in2(indent);
      printExpr(*param.defaultValue);
    }
  }
  for (const LayerDecl &layer : block.layers)
    printLayer(layer);
  if (block.forward)
    printForward(*block.forward);
}

void ASTPrinter::printModel(const ModelDecl &model) {
  line() << "Model " << model.name;
  end(model.nameRange.Start);
  Indent in(indent);
  if (model.configLoc.isValid()) {
    line() << "Config";
    end(model.configLoc);
    Indent in2(indent);
    for (const ConfigEntry &entry : model.config) {
      line() << "Entry " << entry.name;
      end(entry.nameRange.Start);
      Indent in3(indent);
      printExpr(*entry.value);
    }
  }
  for (const auto &block : model.blocks)
    printBlock(*block);
  for (const LayerDecl &layer : model.layers)
    printLayer(layer);
  if (model.forward)
    printForward(*model.forward);
}

void ASTPrinter::printLayer(const LayerDecl &layer) {
  line() << "Layer " << layer.name << " = " << (layer.isLoop ? "loop " : "")
         << layer.callee << (layer.hasParens ? "(...)" : "");
  if (layer.binding) {
    os << " @ ";
    printString(*layer.binding);
  }
  end(layer.nameRange.Start);
  Indent in(indent);
  printArgs(layer.args);
  if (layer.stackCount) {
    line() << "StackCount";
    end(layer.stackCount->getLoc());
    Indent in2(indent);
    printExpr(*layer.stackCount);
  }
  if (layer.loopCount) {
    line() << "LoopCount";
    end(layer.loopCount->getLoc());
    Indent in2(indent);
    printExpr(*layer.loopCount);
  }
}

void ASTPrinter::printForward(const ForwardDecl &forward) {
  line() << "Forward(";
  llvm::interleaveComma(forward.params, os,
                        [&](const ForwardDecl::Param &p) { os << p.name; });
  os << ")";
  end(forward.range.Start);
  Indent in(indent);
  for (const Stmt &stmt : forward.body) {
    if (stmt.kind == Stmt::Kind::Return)
      line() << "Return";
    else
      line() << "Assign " << stmt.target;
    end(stmt.range.Start);
    Indent in2(indent);
    printExpr(*stmt.value);
  }
}

void ASTPrinter::printArgs(const std::vector<Arg> &args) {
  for (const Arg &arg : args) {
    if (!arg.isKeyword()) {
      printExpr(*arg.value);
      continue;
    }
    line() << "KeywordArg " << arg.name;
    end(arg.nameRange.Start);
    Indent in(indent);
    printExpr(*arg.value);
  }
}

void ASTPrinter::printExpr(const Expr &expr) {
  if (const auto *e = llvm::dyn_cast<IntExpr>(&expr)) {
    line() << "Int " << e->getValue();
  } else if (const auto *e = llvm::dyn_cast<FloatExpr>(&expr)) {
    line() << "Float " << formatDouble(e->getValue());
  } else if (const auto *e = llvm::dyn_cast<BoolExpr>(&expr)) {
    line() << "Bool " << (e->getValue() ? "true" : "false");
  } else if (const auto *e = llvm::dyn_cast<StringExpr>(&expr)) {
    line() << "String ";
    printString(e->getValue());
  } else if (const auto *e = llvm::dyn_cast<IdentExpr>(&expr)) {
    line() << "Ident " << e->getName();
  } else if (const auto *e = llvm::dyn_cast<UnaryExpr>(&expr)) {
    line() << "Unary '" << e->getOp() << "'";
    end(expr.getLoc());
    Indent in(indent);
    printExpr(e->getOperand());
    return;
  } else if (const auto *e = llvm::dyn_cast<BinaryExpr>(&expr)) {
    line() << "Binary '" << e->getOp() << "'";
    end(expr.getLoc());
    Indent in(indent);
    printExpr(e->getLHS());
    printExpr(e->getRHS());
    return;
  } else if (const auto *e = llvm::dyn_cast<IndexExpr>(&expr)) {
    line() << "Index " << e->getBase();
    end(expr.getLoc());
    Indent in(indent);
    printExpr(e->getIndex());
    return;
  } else if (const auto *e = llvm::dyn_cast<CallExpr>(&expr)) {
    line() << "Call " << e->getCallee();
    end(expr.getLoc());
    Indent in(indent);
    printArgs(e->getArgs());
    return;
  }
  end(expr.getLoc());
}

void loom::dsl::printAST(const File &file, llvm::raw_ostream &os) {
  ASTPrinter(file, os).print();
}
