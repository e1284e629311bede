// The result forms FastContext-1.0-4B was trained on, written once: loco's own FastContext
// tools (tools/fastcontext.ts) format with them, and the proxy re-renders Claude Code's Read,
// Grep and Glob results into them (`fromClaudeCode*`). Pure.
import path from 'node:path';

export const FASTCONTEXT_EMPTY_FILE = 'File is empty.';
export const FASTCONTEXT_NO_FILES = 'No files found';
export const FASTCONTEXT_NO_MATCHES = 'No matches found';

/** The cut-off line after `limit` Glob results. */
export function globTruncation(limit: number): string {
  return `Results are truncated: showing first ${limit} results. Consider using a more specific path or pattern.`;
}

/** The cut-off line after `limit` Grep output lines. */
export function grepTruncation(limit: number): string {
  return `Results truncated to first ${limit} lines`;
}

export interface ReadCaps {
  /** Lines longer than this are cut and marked `...`. */
  lineCharacters: number;
}

/**
 * Read's answer, as the harness builds it: a fence headed `path:first-last`, each line
 * `N|line` keeping the line's own newline (so a file that ends in one leaves an empty line
 * before the closing fence), a line over the cap cut and ended `...`, and `more` adding a
 * last `...` line when the file goes on past the line cap.
 */
export function readBlock(file: string, first: number, lines: readonly string[], caps: ReadCaps, more: boolean): string {
  let body = '';
  lines.forEach((line, index) => {
    const text = line.endsWith('\n') ? line.slice(0, -1) : line;
    // The harness ends a cut line with "...\n" even when it was the last and had no newline.
    body += text.length > caps.lineCharacters ? `${first + index}|${text.slice(0, caps.lineCharacters)}...\n` : `${first + index}|${line}`;
  });
  if (more) body += '...';
  return '```' + `${file}:${first}-${first + lines.length - 1}\n${body}\n` + '```';
}

/** The first `limit` lines, then the cut-off line `note` when there were more. */
export function capLines(lines: readonly string[], limit: number, note: (limit: number) => string): string {
  return lines.length <= limit ? lines.join('\n') : `${lines.slice(0, limit).join('\n')}\n${note(limit)}`;
}

/**
 * A path Claude Code printed relative to its working directory, made absolute as ripgrep
 * prints it for the absolute directory FastContext's tools search.
 */
function absolute(file: string, workspace: string | undefined): string {
  return workspace === undefined || workspace === '' || path.isAbsolute(file) ? file : path.join(workspace, file);
}

const REMINDER = /\n*<system-reminder>[\s\S]*?<\/system-reminder>\s*/g;

