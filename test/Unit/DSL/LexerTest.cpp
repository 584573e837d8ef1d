//===- LexerTest.cpp - Tests of the Loom lexer ----------------------------===//

#include "dsl/Lexer.h"
#include "DSLTestUtils.h"

#include "gtest/gtest.h"

using namespace loom::dsl;
using namespace loom::dsl::test;

namespace {

struct Lexed {
  std::vector<Token> tokens;
  std::vector<std::string> errors;
};

/// Lexes `source` up to and including eof or the first error.
Lexed lex(Harness &h, llvm::StringRef source) {
  unsigned id = h.add(source);
  Lexer lexer(h.srcMgr, id, h.diags);
  Lexed result;
  for (int i = 0; i < 10000; ++i) {
    Token tok = lexer.lexToken();
    result.tokens.push_back(tok);
    if (tok.isAny(Token::eof, Token::error))
      break;
  }
  result.errors = h.messages;
  return result;
}

std::vector<Token::Kind> kinds(const Lexed &lexed) {
  std::vector<Token::Kind> result;
  for (const Token &tok : lexed.tokens)
    result.push_back(tok.getKind());
  return result;
}

TEST(Lexer, Punctuation) {
  Harness h;
  Lexed lexed = lex(h, "( ) { } [ ] , ; = @ + - * /");
  std::vector<Token::Kind> expected = {
      Token::l_paren,  Token::r_paren,  Token::l_brace, Token::r_brace,
      Token::l_square, Token::r_square, Token::comma,   Token::semicolon,
      Token::equal,    Token::at,       Token::plus,    Token::minus,
      Token::star,     Token::slash,    Token::eof};
  EXPECT_EQ(kinds(lexed), expected);
  EXPECT_TRUE(lexed.errors.empty());
}

TEST(Lexer, KeywordsAndIdentifiers) {
  Harness h;
  Lexed lexed = lex(h, "model block config forward return loop import true "
                       "false x _a1 Linear modelx");
  std::vector<Token::Kind> expected = {
      Token::kw_model,   Token::kw_block,   Token::kw_config,
      Token::kw_forward, Token::kw_return,  Token::kw_loop,
      Token::kw_import,  Token::kw_true,    Token::kw_false,
      Token::identifier, Token::identifier, Token::identifier,
      Token::identifier, Token::eof};
  EXPECT_EQ(kinds(lexed), expected);
  EXPECT_TRUE(lexed.tokens[0].isKeyword());
  EXPECT_FALSE(lexed.tokens[9].isKeyword());
  EXPECT_EQ(lexed.tokens[12].getSpelling(), "modelx");
}

TEST(Lexer, Numbers) {
  Harness h;
  Lexed lexed = lex(h, "768 1e-5 10000.0 .5 2E+3 0");
  ASSERT_EQ(lexed.tokens.size(), 7u);
  EXPECT_EQ(lexed.tokens[0].getKind(), Token::integer);
  EXPECT_EQ(*lexed.tokens[0].getIntegerValue(), 768);
  EXPECT_EQ(lexed.tokens[1].getKind(), Token::floatliteral);
  EXPECT_DOUBLE_EQ(*lexed.tokens[1].getFloatValue(), 1e-5);
  EXPECT_DOUBLE_EQ(*lexed.tokens[2].getFloatValue(), 10000.0);
  EXPECT_DOUBLE_EQ(*lexed.tokens[3].getFloatValue(), 0.5);
  EXPECT_DOUBLE_EQ(*lexed.tokens[4].getFloatValue(), 2000.0);
  EXPECT_EQ(lexed.tokens[5].getKind(), Token::integer);
}

TEST(Lexer, IntegerOverflowIsDetectedOnConversion) {
  Harness h;
  Lexed lexed = lex(h, "9223372036854775807 9223372036854775808");
  EXPECT_EQ(*lexed.tokens[0].getIntegerValue(), INT64_MAX);
  EXPECT_FALSE(lexed.tokens[1].getIntegerValue().has_value());
  Harness h2;
  EXPECT_FALSE(lex(h2, "1e999").tokens[0].getFloatValue().has_value());
}

TEST(Lexer, Strings) {
  Harness h;
  Lexed lexed = lex(h, R"("model.layers.{i}" "a\"b\\c\nd" "")");
  ASSERT_EQ(lexed.tokens.size(), 4u);
  EXPECT_EQ(lexed.tokens[0].getStringValue(), "model.layers.{i}");
  EXPECT_EQ(lexed.tokens[1].getStringValue(), "a\"b\\c\nd");
  EXPECT_EQ(lexed.tokens[2].getStringValue(), "");
  EXPECT_TRUE(lexed.errors.empty());
}

TEST(Lexer, Comments) {
  Harness h;
  Lexed lexed = lex(h, "a // line comment\n/* block\n comment */ b /**/ c");
  std::vector<Token::Kind> expected = {Token::identifier, Token::identifier,
                                       Token::identifier, Token::eof};
  EXPECT_EQ(kinds(lexed), expected);
  EXPECT_EQ(lexed.tokens[1].getSpelling(), "b");
}

TEST(Lexer, Locations) {
  Harness h;
  Lexed lexed = lex(h, "model M {\n  dim = 8\n}");
  auto lineCol = [&](const Token &tok) {
    return h.srcMgr.getLineAndColumn(tok.getLoc());
  };
  EXPECT_EQ(lineCol(lexed.tokens[0]), std::make_pair(1u, 1u));
  EXPECT_EQ(lineCol(lexed.tokens[1]), std::make_pair(1u, 7u));
  EXPECT_EQ(lineCol(lexed.tokens[3]), std::make_pair(2u, 3u));
  EXPECT_EQ(lineCol(lexed.tokens[5]), std::make_pair(2u, 9u));
  EXPECT_EQ(lineCol(lexed.tokens[6]), std::make_pair(3u, 1u));
  EXPECT_EQ(lexed.tokens[3].getLocRange().End.getPointer() -
                lexed.tokens[3].getLoc().getPointer(),
            3);
}

struct ErrorCase {
  const char *source;
  const char *message;
};

TEST(Lexer, Errors) {
  const ErrorCase cases[] = {
      {"a $ b", "1:3: error: unexpected character '$'"},
      {"\"abc", "1:1: error: unterminated string literal"},
      {"\"abc\ndef\"", "1:1: error: unterminated string literal"},
      {"\"a\\qb\"", "1:3: error: unknown escape sequence '\\q'"},
      {"/* never closed", "1:1: error: unterminated '/*' comment"},
      {"12abc", "1:1: error: invalid number '12abc'"},
      {"1e+", "1:1: error: expected digits after the exponent 'e'"},
      {"a . b", "1:3: error: unexpected character '.'"},
      {llvm::StringRef("a \0 b", 5).data(), nullptr},
      {"\x01", "1:1: error: unexpected byte 0x01"},
      {"\xff\xfe", "1:1: error: unexpected byte 0xff"},
  };
  for (const ErrorCase &c : cases) {
    if (!c.message)
      continue;
    Harness h;
    Lexed lexed = lex(h, c.source);
    EXPECT_EQ(lexed.tokens.back().getKind(), Token::error) << c.source;
    ASSERT_EQ(lexed.errors.size(), 1u) << c.source;
    EXPECT_TRUE(llvm::StringRef(lexed.errors[0]).starts_with(c.message))
        << c.source << " -> " << lexed.errors[0];
  }
}

TEST(Lexer, NulByteInTheMiddle) {
  Harness h;
  Lexed lexed = lex(h, llvm::StringRef("a \0 b", 5));
  EXPECT_EQ(lexed.tokens.back().getKind(), Token::error);
  ASSERT_EQ(lexed.errors.size(), 1u);
  EXPECT_TRUE(
      llvm::StringRef(lexed.errors[0]).contains("unexpected byte 0x00"));
}

TEST(Lexer, EofIsSticky) {
  Harness h;
  unsigned id = h.add("");
  Lexer lexer(h.srcMgr, id, h.diags);
  EXPECT_EQ(lexer.lexToken().getKind(), Token::eof);
  EXPECT_EQ(lexer.lexToken().getKind(), Token::eof);
}

TEST(Lexer, KindNames) {
  EXPECT_EQ(Token::getKindName(Token::l_paren), "'('");
  EXPECT_EQ(Token::getKindName(Token::kw_model), "'model'");
  EXPECT_EQ(Token::getKindName(Token::identifier), "identifier");
}

} // namespace
