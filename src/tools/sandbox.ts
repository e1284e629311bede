// Runs one shell command for the Bash tool with the strongest isolation this machine offers.
// `bwrap` mode: bubblewrap gives a read-only view of the whole filesystem, a private /tmp, no
// network, the user's home hidden, no capabilities. `allow-list` mode (no usable bubblewrap):
// the caller has already checked the command against the read-only allow-list
// (bash-policy.ts); here it still runs with a fixed working directory, a sanitized
// environment, a timeout and bounded output.
import { spawn } from 'node:child_process';
import { constants as osConstants, homedir } from 'node:os';
import { access, constants as fsConstants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from './paths.js';
import { gitSafeEnvironment } from './sandbox-git.js';

export type SandboxMode = 'bwrap' | 'allow-list';

export interface SandboxRunOptions {
  mode: SandboxMode;
  /** Working directory, set afresh for every command. */
  cwd: string;
  /** Allowed roots: visible (read-only) in bwrap mode even when they lie under a hidden path. */
  roots: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes kept in memory per stream; the rest is read and counted, not kept. */
  maxOutputBytes: number;
  /** Directories hidden behind an empty tmpfs in bwrap mode; defaults to the user's home. */
  hiddenPaths?: readonly string[];
}

export interface SandboxRunResult {
  stdout: string;
  stderr: string;
  /** The shell's exit status; 128 + signal number when it was killed by a signal. */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  /** Characters read past `maxOutputBytes` and dropped (both streams together). */
  droppedCharacters: number;
  /** The command kept writing far past the cap and was stopped. */
  outputLimitExceeded: boolean;
  durationMs: number;
}

/** Once this many bytes per kept byte were dropped, the command is stopped: nobody will see them. */
const OUTPUT_KILL_FACTOR = 64;
/** After the shell exits, how long descendants may hold the pipes open before we stop waiting. */
const PIPE_GRACE_MS = 1000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------- detection

let detection: Promise<SandboxMode> | undefined;

/**
 * `bwrap` when bubblewrap is installed and a trivial sandbox with the flags we use actually
 * starts (it fails in containers without user namespaces); otherwise `allow-list`.
 * The answer is computed once per process.
 */
export function detectSandbox(): Promise<SandboxMode> {
  detection ??= probeBwrap();
  return detection;
}

async function probeBwrap(): Promise<SandboxMode> {
  const bwrap = await findExecutable('bwrap');
  if (bwrap === undefined) return 'allow-list';
  const result = await runProcess(bwrap, [...bwrapIsolationArguments(), '--', 'true'], {
    cwd: '/',
    env: { PATH: DEFAULT_PATH },
    timeoutMs: 10_000,
    maxOutputBytes: 4096,
  });
  return result.exitCode === 0 && !result.timedOut ? 'bwrap' : 'allow-list';
}

// ---------------------------------------------------------------- running

export async function runSandboxed(command: string, options: SandboxRunOptions): Promise<SandboxRunResult> {
  const shell = (await findExecutable('bash')) ?? (await findExecutable('sh')) ?? '/bin/sh';
  const processOptions = {
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxOutputBytes: options.maxOutputBytes,
  };
  if (options.mode === 'allow-list') {
    // `--`: a command starting with '-' is a command, never an option of the shell.
    return runProcess(shell, ['-c', '--', command], { ...processOptions, env: allowListEnvironment(options.roots) });
  }
  const bwrap = await findExecutable('bwrap');
  if (bwrap === undefined) throw new Error('bubblewrap (bwrap) is not installed; use the allow-list sandbox mode');
  const args = await bwrapArguments(shell, command, options);
  return runProcess(bwrap, args, { ...processOptions, env: { PATH: DEFAULT_PATH } });
}

/** Namespace and privilege flags shared by the probe and real runs. */
function bwrapIsolationArguments(): string[] {
  return [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    '--die-with-parent', '--new-session',
    // When loco runs as root, bwrap would otherwise keep every capability, and CAP_SYS_ADMIN
    // could remount the read-only root writable.
    '--cap-drop', 'ALL',
  ];
}

async function bwrapArguments(shell: string, command: string, options: SandboxRunOptions): Promise<string[]> {
  const args = bwrapIsolationArguments();
  // Unix sockets stay connectable on a read-only mount (a session bus, docker.sock): hide the
  // directories that hold them, as well as the home directory.
  const socketDirectories = ['/run', '/var/run', process.env.XDG_RUNTIME_DIR].filter((entry): entry is string => Boolean(entry));
  const hidden = new Set<string>();
  for (const candidate of [...(options.hiddenPaths ?? [homedir()]), ...socketDirectories]) {
    const real = await existingDirectory(candidate);
    if (real !== undefined && real !== '/' && !hidden.has(real)) {
      hidden.add(real);
      args.push('--tmpfs', real);
    }
  }
  // Bound after the tmpfs mounts so that roots under /tmp or under the home stay visible.
  for (const root of new Set([...options.roots, options.cwd])) args.push('--ro-bind', root, root);
  args.push('--clearenv');
  for (const [name, value] of Object.entries(baseEnvironment(sanitizedPath([])))) args.push('--setenv', name, value);
  args.push('--chdir', options.cwd, '--', shell, '-c', '--', command);
  return args;
}

/** HOME of the sandboxed shell: what `~` expands to there (the allow-list policy checks it). */
export const SANDBOX_HOME = '/tmp';

function baseEnvironment(pathValue: string): Record<string, string> {
  return {
    PATH: pathValue,
    HOME: SANDBOX_HOME,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    // Keeps `git status` from refreshing the index (a write).
    GIT_OPTIONAL_LOCKS: '0',
  };
}

function allowListEnvironment(roots: readonly string[]): Record<string, string> {
  return {
    // PATH entries inside the roots are dropped: a file written there could shadow `cat`.
    ...baseEnvironment(sanitizedPath(roots)),
    // Outside bwrap, HOME=/tmp is shared with other users, and repository config is the
    // explored repo's: git reads no system or global config and no program it names runs.
    ...gitSafeEnvironment(),
  };
}

/** The caller's PATH without relative entries (`.` would run files from the project). */
function sanitizedPath(excludedRoots: readonly string[]): string {
  const entries = (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => path.isAbsolute(entry) && !excludedRoots.some((root) => isInside(root, entry)));
  return entries.length === 0 ? DEFAULT_PATH : [...new Set(entries)].join(':');
}

async function existingDirectory(candidate: string): Promise<string | undefined> {
  try {
    const real = await realpath(candidate);
    return (await stat(real)).isDirectory() ? real : undefined;
  } catch {
    return undefined; // nothing there to hide
  }
}

export async function findExecutable(name: string): Promise<string | undefined> {
  for (const directory of sanitizedPath([]).split(':')) {
    const candidate = path.join(directory, name);
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- process plumbing

interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutputBytes: number;
}

/** Keeps the first `cap` bytes of a stream and counts the characters of the rest. */
class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  droppedBytes = 0;
  droppedCharacters = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = Math.max(0, this.cap - this.kept);
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    if (chunk.length > room) {
      this.droppedBytes += chunk.length - room;
      // UTF-8 continuation bytes (10xxxxxx) do not start a character.
      for (let index = room; index < chunk.length; index++) if ((chunk[index] & 0xc0) !== 0x80) this.droppedCharacters++;
    }
  }

  text(): string {
    const decoded = new TextDecoder().decode(Buffer.concat(this.chunks));
    // The cap may split a multi-byte character: drop its replacement character.
    return this.droppedBytes > 0 && decoded.endsWith('\uFFFD') ? decoded.slice(0, -1) : decoded;
  }
}

