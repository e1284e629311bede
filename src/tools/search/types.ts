// The contract both searchers (ripgrep and the JS fallback) fulfil. They return the same
// structured results; grep.ts and glob.ts turn those into the text the model reads, so
// the two searchers cannot differ in formatting.

export type SearcherChoice = 'ripgrep' | 'js' | 'auto';

export type GrepMode = 'files_with_matches' | 'content' | 'count';

export interface GrepQuery {
  /** Absolute real path of the file or folder to search. */
  root: string;
  rootIsFile: boolean;
  /** ripgrep regex, already passed through normalizePattern. */
  pattern: string;
  caseInsensitive: boolean;
  multiline: boolean;
  /** ripgrep --glob rules, in order. */
  globs: readonly string[];
  type?: string;
  mode: GrepMode;
  /** Context lines (content mode only). */
  before: number;
  after: number;
}

export interface GrepLine {
  /** 1-based line number. */
  number: number;
  /** True for a matching line, false for a context line. */
  match: boolean;
  /** Line text without its line ending, or a marker for a line over 500 bytes. */
  text: string;
}

/** Why a file containing a NUL byte was reported the way it was (ripgrep's notes). */
export interface BinaryNote {
  /** 'stopped': searched up to the binary data (found while walking); 'matches': a file named explicitly. */
  kind: 'stopped' | 'matches';
  offset: number;
}

export interface FileMatches {
  /** Absolute path. */
  path: string;
  /** Count mode: matching lines (or matches, for a multiline pattern). */
  count: number;
  /** Content mode: how many lines lines() returns. */
  lineCount: number;
  /** Content mode: places between those lines where line numbers jump (a "--" when context is shown). */
  gapCount: number;
  /**
   * Content mode: matching and context lines in file order. A function because ripgrep's
   * output is only decoded for the lines that are shown.
   */
  lines(): GrepLine[];
  binary?: BinaryNote;
}

export interface SearchEngine {
  readonly name: 'ripgrep' | 'js';
  /** Files with at least one match, in no set order. */
  grep(query: GrepQuery, signal: AbortSignal): Promise<FileMatches[]>;
  /** Absolute paths of the files a search of `root` would read, in no set order. */
  listFiles(root: string, signal: AbortSignal): Promise<string[]>;
}

/** ripgrep's --max-columns 500: longer lines (counting the line ending) are replaced. */
export const MAX_LINE_BYTES = 500;
export const OMITTED_MATCH_LINE = '[Omitted long matching line]';
export const OMITTED_CONTEXT_LINE = '[Omitted long context line]';
