//===- Parser.cpp - Parser of the Loom language ---------------------------===//
//
// A recursive-descent parser. It stops at the first syntax error: the error
// is reported with its location and parseFile returns null, so no error ever
// cascades from a previous one.
//
//===----------------------------------------------------------------------===//

#include "dsl/Parser.h"
#include "dsl/Diagnostics.h"
#include "dsl/Lexer.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/LogicalResult.h"
#include "llvm/Support/SourceMgr.h"

using namespace loom::dsl;
using llvm::failed;
using llvm::failure;
using llvm::LogicalResult;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::success;

namespace {

class Parser {
public:
  Parser(llvm::SourceMgr &srcMgr, unsigned bufferId, DiagnosticEngine &diags)
      : lexer(srcMgr, bufferId, diags), diags(diags), tok(lexer.lexToken()) {
    prevEnd = tok.getLoc();
  }

  std::unique_ptr<File> parseFile(unsigned bufferId);

private:
  //===--------------------------------------------------------------------===//
  // Tokens
  //===--------------------------------------------------------------------===//

  /// Advances to the next token.
  void consume() {
    prevEnd = tok.getEndLoc();
    if (peeked) {
      tok = *peeked;
      peeked.reset();
      return;
    }
    tok = lexer.lexToken();
  }
  /// The token after the current one.
  const Token &peek() {
    if (!peeked)
      peeked = lexer.lexToken();
    return *peeked;
  }
  bool consumeIf(Token::Kind kind) {
    if (tok.isNot(kind))
      return false;
    consume();
    return true;
  }
  /// Skips optional `,` / `;` separators between entries and statements.
  void skipSeparators() {
    while (tok.isAny(Token::comma, Token::semicolon))
      consume();
  }
  /// The range from `start` to the end of the last consumed token.
  SMRange rangeFrom(SMLoc start) const { return {start, prevEnd}; }

  /// Reports an error at the current token (unless it is a lexer error,
  /// which has been reported already).
  LogicalResult emitError(const llvm::Twine &msg) {
    return emitError(tok.getLoc(), msg, tok.getLocRange());
  }
  LogicalResult emitError(SMLoc loc, const llvm::Twine &msg,
                          SMRange range = {}) {
    if (tok.is(Token::error))
      return failure();
    SMRange ranges[] = {range};
    diags.error(loc, msg,
                range.isValid() ? llvm::ArrayRef(ranges)
                                : llvm::ArrayRef<SMRange>());
    return failure();
  }
  /// Describes the current token for "expected X but found Y" messages.
  std::string describeTok() const {
    if (tok.is(Token::eof))
      return "end of file";
    return "'" + tok.getSpelling().str() + "'";
  }
  LogicalResult expect(Token::Kind kind, const llvm::Twine &context) {
    if (consumeIf(kind))
      return success();
    return emitError("expected " + Token::getKindName(kind) + " " + context +
                     ", found " + describeTok());
  }
  /// True when the current token is the contextual keyword `x` of
  /// `loop Block x N` (an identifier `x` not starting a new declaration).
  bool atLoopX() {
    return tok.is(Token::identifier) && tok.getSpelling() == "x" &&
           peek().isNot(Token::equal);
  }

  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  LogicalResult parseImport(File &file);
  LogicalResult parseBlock(std::unique_ptr<BlockDecl> &block, bool inModel);
  LogicalResult parseModel(std::unique_ptr<ModelDecl> &model);
  LogicalResult parseConfig(ModelDecl &model);
  LogicalResult parseLayerDecl(LayerDecl &layer);
  LogicalResult parseForward(std::optional<ForwardDecl> &forward,
                             llvm::StringRef owner);
  LogicalResult parseStmt(Stmt &stmt);

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  /// Parses `(args)` starting at the current `(`.
  LogicalResult parseArgs(std::vector<Arg> &args, unsigned depth);
  ExprPtr parseExpr(unsigned depth = 0) { return parseAdd(depth); }
  ExprPtr parseAdd(unsigned depth);
  ExprPtr parseMul(unsigned depth);
  /// A left-associative chain `operand (op operand)*` of the operators
  /// `first` and `second`.
  ExprPtr parseBinary(unsigned depth, Token::Kind first, Token::Kind second,
                      ExprPtr (Parser::*operand)(unsigned));
  ExprPtr parseUnary(unsigned depth);
  ExprPtr parsePrimary(unsigned depth);
  LogicalResult checkDepth(unsigned depth) {
    if (depth <= kMaxExprDepth)
      return success();
    return emitError("expression is nested too deeply (more than " +
                     llvm::Twine(kMaxExprDepth) + " levels)");
  }

