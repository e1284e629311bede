// The explore tool's result: a short answer, `path:start-end` citation lines and a link to
// the run's trace, as text and as structured content. Claude Code rejects tool output over
// 25,000 tokens by default; the whole result (text and structured copy together) is held
// under a character budget well below that, and says so when the answer had to be cut.
import { z } from 'zod';
import type { StopReason } from '../agent/events.js';
import { citationLine, type Citation } from './citations.js';

/** About 20,000 tokens at ~3 characters a token (code is denser than prose). */
export const RESULT_CHAR_BUDGET = 60_000;

export const exploreOutputShape = {
  answer: z.string().describe('The explorer\'s answer, possibly cut (see truncated)'),
  citations: z.array(z.object({ path: z.string(), start: z.number().int(), end: z.number().int(), reason: z.string() })).describe('Checked file ranges backing the answer'),
  truncated: z.boolean().describe('True when the answer was cut to fit the result budget'),
  stopReason: z.string(),
  turns: z.number().int(),
  toolCalls: z.number().int(),
  trace: z.string().describe('URI of the full trace resource'),
};

interface ExploreFields {
  answer: string;
  citations: Citation[];
  truncated: boolean;
  stopReason: StopReason;
  turns: number;
  toolCalls: number;
  trace: string;
}

/** Structured content must be a plain JSON object (hence the index signature). */
export type ExploreOutput = ExploreFields & { [key: string]: unknown };

export interface ExploreResultParts {
  text: string;
  structured: ExploreOutput;
}

function render(output: ExploreOutput, stopNote: string | undefined): string {
  const parts = [output.answer === '' ? '(no answer)' : output.answer];
  if (stopNote) parts.push(stopNote);
  if (output.citations.length > 0) parts.push(`Citations:\n${output.citations.map((citation) => `${citationLine(citation)}  ${citation.reason}`).join('\n')}`);
  parts.push(`Full trace: ${output.trace}`);
  return parts.join('\n\n');
}

function stopNoteOf(stopReason: StopReason): string | undefined {
  if (stopReason === 'max-turns') return '(the explorer reached its turn limit; ask again with thoroughness "thorough" or a larger max_turns for more)';
  if (stopReason === 'context-budget') return '(the explorer ran out of context budget before finishing)';
  return undefined;
}

export function buildExploreResult(input: Omit<ExploreFields, 'truncated'>, budget = RESULT_CHAR_BUDGET): ExploreResultParts {
  const full = input.answer;
  const note = stopNoteOf(input.stopReason);
  const build = (keep: number, citations: Citation[]): ExploreResultParts & { size: number } => {
    const truncated = keep < full.length;
    const answer = truncated ? `${full.slice(0, keep)}\n[answer cut to fit the result limit: ${keep} of ${full.length} characters shown; the full text is in ${input.trace}]` : full;
    const structured: ExploreOutput = { ...input, answer, citations, truncated };
    const text = render(structured, note);
    return { text, structured, size: text.length + JSON.stringify(structured).length };
  };
  let citations = input.citations;
  const whole = build(full.length, citations);
  if (whole.size <= budget) return { text: whole.text, structured: whole.structured };
  // Citations are small and worth more than the answer's tail; only when even an empty
  // answer does not fit are they dropped from the end.
  while (citations.length > 0 && build(0, citations).size > budget) citations = citations.slice(0, Math.floor(citations.length / 2));
  // The size grows with the kept length (escaping included): find the longest that fits.
  let low = 0;
  let high = full.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (build(middle, citations).size <= budget) low = middle;
    else high = middle - 1;
  }
  const best = build(low, citations);
  return { text: best.text, structured: best.structured };
}
