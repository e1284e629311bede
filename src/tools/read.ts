// The Read tool (dialect sections 5 and 6): a text file as numbered lines, `cat -n` style
// with "→" after the number, from `offset` (1-based) for `limit` lines (default 2000).
// Files over 256 KB must be paged with offset/limit; those reads are streamed, so a
// multi-gigabyte log costs only the lines up to the requested range. A successful read is
// recorded in FileReadState, which Edit and Write check.
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { shortenForMessage } from './argument-limits.js';
import { type PathPolicy, resolveAllowedPath } from './paths.js';
import type { FileReadState } from './read-state.js';
import { ok, type ToolDefinition, type ToolResult, ToolUseError } from './types.js';

const DEFAULT_LIMIT = 2000;
const MAX_LINE_CHARACTERS = 2000;
const MAX_UNPAGED_BYTES = 256 * 1024;
const BINARY_SNIFF_BYTES = 8 * 1024;

/** Extensions of formats that are binary even when their first bytes hold no NUL. */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp tiff tif psd heic avif mp3 mp4 m4a m4v wav flac ogg oga opus avi mov mkv webm ' +
    'zip gz tgz bz2 xz zst 7z rar tar jar war ear whl exe dll so dylib o obj a lib bin class pyc pyo wasm ' +
    'pdf doc docx xls xlsx ppt pptx odt ods odp ttf otf woff woff2 eot sqlite sqlite3 db iso dmg node pack idx'
  ).split(' '),
);

const readSchema = z.strictObject({
  file_path: z.string().describe('Path of the file to read (absolute, or relative to the working directory)'),
  offset: z.number().int().min(0).optional().describe('Line number to start reading from (1-based)'),
  limit: z.number().int().min(1).optional().describe('Number of lines to read (default 2000)'),
});

export type ReadArguments = z.infer<typeof readSchema>;

type Encoding = 'utf8' | 'utf16le';

function numbered(lines: readonly string[], firstNumber: number): string {
  return lines
    .map((line, index) => {
      let text = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (text.length > MAX_LINE_CHARACTERS) {
        const end = /[\ud800-\udbff]/.test(text[MAX_LINE_CHARACTERS - 1]) ? MAX_LINE_CHARACTERS - 1 : MAX_LINE_CHARACTERS;
        text = `${text.slice(0, end)}... [line truncated]`;
      }
      return `${String(firstNumber + index).padStart(6)}→${text}`;
    })
    .join('\n');
}

function reminder(text: string): string {
  return `<system-reminder>${text}</system-reminder>`;
}

function shorterThanOffset(offset: number, lineCount: number): string {
  return reminder(
    `Warning: the file exists but is shorter than the provided offset (${offset}). The file has ${lineCount} ${lineCount === 1 ? 'line' : 'lines'}.`,
  );
}

/**
 * Reads lines [first, first + count) by streaming, and stops once they are collected.
 * `total` is the file's line count whenever the range reached the end of the file.
 */
async function streamLines(file: string, encoding: Encoding, skipBytes: number, first: number, count: number, signal: AbortSignal): Promise<{ lines: string[]; total: number }> {
  const stream = createReadStream(file, { encoding, start: skipBytes, highWaterMark: 256 * 1024, signal });
  const lines: string[] = [];
  const last = first + count - 1;
  let completed = 0;
  let partial = '';
  let lastCharacter = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        completed += 1;
        if (completed >= first) lines.push(partial + chunk.slice(start, Math.min(end, start + MAX_LINE_CHARACTERS + 1)));
        partial = '';
        start = end + 1;
        if (completed >= last) return { lines, total: completed };
      }
      // The unfinished line is only kept when it may be shown, and only as far as it is shown.
      if (completed + 1 >= first && partial.length <= MAX_LINE_CHARACTERS) {
        partial += chunk.slice(start, start + MAX_LINE_CHARACTERS + 1 - partial.length);
      }
      lastCharacter = chunk[chunk.length - 1] ?? lastCharacter;
    }
  } finally {
    stream.destroy();
  }
  if (lastCharacter !== '' && lastCharacter !== '\n') {
    completed += 1;
    if (completed >= first) lines.push(partial);
  }
  return { lines, total: completed };
}

