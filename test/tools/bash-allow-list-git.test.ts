// git in the allow-list sandbox (no bubblewrap) never runs a program named by config or
// environment (issue 9, item 1). For every hook point a hostile repository sets it to a command
// that creates a marker file; a control run of plain git proves the hook is live where git can
// reach it without a terminal; then every read-only git command runs through the real Bash tool
// and the marker must not appear. Ordinary git use in a clean repository keeps working.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBashTool } from '../../src/tools/bash.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { ToolUseError, type ToolResult } from '../../src/tools/types.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

async function runBash(root: string, command: string, cwd = root): Promise<ToolResult> {
  const tool = createBashTool({ policy: createPathPolicy([root], cwd), sandbox: 'allow-list' });
  try {
    return await tool.run({ command }, { signal: new AbortController().signal });
  } catch (error) {
    if (error instanceof ToolUseError) return { output: error.message, isError: true };
    throw error;
  }
}

/** Plain git as a user would run it, isolated from this machine's own config. */
function plainGit(cwd: string, args: readonly string[], input?: string): void {
  try {
    execFileSync('git', args, {
      cwd,
      input,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      timeout: 20_000,
    });
  } catch {
    // A hook that is not a real helper makes git fail; only the marker matters.
  }
}

const setupGit = (cwd: string, ...args: string[]) => plainGit(cwd, ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args]);

/** Every read-only git form the allow-list accepts, plus refused ones that name hook points. */
const READ_ONLY_COMMANDS = [
  'git status', 'git status --short', 'git diff', 'git diff HEAD', 'git diff --cached', 'git diff --stat', 'git log',
  'git log -p', 'git log --stat --oneline', 'git show', 'git show HEAD:a.txt', 'git blame a.txt', 'git grep hello',
  'git ls-files', 'git ls-tree HEAD', 'git rev-parse HEAD', 'git describe --always', 'git shortlog -sn HEAD',
  'git cat-file -p HEAD:a.txt', 'git branch -a', 'git tag -l', 'git diff --no-index a.txt b.md',
  'git -C . log -p', 'cd sub && git diff', 'echo "$(git diff)"', 'git log -p | head -50',
];

interface HookPoint {
  name: string;
  /** Lines for the repository's .git/config; MARK stands for the command that creates the marker. */
  config: string[];
  /** Plain git arguments that run the hook without a terminal, for the control run. */
  control?: string[];
  controlInput?: string;
  /** Commands specific to this hook point, run through the Bash tool as well. */
  extra?: string[];
}

