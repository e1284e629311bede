// The JS searcher: used when ripgrep is not installed, and held to ripgrep's output by
// test/tools/search-parity.test.ts. It reproduces what ripgrep does per file: UTF-8 BOM
// stripped and UTF-16 (with BOM) transcoded; each line matched on its own, or with
// multiline the whole text at once; --count counting lines, or matches when a multiline
// pattern can match a newline; and binary files. A file found while walking stops being
// searched at the first 64 KB read buffer that holds a NUL byte (a NUL near the start
// hides the file; matches before a late NUL are kept with a warning and left out of
// counts). ripgrep reuses a grown buffer for the next file, so after a file with a line
// over 64 KB its choice for a late NUL varies between runs; this searcher always starts
// from 64 KB. A file named explicitly follows ripgrep's memory-map rules (searchExplicitBinary).
import { open, readFile, stat } from 'node:fs/promises';
import { fileTypeMatcher } from './file-types.js';
import { compileGlobRules } from './glob-rules.js';
import { translateRustRegex } from './rust-regex.js';
import {
  type BinaryNote,
  type FileMatches,
  type GrepLine,
  type GrepQuery,
  MAX_LINE_BYTES,
  OMITTED_CONTEXT_LINE,
  OMITTED_MATCH_LINE,
  type SearchEngine,
} from './types.js';
import { throwIfAborted, walkFiles } from './walk.js';

/** ripgrep's read buffer: binary detection happens per fill of this many bytes. */
const BUFFER_CAPACITY = 64 * 1024;
const CONCURRENT_READS = 8;
const HEAD_BYTES = 2 * BUFFER_CAPACITY;

interface CompiledSearch {
  query: GrepQuery;
  lineRegex: RegExp;
  /** Multiline mode: the whole text is searched at once, as ripgrep does with -U. */
  textRegex?: RegExp;
  /** ripgrep's --count counts matches, not lines, when a multiline pattern can match a newline. */
  countsMatches: boolean;
}

function decodeContent(bytes: Buffer): Buffer {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return Buffer.from(new TextDecoder('utf-16le').decode(bytes.subarray(2)));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(new TextDecoder('utf-16be').decode(bytes.subarray(2)));
  return bytes;
}

/**
 * Replays ripgrep's line buffer: the first read returns 3 bytes (BOM sniffing), later ones
 * fill the buffer, each fill continues until it holds a line end, and the buffer triples
 * when one line outgrows it. Returns the end of what was searched before the fill that
 * met the NUL byte at `nul`.
 */
