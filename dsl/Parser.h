//===- Parser.h - Parser of the Loom language -------------------*- C++ -*-===//

#ifndef LOOM_DSL_PARSER_H
#define LOOM_DSL_PARSER_H

#include "dsl/AST.h"

#include <memory>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace loom::dsl {

class DiagnosticEngine;

/// Maximum nesting depth of expressions (parentheses, operators) accepted by
/// the parser; deeper input is rejected with an error instead of exhausting
/// the stack.
constexpr unsigned kMaxExprDepth = 256;

/// Parses buffer `bufferId` of `srcMgr` as a `.loom` file. Reports syntax
/// errors to `diags` and returns null if there was any.
std::unique_ptr<File> parseFile(llvm::SourceMgr &srcMgr, unsigned bufferId,
                                DiagnosticEngine &diags);

/// Prints `file` as an indented tree, with the line:column of every node.
void printAST(const File &file, llvm::raw_ostream &os);

} // namespace loom::dsl

#endif // LOOM_DSL_PARSER_H
