//===- Unicode.cpp - UTF-8 and Unicode properties for tokenizers ----------===//

#include "tokenizer/Unicode.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <array>

namespace loom::unicode {

char32_t next(std::string_view text, size_t &position) {
  int32_t offset = int32_t(position);
  UChar32 c;
  U8_NEXT(reinterpret_cast<const uint8_t *>(text.data()), offset,
          int32_t(text.size()), c);
  if (c < 0) {
    // U8_NEXT skipped the ill-formed sequence; the callers expect one byte.
    ++position;
    return 0xFFFD;
  }
  position = size_t(offset);
  return char32_t(c);
}

void append(std::string &out, char32_t c) {
  uint8_t buffer[U8_MAX_LENGTH];
  int32_t length = 0;
  UBool error = false;
  U8_APPEND(buffer, length, U8_MAX_LENGTH, UChar32(c), error);
  if (error) {
    append(out, 0xFFFD);
    return;
  }
  out.append(reinterpret_cast<const char *>(buffer), size_t(length));
}

std::vector<char32_t> decode(std::string_view text) {
  std::vector<char32_t> chars;
  chars.reserve(text.size());
  for (size_t position = 0; position < text.size();)
    chars.push_back(next(text, position));
  return chars;
}

size_t sequenceLength(unsigned char lead) {
  if (lead < 0xC0)
    return 1;
  if (lead < 0xE0)
    return 2;
  if (lead < 0xF0)
    return 3;
  return 4;
}

size_t completePrefix(std::string_view bytes) {
  // Look back at most three bytes for the start of the last sequence.
  size_t size = bytes.size();
  for (size_t back = 1; back <= std::min<size_t>(4, size); ++back) {
    unsigned char byte = static_cast<unsigned char>(bytes[size - back]);
    if ((byte & 0xC0) == 0x80)
      continue; // A continuation byte: keep looking for the lead.
    if (byte < 0x80)
      return size;
    return sequenceLength(byte) > back ? size - back : size;
  }
  return size;
}

bool isWhitespace(char32_t c) {
  return u_hasBinaryProperty(UChar32(c), UCHAR_WHITE_SPACE);
}

bool isNumeric(char32_t c) {
  int8_t type = u_charType(UChar32(c));
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER ||
         type == U_OTHER_NUMBER;
}

bool isAlphanumeric(char32_t c) {
  return u_hasBinaryProperty(UChar32(c), UCHAR_ALPHABETIC) || isNumeric(c);
}

/// Whether `c` was assigned by Unicode 8.0. BERT's predicates in
/// `tokenizers` read the general categories from tables of that version
/// (the `unicode_categories` crate): a character added later has no
/// category there, so it is neither punctuation, nor a control character,
/// nor a mark.
static bool inUnicode8(char32_t c) {
  UVersionInfo age;
  u_charAge(UChar32(c), age);
  return (age[0] != 0 || age[1] != 0) &&
         (age[0] < 8 || (age[0] == 8 && age[1] == 0));
}

bool isPunctuation(char32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
           (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  if (!inUnicode8(c))
    return false;
  switch (u_charType(UChar32(c))) {
  case U_DASH_PUNCTUATION:
  case U_START_PUNCTUATION:
  case U_END_PUNCTUATION:
  case U_CONNECTOR_PUNCTUATION:
  case U_OTHER_PUNCTUATION:
  case U_INITIAL_PUNCTUATION:
  case U_FINAL_PUNCTUATION:
    return true;
  default:
    return false;
  }
}

bool isControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r' || !inUnicode8(c))
    return false;
  int8_t type = u_charType(UChar32(c));
  return type == U_CONTROL_CHAR || type == U_FORMAT_CHAR ||
         type == U_PRIVATE_USE_CHAR || type == U_SURROGATE;
}

bool isChinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool isNonspacingMark(char32_t c) {
  return inUnicode8(c) && u_charType(UChar32(c)) == U_NON_SPACING_MARK;
}

std::string normalize(std::string_view text, Form form) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2 *normalizer = nullptr;
  switch (form) {
  case Form::NFC:
    normalizer = unorm2_getNFCInstance(&status);
    break;
  case Form::NFD:
    normalizer = unorm2_getNFDInstance(&status);
    break;
  case Form::NFKC:
    normalizer = unorm2_getNFKCInstance(&status);
    break;
  case Form::NFKD:
    normalizer = unorm2_getNFKDInstance(&status);
    break;
  }
  // ICU works on UTF-16: convert (ill-formed bytes become U+FFFD),
  // normalize, convert back.
  std::u16string wide(text.size() + 1, u'\0');
  int32_t wideLength = 0;
  u_strFromUTF8WithSub(wide.data(), int32_t(wide.size()), &wideLength,
                       text.data(), int32_t(text.size()), 0xFFFD, nullptr,
                       &status);
  if (U_FAILURE(status))
    return std::string(text);
  std::u16string normalized(size_t(wideLength) * 4 + 16, u'\0');
  int32_t length =
      unorm2_normalize(normalizer, wide.data(), wideLength, normalized.data(),
                       int32_t(normalized.size()), &status);
  if (U_FAILURE(status))
    return std::string(text);
  std::string out(size_t(length) * 3 + 1, '\0');
  int32_t outLength = 0;
  u_strToUTF8(out.data(), int32_t(out.size()), &outLength, normalized.data(),
              length, &status);
  if (U_FAILURE(status))
    return std::string(text);
  out.resize(size_t(outLength));
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t position = 0; position < text.size();) {
    char32_t c = next(text, position);
    if (c == 0x130) { // The one unconditional multi-character lowercasing.
      out += 'i';
      append(out, 0x307);
      continue;
    }
    append(out, char32_t(u_tolower(UChar32(c))));
  }
  return out;
}

namespace {
/// GPT-2's `bytes_to_unicode`: printable Latin-1 bytes stand for
/// themselves; the others take code points from 256 on, in byte order.
struct ByteAlphabet {
  /// The 188 printable bytes and 68 others: characters below 256 + 68.
  static constexpr char32_t kEnd = 256 + 68;
  std::array<char32_t, 256> toChar;
  std::array<int, kEnd> toByte;
  ByteAlphabet() {
    toByte.fill(-1);
    char32_t extra = 256;
    for (int byte = 0; byte < 256; ++byte) {
      bool printable = (byte >= 33 && byte <= 126) ||
                       (byte >= 161 && byte <= 172) || byte >= 174;
      toChar[size_t(byte)] = printable ? char32_t(byte) : extra++;
      toByte[toChar[size_t(byte)]] = byte;
    }
  }
};
const ByteAlphabet &byteAlphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}
} // namespace

char32_t byteToChar(unsigned char byte) { return byteAlphabet().toChar[byte]; }

int charToByte(char32_t c) {
  return c < ByteAlphabet::kEnd ? byteAlphabet().toByte[c] : -1;
}

} // namespace loom::unicode
