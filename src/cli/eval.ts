// `loco eval <samples.jsonl>`: measure a model against teacher labels (one backend turn per
// sample), `loco eval score <results.jsonl>`: re-score saved outputs without a model,
// `loco eval --compare a/results.jsonl b/results.jsonl`: two runs side by side.
// stdout carries only the report (a table, or one JSON object); progress goes to stderr.
import { wholeNumberFlag } from '../flags.js';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { createBackendFromSpec } from '../backends/spec.js';
import type { ServerKind } from '../backends/openai-compatible.js';
import { LocoError } from '../errors.js';
import { compareReports, formatComparison } from '../eval/compare.js';
import { buildReport, runEvaluation, type EvalReport } from '../eval/evaluate.js';
import { reportJson, writeReportFiles } from '../eval/report-files.js';
import { formatTextReport } from '../eval/report-text.js';
import { readResults } from '../eval/results-file.js';
import { loadSamples } from '../eval/samples.js';
import { DEFAULT_SAMPLING } from '../protocol/messages.js';
import type { CommandIo } from './io.js';
import { defaultBackendSpec } from './model.js';

export interface EvalCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

export interface EvalFlags {
  backend?: string;
  model?: string;
  concurrency?: string;
  runs?: string;
  temperature?: string;
  maxTokens?: string;
  limit?: string;
  out?: string;
  json?: boolean;
  compare?: string[];
  serverKind?: string;
  threads?: string;
  ctxSize?: string;
  gpuLayers?: string;
  modelsDir?: string;
  pull?: boolean;
  verbose?: boolean;
}



function temperatureOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SAMPLING.temperature;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 2) throw new LocoError('usage', `--temperature must be a number from 0 to 2 (got "${text}")`);
  return value;
}

/** Creates --out (and checks it is a directory) before any generation is spent. */
async function prepareOutDir(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new LocoError('usage', `cannot use --out ${dir}: ${(error as Error).message} (give a directory for report.md, report.html and results.jsonl)`);
  }
}

async function printReport(report: EvalReport, flags: { out?: string; json?: boolean }, io: EvalCommandIo, writeResults: boolean): Promise<void> {
  if (flags.out !== undefined) {
    const written = await writeReportFiles(flags.out, report, { results: writeResults });
    io.stderr.write(`loco: wrote ${[...(writeResults ? [] : [path.join(flags.out, 'results.jsonl')]), ...written.files].join(', ')}\n`);
  }
  io.stdout.write(flags.json ? `${JSON.stringify(reportJson(report))}\n` : formatTextReport(report));
}

function progressReporter(io: EvalCommandIo, verbose: boolean): ((done: number, total: number, failed: number) => void) | undefined {
  const tty = io.stderr.isTTY === true;
  if (!tty && !verbose) return undefined;
  let lastShown = 0;
  return (done, total, failed) => {
    const text = `loco: eval ${done}/${total}${failed > 0 ? ` (${failed} failed)` : ''}`;
    if (tty) io.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    else if (done === total || done - lastShown >= Math.max(1, Math.floor(total / 20))) {
      lastShown = done;
      io.stderr.write(`${text}\n`);
    }
  };
}

export async function runEval(samplesFile: string | undefined, flags: EvalFlags, io: EvalCommandIo): Promise<number> {
  if (flags.compare !== undefined) return runCompare(samplesFile, flags, io);
  if (samplesFile === undefined) {
    throw new LocoError('usage', 'give a samples file: loco eval <samples.jsonl> (or loco eval score <results.jsonl>, or loco eval --compare a.jsonl b.jsonl)');
  }
  const concurrency = wholeNumberFlag('--concurrency', flags.concurrency, 1, 256) ?? 1;
  const runs = wholeNumberFlag('--runs', flags.runs, 1, 1000) ?? 1;
  const temperature = temperatureOf(flags.temperature);
  const maxTokens = wholeNumberFlag('--max-tokens', flags.maxTokens, 1, 1_000_000) ?? DEFAULT_SAMPLING.maxTokens;
  const limit = wholeNumberFlag('--limit', flags.limit, 1, Number.MAX_SAFE_INTEGER);
  const threads = wholeNumberFlag('--threads', flags.threads, 1, 512);
  const contextSize = wholeNumberFlag('--ctx-size', flags.ctxSize, 256, 1_048_576);
  const gpuLayers = flags.gpuLayers === 'auto' ? 'auto' : (wholeNumberFlag('--gpu-layers', flags.gpuLayers, 0, 10_000) ?? 'auto');

  const all = await loadSamples(samplesFile);
  const samples = limit === undefined ? all : all.slice(0, limit);
  await prepareOutDir(flags.out);
  if (runs > 1 && temperature === 0) {
    io.stderr.write('loco: note: --runs at temperature 0 measures only the backend\'s nondeterminism; use a temperature above 0 for a spread\n');
  }

  const model = flags.model ?? io.env.LOCO_MODEL;
  const spec = (flags.backend ?? io.env.LOCO_BACKEND)?.trim() || (await defaultBackendSpec({ modelsDir: flags.modelsDir, pull: flags.pull ?? true }, io));
  const backend = await createBackendFromSpec(spec, {
    apiKey: io.env.LOCO_API_KEY ?? io.env.OPENAI_API_KEY,
    model,
    serverKind: (flags.serverKind ?? io.env.LOCO_SERVER_KIND) as ServerKind | undefined,
    threads,
    contextSize,
    gpuLayers,
    // One KV sequence per worker, so --concurrency really runs that many in-process.
    sequences: concurrency,
  });
  if (flags.verbose || io.stderr.isTTY) {
    io.stderr.write(`loco: eval of ${samples.length} samples x ${runs} run(s) on ${backend.info.description}, concurrency ${concurrency}\n`);
  }
  let report: EvalReport;
  try {
    report = await runEvaluation({
      samples,
      samplesFile,
      backend,
      sampling: { ...DEFAULT_SAMPLING, temperature, maxTokens },
      model,
      runs,
      concurrency,
      outDir: flags.out,
      signal: io.signal,
      onProgress: progressReporter(io, flags.verbose ?? false),
    });
  } finally {
    await backend.close();
  }
  await printReport(report, flags, io, false);
  if (io.signal.aborted) {
    io.stderr.write('loco: interrupted; the report covers the samples finished so far\n');
    return 130;
  }
  if (report.metrics.scored === 0) {
    const first = report.records.find((record) => record.error)?.error;
    io.stderr.write(`loco: every generation failed${first ? `: ${first.message}` : ''}\n`);
    return 1;
  }
  if (report.failed > 0) io.stderr.write(`loco: ${report.failed} generations failed and were left out of the metrics (see results.jsonl)\n`);
  return 0;
}