  Lexer lexer;
  DiagnosticEngine &diags;
  Token tok;
  std::optional<Token> peeked;
  SMLoc prevEnd;
};

} // namespace

std::unique_ptr<File> Parser::parseFile(unsigned bufferId) {
  auto file = std::make_unique<File>();
  file->bufferId = bufferId;
  while (true) {
    switch (tok.getKind()) {
    case Token::eof:
      return file;
    case Token::error:
      return nullptr;
    case Token::kw_import:
      if (failed(parseImport(*file)))
        return nullptr;
      break;
    case Token::kw_block: {
      std::unique_ptr<BlockDecl> block;
      if (failed(parseBlock(block, /*inModel=*/false)))
        return nullptr;
      file->blocks.push_back(std::move(block));
      break;
    }
    case Token::kw_model: {
      std::unique_ptr<ModelDecl> model;
      if (failed(parseModel(model)))
        return nullptr;
      file->models.push_back(std::move(model));
      break;
    }
    case Token::semicolon:
      consume();
      break;
    default:
      (void)emitError(
          "expected 'model', 'block' or 'import' at top level, found " +
          describeTok());
      return nullptr;
    }
  }
}

LogicalResult Parser::parseImport(File &file) {
  SMLoc start = tok.getLoc();
  consume(); // 'import'
  if (tok.isNot(Token::string))
    return emitError("expected a file name string after 'import', found " +
                     describeTok());
  ImportDecl decl;
  decl.path = tok.getStringValue();
  consume();
  decl.range = rangeFrom(start);
  if (decl.path.empty())
    return emitError(start, "import of an empty file name", decl.range);
  file.imports.push_back(std::move(decl));
  return success();
}

LogicalResult Parser::parseBlock(std::unique_ptr<BlockDecl> &block,
                                 bool inModel) {
  SMLoc start = tok.getLoc();
  consume(); // 'block'
  block = std::make_unique<BlockDecl>();
  if (tok.isNot(Token::identifier))
    return emitError("expected a block name after 'block', found " +
                     describeTok());
  block->name = tok.getSpelling().str();
  block->nameRange = tok.getLocRange();
  consume();

  if (tok.is(Token::l_paren)) {
    SMLoc parenLoc = tok.getLoc();
    consume();
    block->hasParamList = true;
    llvm::StringSet<> paramNames;
    while (tok.isNot(Token::r_paren)) {
      if (tok.isNot(Token::identifier))
        return emitError("expected a parameter name, found " + describeTok());
      BlockParam param;
      param.name = tok.getSpelling().str();
      param.nameRange = tok.getLocRange();
      consume();
      if (!paramNames.insert(param.name).second)
        return emitError(param.nameRange.Start,
                         "duplicate parameter '" + param.name + "' of block '" +
                             block->name + "'",
                         param.nameRange);
      if (consumeIf(Token::equal)) {
        param.defaultValue = parseExpr();
        if (!param.defaultValue)
          return failure();
      }
      block->params.push_back(std::move(param));
      if (!consumeIf(Token::comma))
        break;
    }
    if (failed(expect(Token::r_paren, "after the block's parameters")))
      return failure();
    if (inModel)
      return emitError(parenLoc,
                       "block '" + block->name +
                           "' is inside a model and cannot have parameters; "
                           "it uses the model's config directly (declare "
                           "blocks with parameters at file level)",
                       rangeFrom(parenLoc));
  }

  SMLoc braceLoc = tok.getLoc();
  if (failed(expect(Token::l_brace,
                    "to start the body of block '" + block->name + "'")))
    return failure();
  while (true) {
    skipSeparators();
    switch (tok.getKind()) {
    case Token::r_brace:
      consume();
      block->range = rangeFrom(start);
      return success();
    case Token::error:
      return failure();
    case Token::identifier: {
      LayerDecl layer;
      if (failed(parseLayerDecl(layer)))
        return failure();
      block->layers.push_back(std::move(layer));
      break;
    }
    case Token::kw_forward:
      if (block->forward)
        return emitError("block '" + block->name +
                         "' has more than one 'forward'");
      if (failed(parseForward(block->forward, block->name)))
        return failure();
      break;
    case Token::kw_block:
      return emitError("blocks cannot be nested inside block '" + block->name +
                       "'");
    case Token::kw_config:
      return emitError("'config' is only allowed in a model, not in block '" +
                       block->name + "'");
    case Token::eof:
      return emitError(braceLoc, "unterminated '{': block '" + block->name +
                                     "' is not closed before the end of file");
    default:
      return emitError("expected a layer declaration or 'forward' in block '" +
                       block->name + "', found " + describeTok());
    }
  }
}

