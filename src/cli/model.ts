// `loco model pull|list|rm|path`: manage the local GGUF cache. stdout carries only results
// (the model path, the list); progress and notes go to stderr: a redrawn bar with speed and ETA
// on a terminal, a plain line every few seconds otherwise (logs, CI).
import { wholeNumberFlag } from '../flags.js';
import type { Command } from 'commander';
import { LocoError } from '../errors.js';
import { pullModel, type PullProgress } from '../models/download.js';
import { formatSize } from '../models/transfer.js';
import { DEFAULT_MODEL_REF, KNOWN_MODELS, looksLikeModelRef, parseModelRef } from '../models/refs.js';
import { resolveDefaultBackendSpec } from '../models/default-backend.js';
import { findInstalledModel, listInstalledModels, listPartialDownloads, removeModel, resolveModelsDir } from '../models/store.js';
import type { CommandIo } from './io.js';
import { formatSeconds } from '../format.js';

export interface ModelCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

export interface ModelDirFlags {
  modelsDir?: string;
}

export interface PullFlags extends ModelDirFlags {
  sha256?: string;
  retries?: string;
}

export interface ListFlags extends ModelDirFlags {
  json?: boolean;
}


interface Sample {
  at: number;
  bytes: number;
}

const SPEED_WINDOW_MS = 5_000;

/**
 * Turns progress callbacks into stderr output. Speed is measured over the last few seconds, so
 * the ETA follows the network as it is now rather than the average since the start.
 */
