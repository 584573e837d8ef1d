//===- ConfigEval.cpp - Constant values and expressions -------------------===//
//
// Evaluation of the constant expressions of the language: config entries,
// layer and block arguments, stack and loop counts. Integers are 64-bit and
// checked for overflow; int / int must divide exactly.
//
//===----------------------------------------------------------------------===//

#include "dsl/ElabImpl.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace loom::dsl;
using namespace loom::dsl::detail;
using llvm::SMLoc;
using llvm::SMRange;

//===----------------------------------------------------------------------===//
// Reporter
//===----------------------------------------------------------------------===//

bool Reporter::isNew(SMLoc loc, const std::string &msg) {
  return seen.insert({loc.getPointer(), msg}).second;
}

void Reporter::error(SMLoc loc, const llvm::Twine &msg,
                     llvm::ArrayRef<SMRange> ranges) {
  std::string text = msg.str();
  ++numErrors;
  lastDropped = !isNew(loc, text);
  if (!lastDropped)
    diags.error(loc, text, ranges);
}

void Reporter::warning(SMLoc loc, const llvm::Twine &msg,
                       llvm::ArrayRef<SMRange> ranges) {
  std::string text = msg.str();
  lastDropped = !isNew(loc, text);
  if (!lastDropped)
    diags.warning(loc, text, ranges);
}

void Reporter::note(SMLoc loc, const llvm::Twine &msg) {
  if (!lastDropped)
    diags.note(loc, msg);
}

