//===- CliTest.cpp - The compiled program's command line ------------------===//

#include "loom/Cli.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

ProgramInfo decoderInfo() {
  ProgramInfo info;
  info.modelName = "Llama";
  return info;
}

ProgramInfo encoderInfo() {
  ProgramInfo info;
  info.modelName = "Bert";
  info.isEncoder = true;
  return info;
}

Expected<CliOptions> parse(std::vector<std::string> args,
                           const ProgramInfo &info = decoderInfo()) {
  std::vector<const char *> argv = {"./model"};
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  return parseCommandLine(static_cast<int>(argv.size()), argv.data(), info);
}

std::string parseError(std::vector<std::string> args,
                       const ProgramInfo &info = decoderInfo()) {
  Expected<CliOptions> result = parse(std::move(args), info);
  EXPECT_FALSE(result) << "expected an error";
  return result ? std::string() : result.getError();
}

/// The arguments every decoder run needs, followed by `extra`.
std::vector<std::string> withBase(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--weights", "w.safetensors", "--prompt-ids",
                                   "1 2 3"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CliTest, Defaults) {
  Expected<CliOptions> result = parse(withBase({}));
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->weights, std::vector<std::string>{"w.safetensors"});
  EXPECT_EQ(result->promptIds, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(result->maxNewTokens, 32);
  EXPECT_EQ(result->sampling.temperature, 0.0);
  EXPECT_EQ(result->sampling.topK, 0);
  EXPECT_EQ(result->sampling.topP, 1.0);
  EXPECT_EQ(result->sampling.seed, 0u);
  EXPECT_EQ(result->threads, 0);
  EXPECT_FALSE(result->bench);
  EXPECT_FALSE(result->help);
  EXPECT_FALSE(result->version);
  EXPECT_TRUE(result->output.empty());
}

TEST(CliTest, EveryDecoderFlag) {
  Expected<CliOptions> result = parse(
      withBase({"-n", "7", "--temperature", "0.8", "--top-k", "40", "--top-p",
                "0.95", "--seed", "123", "--threads", "2", "--bench"}));
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->maxNewTokens, 7);
  EXPECT_DOUBLE_EQ(result->sampling.temperature, 0.8);
  EXPECT_EQ(result->sampling.topK, 40);
  EXPECT_DOUBLE_EQ(result->sampling.topP, 0.95);
  EXPECT_EQ(result->sampling.seed, 123u);
  EXPECT_EQ(result->threads, 2);
  EXPECT_TRUE(result->bench);
}

TEST(CliTest, EqualsForm) {
  Expected<CliOptions> result =
      parse({"--weights=dir/", "--prompt-ids=4,5, 6", "--max-new-tokens=0",
             "-n=3", "--temperature=1.5", "--top-k=2", "--top-p=1", "--seed=9",
             "--threads=1"});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->weights, std::vector<std::string>{"dir/"});
  // Several checkpoints read as one.
  Expected<CliOptions> several =
      parse({"--weights", "a.safetensors", "--weights", "b.safetensors",
             "--prompt-ids", "1"});
  ASSERT_TRUE(several) << several.getError();
  EXPECT_EQ(several->weights,
            (std::vector<std::string>{"a.safetensors", "b.safetensors"}));
  EXPECT_EQ(result->promptIds, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(result->maxNewTokens, 3); // The last one wins.
  EXPECT_DOUBLE_EQ(result->sampling.temperature, 1.5);
  EXPECT_EQ(result->sampling.topK, 2);
  EXPECT_EQ(result->sampling.seed, 9u);
}

TEST(CliTest, FiltersWithoutTemperatureSample) {
  Expected<CliOptions> topK = parse(withBase({"--top-k", "5"}));
  ASSERT_TRUE(topK) << topK.getError();
  EXPECT_EQ(topK->sampling.temperature, 1.0);
  Expected<CliOptions> topP = parse(withBase({"--top-p", "0.5"}));
  ASSERT_TRUE(topP) << topP.getError();
  EXPECT_EQ(topP->sampling.temperature, 1.0);
  Expected<CliOptions> greedy =
      parse(withBase({"--top-k", "5", "--temperature", "0"}));
  ASSERT_TRUE(greedy) << greedy.getError();
  EXPECT_EQ(greedy->sampling.temperature, 0.0);
}

