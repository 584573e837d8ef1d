#!/usr/bin/env python3
"""Compares Loom's tokenizers with Hugging Face's `tokenizers` library.

    tokenizer_ref.py corpus OUT.jsonl [--lines N]
        writes the test corpus: GPL-3 text, Python source, and generated lines
        with many scripts, whitespace runs, digits and special tokens.
    tokenizer_ref.py make KIND CORPUS DIR
        trains a small tokenizer of KIND (bytelevel, llama3, llama2, wordpiece)
        on the corpus with `tokenizers` and writes DIR/tokenizer.json.
    tokenizer_ref.py smollm2 GGUF DIR
        writes SmolLM2's tokenizer.json (its structure, with the vocabulary
        and merges embedded in the GGUF file).
    tokenizer_ref.py compare TOKENIZER.json CORPUS LOOM.jsonl [--no-special]
        encodes and decodes the corpus with `tokenizers` and checks that
        Loom's output (loom-tokenize --jsonl) has the same ids and text.
    tokenizer_ref.py sentencepiece CORPUS DIR
        trains a SentencePiece BPE model with byte fallback (the
        `sentencepiece` package) and writes DIR/tokenizer.model and
        DIR/vocab.gguf, a GGUF file carrying its pieces, scores and types as
        llama.cpp writes a `llama` vocabulary.
    tokenizer_ref.py compare-spm MODEL CORPUS LOOM.jsonl
        the same check against `sentencepiece` itself, control pieces in the
        text taken as special tokens (as transformers does), BOS added.
"""
import json
import os
import random
import sys
import sysconfig


def corpus_lines(count):
    rng = random.Random(1234)
    lines = []
    gpl = "/usr/share/common-licenses/GPL-3"
    if os.path.exists(gpl):
        with open(gpl, encoding="utf-8") as f:
            lines += [l.rstrip("\n") for l in f]
    stdlib = sysconfig.get_paths()["stdlib"]
    for name in sorted(os.listdir(stdlib)):
        if name.endswith(".py") and len(lines) < count // 2:
            with open(os.path.join(stdlib, name), encoding="utf-8",
                      errors="replace") as f:
                lines += [l.rstrip("\n") for l in f][:400]
    words = [
        "the", "naïve", "café", "Ünïcödé", "straße", "İstanbul", "ΣΊΣΥΦΟΣ",
        "Ελληνικά", "русский", "язык", "東京", "日本語", "中文字符", "한국어",
        "العربية", "עברית", "हिन्दी", "ภาษาไทย", "🙂", "👩‍💻", "🇫🇷", "e\u0301",
        "ﬁ", "Ⅻ", "½", "x²", "don't", "we'll", "I'M", "it's", "they've",
        "foo_bar", "x+=1;", "->", "::", "{}", "[]", "#include", "0x1F",
        "3.14159", "1,000,000", "2026-12-02", "١٢٣", "१२३", "\u00a0", "\u3000",
        "\u200b", "\ufeff", "a\u0000b", "tab\there", "<html>", "</s>",
    ]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[CLS]",
                "[SEP]", "[MASK]", "<s>", "</s>"]
    spaces = [" ", "  ", "   ", "\t", " \t ", "\n", "\r\n", "\n\n", " \n ",
              "\u00a0", "\u3000", "    "]
    while len(lines) < count:
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.6:
                parts.append(rng.choice(words))
            elif r < 0.75:
                parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
            elif r < 0.85:
                parts.append(rng.choice(specials))
            else:
                parts.append("".join(chr(rng.randint(0x20, 0x2FFF))
                                     for _ in range(rng.randint(1, 4))))
            parts.append(rng.choice(spaces) if rng.random() < 0.4 else " ")
        lines.append("".join(parts).rstrip(" ") if rng.random() < 0.5
                     else "".join(parts))
    # Strings that are not valid in JSON/UTF-8 (lone surrogates) are
    # replaced.
    return [l.encode("utf-8", "replace").decode("utf-8") for l in lines]


