// `loco distill import`: finds transcript and trace files under the given paths, turns each
// into normalized conversations (conversation.ts) and streams them to one JSONL file, written
// to a temporary file and renamed into place only when the whole import succeeded.
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../errors.js';
import { importClaudeCodeFile } from './claude-code.js';
import type { Conversation } from './conversation.js';
import { emptyImportCounts, type ImportCounts } from './import-counts.js';
import { createAtomicJsonlWriter } from './jsonl.js';
import { importLocoTrace } from './loco-trace.js';

export type SourceFormat = 'auto' | 'claude-code' | 'loco-trace';

export interface ImportOptions {
  format?: SourceFormat;
  onProgress?: (files: number, conversations: number) => void;
}

/** Every `.jsonl` under `source` (or `source` itself), sorted; Claude Code's `tool-results/` folders hold no transcripts. */
async function sourceFiles(source: string): Promise<string[]> {
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new LocoError('usage', `no such file or folder: ${source} (give Claude Code's ~/.claude/projects, a project or session file, or a loco trace)`);
  }
  if (!info.isDirectory()) return [source];
  const names = await readdir(source, { recursive: true });
  return names
    .filter((name) => name.endsWith('.jsonl') && !name.split(path.sep).includes('tool-results'))
    .map((name) => path.join(source, name))
    .sort();
}

/** A loco trace starts with a `meta` record; anything else is read as a Claude Code transcript. */
async function sniffFormat(file: string): Promise<'claude-code' | 'loco-trace'> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0];
    return /^\s*\{\s*"type"\s*:\s*"meta"/.test(firstLine) ? 'loco-trace' : 'claude-code';
  } finally {
    await handle.close();
  }
}

function isSubagentFile(file: string): boolean {
  return path.basename(path.dirname(file)) === 'subagents' && /^agent-.*\.jsonl$/.test(path.basename(file));
}

async function importFile(file: string, format: SourceFormat, counts: ImportCounts): Promise<Conversation[]> {
  try {
    const kind = format === 'auto' ? await sniffFormat(file) : format;
    if (kind === 'loco-trace') return await importLocoTrace(file, counts);
    const conversation = await importClaudeCodeFile({ file, subagent: isSubagentFile(file) }, counts);
    return conversation ? [conversation] : [];
  } catch (error) {
    // A file that cannot be read at all stops the import: its conversations would be missing silently.
    throw new LocoError('io', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)} (nothing was written)`, { cause: error });
  }
}

export async function importSources(sources: readonly string[], out: string, options: ImportOptions = {}): Promise<ImportCounts> {
  if (sources.length === 0) throw new LocoError('usage', 'give at least one source: a Claude Code projects folder, a session file or a loco trace');
  const files = (await Promise.all(sources.map(sourceFiles))).flat();
  const counts = emptyImportCounts();
  const writer = await createAtomicJsonlWriter(out);
  try {
    for (const file of files) {
      counts.files += 1;
      const conversations = await importFile(file, options.format ?? 'auto', counts);
      for (const conversation of conversations) {
        await writer.write(conversation);
        counts.conversations += 1;
      }
      options.onProgress?.(counts.files, counts.conversations);
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return counts;
}