function searchedEndBeforeNul(bytes: Buffer, nul: number): number {
  let capacity = BUFFER_CAPACITY;
  let consumed = 0; // start of the first incomplete line: everything before it was searched
  let readTo = 0;
  for (let firstRead = true; ; firstRead = false) {
    if (readTo - consumed >= capacity) capacity *= 3;
    const readEnd = Math.min(bytes.length, firstRead ? 3 : consumed + capacity);
    if (nul < readEnd) return consumed;
    const lastLineEnd = bytes.lastIndexOf(0x0a, readEnd - 1);
    if (lastLineEnd >= readTo) consumed = lastLineEnd + 1;
    readTo = readEnd;
  }
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** Indices of matching lines and the count ripgrep's --count would print. */
function findMatches(search: CompiledSearch, text: string, lines: string[], firstOnly: boolean): { matched: number[]; count: number } {
  const matched: number[] = [];
  if (search.textRegex === undefined) {
    for (let index = 0; index < lines.length; index += 1) {
      if (!search.lineRegex.test(lines[index])) continue;
      matched.push(index);
      if (firstOnly) break;
    }
    return { matched, count: matched.length };
  }
  const lineStarts: number[] = [0];
  for (let at = text.indexOf('\n'); at !== -1 && at + 1 < text.length; at = text.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  const lineOf = (offset: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const marked = new Set<number>();
  let count = 0;
  let previousEnd = -1;
  for (const match of text.matchAll(search.textRegex)) {
    const start = match.index;
    const end = start + match[0].length;
    // ripgrep shows the line of an empty match right after a match but, like Rust's match
    // iterator, does not count it; an empty match after the final line end is on no line.
    const counted = !(start === end && start === previousEnd);
    previousEnd = end;
    if (start === text.length && (text === '' || text.endsWith('\n'))) continue;
    const first = lineOf(start);
    // ripgrep: a match ending just after a newline ends on that newline's line.
    const last = end > lineStarts[first] && text[end - 1] === '\n' ? lineOf(end - 1) : lineOf(Math.min(end, text.length - 1));
    for (let line = first; line <= last && line < lines.length; line += 1) marked.add(line);
    if (counted) count += 1;
    if (firstOnly) break;
  }
  // One by one: a file can have more matched lines than a call can take arguments.
  for (const line of [...marked].sort((a, b) => a - b)) matched.push(line);
  return { matched, count: search.countsMatches ? count : matched.length };
}

function displayLine(lines: string[], index: number, hasFinalNewline: boolean, match: boolean): GrepLine {
  const raw = lines[index];
  const terminator = index < lines.length - 1 || hasFinalNewline ? 1 : 0;
  const tooLong = raw.length * 3 + terminator > MAX_LINE_BYTES && Buffer.byteLength(raw) + terminator > MAX_LINE_BYTES;
  const text = tooLong ? (match ? OMITTED_MATCH_LINE : OMITTED_CONTEXT_LINE) : raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  return { number: index + 1, match, text };
}

/** Matching lines with `before`/`after` context, each line once, in file order. */
function withContext(lines: string[], matched: number[], query: GrepQuery, hasFinalNewline: boolean): GrepLine[] {
  const out: GrepLine[] = [];
  const emit = (index: number, match: boolean) => out.push(displayLine(lines, index, hasFinalNewline, match));
  let emittedEnd = 0;
  let afterLimit = 0;
  for (const index of matched) {
    for (let line = emittedEnd; line < Math.min(afterLimit, index); line += 1) emit(line, false);
    emittedEnd = Math.max(emittedEnd, Math.min(afterLimit, index));
    for (let line = Math.max(emittedEnd, index - query.before); line < index; line += 1) emit(line, false);
    emit(index, true);
    emittedEnd = index + 1;
    afterLimit = index + 1 + query.after;
  }
  for (let line = emittedEnd; line < Math.min(afterLimit, lines.length); line += 1) emit(line, false);
  return out;
}

function fileMatches(path: string, lines: GrepLine[], count: number, binary: BinaryNote | undefined): FileMatches {
  let gapCount = 0;
  for (let index = 1; index < lines.length; index += 1) if (lines[index].number !== lines[index - 1].number + 1) gapCount += 1;
  return { path, count, lineCount: lines.length, gapCount, lines: () => lines, binary };
}

function searchText(search: CompiledSearch, bytes: Buffer): { text: string; lines: string[]; matched: number[]; count: number } {
  const text = bytes.toString('utf8');
  const lines = splitLines(text);
  return { text, lines, ...findMatches(search, text, lines, search.query.mode === 'files_with_matches') };
}

/**
 * A file named explicitly is read through a memory map: ripgrep looks for a NUL byte in
 * its first 64 KB, then only in the lines it is about to print. From the first NUL found,
 * nothing more is printed and a match earns the note "binary file matches"; counts and
 * the file list are unaffected.
 */
function searchExplicitBinary(search: CompiledSearch, path: string, bytes: Buffer, nul: number): FileMatches | undefined {
  const { text, lines, matched, count } = searchText(search, bytes);
  if (matched.length === 0) return undefined;
  if (search.query.mode !== 'content') return fileMatches(path, [], count, undefined);
  if (nul < BUFFER_CAPACITY) return fileMatches(path, [], count, { kind: 'matches', offset: nul });
  const shown = withContext(lines, matched, search.query, text.endsWith('\n'));
  const binaryAt = shown.findIndex((line) => lines[line.number - 1].includes('\0'));
  if (binaryAt === -1) return fileMatches(path, shown, count, undefined);
  const kept = shown.slice(0, binaryAt);
  if (!kept.some((line) => line.match) && !shown[binaryAt].match) return kept.length === 0 ? undefined : fileMatches(path, kept, count, undefined);
  // The note names the byte offset of the NUL in the line that revealed it.
  let lineStart = 0;
  for (let line = 1; line < shown[binaryAt].number; line += 1) lineStart = bytes.indexOf(0x0a, lineStart) + 1;
  return fileMatches(path, kept, count, { kind: 'matches', offset: bytes.indexOf(0, lineStart) });
}

function searchBytes(search: CompiledSearch, path: string, raw: Buffer, explicit: boolean): FileMatches | undefined {
  const { query } = search;
  let bytes = decodeContent(raw);
  let binary: BinaryNote | undefined;
  const nul = bytes.indexOf(0);
  if (nul !== -1 && search.countsMatches && search.textRegex !== undefined) {
    // A pattern that can match a newline makes ripgrep read the whole file first;
    // approximated as "up to the NUL". Other patterns are read line by line, as below.
    if (nul < BUFFER_CAPACITY) return undefined;
    bytes = bytes.subarray(0, nul);
  } else if (nul !== -1 && explicit) {
    return searchExplicitBinary(search, path, bytes, nul);
  } else if (nul !== -1) {
    bytes = bytes.subarray(0, searchedEndBeforeNul(bytes, nul));
    binary = { kind: 'stopped', offset: nul };
  }
  const { text, lines, matched, count } = searchText(search, bytes);
  if (matched.length === 0) return undefined;
  // ripgrep leaves a file it stopped reading out of counts, but lists it and shows its lines.
  if (binary !== undefined && query.mode === 'count') return undefined;
  const lineList = query.mode === 'content' ? withContext(lines, matched, query, text.endsWith('\n')) : [];
  return fileMatches(path, lineList, count, query.mode === 'content' ? binary : undefined);
}

function compile(query: GrepQuery): CompiledSearch {
  const translated = translateRustRegex(query.pattern, { caseInsensitive: query.caseInsensitive, multiline: query.multiline });
  const lineRegex = new RegExp(translated.source, translated.flags);
  const textRegex = query.multiline ? new RegExp(translated.source, `${translated.flags}g`) : undefined;
  return { query, lineRegex, textRegex, countsMatches: translated.canMatchNewline };
}

/**
 * Reads what a search needs: a file found while walking with a NUL byte in its first
 * 128 KB is never searched past that NUL (see searchedEndBeforeNul), so large binaries
 * cost one small read. Unreadable files are skipped silently, like ripgrep with --no-messages.
 */
async function readForSearch(path: string, explicit: boolean): Promise<Buffer | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      if (bytesRead < HEAD_BYTES) return head.subarray(0, bytesRead);
      const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
      if (!explicit && !utf16 && head.includes(0)) return head;
    } finally {
      await handle.close();
    }
    return await readFile(path);
  } catch {
    return undefined;
  }
}

async function searchFile(search: CompiledSearch, path: string, explicit: boolean): Promise<FileMatches | undefined> {
  const raw = await readForSearch(path, explicit);
  return raw === undefined ? undefined : searchBytes(search, path, raw, explicit);
}

export function createJsSearchEngine(): SearchEngine {
  return {
    name: 'js',
    async grep(query, signal) {
      const search = compile(query);
      // Validated even for a single file, where ripgrep refuses them too but does not apply them.
      const fileType = query.type === undefined ? undefined : fileTypeMatcher(query.type);
      const globRules = compileGlobRules(query.globs);
      if (query.rootIsFile) {
        const result = await searchFile(search, query.root, true);
        return result === undefined ? [] : [result];
      }
      const files = await walkFiles(query.root, { globRules, fileType }, signal);
      const results: FileMatches[] = [];
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          throwIfAborted(signal);
          const result = await searchFile(search, files[next++], false);
          if (result !== undefined) results.push(result);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENT_READS }, worker));
      return results;
    },
    async listFiles(root, signal) {
      if ((await stat(root)).isFile()) return [root];
      return walkFiles(root, { globRules: compileGlobRules([]) }, signal);
    },
  };
}
