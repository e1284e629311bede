// What travels through the queue: the --queue URL as a Redis connection, a job's data (one
// batch query with everything a worker needs to answer it: the template, the explorer's
// settings, the batch's settings for the summary) and its result (the query's outcome), both
// checked with zod when read back, and the job id: a hash of what decides the answer, so a
// resubmitted query is the same job and a finished answer is never redone.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import type { QueryRecord } from '../batch/summary.js';
import { LocoError } from '../errors.js';

export const DEFAULT_QUEUE_NAME = 'loco-batch';
/** A job's profile in its id when the submitter named none: each worker's own decides. */
export const WORKER_PROFILE = 'worker-default';

/** The profile part of a job id: its name and a digest of all of it (a changed file is another job). */
export function profileIdentity(profile: unknown): string {
  if (profile === undefined) return WORKER_PROFILE;
  const name = typeof profile === 'object' && profile !== null && typeof (profile as { name?: unknown }).name === 'string' ? (profile as { name: string }).name : '?';
  return `${name}:${createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 12)}`;
}

export interface QueueAddress {
  connection: ConnectionOptions;
  queueName: string;
  /** The URL without its password, for messages. */
  label: string;
}

/** Parses `redis://[:password@]host:port[/db]`; a `?queue=name` picks another queue than loco-batch. */
export function parseQueueUrl(raw: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LocoError('usage', `--queue ${raw} is not a URL: write redis://host:port/N (N: the Redis database, default 0)`);
  }
  if (url.protocol !== 'redis:') throw new LocoError('usage', `--queue ${raw}: only redis://host:port/N is supported`);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0) throw new LocoError('usage', `--queue ${raw}: the database after the port must be a whole number (redis://host:port/0)`);
  const queueName = url.searchParams.get('queue') ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(queueName)) throw new LocoError('usage', `--queue ${raw}: the queue name may use letters, digits, '.', '_' and '-'`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const connection: ConnectionOptions = {
    host: url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    // Commands wait for a reconnect instead of failing: a worker rides out a Redis restart.
    maxRetriesPerRequest: null,
  };
  return { connection, queueName, label: `redis://${url.host}/${db}${queueName === DEFAULT_QUEUE_NAME ? '' : ` (queue ${queueName})`}` };
}

const querySchema = z.object({ id: z.string(), query: z.string(), repo: z.string(), line: z.number() });

const settingsSchema = z.object({
  queriesFile: z.string(),
  out: z.string(),
  repo: z.string().optional(),
  backend: z.string(),
  template: z.string(),
  concurrency: z.number(),
  retries: z.number(),
  timeoutPerQueryS: z.number().optional(),
  maxTurns: z.number(),
  profile: z.string().optional(),
  force: z.boolean(),
});

export const jobDataSchema = z.object({
  version: z.literal(1),
  query: querySchema,
  commit: z.string().optional(),
  template: z.object({ text: z.string(), source: z.string() }),
  explorer: z.object({
    maxTurns: z.number(),
    contextBudget: z.number(),
    sampling: z.object({ maxTokens: z.number(), temperature: z.number().optional() }),
    promptStyle: z.enum(['training', 'qwen-tools']),
    model: z.string().optional(),
    subagents: z.boolean(),
    /** The profile the submitter named (`--profile`), whole; absent: the worker's own. Checked where it is used. */
    profile: z.unknown().optional(),
  }),
  timeoutMs: z.number().optional(),
  /** The submitting batch's settings, for summary.json. */
  settings: settingsSchema,
});
export type FleetJobData = z.infer<typeof jobDataSchema>;

const recordSchema = z
  .object({ id: z.string(), line: z.number(), status: z.enum(['ok', 'failed', 'timed-out', 'pending']), attempts: z.number().optional(), wallMs: z.number().optional() })
  .passthrough();

const jobResultSchema = z.object({
  record: recordSchema,
  trace: z.string(),
  answer: z.string().optional(),
  /** The backend that answered, and the worker (host:pid). */
  backend: z.string(),
  worker: z.string(),
});
/** A finished job's return value: the query's outcome as answerQuery gave it. */
export interface FleetJobResult {
  record: QueryRecord;
  trace: string;
  answer?: string;
  backend: string;
  worker: string;
}

/** Reads a finished job's return value; undefined when it is not one of ours. */
export function readJobResult(value: unknown): FleetJobResult | undefined {
  const parsed = jobResultSchema.safeParse(value);
  return parsed.success ? { ...parsed.data, record: parsed.data.record as QueryRecord } : undefined;
}

/** Reads a job's data; a job some other program put in the queue is a clear error, not a crash. */
export function readJobData(data: unknown, jobId: string | undefined): FleetJobData {
  const parsed = jobDataSchema.safeParse(data);
  if (!parsed.success) throw new LocoError('usage', `job ${jobId ?? '?'} is not a loco batch job (${parsed.error.issues[0]?.message ?? 'bad data'}): is another program using this queue? Pick another with ?queue=name`);
  return parsed.data;
}

/** The inputs that decide an answer: the same inputs give the same job id. */
export interface JobIdentity {
  repo: string;
  commit: string | undefined;
  question: string;
  model: string | undefined;
  profile: string;
  sampling: { maxTokens: number; temperature?: number };
  /** The rest of what decides an answer: the prompt, the tool set and the limits. */
  harness: { promptStyle: string; subagents: boolean; maxTurns: number; contextBudget: number };
}

export function jobIdOf(identity: JobIdentity): string {
  const { harness } = identity;
  const canonical = JSON.stringify([
    identity.repo,
    identity.commit ?? null,
    identity.question,
    identity.model ?? null,
    identity.profile,
    identity.sampling.maxTokens,
    identity.sampling.temperature ?? null,
    harness.promptStyle,
    harness.subagents,
    harness.maxTurns,
    harness.contextBudget,
  ]);
  // BullMQ ids must not be plain integers nor contain ':'; a prefix and hex avoid both.
  return `q-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

const run = promisify(execFile);

/** The commit checked out in `repo`, or undefined when it is not a git work tree. */
export async function headCommit(repo: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', repo, 'rev-parse', 'HEAD'], { timeout: 10_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
