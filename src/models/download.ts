// `pullModel`: get a model into the cache, safely. Resolves the reference (hub listing or URL),
// takes a per-file lock so two pulls cannot interleave writes, downloads into `<file>.partial`
// (resuming, with optional automatic retries after a lost connection), checks size and sha256,
// then renames into place. The `.gguf` name appears only for a complete, verified file; a
// checksum mismatch deletes the partial; an abort keeps it for the next pull to resume.
import { backoffDelay } from '../backoff.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocoError, toLocoError } from '../errors.js';
import { resolveSource, type DownloadSource } from './hub.js';
import { createHttpClient, isAbortError } from './http.js';
import { parseModelRef, type ModelRef } from './refs.js';
import {
  LOCK_SUFFIX,
  PARTIAL_SOURCE_SUFFIX,
  PARTIAL_SUFFIX,
  findInstalledModel,
  readSourceRecord,
  sourcePath,
  writeSourceRecord,
  type ModelSourceRecord,
} from './store.js';
import { downloadToPartial, formatSize } from './transfer.js';

export interface PullProgress {
  /** resolving: reading the listing; checking: hashing resumed bytes; verifying: final checks. */
  phase: 'resolving' | 'checking' | 'downloading' | 'verifying';
  file?: string;
  receivedBytes: number;
  totalBytes?: number;
  resumedFromBytes: number;
}

export interface PullOptions {
  modelsDir: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Expected sha256 (hex); for URLs the only checksum there is, for the hub a cross-check. */
  sha256?: string;
  /** Automatic resumes after a lost connection or server error (default 0). */
  retries?: number;
  /** First pause before a retry, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** A connection silent this long is dropped (default 30000 ms). */
  idleTimeoutMs?: number;
}