std::string
loom::dsl::detail::didYouMean(llvm::StringRef name,
                              llvm::ArrayRef<llvm::StringRef> candidates) {
  llvm::StringRef best;
  unsigned bestDistance = 0;
  // Names of one or two letters get no suggestions (any would be as close);
  // longer ones allow about one edit per three letters, and at least two (a
  // transposition).
  unsigned maxDistance =
      name.size() < 3 ? 0 : std::max<unsigned>(2, (name.size() + 2) / 3);
  for (llvm::StringRef candidate : candidates) {
    if (candidate == name || candidate.empty())
      continue;
    unsigned distance = name.edit_distance(candidate, /*AllowReplacements=*/
                                           true, maxDistance);
    // Differences in case only count as one edit.
    if (name.equals_insensitive(candidate))
      distance = 1;
    if (distance > maxDistance)
      continue;
    if (best.empty() || distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best.empty())
    return "";
  return ("; did you mean '" + best + "'?").str();
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

llvm::StringRef loom::dsl::detail::describeKind(ConfigValue::Kind kind) {
  switch (kind) {
  case ConfigValue::Kind::Int:
    return "integer";
  case ConfigValue::Kind::Float:
    return "number";
  case ConfigValue::Kind::Bool:
    return "bool";
  case ConfigValue::Kind::String:
    return "string";
  }
  return "value";
}

std::string loom::dsl::detail::formatValue(const ConfigValue &value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  switch (value.kind) {
  case ConfigValue::Kind::Int:
    os << value.intValue;
    break;
  case ConfigValue::Kind::Float: {
    // Shortest form that reads back the same value.
    char buf[64];
    for (int precision = 1; precision <= 17; ++precision) {
      snprintf(buf, sizeof(buf), "%.*g", precision, value.floatValue);
      if (std::strtod(buf, nullptr) == value.floatValue)
        break;
    }
    os << buf;
    llvm::StringRef s(buf);
    if (std::isfinite(value.floatValue) &&
        s.find_first_of(".e") == llvm::StringRef::npos)
      os << ".0";
    break;
  }
  case ConfigValue::Kind::Bool:
    os << (value.boolValue ? "true" : "false");
    break;
  case ConfigValue::Kind::String:
    os << '"';
    os.write_escaped(value.stringValue);
    os << '"';
    break;
  }
  return text;
}

std::string loom::dsl::detail::describeValue(const ConfigValue &value) {
  return (describeKind(value.kind) + " " + formatValue(value)).str();
}

ConfigValue loom::dsl::detail::makeInt(int64_t v, SMRange range) {
  ConfigValue value;
  value.kind = ConfigValue::Kind::Int;
  value.intValue = v;
  value.range = range;
  return value;
}

ConfigValue loom::dsl::detail::makeFloat(double v, SMRange range) {
  ConfigValue value;
  value.kind = ConfigValue::Kind::Float;
  value.floatValue = v;
  value.range = range;
  return value;
}

double loom::dsl::detail::toDouble(const ConfigValue &value) {
  return value.kind == ConfigValue::Kind::Int
             ? static_cast<double>(value.intValue)
             : value.floatValue;
}

bool loom::dsl::detail::isNumber(const ConfigValue &value) {
  return value.kind == ConfigValue::Kind::Int ||
         value.kind == ConfigValue::Kind::Float;
}

std::optional<ConfigValue>
loom::dsl::detail::parseOverrideValue(llvm::StringRef text) {
  text = text.trim();
  if (text.empty())
    return std::nullopt;
  ConfigValue value;
  if (text == "true" || text == "false") {
    value.kind = ConfigValue::Kind::Bool;
    value.boolValue = text == "true";
    return value;
  }
  if (text.front() == '"') {
    if (text.size() < 2 || text.back() != '"')
      return std::nullopt;
    llvm::StringRef body = text.drop_front().drop_back();
    value.kind = ConfigValue::Kind::String;
    for (size_t i = 0; i < body.size(); ++i) {
      char c = body[i];
      if (c == '"')
        return std::nullopt;
      if (c != '\\') {
        value.stringValue.push_back(c);
        continue;
      }
      if (++i == body.size())
        return std::nullopt;
      char e = body[i];
      if (e == 'n')
        value.stringValue.push_back('\n');
      else if (e == 't')
        value.stringValue.push_back('\t');
      else if (e == '"' || e == '\\')
        value.stringValue.push_back(e);
      else
        return std::nullopt;
    }
    return value;
  }
  char first = text.front();
  if (llvm::isDigit(first) || first == '-' || first == '+' || first == '.') {
    llvm::StringRef digits = text;
    bool negative = digits.consume_front("-");
    if (!negative)
      digits.consume_front("+");
    uint64_t magnitude = 0;
    if (!digits.empty() && llvm::all_of(digits, llvm::isDigit)) {
      if (digits.getAsInteger(10, magnitude) ||
          magnitude > static_cast<uint64_t>(INT64_MAX))
        return std::nullopt;
      int64_t v = static_cast<int64_t>(magnitude);
      return makeInt(negative ? -v : v);
    }
    // digits [. digits] [(e|E) [+-] digits], with at least one digit before
    // the exponent.
    llvm::StringRef rest = digits;
    size_t mantissaDigits = 0;
    while (!rest.empty() && llvm::isDigit(rest.front()))
      rest = rest.drop_front(), ++mantissaDigits;
    if (rest.consume_front("."))
      while (!rest.empty() && llvm::isDigit(rest.front()))
        rest = rest.drop_front(), ++mantissaDigits;
    if (mantissaDigits == 0)
      return std::nullopt;
    if (rest.consume_front("e") || rest.consume_front("E")) {
      if (!rest.consume_front("+"))
        rest.consume_front("-");
      if (rest.empty() || !llvm::all_of(rest, llvm::isDigit))
        return std::nullopt;
      rest = "";
    }
    if (!rest.empty())
      return std::nullopt;
    double d = 0;
    if (digits.getAsDouble(d) || !std::isfinite(d))
      return std::nullopt;
    return makeFloat(negative ? -d : d);
  }
  // A bare word is a string.
  for (char c : text)
    if (!llvm::isAlnum(c) && c != '_' && c != '.' && c != '-' && c != '/')
      return std::nullopt;
  value.kind = ConfigValue::Kind::String;
  value.stringValue = text.str();
  return value;
}

//===----------------------------------------------------------------------===//
// ConstEvaluator
//===----------------------------------------------------------------------===//

std::optional<ConfigValue> ConstEvaluator::eval(const Expr &expr,
                                                const ConstScope &scope,
                                                unsigned depth) {
  if (depth > 4 * 256) {
    rep.error(expr.getRange(), "expression is nested too deeply");
    return std::nullopt;
  }
  SMRange range = expr.getRange();
  switch (expr.getKind()) {
  case Expr::Kind::Int:
    return makeInt(llvm::cast<IntExpr>(expr).getValue(), range);
  case Expr::Kind::Float:
    return makeFloat(llvm::cast<FloatExpr>(expr).getValue(), range);
  case Expr::Kind::Bool: {
    ConfigValue value;
    value.kind = ConfigValue::Kind::Bool;
    value.boolValue = llvm::cast<BoolExpr>(expr).getValue();
    value.range = range;
    return value;
  }
  case Expr::Kind::String: {
    ConfigValue value;
    value.kind = ConfigValue::Kind::String;
    value.stringValue = llvm::cast<StringExpr>(expr).getValue().str();
    value.range = range;
    return value;
  }
  case Expr::Kind::Ident: {
    llvm::StringRef name = llvm::cast<IdentExpr>(expr).getName();
    if (const ConfigValue *value = scope.lookup(name)) {
      ConfigValue copy = *value;
      copy.range = range;
      return copy;
    }
    if (scope.poisoned.contains(name))
      return std::nullopt;
    if (scope.later.contains(name)) {
      rep.error(range, "config entry '" + name +
                           "' is used before it is defined; an entry may only "
                           "use the entries above it");
      return std::nullopt;
    }
    std::vector<llvm::StringRef> candidates(scope.order.begin(),
                                            scope.order.end());
    std::string msg = ("unknown name '" + name + "'").str();
    if (scope.what.empty())
      msg += " (no names are visible here)";
    else if (scope.what == "config entry")
      msg += " (not a config entry)";
    else
      msg += " (not a " + scope.what + ")";
    rep.error(range, msg + didYouMean(name, candidates));
    return std::nullopt;
  }
  case Expr::Kind::Unary: {
    const auto &unary = llvm::cast<UnaryExpr>(expr);
    std::optional<ConfigValue> operand =
        eval(unary.getOperand(), scope, depth + 1);
    if (!operand)
      return std::nullopt;
    return negate(*operand, range);
  }
  case Expr::Kind::Binary: {
    const auto &binary = llvm::cast<BinaryExpr>(expr);
    std::optional<ConfigValue> lhs = eval(binary.getLHS(), scope, depth + 1);
    std::optional<ConfigValue> rhs = eval(binary.getRHS(), scope, depth + 1);
    if (!lhs || !rhs)
      return std::nullopt;
    return applyBinary(binary.getOp(), *lhs, *rhs, binary.getOpLoc(), range);
  }
  case Expr::Kind::Index: {
    const auto &index = llvm::cast<IndexExpr>(expr);
    rep.error(index.getRange(),
              "cannot index '" + index.getBase() +
                  "' here: only constants, names and + - * / are allowed "
                  "in this expression");
    return std::nullopt;
  }
  case Expr::Kind::Call: {
    const auto &call = llvm::cast<CallExpr>(expr);
    rep.error(call.getCalleeRange(),
              "cannot call '" + call.getCallee() +
                  "' here: only constants, names and + - * / are allowed "
                  "in this expression");
    return std::nullopt;
  }
  }
  return std::nullopt;
}

std::optional<ConfigValue> ConstEvaluator::negate(const ConfigValue &value,
                                                  SMRange range) {
  if (value.kind == ConfigValue::Kind::Int) {
    if (value.intValue == INT64_MIN) {
      rep.error(range, "integer overflow in negation");
      return std::nullopt;
    }
    return makeInt(-value.intValue, range);
  }
  if (value.kind == ConfigValue::Kind::Float)
    return makeFloat(-value.floatValue, range);
  rep.error(range, "cannot negate a " + describeKind(value.kind));
  return std::nullopt;
}

std::optional<ConfigValue> ConstEvaluator::applyBinary(char op,
                                                       const ConfigValue &lhs,
                                                       const ConfigValue &rhs,
                                                       SMLoc opLoc,
                                                       SMRange range) {
  if (!isNumber(lhs) || !isNumber(rhs)) {
    const ConfigValue &bad = isNumber(lhs) ? rhs : lhs;
    rep.error(opLoc,
              "operator '" + llvm::Twine(op) + "' needs numbers, but got " +
                  describeValue(bad),
              {range});
    return std::nullopt;
  }
  if (lhs.kind == ConfigValue::Kind::Int &&
      rhs.kind == ConfigValue::Kind::Int) {
    int64_t a = lhs.intValue, b = rhs.intValue, r = 0;
    bool overflow = false;
    switch (op) {
    case '+':
      overflow = llvm::AddOverflow(a, b, r);
      break;
    case '-':
      overflow = llvm::SubOverflow(a, b, r);
      break;
    case '*':
      overflow = llvm::MulOverflow(a, b, r);
      break;
    case '/':
      if (b == 0) {
        rep.error(opLoc, "division by zero", {range});
        return std::nullopt;
      }
      if (a == INT64_MIN && b == -1) {
        overflow = true;
        break;
      }
      if (a % b != 0) {
        rep.error(opLoc,
                  "integer division " + llvm::Twine(a) + " / " +
                      llvm::Twine(b) + " is not exact; write a float (e.g. " +
                      llvm::Twine(a) + ".0 / " + llvm::Twine(b) +
                      ") for a fractional result",
                  {range});
        return std::nullopt;
      }
      r = a / b;
      break;
    default:
      break;
    }
    if (overflow) {
      rep.error(opLoc,
                "integer overflow in " + llvm::Twine(a) + " " +
                    llvm::Twine(op) + " " + llvm::Twine(b),
                {range});
      return std::nullopt;
    }
    return makeInt(r, range);
  }
  double a = toDouble(lhs), b = toDouble(rhs), r = 0;
  switch (op) {
  case '+':
    r = a + b;
    break;
  case '-':
    r = a - b;
    break;
  case '*':
    r = a * b;
    break;
  case '/':
    if (b == 0) {
      rep.error(opLoc, "division by zero", {range});
      return std::nullopt;
    }
    r = a / b;
    break;
  default:
    break;
  }
  if (!std::isfinite(r)) {
    rep.error(opLoc, "floating-point overflow", {range});
    return std::nullopt;
  }
  return makeFloat(r, range);
}

std::optional<int64_t>
ConstEvaluator::evalPositiveInt(const Expr &expr, const ConstScope &scope,
                                const llvm::Twine &what) {
  std::optional<ConfigValue> value = eval(expr, scope);
  if (!value)
    return std::nullopt;
  if (value->kind != ConfigValue::Kind::Int || value->intValue <= 0) {
    rep.error(expr.getRange(), what + " must be a positive integer, but is " +
                                   describeValue(*value));
    return std::nullopt;
  }
  return value->intValue;
}