def write_corpus(path, count):
    lines = corpus_lines(count)
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"corpus: {len(lines)} lines")


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def make(kind, corpus, directory):
    from tokenizers import (Tokenizer, decoders, models, normalizers,
                            pre_tokenizers, processors, trainers, Regex)
    texts = read_corpus(corpus)
    os.makedirs(directory, exist_ok=True)
    if kind == "bytelevel":  # GPT-2 / SmolLM2 style.
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False)])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=3000, special_tokens=["<|endoftext|>", "<|im_start|>",
                                             "<|im_end|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(texts, trainer)
    elif kind == "llama3":  # A split regex, ignore_merges, a BOS template.
        pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                   r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
                   r"\s+(?!\S)|\s+")
        tok = Tokenizer(models.BPE(ignore_merges=True))
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False,
                                     use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=3000,
            special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(texts, trainer)
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", special_tokens=[
                ("<|begin_of_text|>", bos)])
    elif kind == "llama2":  # SentencePiece-style BPE with byte fallback.
        tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True,
                                   fuse_unk=True))
        tok.normalizer = normalizers.Sequence([
            normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([
            decoders.Replace("▁", " "), decoders.ByteFallback(),
            decoders.Fuse(), decoders.Strip(" ", 1, 0)])
        trainer = trainers.BpeTrainer(
            vocab_size=2000, special_tokens=["<unk>", "<s>", "</s>"],
            limit_alphabet=150)
        tok.train_from_iterator(texts, trainer)
        # Byte tokens are ordinary vocabulary entries, as in Llama 2's file.
        spec = json.loads(tok.to_str())
        vocab = spec["model"]["vocab"]
        for byte in range(256):
            vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
        bos = vocab["<s>"]
        spec["post_processor"] = json.loads(processors.TemplateProcessing(
            single="<s> $A", special_tokens=[("<s>", bos)]).__getstate__())
        tok = Tokenizer.from_str(json.dumps(spec))
    elif kind == "wordpiece":  # BERT, cased, with accents kept.
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=False)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=3000, special_tokens=["[PAD]", "[UNK]", "[CLS]",
                                             "[SEP]", "[MASK]"])
        tok.train_from_iterator(texts, trainer)
        tok.post_processor = processors.BertProcessing(
            ("[SEP]", tok.token_to_id("[SEP]")),
            ("[CLS]", tok.token_to_id("[CLS]")))
    else:
        sys.exit(f"unknown kind {kind}")
    tok.save(os.path.join(directory, "tokenizer.json"))


def smollm2(gguf_path, directory):
    import gguf
    reader = gguf.GGUFReader(gguf_path)

    def strings(key):
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    tokens = strings("tokenizer.ggml.tokens")
    merges = strings("tokenizer.ggml.merges")
    field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(field.parts[i][0]) for i in field.data]
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, (t, ty) in enumerate(zip(tokens, types)) if ty == 3]
    spec = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False,
             "trim_offsets": True, "use_regex": True}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True,
                           "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True,
                    "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": merges}}
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "tokenizer.json"), "w",
              encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)


def compare(tokenizer_path, corpus, loom_path, special):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_path)
    # Padding and truncation are the caller's business, not tokenization.
    tok.no_padding()
    tok.no_truncation()
    texts = read_corpus(corpus)
    with open(loom_path, encoding="utf-8") as f:
        loom = [json.loads(l) for l in f]
    if len(loom) != len(texts):
        sys.exit(f"Loom wrote {len(loom)} lines for {len(texts)} inputs")
    encodings = tok.encode_batch(texts, add_special_tokens=special)
    bad_ids = bad_text = bad_raw = 0
    tokens = roundtrip = 0
    for number, (text, enc, ours) in enumerate(zip(texts, encodings, loom), 1):
        tokens += len(enc.ids)
        if enc.ids != ours["ids"]:
            bad_ids += 1
            if bad_ids <= 5:
                print(f"line {number}: {json.dumps(text, ensure_ascii=False)}"
                      f"\n  tokenizers: {enc.ids}\n  loom:       "
                      f"{ours['ids']}")
            continue
        decoded = tok.decode(enc.ids)
        if decoded != ours["text"]:
            bad_text += 1
            if bad_text <= 5:
                print(f"line {number}: decode differs\n  tokenizers: "
                      f"{json.dumps(decoded, ensure_ascii=False)}\n  loom:"
                      f"       {json.dumps(ours['text'], ensure_ascii=False)}")
        raw = tok.decode(enc.ids, skip_special_tokens=False)
        if raw != ours["raw"]:
            bad_raw += 1
            if bad_raw <= 5:
                print(f"line {number}: decode with specials differs\n  "
                      f"tokenizers: {json.dumps(raw, ensure_ascii=False)}\n"
                      f"  loom:       {json.dumps(ours['raw'], ensure_ascii=False)}")
        roundtrip += raw == text
    print(f"{os.path.basename(os.path.dirname(tokenizer_path))}: "
          f"{len(texts)} lines, {tokens} tokens; ids differ on {bad_ids}, "
          f"decoded text on {bad_text}, with specials on {bad_raw}; "
          f"{roundtrip} lines decode back to the input")
    return 1 if bad_ids or bad_text or bad_raw else 0


