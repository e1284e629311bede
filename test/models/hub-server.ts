// A local stand-in for the Hugging Face hub: the tree listing, `resolve/main/<file>` downloads
// with Range support, and switches for the ways real downloads go wrong (a redirect to another
// origin, a killed or stalled connection mid-file, a server that ignores Range, corrupt bytes).
// Binds 127.0.0.1 on a free port and records every request it sees.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFileSpec {
  data: Buffer;
  /** Listed with an LFS pointer (size + sha256); default true. */
  lfs?: boolean;
}

export interface HubMode {
  /** Answer resolve requests with a 302 to `redirectTo` + the same path under /cdn. */
  redirectTo?: string;
  /** Send the whole file with 200 even when asked for a range. */
  ignoreRange?: boolean;
  /** Send this many bytes of the body, then destroy the socket; `failTimes` times (default 1). */
  killAfterBytes?: number;
  /** Send this many bytes, then go silent; `failTimes` times (default 1). */
  stallAfterBytes?: number;
  failTimes?: number;
  /** Serve bytes that differ from the listed checksum. */
  corrupt?: boolean;
  /** Status for the listing (e.g. 401, 500). */
  listingStatus?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface HubServer {
  url: string;
  owner: string;
  repo: string;
  requests: RecordedRequest[];
  mode: HubMode;
  /** Requests for file bytes (resolve or cdn), in order. */
  downloads(): RecordedRequest[];
  close(): Promise<void>;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < size; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = state & 0xff;
  }
  return out;
}

function sendBody(response: ServerResponse, body: Buffer, mode: HubMode, failing: boolean): void {
  const cut = failing ? (mode.killAfterBytes ?? mode.stallAfterBytes) : undefined;
  if (cut === undefined) {
    response.end(body);
    return;
  }
  response.write(body.subarray(0, cut));
  // Let the client read the first part before the connection dies (or just goes quiet).
  if (mode.killAfterBytes !== undefined) setTimeout(() => response.socket?.destroy(), 50);
}

export async function startHubServer(files: Record<string, HubFileSpec>, options: { owner?: string; repo?: string; mode?: HubMode; extraFiles?: string[] } = {}): Promise<HubServer> {
  const owner = options.owner ?? 'LocoreMind';
  const repo = options.repo ?? 'LocoOperator-4B-GGUF';
  const requests: RecordedRequest[] = [];
  const mode: HubMode = options.mode ?? {};
  let failures = 0;
  const prefix = `/${owner}/${repo}/resolve/main/`;

  const server: Server = createServer((request, response) => {
    const requestPath = decodeURIComponent((request.url ?? '/').split('?')[0]);
    requests.push({ method: request.method ?? 'GET', path: requestPath, headers: request.headers });
    if (requestPath === `/api/models/${owner}/${repo}/tree/main`) {
      if (mode.listingStatus !== undefined) {
        response.writeHead(mode.listingStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'listing refused' }));
        return;
      }
      const listing = [
        { type: 'file', path: 'README.md', size: 120, oid: 'a'.repeat(40) },
        { type: 'directory', path: 'images', size: 0 },
        ...Object.entries(files).map(([name, spec]) =>
          spec.lfs === false
            ? { type: 'file', path: name, size: spec.data.length, oid: 'b'.repeat(40) }
            : { type: 'file', path: name, size: spec.data.length, oid: 'c'.repeat(40), lfs: { oid: sha256(spec.data), size: spec.data.length, pointerSize: 134 } },
        ),
        ...(options.extraFiles ?? []).map((name) => ({ type: 'file', path: name, size: 10, oid: 'd'.repeat(40), lfs: { oid: 'e'.repeat(64), size: 10, pointerSize: 130 } })),
      ];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing));
      return;
    }
    if (requestPath.startsWith('/api/models/')) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
      return;
    }
    let name: string | undefined;
    if (requestPath.startsWith(prefix)) {
      name = requestPath.slice(prefix.length);
      if (mode.redirectTo !== undefined) {
        response.writeHead(302, { location: `${mode.redirectTo}/cdn/${encodeURIComponent(name)}?signature=x` }).end();
        return;
      }
    } else if (requestPath.startsWith('/cdn/') || requestPath.startsWith('/files/')) {
      name = requestPath.slice(requestPath.indexOf('/', 1) + 1);
    }
    const spec = name === undefined ? undefined : files[name];
    if (spec === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    let data = spec.data;
    if (mode.corrupt) {
      data = Buffer.from(data);
      data[Math.floor(data.length / 2)] ^= 0xff;
    }
    const failing = (mode.killAfterBytes !== undefined || mode.stallAfterBytes !== undefined) && failures < (mode.failTimes ?? 1);
    if (failing) failures += 1;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range && !mode.ignoreRange) {
      const start = Number(range[1]);
      if (start >= data.length) {
        response.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      const body = data.subarray(start);
      response.writeHead(206, { 'content-length': String(body.length), 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'accept-ranges': 'bytes' });
      sendBody(response, body, mode, failing);
      return;
    }
    response.writeHead(200, { 'content-length': String(data.length), 'accept-ranges': mode.ignoreRange ? 'none' : 'bytes' });
    sendBody(response, data, mode, failing);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    owner,
    repo,
    requests,
    mode,
    downloads: () => requests.filter((request) => !request.path.startsWith('/api/')),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
