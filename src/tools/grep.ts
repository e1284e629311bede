// The Grep tool (dialect sections 5 and 6): ripgrep-style content search with three output
// modes. Both searchers return the same structures and this file alone writes the text,
// so output does not depend on which searcher ran. Content and count results are ordered
// by path (ripgrep's own order varies between runs); files_with_matches newest first.
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { checkArgumentLength, MAX_ARGV_CHARS, shortenForMessage } from './argument-limits.js';
import { type PathPolicy, resolveAllowedPath } from './paths.js';
import { lazySearchEngine } from './search/engine.js';
import { splitGlobArgument } from './search/glob-rules.js';
import { comparePaths, pathDisplayer, sortByModificationTime } from './search/results.js';
import { normalizePattern } from './search/rust-regex.js';
import type { BinaryNote, FileMatches, GrepMode, GrepQuery, SearcherChoice } from './search/types.js';
import { ok, type ToolDefinition, type ToolResult, ToolUseError } from './types.js';

const contextLines = z.number().int().min(0);
/**
 * Output is kept under the tool's 20,000-character cap (with room for the notes): the tool
 * stops at a line boundary and says which offset continues, which serves the model better
 * than the executor's generic cut, and spares decoding output nobody will read.
 */
const OUTPUT_BUDGET = 19_500;

const grepSchema = z.strictObject({
  pattern: z.string().describe('Regular expression (ripgrep syntax) to search file contents for'),
  path: z.string().optional().describe('File or directory to search; defaults to the working directory'),
  glob: z.string().optional().describe('Only search files matching this glob, e.g. "*.js" or "*.{ts,tsx}"'),
  output_mode: z
    .enum(['content', 'files_with_matches', 'count'])
    .optional()
    .describe('"files_with_matches" (default) lists files, "content" shows matching lines, "count" counts matches per file'),
  '-B': contextLines.optional().describe('Lines of context before each match (content mode)'),
  '-A': contextLines.optional().describe('Lines of context after each match (content mode)'),
  '-C': contextLines.optional().describe('Lines of context before and after each match (content mode)'),
  context: contextLines.optional().describe('Same as -C'),
  '-n': z.boolean().optional().describe('Show line numbers (content mode, default true)'),
  '-i': z.boolean().optional().describe('Case-insensitive search'),
  type: z.string().optional().describe('File type to search, e.g. "js", "py", "rust"'),
  head_limit: z.number().int().min(0).optional().describe('Show only the first N lines or entries (0 = all)'),
  offset: z.number().int().min(0).optional().describe('Skip the first N lines or entries'),
  multiline: z.boolean().optional().describe('Let patterns span lines; . also matches newlines'),
});

export type GrepArguments = z.infer<typeof grepSchema>;

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

function binaryNoteText(note: BinaryNote): string {
  const found = `(found "\\0" byte around offset ${note.offset})`;
  return note.kind === 'stopped' ? `WARNING: stopped searching binary file after match ${found}` : `binary file matches ${found}`;
}

/** Collects output lines until the next one would pass the budget. */
class BoundedLines {
  readonly lines: string[] = [];
  private characters = 0;
  full = false;

  push(line: string): boolean {
    if (this.characters + line.length + 1 > OUTPUT_BUDGET) this.full = true;
    else {
      this.lines.push(line);
      this.characters += line.length + 1;
    }
    return !this.full;
  }
}

interface Window {
  start: number;
  end: number;
  note: string;
}

/** The [start, end) slice that offset and head_limit (0 = no limit) select from `total` items. */
function pageWindow(total: number, offset = 0, headLimit = 0): Window {
  const start = Math.min(offset, total);
  const end = headLimit > 0 ? Math.min(total, offset + headLimit) : total;
  const limited = headLimit > 0 && total > offset + headLimit;
  if (!limited && offset === 0) return { start, end, note: '' };
  const parts = [...(limited ? [`limit: ${headLimit}`] : []), `offset: ${offset}`];
  return { start, end, note: `[Showing results with pagination = ${parts.join(', ')}]` };
}

