// `loco worker --queue redis://host:port/N --backend <spec>...`: answers batch jobs from the
// queue until SIGTERM or Ctrl-C, on any machine that sees the repositories at the paths the
// batch named. Writes no files; one line per finished job goes to stderr.
// Exit codes: 0 after a clean shutdown, 2 bad usage. LOCO_FAKE_DELAY_MS slows `fake:` backends.
import type { Command } from 'commander';
import { Option } from 'commander';
import { realpath } from 'node:fs/promises';
import type { AskFlags } from '../config/ask-config.js';
import { LocoError } from '../errors.js';
import { positiveNumberFlag, wholeNumberFlag } from '../flags.js';
import { parseQueueUrl } from '../fleet/jobs.js';
import { startFleetWorker, type WorkerEvent } from '../fleet/worker.js';
import { detectSandbox } from '../tools/sandbox.js';
import { BACKEND_HELP, collectBackend } from './backend-flags.js';
import { explorerProfileOf, openExplorerBackend, resolveExplorerFlags } from './explorer-options.js';
import type { CommandIo } from './io.js';

export interface WorkerFlags extends Omit<AskFlags, 'backend'> {
  queue: string;
  backend?: string[];
  concurrency?: string;
  requestsPerSecond?: string;
  slots?: string;
  grace?: string;
  lockDuration?: string;
  stalledInterval?: string;
  root?: string[];
}

/** The directories a worker explores in, real paths: the queue names repositories, this bounds them. */
async function workerRoots(dirs: readonly string[] | undefined): Promise<string[]> {
  return Promise.all(
    (dirs && dirs.length > 0 ? dirs : [process.cwd()]).map(async (dir) => {
      try {
        return await realpath(dir);
      } catch {
        throw new LocoError('usage', `--root ${dir} does not exist: give a directory that holds the repositories the jobs name`);
      }
    }),
  );
}

export const DEFAULT_WORKER_CONCURRENCY = 4;


function describe(event: WorkerEvent): string {
  switch (event.type) {
    case 'job-start':
      return `loco worker: ${event.id} started (attempt ${event.attempt})`;
    case 'job-end':
      return `loco worker: ${event.record.id} ${event.record.status}${event.record.reason ? `: ${event.record.reason}` : ''} (${((event.record.wallMs ?? 0) / 1000).toFixed(1)} s)`;
    case 'job-retry':
      return `loco worker: ${event.id} failed on attempt ${event.attempt}, back to the queue for a retry: ${event.reason}`;
    case 'job-handed-back':
      return `loco worker: ${event.id} handed back to the queue (shutting down)`;
    case 'job-error':
      return `loco worker: job ${event.jobId}: ${event.message}`;
  }
}

