// pullModel against a local hub stand-in: progress, resume after a killed or stalled
// connection, a server that ignores Range, checksum failures, missing files and the rule that
// no `.gguf` name exists until the file is complete and verified.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocoError } from '../../src/errors.js';
import { pullModel, type PullOptions, type PullProgress } from '../../src/models/download.js';
import { DEFAULT_MODEL_FILE, DEFAULT_MODEL_REF } from '../../src/models/refs.js';
import { readSourceRecord, writeSourceRecord } from '../../src/models/store.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { sha256, startHubServer, testBytes, type HubServer } from './hub-server.js';

const MODEL = testBytes(512 * 1024);
const OTHER = testBytes(64 * 1024, 7);
const FILES = { [DEFAULT_MODEL_FILE]: { data: MODEL }, 'LocoOperator-4B.Q8_0.gguf': { data: OTHER } };

let tree: TempTree;
let hub: HubServer;
const servers: HubServer[] = [];

beforeEach(async () => {
  tree = await makeTempTree();
  hub = await startHubServer(FILES);
  servers.push(hub);
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await tree.cleanup();
});

function options(extra: Partial<PullOptions> = {}): PullOptions {
  return { modelsDir: tree.root, env: { LOCO_HF_ENDPOINT: hub.url }, retryDelayMs: 10, ...extra };
}

async function listing(): Promise<string[]> {
  return (await readdir(tree.root)).sort();
}

