// Turns a model reference into something downloadable: for hub references, reads the
// repository's file listing (GET /api/models/<owner>/<repo>/tree/main), picks the file for the
// quantization, and takes its size and sha256 from the LFS metadata, so the download can be
// verified; for URLs, the caller's --sha256 is the only checksum there is.
import { request } from 'undici';
import { z } from 'zod';
import { LocoError } from '../errors.js';
import { networkError, type HttpClient } from './http.js';
import { isSplitPart, quantOfFile, type HubModelRef, type ModelRef } from './refs.js';

export interface HubFile {
  path: string;
  size: number;
  /** From the LFS pointer; files stored in plain git have no sha256 in the listing. */
  sha256?: string;
}

export interface DownloadSource {
  ref: ModelRef;
  url: string;
  /** The local file name in the models directory. */
  file: string;
  size?: number;
  sha256?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const MAX_LISTING_PAGES = 20;

const listingSchema = z.array(
  z.object({
    type: z.string(),
    path: z.string(),
    size: z.number().optional(),
    lfs: z.object({ oid: z.string(), size: z.number() }).optional(),
  }),
);

function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(endpoint: string, ref: HubModelRef, filePath: string): string {
  return `${endpoint}/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/resolve/main/${encodePath(filePath)}`;
}

function nextPage(link: string | string[] | undefined): string | undefined {
  const value = Array.isArray(link) ? link.join(',') : link;
  return value?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
}

/** The repository's top-level files (following the hub's Link pagination). */
export async function listHubFiles(client: HttpClient, ref: HubModelRef, options: { signal?: AbortSignal; idleTimeoutMs: number }): Promise<HubFile[]> {
  const repoName = `${ref.owner}/${ref.repo}`;
  let url: string | undefined = `${client.endpoint}/api/models/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/tree/main`;
  const files: HubFile[] = [];
  for (let page = 0; url !== undefined && page < MAX_LISTING_PAGES; page += 1) {
    let response;
    let text: string;
    try {
      response = await request(url, { dispatcher: client.dispatcher, method: 'GET', headers: client.headersFor(url, { accept: 'application/json' }), signal: options.signal });
      text = await response.body.text();
    } catch (error) {
      if (options.signal?.aborted) throw new LocoError('aborted', 'stopped while reading the model listing', { cause: error });
      throw networkError(url, error, options.idleTimeoutMs);
    }
    if (response.statusCode === 401 || response.statusCode === 403 || response.statusCode === 404) {
      const hint = response.statusCode === 404 ? 'check the name' : 'check the name; gated or private repositories need HF_TOKEN (and the terms accepted on the hub)';
      throw new LocoError('backend-http', `repository ${repoName} not found on ${client.endpoint} (HTTP ${response.statusCode}): ${hint}`, { status: response.statusCode });
    }
    if (response.statusCode !== 200) {
      const retryable = response.statusCode === 429 || response.statusCode >= 500;
      throw new LocoError('backend-http', `listing ${repoName} failed with HTTP ${response.statusCode}${retryable ? ': try again later' : ''}`, { status: response.statusCode, retryable });
    }
    let parsed;
    try {
      parsed = listingSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new LocoError('backend-protocol', `unexpected answer listing ${repoName} from ${client.endpoint} (is LOCO_HF_ENDPOINT a Hugging Face hub?)`, { cause: error });
    }
    for (const entry of parsed) {
      if (entry.type !== 'file') continue;
      const oid = entry.lfs?.oid.toLowerCase();
      files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size ?? 0, sha256: oid !== undefined && SHA256.test(oid) ? oid : undefined });
    }
    const link = nextPage(response.headers.link);
    url = link === undefined ? undefined : new URL(link, url).href;
  }
  return files;
}

/** The distinct quantizations among the listing's GGUF files, in listing order. */
export function availableQuants(files: HubFile[]): string[] {
  const quants = files.map((file) => quantOfFile(file.path)).filter((quant): quant is string => quant !== undefined);
  return [...new Set(quants)];
}

function availability(ref: HubModelRef, files: HubFile[]): string {
  const quants = availableQuants(files);
  if (quants.length > 0) return `available quants: ${quants.join(', ')} (e.g. hf:${ref.owner}/${ref.repo}:${quants[0]})`;
  const ggufs = files.filter((file) => file.path.toLowerCase().endsWith('.gguf')).map((file) => file.path);
  if (ggufs.length > 0) return `GGUF files: ${ggufs.join(', ')} (name one: hf:${ref.owner}/${ref.repo}/<file.gguf>)`;
  return 'the repository has no .gguf files';
}

/** Picks the file a hub reference names; errors list what the repository does have. */
export function chooseHubFile(ref: HubModelRef, files: HubFile[]): HubFile {
  const repoName = `${ref.owner}/${ref.repo}`;
  if (ref.file !== undefined) {
    const found = files.find((file) => file.path === ref.file);
    // Files in subfolders are not in the top-level listing; trust the explicit path then.
    if (found !== undefined || ref.file.includes('/')) return found ?? { path: ref.file, size: 0 };
    throw new LocoError('backend-http', `no file ${ref.file} in ${repoName}: ${availability(ref, files)}`, { status: 404 });
  }
  const matches = files.filter((file) => quantOfFile(file.path) === ref.quant);
  if (matches.length === 0) throw new LocoError('backend-http', `no ${ref.quant} file in ${repoName}: ${availability(ref, files)}`, { status: 404 });
  if (matches.every((file) => isSplitPart(file.path))) {
    throw new LocoError('usage', `${ref.quant} in ${repoName} is split into ${matches.length} files, which loco cannot join yet: pick another quant (${availableQuants(files).join(', ')})`);
  }
  const whole = matches.filter((file) => !isSplitPart(file.path));
  if (whole.length > 1) {
    throw new LocoError('usage', `${whole.length} files in ${repoName} match ${ref.quant}: ${whole.map((file) => file.path).join(', ')}; name one as hf:${repoName}/<file.gguf>`);
  }
  return whole[0];
}

/** Where to download `ref` from, with the size and checksum to verify when known. */
export async function resolveSource(ref: ModelRef, client: HttpClient, options: { sha256?: string; signal?: AbortSignal; idleTimeoutMs: number }): Promise<DownloadSource> {
  const given = options.sha256?.toLowerCase();
  if (given !== undefined && !SHA256.test(given)) throw new LocoError('usage', `--sha256 must be 64 hexadecimal digits, got ${JSON.stringify(options.sha256)}`);
  if (ref.kind === 'url') return { ref, url: ref.url, file: ref.file, sha256: given };
  const chosen = chooseHubFile(ref, await listHubFiles(client, ref, options));
  if (given !== undefined && chosen.sha256 !== undefined && given !== chosen.sha256) {
    throw new LocoError('usage', `--sha256 ${given} does not match the hub's checksum for ${chosen.path} (${chosen.sha256}): drop --sha256 or check the value`);
  }
  const file = chosen.path.split('/').pop() ?? '';
  // The name comes from the server: keep it a plain, visible file name inside the models directory.
  if (file === '' || file.startsWith('.') || /[\\\0]/.test(file)) throw new LocoError('backend-protocol', `the hub listed an unusable file name ${JSON.stringify(chosen.path)} in ${ref.owner}/${ref.repo}`);
  return {
    ref,
    url: resolveUrl(client.endpoint, ref, chosen.path),
    file,
    size: chosen.size > 0 ? chosen.size : undefined,
    sha256: given ?? chosen.sha256,
  };
}