function withNotes(text: string, ...notes: string[]): string {
  return [text, ...notes.filter((note) => note !== '')].join('\n\n');
}

function budgetNote(shown: number, window: Window, unit: string): string {
  if (shown >= window.end - window.start) return '';
  return `[Showing ${shown} of ${window.end - window.start} ${unit} to stay within the output limit. Use offset: ${window.start + shown} to see more, or narrow the search with path, glob or type.]`;
}

/** One file's output lines: "--" before it and between groups that do not touch when context is shown. */
function fileOutput(file: FileMatches, shown: string, showNumbers: boolean, separated: boolean, first: boolean): string[] {
  const out: string[] = separated && !first ? ['--'] : [];
  let previous: number | undefined;
  for (const line of file.lines()) {
    if (separated && previous !== undefined && line.number !== previous + 1) out.push('--');
    const separator = line.match ? ':' : '-';
    out.push(showNumbers ? `${shown}${separator}${line.number}${separator}${line.text}` : `${shown}${separator}${line.text}`);
    previous = line.number;
  }
  if (file.binary !== undefined) out.push(`${shown}: ${binaryNoteText(file.binary)}`);
  return out;
}

/** Content mode, decoding only the files whose lines fall in the page and the budget. */
function formatContent(files: FileMatches[], args: GrepArguments, separated: boolean, display: (file: string) => string): string {
  const showNumbers = args['-n'] ?? true;
  const sizes = files.map((file, index) => (separated && index > 0 ? 1 : 0) + file.lineCount + (separated ? file.gapCount : 0) + (file.binary ? 1 : 0));
  const window = pageWindow(
    sizes.reduce((sum, size) => sum + size, 0),
    args.offset,
    args.head_limit,
  );
  const output = new BoundedLines();
  let fileStart = 0;
  for (let index = 0; index < files.length && fileStart < window.end && !output.full; index += 1) {
    if (fileStart + sizes[index] > window.start) {
      const lines = fileOutput(files[index], display(files[index].path), showNumbers, separated, index === 0);
      const from = Math.max(0, window.start - fileStart);
      const to = Math.min(lines.length, window.end - fileStart);
      for (let line = from; line < to && output.push(lines[line]); line += 1);
    }
    fileStart += sizes[index];
  }
  if (output.lines.length === 0) return withNotes('No matches found', window.note);
  return withNotes(output.lines.join('\n'), budgetNote(output.lines.length, window, 'lines'), window.note);
}

function formatCount(files: FileMatches[], args: GrepArguments, display: (file: string) => string): string {
  const window = pageWindow(files.length, args.offset, args.head_limit);
  const output = new BoundedLines();
  let total = 0;
  for (const file of files.slice(window.start, window.end)) {
    if (!output.push(`${display(file.path)}:${file.count}`)) break;
    total += file.count;
  }
  const shown = output.lines.length;
  if (shown === 0) return withNotes('No matches found', window.note);
  const summary = `Found ${total} total ${plural(total, 'occurrence')} across ${shown} ${plural(shown, 'file')}.`;
  return withNotes(`${output.lines.join('\n')}\n\n${summary}`, budgetNote(shown, window, 'files'), window.note);
}

async function formatFiles(files: FileMatches[], args: GrepArguments, display: (file: string) => string): Promise<string> {
  const sorted = await sortByModificationTime(
    files.map((file) => file.path),
    'newest-first',
  );
  const window = pageWindow(sorted.length, args.offset, args.head_limit);
  const count = window.end - window.start;
  if (count === 0) return withNotes('No files found', window.note);
  const output = new BoundedLines();
  output.push(`Found ${count} ${plural(count, 'file')}`);
  for (const file of sorted.slice(window.start, window.end)) if (!output.push(display(file))) break;
  return withNotes(output.lines.join('\n'), budgetNote(output.lines.length - 1, window, 'files'), window.note);
}

