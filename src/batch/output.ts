// The output folder of a batch: `<id>.md` answers, `traces/<id>.jsonl`, `summary.json`.
// Every file is written to a temporary file and renamed, so a crash leaves a whole file or
// none; an answer is the last file written for a query, so its presence means "done" and is
// what a resumed run skips on. A lock file keeps two batches from writing the same folder,
// and temporary files a killed run left behind are removed when the next run takes over.
import { rmSync } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../errors.js';
import { writeFileAtomic } from '../atomic-write.js';

export const LOCK_FILE = '.loco-batch.lock';
/** writeFileAtomic's temporary names: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMPORARY = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

export interface BatchOutput {
  readonly dir: string;
  answerPath(id: string): string;
  tracePath(id: string): string;
  readonly summaryPath: string;
  hasAnswer(id: string): Promise<boolean>;
  /** Writes the trace, then the answer: a query with an answer always has its trace. */
  writeResult(id: string, trace: string, answer: string | undefined): Promise<void>;
  removeAnswer(id: string): Promise<void>;
  /** The summary.json an earlier run left, if any. */
  readEarlierSummary(): Promise<string | undefined>;
  /**
   * Asks for summary.json to be rewritten from `build()`. Requests made while a write is in
   * progress collapse into one, so a fast batch does not queue hundreds of writes; the
   * returned promise settles once a summary at least as new as this request is on disk.
   */
  writeSummary(build: () => unknown): Promise<void>;
  /** Removes the lock. Safe to call twice. */
  release(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

async function acquireLock(dir: string): Promise<string> {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`);
      await handle.close();
      return lock;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw new LocoError('io', `cannot create ${lock}: ${(error as Error).message}`, { cause: error });
    }
    let holder: number | undefined;
    try {
      const parsed = JSON.parse(await readFile(lock, 'utf8')) as { pid?: unknown };
      holder = typeof parsed.pid === 'number' ? parsed.pid : undefined;
    } catch {
      holder = undefined; // unreadable: left by a run killed while writing it
    }
    if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
      throw new LocoError('usage', `another loco batch (pid ${holder}) is writing to ${dir}: wait for it to finish, or stop it, or choose another --out`);
    }
    await rm(lock, { force: true }); // its process is gone (killed): take over
  }
  throw new LocoError('io', `cannot take the lock ${lock}: another run keeps recreating it`);
}

async function removeTemporaryFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((name) => TEMPORARY.test(name)).map((name) => rm(path.join(dir, name), { force: true })));
}

/** Creates the folder, takes its lock and clears what a killed run left half-written. */
export async function openBatchOutput(dir: string): Promise<BatchOutput> {
  const traces = path.join(dir, 'traces');
  try {
    await mkdir(traces, { recursive: true });
  } catch (error) {
    throw new LocoError('usage', `cannot create the output folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const lock = await acquireLock(dir);
  // A second Ctrl-C exits the process at once: still give the folder back.
  const releaseOnExit = () => rmSync(lock, { force: true });
  process.once('exit', releaseOnExit);
  // Safe: the lock guarantees no live run is writing these.
  await removeTemporaryFiles(dir);
  await removeTemporaryFiles(traces);

  const summaryPath = path.join(dir, 'summary.json');
  const answerPath = (id: string) => path.join(dir, `${id}.md`);
  const tracePath = (id: string) => path.join(traces, `${id}.jsonl`);
  let requested: (() => unknown) | undefined;
  let draining: Promise<void> | undefined;
  let released = false;

  async function drain(): Promise<void> {
    try {
      while (requested) {
        const build = requested;
        requested = undefined;
        await writeFileAtomic(summaryPath, `${JSON.stringify(build(), null, 2)}\n`);
      }
    } finally {
      draining = undefined;
    }
  }

  return {
    dir,
    answerPath,
    tracePath,
    summaryPath,
    async hasAnswer(id) {
      try {
        await access(answerPath(id));
        return true;
      } catch {
        return false;
      }
    },
    async writeResult(id, trace, answer) {
      await writeFileAtomic(tracePath(id), trace);
      if (answer !== undefined) await writeFileAtomic(answerPath(id), answer.endsWith('\n') ? answer : `${answer}\n`);
    },
    removeAnswer: (id) => rm(answerPath(id), { force: true }),
    async readEarlierSummary() {
      try {
        return await readFile(summaryPath, 'utf8');
      } catch {
        return undefined;
      }
    },
    writeSummary(build) {
      requested = build;
      draining ??= drain();
      return draining;
    },
    async release() {
      if (released) return;
      released = true;
      await draining?.catch(() => undefined);
      process.off('exit', releaseOnExit);
      await rm(lock, { force: true });
    },
  };
}
