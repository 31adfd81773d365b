// Page parsing (render/page.h) up to the Markdown limits, beside the
// unbounded reference in the same run (docs/performance.md, "Markdown
// limits"). Target (issue 13): render cost linear in table size up to the
// limits. The *_Unbounded benchmarks parse with MarkdownLimits::unlimited(),
// which only this benchmark uses: the cost the limits take away.
// Run: build/<release>/bench/markdown_bench
#include <benchmark/benchmark.h>

#include <set>
#include <string>

#include "render/markdown_limits.h"
#include "render/page.h"

namespace {

using namespace vitrine::render;

const std::set<std::string> kNoMacros;

// A header, the delimiter row and `rows` - 1 body rows: columns x rows cells.
std::string table(std::size_t columns, std::size_t rows) {
  std::string header, delimiter, row;
  for (std::size_t c = 0; c < columns; ++c) {
    header += "| h" + std::to_string(c) + " ";
    delimiter += "|---";
    row += "| v" + std::to_string(c) + " ";
  }
  std::string out = header + "|\n" + delimiter + "|\n";
  for (std::size_t r = 1; r < rows; ++r) out += row + "|\n";
  return out;
}

void parse(benchmark::State& state, const std::string& md, const MarkdownLimits& limits,
           bool expect_refused, double units) {
  for (auto _ : state) {
    ParsedPage page = parse_page(md, kNoMacros, limits);
    if (page.over_limit.has_value() != expect_refused) {
      state.SkipWithError(page.over_limit ? page.over_limit->message.c_str()
                                          : "expected a refusal");
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  // Seconds per unit (cell, byte, run), printed as e.g. "40n".
  state.counters["per_unit"] = benchmark::Counter(
      units, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes"] = static_cast<double>(md.size());
}

// Tables within the limits: cells from 1k up to the 100k limit at 16, 64
// and 256 (the limit) columns. Linear: the time per cell stays flat as
// rows grow; it grows with columns (cmark walks a row's earlier cells for
// each cell) up to the bound the column limit sets.
void BM_Table(benchmark::State& state) {
  const auto columns = static_cast<std::size_t>(state.range(0));
  const auto cells = static_cast<std::size_t>(state.range(1));
  const std::string md = table(columns, cells / columns);
  parse(state, md, MarkdownLimits{}, false, static_cast<double>(columns * (cells / columns)));
}
BENCHMARK(BM_Table)
    ->ArgsProduct({{16, 64, 256}, {1'000, 10'000, 100'000}})
    ->Unit(benchmark::kMillisecond);

// The input: one wide table of two rows. Unbounded, the cost per
// cell grows with the width; with the limits it is refused after one scan.
void BM_WideTable_Unbounded(benchmark::State& state) {
  const auto columns = static_cast<std::size_t>(state.range(0));
  parse(state, table(columns, 2), MarkdownLimits::unlimited(), false,
        static_cast<double>(columns * 2));
}
BENCHMARK(BM_WideTable_Unbounded)
    ->Arg(1'000)
    ->Arg(5'000)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond);

void BM_WideTable_Refused(benchmark::State& state) {
  const auto columns = static_cast<std::size_t>(state.range(0));
  parse(state, table(columns, 2), MarkdownLimits{}, true, static_cast<double>(columns * 2));
}
BENCHMARK(BM_WideTable_Refused)->Arg(1'000)->Arg(5'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

// Padding: a 1,000-column header and one-character rows (each padded to
// 1,000 cells). Unbounded, 8 KB of rows render 20 MB.
void BM_PaddedRows_Unbounded(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  std::string md = table(1'000, 1);
  for (std::size_t r = 0; r < rows; ++r) md += "x\n";
  parse(state, md, MarkdownLimits::unlimited(), false, static_cast<double>(1'000 * (rows + 1)));
}
BENCHMARK(BM_PaddedRows_Unbounded)->Arg(1'000)->Arg(4'000)->Unit(benchmark::kMillisecond);

// Strikethrough delimiters in one paragraph: "~~a " openers then "b~ "
// closers. Per unit: one delimiter run.
std::string strike_paragraph(std::size_t runs) {
  std::string md;
  for (std::size_t i = 0; i < runs / 2; ++i) md += "~~a ";
  md += "\n";
  for (std::size_t i = 0; i < runs / 2; ++i) md += "b~ ";
  return md + "\n\n";
}

void BM_StrikeParagraph_Unbounded(benchmark::State& state) {
  const auto runs = static_cast<std::size_t>(state.range(0));
  parse(state, strike_paragraph(runs), MarkdownLimits::unlimited(), false,
        static_cast<double>(runs));
}
BENCHMARK(BM_StrikeParagraph_Unbounded)
    ->Arg(2'000)
    ->Arg(20'000)
    ->Arg(80'000)
    ->Unit(benchmark::kMillisecond);

// The worst within the limits: paragraphs of 2,000 runs (the limit) filling
// up to 1 MiB. Linear: the time per run is that of one 2,000-run paragraph.
void BM_StrikeParagraphs_AtLimit(benchmark::State& state) {
  const auto paragraphs = static_cast<std::size_t>(state.range(0));
  std::string md;
  for (std::size_t p = 0; p < paragraphs; ++p) md += strike_paragraph(2'000);
  parse(state, md, MarkdownLimits{}, false, static_cast<double>(paragraphs * 2'000));
}
BENCHMARK(BM_StrikeParagraphs_AtLimit)->Arg(1)->Arg(10)->Arg(140)->Unit(benchmark::kMillisecond);

// Reference: ordinary prose with emphasis and links, per byte, and the
// limit check alone on the same page.
std::string prose(std::size_t bytes) {
  std::string md;
  for (int i = 0; md.size() < bytes; ++i) {
    md += "## Section " + std::to_string(i) +
          "\n\nSome *text* with `code`, **bold** and a [link](https://x.example/" +
          std::to_string(i) + ").\n\n- item one\n- item ~~two~~\n\n";
  }
  return md;
}

void BM_Prose(benchmark::State& state) {
  const std::string md = prose(static_cast<std::size_t>(state.range(0)));
  parse(state, md, MarkdownLimits{}, false, static_cast<double>(md.size()));
}
BENCHMARK(BM_Prose)->Arg(64 << 10)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_LimitCheckOnly(benchmark::State& state) {
  const std::string md = prose(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(check_markdown_limits(md));
  state.counters["per_unit"] = benchmark::Counter(
      static_cast<double>(md.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LimitCheckOnly)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
