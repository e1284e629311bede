// `loco bench make|run|score` (run: cli/bench-run.ts): explore-bench task sets from a repository (history, symbols) or an
// imported SWE-bench set, and scores of run folders against them. Thin: parse flags, call
// src/explore-bench, print. Summaries go to stdout, files to --out.
import type { Command } from 'commander';
import { LocoError } from '../errors.js';
import { wholeNumberFlag } from '../flags.js';
import { functionTruths } from '../explore-bench/function-truth.js';
import { makeTasks, reportPathFor } from '../explore-bench/make.js';
import { writeScoreFiles } from '../explore-bench/report-files.js';
import { scoreTable } from '../explore-bench/report-text.js';
import { readRunFolder } from '../explore-bench/run-dir.js';
import { scoreRuns } from '../explore-bench/scoring.js';
import { readTasks, TASK_KINDS, type TaskKind } from '../explore-bench/task-file.js';
import type { CommandIo } from './ask.js';
import { registerBenchRunCommand } from './bench-run.js';

export interface BenchCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}


function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((item) => item.trim()).filter(Boolean);
}

interface MakeFlags {
  out: string;
  count: string;
  seed: string;
  since?: string;
  languages?: string;
  kinds: string;
  commit?: string;
  import?: string;
}

interface ScoreFlags {
  tasks: string;
  out: string;
  root?: string[];
  repo?: string;
  compare?: string[];
  seed: string;
  functionLevel: boolean;
}

export function registerBenchCommand(program: Command, io: BenchCommandIo): void {
  const bench = program.command('bench').description('explore-bench: tasks with automatic ground truth from any repository, and scores of explorer answers');
  bench
    .command('make')
    .description('Make localization tasks from git history and definition tasks from documented symbols (or import a SWE-bench set)')
    .argument('[repo]', 'a full (not shallow) git clone')
    .requiredOption('-o, --out <tasks.jsonl>', 'the task file to write (a <name>.report.json with rejections per filter is written beside it)')
    .option('-n, --count <n>', 'tasks to make, shared evenly between kinds', '100')
    .option('--seed <n>', 'which tasks are sampled; the same seed gives the same file', '1')
    .option('--since <date>', 'only commits after this date (git --since syntax)')
    .option('--languages <list>', 'only these languages, e.g. python,typescript (default all known)')
    .option('--kinds <list>', `task kinds: ${TASK_KINDS.join(',')}`, TASK_KINDS.join(','))
    .option('--commit <ref>', 'where history ends and definitions are read (default HEAD)')
    .option('--import <file.jsonl>', 'SWE-bench/Loc-Bench JSONL (instance_id, repo, base_commit, problem_statement, patch); with [repo], base commits are checked there')
    .action(async (repo: string | undefined, flags: MakeFlags) => {
      const kinds = list(flags.kinds) ?? [];
      for (const kind of kinds) if (!(TASK_KINDS as readonly string[]).includes(kind)) throw new LocoError('usage', `unknown kind "${kind}" in --kinds: choose from ${TASK_KINDS.join(', ')}`);
      if (kinds.length === 0) throw new LocoError('usage', `--kinds needs at least one of ${TASK_KINDS.join(', ')}`);
      const { tasks, report } = await makeTasks({
        repo,
        out: flags.out,
        count: wholeNumberFlag('--count', flags.count, 1, 1_000_000) ?? 100,
        seed: wholeNumberFlag('--seed', flags.seed, 0, 2 ** 32 - 1) ?? 1,
        since: flags.since,
        languages: list(flags.languages),
        kinds: kinds as TaskKind[],
        commit: flags.commit,
        importFile: flags.import,
      });
      io.stdout.write(`loco bench make: ${tasks.length} tasks written to ${flags.out} (report: ${reportPathFor(flags.out)})\n`);
      for (const [kind, made] of Object.entries(report.byKind)) {
        const rejected = Object.entries(made.rejected).sort(([, a], [, b]) => b - a).map(([filter, count]) => `${filter} ${count}`).join(', ');
        io.stdout.write(`  ${kind}: ${made.kept} kept of ${made.candidates} candidates (${made.seen} seen); rejected: ${rejected || 'none'}\n`);
      }
    });
  registerBenchRunCommand(bench, io);
  bench
    .command('score')
    .description('Score run folders (loco batch layout: <id>.md answers, summary.json) against a task file')
    .argument('<runs...>', 'one or more run folders; each is a run, named by its folder name')
    .requiredOption('--tasks <tasks.jsonl>', 'the task file the runs answered')
    .option('-o, --out <dir>', 'where report.md, report.html, results.jsonl and score.json go', 'bench-report')
    .option('--root <dir...>', 'directories the explorer ran in: absolute citations under them count as repo-relative')
    .option('--repo <dir>', 'a clone to read definitions from for the function-level hit (default: each task\'s repo)')
    .option('--compare <runs...>', 'two run folder names: a paired per-task test of b against a')
    .option('--seed <n>', 'bootstrap seed', '1')
    .option('--no-function-level', 'skip the function-level hit (no repository needed)')
    .action(async (dirs: string[], flags: ScoreFlags) => {
      if (flags.compare && flags.compare.length !== 2) throw new LocoError('usage', '--compare takes exactly two run names: --compare <a> <b>');
      const tasks = await readTasks(flags.tasks);
      const runs = await Promise.all(dirs.map((dir) => readRunFolder(dir, tasks.map((task) => task.id))));
      const functions = flags.functionLevel ? await functionTruths(tasks, flags.repo) : undefined;
      const report = scoreRuns({
        tasks,
        tasksFile: flags.tasks,
        runs,
        functions,
        extraRoots: flags.root,
        seed: wholeNumberFlag('--seed', flags.seed, 0, 2 ** 32 - 1) ?? 1,
        compare: flags.compare ? [flags.compare[0], flags.compare[1]] : undefined,
      });
      await writeScoreFiles(flags.out, report);
      io.stdout.write(`${scoreTable(report).join('\n')}\n`);
      for (const comparison of report.comparisons) {
        io.stdout.write(`${comparison.metric}: ${comparison.b} - ${comparison.a} = ${comparison.difference.toFixed(3)} (${comparison.wins} better, ${comparison.losses} worse, ${comparison.ties} tied; sign test p = ${comparison.signTestP.toPrecision(3)})\n`);
      }
      io.stdout.write(`loco bench score: report in ${flags.out}/report.md, report.html, results.jsonl\n`);
    });
}
