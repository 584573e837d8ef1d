//===- Lexer.cpp - Lexer of the Loom language -----------------------------===//

#include "dsl/Lexer.h"
#include "dsl/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace loom::dsl;

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Lexer::Lexer(const llvm::SourceMgr &srcMgr, unsigned bufferId,
             DiagnosticEngine &diags)
    : buffer(srcMgr.getMemoryBuffer(bufferId)->getBuffer()),
      curPtr(buffer.begin()), diags(diags) {}

Token Lexer::formToken(Token::Kind kind, const char *tokStart) const {
  return Token(kind, llvm::StringRef(tokStart, curPtr - tokStart));
}

Token Lexer::emitError(const char *loc, const llvm::Twine &message) {
  return emitError(loc, loc, message);
}

Token Lexer::emitError(const char *start, const char *end,
                       const llvm::Twine &message) {
  llvm::SMLoc startLoc = llvm::SMLoc::getFromPointer(start);
  llvm::SmallVector<llvm::SMRange, 1> ranges;
  if (end > start)
    ranges.push_back({startLoc, llvm::SMLoc::getFromPointer(end)});
  diags.error(startLoc, message, ranges);
  // Lexing stops at the first error: the parser gives up on an error token.
  curPtr = buffer.end();
  return Token(Token::error, llvm::StringRef(start, 0));
}

void Lexer::skipLineComment() {
  while (!atEnd() && *curPtr != '\n')
    ++curPtr;
}

bool Lexer::skipBlockComment(const char *tokStart) {
  // curPtr points after "/*".
  while (!atEnd()) {
    if (*curPtr == '*' && curPtr + 1 != buffer.end() && curPtr[1] == '/') {
      curPtr += 2;
      return true;
    }
    ++curPtr;
  }
  emitError(tokStart, tokStart + 2, "unterminated '/*' comment");
  return false;
}

Token Lexer::lexToken() {
  while (true) {
    if (atEnd())
      return Token(Token::eof, llvm::StringRef(buffer.end(), 0));
    const char *tokStart = curPtr;
    char c = *curPtr++;
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
      continue;
    case '(':
      return formToken(Token::l_paren, tokStart);
    case ')':
      return formToken(Token::r_paren, tokStart);
    case '{':
      return formToken(Token::l_brace, tokStart);
    case '}':
      return formToken(Token::r_brace, tokStart);
    case '[':
      return formToken(Token::l_square, tokStart);
    case ']':
      return formToken(Token::r_square, tokStart);
    case ',':
      return formToken(Token::comma, tokStart);
    case ';':
      return formToken(Token::semicolon, tokStart);
    case '=':
      return formToken(Token::equal, tokStart);
    case '@':
      return formToken(Token::at, tokStart);
    case '+':
      return formToken(Token::plus, tokStart);
    case '-':
      return formToken(Token::minus, tokStart);
    case '*':
      return formToken(Token::star, tokStart);
    case '/':
      if (!atEnd() && *curPtr == '/') {
        skipLineComment();
        continue;
      }
      if (!atEnd() && *curPtr == '*') {
        ++curPtr;
        if (!skipBlockComment(tokStart))
          return Token(Token::error, llvm::StringRef(tokStart, 0));
        continue;
      }
      return formToken(Token::slash, tokStart);
    case '"':
      return lexString(tokStart);
    case '.':
      if (!atEnd() && llvm::isDigit(*curPtr))
        return lexNumber(tokStart);
      return emitError(tokStart, curPtr, "unexpected character '.'");
    default:
      if (isIdentStart(c))
        return lexIdentifierOrKeyword(tokStart);
      if (llvm::isDigit(c))
        return lexNumber(tokStart);
      if (llvm::isPrint(c))
        return emitError(tokStart, curPtr,
                         llvm::Twine("unexpected character '") +
                             llvm::Twine(c) + "'");
      std::string hex;
      llvm::raw_string_ostream os(hex);
      os << llvm::format_hex(static_cast<unsigned char>(c), 4);
      return emitError(tokStart, curPtr,
                       "unexpected byte " + llvm::Twine(hex) +
                           " in source (the source must be text)");
    }
  }
}

Token Lexer::lexIdentifierOrKeyword(const char *tokStart) {
  while (!atEnd() && isIdentChar(*curPtr))
    ++curPtr;
  llvm::StringRef spelling(tokStart, curPtr - tokStart);
  Token::Kind kind = llvm::StringSwitch<Token::Kind>(spelling)
#define TOK(NAME)
#define TOK_KEYWORD(SPELLING) .Case(#SPELLING, Token::kw_##SPELLING)
#include "dsl/Token.def"
                         .Default(Token::identifier);
  return Token(kind, spelling);
}

Token Lexer::lexNumber(const char *tokStart) {
  // tokStart is a digit, or a '.' followed by a digit.
  bool isFloat = *tokStart == '.';
  auto skipDigits = [&] {
    while (!atEnd() && llvm::isDigit(*curPtr))
      ++curPtr;
  };
  skipDigits();
  if (!isFloat && !atEnd() && *curPtr == '.') {
    isFloat = true;
    ++curPtr;
    skipDigits();
  }
  if (!atEnd() && (*curPtr == 'e' || *curPtr == 'E')) {
    const char *expStart = curPtr++;
    if (!atEnd() && (*curPtr == '+' || *curPtr == '-'))
      ++curPtr;
    if (atEnd() || !llvm::isDigit(*curPtr))
      return emitError(tokStart, curPtr,
                       "expected digits after the exponent '" +
                           llvm::StringRef(expStart, 1) + "' of a number");
    skipDigits();
    isFloat = true;
  }
  if (!atEnd() && isIdentChar(*curPtr)) {
    const char *end = curPtr;
    while (end != buffer.end() && isIdentChar(*end))
      ++end;
    return emitError(tokStart, end,
                     "invalid number '" +
                         llvm::StringRef(tokStart, end - tokStart) + "'");
  }
  return formToken(isFloat ? Token::floatliteral : Token::integer, tokStart);
}

Token Lexer::lexString(const char *tokStart) {
  // curPtr points after the opening quote.
  while (true) {
    if (atEnd() || *curPtr == '\n' || *curPtr == '\r')
      return emitError(tokStart, curPtr,
                       "unterminated string literal (strings cannot span "
                       "lines)");
    char c = *curPtr++;
    if (c == '"')
      return formToken(Token::string, tokStart);
    if (c != '\\')
      continue;
    if (atEnd())
      continue; // Reported as unterminated above.
    char escaped = *curPtr;
    if (escaped != '"' && escaped != '\\' && escaped != 'n' && escaped != 't') {
      const char *escStart = curPtr - 1;
      std::string shown =
          llvm::isPrint(escaped) ? std::string(1, escaped) : std::string("?");
      return emitError(escStart, curPtr + 1,
                       "unknown escape sequence '\\" + llvm::Twine(shown) +
                           "' in string (use \\\", \\\\, \\n or \\t)");
    }
    ++curPtr;
  }
}
