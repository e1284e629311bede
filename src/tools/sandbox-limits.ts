// Resource limits of one Bash run, so that a fork bomb, a memory hog or a huge file kills the
// call and not the machine. What is enforced where:
// - address space (RLIMIT_AS), file size (RLIMIT_FSIZE), CPU seconds per process (RLIMIT_CPU)
//   and core dumps (RLIMIT_CORE): in both modes, as hard limits set by a small bash prologue
//   before the model's command starts. In bwrap mode no capability is left, so nothing can raise
//   them; in allow-list mode `ulimit`/`prlimit` are not on the allow-list. RLIMIT_CPU also ends
//   a CPU-bound process that escaped every kill (allow-list mode without pkill for the watchdog).
// - process count: RLIMIT_NPROC counts every process of the real user, machine-wide, and the
//   kernel never enforces it for root (uid 0 of the initial user namespace, which bwrap run by
//   root keeps). So for other users it is set to the user's current count plus a budget; and a
//   pids cgroup caps the run wherever we may create one (cgroup v1 `pids` hierarchy, as root);
//   where neither applies (root without a writable pids cgroup), the process count is bounded
//   only by the memory limit per process, the timeout and the kill of the whole run.
// The same bash prologue starts the allow-list watchdog (see WATCHDOG below).
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

export interface ResourceLimits {
  /** Bytes of address space per process. */
  addressSpaceBytes: number;
  /** Largest file a process may write. */
  fileSizeBytes: number;
  /** CPU seconds per process. */
  cpuSeconds: number;
  /** Processes (threads included) the run may have at once. */
  processes: number;
}

export const DEFAULT_LIMITS: Omit<ResourceLimits, 'cpuSeconds'> = {
  addressSpaceBytes: 3 * 1024 ** 3,
  fileSizeBytes: 256 * 1024 ** 2,
  processes: 256,
};

/**
 * Limits for a run with this timeout. CPU time counts every thread of a process (ripgrep
 * searches on all cores), so a process never needs more than the wall time times the cores.
 */
export function limitsFor(timeoutMs: number): ResourceLimits {
  return { ...DEFAULT_LIMITS, cpuSeconds: (Math.ceil(timeoutMs / 1000) + 1) * availableParallelism() };
}

/**
 * bash arguments that set the limits as hard and soft limits, then exec `shell -c command`.
 * A limit already lower is kept (an unprivileged process cannot raise a hard limit anyway).
 * `nproc` is the RLIMIT_NPROC value, or undefined where it would not be enforced.
 */
export function limitedShellArguments(shell: string, command: string, limits: ResourceLimits, nproc: number | undefined, watchdog: boolean): string[] {
  const settings: [string, number][] = [
    ['-v', Math.floor(limits.addressSpaceBytes / 1024)], // KiB
    ['-f', Math.floor(limits.fileSizeBytes / 1024)], // KiB outside POSIX mode
    ['-t', limits.cpuSeconds],
    ['-c', 0],
  ];
  if (nproc !== undefined) settings.push(['-u', nproc]);
  const prologue = [
    // Without -H or -S, ulimit sets both limits at once (a hard limit below the soft one alone fails).
    'cap() { h=$(ulimit -H "$1") || return 1; if [ "$h" = unlimited ] || [ "$h" -gt "$2" ]; then ulimit "$1" "$2"; else ulimit -S "$1" "$h"; fi; }',
    ...(watchdog ? [WATCHDOG] : []),
    `if ${settings.map(([flag, value]) => `cap ${flag} ${value}`).join(' && ')}; then exec "$0" -c -- "$1" 3<&-; fi`,
    'echo "loco: could not set the resource limits of the sandbox" >&2',
    'exit 126',
  ].join('\n');
  // `--` (here and in the exec): a command starting with '-' is a command, never a shell option.
  return ['-c', '--', prologue, shell, command];
}

