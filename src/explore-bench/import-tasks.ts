// Tasks from SWE-bench / Loc-Bench shaped JSONL (`instance_id, repo, base_commit,
// problem_statement, patch`, other fields ignored): the truth is the old side of the gold
// patch's hunks, new files left out. Every bad line is named at once.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LocoError } from '../errors.js';
import type { KindReport } from './history-tasks.js';
import { checkLeak } from './leak-check.js';
import type { BenchTask } from './task-file.js';
import { oldSideRanges } from './unified-diff.js';

const instanceSchema = z.object({
  instance_id: z.string().min(1),
  repo: z.string().min(1),
  base_commit: z.string().regex(/^[0-9a-f]{40}$/, 'base_commit must be a full 40-hex commit id'),
  problem_statement: z.string().min(1),
  patch: z.string().min(1),
});

export function importTasks(text: string, source: string): { tasks: BenchTask[]; report: KindReport; lineOf: Map<string, number> } {
  const tasks: BenchTask[] = [];
  const problems: string[] = [];
  const rejected: Record<string, number> = {};
  const lineOf = new Map<string, number>();
  let seen = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    seen++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${index + 1}: not JSON (${(error as Error).message})`);
      return;
    }
    const parsed = instanceSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(`line ${index + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`).join('; ')}`);
      return;
    }
    const instance = parsed.data;
    const id = instance.instance_id.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
    if (lineOf.has(id)) {
      problems.push(`line ${index + 1}: instance_id "${instance.instance_id}" repeats line ${lineOf.get(id)}`);
      return;
    }
    const files = oldSideRanges(instance.patch);
    if (files.length === 0) {
      rejected['no-existing-file'] = (rejected['no-existing-file'] ?? 0) + 1;
      return;
    }
    lineOf.set(id, index + 1);
    const truthFiles = files.map((file) => file.path);
    tasks.push({
      id,
      kind: 'localization',
      repo: instance.repo,
      commit: instance.base_commit,
      question: instance.problem_statement.trim(),
      truth: { files: truthFiles, lines: Object.fromEntries(files.map((file) => [file.path, file.ranges])) },
      // Imported sets are kept whole: a question naming its file is recorded, not dropped.
      meta: { source: 'import', instanceId: instance.instance_id, leakCheck: checkLeak(instance.problem_statement, truthFiles) },
    });
  });
  if (problems.length > 0) {
    throw new LocoError('usage', `${source} has ${problems.length} bad line(s) (expected SWE-bench fields instance_id, repo, base_commit, problem_statement, patch):\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  return { tasks, report: { seen, candidates: seen, kept: tasks.length, rejected }, lineOf };
}

export async function readImport(file: string): Promise<ReturnType<typeof importTasks>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocoError('usage', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return importTasks(text, file);
}
