// Hand-made eval samples with known model outputs: every metric's expected value is worked
// out in metrics.test.ts from this table. Each sample's user message carries a `[tag]` that
// the fake backend's `match` field uses, so outputs land on their samples at any concurrency.
import { writeFile } from 'node:fs/promises';
import type { FakeEntry } from '../../src/backends/fake.js';
import { renderToolCall } from '../../src/protocol/tool-call-codec.js';

export function call(name: string, args: Record<string, unknown>): string {
  return renderToolCall({ name, arguments: args });
}

export interface FixtureCase {
  id: string;
  /** The teacher's next message (the label). */
  label: string;
  /** What the fake model answers. */
  output: string;
}

export const CASES: FixtureCase[] = [
  // s1: neither calls a tool.
  { id: 's1', label: 'The answer is 42.', output: 'It is 42.' },
  // s2: text plus a call on both sides, same tool.
  { id: 's2', label: `Let me search.\n${call('Grep', { pattern: 'foo' })}`, output: `Searching.\n${call('Grep', { pattern: 'foo', path: 'src' })}` },
  // s3: several calls; the first differs (Glob vs Read), strict and relaxed.
  {
    id: 's3',
    label: [call('Read', { file_path: 'a.ts' }), call('Read', { file_path: 'b.ts' })].join('\n'),
    output: [call('Glob', { pattern: '**/*.ts' }), call('Read', { file_path: 'a.ts' }), call('Read', { file_path: 'b.ts' })].join('\n'),
  },
  // s4: JSON that needs repair (a closing brace missing): JSON invalid, arguments valid.
  { id: 's4', label: call('Read', { file_path: 'a.ts' }), output: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.ts"}\n</tool_call>' },
  // s5: a block that is not JSON at all: no tool name, invalid on both counts.
  { id: 's5', label: call('Bash', { command: 'cat a.ts' }), output: '<tool_call>\nnot json at all\n</tool_call>' },
  // s6: unknown tool.
  { id: 's6', label: call('Grep', { pattern: 'x' }), output: call('Search', { query: 'x' }) },
  // s7: missing required argument.
  { id: 's7', label: call('Read', { file_path: 'a.ts' }), output: call('Read', { limit: 10 }) },
  // s8: extra key; Grep vs Bash grep: strict miss, relaxed match.
  { id: 's8', label: call('Bash', { command: 'grep -rn x .' }), output: call('Grep', { pattern: 'x', recursive: true }) },
  // s9: only the model calls.
  { id: 's9', label: 'Done.', output: call('Bash', { command: 'ls src' }) },
  // s10: only the label calls.
  { id: 's10', label: call('Glob', { pattern: '**/*.ts' }), output: "I don't know." },
  // s11: Bash cat vs Read: strict miss, relaxed match.
  { id: 's11', label: call('Read', { file_path: 'README.md' }), output: call('Bash', { command: 'cat README.md' }) },
  // s12: Bash vs Bash; the model's command writes, the label's only reads.
  { id: 's12', label: call('Bash', { command: 'git log' }), output: call('Bash', { command: 'rm -rf build' }) },
  // s13: the teacher errs: an extra key in its first call.
  { id: 's13', label: [call('Read', { file_path: 'a.ts', path: 'src' }), call('Grep', { pattern: 'y' })].join('\n'), output: call('Read', { file_path: 'a.ts' }) },
];

export function tagOf(id: string): string {
  return `[${id}]`;
}

export function sampleLine(id: string, label: string): string {
  return JSON.stringify({ id, messages: [{ role: 'user', content: `Question ${tagOf(id)}` }], label });
}

export function samplesJsonl(cases: readonly FixtureCase[] = CASES): string {
  return `${cases.map((item) => sampleLine(item.id, item.label)).join('\n')}\n`;
}

export function fakeEntries(cases: readonly FixtureCase[] = CASES): FakeEntry[] {
  return cases.map((item) => ({ type: 'assistant', text: item.output, match: tagOf(item.id) }));
}

export function fakeScriptJsonl(entries: readonly FakeEntry[]): string {
  return `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`;
}

/** Writes samples.jsonl and fake.jsonl for the cases into `dir`. */
export async function writeFixtureFiles(dir: string, cases: readonly FixtureCase[] = CASES): Promise<{ samples: string; script: string }> {
  const samples = `${dir}/samples.jsonl`;
  const script = `${dir}/fake.jsonl`;
  await writeFile(samples, samplesJsonl(cases));
  await writeFile(script, fakeScriptJsonl(fakeEntries(cases)));
  return { samples, script };
}