export async function runWorkerCommand(flags: WorkerFlags, io: CommandIo): Promise<number> {
  const address = parseQueueUrl(flags.queue);
  const resolved = resolveExplorerFlags(flags, io.env);
  const { config } = resolved;
  const roots = await workerRoots(flags.root);
  const concurrency = wholeNumberFlag('--concurrency', flags.concurrency, 1, 256) ?? DEFAULT_WORKER_CONCURRENCY;
  const requestsPerSecond = positiveNumberFlag('--requests-per-second', flags.requestsPerSecond, 10_000);
  const slots = wholeNumberFlag('--slots', flags.slots, 1, 1024);
  const graceS = positiveNumberFlag('--grace', flags.grace, 24 * 3600) ?? 30;
  const lockDurationMs = wholeNumberFlag('--lock-duration', flags.lockDuration, 100, 3_600_000);
  const stalledIntervalMs = wholeNumberFlag('--stalled-interval', flags.stalledInterval, 100, 3_600_000);
  const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
  // Without --profile, a job's own prompt style stands unless the model's name asks for another profile.
  const chosen = await explorerProfileOf(resolved);
  const profile = config.profile === undefined && chosen.name === 'locooperator' ? undefined : chosen;
  const fakeDelay = io.env.LOCO_FAKE_DELAY_MS === undefined ? undefined : wholeNumberFlag('LOCO_FAKE_DELAY_MS', io.env.LOCO_FAKE_DELAY_MS, 0, 60_000);
  const backend = await openExplorerBackend(resolved, io, { sequences: concurrency, fakeDelayMs: fakeDelay }, { requestsPerSecond, slots });
  try {
    await backend.load?.();
    const worker = startFleetWorker({ address, backend, concurrency, sandbox, roots, profile, profileFixed: config.profile !== undefined, lockDurationMs, stalledIntervalMs, onEvent: (event) => io.stderr.write(`${describe(event)}\n`) });
    const stop = new Promise<string>((resolve) => {
      const onTerm = () => resolve('SIGTERM');
      process.once('SIGTERM', onTerm);
      io.signal.addEventListener('abort', () => resolve('Ctrl-C'), { once: true });
    });
    await Promise.race([worker.ready(), stop]);
    io.stderr.write(`loco worker: taking jobs from ${address.label} with ${backend.info.description} (concurrency ${concurrency}, sandbox ${sandbox})\n`);
    const why = await stop;
    io.stderr.write(`loco worker: ${why}: finishing running jobs (up to ${graceS} s, then they go back to the queue)\n`);
    await worker.close(graceS * 1000);
    io.stderr.write('loco worker: stopped\n');
    // A lost queue connection may leave a reconnect timer behind; it must not keep a stopped worker alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 3_000).unref();
    return 0;
  } finally {
    await backend.close();
  }
}

/** Adds `loco worker …` to the program. */
export function registerWorkerCommand(program: Command, io: CommandIo & { setExitCode: (code: number) => void }): Command {
  return program
    .command('worker')
    .description('Answer `loco batch --queue` jobs from a Redis queue until SIGTERM; run any number, on any machine that sees the repositories')
    .requiredOption('-q, --queue <url>', 'the queue: redis://host:port/N (N: the Redis database; ?queue=name for another queue than loco-batch)')
    .option('-b, --backend <spec>', BACKEND_HELP, collectBackend)
    .option('-c, --concurrency <n>', `jobs answered at once (default ${DEFAULT_WORKER_CONCURRENCY})`)
    .option('--root <dir>', "a directory whose repositories this worker may explore (repeatable; default the working directory); a job naming a repository elsewhere fails", (value: string, previous: string[] = []) => [...previous, value])
    .option('--requests-per-second <n>', 'most model requests started per second on each backend (default: no limit)')
    .option('--slots <n>', 'fleet: slots of a backend that cannot report its own (fake:, gguf:, a server without /props; default 4)')
    .option('--grace <s>', 'on SIGTERM: seconds running jobs get to finish before they go back to the queue (default 30)')
    .option('--lock-duration <ms>', "how long a job's lock lasts unrenewed: a killed worker's jobs go to another after about this long (default 30000)")
    .option('--stalled-interval <ms>', 'how often jobs of killed workers are looked for (default 30000)')
    .option('-m, --model <name>', 'model name to ask the backend for; env LOCO_MODEL')
    .option('--profile <name|file.json>', 'the dialect the model was trained in (locooperator, qwen3-tools, fastcontext, or a profile file); env LOCO_PROFILE; default from the model\'s name')
    .addOption(new Option('--sandbox <mode>', 'how Bash is confined').choices(['auto', 'bwrap', 'allow-list']).default('auto'))
    .addOption(new Option('--server-kind <kind>', 'server differences to account for').choices(['llamacpp', 'vllm', 'ollama', 'openrouter', 'openai']))
    .option('--models-dir <dir>', 'where models are cached (env LOCO_MODELS_DIR; default ~/.cache/loco/models)')
    .option('--no-pull', 'do not download the default model when it is missing')
    .action(async (flags: WorkerFlags) => {
      io.setExitCode(await runWorkerCommand(flags, io));
    });
}
