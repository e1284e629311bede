// Collects a queue's finished jobs into a batch output folder: the same `<id>.md` answers,
// `traces/<id>.jsonl` and summary.json as the file-based batch, written through its result
// sink and output code (atomic files). An answer already in the folder is not written again,
// so collecting twice, or while workers still run, writes each answer exactly once; jobs
// still waiting or running are `pending` in the summary (state `running`) until a later
// collect finds them done.
import type { Job, Queue } from 'bullmq';
import type { BatchQuery } from '../batch/input.js';
import { readFile } from 'node:fs/promises';
import type { BatchOutput } from '../batch/output.js';
import { outputResultSink } from '../batch/runner.js';
import { buildSummary, type BatchSettings, type BatchSummary, type QueryRecord } from '../batch/summary.js';
import { readJobData, readJobResult, type FleetJobData, type FleetJobResult } from './jobs.js';

export interface CollectResult {
  summary: BatchSummary;
  /** Answers (or failure traces) written by this collect. */
  written: number;
  /** Answers already in the folder from an earlier collect. */
  alreadyThere: number;
  pending: number;
}

const PAGE = 500;

async function* jobsIn(queue: Queue, states: ('completed' | 'failed' | 'waiting' | 'delayed' | 'active' | 'paused' | 'prioritized')[]): AsyncGenerator<Job> {
  for (let start = 0; ; start += PAGE) {
    const page = await queue.getJobs(states, start, start + PAGE - 1, true);
    for (const job of page) if (job) yield job;
    if (page.length < PAGE) return;
  }
}

export async function collectResults(queue: Queue, output: BatchOutput): Promise<CollectResult> {
  const sink = outputResultSink(output);
  const records = new Map<string, QueryRecord>();
  const backends = new Set<string>();
  let settings: BatchSettings | undefined;
  let startedAt = Number.POSITIVE_INFINITY;
  let finishedAt = 0;
  let written = 0;
  let alreadyThere = 0;
  let retries = 0;
  const finished: { job: Job; data: FleetJobData; result: FleetJobResult }[] = [];
  const unreadable: string[] = [];

  for await (const job of jobsIn(queue, ['completed'])) {
    const data = readJobData(job.data, job.id);
    const result = readJobResult(job.returnvalue);
    if (result === undefined) {
      unreadable.push(job.id ?? '?');
      continue;
    }
    finished.push({ job, data, result });
  }
  // The latest finished job of an id wins (a query edited and resubmitted is a new job).
  finished.sort((a, b) => (a.job.finishedOn ?? 0) - (b.job.finishedOn ?? 0));
  const latest = new Map<string, (typeof finished)[number]>();
  for (const entry of finished) latest.set(entry.data.query.id, entry);
  for (const { job, data, result } of latest.values()) {
    const query: BatchQuery = data.query;
    settings = data.settings;
    backends.add(result.backend);
    startedAt = Math.min(startedAt, job.timestamp);
    finishedAt = Math.max(finishedAt, job.finishedOn ?? 0);
    retries += Math.max(0, (result.record.attempts ?? 1) - 1);
    const record = result.record;
    // Written once: an answer already in the folder with the same text is not written again.
    if (result.answer !== undefined && (await sameAnswer(output, query.id, result.answer))) {
      alreadyThere += 1;
      records.set(query.id, record);
      continue;
    }
    records.set(query.id, await sink.write(query, { record, trace: result.trace, ...(result.answer === undefined ? {} : { answer: result.answer }) }));
    written += 1;
  }
  for await (const job of jobsIn(queue, ['failed'])) {
    const data = readJobData(job.data, job.id);
    settings ??= data.settings;
    startedAt = Math.min(startedAt, job.timestamp);
    if (records.has(data.query.id)) continue;
    records.set(data.query.id, { id: data.query.id, line: data.query.line, status: 'failed', reason: job.failedReason || 'the job failed without a reason', errorCode: 'job-failed', attempts: job.attemptsMade });
  }
  let pending = 0;
  for await (const job of jobsIn(queue, ['waiting', 'delayed', 'active', 'paused', 'prioritized'])) {
    const data = readJobData(job.data, job.id);
    settings ??= data.settings;
    startedAt = Math.min(startedAt, job.timestamp);
    if (records.has(data.query.id)) continue;
    records.set(data.query.id, { id: data.query.id, line: data.query.line, status: 'pending' });
    pending += 1;
  }
  for (const id of unreadable) records.set(id, { id, line: 0, status: 'failed', reason: `job ${id} finished without a readable result`, errorCode: 'job-result' });

  const ordered = [...records.values()].sort((a, b) => a.line - b.line || a.id.localeCompare(b.id));
  const now = pending > 0 || finishedAt === 0 ? Date.now() : finishedAt;
  const summary = buildSummary({
    settings: { ...(settings ?? { queriesFile: '(queue)', backend: '', template: '', concurrency: 0, retries: 0, maxTurns: 0, force: false }), out: output.dir, backend: [...backends].join(', ') },
    records: ordered,
    startedAt: new Date(Number.isFinite(startedAt) ? startedAt : now),
    now: new Date(now),
    state: pending > 0 ? 'running' : 'finished',
    retries,
  });
  await output.writeSummary(() => summary);
  return { summary, written, alreadyThere, pending };
}

async function sameAnswer(output: BatchOutput, id: string, answer: string): Promise<boolean> {
  if (!(await output.hasAnswer(id))) return false;
  const written = await readFile(output.answerPath(id), 'utf8').catch(() => undefined);
  return written === (answer.endsWith('\n') ? answer : `${answer}\n`);
}
