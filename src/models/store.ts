// The local model cache: one directory of `.gguf` files, each with an optional sidecar
// `<file>.source.json` recording where it came from, so `loco model list` can show sources and
// a reference like hf:owner/repo:Q4_K_M finds its file offline. Unfinished downloads live
// beside them as `<file>.partial` (+ `<file>.partial.json`); a `.gguf` name only ever appears,
// by rename, once its download is complete and verified.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-write.js';
import { DEFAULT_MODEL_FILE, guessFileName, looksLikeModelRef, parseModelRef, type ModelRef } from './refs.js';

export const SOURCE_SUFFIX = '.source.json';
export const PARTIAL_SUFFIX = '.partial';
export const PARTIAL_SOURCE_SUFFIX = '.partial.json';
export const LOCK_SUFFIX = '.partial.lock';

const sourceSchema = z.object({
  ref: z.string(),
  url: z.string(),
  size: z.number().optional(),
  sha256: z.string().optional(),
  downloadedAt: z.string().optional(),
});

/** What the sidecar records about a model's origin. */
export type ModelSourceRecord = z.infer<typeof sourceSchema>;

export interface InstalledModel {
  /** The file name, e.g. LocoOperator-4B.Q4_K_M.gguf. */
  name: string;
  path: string;
  size: number;
  modified: Date;
  source?: ModelSourceRecord;
}

export interface PartialDownload {
  /** The model file name the download will produce. */
  name: string;
  path: string;
  /** Bytes downloaded so far. */
  size: number;
  source?: ModelSourceRecord;
}

export interface StoreOptions {
  /** The --models-dir flag; wins over the environment. */
  modelsDir?: string;
  env?: NodeJS.ProcessEnv;
}

function expandHome(directory: string): string {
  return directory === '~' || directory.startsWith('~/') ? path.join(os.homedir(), directory.slice(1)) : directory;
}

/** --models-dir, else LOCO_MODELS_DIR, else $XDG_CACHE_HOME/loco/models, else ~/.cache/loco/models. */
export function resolveModelsDir(options: StoreOptions = {}): string {
  const env = options.env ?? process.env;
  const chosen = options.modelsDir?.trim() || env.LOCO_MODELS_DIR?.trim();
  if (chosen) return path.resolve(expandHome(chosen));
  const cacheHome = env.XDG_CACHE_HOME?.trim();
  return path.join(cacheHome ? path.resolve(cacheHome) : path.join(os.homedir(), '.cache'), 'loco', 'models');
}

/** Where the default model (DEFAULT_MODEL_REF) lives once pulled under its expected name. */
export function defaultModelPath(options: StoreOptions = {}): string {
  return path.join(resolveModelsDir(options), DEFAULT_MODEL_FILE);
}

export function sourcePath(modelPath: string): string {
  return `${modelPath}${SOURCE_SUFFIX}`;
}

/** Reads a sidecar; a missing or unreadable one is no source (it is optional information). */
export async function readSourceRecord(file: string): Promise<ModelSourceRecord | undefined> {
  try {
    const parsed = sourceSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeSourceRecord(file: string, record: ModelSourceRecord): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
}

async function entries(modelsDir: string): Promise<string[]> {
  try {
    return await readdir(modelsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function isModelName(name: string): boolean {
  return name.toLowerCase().endsWith('.gguf') && !name.startsWith('.');
}

/** Installed (complete) models, sorted by name. */
export async function listInstalledModels(modelsDir: string): Promise<InstalledModel[]> {
  const models: InstalledModel[] = [];
  for (const name of (await entries(modelsDir)).filter(isModelName).sort()) {
    const file = path.join(modelsDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    models.push({ name, path: file, size: info.size, modified: info.mtime, source: await readSourceRecord(sourcePath(file)) });
  }
  return models;
}

/** Unfinished downloads that `loco model pull` would resume. */
export async function listPartialDownloads(modelsDir: string): Promise<PartialDownload[]> {
  const partials: PartialDownload[] = [];
  for (const name of (await entries(modelsDir)).filter((entry) => entry.endsWith(PARTIAL_SUFFIX)).sort()) {
    const file = path.join(modelsDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    const modelName = name.slice(0, -PARTIAL_SUFFIX.length);
    partials.push({ name: modelName, path: file, size: info.size, source: await readSourceRecord(path.join(modelsDir, `${modelName}${PARTIAL_SOURCE_SUFFIX}`)) });
  }
  return partials;
}

function sameRef(recorded: string | undefined, ref: ModelRef): boolean {
  if (recorded === undefined) return false;
  try {
    const parsed = parseModelRef(recorded);
    // Hub repository names are case-insensitive; URLs are compared as written.
    return parsed.kind === 'hub' && ref.kind === 'hub' ? parsed.text.toLowerCase() === ref.text.toLowerCase() : parsed.text === ref.text;
  } catch {
    return false;
  }
}

/**
 * The installed file for a reference, without network: a model whose sidecar records this
 * reference, else one named as the reference would name it (unless its sidecar says it came
 * from somewhere else).
 */
export async function findInstalledModel(ref: string | ModelRef, modelsDir: string): Promise<InstalledModel | undefined> {
  const parsed = typeof ref === 'string' ? parseModelRef(ref) : ref;
  const models = await listInstalledModels(modelsDir);
  const recorded = models.find((model) => sameRef(model.source?.ref, parsed));
  if (recorded !== undefined) return recorded;
  const expected = guessFileName(parsed).toLowerCase();
  return models.find((model) => model.name.toLowerCase() === expected && model.source === undefined);
}

/**
 * Removes a model by file name (with or without `.gguf`) or by reference, with its sidecar and
 * any unfinished download of it. Returns the paths removed; empty when nothing matched.
 */
export async function removeModel(target: string, modelsDir: string): Promise<string[]> {
  let name: string | undefined;
  if (looksLikeModelRef(target)) {
    const parsed = parseModelRef(target);
    name = (await findInstalledModel(parsed, modelsDir))?.name;
    if (name === undefined) {
      const partial = (await listPartialDownloads(modelsDir)).find((candidate) => sameRef(candidate.source?.ref, parsed));
      name = partial?.name;
    }
  } else {
    if (target.includes('/') || target.includes('\\') || target.startsWith('.')) return [];
    const present = new Set(await entries(modelsDir));
    const withExtension = isModelName(target) ? target : `${target}.gguf`;
    name = [target, withExtension].find((candidate) => present.has(candidate) || present.has(`${candidate}${PARTIAL_SUFFIX}`));
    if (name !== undefined && !isModelName(name)) name = undefined;
  }
  if (name === undefined) return [];
  const removed: string[] = [];
  for (const suffix of ['', SOURCE_SUFFIX, PARTIAL_SUFFIX, PARTIAL_SOURCE_SUFFIX]) {
    const file = path.join(modelsDir, `${name}${suffix}`);
    const exists = await stat(file).then(() => true, () => false);
    if (!exists) continue;
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