function rejectsWith(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LocoError, `expected a LocoError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

test('pull by quantization: progress, verified file, source record, and nothing left over', async () => {
  const events: PullProgress[] = [];
  const result = await pullModel(DEFAULT_MODEL_REF, options({ onProgress: (progress) => events.push(progress) }));

  assert.equal(result.path, path.join(tree.root, DEFAULT_MODEL_FILE));
  assert.equal(result.alreadyInstalled, false);
  assert.equal(result.sha256, sha256(MODEL));
  assert.ok((await readFile(result.path)).equals(MODEL));
  assert.deepEqual(await listing(), [DEFAULT_MODEL_FILE, `${DEFAULT_MODEL_FILE}.source.json`]);
  const record = await readSourceRecord(`${result.path}.source.json`);
  assert.equal(record?.ref, DEFAULT_MODEL_REF);
  assert.equal(record?.sha256, sha256(MODEL));

  assert.equal(events[0].phase, 'resolving');
  const downloading = events.filter((event) => event.phase === 'downloading');
  assert.ok(downloading.length > 1, 'several progress reports for a 512 KB body');
  for (let index = 1; index < downloading.length; index += 1) assert.ok(downloading[index].receivedBytes >= downloading[index - 1].receivedBytes);
  assert.equal(downloading.at(-1)?.receivedBytes, MODEL.length);
  assert.ok(downloading.every((event) => event.totalBytes === MODEL.length && event.file === DEFAULT_MODEL_FILE));
  assert.equal(events.at(-1)?.phase, 'verifying');

  // A second pull finds it offline.
  const before = hub.requests.length;
  const again = await pullModel(DEFAULT_MODEL_REF, options());
  assert.equal(again.alreadyInstalled, true);
  assert.equal(again.path, result.path);
  assert.equal(hub.requests.length, before, 'no network for an installed model');
});

test('no .gguf file exists while the download is in progress', async () => {
  const finalPath = path.join(tree.root, DEFAULT_MODEL_FILE);
  const seen: Array<[boolean, boolean]> = [];
  const onProgress = (progress: PullProgress): void => {
    if (progress.phase !== 'downloading' || seen.length > 0 || progress.receivedBytes < MODEL.length / 4) return;
    // Checked synchronously inside the callback, mid-download.
    seen.push([existsSync(finalPath), existsSync(`${finalPath}.partial`)]);
  };
  await pullModel(DEFAULT_MODEL_REF, options({ onProgress }));
  assert.deepEqual(seen, [[false, true]]);
});

test('resume after a killed connection: the second pull asks for the rest and the sha256 is right', async () => {
  hub.mode.killAfterBytes = 200 * 1024;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options()), rejectsWith('backend-unreachable', /download of LocoOperator-4B\.Q4_K_M\.gguf interrupted at .* of 512 KB: connection lost .*the same command resumes it/));
  assert.deepEqual(await listing(), [`${DEFAULT_MODEL_FILE}.partial`, `${DEFAULT_MODEL_FILE}.partial.json`]);
  const kept = (await stat(path.join(tree.root, `${DEFAULT_MODEL_FILE}.partial`))).size;
  assert.ok(kept > 0 && kept < MODEL.length, `partial holds part of the file (${kept} bytes)`);

  const result = await pullModel(DEFAULT_MODEL_REF, options());
  const last = hub.downloads().at(-1);
  assert.equal(last?.headers.range, `bytes=${kept}-`);
  assert.equal(result.resumedFromBytes, kept);
  assert.equal(result.sha256, sha256(MODEL));
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
  assert.deepEqual(await listing(), [DEFAULT_MODEL_FILE, `${DEFAULT_MODEL_FILE}.source.json`]);
});

test('automatic retries resume a killed connection within one pull', async () => {
  hub.mode.killAfterBytes = 100 * 1024;
  hub.mode.failTimes = 2;
  const result = await pullModel(DEFAULT_MODEL_REF, options({ retries: 3 }));
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
  const ranges = hub.downloads().map((request) => request.headers.range);
  assert.equal(ranges.length, 3);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
  assert.match(ranges[2] ?? '', /^bytes=\d+-$/);
});

test('a stalled connection times out and is resumed', async () => {
  hub.mode.stallAfterBytes = 150 * 1024;
  const result = await pullModel(DEFAULT_MODEL_REF, options({ retries: 1, idleTimeoutMs: 300 }));
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
  assert.match(hub.downloads()[1].headers.range ?? '', /^bytes=\d+-$/);
});

test('a stalled connection without retries fails with a message that says it resumes', async () => {
  hub.mode.stallAfterBytes = 150 * 1024;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options({ idleTimeoutMs: 300 })), rejectsWith('backend-timeout', /interrupted at .* of 512 KB: no data for 300 ms; the partial download is kept/));
});

test('a server that ignores Range sends everything again, and the file is still right', async () => {
  hub.mode.killAfterBytes = 200 * 1024;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options()));
  hub.mode.killAfterBytes = undefined;
  hub.mode.ignoreRange = true;
  const result = await pullModel(DEFAULT_MODEL_REF, options());
  assert.match(hub.downloads().at(-1)?.headers.range ?? '', /^bytes=\d+-$/, 'asked for a range');
  assert.equal(result.resumedFromBytes, 0, 'restarted from zero on a 200');
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
  assert.equal((await stat(result.path)).size, MODEL.length);
});

test('a complete partial is finished without downloading again (416 or known size)', async () => {
  const url = `${hub.url}/files/LocoOperator-4B.Q8_0.gguf`;
  await writeFile(path.join(tree.root, 'LocoOperator-4B.Q8_0.gguf.partial'), OTHER);
  await writeSourceRecord(path.join(tree.root, 'LocoOperator-4B.Q8_0.gguf.partial.json'), { ref: url, url, sha256: sha256(OTHER) });
  const result = await pullModel(url, options({ sha256: sha256(OTHER) }));
  assert.equal(result.sha256, sha256(OTHER));
  const last = hub.downloads().at(-1);
  assert.equal(last?.headers.range, `bytes=${OTHER.length}-`, 'asked past the end and got 416');
  assert.deepEqual(await listing(), ['LocoOperator-4B.Q8_0.gguf', 'LocoOperator-4B.Q8_0.gguf.source.json']);
});

test('a checksum mismatch deletes the download and leaves nothing in the cache', async () => {
  hub.mode.corrupt = true;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options()), rejectsWith('io', new RegExp(`checksum mismatch for ${DEFAULT_MODEL_FILE.replace(/\./g, '\\.')}: expected sha256 ${sha256(MODEL)}, got [0-9a-f]{64}; the download was deleted`)));
  assert.deepEqual(await listing(), []);
});

test('--sha256 for a URL: a wrong value is rejected, nothing kept; a right one is recorded', async () => {
  const url = `${hub.url}/files/LocoOperator-4B.Q8_0.gguf`;
  await assert.rejects(pullModel(url, options({ sha256: '0'.repeat(64) })), rejectsWith('io', /checksum mismatch .*check the --sha256 value/));
  assert.deepEqual(await listing(), []);
  await assert.rejects(pullModel(url, options({ sha256: 'xyz' })), rejectsWith('usage', /--sha256 must be 64 hexadecimal digits/));
  const result = await pullModel(url, options({ sha256: sha256(OTHER).toUpperCase() }));
  assert.equal((await readSourceRecord(`${result.path}.source.json`))?.sha256, sha256(OTHER));
  assert.equal((await readSourceRecord(`${result.path}.source.json`))?.ref, url);
});

test('an unknown quantization lists the ones the repository has', async () => {
  await assert.rejects(pullModel('hf:LocoreMind/LocoOperator-4B-GGUF:Q5_K_M', options()), rejectsWith('backend-http', /no Q5_K_M file in LocoreMind\/LocoOperator-4B-GGUF: available quants: Q4_K_M, Q8_0/));
  await assert.rejects(pullModel('hf:LocoreMind/LocoOperator-4B-GGUF/missing.gguf', options()), rejectsWith('backend-http', /no file missing\.gguf in .*available quants: Q4_K_M, Q8_0/));
  assert.deepEqual(await listing(), []);
});

test('an unknown repository, a refused listing and a missing download say so', async () => {
  await assert.rejects(pullModel('hf:nobody/nothing:Q4_K_M', options()), rejectsWith('backend-http', /repository nobody\/nothing not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\).*HF_TOKEN/));
  await assert.rejects(pullModel(`${hub.url}/files/gone.gguf`, options()), rejectsWith('backend-http', /not found \(HTTP 404\) downloading gone\.gguf/));
  hub.mode.listingStatus = 503;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options()), (error: unknown) => error instanceof LocoError && error.retryable && /HTTP 503: try again later/.test(error.message));
});

test('an unreachable hub names the fixes', async () => {
  await hub.close();
  await assert.rejects(
    pullModel(DEFAULT_MODEL_REF, options()),
    rejectsWith('backend-unreachable', /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the network or set LOCO_HF_ENDPOINT, or download the file yourself and pass --backend gguf:<path>/),
  );
});

test('a refused connection or an unknown host is not retried: the pull fails at once', async () => {
  const closed = await startHubServer(FILES);
  const closedUrl = closed.url;
  await closed.close();
  for (const target of [closedUrl, 'http://nonexistent.invalid']) {
    hub.mode.redirectTo = target;
    await assert.rejects(
      pullModel(DEFAULT_MODEL_REF, options({ retries: 3, retryDelayMs: 1000 })),
      rejectsWith('backend-unreachable', /cannot reach http:\/\/(127\.0\.0\.1:\d+|nonexistent\.invalid) \((ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\): check the network/),
    );
  }
  // Each attempt asks the hub for the file again (and is redirected): one per pull, no retries.
  assert.equal(hub.downloads().length, 2);
});

test('HF_TOKEN goes to the hub only: not across a redirect to another origin, never in messages', async () => {
  const cdn = await startHubServer(FILES);
  servers.push(cdn);
  hub.mode.redirectTo = cdn.url;
  const result = await pullModel(DEFAULT_MODEL_REF, options({ env: { LOCO_HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' } }));
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
  assert.equal(hub.requests[0].headers.authorization, 'Bearer hf_secret');
  assert.equal(cdn.requests.length, 1);
  assert.equal(cdn.requests[0].headers.authorization, undefined);

  await assert.rejects(pullModel('hf:nobody/nothing:Q4_K_M', options({ env: { LOCO_HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' } })), (error: unknown) => error instanceof Error && !error.message.includes('hf_secret'));
});

test('abort keeps the partial and says how to resume; a second pull of the same file waits its turn', async () => {
  hub.mode.stallAfterBytes = 100 * 1024;
  const controller = new AbortController();
  let started!: () => void;
  const midway = new Promise<void>((resolve) => (started = resolve));
  const first = pullModel(DEFAULT_MODEL_REF, options({ signal: controller.signal, onProgress: (progress) => progress.receivedBytes > 0 && started() }));
  await midway;
  await assert.rejects(pullModel(DEFAULT_MODEL_REF, options()), rejectsWith('io', /another loco \(pid \d+\) is downloading LocoOperator-4B\.Q4_K_M\.gguf/));
  controller.abort();
  await assert.rejects(first, rejectsWith('aborted', /download stopped \(.* kept in .*\.partial\): run `loco model pull hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M` to resume/));
  assert.deepEqual(await listing(), [`${DEFAULT_MODEL_FILE}.partial`, `${DEFAULT_MODEL_FILE}.partial.json`], 'partial kept, lock released');

  hub.mode.stallAfterBytes = undefined;
  const result = await pullModel(DEFAULT_MODEL_REF, options());
  assert.ok(result.resumedFromBytes > 0);
  assert.equal(sha256(await readFile(result.path)), sha256(MODEL));
});

test('a different file under the same name is not overwritten', async () => {
  await writeFile(path.join(tree.root, 'LocoOperator-4B.Q8_0.gguf'), 'something else');
  await writeFile(path.join(tree.root, 'LocoOperator-4B.Q8_0.gguf.source.json'), JSON.stringify({ ref: 'hf:other/repo:Q8_0', url: 'x' }));
  await assert.rejects(pullModel('hf:LocoreMind/LocoOperator-4B-GGUF:Q8_0', options()), rejectsWith('io', /exists but is not .*loco model rm LocoOperator-4B\.Q8_0\.gguf/));
  assert.equal(await readFile(path.join(tree.root, 'LocoOperator-4B.Q8_0.gguf'), 'utf8'), 'something else');
});