LogicalResult Parser::parseModel(std::unique_ptr<ModelDecl> &model) {
  SMLoc start = tok.getLoc();
  consume(); // 'model'
  model = std::make_unique<ModelDecl>();
  if (tok.isNot(Token::identifier))
    return emitError("expected a model name after 'model', found " +
                     describeTok());
  model->name = tok.getSpelling().str();
  model->nameRange = tok.getLocRange();
  consume();
  SMLoc braceLoc = tok.getLoc();
  if (failed(expect(Token::l_brace,
                    "to start the body of model '" + model->name + "'")))
    return failure();
  while (true) {
    skipSeparators();
    switch (tok.getKind()) {
    case Token::r_brace:
      consume();
      model->range = rangeFrom(start);
      return success();
    case Token::error:
      return failure();
    case Token::kw_config:
      if (model->configLoc.isValid()) {
        (void)emitError("model '" + model->name +
                        "' has more than one 'config'");
        diags.note(model->configLoc, "previous 'config' is here");
        return failure();
      }
      if (failed(parseConfig(*model)))
        return failure();
      break;
    case Token::kw_block: {
      std::unique_ptr<BlockDecl> block;
      if (failed(parseBlock(block, /*inModel=*/true)))
        return failure();
      model->blocks.push_back(std::move(block));
      break;
    }
    case Token::identifier: {
      LayerDecl layer;
      if (failed(parseLayerDecl(layer)))
        return failure();
      model->layers.push_back(std::move(layer));
      break;
    }
    case Token::kw_forward:
      if (model->forward)
        return emitError("model '" + model->name +
                         "' has more than one 'forward'");
      if (failed(parseForward(model->forward, model->name)))
        return failure();
      break;
    case Token::kw_import:
      return emitError("'import' is only allowed at file level");
    case Token::kw_model:
      return emitError("models cannot be nested inside model '" + model->name +
                       "'");
    case Token::eof:
      return emitError(braceLoc, "unterminated '{': model '" + model->name +
                                     "' is not closed before the end of file");
    default:
      return emitError("expected 'config', 'block', a layer declaration or "
                       "'forward' in model '" +
                       model->name + "', found " + describeTok());
    }
  }
}

LogicalResult Parser::parseConfig(ModelDecl &model) {
  model.configLoc = tok.getLoc();
  consume(); // 'config'
  SMLoc braceLoc = tok.getLoc();
  if (failed(expect(Token::l_brace, "after 'config'")))
    return failure();
  while (true) {
    skipSeparators();
    if (consumeIf(Token::r_brace))
      return success();
    if (tok.is(Token::eof))
      return emitError(braceLoc, "unterminated '{': the config of model '" +
                                     model.name +
                                     "' is not closed before the end of file");
    if (tok.isNot(Token::identifier))
      return emitError("expected a config entry 'name = value', found " +
                       describeTok());
    ConfigEntry entry;
    entry.name = tok.getSpelling().str();
    entry.nameRange = tok.getLocRange();
    consume();
    if (failed(expect(Token::equal, "after config entry '" + entry.name + "'")))
      return failure();
    entry.value = parseExpr();
    if (!entry.value)
      return failure();
    model.config.push_back(std::move(entry));
  }
}

