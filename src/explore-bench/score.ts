// Per-task scores with FastContext's definitions: file-level P/R/F1 over path sets, line-level
// P/R/F1 over (path, line) sets (computed on merged ranges, never expanded), a task without any
// citation scored 0; plus line F0.5 (precision weighted: citing whole files is penalized) and
// the function-level hit (a cited range touches a definition enclosing the truth lines).
import { parseAnswer, type ParsedAnswer } from './citations.js';
import { countLines, mergeRanges, overlapLines, type LineRange } from './line-ranges.js';
import type { BenchTask } from './task-file.js';

export interface PrecisionRecall {
  precision: number;
  recall: number;
  f1: number;
}

export interface TaskScore {
  id: string;
  kind: string;
  /** No answer file at all (counted as no citation too). */
  missing: boolean;
  noCitation: boolean;
  citations: number;
  outside: number;
  file: PrecisionRecall;
  line: PrecisionRecall & { f05: number };
  citedLines: number;
  /** Lines in the truth: citedLines / truthLines above 1 is over-citation. */
  truthLines: number;
  /** 1 or 0; undefined when the truth lines lie in no definition (or definitions are unknown). */
  functionHit?: number;
}

/** A task's truth, prepared once and scored against many answers. */
export interface PreparedTruth {
  task: BenchTask;
  files: ReadonlySet<string>;
  lines: ReadonlyMap<string, LineRange[]>;
  lineCount: number;
  /** Innermost definitions enclosing truth lines, per file; undefined when not computed. */
  functions?: ReadonlyMap<string, LineRange[]>;
}

export function prepareTruth(task: BenchTask, functions?: ReadonlyMap<string, LineRange[]>): PreparedTruth {
  const lines = new Map<string, LineRange[]>();
  let lineCount = 0;
  for (const [file, ranges] of Object.entries(task.truth.lines)) {
    const merged = mergeRanges(ranges);
    lines.set(file, merged);
    lineCount += countLines(merged);
  }
  return { task, files: new Set(task.truth.files), lines, lineCount, functions };
}

export function fBeta(precision: number, recall: number, beta: number): number {
  const b2 = beta * beta;
  const denominator = b2 * precision + recall;
  return denominator === 0 ? 0 : ((1 + b2) * precision * recall) / denominator;
}

function precisionRecall(hits: number, predicted: number, actual: number): PrecisionRecall {
  const precision = predicted === 0 ? 0 : hits / predicted;
  const recall = actual === 0 ? 0 : hits / actual;
  return { precision, recall, f1: fBeta(precision, recall, 1) };
}

const ZERO = { precision: 0, recall: 0, f1: 0 };

export function scoreParsed(truth: PreparedTruth, parsed: ParsedAnswer | undefined): TaskScore {
  const base = { id: truth.task.id, kind: truth.task.kind, missing: parsed === undefined, citations: parsed?.count ?? 0, outside: parsed?.outside ?? 0 };
  if (!parsed || parsed.files.length === 0) {
    return { ...base, noCitation: true, file: ZERO, line: { ...ZERO, f05: 0 }, citedLines: 0, truthLines: truth.lineCount, ...(truth.functions && truth.functions.size > 0 ? { functionHit: 0 } : {}) };
  }
  let fileHits = 0;
  let citedLines = 0;
  let lineHits = 0;
  let functionHit = 0;
  for (const cited of parsed.files) {
    if (truth.files.has(cited.path)) fileHits++;
    citedLines += countLines(cited.ranges);
    const truthRanges = truth.lines.get(cited.path);
    if (truthRanges) lineHits += overlapLines(cited.ranges, truthRanges);
    const functions = truth.functions?.get(cited.path);
    if (functions && functionHit === 0 && overlapLines(cited.ranges, mergeRanges(functions)) > 0) functionHit = 1;
  }
  const line = precisionRecall(lineHits, citedLines, truth.lineCount);
  return {
    ...base,
    noCitation: false,
    file: precisionRecall(fileHits, parsed.files.length, truth.files.size),
    line: { ...line, f05: fBeta(line.precision, line.recall, 0.5) },
    citedLines,
    truthLines: truth.lineCount,
    ...(truth.functions && truth.functions.size > 0 ? { functionHit } : {}),
  };
}

export function scoreAnswer(truth: PreparedTruth, answer: string | undefined, roots: readonly string[]): TaskScore {
  return scoreParsed(truth, answer === undefined ? undefined : parseAnswer(answer, roots));
}
