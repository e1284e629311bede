// `loco model …` through the exported command functions and a real commander program, with
// captured stdout/stderr: what goes to which stream, exit codes, and the progress display.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { Command } from 'commander';
import { createPullReporter, registerModelCommand, runModelList, runModelPath, runModelPull, runModelRemove, type ModelCommandIo } from '../../src/cli/model.js';
import { formatSeconds as formatDuration } from '../../src/format.js';
import { LocoError } from '../../src/errors.js';
import { DEFAULT_MODEL_FILE, DEFAULT_MODEL_REF } from '../../src/models/refs.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { sha256, startHubServer, testBytes, type HubServer } from './hub-server.js';

const MODEL = testBytes(256 * 1024);

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 80;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

interface Harness {
  io: ModelCommandIo;
  stdout: Capture;
  stderr: Capture;
  exitCodes: number[];
  controller: AbortController;
}

let tree: TempTree;
let hub: HubServer;
beforeEach(async () => {
  tree = await makeTempTree();
  hub = await startHubServer({ [DEFAULT_MODEL_FILE]: { data: MODEL } });
});
afterEach(async () => {
  await hub.close();
  await tree.cleanup();
});

function harness(tty = false): Harness {
  const stdout = new Capture();
  const stderr = new Capture(tty);
  const exitCodes: number[] = [];
  const controller = new AbortController();
  const io: ModelCommandIo = { stdout, stderr, env: { LOCO_HF_ENDPOINT: hub.url, LOCO_MODELS_DIR: tree.root }, signal: controller.signal, setExitCode: (code) => exitCodes.push(code) };
  return { io, stdout, stderr, exitCodes, controller };
}

