// A queue worker: takes batch jobs from BullMQ and answers each with batch/answer.ts
// answerQuery on its backend (a fleet keeps a repository's questions on one server). It writes
// no files: the outcome (record, trace lines, answer) is the job's return value, and
// `loco batch collect` writes it. A failure worth retrying (the backend) is thrown so BullMQ
// retries the job with backoff, on any worker, until its attempts run out; the last attempt's
// failure is returned as a failed record so collect can report it with its trace. A worker
// killed mid-job stops renewing its lock: BullMQ's stalled check hands the job to another.
// close() stops taking jobs, lets running ones finish, and after a grace period cancels them
// and hands them back to the queue without spending an attempt.
import type { Profile } from '../protocol/profile.js';
import { hostname } from 'node:os';
import { realpath } from 'node:fs/promises';
import { UnrecoverableError, Worker, WaitingError, type ConnectionOptions, type Job } from 'bullmq';
import { isFleet } from '../backends/fleet-spec.js';
import type { Backend } from '../backends/types.js';
import { answerQuery } from '../batch/answer.js';
import { DEFAULT_RETRY_POLICY } from '../batch/retry.js';
import type { QueryRecord } from '../batch/summary.js';
import { parseTemplate, type PromptTemplate } from '../batch/template.js';
import { isInside } from '../tools/paths.js';
import type { SandboxMode } from '../tools/sandbox.js';
import { parseProfile } from '../config/profile-file.js';
import { readJobData, type FleetJobData, type FleetJobResult, type QueueAddress } from './jobs.js';

export type WorkerEvent =
  | { type: 'job-start'; jobId: string; id: string; attempt: number }
  | { type: 'job-end'; jobId: string; record: QueryRecord }
  | { type: 'job-retry'; jobId: string; id: string; attempt: number; reason: string }
  | { type: 'job-handed-back'; jobId: string; id: string }
  | { type: 'job-error'; jobId: string; message: string };

/** Thrown for BullMQ to retry the job later; already reported as `job-retry`. */
class RetryableJobFailure extends Error {}

export interface FleetWorkerOptions {
  address: QueueAddress;
  backend: Backend;
  concurrency: number;
  sandbox: SandboxMode;
  /** Real paths of the directories whose repositories jobs may name; a job naming one elsewhere fails for good. */
  roots: readonly string[];
  /** The model's dialect for jobs that carry none. Default `locooperator` (or the job's prompt style). */
  profile?: Profile;
  /** True when `profile` was named (--profile): a job asking for another one fails instead of being answered in the wrong dialect. */
  profileFixed?: boolean;
  /** How long a job's lock lasts without renewal: a killed worker's jobs return after about this long (default 30 s). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (default 30 s). */
  stalledIntervalMs?: number;
  onEvent?: (event: WorkerEvent) => void;
}

export interface FleetWorker {
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs; running ones get `graceMs` to finish, then go back to the queue. */
  close(graceMs: number): Promise<void>;
}

/** How long closing may wait on the queue after the grace period before the worker lets go. */
const CLOSE_WAIT_MS = 5_000;