TEST(CliTest, HelpAndVersionSkipRequirements) {
  Expected<CliOptions> help = parse({"--help"});
  ASSERT_TRUE(help) << help.getError();
  EXPECT_TRUE(help->help);
  Expected<CliOptions> shortHelp = parse({"-h"});
  ASSERT_TRUE(shortHelp);
  EXPECT_TRUE(shortHelp->help);
  Expected<CliOptions> version = parse({"--version"});
  ASSERT_TRUE(version);
  EXPECT_TRUE(version->version);
  EXPECT_THAT(parseError({"--help=yes"}), HasSubstr("--help takes no value"));
}

TEST(CliTest, PromptIdsFile) {
  std::string file = std::filesystem::temp_directory_path() /
                     ("loom-cli-prompt-" + std::to_string(::getpid()));
  std::ofstream(file) << "10 20\n30,40\n";
  Expected<CliOptions> result =
      parse({"--weights", "w", "--prompt-ids-file", file});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->promptIds, (std::vector<int64_t>{10, 20, 30, 40}));
  EXPECT_EQ(result->promptIdsFile, file);

  std::ofstream(file, std::ios::trunc) << "10 x1\n";
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids-file", file}),
              HasSubstr(file + ": 'x1' (token 2) is not a token id"));
  std::ofstream(file, std::ios::trunc) << "  \n";
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids-file", file}),
              HasSubstr("the file has no token ids"));
  std::remove(file.c_str());
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids-file", file}),
              HasSubstr("--prompt-ids-file " + file + ": cannot open"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids-file", file,
                          "--prompt-ids", "1"}),
              HasSubstr("--prompt-ids-file and --prompt-ids cannot both be "
                        "given"));
}

TEST(CliTest, TextPrompts) {
  Expected<CliOptions> result = parse(
      {"--weights", "w", "-p", "Hello, world", "--chat", "--system", "Be brief",
       "--ignore-eos", "--tokenizer", "t.json", "--print-prompt-ids"});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->promptText, "Hello, world");
  EXPECT_TRUE(result->chat);
  EXPECT_EQ(result->system, "Be brief");
  EXPECT_TRUE(result->ignoreEos);
  EXPECT_EQ(result->tokenizer, "t.json");
  EXPECT_TRUE(result->printPromptIds);
  EXPECT_TRUE(result->promptIds.empty());

  std::string file = std::filesystem::temp_directory_path() /
                     ("loom-cli-text-" + std::to_string(::getpid()));
  std::ofstream(file) << "Some text\nover two lines\n";
  result = parse({"--weights", "w", "--prompt-file", file});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->promptText, "Some text\nover two lines\n");
  std::ofstream(file, std::ios::trunc) << "";
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-file", file}),
              HasSubstr("--prompt-file " + file + " is empty"));
  std::remove(file.c_str());
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-file", file}),
              HasSubstr("--prompt-file " + file + ": cannot open"));

  EXPECT_THAT(
      parseError({"--weights", "w", "--prompt", "a", "--prompt-ids", "1"}),
      HasSubstr("--prompt and --prompt-ids cannot both be given"));
  EXPECT_THAT(
      parseError({"--weights", "w", "--prompt", "a", "--prompt-file", "f"}),
      HasSubstr("--prompt and --prompt-file cannot both be given"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt", ""}),
              HasSubstr("--prompt is empty"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids", "1", "--chat"}),
              HasSubstr("--chat needs a text prompt"));
  EXPECT_THAT(parseError({"--weights", "w", "-p", "a", "--system", "s"}),
              HasSubstr("--system is the system message of --chat"));
  EXPECT_THAT(parseError({"--weights", "w", "--tokenizer="}),
              HasSubstr("--tokenizer needs a non-empty PATH"));
}

TEST(CliTest, EncoderFlags) {
  Expected<CliOptions> result = parse(
      {"--weights", "w", "--prompt-ids", "101 7592 102", "--output", "out.npy"},
      encoderInfo());
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->output, "out.npy");
  EXPECT_THAT(parseError(withBase({"--output", "out.txt"}), encoderInfo()),
              HasSubstr("--output expects a path ending in .npy or .json, got "
                        "'out.txt'"));
  EXPECT_THAT(parseError(withBase({"-n", "3"}), encoderInfo()),
              HasSubstr("-n is only for decoder models; this program (Bert) "
                        "is an encoder"));
  EXPECT_THAT(parseError(withBase({"--output", "o.npy"})),
              HasSubstr("--output is only for encoder models; this program "
                        "(Llama) is a decoder"));
}

