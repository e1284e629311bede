// Helpers for the MCP tests: scripted explorer turns written as fake-backend JSONL files,
// and the text of a tool result.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FakeEntry } from '../../src/backends/fake.js';

export function toolCall(name: string, args: Record<string, unknown>): string {
  return `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
}

export interface ScriptFile {
  file: string;
  cleanup(): Promise<void>;
}

export async function writeScript(entries: FakeEntry[]): Promise<ScriptFile> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'loco-mcp-script-'));
  const file = path.join(dir, 'script.jsonl');
  await writeFile(file, entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

interface ContentItem {
  type: string;
  text?: string;
  uri?: string;
}

export function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as ContentItem[])
    .filter((item) => item.type === 'text')
    .map((item) => item.text ?? '')
    .join('\n');
}

export function linksOf(result: object): string[] {
  return (((result as { content?: unknown }).content ?? []) as ContentItem[]).filter((item) => item.type === 'resource_link').map((item) => item.uri ?? '');
}

export const CONFIG_PY = 'import os\n\ndef find_config(start):\n    """Walk up from start."""\n    return os.path.join(start, ".locorc")\n';

/** A two-turn exploration: one Read, then an answer citing real and invented lines. */
export function findConfigScript(): FakeEntry[] {
  return [
    { type: 'assistant', text: toolCall('Read', { file_path: 'src/config.py' }) },
    { type: 'assistant', text: '`find_config` is defined in src/config.py:3-5. It returns the path (src/config.py:5). See also src/missing.py:1 and src/config.py:90.' },
  ];
}