export function createPullReporter(stream: CommandIo['stderr'], options: { tty: boolean; now?: () => number; intervalMs?: number }): { onProgress: (progress: PullProgress) => void; finish: () => void } {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? (options.tty ? 100 : 5_000);
  const samples: Sample[] = [];
  let lastDraw = -Infinity;
  let lastPhase: PullProgress['phase'] | undefined;
  let drawn = false;

  function speed(at: number, bytes: number): number | undefined {
    samples.push({ at, bytes });
    while (samples.length > 2 && at - samples[0].at > SPEED_WINDOW_MS) samples.shift();
    const first = samples[0];
    const elapsed = (at - first.at) / 1000;
    return elapsed >= 0.5 ? (bytes - first.bytes) / elapsed : undefined;
  }

  function describe(progress: PullProgress, rate: number | undefined): string {
    const { receivedBytes: received, totalBytes: total } = progress;
    const amount = total === undefined ? formatSize(received) : `${formatSize(received)} / ${formatSize(total)}`;
    const percent = total ? `${Math.floor((received / total) * 100)}%` : '';
    const rateText = rate === undefined ? '' : `${formatSize(rate)}/s`;
    const eta = rate && total ? `ETA ${formatSeconds((total - received) / rate)}` : '';
    if (!options.tty) return `loco: ${progress.file ?? 'model'} ${[percent, `(${amount}`].filter(Boolean).join(' ')}${rateText ? `, ${rateText}` : ''}${eta ? `, ${eta}` : ''})`;
    const width = 24;
    const filled = total ? Math.min(width, Math.floor((received / total) * width)) : 0;
    const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    return [`${bar}${percent}`, amount, rateText, eta].filter(Boolean).join('  ');
  }

  function write(line: string): void {
    if (options.tty) {
      const reported = (stream as { columns?: number }).columns;
      const columns = reported !== undefined && reported > 0 ? reported : 100;
      stream.write(`\r${line.slice(0, Math.max(20, columns - 1))}\u001b[K`);
      drawn = true;
    } else {
      stream.write(`${line}\n`);
    }
  }

  return {
    onProgress(progress) {
      const at = now();
      const changed = progress.phase !== lastPhase;
      lastPhase = progress.phase;
      if (changed && progress.phase === 'checking') write(`loco: checking the ${formatSize(progress.resumedFromBytes)} already downloaded`);
      if (changed && progress.phase === 'downloading' && progress.resumedFromBytes > 0 && !options.tty) write(`loco: resuming ${progress.file ?? 'download'} at ${formatSize(progress.resumedFromBytes)}`);
      if (changed && progress.phase === 'verifying') {
        if (drawn) stream.write('\n');
        drawn = false;
        stream.write(`loco: verifying ${progress.file ?? 'download'}\n`);
        return;
      }
      if (progress.phase !== 'downloading') return;
      const rate = speed(at, progress.receivedBytes);
      if (!changed && at - lastDraw < interval && progress.receivedBytes !== progress.totalBytes) return;
      lastDraw = at;
      write(describe(progress, rate));
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}


/** `loco model pull [ref]`: prints the model's path on stdout. */
export async function runModelPull(ref: string | undefined, flags: PullFlags, io: CommandIo): Promise<number> {
  const parsed = parseModelRef(ref ?? DEFAULT_MODEL_REF);
  const retries = wholeNumberFlag('--retries', flags.retries, 0, 100) ?? 3;
  const modelsDir = resolveModelsDir({ modelsDir: flags.modelsDir, env: io.env });
  const tty = io.stderr.isTTY === true;
  const reporter = createPullReporter(io.stderr, { tty });
  io.stderr.write(`loco: pulling ${parsed.text} into ${modelsDir}\n`);
  try {
    const result = await pullModel(parsed, { modelsDir, env: io.env, signal: io.signal, sha256: flags.sha256, retries, onProgress: reporter.onProgress });
    reporter.finish();
    const checked = result.sha256 !== undefined && !result.alreadyInstalled ? ', sha256 verified' : '';
    io.stderr.write(result.alreadyInstalled ? `loco: already installed (${formatSize(result.size)})\n` : `loco: saved ${result.name} (${formatSize(result.size)}${checked})\n`);
    io.stdout.write(`${result.path}\n`);
    return 0;
  } catch (error) {
    reporter.finish();
    if (error instanceof LocoError && error.code === 'aborted') {
      io.stderr.write(`loco: ${error.message}\n`);
      return 130;
    }
    throw error;
  }
}

/** `loco model list [--json]`. */
export async function runModelList(flags: ListFlags, io: CommandIo): Promise<number> {
  const modelsDir = resolveModelsDir({ modelsDir: flags.modelsDir, env: io.env });
  const models = await listInstalledModels(modelsDir);
  const partials = await listPartialDownloads(modelsDir);
  if (flags.json) {
    const report = {
      modelsDir,
      models: models.map((model) => ({ name: model.name, path: model.path, size: model.size, modified: model.modified.toISOString(), source: model.source?.ref ?? null, sha256: model.source?.sha256 ?? null })),
      partial: partials.map((partial) => ({ name: partial.name, path: partial.path, size: partial.size, totalSize: partial.source?.size ?? null, source: partial.source?.ref ?? null })),
    };
    io.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  if (models.length === 0) {
    io.stderr.write(`loco: no models in ${modelsDir}: run \`loco model pull\` to get ${DEFAULT_MODEL_REF}\n`);
  } else {
    const rows = [['NAME', 'SIZE', 'MODIFIED (UTC)', 'SOURCE'], ...models.map((model) => [model.name, formatSize(model.size), model.modified.toISOString().slice(0, 16).replace('T', ' '), model.source?.ref ?? '-'])];
    const widths = rows[0].map((_, column) => rows.reduce((widest, row) => Math.max(widest, row[column].length), 0));
    for (const row of rows) io.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')}\n`);
  }
  for (const partial of partials) {
    const total = partial.source?.size ? ` of ${formatSize(partial.source.size)}` : '';
    const resume = partial.source?.ref ? `loco model pull ${partial.source.ref}` : 'loco model pull <ref>';
    io.stderr.write(`loco: unfinished download ${partial.name} (${formatSize(partial.size)}${total}): \`${resume}\` resumes it, \`loco model rm ${partial.name}\` deletes it\n`);
  }
  return 0;
}

/** `loco model rm <name|ref>`: removes the file, its source record and any partial download. */
export async function runModelRemove(target: string, flags: ModelDirFlags, io: CommandIo): Promise<number> {
  const modelsDir = resolveModelsDir({ modelsDir: flags.modelsDir, env: io.env });
  const removed = await removeModel(target, modelsDir);
  if (removed.length === 0) {
    const names = (await listInstalledModels(modelsDir)).map((model) => model.name);
    const installed = names.length > 0 ? `installed: ${names.join(', ')}` : 'no models are installed';
    io.stderr.write(`loco: no model ${JSON.stringify(target)} in ${modelsDir} (${installed}; \`loco model list\` shows them)\n`);
    return 1;
  }
  for (const file of removed) io.stderr.write(`loco: removed ${file}\n`);
  return 0;
}

/** `loco model path [ref|name]`: where the model is, or exit 1 with how to get it. */
export async function runModelPath(target: string | undefined, flags: ModelDirFlags, io: CommandIo): Promise<number> {
  const modelsDir = resolveModelsDir({ modelsDir: flags.modelsDir, env: io.env });
  const wanted = target ?? DEFAULT_MODEL_REF;
  let found: string | undefined;
  if (looksLikeModelRef(wanted)) {
    found = (await findInstalledModel(parseModelRef(wanted), modelsDir))?.path;
  } else {
    const names = [wanted, `${wanted}.gguf`];
    found = (await listInstalledModels(modelsDir)).find((model) => names.includes(model.name))?.path;
  }
  if (found !== undefined) {
    io.stdout.write(`${found}\n`);
    return 0;
  }
  const pullRef = looksLikeModelRef(wanted) ? wanted : '<ref>';
  const partial = (await listPartialDownloads(modelsDir)).length > 0 ? ' (an unfinished download is there: pulling resumes it)' : '';
  io.stderr.write(`loco: ${wanted} is not in ${modelsDir}${partial}: run \`loco model pull ${pullRef}\`, or download the .gguf yourself and pass --backend gguf:<path>\n`);
  return 1;
}

/** Adds `loco model …` to the program. */
export function registerModelCommand(program: Command, io: ModelCommandIo): Command {
  const model = program.command('model').description('Download and manage local GGUF models (cache: --models-dir, env LOCO_MODELS_DIR, default ~/.cache/loco/models)');
  const dirOption = ['--models-dir <dir>', 'where models are kept; env LOCO_MODELS_DIR (default ~/.cache/loco/models)'] as const;

  model
    .command('pull')
    .description(`Download a model (resumes an unfinished download; verifies size and sha256) and print its path`)
    .argument('[ref]', `a known name (${Object.keys(KNOWN_MODELS).join(', ')}), hf:<owner>/<repo>:<QUANT>, hf:<owner>/<repo>/<file.gguf> or an https:// URL (default ${DEFAULT_MODEL_REF}); hub: env LOCO_HF_ENDPOINT, token: env HF_TOKEN`)
    .option(...dirOption)
    .option('--sha256 <hex>', 'expected sha256 of the file (for URLs; hub files are checked against the hub)')
    .option('--retries <n>', 'automatic resumes after a lost connection (default 3)')
    .action(async (ref: string | undefined, flags: PullFlags) => io.setExitCode(await runModelPull(ref, flags, io)));

  model
    .command('list')
    .description('List installed models (name, size, date, source) and unfinished downloads')
    .option(...dirOption)
    .option('--json', 'print one JSON object {modelsDir, models, partial}')
    .action(async (flags: ListFlags) => io.setExitCode(await runModelList(flags, io)));

  model
    .command('rm')
    .description('Remove an installed model (or an unfinished download) by file name or reference')
    .argument('<name|ref>', 'file name as `loco model list` shows it, or the reference it was pulled with')
    .option(...dirOption)
    .action(async (target: string, flags: ModelDirFlags) => io.setExitCode(await runModelRemove(target, flags, io)));

  model
    .command('path')
    .description('Print the path of an installed model, or exit 1 saying how to get it')
    .argument('[ref]', `reference or file name (default ${DEFAULT_MODEL_REF})`)
    .option(...dirOption)
    .action(async (ref: string | undefined, flags: ModelDirFlags) => io.setExitCode(await runModelPath(ref, flags, io)));

  return model;
}


/** The default model's backend spec (models/default-backend.ts), showing a download on stderr. */
export function defaultBackendSpec(options: { modelsDir?: string; pull: boolean }, io: CommandIo): Promise<string> {
  return resolveDefaultBackendSpec({
    ...options,
    env: io.env,
    signal: io.signal,
    onPull(ref) {
      io.stderr.write(`loco: the default model is not installed; downloading ${ref} (skip with --no-pull)\n`);
      return createPullReporter(io.stderr, { tty: io.stderr.isTTY === true });
    },
  });
}
