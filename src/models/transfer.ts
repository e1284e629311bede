// One HTTP transfer into `<file>.partial`, resuming from the bytes already there: asks for
// `Range: bytes=N-`, appends on 206, starts over on a 200 (a server that ignores Range sends the
// whole file), treats 416 with the full size as already complete, and hashes as it writes so
// verification needs no second pass. It never touches the final `.gguf` name.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { LocoError } from '../errors.js';
import type { DownloadSource } from './hub.js';
import { failureReason, formatWait, isAbortError, networkError, safeOrigin, type HttpClient } from './http.js';

export interface TransferProgress {
  phase: 'checking' | 'downloading';
  /** Bytes in the partial file so far (resumed bytes included). */
  receivedBytes: number;
  totalBytes?: number;
  /** Where this transfer started; 0 for a fresh download. */
  resumedFromBytes: number;
}

export interface TransferOptions {
  client: HttpClient;
  signal?: AbortSignal;
  idleTimeoutMs: number;
  onProgress?: (progress: TransferProgress) => void;
}

export interface TransferResult {
  size: number;
  sha256: string;
  resumedFromBytes: number;
}

type Response = Dispatcher.ResponseData;

function header(response: Response, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// "bytes 100-199/200" gives {start: 100, total: 200}; "bytes */200" (from a 416) gives {total: 200}.
function parseContentRange(value: string | undefined): { start?: number; total?: number } {
  const match = value?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!match) return {};
  return { start: match[1] === undefined ? undefined : Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((info) => info.size, () => 0);
}

/** Hashes the bytes already downloaded, so the running hash covers the whole file. */
async function hashExisting(partial: string, bytes: number, options: TransferOptions, total: number | undefined): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash;
  let done = 0;
  for await (const chunk of createReadStream(partial, { end: bytes - 1, signal: options.signal })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    options.onProgress?.({ phase: 'checking', receivedBytes: done, totalBytes: total, resumedFromBytes: bytes });
  }
  return hash;
}

function httpFailure(source: DownloadSource, response: Response): LocoError {
  const status = response.statusCode;
  const where = `downloading ${source.file} from ${safeOrigin(source.url)}`;
  if (status === 401 || status === 403) {
    return new LocoError('backend-http', `access denied (HTTP ${status}) ${where}: gated or private repositories need HF_TOKEN (with the terms accepted on the hub)`, { status });
  }
  if (status === 404) return new LocoError('backend-http', `not found (HTTP 404) ${where}: check the reference (${source.ref.text})`, { status });
  const retryable = status === 408 || status === 429 || status >= 500;
  const advice = retryable ? ': try again later; the partial download is kept and the same command resumes it' : '';
  return new LocoError('backend-http', `HTTP ${status} ${where}${advice}`, { status, retryable });
}

async function send(source: DownloadSource, offset: number, options: TransferOptions): Promise<Response> {
  const extra: Record<string, string> = { accept: '*/*', 'accept-encoding': 'identity' };
  if (offset > 0) extra.range = `bytes=${offset}-`;
  try {
    return await request(source.url, { dispatcher: options.client.dispatcher, method: 'GET', headers: options.client.headersFor(source.url, extra), signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted || isAbortError(error)) throw error;
    throw networkError(source.url, error, options.idleTimeoutMs, source.ref.kind === 'hub');
  }
}

/**
 * Downloads `source` into `partial`, resuming what is there. Throws retryable LocoErrors for a
 * lost connection or a short body (the partial keeps what arrived), AbortError on abort.
 */
export async function downloadToPartial(source: DownloadSource, partial: string, options: TransferOptions): Promise<TransferResult> {
  let offset = await sizeOf(partial);
  if (source.size !== undefined && offset > source.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  const resumedFromBytes = offset;
  let hash = await hashExisting(partial, offset, options, source.size);
  if (source.size !== undefined && offset === source.size) return { size: offset, sha256: hash.digest('hex'), resumedFromBytes };

  let response = await send(source, offset, options);
  let total = source.size;
  if (response.statusCode === 416 && offset > 0) {
    await response.body.dump();
    const { total: remoteTotal } = parseContentRange(header(response, 'content-range'));
    if (remoteTotal === offset && (total === undefined || total === offset)) return { size: offset, sha256: hash.digest('hex'), resumedFromBytes };
    // The partial does not fit the remote file (it changed, or the partial is damaged): start over.
    offset = 0;
    hash = createHash('sha256');
    response = await send(source, 0, options);
  }
  if (response.statusCode === 206) {
    const range = parseContentRange(header(response, 'content-range'));
    if (range.start !== offset) {
      await response.body.dump();
      throw new LocoError('backend-protocol', `the server answered a resume of ${source.file} with the wrong range (${header(response, 'content-range') ?? 'none'}); delete ${partial} and try again`);
    }
    if (range.total !== undefined && total !== undefined && total !== range.total) {
      await response.body.dump();
      throw new LocoError('backend-protocol', `${source.file} is ${formatSize(range.total)} on the server but ${formatSize(total)} was expected: the file changed; run \`loco model rm ${source.file}\` and pull again`);
    }
    total ??= range.total;
  } else if (response.statusCode === 200) {
    // Full body: either a fresh start or a server that ignores Range; both rewrite from zero.
    offset = 0;
    hash = createHash('sha256');
    const length = header(response, 'content-length');
    total ??= length === undefined ? undefined : Number(length);
  } else {
    await response.body.dump().catch(() => undefined);
    throw httpFailure(source, response);
  }

  let received = offset;
  const startedAt = offset;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      options.onProgress?.({ phase: 'downloading', receivedBytes: received, totalBytes: total, resumedFromBytes: startedAt });
      callback(null, chunk);
    },
  });
  try {
    await pipeline(response.body, meter, createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }), { signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted || isAbortError(error)) throw error;
    const where = total === undefined ? formatSize(received) : `${formatSize(received)} of ${formatSize(total)}`;
    const code = networkError(source.url, error, options.idleTimeoutMs).code;
    const reason = code === 'backend-timeout' ? `no data for ${formatWait(options.idleTimeoutMs)}` : `connection lost (${failureReason(error)})`;
    throw new LocoError(code, `download of ${source.file} interrupted at ${where}: ${reason}; the partial download is kept and the same command resumes it`, { retryable: true, cause: error });
  }
  // Flush to disk before anyone renames this file into place.
  const handle = await open(partial, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (total !== undefined && received !== total) {
    throw new LocoError('backend-unreachable', `download of ${source.file} ended early at ${formatSize(received)} of ${formatSize(total)}; the partial download is kept and the same command resumes it`, { retryable: true });
  }
  return { size: received, sha256: hash.digest('hex'), resumedFromBytes: startedAt };
}
