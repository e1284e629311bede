// results.jsonl: the run's header on the first line, then one line per sample and run with
// the raw output, the label and the verdicts. Lines are appended as results arrive, so an
// interrupted run keeps what it finished; `loco eval score` re-derives every verdict from
// the raw texts, so a file scored by an older loco can be scored again by a newer one.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { LocoError } from '../errors.js';
import type { SampleVerdict } from './verdicts.js';

const usage = z.object({ promptTokens: z.number(), cachedTokens: z.number(), completionTokens: z.number() });

const headerSchema = z.object({
  kind: z.literal('run'),
  version: z.literal(1),
  samplesFile: z.string(),
  backend: z.string(),
  model: z.string().optional(),
  temperature: z.number(),
  runs: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  samples: z.number().int().nonnegative(),
  startedAt: z.string(),
});

const recordSchema = z.object({
  kind: z.literal('sample'),
  /** Position of the sample in the samples file (0-based), for a stable order. */
  index: z.number().int().nonnegative(),
  id: z.string(),
  run: z.number().int().positive(),
  label: z.string(),
  meta: z.record(z.string(), z.unknown()).optional(),
  output: z.string().nullable(),
  finishReason: z.enum(['stop', 'length', 'aborted']).optional(),
  usage: usage.optional(),
  latencyMs: z.number().optional(),
  firstTokenMs: z.number().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  // Written for readers of the file; scoring recomputes it from `output` and `label`.
  verdict: z.unknown().optional(),
});

export type RunHeader = z.infer<typeof headerSchema>;
export type ResultRecord = Omit<z.infer<typeof recordSchema>, 'verdict'> & { verdict?: SampleVerdict };

export interface ResultsFile {
  header?: RunHeader;
  records: ResultRecord[];
}

export function parseResults(text: string, source: string): ResultsFile {
  const problems: string[] = [];
  const records: ResultRecord[] = [];
  let header: RunHeader | undefined;
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push(`${where}: not valid JSON`);
      return;
    }
    const kind = (value as { kind?: unknown } | null)?.kind;
    const parsed = kind === 'run' ? headerSchema.safeParse(value) : recordSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(`${where}: ${parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`).join('; ')}`);
    } else if (parsed.data.kind === 'run') {
      header ??= parsed.data;
    } else {
      const { verdict: _ignored, ...record } = parsed.data;
      records.push(record);
    }
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((problem) => `  ${problem}`).join('\n');
    throw new LocoError('usage', `${source} is not a loco eval results file (${problems.length} bad lines):\n${shown}`);
  }
  if (records.length === 0) throw new LocoError('usage', `${source} holds no sample results (write one with loco eval <samples.jsonl> --out <dir>)`);
  records.sort((a, b) => a.run - b.run || a.index - b.index);
  return { header, records };
}

export async function readResults(file: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new LocoError('usage', `cannot read results ${file}: ${reason}`);
  }
  return parseResults(text, file);
}

export function formatResultLine(line: RunHeader | ResultRecord): string {
  return `${JSON.stringify(line)}\n`;
}

export interface ResultsWriter {
  append(record: ResultRecord): Promise<void>;
  close(): Promise<void>;
}

/** Opens `file` for writing (replacing it) and writes the header at once. */
export async function createResultsWriter(file: string, header: RunHeader): Promise<ResultsWriter> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'w');
  } catch (error) {
    throw new LocoError('usage', `cannot write ${file}: ${(error as Error).message}`);
  }
  // Workers finish in any order; a chain keeps each line whole.
  let chain: Promise<unknown> = handle.write(formatResultLine(header));
  return {
    append(record) {
      const write = chain.then(() => handle.write(formatResultLine(record)));
      chain = write;
      return write.then(() => undefined);
    },
    async close() {
      await chain;
      await handle.close();
    },
  };
}
