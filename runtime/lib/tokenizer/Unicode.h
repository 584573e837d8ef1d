//===- Unicode.h - UTF-8 and Unicode properties for tokenizers --*- C++ -*-===//
//
// The character classes and normalization forms Hugging Face tokenizers
// use, on UTF-8 strings. Properties and normalization come from ICU (the
// Unicode tables are not written by hand); this file only adapts them to
// the definitions the tokenizers library uses (Rust's `char` predicates).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_TOKENIZER_UNICODE_H
#define LOOM_RUNTIME_TOKENIZER_UNICODE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::unicode {

/// Decodes the code point at `text[position]` and advances `position`; an
/// invalid sequence decodes as U+FFFD and advances one byte.
char32_t next(std::string_view text, size_t &position);

/// Appends `c` to `out` as UTF-8.
void append(std::string &out, char32_t c);

/// The code points of `text`.
std::vector<char32_t> decode(std::string_view text);

/// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray
/// continuation byte).
size_t sequenceLength(unsigned char lead);

/// The length of the longest prefix of `bytes` that is whole UTF-8
/// sequences (an incomplete sequence at the end is left out).
size_t completePrefix(std::string_view bytes);

/// Rust's `char::is_whitespace` (the White_Space property).
bool isWhitespace(char32_t c);
/// Rust's `char::is_numeric` (general categories Nd, Nl, No).
bool isNumeric(char32_t c);
/// Rust's `char::is_alphanumeric` (Alphabetic or numeric).
bool isAlphanumeric(char32_t c);
/// Unicode punctuation (general categories P*) or ASCII punctuation, as
/// BERT's tokenizer defines it.
bool isPunctuation(char32_t c);
/// A control character BERT's cleaning removes (categories Cc, Cf, Co, Cs
/// except tab, newline and carriage return).
bool isControl(char32_t c);
/// A CJK ideograph (the blocks BERT pads with spaces).
bool isChinese(char32_t c);
/// A non-spacing mark (category Mn), what `StripAccents` removes.
bool isNonspacingMark(char32_t c);

/// A Unicode normalization form.
enum class Form { NFC, NFD, NFKC, NFKD };
/// `text` in normalization form `form` (invalid UTF-8 is replaced first).
std::string normalize(std::string_view text, Form form);
/// `text` lowercased code point by code point, as Rust's
/// `char::to_lowercase` (U+0130 becomes "i\u0307").
std::string lowercase(std::string_view text);

/// GPT-2's byte-level alphabet: the printable code point each byte maps to.
char32_t byteToChar(unsigned char byte);
/// The byte a byte-level alphabet character stands for, or -1.
int charToByte(char32_t c);

} // namespace loom::unicode

#endif // LOOM_RUNTIME_TOKENIZER_UNICODE_H