def sentencepiece_model(corpus, directory):
    import gguf
    import numpy as np
    import sentencepiece as spm
    os.makedirs(directory, exist_ok=True)
    texts = [t for t in read_corpus(corpus) if t.strip()]
    prefix = os.path.join(directory, "tokenizer")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_prefix=prefix,
        model_type="bpe", vocab_size=2000, byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        split_digits=True, character_coverage=0.98,
        max_sentence_length=100000, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    writer = gguf.GGUFWriter(os.path.join(directory, "vocab.gguf"), "llama")
    writer.add_tokenizer_model("llama")
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    types = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_byte(i):
            types.append(6)
        elif sp.is_unused(i):
            types.append(5)
        else:
            types.append(1)
    writer.add_token_list(pieces)
    writer.add_token_scores([sp.get_score(i) for i in range(len(pieces))])
    writer.add_token_types(types)
    writer.add_bos_token_id(sp.bos_id())
    writer.add_eos_token_id(sp.eos_id())
    writer.add_unk_token_id(sp.unk_id())
    writer.add_tensor("token_embd.weight", np.zeros((4, 32), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def compare_spm(model, corpus, loom_path):
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=model)
    controls = sorted((sp.id_to_piece(i) for i in range(sp.get_piece_size())
                       if sp.is_control(i)), key=len, reverse=True)
    texts = read_corpus(corpus)
    with open(loom_path, encoding="utf-8") as f:
        loom = [json.loads(l) for l in f]

    def encode(text):
        ids = [sp.bos_id()]
        start = i = 0
        while i < len(text):
            hit = next((c for c in controls if text.startswith(c, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                ids += sp.encode(text[start:i])
            ids.append(sp.piece_to_id(hit))
            i += len(hit)
            start = i
        if start < len(text):
            ids += sp.encode(text[start:])
        return ids

    def decode(ids, skip):
        if skip:  # As transformers: the remaining pieces decoded together.
            return sp.decode([i for i in ids if not sp.is_control(i)])
        out, run = "", []
        for i in ids:
            if sp.is_control(i):
                out += sp.decode(run) + sp.id_to_piece(i)
                run = []
            else:
                run.append(i)
        return out + sp.decode(run)

    bad_ids = bad_text = 0
    tokens = roundtrip = 0
    for number, (text, ours) in enumerate(zip(texts, loom), 1):
        want = encode(text)
        tokens += len(want)
        if want != ours["ids"]:
            bad_ids += 1
            if bad_ids <= 5:
                print("line %d: %s\n  sentencepiece: %s\n  loom:          %s"
                      % (number, json.dumps(text, ensure_ascii=False), want,
                         ours["ids"]))
            continue
        if decode(want, True) != ours["text"] or \
                decode(want, False) != ours["raw"]:
            bad_text += 1
            if bad_text <= 5:
                print("line %d: decode differs: %r vs %r, with specials %r "
                      "vs %r" % (number, decode(want, True), ours["text"],
                                 decode(want, False), ours["raw"]))
        roundtrip += ours["text"] == text
    print("%s: %d lines, %d tokens; ids differ on %d, decoded text on %d; "
          "%d lines decode back to the input" % (
              os.path.basename(loom_path), len(texts), tokens, bad_ids,
              bad_text, roundtrip))
    return 1 if bad_ids or bad_text else 0


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    if args[0] == "corpus":
        count = int(args[3]) if len(args) > 3 and args[2] == "--lines" \
            else 10000
        write_corpus(args[1], count)
    elif args[0] == "make":
        make(args[1], args[2], args[3])
    elif args[0] == "smollm2":
        smollm2(args[1], args[2])
    elif args[0] == "sentencepiece":
        sentencepiece_model(args[1], args[2])
    elif args[0] == "compare-spm":
        sys.exit(compare_spm(args[1], args[2], args[3]))
    elif args[0] == "compare":
        sys.exit(compare(args[1], args[2], args[3],
                         "--no-special" not in args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