LogicalResult Parser::parseLayerDecl(LayerDecl &layer) {
  SMLoc start = tok.getLoc();
  layer.name = tok.getSpelling().str();
  layer.nameRange = tok.getLocRange();
  consume();
  if (tok.isNot(Token::equal))
    return emitError("expected '=' after '" + layer.name +
                     "' (a layer is declared as 'name = Layer(args)'), "
                     "found " +
                     describeTok());
  consume();
  if (tok.is(Token::kw_loop)) {
    layer.isLoop = true;
    layer.loopLoc = tok.getLoc();
    consume();
  }
  if (tok.isNot(Token::identifier))
    return emitError("expected a layer or block name after '" +
                     llvm::Twine(layer.isLoop ? "loop" : "=") + "', found " +
                     describeTok());
  layer.callee = tok.getSpelling().str();
  layer.calleeRange = tok.getLocRange();
  consume();
  if (tok.is(Token::l_paren)) {
    layer.hasParens = true;
    if (failed(parseArgs(layer.args, 0)))
      return failure();
  }
  if (tok.is(Token::l_square)) {
    consume();
    layer.stackCount = parseExpr();
    if (!layer.stackCount ||
        failed(expect(Token::r_square, "after the stack count")))
      return failure();
  }
  if (atLoopX()) {
    SMLoc xLoc = tok.getLoc();
    consume();
    if (!layer.isLoop)
      return emitError(xLoc,
                       "'x N' repeats a block with shared weights and needs "
                       "'loop': write '" +
                           layer.name + " = loop " + layer.callee + " x N'",
                       {xLoc, prevEnd});
    layer.loopCount = parseExpr();
    if (!layer.loopCount)
      return failure();
  } else if (layer.isLoop) {
    return emitError("expected 'x N' (the number of iterations) after 'loop " +
                     layer.callee + "', found " + describeTok());
  }
  // `lora(rank)`: per-iteration deltas on a loop's shared matrices.
  if (tok.is(Token::identifier) && tok.getSpelling() == "lora") {
    layer.loraLoc = tok.getLoc();
    consume();
    if (!layer.isLoop)
      return emitError(layer.loraLoc,
                       "'lora(r)' gives each iteration of a weight-shared loop "
                       "its own low-rank delta and needs 'loop': write '" +
                           layer.name + " = loop " + layer.callee +
                           " x N lora(r)'",
                       {layer.loraLoc, prevEnd});
    if (failed(expect(Token::l_paren, "after 'lora' (write 'lora(rank)')")))
      return failure();
    layer.loraRank = parseExpr();
    if (!layer.loraRank || failed(expect(Token::r_paren, "after the rank")))
      return failure();
  }
  // `exit(...)`: adaptive depth, a token may leave the loop early.
  if (tok.is(Token::identifier) && tok.getSpelling() == "exit" &&
      peek().is(Token::l_paren)) {
    layer.exitRange = tok.getLocRange();
    consume();
    if (!layer.isLoop)
      return emitError(layer.exitRange.Start,
                       "'exit(...)' lets tokens leave a loop early and needs "
                       "'loop': write '" +
                           layer.name + " = loop " + layer.callee +
                           " x N exit(...)'",
                       layer.exitRange);
    SMLoc open = tok.getLoc();
    if (failed(parseArgs(layer.exitArgs, 0)))
      return failure();
    if (layer.exitArgs.empty())
      return emitError(open,
                       "'exit()' needs a rule: write 'exit(gate = LAYER, "
                       "threshold = T)' or 'exit(converge, threshold = T)'",
                       {open, prevEnd});
  }
  // `unshared(a, b)`: layers of the looped block with a copy per iteration.
  if (tok.is(Token::identifier) && tok.getSpelling() == "unshared" &&
      peek().is(Token::l_paren)) {
    layer.unsharedRange = tok.getLocRange();
    consume();
    if (!layer.isLoop)
      return emitError(layer.unsharedRange.Start,
                       "'unshared(...)' gives each iteration of a loop its "
                       "own copy of some layers and needs 'loop': write '" +
                           layer.name + " = loop " + layer.callee +
                           " x N unshared(...)'",
                       layer.unsharedRange);
    SMLoc open = tok.getLoc();
    if (failed(parseArgs(layer.unsharedArgs, 0)))
      return failure();
    if (layer.unsharedArgs.empty())
      return emitError(open,
                       "'unshared()' needs the names of the block's layers "
                       "that each iteration has its own copy of",
                       {open, prevEnd});
  }
  if (tok.is(Token::at)) {
    consume();
    if (tok.isNot(Token::string))
      return emitError("expected a checkpoint name string after '@', found " +
                       describeTok());
    layer.binding = tok.getStringValue();
    layer.bindingRange = tok.getLocRange();
    consume();
  }
  layer.range = rangeFrom(start);
  return success();
}