function withoutReminders(text: string): string {
  return text.replace(REMINDER, '\n').replace(/^\n+|\n+$/g, '');
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

export interface FastContextCapsLike extends ReadCaps {
  readLines: number;
  grepLines: number;
  globResults: number;
}

/**
 * Claude Code's Read result (`N\t` or `{N:>6}→` numbered lines) as FastContext's block, headed
 * with the path the call named. Claude Code splits the file on newlines, so a file that ends
 * in one shows an empty last line: it is dropped and every line keeps its newline, as the
 * harness's readlines() gives them; without it, the last line has none unless the range
 * stopped at `limit` before the end. Text that is not numbered lines (notes, warnings) is
 * returned without its reminders; a file with no lines is `File is empty.`.
 */
export function fromClaudeCodeRead(text: string, file: string, caps: FastContextCapsLike, limit?: number): string {
  const body = withoutReminders(text);
  // Line text may hold any character but a newline (\r and U+2028 included).
  const numbered = /^ *(\d+)(?:\t|→)([\s\S]*)$/;
  const lines = splitLines(body);
  // Claude Code's warning for an offset past the end is a reminder: say it as the Read tool does.
  const pastEnd = /shorter than the provided offset \((\d+)\)\. The file has (\d+) lines?/.exec(text);
  if (pastEnd) return `Read Tool: offset ${pastEnd[1]} is past the end of ${file} (${pastEnd[2]} lines).`;
  if (lines.length === 0) return FASTCONTEXT_EMPTY_FILE;
  const matches = lines.map((line) => numbered.exec(line));
  if (matches.some((match) => match === null)) {
    return /contents are empty/.test(text) ? FASTCONTEXT_EMPTY_FILE : body;
  }
  const first = Number(matches[0]?.[1]);
  const texts = matches.map((match) => match?.[2] ?? '');
  // The empty last line is the file's final newline only where the range reached the end.
  const endsInNewline = texts.length > 1 && texts[texts.length - 1] === '' && (limit === undefined || texts.length < limit);
  if (endsInNewline) texts.pop();
  if (texts.length === 0) return FASTCONTEXT_EMPTY_FILE;
  const lastHasNewline = endsInNewline || (limit !== undefined && texts.length >= limit);
  const shown = texts.slice(0, caps.readLines).map((line, index, all) => (index < all.length - 1 || lastHasNewline || texts.length > caps.readLines ? `${line}\n` : line));
  return readBlock(file, first, shown, caps, texts.length > caps.readLines);
}

/**
 * Claude Code's Glob result as FastContext's: the paths (absolute, as `rg --files` prints
 * them for an absolute directory), capped, with its notes in FastContext's words.
 */
export function fromClaudeCodeGlob(text: string, caps: FastContextCapsLike, workspace?: string): string {
  const all = splitLines(withoutReminders(text));
  const cut = all.some((line) => /^\(Results are truncated\b/.test(line));
  const lines = all.filter((line) => !/^\(Results are truncated\b/.test(line) && !/^Found \d+ files?\b/.test(line) && line !== '');
  if (lines.length === 0 || (lines.length === 1 && lines[0] === 'No files found')) return FASTCONTEXT_NO_FILES;
  const paths = lines.map((line) => absolute(line, workspace));
  // Claude Code cut the list itself: say so as FastContext's Glob does.
  if (cut && paths.length <= caps.globResults) return `${paths.join('\n')}\n${globTruncation(Math.min(paths.length, caps.globResults))}`;
  return capLines(paths, caps.globResults, globTruncation);
}

/**
 * The files of ripgrep's `path:N:text` match lines. Context lines (`path-N-text`) cannot be
 * split on their own (a path may hold `-N-`, a line may hold `:N:`), so they are assigned to
 * these names afterwards.
 */
function matchFiles(lines: readonly string[]): string[] {
  const files = new Set<string>();
  for (const line of lines) {
    const match = /^(.+?):(\d+):/.exec(line);
    if (match && !/^\d+$/.test(match[1])) files.add(match[1]);
  }
  // A "file" that is another file, `-N-` and more is that file's context line holding `:N:`.
  const real = [...files].filter((file) => ![...files].some((other) => other !== file && file.startsWith(other) && /^-\d+-/.test(file.slice(other.length))));
  // Longest first, so `a-1-b.py` wins over `a`.
  return real.sort((a, b) => b.length - a.length);
}

/** The file a `path:N:text` or `path-N-text` line belongs to, of those known, and the rest of it. */
function splitGrepLine(line: string, files: readonly string[]): { file: string; rest: string } | undefined {
  for (const file of files) {
    if (!line.startsWith(file)) continue;
    const rest = line.slice(file.length);
    if (/^:\d+:/.test(rest) || /^-\d+-/.test(rest)) return { file, rest: rest.slice(1) };
  }
  return undefined;
}

/**
 * Claude Code's Grep result as ripgrep's `--heading` output, as FastContext's Grep answers:
 * `files_with_matches` loses its `Found N files` line, `content` lines are grouped under
 * their file, `count` keeps its `path:N` lines; then the line cap. Lines that name no known
 * file (a single-file search prints none) stay as written.
 */
export function fromClaudeCodeGrep(text: string, mode: string | undefined, caps: FastContextCapsLike, workspace?: string): string {
  const lines = splitLines(withoutReminders(text));
  if (lines.length === 0 || /^No (files|matches) found$/.test(lines[0])) return FASTCONTEXT_NO_MATCHES;
  let out: string[];
  if (mode === 'content') {
    out = [];
    const files = matchFiles(lines);
    let current: string | undefined;
    for (const line of lines) {
      if (line === '--') {
        out.push(line);
        continue;
      }
      const split = splitGrepLine(line, files);
      if (!split) {
        // Paging notes and lines without a file (a single-file search) stay as written.
        if (!/^\[Showing results with pagination/.test(line)) out.push(line);
        continue;
      }
      if (split.file !== current) {
        if (out.length > 0 && out.at(-1) === '--') out.pop();
        if (current !== undefined) out.push('');
        out.push(absolute(split.file, workspace));
        current = split.file;
      }
      out.push(split.rest);
    }
  } else {
    out = lines
      .filter((line) => !/^Found \d+ (files?|total occurrences?)\b/.test(line) && line !== '' && !/^\[Showing results with pagination/.test(line))
      .map((line) => {
        // `path` (files_with_matches) or `path:N` (count; a single file's count is a bare N).
        if (mode !== 'count') return absolute(line, workspace);
        const count = /^(.*):(\d+)$/.exec(line);
        return count ? `${absolute(count[1], workspace)}:${count[2]}` : line;
      });
    if (out.length === 0) return FASTCONTEXT_NO_MATCHES;
  }
  return capLines(out, caps.grepLines, grepTruncation);
}
