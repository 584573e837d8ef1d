//===- Token.h - A token of the Loom language -------------------*- C++ -*-===//

#ifndef LOOM_DSL_TOKEN_H
#define LOOM_DSL_TOKEN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <optional>
#include <string>

namespace loom::dsl {

/// A token: its kind and the slice of the source buffer it was lexed from.
class Token {
public:
  enum Kind {
#define TOK(NAME) NAME,
#include "dsl/Token.def"
  };

  Token(Kind kind, llvm::StringRef spelling) : kind(kind), spelling(spelling) {}

  Kind getKind() const { return kind; }
  bool is(Kind k) const { return kind == k; }
  bool isNot(Kind k) const { return kind != k; }
  template <typename... T> bool isAny(Kind k, T... others) const {
    return is(k) || (... || is(others));
  }
  /// True for `model`, `block`, ... .
  bool isKeyword() const;

  /// The source text of the token.
  llvm::StringRef getSpelling() const { return spelling; }

  llvm::SMLoc getLoc() const;
  llvm::SMLoc getEndLoc() const;
  llvm::SMRange getLocRange() const;

  /// The value of an integer token; nullopt when it does not fit in int64_t.
  std::optional<int64_t> getIntegerValue() const;
  /// The value of a float token; nullopt when it is out of range.
  std::optional<double> getFloatValue() const;
  /// The decoded contents of a string token (the lexer has validated escapes).
  std::string getStringValue() const;

  /// A human-readable name of a token kind, e.g. "'('" or "identifier".
  static llvm::StringRef getKindName(Kind kind);

private:
  Kind kind;
  llvm::StringRef spelling;
};

} // namespace loom::dsl

#endif // LOOM_DSL_TOKEN_H