TEST(CliTest, UnknownFlagsGetSuggestions) {
  EXPECT_EQ(parseError(withBase({"--temprature", "1"})),
            "unknown flag '--temprature'; did you mean '--temperature'?");
  EXPECT_EQ(parseError(withBase({"--topk=3"})),
            "unknown flag '--topk'; did you mean '--top-k'?");
  EXPECT_EQ(parseError(withBase({"--weight", "x"})),
            "unknown flag '--weight'; did you mean '--weights'?");
  EXPECT_EQ(parseError(withBase({"--frobnicate"})),
            "unknown flag '--frobnicate'");
  EXPECT_THAT(parseError(withBase({"-x"})), HasSubstr("unknown flag '-x'"));
  // Encoders are not offered decoder flags.
  EXPECT_THAT(parseError(withBase({"--outptu", "a.npy"}), encoderInfo()),
              HasSubstr("did you mean '--output'?"));
}

TEST(CliTest, PositionalArgumentsAreRejected) {
  EXPECT_THAT(parseError(withBase({"hello"})),
              HasSubstr("unexpected argument 'hello'"));
  EXPECT_THAT(parseError(withBase({"5"})),
              HasSubstr("unexpected argument '5'"));
  EXPECT_THAT(parseError(withBase({"-"})),
              HasSubstr("unexpected argument '-'"));
}

TEST(CliTest, MissingValues) {
  EXPECT_EQ(parseError({"--weights"}), "--weights needs a value (PATH)");
  EXPECT_EQ(parseError(withBase({"-n"})), "-n needs a value (N)");
  EXPECT_EQ(parseError({"--weights", "--prompt-ids", "1"}),
            "--weights needs a value (PATH), got the flag '--prompt-ids'");
  EXPECT_THAT(parseError({"--weights=", "--prompt-ids", "1"}),
              HasSubstr("--weights needs a non-empty PATH"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-file="}),
              HasSubstr("--prompt-file needs a non-empty PATH"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids-file="}),
              HasSubstr("--prompt-ids-file needs a non-empty PATH"));
  EXPECT_THAT(parseError(withBase({"--bench=1"})),
              HasSubstr("--bench takes no value"));
}

TEST(CliTest, MissingRequirements) {
  EXPECT_THAT(parseError({"--prompt-ids", "1"}),
              HasSubstr("missing --weights PATH"));
  EXPECT_THAT(parseError({"--weights", "w"}),
              HasSubstr("missing the input: give --prompt \"text\", "
                        "--prompt-file PATH, or token ids"));
  // --bench may run on a synthetic prompt.
  Expected<CliOptions> bench = parse({"--weights", "w", "--bench"});
  ASSERT_TRUE(bench) << bench.getError();
  // A default weights path makes --weights optional.
  ProgramInfo info = decoderInfo();
  info.defaultWeights = "/opt/llama";
  Expected<CliOptions> defaulted = parse({"--prompt-ids", "1"}, info);
  ASSERT_TRUE(defaulted) << defaulted.getError();
  EXPECT_EQ(defaulted->weights, std::vector<std::string>{"/opt/llama"});
}

TEST(CliTest, BadNumbers) {
  EXPECT_EQ(parseError(withBase({"-n", "abc"})),
            "-n expects an integer >= 0, got 'abc'");
  EXPECT_EQ(parseError(withBase({"-n", "-1"})),
            "-n expects an integer >= 0, got '-1'");
  EXPECT_EQ(parseError(withBase({"--max-new-tokens", "2.5"})),
            "--max-new-tokens expects an integer >= 0, got '2.5'");
  EXPECT_EQ(parseError(withBase({"-n", "99999999999999999999"})),
            "-n expects an integer >= 0, got '99999999999999999999'");
  EXPECT_EQ(parseError(withBase({"--top-k", "-3"})),
            "--top-k expects an integer >= 0, got '-3'");
  EXPECT_EQ(parseError(withBase({"--seed", "x"})),
            "--seed expects an integer >= 0, got 'x'");
  EXPECT_EQ(parseError(withBase({"--threads", "-2"})),
            "--threads expects an integer >= 0, got '-2'");
  EXPECT_EQ(parseError(withBase({"--temperature", "hot"})),
            "--temperature expects a number >= 0 (0 is greedy), got 'hot'");
  EXPECT_EQ(parseError(withBase({"--temperature", "-0.5"})),
            "--temperature expects a number >= 0 (0 is greedy), got '-0.5'");
  EXPECT_THAT(parseError(withBase({"--temperature", "inf"})),
              HasSubstr("got 'inf'"));
  EXPECT_THAT(parseError(withBase({"--temperature", "nan"})),
              HasSubstr("got 'nan'"));
  EXPECT_EQ(parseError(withBase({"--top-p", "0"})),
            "--top-p expects a number in (0, 1], got '0'");
  EXPECT_EQ(parseError(withBase({"--top-p", "1.5"})),
            "--top-p expects a number in (0, 1], got '1.5'");
  EXPECT_EQ(parseError(withBase({"--top-p", "-0.1"})),
            "--top-p expects a number in (0, 1], got '-0.1'");
  EXPECT_THAT(parseError(withBase({"-n", "3x"})), HasSubstr("got '3x'"));
  EXPECT_THAT(parseError(withBase({"-n", " 3"})), HasSubstr("got ' 3'"));
}

TEST(CliTest, BadTokenIds) {
  EXPECT_EQ(parseError({"--weights", "w", "--prompt-ids", "1 two 3"}),
            "--prompt-ids: 'two' (token 2) is not a token id; token ids are "
            "non-negative integers");
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids", "1 -5"}),
              HasSubstr("'-5' (token 2) is not a token id"));
  EXPECT_THAT(parseError({"--weights", "w", "--prompt-ids", "1.5"}),
              HasSubstr("'1.5' (token 1) is not a token id"));
  EXPECT_EQ(parseError({"--weights", "w", "--prompt-ids", " , "}),
            "--prompt-ids has no token ids");
}

TEST(CliTest, TokenIdHelpers) {
  Expected<std::vector<int64_t>> ids = parseTokenIds("\t1,2 \n 3\r\n", "x");
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_TRUE(checkTokenIds({0, 31999}, 32000));
  Status status = checkTokenIds({5, 32000}, 32000);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.getError(), "token id 32000 (token 2) is out of range: the "
                               "vocabulary has 32000 tokens (ids 0 to 31999)");
}

