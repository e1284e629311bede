// Puts a batch's queries on the queue, one job per query under its content-hash id, and reads
// where the queue stands. BullMQ skips an add whose job id exists (waiting, active or done),
// so resubmitting is idempotent and finished answers are kept (completed jobs are never
// removed); jobs that failed for good are retried, since a rerun means "try those again".
import { Queue, type JobsOptions } from 'bullmq';
import type { BatchQuery } from '../batch/input.js';
import type { BatchSettings } from '../batch/summary.js';
import type { PromptTemplate } from '../batch/template.js';
import { headCommit, jobIdOf, profileIdentity, type FleetJobData, type JobIdentity, type QueueAddress } from './jobs.js';

export interface SubmitOptions {
  address: QueueAddress;
  queries: readonly BatchQuery[];
  template: PromptTemplate;
  explorer: FleetJobData['explorer'];
  settings: BatchSettings;
  timeoutMs?: number;
  /** Attempts per job, the first included (BullMQ retries the rest with backoff). */
  attempts: number;
  /** First retry's delay; doubles per retry (default 1000 ms). */
  backoffMs?: number;
}

export interface SubmitResult {
  total: number;
  /** New jobs. */
  added: number;
  /** Already on the queue (waiting, running or done): left as they are. */
  existing: number;
  /** Had failed for good: queued again. */
  retried: number;
  /** Queries whose job an identical earlier query of this file already is. */
  sameAsEarlier: { id: string; earlierId: string }[];
  jobIds: string[];
}

export function openQueue(address: QueueAddress): Queue {
  return new Queue(address.queueName, { connection: address.connection });
}

export async function submitBatch(options: SubmitOptions): Promise<SubmitResult> {
  const commits = new Map<string, Promise<string | undefined>>();
  const commitOf = (repo: string) => {
    if (!commits.has(repo)) commits.set(repo, headCommit(repo));
    return commits.get(repo) as Promise<string | undefined>;
  };
  const jobs: { name: string; data: FleetJobData; opts: JobsOptions }[] = [];
  const firstById = new Map<string, string>();
  const sameAsEarlier: SubmitResult['sameAsEarlier'] = [];
  const jobIds: string[] = [];
  for (const query of options.queries) {
    const commit = await commitOf(query.repo);
    const jobId = jobIdOf({ repo: query.repo, commit, question: options.template.render({ question: query.query, repo: query.repo }), model: options.explorer.model, profile: profileIdentity(options.explorer.profile), sampling: options.explorer.sampling, harness: harnessOf(options.explorer) });
    jobIds.push(jobId);
    const earlier = firstById.get(jobId);
    if (earlier !== undefined) {
      sameAsEarlier.push({ id: query.id, earlierId: earlier });
      continue;
    }
    firstById.set(jobId, query.id);
    jobs.push({
      name: query.id,
      data: { version: 1, query, ...(commit === undefined ? {} : { commit }), template: { text: options.template.text, source: options.template.source }, explorer: options.explorer, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), settings: options.settings },
      opts: { jobId, attempts: options.attempts, backoff: { type: 'exponential', delay: options.backoffMs ?? 1_000 }, removeOnComplete: false, removeOnFail: false },
    });
  }
  const queue = openQueue(options.address);
  try {
    const before = new Map<string, string>();
    for (const job of jobs) {
      const state = await queue.getJobState(job.opts.jobId as string);
      before.set(job.opts.jobId as string, state);
    }
    await queue.addBulk(jobs);
    let retried = 0;
    for (const [jobId, state] of before) {
      if (state !== 'failed') continue;
      const job = await queue.getJob(jobId);
      await job?.retry('failed');
      retried += 1;
    }
    const added = [...before.values()].filter((state) => state === 'unknown').length;
    return { total: options.queries.length, added, existing: jobs.length - added - retried, retried, sameAsEarlier, jobIds };
  } finally {
    await queue.close();
  }
}

export interface QueueCounts {
  /** Waiting, delayed (a retry's backoff) or paused. */
  waiting: number;
  active: number;
  /** Finished: answered, or failed and recorded as such (collect says which). */
  done: number;
  /** Failed for good without a result (crashed or stalled past the limit). */
  failed: number;
}

export async function queueCounts(queue: Queue): Promise<QueueCounts> {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'paused', 'prioritized', 'waiting-children', 'active', 'completed', 'failed');
  return {
    waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.paused ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
    active: counts.active ?? 0,
    done: counts.completed ?? 0,
    failed: counts.failed ?? 0,
  };
}

function harnessOf(explorer: FleetJobData['explorer']): JobIdentity['harness'] {
  return { promptStyle: explorer.promptStyle, subagents: explorer.subagents, maxTurns: explorer.maxTurns, contextBudget: explorer.contextBudget };
}