test('pull prints only the path on stdout; progress and the summary go to stderr', async () => {
  const run = harness();
  assert.equal(await runModelPull(undefined, {}, run.io), 0);
  const modelPath = path.join(tree.root, DEFAULT_MODEL_FILE);
  assert.equal(run.stdout.text, `${modelPath}\n`);
  assert.match(run.stderr.text, new RegExp(`^loco: pulling ${DEFAULT_MODEL_REF} into ${tree.root}\n`));
  assert.match(run.stderr.text, /loco: LocoOperator-4B\.Q4_K_M\.gguf \d+% \(.* \/ 256 KB/);
  assert.match(run.stderr.text, /loco: saved LocoOperator-4B\.Q4_K_M\.gguf \(256 KB, sha256 verified\)\n$/);
  assert.doesNotMatch(run.stderr.text, /\r/, 'no terminal redraws when stderr is not a TTY');

  const again = harness();
  assert.equal(await runModelPull(DEFAULT_MODEL_REF, {}, again.io), 0);
  assert.equal(again.stdout.text, `${modelPath}\n`);
  assert.match(again.stderr.text, /already installed/);
});

test('pull: a bad reference or --retries is a usage error; an interrupted pull exits 130 with how to resume', async () => {
  await assert.rejects(runModelPull('owner/repo', {}, harness().io), (error: unknown) => error instanceof LocoError && error.code === 'usage');
  await assert.rejects(runModelPull(undefined, { retries: 'many' }, harness().io), /--retries must be a whole number/);

  hub.mode.stallAfterBytes = 64 * 1024;
  const run = harness();
  const pending = runModelPull(undefined, { retries: '0' }, run.io);
  while (!run.stderr.text.includes('%')) await new Promise((resolve) => setTimeout(resolve, 10));
  run.controller.abort();
  assert.equal(await pending, 130);
  assert.equal(run.stdout.text, '');
  assert.match(run.stderr.text, /loco: download stopped \(.* kept in .*\.partial\): run `loco model pull hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M` to resume\n$/);
});

test('the terminal display redraws one line with percent, speed and ETA', () => {
  const stream = new Capture(true);
  let clock = 0;
  const reporter = createPullReporter(stream, { tty: true, now: () => clock });
  const total = 100 * 1024 * 1024;
  for (let second = 0; second <= 4; second += 1) {
    clock = second * 1000;
    reporter.onProgress({ phase: 'downloading', file: 'm.gguf', receivedBytes: second * 10 * 1024 * 1024, totalBytes: total, resumedFromBytes: 0 });
  }
  reporter.finish();
  const frames = stream.text.split('\r').filter(Boolean);
  assert.ok(frames.length >= 4);
  const last = frames.at(-1) ?? '';
  assert.match(last, /^\[#{9}-{15}\] 40% {2}40\.0 MB \/ 100 MB {2}10\.0 MB\/s {2}ETA 6s\u001b\[K\n$/);
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(125), '2m05s');
});

test('list: a table on stdout, --json as one object, and unfinished downloads noted on stderr', async () => {
  const empty = harness();
  assert.equal(await runModelList({}, empty.io), 0);
  assert.equal(empty.stdout.text, '');
  assert.match(empty.stderr.text, /no models in .*: run `loco model pull` to get hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M/);

  await runModelPull(undefined, {}, harness().io);
  await writeFile(path.join(tree.root, 'half.gguf.partial'), 'abc');
  const table = harness();
  assert.equal(await runModelList({}, table.io), 0);
  const lines = table.stdout.text.trimEnd().split('\n');
  assert.match(lines[0], /^NAME\s+SIZE\s+MODIFIED \(UTC\)\s+SOURCE$/);
  assert.match(lines[1], /^LocoOperator-4B\.Q4_K_M\.gguf\s+256 KB\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M$/);
  assert.equal(lines.length, 2);
  assert.match(table.stderr.text, /unfinished download half\.gguf \(3 B\): `loco model pull <ref>` resumes it, `loco model rm half\.gguf` deletes it/);

  const json = harness();
  assert.equal(await runModelList({ json: true }, json.io), 0);
  const report = JSON.parse(json.stdout.text) as { modelsDir: string; models: Array<Record<string, unknown>>; partial: Array<Record<string, unknown>> };
  assert.equal(report.modelsDir, tree.root);
  assert.deepEqual(report.models.map((model) => [model.name, model.size, model.source, model.sha256]), [[DEFAULT_MODEL_FILE, MODEL.length, DEFAULT_MODEL_REF, sha256(MODEL)]]);
  assert.deepEqual(report.partial.map((partial) => partial.name), ['half.gguf']);
});

test('path prints an installed model or exits 1 with how to get it; rm removes it', async () => {
  const missing = harness();
  assert.equal(await runModelPath(undefined, {}, missing.io), 1);
  assert.equal(missing.stdout.text, '');
  assert.match(missing.stderr.text, /hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M is not in .*: run `loco model pull hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M`, or download the \.gguf yourself and pass --backend gguf:<path>/);

  await runModelPull(undefined, {}, harness().io);
  const found = harness();
  assert.equal(await runModelPath(undefined, {}, found.io), 0);
  assert.equal(found.stdout.text, `${path.join(tree.root, DEFAULT_MODEL_FILE)}\n`);
  const byName = harness();
  assert.equal(await runModelPath('LocoOperator-4B.Q4_K_M', {}, byName.io), 0);

  const unknown = harness();
  assert.equal(await runModelRemove('nope', {}, unknown.io), 1);
  assert.match(unknown.stderr.text, /no model "nope" in .* \(installed: LocoOperator-4B\.Q4_K_M\.gguf;/);
  const removed = harness();
  assert.equal(await runModelRemove(DEFAULT_MODEL_REF, {}, removed.io), 0);
  assert.match(removed.stderr.text, /removed .*LocoOperator-4B\.Q4_K_M\.gguf\n/);
  assert.deepEqual(await readdir(tree.root), []);
});

test('registerModelCommand wires the subcommands and their flags into a program', async () => {
  const run = harness();
  const program = new Command().exitOverride();
  registerModelCommand(program, run.io);
  const other = await makeTempTree();
  try {
    await program.parseAsync(['node', 'loco', 'model', 'pull', '--models-dir', other.root, '--retries', '1']);
    assert.deepEqual(run.exitCodes, [0]);
    assert.equal(run.stdout.text, `${path.join(other.root, DEFAULT_MODEL_FILE)}\n`);
    await program.parseAsync(['node', 'loco', 'model', 'path', 'hf:LocoreMind/LocoOperator-4B-GGUF:Q8_0', '--models-dir', other.root]);
    assert.deepEqual(run.exitCodes, [0, 1]);
    await program.parseAsync(['node', 'loco', 'model', 'list', '--json', '--models-dir', other.root]);
    assert.deepEqual(run.exitCodes, [0, 1, 0]);
    assert.deepEqual(await readdir(tree.root), [], 'the default directory was not touched');
  } finally {
    await other.cleanup();
  }
});

test('pull fastcontext: the known name resolves to its GGUF repository and file; rm takes the name too', async () => {
  const data = testBytes(64 * 1024, 7);
  const fastcontext = await startHubServer({ 'FastContext-1.0-4B-RL-Q4_K_M.gguf': { data } }, { owner: 'sdougbrown', repo: 'FastContext-1.0-4B-RL-GGUF' });
  try {
    const run = harness();
    run.io.env.LOCO_HF_ENDPOINT = fastcontext.url;
    assert.equal(await runModelPull('fastcontext', {}, run.io), 0, run.stderr.text);
    assert.equal(run.stdout.text, `${path.join(tree.root, 'FastContext-1.0-4B-RL-Q4_K_M.gguf')}\n`);
    assert.match(run.stderr.text, /^loco: pulling hf:sdougbrown\/FastContext-1.0-4B-RL-GGUF\/FastContext-1.0-4B-RL-Q4_K_M\.gguf into /);
    assert.ok(fastcontext.requests.some((request) => request.path === '/sdougbrown/FastContext-1.0-4B-RL-GGUF/resolve/main/FastContext-1.0-4B-RL-Q4_K_M.gguf'));
    const removal = harness();
    assert.equal(await runModelRemove('FastContext', {}, removal.io), 0, removal.stderr.text);
    assert.deepEqual((await readdir(tree.root)).filter((name) => name.startsWith('FastContext')), []);
  } finally {
    await fastcontext.close();
  }
});