TEST(CliTest, UsageListsTheFlags) {
  std::string decoder = usageText("./llama", decoderInfo());
  EXPECT_THAT(decoder, HasSubstr("./llama - the Llama model compiled by Loom"));
  EXPECT_THAT(decoder, HasSubstr("usage: ./llama --weights PATH"));
  for (const char *flag :
       {"--weights PATH", "-p, --prompt TEXT", "--prompt-file PATH",
        "--prompt-ids IDS", "--prompt-ids-file PATH", "--tokenizer PATH",
        "--chat", "--system TEXT", "--ignore-eos", "-n, --max-new-tokens N",
        "--temperature F", "--top-k N", "--top-p F", "--seed N", "--threads N",
        "--bench", "-h, --help", "--version", "LOOM_NUM_THREADS"})
    EXPECT_THAT(decoder, HasSubstr(flag));
  EXPECT_THAT(decoder, Not(HasSubstr("--output")));
  std::string encoder = usageText("./bert", encoderInfo());
  EXPECT_THAT(encoder, HasSubstr("-o, --output PATH"));
  EXPECT_THAT(encoder, HasSubstr("--pooling MODE"));
  EXPECT_THAT(encoder, Not(HasSubstr("--chat")));
  EXPECT_THAT(encoder, Not(HasSubstr("--temperature")));
}

} // namespace

namespace {

TEST(CliTest, ExportWeightsNeedsNoPrompt) {
  Expected<CliOptions> options = parse(
      {"--weights", "w.safetensors", "--export-weights", "out.safetensors"});
  ASSERT_TRUE(bool(options)) << options.getError();
  EXPECT_EQ(options->exportWeights, "out.safetensors");
  EXPECT_EQ(
      parseError({"--weights", "w.safetensors", "--export-weights", "out.npy"}),
      "--export-weights expects a path ending in .safetensors, got "
      "'out.npy'");
}

} // namespace
