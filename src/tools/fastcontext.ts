// FastContext-1.0-4B's tools, as its released harness shapes them: Read (`path`, `offset`,
// `limit`) answers a fenced block headed `path:start-end` with `N|text` lines; Glob
// (`pattern`, `directory`) lists `rg --files` unsorted; Grep takes Claude Code's schema and
// answers ripgrep's `--heading` output. Caps come from the profile. Paths stay inside the
// allowed roots like every other tool's; errors are thrown for the executor to word.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
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

const readSchema = z.strictObject({
  path: z.string().min(1).describe('Absolute path of the file to read'),
  offset: z.number().int().min(1).optional().describe('First line to read (1-based)'),
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
  output_mode: z.enum(['content', 'files_with_matches', 'count']).optional().describe('"content", "files_with_matches" (default) or "count"'),
  '-B': context.optional().describe('Lines before each match'),
  '-A': context.optional().describe('Lines after each match'),
  '-C': context.optional().describe('Lines before and after each match'),
  '-n': z.boolean().optional().describe('Show line numbers'),
  '-i': z.boolean().optional().describe('Case-insensitive search'),
  type: z.string().optional().describe('File type to search, e.g. "py"'),
  head_limit: z.number().int().min(0).optional().describe('Show only the first N lines'),
  multiline: z.boolean().optional().describe('Let patterns span lines'),
});

async function resolveExisting(policy: PathPolicy, input: string): Promise<{ absolute: string; directory: boolean }> {
  let absolute: string;
  try {
    absolute = await resolveAllowedPath(policy, input);
    return { absolute, directory: (await stat(absolute)).isDirectory() };
  } catch (error) {
    if (error instanceof ToolUseError) throw new ToolUseError(`Error: ${error.message}`);
    throw new ToolUseError(`Error: ${input} does not exist.`);
  }
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
      const { absolute, directory } = await resolveExisting(deps.policy, args.path);
      if (directory) throw new ToolUseError(`Error: ${args.path} is a directory; use Glob to list it.`);
      if ((await stat(absolute)).size > MAX_READ_BYTES) throw new ToolUseError(`Error: ${args.path} is too large to read.`);
      const text = await readFile(absolute, 'utf8');
      if (text === '') return ok('File is empty.');
      const lines = outputLines(text);
      const first = args.offset ?? 1;
      if (first > lines.length) throw new ToolUseError(`Error: offset ${first} is past the end of the file (${lines.length} lines).`);
      const count = Math.min(args.limit ?? deps.caps.readLines, deps.caps.readLines);
      const shown = lines.slice(first - 1, first - 1 + count);
      const last = first + shown.length - 1;
      const body = shown.map((line, index) => {
        const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
        const cut = clean.length > deps.caps.lineCharacters ? `${clean.slice(0, deps.caps.lineCharacters)}...` : clean;
        return `${first + index}|${cut}`;
      });
      if (last < lines.length && shown.length === deps.caps.readLines) body.push('...');
      return ok(['```' + `${absolute}:${first}-${last}`, ...body, '```'].join('\n'));
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
      const { absolute, directory } = await resolveExisting(deps.policy, args.directory ?? '.');
      if (!directory) throw new ToolUseError(`Error: ${args.directory} is not a directory.`);
      const files = outputLines(await ripgrep(['--files', '--glob', args.pattern, absolute], absolute, signal));
      if (files.length === 0) return ok('No files found');
      const limit = deps.caps.globResults;
      if (files.length <= limit) return ok(files.join('\n'));
      return ok(`${files.slice(0, limit).join('\n')}\nResults are truncated: showing first ${limit} results. Consider using a more specific path or pattern.`);
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
      const { absolute } = await resolveExisting(deps.policy, args.path ?? '.');
      const mode = args.output_mode ?? 'files_with_matches';
      const flags: string[] = ['--heading'];
      // Content mode always shows numbered lines with the profile's context, whatever was asked.
      if (mode === 'content') flags.push('-n', '-C', String(deps.caps.contextLines));
      else flags.push(mode === 'count' ? '--count' : '--files-with-matches');
      if (args['-i']) flags.push('-i');
      if (args.multiline) flags.push('-U', '--multiline-dotall');
      if (args.type !== undefined) flags.push('--type', args.type);
      if (args.glob !== undefined) flags.push('--glob', args.glob);
      const lines = outputLines(await ripgrep([...flags, '-e', args.pattern, '--', absolute], deps.policy.cwd, signal));
      if (lines.length === 0) return ok('No matches found');
      const limit = args.head_limit !== undefined && args.head_limit > 0 ? args.head_limit : deps.caps.grepLines;
      if (lines.length <= limit) return ok(lines.join('\n'));
      return ok(`${lines.slice(0, limit).join('\n')}\nResults truncated to first ${limit} lines`);
    },
  };
}
