// The Glob tool (dialect sections 5 and 6): files whose path relative to the search folder
// matches a standard glob ("*.ts" top level only, "**/*.ts" at any depth, braces), hidden
// files included, .gitignore and VCS folders handled as in Grep. Output: absolute paths,
// oldest modification first, at most 100. The searcher only lists files; matching is done
// here with picomatch, so both searchers agree and .gitignore always applies.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { z } from 'zod';
import { checkArgumentLength, MAX_ARGV_CHARS, shortenForMessage } from './argument-limits.js';
import { isInside, type PathPolicy, resolveAllowedPath } from './paths.js';
import { lazySearchEngine } from './search/engine.js';
import { sortByModificationTime } from './search/results.js';
import type { SearcherChoice } from './search/types.js';
import { ok, type ToolDefinition, type ToolResult, ToolUseError } from './types.js';

const MAX_RESULTS = 100;
const TRUNCATED_NOTE = '(Results are truncated. Consider using a more specific path or pattern.)';

const globSchema = z.strictObject({
  pattern: z.string().min(1).describe('Glob to match file paths against, e.g. "**/*.ts" or "src/**/*.{js,jsx}"'),
  path: z.string().optional().describe('Directory to search in; defaults to the working directory'),
});

export type GlobArguments = z.infer<typeof globSchema>;

async function searchDirectory(policy: PathPolicy, input: string): Promise<string> {
  try {
    const directory = await resolveAllowedPath(policy, input);
    if (!(await stat(directory)).isDirectory()) throw new ToolUseError(`Path is not a directory: ${shortenForMessage(input)}. Use Read for a file.`);
    return directory;
  } catch (error) {
    if (error instanceof ToolUseError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new ToolUseError(`Permission denied: cannot search ${shortenForMessage(input)}`);
    throw new ToolUseError(`Directory does not exist: ${shortenForMessage(input)}. Note: your current working directory is ${policy.cwd}.`);
  }
}

/**
 * Models often write the directory into the pattern ("/repo/src/**\/*.ts", "../lib/*.js",
 * "./src/*.ts"). The literal leading part becomes (or narrows) the search folder, checked
 * against the allowed roots like any path.
 */
async function splitPattern(policy: PathPolicy, directory: string, pattern: string): Promise<{ directory: string; pattern: string }> {
  let rest = pattern;
  while (rest.startsWith('./')) rest = rest.slice(2);
  if (!path.isAbsolute(rest) && !rest.startsWith('../') && rest !== '..') return { directory, pattern: rest };
  const scan = picomatch.scan(rest);
  const base = scan.glob === '' ? path.dirname(scan.base) : scan.base;
  const glob = scan.glob === '' ? path.basename(scan.base) : scan.glob;
  const absoluteBase = path.resolve(directory, base);
  if (isInside(directory, absoluteBase)) {
    const relativeBase = path.relative(directory, absoluteBase).split(path.sep).join('/');
    return { directory, pattern: relativeBase === '' ? glob : `${relativeBase}/${glob}` };
  }
  return { directory: await searchDirectory(policy, absoluteBase), pattern: glob };
}

function compileGlob(pattern: string): (relativePath: string) => boolean {
  try {
    return picomatch(pattern, { dot: true });
  } catch (error) {
    throw new ToolUseError(`Invalid glob pattern "${shortenForMessage(pattern)}": ${(error as Error).message}`);
  }
}

export function createGlobTool(deps: { policy: PathPolicy; searcher?: SearcherChoice }): ToolDefinition<typeof globSchema> {
  const engine = lazySearchEngine(deps.searcher);
  return {
    name: 'Glob',
    description:
      'Find files by name with a glob pattern such as "**/*.ts" or "src/**/*.{js,jsx}", relative to path ' +
      '(default: the working directory). Returns absolute paths, oldest modified first, at most 100.',
    schema: globSchema,
    readOnly: true,
    sizeCap: 100_000,
    promptUse: 'Use Glob to find files by name pattern.',
    truncationHint: 'Use a more specific path or pattern.',
    progress: { key: 'pattern', scope: 'path' },
    async run(args, { signal }): Promise<ToolResult> {
      // No real path is this long; compiling such a glob would only waste time.
      checkArgumentLength('Glob', 'pattern', args.pattern, MAX_ARGV_CHARS, 'Use a shorter pattern.');
      const start = await searchDirectory(deps.policy, args.path === undefined || args.path === '' ? '.' : args.path);
      const { directory, pattern } = await splitPattern(deps.policy, start, args.pattern);
      const matches = compileGlob(pattern);
      const prefix = directory.endsWith('/') ? directory.length : directory.length + 1;
      const files = (await engine().listFiles(directory, signal)).filter((file) => matches(file.slice(prefix)));
      if (files.length === 0) return ok('No files found');
      const sorted = await sortByModificationTime(files, 'oldest-first');
      const shown = sorted.slice(0, MAX_RESULTS).join('\n');
      return ok(sorted.length > MAX_RESULTS ? `${shown}\n${TRUNCATED_NOTE}` : shown);
    },
  };
}
