// The ripgrep searcher: runs `rg` with flags that pin its file selection (see walk.ts for
// the same rules in JS) and parses its NUL-separated output into the shared structures.
// ripgrep's own configuration file is ignored so results do not depend on the machine.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ToolUseError } from '../types.js';
import { VCS_DIRECTORY_NAMES } from './glob-rules.js';
import {
  type FileMatches,
  type GrepLine,
  type GrepQuery,
  MAX_LINE_BYTES,
  OMITTED_CONTEXT_LINE,
  OMITTED_MATCH_LINE,
  type SearchEngine,
} from './types.js';

/** Output beyond this is refused rather than held in memory. */
const MAX_OUTPUT_BYTES = 128 * 1024 * 1024;

/**
 * Which files are searched, pinned so the JS searcher can match it: hidden files yes;
 * .gitignore files inside the search root, whether or not it is a git repository; no
 * ignore rules from outside the root (parent folders, global excludes, .git/info/exclude)
 * nor .ignore files. Unreadable files are skipped silently; paths end with NUL for parsing.
 */
const SELECTION_FLAGS: readonly string[] = [
  '--no-config',
  '--hidden',
  '--no-require-git',
  '--no-ignore-parent',
  '--no-ignore-global',
  '--no-ignore-exclude',
  '--no-ignore-dot',
  '--no-messages',
  '--null',
  '--color=never',
];
/** Last, so that no include glob of the model's can bring a VCS folder back. */
const VCS_GLOBS: readonly string[] = VCS_DIRECTORY_NAMES.map((name) => `--glob=!${name}`);
const BINARY_NOTE = /^(.*): (WARNING: stopped searching binary file after match|binary file matches) \(found "\\0" byte around offset (\d+)\)$/s;
const OMITTED_LINE = /^\[Omitted long (matching line|context line|line with \d+ matches?)\]$/;

let ripgrepLookup: string | null | undefined;

/** Absolute path of `rg` on PATH, looked up once per process; undefined when absent. */
export function findRipgrep(): string | undefined {
  if (ripgrepLookup === undefined) {
    ripgrepLookup = null;
    for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
      if (directory === '') continue;
      const candidate = path.join(directory, process.platform === 'win32' ? 'rg.exe' : 'rg');
      try {
        accessSync(candidate, constants.X_OK);
        if (!statSync(candidate).isFile()) continue;
        ripgrepLookup = candidate;
        break;
      } catch {
        // not in this directory
      }
    }
  }
  return ripgrepLookup ?? undefined;
}

interface RipgrepRun {
  stdout: Buffer;
  code: number;
}

/** Runs rg; the child is killed when `signal` aborts. Exit 2 with a message is a usage error. */
export function runRipgrep(executable: string, args: readonly string[], cwd: string, signal: AbortSignal): Promise<RipgrepRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        tooLarge = true;
        child.kill();
      } else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (signal.aborted) return reject(signal.reason);
      if (tooLarge) {
        return reject(new ToolUseError('The search produced more than 128 MB of output. Narrow it with path, glob, type or a more specific pattern.'));
      }
      const stderr = Buffer.concat(errors).toString('utf8').trim();
      // With --no-messages, exit 2 and no message means unreadable files were skipped.
      if (code === 2 && stderr !== '') return reject(new ToolUseError(stderr));
      if (code === null || code > 2) return reject(new Error(`rg exited with ${code ?? 'a signal'}: ${stderr}`));
      resolve({ stdout: Buffer.concat(chunks), code });
    });
  });
}

/** The full rg command line for a query (exported so the benchmark runs the same command). */
export function ripgrepGrepArguments(query: GrepQuery): string[] {
  const args = [...SELECTION_FLAGS, '--with-filename'];
  if (query.caseInsensitive) args.push('--ignore-case');
  if (query.multiline) args.push('--multiline', '--multiline-dotall');
  // Values joined to their flags: a model's value starting with '-' can never become a flag.
  for (const glob of query.globs) args.push(`--glob=${glob}`);
  args.push(...VCS_GLOBS);
  if (query.type !== undefined) args.push(`--type=${query.type}`);
  if (query.mode === 'files_with_matches') args.push('--files-with-matches');
  else if (query.mode === 'count') args.push('--count');
  else {
    args.push('--line-number', `--max-columns=${MAX_LINE_BYTES}`);
    if (query.before > 0) args.push(`--before-context=${query.before}`);
    if (query.after > 0) args.push(`--after-context=${query.after}`);
  }
  args.push(`--regexp=${query.pattern}`, '--', query.root);
  return args;
}

/** One file's part of rg's content output: byte ranges of its lines, decoded on demand. */
interface Block {
  matches: FileMatches;
  ranges: number[];
}

