// `loco bench make`: tasks from a repository's history and symbols (or an imported set),
// sampled with a seed so the same arguments give the same bytes, written atomically with a
// report of what each filter rejected beside them (`<name>.report.json`).
import path from 'node:path';
import { LocoError } from '../errors.js';
import { writeFileAtomic } from '../atomic-write.js';
import { openRepo, resolveCommit } from './git.js';
import { makeHistoryTasks, type KindReport } from './history-tasks.js';
import { readImport } from './import-tasks.js';
import { seededRandom } from '../random.js';
import { LANGUAGES } from './source-files.js';
import { makeSymbolTasks } from './symbol-tasks.js';
import { writeTasks, type BenchTask, type TaskKind } from './task-file.js';

export interface MakeOptions {
  repo?: string;
  out: string;
  count: number;
  seed: number;
  since?: string;
  languages?: readonly string[];
  kinds: readonly TaskKind[];
  /** Where definition tasks are taken (default HEAD). */
  commit?: string;
  /** A SWE-bench shaped JSONL to import instead of mining the repository. */
  importFile?: string;
}

export interface MakeReport {
  version: 1;
  repo?: string;
  importFile?: string;
  seed: number;
  count: number;
  tasks: number;
  byKind: Record<string, KindReport>;
}

export function reportPathFor(out: string): string {
  const parsed = path.parse(out);
  return path.join(parsed.dir, `${parsed.ext === '.jsonl' ? parsed.name : parsed.base}.report.json`);
}

function languageSet(languages: readonly string[] | undefined): Set<string> {
  const chosen = languages && languages.length > 0 ? languages : Object.keys(LANGUAGES);
  for (const language of chosen) {
    if (!(language in LANGUAGES)) throw new LocoError('usage', `unknown language "${language}" in --languages: choose from ${Object.keys(LANGUAGES).join(', ')}`);
  }
  return new Set(chosen);
}

export async function makeTasks(options: MakeOptions): Promise<{ tasks: BenchTask[]; report: MakeReport }> {
  let tasks: BenchTask[] = [];
  const byKind: Record<string, KindReport> = {};
  if (options.importFile) {
    const imported = await readImport(options.importFile);
    if (options.repo) {
      // Checked before anything is written: a task on a commit the clone lacks cannot run.
      const repo = await openRepo(options.repo, { needHistory: false });
      const missing: string[] = [];
      for (const task of imported.tasks) {
        if ((await resolveCommit(repo, task.commit)) === undefined) missing.push(`line ${imported.lineOf.get(task.id)}: ${task.commit}`);
      }
      if (missing.length > 0) throw new LocoError('usage', `${options.repo} lacks ${missing.length} base commit(s) of ${options.importFile}; fetch them (git fetch origin <commit>) or clone the right repository:\n  ${missing.slice(0, 20).join('\n  ')}`);
      for (const task of imported.tasks) task.repo = repo.root;
    }
    tasks = imported.tasks.slice(0, options.count);
    byKind.localization = { ...imported.report, kept: tasks.length };
  } else {
    if (!options.repo) throw new LocoError('usage', 'name a repository: loco bench make <repo> --out tasks.jsonl (or --import file.jsonl)');
    const repo = await openRepo(options.repo, { needHistory: options.kinds.includes('localization') });
    const languages = languageSet(options.languages);
    const head = await resolveCommit(repo, options.commit ?? 'HEAD');
    if (!head) throw new LocoError('usage', `${options.repo} has no commit "${options.commit}": pass an existing commit or branch to --commit`);
    const random = seededRandom(options.seed);
    // Even shares; a kind that runs short leaves its share to the next.
    let left = options.count;
    for (const [index, kind] of options.kinds.entries()) {
      const share = index === options.kinds.length - 1 ? left : Math.ceil(left / (options.kinds.length - index));
      const made =
        kind === 'localization'
          ? await makeHistoryTasks(repo, { count: share, random, since: options.since, languages, head })
          : await makeSymbolTasks(repo, { count: share, random, languages, commit: head });
      byKind[kind] = made.report;
      tasks.push(...made.tasks);
      left -= made.tasks.length;
    }
  }
  tasks.sort((a, b) => (a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? 1 : -1));
  if (tasks.length === 0) throw new LocoError('usage', 'no task passed the filters: try more history (--since), other --languages, or another repository; nothing was written');
  const report: MakeReport = {
    version: 1,
    ...(options.repo ? { repo: path.resolve(options.repo) } : {}),
    ...(options.importFile ? { importFile: options.importFile } : {}),
    seed: options.seed,
    count: options.count,
    tasks: tasks.length,
    byKind,
  };
  await writeTasks(options.out, tasks);
  await writeFileAtomic(reportPathFor(options.out), `${JSON.stringify(report, null, 2)}\n`);
  return { tasks, report };
}
