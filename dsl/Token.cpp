//===- Token.cpp - A token of the Loom language ---------------------------===//

#include "dsl/Token.h"

#include <cmath>

using namespace loom::dsl;

bool Token::isKeyword() const {
  switch (kind) {
#define TOK(NAME)
#define TOK_KEYWORD(SPELLING)                                                  \
  case kw_##SPELLING:                                                          \
    return true;
#include "dsl/Token.def"
  default:
    return false;
  }
}

llvm::SMLoc Token::getLoc() const {
  return llvm::SMLoc::getFromPointer(spelling.data());
}

llvm::SMLoc Token::getEndLoc() const {
  return llvm::SMLoc::getFromPointer(spelling.data() + spelling.size());
}

llvm::SMRange Token::getLocRange() const { return {getLoc(), getEndLoc()}; }

std::optional<int64_t> Token::getIntegerValue() const {
  uint64_t value = 0;
  if (spelling.getAsInteger(10, value) ||
      value > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return static_cast<int64_t>(value);
}

std::optional<double> Token::getFloatValue() const {
  double value = 0;
  if (spelling.getAsDouble(value) || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string Token::getStringValue() const {
  std::string result;
  llvm::StringRef body = spelling;
  if (body.size() >= 2)
    body = body.drop_front().drop_back();
  for (size_t i = 0, e = body.size(); i < e; ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 == e) {
      result.push_back(c);
      continue;
    }
    char next = body[++i];
    switch (next) {
    case 'n':
      result.push_back('\n');
      break;
    case 't':
      result.push_back('\t');
      break;
    default: // '"' and '\\'
      result.push_back(next);
      break;
    }
  }
  return result;
}

llvm::StringRef Token::getKindName(Kind kind) {
  switch (kind) {
  case eof:
    return "end of file";
  case error:
    return "invalid token";
  case identifier:
    return "identifier";
  case integer:
    return "integer";
  case floatliteral:
    return "number";
  case string:
    return "string";
#define TOK(NAME)
#define TOK_PUNCTUATION(NAME, SPELLING)                                        \
  case NAME:                                                                   \
    return "'" SPELLING "'";
#define TOK_KEYWORD(SPELLING)                                                  \
  case kw_##SPELLING:                                                          \
    return "'" #SPELLING "'";
#include "dsl/Token.def"
  }
  return "token";
}
