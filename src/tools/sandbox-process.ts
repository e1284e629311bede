// Process plumbing of the Bash sandbox: starts one command in a session of its own, bounds
// its output and time, and makes sure nothing it started outlives it. A process group is not
// enough (coreutils `timeout` moves itself into a group of its own), so every run is tracked by
// its session: the spawned process calls setsid (`detached`), and all its descendants keep
// that session id unless they call setsid themselves, which the allow-list does not offer.
// In bwrap mode bubblewrap's own pid namespace holds everything: the sandbox's init runs in a
// session of its own (`--new-session`) as a child of the spawned bwrap, and killing it takes
// the whole namespace down; `--die-with-parent` covers the case where loco itself is killed.
// Killing repeats until a scan of /proc finds no live member; loco's exit, SIGTERM, SIGINT and
// SIGHUP kill whatever is still running, synchronously. When loco is killed with SIGKILL, the
// allow-list watchdog (sandbox-limits.ts) sees fd 3, the lifeline, close and kills the session.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

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

export interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutputBytes: number;
  /**
   * File descriptor 3 of the child: bytes it reads (bwrap's `--seccomp 3`), or a lifeline that
   * stays open while loco lives (its end of file tells the allow-list watchdog that loco died).
   */
  fd3?: { input: Buffer } | 'lifeline';
  /** Runs synchronously after the run's processes were killed because loco is exiting. */
  cleanupOnExit?: () => void;
}

/** Once this many bytes per kept byte were dropped, the command is stopped: nobody will see them. */
const OUTPUT_KILL_FACTOR = 64;
/** After the shell exits, how long descendants may hold the pipes open before they are killed. */
const PIPE_GRACE_MS = 1000;
/** How long killing may take before we give up waiting (a process stuck in the kernel). */
const KILL_WAIT_MS = 5000;

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

// ---------------------------------------------------------------- killing a run's processes

interface ProcessEntry {
  pid: number;
  ppid: number;
  session: number;
}

/** Live processes from /proc (zombies are dead and only wait for a reaper); undefined without /proc. */
function processTable(): ProcessEntry[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const table: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp session ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    table.push({ pid: Number(name), ppid: Number(fields[1]), session: Number(fields[3]) });
  }
  return table;
}

/**
 * The processes that belong to the run led by `leader`: its session, the descendants of any
 * member, and the sessions those descendants lead (bwrap's init runs in a session of its own).
 */
function runMembers(leader: number, table: readonly ProcessEntry[]): number[] {
  const sessions = new Set([leader]);
  const members = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of table) {
      if (members.has(entry.pid)) continue;
      if (sessions.has(entry.session) || members.has(entry.ppid)) {
        members.add(entry.pid);
        sessions.add(entry.session);
        grew = true;
      }
    }
  }
  return [...members];
}

function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills one round; returns how many live members there were (-1: no /proc, group killed instead). */
function killRound(leader: number): number {
  const table = processTable();
  if (table === undefined) {
    killAll([-leader]); // without /proc (not Linux), the process group is the best there is
    return -1;
  }
  const members = runMembers(leader, table);
  killAll(members);
  return members.length;
}

/** Kills every process of the run, repeating until none is left alive (or KILL_WAIT_MS passed). */
export async function killRun(leader: number): Promise<void> {
  const deadline = Date.now() + KILL_WAIT_MS;
  while (killRound(leader) > 0 && Date.now() < deadline) await delay(5);
}

function killRunSync(leader: number): void {
  const deadline = Date.now() + KILL_WAIT_MS;
  while (killRound(leader) > 0 && Date.now() < deadline) {
    // busy-waits: an exit handler cannot wait for timers
  }
}

// ---------------------------------------------------------------- runs alive when loco ends

/** Leaders of the live runs, with what to undo once they are killed at exit. */
const liveRuns = new Map<number, (() => void) | undefined>();
const TERMINATING_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Kills every live run; each leaves the set when its own settle has finished. */
function killLiveRuns(): void {
  for (const [leader, cleanup] of liveRuns) {
    killRunSync(leader);
    cleanup?.();
  }
}

function onTerminatingSignal(signal: NodeJS.Signals): void {
  // Another listener means the program handles the signal itself (a worker's or a server's
  // graceful stop aborts its runs, which kills them; the exit hook kills what is left).
  if (process.listenerCount(signal) > 1) return;
  // Alone, this listener must not swallow the signal: kill the runs, restore the default and raise it again.
  killLiveRuns();
  removeExitHooks();
  process.kill(process.pid, signal);
}

function addExitHooks(): void {
  process.on('exit', killLiveRuns);
  for (const signal of TERMINATING_SIGNALS) process.on(signal, onTerminatingSignal);
}

function removeExitHooks(): void {
  process.off('exit', killLiveRuns);
  for (const signal of TERMINATING_SIGNALS) process.off(signal, onTerminatingSignal);
}

function trackRun(leader: number, cleanup: (() => void) | undefined): void {
  if (liveRuns.size === 0) addExitHooks();
  liveRuns.set(leader, cleanup);
}

function untrackRun(leader: number): void {
  if (!liveRuns.delete(leader)) return;
  if (liveRuns.size === 0) removeExitHooks();
}

// ---------------------------------------------------------------- running

export function runProcess(program: string, args: readonly string[], options: ProcessOptions): Promise<SandboxRunResult> {
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
    // detached: the child calls setsid, so its session id names the run (see the header).
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    if (options.fd3 !== undefined) stdio.push('pipe');
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, detached: true, stdio });
    const leader = child.pid;
    if (leader !== undefined) trackRun(leader, options.cleanupOnExit);
    const fd3 = child.stdio[3];
    if (fd3 !== null && fd3 !== undefined && 'end' in fd3) {
      fd3.on('error', () => undefined); // the child exited before reading: its exit reports it
      if (options.fd3 !== undefined && options.fd3 !== 'lifeline') fd3.end(options.fd3.input);
    }
    let exitCode: number | undefined;
    let openStreams = 2;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const killNow = () => {
      if (leader !== undefined) killRound(leader);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killNow();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killNow();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const hardLimit = options.maxOutputBytes * OUTPUT_KILL_FACTOR;
    const collect = (output: BoundedOutput) => (chunk: Buffer) => {
      output.push(chunk);
      if (!outputLimitExceeded && stdout.droppedBytes + stderr.droppedBytes > hardLimit) {
        outputLimitExceeded = true;
        killNow();
      }
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));

    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      fd3?.destroy();
      // However the run ended, whatever it left behind (`sleep 100 &`, a `timeout` in its own
      // group) dies before the result is returned.
      const cleanup = leader === undefined ? Promise.resolve() : killRun(leader);
      void cleanup.then(() => {
        if (leader !== undefined) untrackRun(leader);
        resolve(finish(started, stdout, stderr, code, { timedOut, aborted, outputLimitExceeded }));
      });
    };
    child.on('error', (error) => {
      stderr.push(Buffer.from(`${program}: ${error.message}\n`));
      settle(127);
    });
    // Done when the child exited and its output pipes closed ('close' would also wait for fd 3).
    const onStreamClosed = () => {
      openStreams--;
      if (openStreams === 0 && exitCode !== undefined) settle(exitCode);
    };
    child.stdout?.on('close', onStreamClosed);
    child.stderr?.on('close', onStreamClosed);
    child.on('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0));
      if (openStreams === 0) settle(exitCode);
      // A background descendant may keep the pipes open: give its output a moment, then settle.
      else graceTimer = setTimeout(() => settle(exitCode ?? 1), PIPE_GRACE_MS);
    });
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
