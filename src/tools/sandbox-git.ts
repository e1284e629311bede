// Keeps git from running programs in the allow-list sandbox (used when bubblewrap is not
// usable). Repository config is attacker-controlled (an explored repo's .git/config, or a
// bare-repository-shaped folder committed inside it), and git runs programs named there: external
// diff and textconv drivers, filters, pagers, fsmonitor, ssh commands, credential helpers, gpg.
// Two layers: the environment every allow-list command gets (no system or global config, no
// implicit bare repositories, safe values forced for fixed-name keys, at command scope so they
// beat repository config), and, because drivers and filters have names chosen by the repository
// (`diff.<any>.textconv`), a scan of the config git will actually read before a git command
// runs: any key that names a program refuses the command. (core.hooksPath is only forced to
// /dev/null: husky and similar tools set it, and no read-only command runs hooks.)
import { spawnSync } from 'node:child_process';

/** Forced at command scope (GIT_CONFIG_COUNT), which wins over every config file. */
const FORCED_CONFIG: readonly (readonly [string, string])[] = [
  ['core.fsmonitor', 'false'],
  ['core.pager', 'cat'],
  ['core.hooksPath', '/dev/null'],
  ['log.showSignature', 'false'],
  // A bare-repository-shaped folder committed in the explored repo is not used implicitly.
  ['safe.bareRepository', 'explicit'],
  // No transport (lazy fetches of partial clones, ext:: remotes) may start.
  ['protocol.allow', 'never'],
  // git status and diff would run git inside submodules, whose config the scan below does not read.
  ['diff.ignoreSubmodules', 'all'],
  ['submodule.recurse', 'false'],
];

/** Environment for git in allow-list mode; the child's environment is built from nothing else. */
export function gitSafeEnvironment(): Record<string, string> {
  const env: Record<string, string> = {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    // Keeps `git status` from refreshing the index (a write).
    GIT_OPTIONAL_LOCKS: '0',
    GIT_NO_LAZY_FETCH: '1',
    GIT_CONFIG_COUNT: String(FORCED_CONFIG.length),
  };
  FORCED_CONFIG.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

/**
 * Config keys whose value is a program git may run (lower case, as `git config --list` prints
 * them). Matching the last name part catches drivers and filters under any name.
 */
const PROGRAM_KEY =
  /^(diff\.external|core\.(pager|fsmonitor|sshcommand|editor|askpass|gitproxy|alternaterefscommand)|sequence\.editor|pager\..*|alias\..*|include\..*|includeif\..*|gpg\..*program|.*\.(textconv|command|clean|smudge|process|driver|helper|cmd|program|uploadpack|receivepack|proxycommand|packobjectshook))$/;
/** Keys that name a program only when their value is not a boolean (`pager.branch = false`). */
const BOOLEAN_OR_PROGRAM_KEY = /^(pager\..*|core\.fsmonitor)$/;
const BOOLEAN = /^(true|false|yes|no|on|off|1|0|)$/i;

/**
 * Why git must not run in `directory`: the config git would read there names a program.
 * Undefined when nothing does, or when the directory does not exist (git would not start).
 */
export function gitConfigProblem(directory: string): string | undefined {
  const result = spawnSync('git', ['config', '--list', '--show-scope', '--includes', '--null'], {
    cwd: directory,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...gitSafeEnvironment() },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `git's configuration could not be checked (${result.error.message})`;
  }
  // Exit status 128: not a repository that git may use here (it refuses to run there too).
  if (result.status !== 0) return undefined;
  // --null: `scope NUL key LF value NUL` (no LF and value for a bare `key`).
  const fields = result.stdout.split('\0');
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const scope = fields[index];
    const newline = fields[index + 1].indexOf('\n');
    const key = newline === -1 ? fields[index + 1] : fields[index + 1].slice(0, newline);
    const value = newline === -1 ? '' : fields[index + 1].slice(newline + 1);
    if (scope === 'command') continue;
    if (BOOLEAN_OR_PROGRAM_KEY.test(key.toLowerCase()) && BOOLEAN.test(value.trim())) continue;
    if (PROGRAM_KEY.test(key.toLowerCase())) {
      return `the git configuration in ${directory} sets ${key}, which can run a program; git is not allowed there without the bubblewrap sandbox`;
    }
  }
  return undefined;
}