async function format(results: FileMatches[], args: GrepArguments, mode: GrepMode, query: GrepQuery, policy: PathPolicy): Promise<string> {
  const display = pathDisplayer(policy);
  if (mode === 'files_with_matches') return formatFiles(results, args, display);
  const byPath = [...results].sort((a, b) => comparePaths(a.path, b.path));
  if (mode === 'count') return formatCount(byPath, args, display);
  return formatContent(byPath, args, query.before > 0 || query.after > 0, display);
}

async function searchRoot(policy: PathPolicy, input: string): Promise<{ root: string; isFile: boolean }> {
  try {
    const root = await resolveAllowedPath(policy, input);
    const info = await stat(root);
    if (!info.isFile() && !info.isDirectory()) throw new ToolUseError(`Path is not a file or directory: ${shortenForMessage(input)}`);
    return { root, isFile: info.isFile() };
  } catch (error) {
    if (error instanceof ToolUseError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new ToolUseError(`Permission denied: cannot search ${shortenForMessage(input)}`);
    throw new ToolUseError(`Path does not exist: ${shortenForMessage(input)}. Note: your current working directory is ${policy.cwd}.`);
  }
}

/** ripgrep's type names are words like `js`, `c++` or `make`; anything else (`--pre=sh`) is refused here. */
const TYPE_NAME = /^[A-Za-z0-9_+][A-Za-z0-9_+-]*$/;

/** Each value goes to rg as one argv string: kept within what the kernel accepts. */
function checkArgumentLengths(args: GrepArguments): void {
  checkArgumentLength('Grep', 'pattern', args.pattern, MAX_ARGV_CHARS, 'Search for a shorter, distinctive part of the text.');
  checkArgumentLength('Grep', 'glob', args.glob, MAX_ARGV_CHARS, 'Use fewer or broader globs.');
  if (args.type !== undefined && args.type !== '' && !TYPE_NAME.test(args.type)) {
    throw new ToolUseError(
      `Grep's \`type\` must be a ripgrep file type name such as js, py, rust, go or md, not "${shortenForMessage(args.type, 60)}". Use glob for file name patterns.`,
    );
  }
}

export function createGrepTool(deps: { policy: PathPolicy; searcher?: SearcherChoice }): ToolDefinition<typeof grepSchema> {
  const engine = lazySearchEngine(deps.searcher);
  return {
    name: 'Grep',
    description:
      'Search file contents with a ripgrep regular expression. Lists matching files (newest first) by default; ' +
      'output_mode "content" shows path:line:text with optional -A/-B/-C context, "count" counts per file. ' +
      'Filter with glob or type; page with head_limit and offset.',
    schema: grepSchema,
    readOnly: true,
    sizeCap: 20_000,
    promptUse: 'Use Grep to search file contents.',
    truncationHint: 'Narrow the search with path, glob or type, or page with head_limit and offset.',
    progress: { key: 'pattern', scope: 'path' },
    async run(args, { signal }): Promise<ToolResult> {
      checkArgumentLengths(args);
      const { root, isFile } = await searchRoot(deps.policy, args.path === undefined || args.path === '' ? '.' : args.path);
      const mode = args.output_mode ?? 'files_with_matches';
      const around = args['-C'] ?? args.context ?? 0;
      const query: GrepQuery = {
        root,
        rootIsFile: isFile,
        pattern: normalizePattern(args.pattern),
        caseInsensitive: args['-i'] ?? false,
        multiline: args.multiline ?? false,
        globs: splitGlobArgument(args.glob),
        type: args.type === '' ? undefined : args.type,
        mode,
        before: mode === 'content' ? (args['-B'] ?? around) : 0,
        after: mode === 'content' ? (args['-A'] ?? around) : 0,
      };
      const results = await engine().grep(query, signal);
      return ok(await format(results, args, mode, query, deps.policy));
    },
  };
}