export interface PullResult {
  path: string;
  name: string;
  size: number;
  sha256?: string;
  /** True when the model was already in the cache and nothing was downloaded. */
  alreadyInstalled: boolean;
  /** Bytes a resumed download started from (0 for a fresh one). */
  resumedFromBytes: number;
  source: ModelSourceRecord;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file holding our pid; one left by a dead process is taken over. */
async function acquireLock(lockPath: string, file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new LocoError('io', `another loco (pid ${pid}) is downloading ${file}: wait for it to finish, or stop it (its partial download is kept)`);
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new LocoError('io', `cannot lock ${lockPath}: remove it if no other loco is running`);
}

async function hashFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function record(source: DownloadSource, size: number | undefined, sha256: string | undefined): ModelSourceRecord {
  return { ref: source.ref.text, url: source.url, size, sha256, downloadedAt: new Date().toISOString() };
}

/** A file of the same name already installed: the same model, or a clash to resolve by hand. */
async function checkInstalled(finalPath: string, source: DownloadSource, signal?: AbortSignal): Promise<PullResult> {
  const size = (await stat(finalPath)).size;
  const recorded = await readSourceRecord(sourcePath(finalPath));
  let sha256 = recorded?.sha256;
  if (source.sha256 !== undefined && sha256 === undefined) sha256 = await hashFile(finalPath, signal);
  const clash = (source.size !== undefined && size !== source.size) || (source.sha256 !== undefined && sha256 !== source.sha256);
  if (clash) {
    throw new LocoError('io', `${finalPath} exists but is not ${source.ref.text} (different size or checksum): run \`loco model rm ${path.basename(finalPath)}\` first, or use another --models-dir`);
  }
  const kept = recorded ?? record(source, size, sha256);
  if (recorded === undefined) await writeSourceRecord(sourcePath(finalPath), kept);
  return { path: finalPath, name: path.basename(finalPath), size, sha256, alreadyInstalled: true, resumedFromBytes: 0, source: kept };
}

/** The partial belongs to another source (the reference or the remote file changed): drop it. */
async function dropStalePartial(partial: string, partialSource: string, source: DownloadSource): Promise<void> {
  const previous = await readSourceRecord(partialSource);
  const stale = previous !== undefined && (previous.url !== source.url || previous.sha256 !== source.sha256 || previous.size !== source.size);
  if (stale || (previous === undefined && (await exists(partial)))) await rm(partial, { force: true });
  if (stale || previous === undefined) await writeSourceRecord(partialSource, record(source, source.size, source.sha256));
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename durable; some filesystems refuse to open directories, which is harmless.
  const handle = await open(directory, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/** Downloads (or finds) a model in `modelsDir`; returns where it is. Throws LocoError. */
export async function pullModel(ref: string | ModelRef, options: PullOptions): Promise<PullResult> {
  const parsed = typeof ref === 'string' ? parseModelRef(ref) : ref;
  const env = options.env ?? process.env;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const report = options.onProgress ?? (() => undefined);
  try {
    await mkdir(options.modelsDir, { recursive: true });
  } catch (error) {
    throw new LocoError('io', `cannot create the models directory ${options.modelsDir} (${(error as Error).message}): pass --models-dir or set LOCO_MODELS_DIR`, { cause: error });
  }
  // Offline first: a model already pulled under this reference needs no network.
  const installed = await findInstalledModel(parsed, options.modelsDir);
  const wanted = options.sha256?.toLowerCase();
  if (installed !== undefined && (wanted === undefined || installed.source?.sha256 === wanted)) {
    return { path: installed.path, name: installed.name, size: installed.size, sha256: installed.source?.sha256, alreadyInstalled: true, resumedFromBytes: 0, source: installed.source ?? { ref: parsed.text, url: '' } };
  }

  const client = createHttpClient(env, { idleTimeoutMs });
  let partial: string | undefined;
  try {
    report({ phase: 'resolving', receivedBytes: 0, resumedFromBytes: 0 });
    const source = await resolveSource(parsed, client, { sha256: wanted, signal: options.signal, idleTimeoutMs });
    const finalPath = path.join(options.modelsDir, source.file);
    if (await exists(finalPath)) return await checkInstalled(finalPath, source, options.signal);

    partial = `${finalPath}${PARTIAL_SUFFIX}`;
    const partialSource = `${finalPath}${PARTIAL_SOURCE_SUFFIX}`;
    const release = await acquireLock(`${finalPath}${LOCK_SUFFIX}`, source.file);
    try {
      await dropStalePartial(partial, partialSource, source);
      const retries = options.retries ?? 0;
      for (let attempt = 0; ; attempt += 1) {
        try {
          const done = await downloadToPartial(source, partial, {
            client,
            signal: options.signal,
            idleTimeoutMs,
            onProgress: (progress) => report({ ...progress, file: source.file }),
          });
          report({ phase: 'verifying', file: source.file, receivedBytes: done.size, totalBytes: source.size ?? done.size, resumedFromBytes: done.resumedFromBytes });
          if (source.sha256 !== undefined && done.sha256 !== source.sha256) {
            await rm(partial, { force: true });
            await rm(partialSource, { force: true });
            const fix = parsed.kind === 'url' ? 'check the --sha256 value, or' : 'the file may have changed on the hub;';
            throw new LocoError('io', `checksum mismatch for ${source.file}: expected sha256 ${source.sha256}, got ${done.sha256}; the download was deleted: ${fix} run the same command to download it again`);
          }
          // The sidecar goes first, so a complete model never lacks its source record.
          const kept = record(source, done.size, done.sha256);
          await writeSourceRecord(sourcePath(finalPath), kept);
          await rename(partial, finalPath);
          await rm(partialSource, { force: true });
          await syncDirectory(options.modelsDir);
          return { path: finalPath, name: source.file, size: done.size, sha256: done.sha256, alreadyInstalled: false, resumedFromBytes: done.resumedFromBytes, source: kept };
        } catch (error) {
          const failure = error instanceof LocoError ? error : undefined;
          if (failure === undefined || !failure.retryable || attempt >= retries || options.signal?.aborted) throw error;
          // Downloads back off without jitter: one client, nothing to spread out.
          await sleep(backoffDelay(attempt + 1, { baseDelayMs: options.retryDelayMs ?? 1000, maxDelayMs: Infinity }, () => 1), undefined, { signal: options.signal });
        }
      }
    } finally {
      await release();
    }
  } catch (error) {
    if (options.signal?.aborted || isAbortError(error)) {
      const kept = partial !== undefined && (await exists(partial)) ? ` (${formatSize((await stat(partial)).size)} kept in ${partial})` : '';
      const again = `loco model pull ${parsed.text}${wanted === undefined ? '' : ` --sha256 ${wanted}`}`;
      throw new LocoError('aborted', `download stopped${kept}: run \`${again}\` to resume`, { cause: error });
    }
    throw toLocoError(error, 'io');
  } finally {
    await client.close();
  }
}
