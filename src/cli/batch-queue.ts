// The queue side of `loco batch`: `loco batch <queries> --queue URL` submits the queries as
// jobs for `loco worker`s; `loco batch status --queue URL` shows where the queue stands (a
// progress bar on a terminal, plain lines otherwise; --watch follows it until it is empty);
// `loco batch collect --queue URL --out dir` writes finished answers into the usual layout.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchQuery } from '../batch/input.js';
import { openBatchOutput } from '../batch/output.js';
import type { BatchSettings } from '../batch/summary.js';
import type { PromptTemplate } from '../batch/template.js';
import { LocoError } from '../errors.js';
import { wholeNumberFlag } from '../flags.js';
import { collectResults } from '../fleet/collect.js';
import { parseQueueUrl, type FleetJobData } from '../fleet/jobs.js';
import { openQueue, queueCounts, submitBatch, type QueueCounts } from '../fleet/submit.js';
import type { CommandIo } from './io.js';

export interface QueueSubmission {
  queue: string;
  queries: readonly BatchQuery[];
  template: PromptTemplate;
  explorer: FleetJobData['explorer'];
  settings: BatchSettings;
  timeoutMs?: number;
  retries: number;
}

/** Submits a batch to the queue and says what became of each query; returns the exit code. */
export async function submitToQueue(submission: QueueSubmission, io: CommandIo): Promise<number> {
  const address = parseQueueUrl(submission.queue);
  const result = await submitBatch({ address, queries: submission.queries, template: submission.template, explorer: submission.explorer, settings: submission.settings, timeoutMs: submission.timeoutMs, attempts: submission.retries + 1 });
  io.stdout.write(`loco batch: ${result.total} queries on ${address.label}: ${result.added} new, ${result.existing} already queued or done (not redone), ${result.retried} failed before and queued again\n`);
  for (const same of result.sameAsEarlier) io.stdout.write(`  ${same.id} asks what ${same.earlierId} asks (same repo, commit, question and settings): collect writes one answer, under ${same.earlierId}\n`);
  io.stdout.write(`  run workers: loco worker --queue ${submission.queue} --backend <spec>; follow: loco batch status --queue ${submission.queue} --watch; then: loco batch collect --queue ${submission.queue} --out <dir>\n`);
  return 0;
}

function countsLine(counts: QueueCounts): string {
  return `waiting ${counts.waiting}  active ${counts.active}  done ${counts.done}  failed ${counts.failed}`;
}

async function runStatus(flags: { queue: string; watch?: boolean; interval?: string }, io: CommandIo): Promise<number> {
  const address = parseQueueUrl(flags.queue);
  const intervalMs = wholeNumberFlag('--interval', flags.interval, 100, 3_600_000) ?? 1_000;
  const queue = openQueue(address);
  let bar: cliProgress.SingleBar | undefined;
  try {
    let counts = await queueCounts(queue);
    const total = () => counts.waiting + counts.active + counts.done + counts.failed;
    if (io.stdout.isTTY === true) {
      bar = new cliProgress.SingleBar({ stream: io.stdout, hideCursor: true, format: `${address.label} [{bar}] {value}/{total}  {line}` }, cliProgress.Presets.shades_classic);
      bar.start(total(), counts.done + counts.failed, { line: countsLine(counts) });
    } else {
      io.stdout.write(`${address.label}: ${countsLine(counts)}\n`);
    }
    let last = countsLine(counts);
    while (flags.watch === true && counts.waiting + counts.active > 0 && !io.signal.aborted) {
      await sleep(intervalMs, undefined, { signal: io.signal }).catch(() => undefined);
      counts = await queueCounts(queue);
      const line = countsLine(counts);
      if (bar) {
        bar.setTotal(total());
        bar.update(counts.done + counts.failed, { line });
      } else if (line !== last) io.stdout.write(`${address.label}: ${line}\n`);
      last = line;
    }
    return counts.failed > 0 ? 1 : 0;
  } finally {
    bar?.stop();
    await queue.close();
  }
}

async function runCollect(flags: { queue: string; out: string }, io: CommandIo): Promise<number> {
  const address = parseQueueUrl(flags.queue);
  const queue = openQueue(address);
  try {
    const output = await openBatchOutput(flags.out);
    try {
      const result = await collectResults(queue, output);
      const { totals } = result.summary;
      const timedOut = totals.timedOut > 0 ? `, ${totals.timedOut} timed out` : '';
      io.stdout.write(`loco batch collect: ${totals.ok} ok, ${totals.failed} failed${timedOut}, ${totals.pending} still queued or running (of ${totals.queries}); ${result.written} written now, ${result.alreadyThere} already in ${output.dir}\n`);
      for (const failure of result.summary.failures.slice(0, 10)) io.stdout.write(`  ${failure.status} ${failure.id}: ${failure.reason ?? ''}\n`);
      io.stdout.write(`  answers: ${output.dir}/<id>.md, traces: ${output.dir}/traces/, summary: ${output.summaryPath}\n`);
      if (result.pending > 0) return 3;
      return result.summary.failures.length > 0 ? 1 : 0;
    } finally {
      await output.release();
    }
  } finally {
    await queue.close();
  }
}

/** Adds `status` and `collect` under `loco batch`. */
export function registerBatchQueueCommands(batch: Command, io: CommandIo & { setExitCode: (code: number) => void }): void {
  batch
    .command('status')
    .description('Show a queued batch: jobs waiting, active, done and failed (a progress bar on a terminal)')
    .requiredOption('-q, --queue <url>', 'the queue: redis://host:port/N')
    .option('-w, --watch', 'keep showing until nothing is waiting or active')
    .option('--interval <ms>', 'with --watch: time between two looks (default 1000)')
    .action(async (flags: { queue: string; watch?: boolean; interval?: string }) => {
      io.setExitCode(await runStatus(flags, io));
    });
  batch
    .command('collect')
    .description('Write the finished jobs of a queued batch into <dir>: <id>.md answers, traces/, summary.json, each answer once; exit 3 while jobs are left')
    .requiredOption('-q, --queue <url>', 'the queue: redis://host:port/N')
    .requiredOption('-o, --out <dir>', 'folder for the answers, traces and summary.json (created if missing)')
    .action(async (flags: { queue: string; out: string }) => {
      io.setExitCode(await runCollect(flags, io));
    });
}

/** --queue with flags that only a local run uses is a mistake worth naming. */
export function checkQueueFlags(flags: { queue?: string; out?: string; force?: boolean; concurrency?: string }): void {
  if (flags.queue === undefined) {
    if (flags.out === undefined) throw new LocoError('usage', "required option '-o, --out <dir>' not specified (or pass --queue redis://host:port/N to hand the batch to workers)");
    return;
  }
  if (flags.out !== undefined) throw new LocoError('usage', `--out does not apply to --queue: workers keep the results in the queue; write them with \`loco batch collect --queue ${flags.queue} --out ${flags.out}\``);
  if (flags.force) throw new LocoError('usage', '--force does not apply to --queue: finished jobs are kept; collect into a new --out folder instead');
  if (flags.concurrency !== undefined) throw new LocoError('usage', '--concurrency does not apply to --queue: give it to each `loco worker`');
}