/**
 * The allow-list watchdog: this shell leads the run's session (the spawn called setsid), so a
 * background subshell blocks on file descriptor 3, loco's lifeline, and kills the whole session
 * when it reads end-of-file, which happens whenever loco dies, SIGKILL included. It holds no
 * output pipe (the call would otherwise wait for it) and the command does not inherit fd 3.
 * Needs pkill (procps): without it, a run outlives a SIGKILLed loco (RLIMIT_CPU still ends
 * CPU-bound processes).
 */
const WATCHDOG = '( read -r _ <&3; pkill -KILL -s $$ ) </dev/null >/dev/null 2>&1 &';

/** RLIMIT_NPROC for this user: its current process count plus the budget; undefined for root. */
export function processLimitForUser(budget: number): number | undefined {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return undefined;
  let count = 0;
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const status = readFileSync(`/proc/${name}/status`, 'latin1');
        if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) count += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return undefined; // no /proc: the count is unknown, a guess could break the user's session
  }
  return count + budget;
}

// ---------------------------------------------------------------- pids cgroup

export interface PidsGroup {
  /** Path of cgroup.procs: a process that writes its own pid there joins the group. */
  procsFile: string;
  remove(): Promise<void>;
  /** For exit handlers: one synchronous attempt (the members were just killed). */
  removeSync(): void;
}

let groupCounter = 0;

/** The pids hierarchy directory of this process, when cgroup v1 mounts one we may write. */
export function pidsHierarchy(): string | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => /^\d+:pids:/.test(entry));
    if (line === undefined) return undefined;
    return path.join('/sys/fs/cgroup/pids', line.slice(line.indexOf(':pids:') + ':pids:'.length));
  } catch {
    return undefined;
  }
}

/**
 * A fresh pids cgroup capped at `processes`, or undefined where none can be made (cgroup v2
 * would need a delegated subtree: out of scope; the rlimit applies there for non-root users).
 */
export async function createPidsGroup(processes: number): Promise<PidsGroup | undefined> {
  const hierarchy = pidsHierarchy();
  if (hierarchy === undefined) return undefined;
  if (groupCounter === 0) removeStaleGroups(hierarchy);
  const directory = path.join(hierarchy, `loco-${process.pid}-${++groupCounter}`);
  try {
    await mkdir(directory);
  } catch {
    return undefined; // read-only or not ours
  }
  try {
    await writeFile(path.join(directory, 'pids.max'), String(processes));
  } catch {
    await rmdir(directory).catch(() => undefined);
    return undefined;
  }
  return {
    procsFile: path.join(directory, 'cgroup.procs'),
    // Called after every member was killed; a member still exiting keeps it busy for a moment.
    remove: async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await rmdir(directory);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    removeSync: () => {
      const deadline = Date.now() + 1000;
      for (;;) {
        try {
          rmdirSync(directory);
          return;
        } catch {
          if (Date.now() > deadline) return; // a member still exiting: left for the administrator
        }
      }
    },
  };
}

/** Empty groups left by loco processes that died by SIGKILL (no exit handler ran). */
function removeStaleGroups(hierarchy: string): void {
  try {
    for (const name of readdirSync(hierarchy)) {
      const owner = /^loco-(\d+)-\d+$/.exec(name)?.[1];
      if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
      try {
        rmdirSync(path.join(hierarchy, name));
      } catch {
        // still has members, or not ours to remove
      }
    }
  } catch {
    // unreadable hierarchy: nothing to sweep
  }
}

/** Whether this machine caps a run's process count (RLIMIT_NPROC for non-root users, else a pids cgroup). */
export async function processCountLimited(): Promise<boolean> {
  if (processLimitForUser(0) !== undefined) return true;
  const group = await createPidsGroup(1);
  await group?.remove();
  return group !== undefined;
}

/** Wraps `program args` so that it first moves itself into the group. */
export function joinGroupArguments(shell: string, group: PidsGroup, program: string, args: readonly string[]): [string, string[]] {
  const script = 'echo $$ > "$1" || { echo "loco: could not join the pids cgroup" >&2; exit 126; }; shift; exec "$@"';
  return [shell, ['-c', script, 'loco-join', group.procsFile, program, ...args]];
}