LogicalResult Parser::parseForward(std::optional<ForwardDecl> &forward,
                                   llvm::StringRef owner) {
  SMLoc start = tok.getLoc();
  consume(); // 'forward'
  forward.emplace();
  llvm::StringSet<> paramNames;
  if (failed(expect(Token::l_paren, "after 'forward'")))
    return failure();
  while (tok.isNot(Token::r_paren)) {
    if (tok.isNot(Token::identifier))
      return emitError("expected a parameter name in 'forward', found " +
                       describeTok());
    ForwardDecl::Param param{tok.getSpelling().str(), tok.getLocRange(),
                             nullptr};
    if (!paramNames.insert(param.name).second)
      return emitError("duplicate parameter '" + param.name + "' of 'forward'");
    consume();
    // `x[width]`: float features of that width.
    if (consumeIf(Token::l_square)) {
      param.width = parseExpr();
      if (!param.width ||
          failed(expect(Token::r_square, "after the input's width")))
        return failure();
    }
    forward->params.push_back(std::move(param));
    if (!consumeIf(Token::comma))
      break;
  }
  if (failed(expect(Token::r_paren, "after the parameters of 'forward'")))
    return failure();
  SMLoc braceLoc = tok.getLoc();
  if (failed(expect(Token::l_brace, "to start the body of 'forward'")))
    return failure();
  while (true) {
    skipSeparators();
    if (consumeIf(Token::r_brace))
      break;
    if (tok.is(Token::eof))
      return emitError(braceLoc, "unterminated '{': 'forward' of '" + owner +
                                     "' is not closed before the end of file");
    Stmt stmt;
    if (failed(parseStmt(stmt)))
      return failure();
    forward->body.push_back(std::move(stmt));
  }
  forward->range = rangeFrom(start);
  return success();
}

LogicalResult Parser::parseStmt(Stmt &stmt) {
  SMLoc start = tok.getLoc();
  if (tok.is(Token::kw_return)) {
    consume();
    stmt.kind = Stmt::Kind::Return;
    stmt.value = parseExpr();
    if (!stmt.value)
      return failure();
    // `return a, b`: a block returning several values. A ',' before the
    // closing brace is a separator.
    while (tok.is(Token::comma) && peek().isNot(Token::r_brace) &&
           peek().isNot(Token::eof)) {
      consume();
      ExprPtr value = parseExpr();
      if (!value)
        return failure();
      stmt.moreValues.push_back(std::move(value));
    }
    stmt.range = rangeFrom(start);
    return success();
  }
  if (tok.isNot(Token::identifier) ||
      (peek().isNot(Token::equal) && peek().isNot(Token::comma)))
    return emitError("expected a statement ('name = expression' or 'return "
                     "expression'), found " +
                     describeTok());
  stmt.kind = Stmt::Kind::Assign;
  stmt.target = tok.getSpelling().str();
  stmt.targetRange = tok.getLocRange();
  consume(); // name
  // `a, b = ...`: one name per value of a block returning several.
  while (consumeIf(Token::comma)) {
    if (tok.isNot(Token::identifier))
      return emitError("expected a name after ',' in an assignment of "
                       "several values, found " +
                       describeTok());
    stmt.moreTargets.emplace_back(tok.getSpelling().str(), tok.getLocRange());
    consume();
  }
  if (failed(expect(Token::equal, "after the names assigned")))
    return failure();
  stmt.value = parseExpr();
  if (!stmt.value)
    return failure();
  stmt.range = rangeFrom(start);
  return success();
}

LogicalResult Parser::parseArgs(std::vector<Arg> &args, unsigned depth) {
  SMLoc open = tok.getLoc();
  consume(); // '('
  bool sawKeyword = false;
  llvm::StringSet<> keywords;
  while (tok.isNot(Token::r_paren)) {
    Arg arg;
    if (tok.is(Token::identifier) && peek().is(Token::equal)) {
      arg.name = tok.getSpelling().str();
      arg.nameRange = tok.getLocRange();
      consume(); // name
      consume(); // '='
      if (!keywords.insert(arg.name).second)
        return emitError(arg.nameRange.Start,
                         "argument '" + arg.name + "' is given twice",
                         arg.nameRange);
      sawKeyword = true;
    } else if (sawKeyword) {
      return emitError("positional argument after a keyword argument");
    }
    arg.value = parseExpr(depth);
    if (!arg.value)
      return failure();
    args.push_back(std::move(arg));
    if (!consumeIf(Token::comma))
      break;
  }
  if (tok.is(Token::eof))
    return emitError(open, "unterminated '(': expected ')' before end of file",
                     {open, prevEnd});
  return expect(Token::r_paren, "to close the argument list");
}

ExprPtr Parser::parseAdd(unsigned depth) {
  return parseBinary(depth, Token::plus, Token::minus, &Parser::parseMul);
}

ExprPtr Parser::parseMul(unsigned depth) {
  return parseBinary(depth, Token::star, Token::slash, &Parser::parseUnary);
}