function runProcess(program: string, args: readonly string[], options: ProcessOptions): Promise<SandboxRunResult> {
  const started = Date.now();
  const stdout = new BoundedOutput(options.maxOutputBytes);
  const stderr = new BoundedOutput(options.maxOutputBytes);
  let timedOut = false;
  let aborted = false;
  let outputLimitExceeded = false;

  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve(finish(started, stdout, stderr, 130, { timedOut, aborted: true, outputLimitExceeded }));
      return;
    }
    // detached: the shell leads its own process group, so one kill reaches every descendant.
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let exitCode: number | undefined;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const hardLimit = options.maxOutputBytes * OUTPUT_KILL_FACTOR;
    const collect = (output: BoundedOutput) => (chunk: Buffer) => {
      output.push(chunk);
      if (!outputLimitExceeded && stdout.droppedBytes + stderr.droppedBytes > hardLimit) {
        outputLimitExceeded = true;
        killGroup();
      }
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));

    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(finish(started, stdout, stderr, code, { timedOut, aborted, outputLimitExceeded }));
    };
    child.on('error', (error) => {
      stderr.push(Buffer.from(`${program}: ${error.message}\n`));
      settle(127);
    });
    child.on('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0));
      // A background descendant may keep the pipes open: kill it and stop waiting soon.
      graceTimer = setTimeout(() => {
        killGroup();
        settle(exitCode ?? 1);
      }, PIPE_GRACE_MS);
    });
    child.on('close', () => settle(exitCode ?? 1));
  });
}

function finish(
  started: number,
  stdout: BoundedOutput,
  stderr: BoundedOutput,
  exitCode: number,
  flags: { timedOut: boolean; aborted: boolean; outputLimitExceeded: boolean },
): SandboxRunResult {
  return {
    stdout: stdout.text(),
    stderr: stderr.text(),
    exitCode,
    ...flags,
    droppedCharacters: stdout.droppedCharacters + stderr.droppedCharacters,
    durationMs: Date.now() - started,
  };
}