/** `promise`'s value, or `fallback` after `ms`; the timer never outlives the race. */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function startFleetWorker(options: FleetWorkerOptions): FleetWorker {
  const emit = options.onEvent ?? (() => undefined);
  const shutdown = new AbortController();
  const templates = new Map<string, PromptTemplate>();
  const name = `${hostname()}:${process.pid}`;

  /**
   * The profile a job runs with: the one it carries (the submitter's --profile), unless this
   * worker was told another (its model speaks that one); else the worker's.
   */
  function jobProfile(data: FleetJobData, jobId: string): Profile | undefined {
    if (data.explorer.profile === undefined) return options.profile;
    let carried: Profile;
    try {
      carried = parseProfile(data.explorer.profile, `of job ${jobId}`);
    } catch (error) {
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    }
    if (options.profileFixed === true && options.profile !== undefined && options.profile.name !== carried.name) {
      throw new UnrecoverableError(`the job asks for profile ${carried.name}, but this worker's model speaks ${options.profile.name} (--profile): answer it with a worker started with --profile ${carried.name}`);
    }
    return carried;
  }

  async function processJob(job: Job, token: string | undefined): Promise<FleetJobResult> {
    const jobId = job.id ?? '?';
    const data = readJobData(job.data, job.id);
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    emit({ type: 'job-start', jobId, id: data.query.id, attempt });
    const templateKey = `${data.template.source}\u0000${data.template.text}`;
    if (!templates.has(templateKey)) templates.set(templateKey, parseTemplate(data.template.text, data.template.source));
    const template = templates.get(templateKey) as PromptTemplate;
    // The queue is input: a job may only send the explorer into this worker's roots.
    const repo = await realpath(data.query.repo).catch(() => undefined);
    if (repo === undefined || !options.roots.some((root) => isInside(root, repo))) {
      throw new UnrecoverableError(`the job's repository ${data.query.repo} is ${repo === undefined ? 'not there' : 'outside'} this worker's roots (${options.roots.join(', ')}): start the worker with --root <dir> holding it`);
    }
    // A fleet keeps one repository's questions on one server, so its prompt cache stays warm.
    const backend = isFleet(options.backend) ? options.backend.bind(data.query.repo) : options.backend;
    const outcome = await answerQuery(data.query, {
      backend,
      template,
      explorer: { ...data.explorer, sandbox: options.sandbox, profile: jobProfile(data, jobId) },
      // BullMQ does the retrying, so a retry may land on another worker and server.
      retry: { ...DEFAULT_RETRY_POLICY, retries: 0 },
      timeoutMs: data.timeoutMs,
      signal: shutdown.signal,
    });
    if (outcome === undefined) {
      // Cancelled by shutdown: back to the queue, no attempt spent.
      await job.moveToWait(token);
      emit({ type: 'job-handed-back', jobId, id: data.query.id });
      throw new WaitingError();
    }
    const record: QueryRecord = { ...outcome.record, attempts: attempt };
    const retryable = record.status === 'failed' && (record.errorCode?.startsWith('backend-') ?? false);
    if (retryable && attempt < attempts) {
      emit({ type: 'job-retry', jobId, id: data.query.id, attempt, reason: record.reason ?? 'failed' });
      throw new RetryableJobFailure(record.reason ?? 'the backend failed');
    }
    emit({ type: 'job-end', jobId, record });
    return { record, trace: outcome.trace, ...(outcome.answer === undefined ? {} : { answer: outcome.answer }), backend: options.backend.info.description, worker: name };
  }

  const worker = new Worker(options.address.queueName, processJob, {
    connection: options.address.connection as ConnectionOptions,
    concurrency: options.concurrency,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
  });
  worker.on('failed', (job, error) => {
    if (job && !(error instanceof WaitingError) && !(error instanceof RetryableJobFailure)) emit({ type: 'job-error', jobId: job.id ?? '?', message: error.message });
  });
  // Without a listener an 'error' (Redis gone for a moment) would end the process.
  worker.on('error', (error) => emit({ type: 'job-error', jobId: '-', message: error.message }));

  return {
    ready: () => worker.waitUntilReady().then(() => undefined),
    async close(graceMs) {
      // A queue that does not answer (Redis gone) can take no job back: a graceful close would
      // wait on it for ever, so running jobs are cancelled and the connections dropped; the
      // jobs they held go back to the queue when their locks expire.
      const client = await within(worker.client, 1_000, undefined);
      if (client?.status !== 'ready') {
        shutdown.abort();
        emit({ type: 'job-error', jobId: '-', message: 'the queue does not answer: stopping without handing jobs back (their locks expire)' });
        await within(worker.close(true), CLOSE_WAIT_MS, undefined);
        return;
      }
      const closing = worker.close();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          shutdown.abort();
          resolve();
        }, graceMs);
      });
      await Promise.race([closing, grace]);
      clearTimeout(timer);
      // Cancelled jobs go back to the queue; if it stops answering meanwhile, do not wait for ever.
      const closed = await within(closing.then(() => true), CLOSE_WAIT_MS, false);
      if (!closed) emit({ type: 'job-error', jobId: '-', message: `the queue did not answer within ${CLOSE_WAIT_MS / 1000} s of stopping; jobs still held go back when their locks expire` });
    },
  };
}
