//===- Lexer.h - Lexer of the Loom language ---------------------*- C++ -*-===//

#ifndef LOOM_DSL_LEXER_H
#define LOOM_DSL_LEXER_H

#include "dsl/Token.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom::dsl {

class DiagnosticEngine;

/// Splits one llvm::SourceMgr buffer into tokens. Tokens are slices of the
/// buffer. Lexical errors are reported to the DiagnosticEngine and returned
/// as `Token::error`; the lexer never reads past the end of the buffer.
class Lexer {
public:
  Lexer(const llvm::SourceMgr &srcMgr, unsigned bufferId,
        DiagnosticEngine &diags);

  /// Lexes and returns the next token; `Token::eof` at the end (repeatedly).
  Token lexToken();

  /// The buffer being lexed.
  llvm::StringRef getBuffer() const { return buffer; }

private:
  Token formToken(Token::Kind kind, const char *tokStart) const;
  Token emitError(const char *loc, const llvm::Twine &message);
  /// Reports an error covering [start, end).
  Token emitError(const char *start, const char *end,
                  const llvm::Twine &message);

  Token lexIdentifierOrKeyword(const char *tokStart);
  Token lexNumber(const char *tokStart);
  Token lexString(const char *tokStart);
  /// Skips a `/* ... */` comment whose `/*` starts at `tokStart`; returns
  /// false (after reporting) when it is unterminated.
  bool skipBlockComment(const char *tokStart);
  void skipLineComment();

  bool atEnd() const { return curPtr == buffer.end(); }

  llvm::StringRef buffer;
  const char *curPtr;
  DiagnosticEngine &diags;
};

} // namespace loom::dsl

#endif // LOOM_DSL_LEXER_H
