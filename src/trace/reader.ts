// The one trace reader: validates every record kind and maps version 1 lines (no `v`,
// `agentId` on tool lines) to the current shape, naming file and line on bad input.
import { readFile } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import { isTraceRecordKind, TRACE_VERSION, traceRecordSchemas, type TraceRecord, type TraceRecordKind } from './records.js';

export interface ReadTraceOptions {
  /** Starts each error message, e.g. `fake backend script` (default `trace`). */
  label?: string;
  /** Only these kinds are validated and returned; the rest are skipped unread. */
  kinds?: readonly TraceRecordKind[];
  /** A further check of a valid record; a returned problem is thrown naming the line. */
  problem?: (record: TraceRecord) => string | undefined;
}

/** Parses trace text; lines of unknown kinds are skipped. Throws LocoError('usage') naming source and line. */
export function parseTrace(text: string, sourceName: string, options: ReadTraceOptions = {}): TraceRecord[] {
  const label = options.label ?? 'trace';
  const records: TraceRecord[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const where = `${label} ${sourceName}:${index + 1}`;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new LocoError('usage', `${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new LocoError('usage', `${where}: each line must be a JSON object`);
    }
    const fields = value as Record<string, unknown>;
    const type = fields.type;
    if (!isTraceRecordKind(type) || (options.kinds && !options.kinds.includes(type))) return;
    const parsed = traceRecordSchemas[type].safeParse(upgrade(fields, where));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`).join('; ');
      throw new LocoError('usage', `${where}: invalid ${type} entry: ${problems}`);
    }
    const problem = options.problem?.(parsed.data);
    if (problem) throw new LocoError('usage', `${where}: ${problem}`);
    records.push(parsed.data);
  });
  return records;
}

/** Reads and parses a trace file; a missing or unreadable file is a LocoError('usage') naming it. */
export async function readTraceFile(path: string, options: ReadTraceOptions = {}): Promise<TraceRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new LocoError('usage', `cannot read ${options.label ?? 'trace'} ${path}: ${reason}`, { cause: error });
  }
  return parseTrace(text, path, options);
}

/** The record in the current version's shape. */
function upgrade(fields: Record<string, unknown>, where: string): Record<string, unknown> {
  const version = fields.v ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new LocoError('usage', `${where}: "v" must be a whole trace format version, got ${JSON.stringify(version)}`);
  if (version > TRACE_VERSION) throw new LocoError('usage', `${where}: trace format version ${version} is newer than this loco reads (${TRACE_VERSION}): update loco`);
  if (version === 1) {
    const { agentId, ...rest } = fields;
    return { ...rest, v: TRACE_VERSION, ...(typeof agentId === 'string' && rest.conversationId === undefined ? { conversationId: agentId } : {}) };
  }
  return fields;
}
