// What an import saw and skipped, counted per reason, with the first few skipped lines named
// by file:line so a bad source can be found and fixed.
export interface ImportCounts {
  files: number;
  conversations: number;
  /** Lines that are not UTF-8 or not JSON (truncated lines included). */
  badLines: number;
  /** Entry types a source has that carry no conversation (`summary`, `file-history-snapshot`, ...). */
  ignoredEntries: Record<string, number>;
  /** Entry types this importer does not know. */
  unknownEntries: Record<string, number>;
  /** Entries whose `parentUuid` names an entry the file does not have (the chain stops there). */
  missingParents: number;
  /** Assistant content blocks seen twice (same message id, request id and block). */
  duplicateBlocks: number;
  /** Entries whose uuid was already seen. */
  duplicateEntries: number;
  /** Chains cut at a compaction boundary (the conversation starts at the boundary). */
  compactions: number;
  /** Branches left aside: leaves other than the latest one. */
  abandonedBranches: number;
  /** Tool calls without a result in the transcript (given an error result). */
  missingResults: number;
  /** Files that hold no conversation (no user or assistant message on the chain). */
  emptyFiles: number;
  /** The first skipped lines, `file:line: reason`. */
  examples: string[];
}

const EXAMPLES = 20;

export function emptyImportCounts(): ImportCounts {
  return {
    files: 0,
    conversations: 0,
    badLines: 0,
    ignoredEntries: {},
    unknownEntries: {},
    missingParents: 0,
    duplicateBlocks: 0,
    duplicateEntries: 0,
    compactions: 0,
    abandonedBranches: 0,
    missingResults: 0,
    emptyFiles: 0,
    examples: [],
  };
}

export function noteBadLine(counts: ImportCounts, file: string, line: number, reason: string): void {
  counts.badLines += 1;
  if (counts.examples.length < EXAMPLES) counts.examples.push(`${file}:${line}: ${reason}`);
}

export function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}