async function suggestSimilar(absolute: string): Promise<string> {
  const directory = path.dirname(absolute);
  const stem = path.parse(absolute).name;
  try {
    const similar = (await readdir(directory)).find((name) => name !== path.basename(absolute) && path.parse(name).name === stem);
    return similar === undefined ? '' : ` Did you mean ${path.join(directory, similar)}?`;
  } catch {
    return '';
  }
}

function directoryError(input: string): ToolUseError {
  return new ToolUseError(`${shortenForMessage(input)} is a directory, not a file. Use Glob to find files in it, or Bash with ls to list it.`);
}

/** Resolves, checks and opens the file, turning file-system failures into messages for the model. */
async function openForReading(policy: PathPolicy, input: string): Promise<{ absolute: string; handle: FileHandle; info: Stats }> {
  let absolute: string | undefined;
  try {
    absolute = await resolveAllowedPath(policy, input);
    const info = await stat(absolute);
    if (info.isDirectory()) throw directoryError(input);
    if (!info.isFile()) throw new ToolUseError(`${shortenForMessage(input)} is not a regular file.`);
    return { absolute, handle: await open(absolute, 'r'), info };
  } catch (error) {
    if (error instanceof ToolUseError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ToolUseError(`Permission denied: this process is not allowed to read ${shortenForMessage(input)}.`);
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const hint = absolute === undefined ? '' : await suggestSimilar(absolute);
      throw new ToolUseError(`File does not exist.${hint} Current working directory: ${policy.cwd}`);
    }
    if (code === 'EISDIR') throw directoryError(input);
    throw error;
  }
}

async function readHead(handle: FileHandle, size: number): Promise<Buffer> {
  try {
    const head = Buffer.alloc(Math.min(BINARY_SNIFF_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function detectEncoding(head: Buffer): { encoding: Encoding; bomBytes: number } {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', bomBytes: 2 };
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf8', bomBytes: 3 };
  return { encoding: 'utf8', bomBytes: 0 };
}

export function createReadTool(deps: { policy: PathPolicy; readState: FileReadState }): ToolDefinition<typeof readSchema> {
  return {
    name: 'Read',
    description:
      'Read a text file. Lines are numbered from 1; offset (1-based line) and limit (line count, default 2000) ' +
      'select a range, and are required for files over 256 KB.',
    schema: readSchema,
    readOnly: true,
    sizeCap: 100_000,
    promptUse: 'Use Read to read files.',
    truncationHint: 'Use offset and limit to read the rest.',
    progress: { key: 'file_path' },
    async run(args, { signal }): Promise<ToolResult> {
      const { absolute, handle, info } = await openForReading(deps.policy, args.file_path);
      const head = await readHead(handle, info.size);
      const extension = path.extname(absolute).slice(1).toLowerCase();
      if (BINARY_EXTENSIONS.has(extension)) {
        throw new ToolUseError(
          `This tool cannot read binary files. The file appears to be a binary .${extension} file. Please use appropriate tools for binary file analysis.`,
        );
      }
      const { encoding, bomBytes } = detectEncoding(head);
      if (encoding === 'utf8' && head.includes(0)) {
        throw new ToolUseError('This tool cannot read binary files. The file contains binary data. Please use appropriate tools for binary file analysis.');
      }
      const paged = args.offset !== undefined || args.limit !== undefined;
      if (!paged && info.size > MAX_UNPAGED_BYTES) {
        throw new ToolUseError(
          `File content (${Math.round(info.size / 1024)} KB) exceeds maximum allowed size (256KB). Please use offset and limit parameters to read specific portions of the file, or use the Grep tool to search for specific content.`,
        );
      }
      const first = Math.max(1, args.offset ?? 1);
      const limit = args.limit ?? DEFAULT_LIMIT;
      const { lines, total } = await streamLines(absolute, encoding, bomBytes, first, limit, signal);
      deps.readState.recordRead(absolute, info.mtimeMs);
      if (info.size === 0 || (total === 0 && first === 1)) return ok(reminder('Warning: the file exists but the contents are empty.'));
      if (lines.length === 0) return ok(shorterThanOffset(args.offset ?? first, total));
      return ok(numbered(lines, first));
    },
  };
}