async function runCompare(samplesFile: string | undefined, flags: EvalFlags, io: EvalCommandIo): Promise<number> {
  const files = flags.compare ?? [];
  if (samplesFile !== undefined || files.length !== 2) {
    throw new LocoError('usage', 'compare takes exactly two results files: loco eval --compare a/results.jsonl b/results.jsonl');
  }
  const [a, b] = await Promise.all(files.map(async (file) => buildReport((await readResults(file)).records)));
  const comparison = compareReports(a, b, { a: files[0], b: files[1] });
  io.stdout.write(flags.json ? `${JSON.stringify(comparison)}\n` : formatComparison(comparison, 'text'));
  return 0;
}

export async function runScore(resultsFile: string, flags: { out?: string; json?: boolean }, io: EvalCommandIo): Promise<number> {
  const { header, records } = await readResults(resultsFile);
  await prepareOutDir(flags.out);
  await printReport(buildReport(records, header), flags, io, true);
  return 0;
}

export function registerEvalCommand(program: Command, io: EvalCommandIo): void {
  const command = program
    .command('eval')
    .description('Measure a model against teacher labels: tool call presence, first tool type, JSON validity, argument syntax and more')
    .argument('[samples]', 'JSONL, one sample a line: {"id", "messages": [OpenAI chat messages], "label": "<the next assistant message>", "meta"?}')
    .option('-b, --backend <spec>', 'gguf:<file.gguf>, an OpenAI-compatible base URL or fake:<script.jsonl>; env LOCO_BACKEND; default: the embedded engine on the default model')
    .option('-m, --model <name>', 'model name to ask the backend for; env LOCO_MODEL')
    .option('-c, --concurrency <n>', 'samples generated at once (default 1)')
    .option('--runs <k>', 'generate every sample k times and report mean, spread and pass^k (default 1)')
    .option('-t, --temperature <t>', `sampling temperature (default ${DEFAULT_SAMPLING.temperature}, the model card's)`)
    .option('--max-tokens <n>', `longest answer in tokens (default ${DEFAULT_SAMPLING.maxTokens})`)
    .option('--limit <n>', 'use only the first n samples')
    .option('-o, --out <dir>', 'write report.md, report.html and results.jsonl (raw outputs and verdicts) there')
    .option('--json', 'print one JSON object {metrics, samples} instead of the table')
    .option('--compare <results...>', 'compare two results.jsonl files side by side instead of running a model')
    .addOption(new Option('--server-kind <kind>', 'server differences to account for').choices(['llamacpp', 'vllm', 'ollama', 'openrouter', 'openai']))
    .option('--threads <n>', 'embedded engine: CPU threads')
    .option('--ctx-size <tokens>', 'embedded engine: context size per sample')
    .option('--gpu-layers <n|auto>', 'embedded engine: layers on the GPU; 0 forces the CPU (default auto)')
    .option('--models-dir <dir>', 'where models are cached (env LOCO_MODELS_DIR)')
    .option('--no-pull', 'do not download the default model when it is missing')
    .option('-v, --verbose', 'show progress on stderr even when it is not a terminal')
    .action(async (samples: string | undefined, flags: EvalFlags) => {
      io.setExitCode(await runEval(samples, flags, io));
    });
  command
    .command('score')
    .description('Re-score a results.jsonl written by loco eval --out, without a model')
    .argument('<results>', 'a results.jsonl file')
    .option('-o, --out <dir>', 'write report.md, report.html and the re-scored results.jsonl there')
    .option('--json', 'print one JSON object {metrics, samples} instead of the table')
    .action(async (file: string, _flags: unknown, score: Command) => {
      // The program parses options anywhere on the line, so `eval` may have taken --json or
      // --out written after `score`: read them from both.
      const flags = score.optsWithGlobals<{ out?: string; json?: boolean }>();
      io.setExitCode(await runScore(file, { out: flags.out, json: flags.json }, io));
    });
}