const HOOK_POINTS: HookPoint[] = [
  { name: 'diff.external', config: ['[diff]', '\texternal = MARK'], control: ['diff'] },
  { name: 'textconv', config: ['[diff "evil"]', '\ttextconv = MARK'], control: ['diff'] },
  { name: 'diff driver command', config: ['[diff "evil"]', '\tcommand = MARK'], control: ['diff'] },
  { name: 'filter clean', config: ['[filter "evil"]', '\tclean = MARK'], control: ['diff'] },
  { name: 'filter smudge', config: ['[filter "evil"]', '\tsmudge = MARK'], control: ['checkout', '--', 'b.md'] },
  { name: 'filter process', config: ['[filter "evil"]', '\tprocess = MARK'], control: ['diff'] },
  { name: 'core.fsmonitor', config: ['[core]', '\tfsmonitor = MARK'], control: ['status'] },
  { name: 'core.pager', config: ['[core]', '\tpager = MARK'] },
  { name: 'pager.<command>', config: ['[pager]', '\tlog = MARK', '\tdiff = MARK', '\tshow = MARK', '\tstatus = MARK'] },
  { name: 'core.sshCommand', config: ['[core]', '\tsshCommand = MARK'], control: ['ls-remote', 'ssh://example.invalid/repo'] },
  { name: 'remote uploadpack', config: ['[remote "origin"]', '\turl = ext::MARK', '\tuploadpack = MARK'] },
  { name: 'alias', config: ['[alias]', '\tst = !MARK', '\tlg = !MARK'], control: ['lg'], extra: ['git lg', 'git st'] },
  { name: 'core.editor', config: ['[core]', '\teditor = MARK', '[sequence]', '\teditor = MARK'] },
  { name: 'credential.helper', config: ['[credential]', '\thelper = !MARK'], control: ['credential', 'fill'], controlInput: 'protocol=https\nhost=example.invalid\n\n' },
  { name: 'core.askPass', config: ['[core]', '\taskPass = MARK'] },
  { name: 'gpg.program', config: ['[gpg]', '\tprogram = MARK', '[log]', '\tshowSignature = true'], extra: ['git log --show-signature', 'git log --format=%G?'] },
  { name: 'core.hooksPath', config: ['[core]', '\thooksPath = HOOKS'] },
  { name: 'include.path', config: ['[include]', '\tpath = INCLUDED'], control: ['diff'] },
  { name: 'includeIf', config: ['[includeIf "gitdir:/"]', '\tpath = INCLUDED'], control: ['diff'] },
  { name: '-c, --config-env, --exec-path, --git-dir, GIT_* variables', config: [], extra: [
    'git -c diff.external=MARK diff', 'git -c core.pager=MARK log', 'git --config-env=diff.external=EVIL diff',
    'git --exec-path=. diff', 'git --git-dir=bare diff --no-index a.txt b.md', 'git --git-dir bare log -p',
    'git --work-tree=. --git-dir=bare diff', 'GIT_EXTERNAL_DIFF=MARK git diff', 'GIT_PAGER=MARK git log',
    'env GIT_EXTERNAL_DIFF=MARK git diff', 'GIT_DIR=bare git log -p', 'GIT_CONFIG_PARAMETERS="\'diff.external\'=\'x\'" git diff',
    'git -C bare log -p', 'git -C bare diff', 'cd bare && git log -p', 'git diff --ext-diff', 'git diff --textconv',
    'git cat-file --filters HEAD:a.txt', 'git cat-file --textconv HEAD:a.txt', 'git grep -O hello', 'git grep --open-files-in-pager=x hello',
  ] },
];

const GIT_HOOK_NAMES = [
  'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg',
  'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive', 'update', 'post-receive',
  'post-update', 'reference-transaction', 'push-to-checkout', 'pre-auto-gc', 'post-rewrite', 'sendemail-validate',
  'fsmonitor-watchman', 'p4-changelist', 'p4-prepare-changelist', 'p4-post-changelist', 'p4-pre-submit', 'post-index-change',
];

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({});
});
after(() => tree.cleanup());

/** A repository with one hook point armed: returns its directory and its marker file. */
async function hostileRepository(point: HookPoint, index: number): Promise<{ repo: string; marker: string }> {
  const repo = path.join(tree.root, `repo-${index}`);
  const marker = path.join(tree.root, `marker-${index}`);
  const mark = `touch ${marker}; cat`;
  await mkdir(path.join(repo, 'sub'), { recursive: true });
  await writeFile(path.join(repo, 'a.txt'), 'hello\n');
  await writeFile(path.join(repo, 'b.md'), 'hello md\n');
  await writeFile(path.join(repo, 'sub', 'c.txt'), 'c\n');
  await writeFile(path.join(repo, '.gitattributes'), '* diff=evil filter=evil\n');
  plainGit(repo, ['init', '-q']);
  setupGit(repo, 'add', '.');
  setupGit(repo, 'commit', '-q', '-m', 'initial');
  // A bare-repository-shaped folder committed in the explored tree, armed the same way.
  const bare = path.join(repo, 'bare');
  plainGit(repo, ['init', '-q', '--bare', 'bare']);
  const hooks = path.join(repo, 'hooks-dir');
  await mkdir(hooks);
  const hookScript = `#!/bin/sh\ntouch ${marker}\n`;
  for (const name of GIT_HOOK_NAMES) {
    for (const directory of [hooks, path.join(repo, '.git', 'hooks'), path.join(bare, 'hooks')]) {
      await writeFile(path.join(directory, name), hookScript);
      await chmod(path.join(directory, name), 0o755);
    }
  }
  const included = path.join(repo, 'included.cfg');
  await writeFile(included, `[diff]\n\texternal = ${mark}\n`);
  const lines = point.config.map((line) => line.replace('MARK', mark).replace('HOOKS', hooks).replace('INCLUDED', included));
  await appendFile(path.join(repo, '.git', 'config'), `${lines.join('\n')}\n`);
  await appendFile(path.join(bare, 'config'), `${lines.join('\n')}\n[diff]\n\texternal = ${mark}\n`);
  // Worktree changes give diff and status work to do (and make filters run).
  await writeFile(path.join(repo, 'a.txt'), 'hello\nchanged\n');
  await writeFile(path.join(repo, 'sub', 'c.txt'), 'c changed\n');
  return { repo, marker };
}

