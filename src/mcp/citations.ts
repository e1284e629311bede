// Citations for an explore result: the `path:start-end` references in the model's answer,
// each checked against the tree (inside the roots, symlinks included, an existing file, the
// lines clamped to its length) so a reference the model invented is dropped rather than
// handed to the main agent. When the answer cites nothing, the ranges the explorer read
// stand in, so the caller still learns where to look. Models whose profile answers with a
// `<final_answer>` block (FastContext) are read from its last block, one location a line.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ToolCallRecord } from '../agent/events.js';
import { resolveAllowedPath, type PathPolicy } from '../tools/paths.js';

export interface Citation {
  path: string;
  start: number;
  end: number;
  reason: string;
}

export const MAX_CITATIONS = 40;
const MAX_REASON_CHARS = 200;
const DEFAULT_READ_LINES = 2000;

// `file.ext:12`, `file.ext:12-40`, `file.ext:L12-L40`, `file.ext#L12-L40`, en dash too.
const REFERENCE = /(?<![\w/.-])((?:\.{0,2}\/)?(?:[\w@+~-][\w@+.~-]*\/)*[\w@+~-][\w@+.~-]*\.[A-Za-z0-9]+)(?::|#)L?(\d+)(?:\s*[-–]\s*L?(\d+))?/g;

interface Candidate {
  path: string;
  start: number;
  end?: number;
  reason: string;
}

/** The sentence of `line` around [from, to): what the answer says about the reference. */
function reasonOf(line: string, from: number, to: number): string {
  const before = line.slice(0, from);
  const boundaries = [...before.matchAll(/[.!?]\s+/g)];
  const start = boundaries.length === 0 ? 0 : (boundaries[boundaries.length - 1].index ?? 0) + boundaries[boundaries.length - 1][0].length;
  const after = /[.!?](?:\s|$)/.exec(line.slice(to));
  const end = after ? to + after.index + 1 : line.length;
  const plain = line.slice(start, end).replace(/`|\*\*/g, '').replace(/^\s*(?:[-+*]|\d+\.)\s+/, '').replace(/\s+/g, ' ').trim();
  return plain.length > MAX_REASON_CHARS ? `${plain.slice(0, MAX_REASON_CHARS - 1)}…` : plain;
}

/** How an answer cites code: references in prose, or the lines of a `<final_answer>` block. */
export type CitationStyle = 'prose' | 'final-answer';

const FINAL_ANSWER = /<final_answer>([\s\S]*?)(?:<\/final_answer>|$)/gi;

/** The last `<final_answer>` block's text, or undefined when the answer has none. */
export function finalAnswerBlock(answer: string): string | undefined {
  let last: string | undefined;
  for (const match of answer.matchAll(FINAL_ANSWER)) last = match[1];
  return last;
}

/** A final-answer line's reason: what follows the reference, without its parentheses. */
function trailingReason(rest: string): string {
  const plain = rest.trim().replace(/^[-–:—]\s*/, '').replace(/^\((.*?)\)?$/s, '$1').trim();
  return plain.length > MAX_REASON_CHARS ? `${plain.slice(0, MAX_REASON_CHARS - 1)}…` : plain;
}

// A `<final_answer>` line as FastContext's harness reads it: `path:N` or `path:N-M`, then an optional reason.
const FINAL_ANSWER_LINE = /^(.+?):(\d+)(?:\s*[-–]\s*(\d+))?(?![\d])\s*(.*)$/;

export function findReferences(answer: string, style: CitationStyle = 'prose'): Candidate[] {
  const block = style === 'final-answer' ? finalAnswerBlock(answer) : undefined;
  const text = block ?? answer;
  const found: Candidate[] = [];
  if (block !== undefined) {
    for (const line of block.split('\n')) {
      const match = FINAL_ANSWER_LINE.exec(line.trim().replace(/^[-*]\s+/, '').replace(/`/g, ''));
      if (match) found.push({ path: match[1], start: Number(match[2]), end: match[3] === undefined ? undefined : Number(match[3]), reason: trailingReason(match[4]) });
    }
    return found;
  }
  for (const line of text.split('\n')) {
    for (const match of line.matchAll(REFERENCE)) {
      const start = Number(match[2]);
      const end = match[3] === undefined ? undefined : Number(match[3]);
      const from = match.index ?? 0;
      const to = from + match[0].length;
      found.push({ path: match[1], start, end, reason: block === undefined ? reasonOf(line, from, to) : trailingReason(line.slice(to)) });
    }
  }
  return found;
}

function readCandidates(toolCalls: readonly ToolCallRecord[]): Candidate[] {
  return toolCalls
    .filter((call) => call.name === 'Read' && call.ok && typeof (call.arguments.file_path ?? call.arguments.path) === 'string')
    .map((call) => {
      const offset = typeof call.arguments.offset === 'number' && call.arguments.offset > 0 ? call.arguments.offset : 1;
      const limit = typeof call.arguments.limit === 'number' && call.arguments.limit > 0 ? call.arguments.limit : DEFAULT_READ_LINES;
      return { path: (call.arguments.file_path ?? call.arguments.path) as string, start: offset, end: offset + limit - 1, reason: 'read by the explorer' };
    });
}

async function lineCount(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return undefined;
    const text = await readFile(file, 'utf8');
    if (text === '') return 0;
    return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  } catch {
    return undefined;
  }
}

/** Paths are shown relative to `displayRoot` when inside it, else absolute. */
export async function extractCitations(
  answer: string,
  toolCalls: readonly ToolCallRecord[],
  policy: PathPolicy,
  displayRoot: string,
  style: CitationStyle = 'prose',
): Promise<Citation[]> {
  const fromAnswer = findReferences(answer, style);
  const candidates = fromAnswer.length > 0 ? fromAnswer : readCandidates(toolCalls);
  const citations: Citation[] = [];
  const seen = new Set<string>();
  const lines = new Map<string, number | undefined>();
  for (const candidate of candidates) {
    if (citations.length >= MAX_CITATIONS) break;
    let real: string;
    try {
      real = await resolveAllowedPath(policy, candidate.path);
    } catch {
      continue;
    }
    if (!lines.has(real)) lines.set(real, await lineCount(real));
    const total = lines.get(real);
    if (total === undefined || candidate.start < 1 || candidate.start > Math.max(total, 1)) continue;
    const end = Math.min(Math.max(candidate.end ?? candidate.start, candidate.start), Math.max(total, 1));
    const relative = path.relative(displayRoot, real);
    const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : real;
    const key = `${shown}:${candidate.start}-${end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    citations.push({ path: shown, start: candidate.start, end, reason: candidate.reason });
  }
  return citations;
}

export function citationLine(citation: Citation): string {
  return `${citation.path}:${citation.start}-${citation.end}`;
}
