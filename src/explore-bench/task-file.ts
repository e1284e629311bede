// The explore-bench task file: one JSON task per line, validated with a schema; reading names
// every bad line by number, writing is atomic (temporary file, then rename).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LocoError } from '../errors.js';
import { writeFileAtomic } from '../atomic-write.js';

export const TASK_KINDS = ['localization', 'definition'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

const lineRange = z
  .tuple([z.number().int().min(1), z.number().int().min(1)])
  .refine(([start, end]) => end >= start, { message: 'a range must end at or after its start' });

export const taskSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'ids are letters, digits, "_", "." and "-" (they name answer files)'),
    kind: z.enum(TASK_KINDS),
    /** A local repository path or a name such as "owner/name" (imported sets). */
    repo: z.string().min(1),
    /** The tree to explore: full 40-hex commit id. */
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'commit must be a full 40-hex commit id'),
    question: z.string().min(1),
    truth: z.object({
      files: z.array(z.string().min(1)).min(1),
      lines: z.record(z.string(), z.array(lineRange)),
    }),
    meta: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((task, context) => {
    for (const file of Object.keys(task.truth.lines)) {
      if (!task.truth.files.includes(file)) context.addIssue({ code: 'custom', message: `truth.lines names ${file}, which is not in truth.files` });
    }
  });

export type BenchTask = z.infer<typeof taskSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Parses a task file's text; every bad line (JSON, schema, duplicate id) is reported by number at once. */
export function parseTasks(text: string, source: string): BenchTask[] {
  return parseTaskLines(text, source).tasks;
}

/** parseTasks, with the line each task is on (for messages and run summaries). */
export function parseTaskLines(text: string, source: string): { tasks: BenchTask[]; lines: Map<string, number> } {
  const tasks: BenchTask[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === '' || line.startsWith('#')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${number}: not JSON (${(error as Error).message})`);
      return;
    }
    const parsed = taskSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(`line ${number}: ${describeIssues(parsed.error)}`);
      return;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push(`line ${number}: id "${parsed.data.id}" was already used on line ${earlier}`);
      return;
    }
    seen.set(parsed.data.id, number);
    tasks.push(parsed.data);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join('\n  ');
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '';
    throw new LocoError('usage', `${source} has ${problems.length} bad line(s); fix them and run again:\n  ${shown}${more}`);
  }
  if (tasks.length === 0) throw new LocoError('usage', `${source} holds no tasks: make some with \`loco bench make <repo> --out ${source}\``);
  return { tasks, lines: seen };
}

export async function readTasks(file: string): Promise<BenchTask[]> {
  return (await readTaskLines(file)).tasks;
}

export async function readTaskLines(file: string): Promise<{ tasks: BenchTask[]; lines: Map<string, number> }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocoError('usage', `cannot read the task file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseTaskLines(text, file);
}

/** One task per line with keys in schema order, so equal task sets give equal bytes. */
export function formatTasks(tasks: readonly BenchTask[]): string {
  return tasks
    .map((task) => JSON.stringify({ id: task.id, kind: task.kind, repo: task.repo, commit: task.commit, question: task.question, truth: task.truth, meta: task.meta }))
    .map((line) => `${line}\n`)
    .join('');
}

export async function writeTasks(file: string, tasks: readonly BenchTask[]): Promise<void> {
  for (const task of tasks) taskSchema.parse(task); // never write a file this module would refuse to read
  await writeFileAtomic(file, formatTasks(tasks));
}