describe('allow-list git never runs a program named by config or environment', () => {
  HOOK_POINTS.forEach((point, index) => {
    test(point.name, async () => {
      const { repo, marker } = await hostileRepository(point, index);
      if (point.control !== undefined) {
        if (point.control[0] === 'checkout') await rm(path.join(repo, 'b.md'));
        plainGit(repo, point.control, point.controlInput);
        assert.ok(existsSync(marker), `control: plain \`git ${point.control.join(' ')}\` should run the ${point.name} hook`);
        await rm(marker);
        if (point.control[0] === 'checkout') await writeFile(path.join(repo, 'b.md'), 'hello md\n');
      }
      const mark = `touch ${marker}`;
      const commands = [...READ_ONLY_COMMANDS, ...(point.extra ?? []).map((command) => command.replace('MARK', `"${mark}"`).replace('EVIL', 'PATH'))];
      const process = globalThis.process;
      // The parent's own GIT_* variables must not reach the sandboxed git either.
      const saved = { ...process.env };
      Object.assign(process.env, { GIT_EXTERNAL_DIFF: mark, GIT_PAGER: mark, PAGER: mark, GIT_SSH_COMMAND: mark, GIT_EDITOR: mark, GIT_DIR: path.join(repo, 'bare') });
      try {
        for (const command of commands) {
          const result = await runBash(tree.root, command, repo);
          assert.ok(!existsSync(marker), `${command} ran the ${point.name} hook: ${result.output.slice(0, 300)}`);
        }
      } finally {
        for (const name of ['GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'PAGER', 'GIT_SSH_COMMAND', 'GIT_EDITOR', 'GIT_DIR']) {
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
        }
      }
    });
  });

  test('a repository whose config names a program is refused with the key named', async () => {
    const { repo } = await hostileRepository(HOOK_POINTS[1], 100);
    const result = await runBash(tree.root, 'git log -p', repo);
    assert.equal(result.isError, true);
    assert.match(result.output, /sets diff\.evil\.textconv, which can run a program/);
  });
});

describe('ordinary git use in allow-list mode', () => {
  let repo: string;
  before(async () => {
    repo = path.join(tree.root, 'clean');
    await mkdir(repo);
    await writeFile(path.join(repo, 'a.txt'), 'one\n');
    plainGit(repo, ['init', '-q']);
    setupGit(repo, 'add', '.');
    setupGit(repo, 'commit', '-q', '-m', 'first commit');
    await writeFile(path.join(repo, 'a.txt'), 'one\ntwo\n');
  });

  test('log, diff, status, show, blame and grep work', async () => {
    assert.deepEqual(await runBash(tree.root, 'git log --format=%s', repo), { output: 'first commit', isError: false });
    const diff = await runBash(tree.root, 'git diff', repo);
    assert.equal(diff.isError, false, diff.output);
    assert.match(diff.output, /^\+two$/m);
    assert.deepEqual(await runBash(tree.root, 'git status --short', repo), { output: ' M a.txt', isError: false });
    assert.match((await runBash(tree.root, 'git show --stat HEAD', repo)).output, /a\.txt \| 1 \+/);
    assert.match((await runBash(tree.root, 'git blame a.txt', repo)).output, /one/);
    assert.deepEqual(await runBash(tree.root, 'git grep -n two', repo), { output: 'a.txt:2:two', isError: false });
    assert.deepEqual(await runBash(tree.root, 'cd clean && git log --oneline | wc -l'), { output: '1', isError: false });
  });

  test('harmless repository settings (husky hooksPath, boolean pagers, fsmonitor off) do not block git', async () => {
    await appendFile(path.join(repo, '.git', 'config'), '[core]\n\thooksPath = .husky\n\tfsmonitor = false\n[pager]\n\tbranch = false\n');
    assert.deepEqual(await runBash(tree.root, 'git log --format=%s', repo), { output: 'first commit', isError: false });
  });
});
