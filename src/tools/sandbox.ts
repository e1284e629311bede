// Runs one shell command for the Bash tool with the strongest isolation this machine offers.
// `bwrap` mode: bubblewrap gives a read-only view of the whole filesystem, a private /tmp, no
// network, the user's home hidden, no capabilities, a private pid namespace and a seccomp
// filter without sockets (sandbox-seccomp.ts). `allow-list` mode (no usable bubblewrap): the
// caller has already checked the command against the read-only allow-list (bash-policy.ts);
// here it still runs with a fixed working directory and a sanitized environment. In both modes:
// resource limits (sandbox-limits.ts), a timeout, bounded output, and no process outliving the
// call (sandbox-process.ts).
import { homedir } from 'node:os';
import { access, constants as fsConstants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from './paths.js';
import { gitSafeEnvironment } from './sandbox-git.js';
import { createPidsGroup, joinGroupArguments, limitedShellArguments, limitsFor, processLimitForUser, type ResourceLimits } from './sandbox-limits.js';
import { runProcess, type SandboxRunResult } from './sandbox-process.js';
import { seccompProgram } from './sandbox-seccomp.js';

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
  /** Overrides of the default resource limits (sandbox-limits.ts). */
  limits?: Partial<ResourceLimits>;
}

export type { SandboxRunResult } from './sandbox-process.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------- detection

/** Bytes the private /tmp of a bwrap run may hold (RAM-backed: without a cap, half the memory). */
const TMP_BYTES = 512 * 1024 ** 2;

interface BwrapFeatures {
  usable: boolean;
  /** `--size` for tmpfs mounts (bubblewrap 0.8 and later). */
  tmpfsSize: boolean;
}

let probe: Promise<BwrapFeatures> | undefined;
let detection: Promise<SandboxMode> | undefined;

/**
 * `bwrap` when bubblewrap is installed and a trivial sandbox with the flags we use actually
 * starts (it fails in containers without user namespaces); otherwise `allow-list`.
 * The answer is computed once per process.
 */
export function detectSandbox(): Promise<SandboxMode> {
  detection ??= bwrapFeatures().then((features) => (features.usable ? 'bwrap' : 'allow-list'));
  return detection;
}

function bwrapFeatures(): Promise<BwrapFeatures> {
  probe ??= probeBwrap();
  return probe;
}

async function probeBwrap(): Promise<BwrapFeatures> {
  const bwrap = await findExecutable('bwrap');
  if (bwrap === undefined) return { usable: false, tmpfsSize: false };
  // The seccomp filter is part of the probe: where it cannot load (or kills everything on an
  // unknown architecture), the allow-list is used instead of a sandbox without it.
  const starts = async (tmpfsSize: boolean) => {
    const result = await runProcess(bwrap, [...bwrapIsolationArguments(tmpfsSize), '--', 'true'], {
      cwd: '/',
      env: { PATH: DEFAULT_PATH },
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
      fd3: { input: seccompProgram() },
    });
    return result.exitCode === 0 && !result.timedOut;
  };
  if (await starts(true)) return { usable: true, tmpfsSize: true };
  // Older bubblewrap: /tmp is not capped (tmpfs takes at most half the memory; each file is
  // still capped by RLIMIT_FSIZE).
  return { usable: await starts(false), tmpfsSize: false };
}

// ---------------------------------------------------------------- running

export async function runSandboxed(command: string, options: SandboxRunOptions): Promise<SandboxRunResult> {
  const shell = await findExecutable('bash');
  if (shell === undefined) throw new Error('bash is not installed; the Bash tool needs it');
  const limits = { ...limitsFor(options.timeoutMs), ...options.limits };
  // The model's command runs under hard resource limits (sandbox-limits.ts says which apply where).
  const nproc = processLimitForUser(limits.processes);
  // In allow-list mode a watchdog kills the run if loco dies without cleaning up (SIGKILL);
  // in bwrap mode --die-with-parent does that.
  const limitedShell = limitedShellArguments(shell, command, limits, nproc, options.mode === 'allow-list');
  let program: string;
  let args: string[];
  let env: Record<string, string>;
  if (options.mode === 'allow-list') {
    [program, args, env] = [shell, limitedShell, allowListEnvironment(options.roots)];
  } else {
    const bwrap = await findExecutable('bwrap');
    if (bwrap === undefined) throw new Error('bubblewrap (bwrap) is not installed; use the allow-list sandbox mode');
    [program, args, env] = [bwrap, await bwrapArguments(shell, limitedShell, options), { PATH: DEFAULT_PATH }];
  }
  const group = await createPidsGroup(limits.processes);
  if (group !== undefined) [program, args] = joinGroupArguments(shell, group, program, args);
  try {
    return await runProcess(program, args, {
      cwd: options.cwd,
      env,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      maxOutputBytes: options.maxOutputBytes,
      fd3: options.mode === 'bwrap' ? { input: seccompProgram() } : 'lifeline',
      cleanupOnExit: group?.removeSync,
    });
  } finally {
    await group?.remove();
  }
}

/** Namespace and privilege flags shared by the probe and real runs. */
function bwrapIsolationArguments(tmpfsSize: boolean): string[] {
  return [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    ...(tmpfsSize ? ['--size', String(TMP_BYTES)] : []),
    '--tmpfs', '/tmp',
    '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    // The pid namespace's init is bwrap: when it dies, the kernel kills every process inside,
    // whatever group or session they moved to; --die-with-parent kills it when loco dies.
    '--die-with-parent', '--new-session',
    // File descriptor 3 carries the filter of sandbox-seccomp.ts (no sockets, no namespaces).
    '--seccomp', '3',
    // When loco runs as root, bwrap would otherwise keep every capability, and CAP_SYS_ADMIN
    // could remount the read-only root writable.
    '--cap-drop', 'ALL',
  ];
}

async function bwrapArguments(shell: string, shellArguments: readonly string[], options: SandboxRunOptions): Promise<string[]> {
  const args = bwrapIsolationArguments((await bwrapFeatures()).tmpfsSize);
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
  // The hiding mounts are made read-only last (the binds above need mount points in them):
  // writable, they would be RAM to fill without the /tmp cap.
  for (const directory of hidden) args.push('--remount-ro', directory);
  args.push('--clearenv');
  for (const [name, value] of Object.entries(baseEnvironment(sanitizedPath([])))) args.push('--setenv', name, value);
  args.push('--chdir', options.cwd, '--', shell, ...shellArguments);
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

/** Lookups per PATH and name: every Bash call needs the shell (and bwrap), PATH rarely changes. */
const executables = new Map<string, Promise<string | undefined>>();

export function findExecutable(name: string): Promise<string | undefined> {
  const searchPath = sanitizedPath([]);
  const key = `${searchPath}\0${name}`;
  let found = executables.get(key);
  if (found === undefined) {
    found = lookUpExecutable(name, searchPath);
    executables.set(key, found);
  }
  return found;
}

async function lookUpExecutable(name: string, searchPath: string): Promise<string | undefined> {
  for (const directory of searchPath.split(':')) {
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
