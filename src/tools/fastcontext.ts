// FastContext-1.0-4B's tools, as its released harness shapes them: Read (`path`, `offset`,
// `limit`) answers a fenced block headed `path:start-end` with `N|text` lines; Glob
// (`pattern`, `directory`) lists `rg --files` unsorted; Grep takes Claude Code's schema and
// answers ripgrep's `--heading` output, with the harness's quirks kept because the model
// learned them: no output_mode gives rg's plain matching lines, `count` adds no flag, and
// content mode defaults to `-C 3 -n`. Caps come from the profile. Paths stay inside the
// allowed roots like every other tool's; errors are thrown for the executor to word.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { capLines, FASTCONTEXT_EMPTY_FILE, FASTCONTEXT_NO_FILES, FASTCONTEXT_NO_MATCHES, globTruncation, grepTruncation, readBlock } from '../protocol/fastcontext-format.js';
import { type PathPolicy, resolveAllowedPath } from './paths.js';
import { ok, type ToolDefinition, type ToolResult, ToolUseError } from './types.js';

export interface FastContextCaps {
  readLines: number;
  lineCharacters: number;
  grepLines: number;
  globResults: number;
  contextLines: number;
}

const MAX_READ_BYTES = 16 * 1024 * 1024;
const MAX_RG_OUTPUT = 64 * 1024 * 1024;

// The implementations' own argument checks; the schemas the model is shown are the profile's.
const readSchema = z.strictObject({
  path: z.string().min(1).describe('Absolute path of the file to read'),
  // The harness reads from line 1 for a missing or negative offset.
  offset: z.number().int().optional().describe('First line to read (1-based)'),
  limit: z.number().int().min(1).optional().describe('Number of lines to read'),
});

const globSchema = z.strictObject({
  pattern: z.string().min(1).describe('Glob pattern to match files against, e.g. "**/*.py"'),
  directory: z.string().optional().describe('Directory to search in; defaults to the workspace'),
});

const context = z.number().int().min(0);
const grepSchema = z.strictObject({
  pattern: z.string().describe('Regular expression to search file contents for'),
  path: z.string().optional().describe('File or directory to search in; defaults to the workspace'),
  glob: z.string().optional().describe('Glob to filter files, e.g. "*.js"'),
  output_mode: z.enum(['content', 'files_with_matches', 'count']).optional().describe('"content", "files_with_matches" or "count"'),
  '-B': context.optional().describe('Lines before each match'),
  '-A': context.optional().describe('Lines after each match'),
  '-C': context.optional().describe('Lines before and after each match'),
  '-n': z.boolean().optional().describe('Show line numbers'),
  '-i': z.boolean().optional().describe('Case-insensitive search'),
  type: z.string().optional().describe('File type to search, e.g. "py"'),
  head_limit: z.number().int().min(0).optional().describe('Show only the first N lines'),
  multiline: z.boolean().optional().describe('Let patterns span lines'),
});

/** Where the harness's tools stop: the path as given, and the directory it must stay in. */
function permissionError(policy: PathPolicy, input: string): ToolUseError {
  return new ToolUseError(`Permission error: \`${input}\` is not within the working directory \`${policy.cwd}\`.`);
}

/** The path inside the roots, or undefined when nothing is there; outside the roots is refused. */
async function resolveInside(policy: PathPolicy, input: string): Promise<{ absolute: string; directory: boolean } | undefined> {
  let absolute: string;
  try {
    absolute = await resolveAllowedPath(policy, input);
  } catch (error) {
    if (error instanceof ToolUseError) throw permissionError(policy, input);
    return undefined;
  }
  const info = await stat(absolute).catch(() => undefined);
  return info && { absolute, directory: info.isDirectory() };
}

/** Runs ripgrep; exit 1 (nothing found) is an empty answer, not a failure. */
function ripgrep(args: readonly string[], cwd: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rg', ['--no-config', '--color=never', ...args], { cwd, signal, maxBuffer: MAX_RG_OUTPUT, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code: unknown = (error as { code?: unknown }).code;
      if (code === 1) return resolve('');
      if (code === 'ENOENT') return reject(new ToolUseError('Error: ripgrep (rg) is not installed; Grep and Glob need it.'));
      if (signal.aborted) return reject(new ToolUseError('Error: the search was cancelled'));
      reject(new ToolUseError(`Error: ${stderr.trim() || error.message}`));
    });
  });
}

function outputLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function createFastContextReadTool(deps: { policy: PathPolicy; caps: FastContextCaps }): ToolDefinition<typeof readSchema> {
  return {
    name: 'Read',
    description: 'Read a file. Returns the lines as `N|text` in a block headed `path:start-end`; offset (1-based) and limit select a range.',
    schema: readSchema,
    readOnly: true,
    sizeCap: 400_000,
    promptUse: 'Use Read to read files.',
    progress: { key: 'path' },
    async run(args): Promise<ToolResult> {
      const found = await resolveInside(deps.policy, args.path);
      if (!found) throw new ToolUseError(`Read Tool: file ${args.path} does not exist.`);
      if (found.directory) throw new ToolUseError(`Read Tool: ${args.path} is a directory, not a file.`);
      if ((await stat(found.absolute)).size > MAX_READ_BYTES) throw new ToolUseError(`Read Tool: file ${args.path} is too large to read.`);
      const text = (await readFile(found.absolute, 'utf8')).replace(/\r\n?/g, '\n');
      if (text === '') return ok(FASTCONTEXT_EMPTY_FILE);
      // Lines keep their newline, as Python's readlines() gives them.
      const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
      const first = args.offset === undefined || args.offset < 1 ? 1 : args.offset;
      if (first > lines.length) throw new ToolUseError(`Read Tool: offset ${first} is past the end of ${args.path} (${lines.length} lines).`);
      const wanted = Math.min(args.limit ?? lines.length, lines.length - first + 1);
      const shown = lines.slice(first - 1, first - 1 + Math.min(wanted, deps.caps.readLines));
      return ok(readBlock(args.path, first, shown, deps.caps, wanted > deps.caps.readLines));
    },
  };
}

export function createFastContextGlobTool(deps: { policy: PathPolicy; caps: FastContextCaps }): ToolDefinition<typeof globSchema> {
  return {
    name: 'Glob',
    description: 'Find files whose path matches a glob pattern, under directory (default: the workspace).',
    schema: globSchema,
    readOnly: true,
    sizeCap: 400_000,
    promptUse: 'Use Glob to find files by name pattern.',
    progress: { key: 'pattern', scope: 'directory' },
    async run(args, { signal }): Promise<ToolResult> {
      const directory = args.directory ?? deps.policy.cwd;
      const found = await resolveInside(deps.policy, directory);
      if (!found?.directory) throw new ToolUseError(`The directory \`${directory}\` does not exist.`);
      const files = outputLines(await ripgrep(['--files', found.absolute, '--glob', args.pattern], deps.policy.cwd, signal));
      if (files.length === 0) return ok(FASTCONTEXT_NO_FILES);
      return ok(capLines(files, deps.caps.globResults, globTruncation));
    },
  };
}

export function createFastContextGrepTool(deps: { policy: PathPolicy; caps: FastContextCaps }): ToolDefinition<typeof grepSchema> {
  return {
    name: 'Grep',
    description: 'Search file contents with a regular expression (ripgrep). output_mode "content" shows matching lines with context.',
    schema: grepSchema,
    readOnly: true,
    sizeCap: 400_000,
    promptUse: 'Use Grep to search file contents.',
    progress: { key: 'pattern', scope: 'path' },
    async run(args, { signal }): Promise<ToolResult> {
      const target = args.path ?? deps.policy.cwd;
      const found = await resolveInside(deps.policy, target);
      if (!found) throw new ToolUseError(`Error: ${target} does not exist.`);
      const flags: string[] = [];
      if (args.glob !== undefined) flags.push('--glob', args.glob);
      if (args['-i']) flags.push('--ignore-case');
      if (args.type !== undefined) flags.push('--type', args.type);
      if (args.multiline) flags.push('--multiline', '--multiline-dotall');
      if (args.output_mode === 'content') {
        if (args['-B'] !== undefined) flags.push('-B', String(args['-B']));
        if (args['-A'] !== undefined) flags.push('-A', String(args['-A']));
        flags.push('-C', String(args['-C'] ?? deps.caps.contextLines));
        if (args['-n'] ?? true) flags.push('-n');
      } else if (args.output_mode === 'files_with_matches') {
        flags.push('--files-with-matches');
      }
      // No output_mode, and `count`, add nothing: rg's plain matching lines, as the harness gives.
      const lines = outputLines(await ripgrep([...flags, '--heading', '-e', args.pattern, '--', found.absolute], deps.policy.cwd, signal));
      if (lines.length === 0) return ok(FASTCONTEXT_NO_MATCHES);
      const limit = args.head_limit !== undefined && args.head_limit > 0 && args.head_limit < deps.caps.grepLines ? args.head_limit : deps.caps.grepLines;
      return ok(capLines(lines, limit, grepTruncation));
    },
  };
}