/** Decodes a block's lines: `path\0N:text` for matches, `path\0N-text` for context. */
function decodeBlock(stdout: Buffer, ranges: readonly number[]): GrepLine[] {
  const lines: GrepLine[] = [];
  for (let index = 0; index < ranges.length; index += 2) {
    for (const line of stdout.toString('utf8', ranges[index], ranges[index + 1]).split('\n')) {
      const nul = line.indexOf('\0');
      if (nul === -1) continue;
      let digitsEnd = nul + 1;
      while (line.charCodeAt(digitsEnd) >= 48 && line.charCodeAt(digitsEnd) <= 57) digitsEnd += 1;
      const match = line[digitsEnd] === ':';
      let text = line.slice(digitsEnd + 1);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      else if (text.startsWith('[Omitted long') && OMITTED_LINE.test(text)) text = match ? OMITTED_MATCH_LINE : OMITTED_CONTEXT_LINE;
      lines.push({ number: Number(line.slice(nul + 1, digitsEnd)), match, text });
    }
  }
  return lines;
}

/**
 * Splits rg's content output into per-file blocks without decoding their text: lines are
 * found and compared as bytes, and only block paths and binary notes are decoded here.
 * Large outputs are mostly never shown (the tool shows about 20,000 characters), so
 * decoding them all would be most of the tool's cost.
 */
function parseContent(stdout: Buffer): FileMatches[] {
  const blocks = new Map<string, Block>();
  const blockFor = (filePath: string): Block => {
    let block = blocks.get(filePath);
    if (block === undefined) {
      const ranges: number[] = [];
      const matches: FileMatches = { path: filePath, count: 0, lineCount: 0, gapCount: 0, lines: () => decodeBlock(stdout, ranges) };
      block = { matches, ranges };
      blocks.set(filePath, block);
    }
    return block;
  };
  let current: Block | undefined;
  let prefixStart = 0; // where the current block's "path\0" bytes are
  let prefixLength = 0;
  let separatorSeen = false;
  for (let start = 0; start < stdout.length; ) {
    let end = stdout.indexOf(0x0a, start);
    if (end === -1) end = stdout.length;
    const isSeparator = end - start === 2 && stdout[start] === 0x2d && stdout[start + 1] === 0x2d;
    const sameFile =
      !isSeparator &&
      current !== undefined &&
      stdout[start + prefixLength - 1] === 0 &&
      stdout.compare(stdout, prefixStart, prefixStart + prefixLength, start, start + prefixLength) === 0;
    if (sameFile && current !== undefined) {
      // A "--" counts as a gap only between two lines of one file.
      if (separatorSeen) current.matches.gapCount += 1;
      current.matches.lineCount += 1;
      const { ranges } = current;
      if (ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end + 1;
      else ranges.push(start, end + 1);
    } else if (!isSeparator) {
      const nul = stdout.indexOf(0, start);
      if (nul === -1 || nul > end) {
        const note = BINARY_NOTE.exec(stdout.toString('utf8', start, end));
        if (note) blockFor(note[1]).matches.binary = { kind: note[2] === 'binary file matches' ? 'matches' : 'stopped', offset: Number(note[3]) };
        current = undefined;
      } else {
        prefixStart = start;
        prefixLength = nul + 1 - start;
        current = blockFor(stdout.toString('utf8', start, nul));
        current.matches.lineCount += 1;
        current.ranges.push(start, end + 1);
      }
    }
    separatorSeen = isSeparator;
    start = end + 1;
  }
  return [...blocks.values()].map((block) => block.matches);
}

function summary(filePath: string, count: number): FileMatches {
  return { path: filePath, count, lineCount: 0, gapCount: 0, lines: () => [] };
}

function parseCounts(stdout: Buffer): FileMatches[] {
  const results: FileMatches[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    const nul = line.lastIndexOf('\0');
    if (nul !== -1) results.push(summary(line.slice(0, nul), Number(line.slice(nul + 1))));
  }
  return results;
}

function parsePaths(stdout: Buffer): string[] {
  return stdout
    .toString('utf8')
    .split('\0')
    .filter((entry) => entry !== '');
}

/** The rg command line that lists the files a search of `root` reads. */
export function ripgrepListArguments(root: string, extra: readonly string[] = []): string[] {
  return [...SELECTION_FLAGS, '--files', ...extra, ...VCS_GLOBS, '--', root];
}

export function createRipgrepEngine(executable: string): SearchEngine {
  return {
    name: 'ripgrep',
    async grep(query, signal) {
      const cwd = query.rootIsFile ? path.dirname(query.root) : query.root;
      const { stdout } = await runRipgrep(executable, ripgrepGrepArguments(query), cwd, signal);
      if (query.mode === 'files_with_matches') return parsePaths(stdout).map((file) => summary(file, 0));
      return query.mode === 'count' ? parseCounts(stdout) : parseContent(stdout);
    },
    async listFiles(root, signal) {
      const isFile = (await stat(root)).isFile();
      const { stdout } = await runRipgrep(executable, ripgrepListArguments(root), isFile ? path.dirname(root) : root, signal);
      return parsePaths(stdout);
    },
  };
}
