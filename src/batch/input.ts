// Reads a batch's queries file: `id<TAB>query` lines (the reference format) or JSONL objects
// `{"id", "query", "repo"?}`; the first entry decides which. Blank lines and `#` comments are
// skipped. Every problem (malformed line, bad or duplicate id, empty query) is collected with
// its line number and reported together, before any query runs: a batch of hundreds should
// not fail on line 180 after an hour of work.
import { access, constants, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../errors.js';

export interface BatchQuery {
  id: string;
  query: string;
  /** Absolute directory the query explores. */
  repo: string;
  /** 1-based line in the queries file, for messages. */
  line: number;
}

/** A query as written, before its repository is resolved. */
export interface ParsedQuery {
  id: string;
  query: string;
  /** JSONL only: the entry's own repository, as written. */
  repo?: string;
  line: number;
}

interface Problem {
  line: number;
  message: string;
}

/** Ids name output files (`<id>.md`): no separators, no leading dot, nothing a shell mangles. */
const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_ID_LENGTH = 128;
const MAX_LISTED_PROBLEMS = 20;
const JSON_KEYS = ['id', 'query', 'repo'];

function idProblem(id: string): string | undefined {
  if (id === '') return 'empty id';
  if (id.length > MAX_ID_LENGTH) return `id is longer than ${MAX_ID_LENGTH} characters`;
  if (!ID_PATTERN.test(id)) return `id ${JSON.stringify(id)} cannot name a file: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`;
  return undefined;
}

function parseTsvLine(line: string, number: number, problems: Problem[]): ParsedQuery | undefined {
  const tab = line.indexOf('\t');
  if (tab === -1) {
    problems.push({ line: number, message: 'expected `id<TAB>query` (no tab found)' });
    return undefined;
  }
  return { id: line.slice(0, tab).trim(), query: line.slice(tab + 1).trim(), line: number };
}

function parseJsonLine(line: string, number: number, problems: Problem[]): ParsedQuery | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    problems.push({ line: number, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ line: number, message: 'expected a JSON object {"id", "query", "repo"?} (the file is JSONL: its first entry is JSON)' });
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !JSON_KEYS.includes(key));
  if (unknown.length > 0) {
    problems.push({ line: number, message: `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')} (allowed: id, query, repo)` });
    return undefined;
  }
  const { id, query, repo } = record;
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) {
    problems.push({ line: number, message: '"id" must be a string or a whole number' });
    return undefined;
  }
  if (typeof query !== 'string') {
    problems.push({ line: number, message: '"query" must be a string' });
    return undefined;
  }
  if (repo !== undefined && (typeof repo !== 'string' || repo.trim() === '')) {
    problems.push({ line: number, message: '"repo" must be a non-empty string (a directory path)' });
    return undefined;
  }
  return { id: String(id).trim(), query: query.trim(), ...(repo === undefined ? {} : { repo: repo.trim() }), line: number };
}

function problemsError(sourceName: string, problems: Problem[]): LocoError {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => `  line ${problem.line}: ${problem.message}`);
  const more = problems.length > MAX_LISTED_PROBLEMS ? [`  … and ${problems.length - MAX_LISTED_PROBLEMS} more`] : [];
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return new LocoError('usage', [`queries file ${sourceName} has ${count}; nothing was run:`, ...listed, ...more].join('\n'));
}

/** Parses the text of a queries file; throws LocoError('usage') listing every problem by line. */
export function parseQueries(text: string, sourceName: string): ParsedQuery[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const problems: Problem[] = [];
  const queries: ParsedQuery[] = [];
  let format: 'tsv' | 'jsonl' | undefined;
  const firstLineById = new Map<string, number>();
  for (let index = 0; index < lines.length; index++) {
    const number = index + 1;
    const line = lines[index].replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (format === undefined) {
      format = trimmed.startsWith('{') ? 'jsonl' : 'tsv';
      // A spreadsheet export's header row is not a query.
      if (format === 'tsv' && /^id\tquery$/i.test(trimmed)) continue;
    }
    const parsed = format === 'jsonl' ? parseJsonLine(trimmed, number, problems) : parseTsvLine(line, number, problems);
    if (!parsed) continue;
    const badId = idProblem(parsed.id);
    if (badId) {
      problems.push({ line: number, message: badId });
      continue;
    }
    if (parsed.query === '') {
      problems.push({ line: number, message: `empty query for id ${JSON.stringify(parsed.id)}` });
      continue;
    }
    // Case-insensitive: `A.md` and `a.md` are one file on macOS and Windows.
    const key = parsed.id.toLowerCase();
    const first = firstLineById.get(key);
    if (first !== undefined) {
      problems.push({ line: number, message: `duplicate id ${JSON.stringify(parsed.id)} (first on line ${first}; ids name the answer files)` });
      continue;
    }
    firstLineById.set(key, number);
    queries.push(parsed);
  }
  if (problems.length > 0) throw problemsError(sourceName, problems);
  if (queries.length === 0) throw new LocoError('usage', `queries file ${sourceName} has no queries: write one \`id<TAB>query\` per line, or JSONL {"id", "query"}`);
  return queries;
}

async function checkDirectory(directory: string): Promise<string | undefined> {
  try {
    if (!(await stat(directory)).isDirectory()) return 'not a directory';
    await access(directory, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return (error as { code?: unknown }).code === 'ENOENT' ? 'no such directory' : 'cannot read it (check its permissions)';
  }
}

/**
 * Gives every query an absolute, readable repository: its own `repo` (relative to the queries
 * file's folder, so a JSONL file travels with its trees) or the `--repo` default.
 */
export async function resolveRepos(queries: ParsedQuery[], options: { defaultRepo?: string; queriesFile: string; cwd: string }): Promise<BatchQuery[]> {
  const base = path.dirname(path.resolve(options.cwd, options.queriesFile));
  const defaultRepo = options.defaultRepo === undefined ? undefined : path.resolve(options.cwd, options.defaultRepo);
  const problems: Problem[] = [];
  const checked = new Map<string, Promise<string | undefined>>();
  const resolved: BatchQuery[] = [];
  for (const query of queries) {
    const repo = query.repo === undefined ? defaultRepo : path.resolve(base, query.repo);
    if (repo === undefined) {
      problems.push({ line: query.line, message: `no repository for id ${JSON.stringify(query.id)}: pass --repo <dir> (or give the entry a "repo")` });
      continue;
    }
    if (!checked.has(repo)) checked.set(repo, checkDirectory(repo));
    const problem = await checked.get(repo);
    if (problem !== undefined) {
      // The --repo flag's own problem is reported once, without blaming every line.
      if (query.repo === undefined) throw new LocoError('usage', `--repo ${options.defaultRepo}: ${problem} (give the directory of the code to explore)`);
      problems.push({ line: query.line, message: `repo ${query.repo}: ${problem}` });
      continue;
    }
    resolved.push({ id: query.id, query: query.query, repo, line: query.line });
  }
  if (problems.length > 0) throw problemsError(options.queriesFile, problems);
  return resolved;
}

/** Reads, parses and resolves a queries file. */
export async function loadQueries(file: string, options: { defaultRepo?: string; cwd: string }): Promise<BatchQuery[]> {
  let text: string;
  try {
    text = await readFile(path.resolve(options.cwd, file), 'utf8');
  } catch (error) {
    const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new LocoError('usage', `cannot read queries file ${file}: ${reason}`, { cause: error });
  }
  return resolveRepos(parseQueries(text, file), { ...options, queriesFile: file });
}