ExprPtr Parser::parseBinary(unsigned depth, Token::Kind first,
                            Token::Kind second,
                            ExprPtr (Parser::*operand)(unsigned)) {
  SMLoc start = tok.getLoc();
  ExprPtr lhs = (this->*operand)(depth);
  while (lhs && tok.isAny(first, second)) {
    char op = tok.getSpelling().front();
    SMLoc opLoc = tok.getLoc();
    if (failed(checkDepth(++depth)))
      return nullptr;
    consume();
    ExprPtr rhs = (this->*operand)(depth);
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(op, std::move(lhs), std::move(rhs),
                                       rangeFrom(start), opLoc);
  }
  return lhs;
}

ExprPtr Parser::parseUnary(unsigned depth) {
  if (tok.isNot(Token::minus))
    return parsePrimary(depth);
  SMLoc start = tok.getLoc();
  if (failed(checkDepth(depth + 1)))
    return nullptr;
  consume();
  ExprPtr operand = parseUnary(depth + 1);
  if (!operand)
    return nullptr;
  return std::make_unique<UnaryExpr>('-', std::move(operand), rangeFrom(start));
}

ExprPtr Parser::parsePrimary(unsigned depth) {
  SMLoc start = tok.getLoc();
  switch (tok.getKind()) {
  case Token::integer: {
    std::optional<int64_t> value = tok.getIntegerValue();
    if (!value) {
      (void)emitError("integer literal '" + tok.getSpelling() +
                      "' is too large (the maximum is 9223372036854775807)");
      return nullptr;
    }
    consume();
    return std::make_unique<IntExpr>(*value, rangeFrom(start));
  }
  case Token::floatliteral: {
    std::optional<double> value = tok.getFloatValue();
    if (!value) {
      (void)emitError("number '" + tok.getSpelling() + "' is out of range");
      return nullptr;
    }
    consume();
    return std::make_unique<FloatExpr>(*value, rangeFrom(start));
  }
  case Token::string: {
    std::string value = tok.getStringValue();
    consume();
    return std::make_unique<StringExpr>(std::move(value), rangeFrom(start));
  }
  case Token::kw_true:
  case Token::kw_false: {
    bool value = tok.is(Token::kw_true);
    consume();
    return std::make_unique<BoolExpr>(value, rangeFrom(start));
  }
  case Token::identifier: {
    std::string name = tok.getSpelling().str();
    SMRange nameRange = tok.getLocRange();
    consume();
    if (tok.is(Token::l_square)) {
      if (failed(checkDepth(depth + 1)))
        return nullptr;
      consume();
      ExprPtr index = parseAdd(depth + 1);
      if (!index || failed(expect(Token::r_square, "to close '['")))
        return nullptr;
      return std::make_unique<IndexExpr>(std::move(name), nameRange,
                                         std::move(index), rangeFrom(start));
    }
    if (tok.isNot(Token::l_paren))
      return std::make_unique<IdentExpr>(std::move(name), nameRange);
    if (failed(checkDepth(depth + 1)))
      return nullptr;
    std::vector<Arg> args;
    if (failed(parseArgs(args, depth + 1)))
      return nullptr;
    return std::make_unique<CallExpr>(std::move(name), nameRange,
                                      std::move(args), rangeFrom(start));
  }
  case Token::l_paren: {
    if (failed(checkDepth(depth + 1)))
      return nullptr;
    consume();
    ExprPtr inner = parseAdd(depth + 1);
    if (!inner)
      return nullptr;
    if (tok.is(Token::eof)) {
      (void)emitError(start,
                      "unterminated '(': expected ')' before end of file",
                      {start, prevEnd});
      return nullptr;
    }
    if (failed(expect(Token::r_paren, "to close '('")))
      return nullptr;
    return inner;
  }
  case Token::error:
    return nullptr;
  default:
    (void)emitError("expected an expression, found " + describeTok());
    return nullptr;
  }
}

std::unique_ptr<File> loom::dsl::parseFile(llvm::SourceMgr &srcMgr,
                                           unsigned bufferId,
                                           DiagnosticEngine &diags) {
  if (bufferId == 0 || bufferId > srcMgr.getNumBuffers()) {
    diags.error(SMLoc(), "invalid source buffer");
    return nullptr;
  }
  unsigned errorsBefore = diags.getNumErrors();
  Parser parser(srcMgr, bufferId, diags);
  std::unique_ptr<File> file = parser.parseFile(bufferId);
  if (!file || diags.getNumErrors() != errorsBefore)
    return nullptr;
  file->sourceMgr = &srcMgr;
  return file;
}
