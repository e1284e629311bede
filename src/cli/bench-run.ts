// `loco bench run <tasks.jsonl> --out <dir>`: every task answered on a checkout of its commit,
// by the explorer on any backend `loco batch` takes (same flags) or by a baseline that needs
// no model (`--backend baseline:bm25|oracle`). Thin: parse flags, call explore-bench/run.ts,
// print. Exit codes as `loco batch`: 0 all answered, 1 some failed, 2 bad input, 130 Ctrl-C.
import type { Command } from 'commander';
import { openBatchOutput } from '../batch/output.js';
import { createBatchProgress } from '../batch/progress.js';
import { DEFAULT_RETRY_POLICY } from '../batch/retry.js';
import { loadTemplate } from '../batch/template.js';
import { LocoError } from '../errors.js';
import { BASELINE_PREFIX, BASELINES, baselineOf, createBaseline } from '../explore-bench/baselines.js';
import { benchTemplate, prepareBench, runBench, type BenchAnswering, type BenchRunResult } from '../explore-bench/run.js';
import { formatSeconds } from '../format.js';
import { detectSandbox } from '../tools/sandbox.js';
import { explorerProfileOf } from './explorer-options.js';
import { addBatchRunOptions, batchExplorerSettings, batchRunFlags, createBatchBackend, resumeCommand, type BatchFlags } from './batch.js';

/** `--out` is required here (commander enforces it). */
type BenchRunFlags = BatchFlags & { out: string };
import type { CommandIo } from './io.js';

function closingReport(result: BenchRunResult, out: string, tasksFile: string): string[] {
  const { totals, run } = result.summary;
  const { checkouts } = result;
  const earlier = totals.resumed > 0 ? `; ${totals.resumed} from earlier runs` : '';
  const timedOut = totals.timedOut > 0 ? `, ${totals.timedOut} timed out` : '';
  const pending = totals.pending > 0 ? `, ${totals.pending} not run` : '';
  const lines = [
    `loco bench run: ${totals.ok} ok, ${totals.failed} failed${timedOut}${pending} (of ${totals.queries} tasks${earlier}) in ${formatSeconds(run.wallMs / 1000)}`,
    `  checkouts: ${checkouts.made} made${checkouts.reused > 0 ? `, ${checkouts.reused} reused from a killed run` : ''} for ${checkouts.commits} commits of ${checkouts.tasks} tasks (one per commit; all removed)`,
  ];
  for (const failure of result.summary.failures.slice(0, 10)) lines.push(`  ${failure.status} ${failure.id} (line ${failure.line}): ${failure.reason ?? ''}`);
  if (result.summary.failures.length > 10) lines.push(`  … ${result.summary.failures.length - 10} more in summary.json`);
  lines.push(`  answers: ${out}/<id>.md, traces: ${out}/traces/; score with: loco bench score ${out} --tasks ${tasksFile}`);
  return lines;
}

export async function runBenchRunCommand(tasksFile: string, flags: BenchRunFlags, io: CommandIo, resumeWith: string): Promise<number> {
  const cwd = process.cwd();
  const run = batchRunFlags(flags, io);
  const { config, concurrency, retries, timeoutS } = run;
  const baseline = baselineOf(config.backend);
  if (baseline === undefined && config.backend?.startsWith(BASELINE_PREFIX)) {
    throw new LocoError('usage', `unknown baseline "${config.backend}": choose ${BASELINES.map((name) => `${BASELINE_PREFIX}${name}`).join(' or ')}`);
  }
  // Everything that can be wrong with the input is found before a model is loaded or a file written.
  const prepared = await prepareBench(tasksFile, { repo: flags.repo, cwd });
  const template = flags.template === undefined ? benchTemplate() : await loadTemplate(flags.template, cwd);
  const profile = await explorerProfileOf(run);
  const explorerSettings = batchExplorerSettings(run, profile);
  let answering: BenchAnswering;
  let description: string;
  let close = async () => undefined as void;
  let load = async () => undefined as void;
  if (baseline !== undefined) {
    const answerer = createBaseline(baseline);
    answering = { baseline: answerer };
    description = answerer.description;
  } else {
    const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
    const backend = await createBatchBackend(run, io);
    answering = { explorer: { backend, template, explorer: { sandbox, ...explorerSettings }, retry: { ...DEFAULT_RETRY_POLICY, retries }, timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000 } };
    description = `${backend.info.description} (sandbox ${sandbox})`;
    close = () => backend.close();
    load = async () => void (await backend.load?.());
  }
  try {
    const output = await openBatchOutput(flags.out);
    let result: BenchRunResult;
    const progress = createBatchProgress(io.stderr, { tty: io.stderr.isTTY === true });
    try {
      // A model that cannot load would fail every task: fail once, before the run starts.
      await load();
      io.stderr.write(`loco: bench run of ${prepared.tasks.length} tasks (${prepared.commits.size} commits) into ${output.dir} with ${description} (concurrency ${concurrency})\n`);
      result = await runBench({
        prepared,
        output,
        answering,
        concurrency,
        force: flags.force ?? false,
        signal: io.signal,
        onProgress: progress.onProgress,
        settings: {
          queriesFile: tasksFile,
          out: output.dir,
          backend: baseline === undefined ? description : `${BASELINE_PREFIX}${baseline}`,
          template: baseline === undefined ? template.source : '(none: a baseline reads the question itself)',
          concurrency,
          retries,
          timeoutPerQueryS: timeoutS,
          maxTurns: baseline === undefined ? (config.maxTurns ?? profile.maxTurns) : 0,
          ...(baseline === undefined ? { profile: profile.name } : {}),
          force: flags.force ?? false,
        },
      });
    } finally {
      progress.stop();
      await output.release();
    }
    for (const line of closingReport(result, output.dir, tasksFile)) io.stdout.write(`${line}\n`);
    if (result.interrupted) {
      const { totals } = result.summary;
      io.stderr.write(`loco: interrupted with ${totals.pending} of ${totals.queries} tasks left; nothing half-written was kept and the checkouts were removed. Resume with:\n  ${resumeWith}\n`);
      return 130;
    }
    return result.summary.failures.length > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

export function registerBenchRunCommand(bench: Command, io: CommandIo & { setExitCode: (code: number) => void }): void {
  const command = bench
    .command('run')
    .description('Answer every task of a task file on a read-only checkout of its commit (one per commit, holding only the history up to it, removed afterwards), in `loco batch` layout; resumable')
    .argument('<tasks>', 'a task file from `loco bench make`')
    .requiredOption('-o, --out <dir>', 'folder for <id>.md answers, traces/<id>.jsonl and summary.json (checkouts live in <dir>/.checkouts while it runs)')
    .option('-r, --repo <dir>', "a clone to check the tasks' commits out of (default: each task's own repo)");
  addBatchRunOptions(command, `, or a baseline without a model: ${BASELINES.map((name) => `${BASELINE_PREFIX}${name}`).join(', ')}`).action(
    async (tasks: string, flags: BenchRunFlags, self: Command) => {
      io.setExitCode(await runBenchRunCommand(tasks, flags, io, resumeCommand(self, tasks, ['loco', 'bench', 'run'])));
    },
  );
}
