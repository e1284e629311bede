// Bad input to `loco ask`: each gets a one-line message naming the fix, the right exit
// code, and no stack trace.
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startReplayServer } from '../support/openai-replay-server.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({ 'a.txt': 'hello\n' });
});
after(() => tree.cleanup());

function assertClean(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('no backend and no default model: exit 1 saying how to get it (no download with --no-pull)', async () => {
  const models = await makeTempTree();
  try {
    const run = await runCli(['ask', tree.root, 'question', '--no-pull'], { env: { LOCO_MODELS_DIR: models.root } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no local model yet: run `loco model pull` to download hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M into /);
    assert.match(run.stderr, /--backend gguf:<file\.gguf>.*--backend http:\/\/127\.0\.0\.1:8080\/v1/);
    assertClean(run.stderr);
  } finally {
    await models.cleanup();
  }
});

test('no backend: the default model download is tried and its failure explained, fast', async () => {
  const models = await makeTempTree();
  const port = await freePort();
  try {
    const started = Date.now();
    const run = await runCli(['ask', tree.root, 'question'], { env: { LOCO_MODELS_DIR: models.root, LOCO_HF_ENDPOINT: `http://127.0.0.1:${port}` } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /downloading hf:LocoreMind\/LocoOperator-4B-GGUF:Q4_K_M \(skip with --no-pull\)/);
    assert.match(run.stderr, /no local model yet: run `loco model pull`.*\(the download failed: .*127\.0\.0\.1/);
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual((await readdir(models.root)).filter((name) => name.endsWith('.gguf')), []);
    assertClean(run.stderr);
  } finally {
    await models.cleanup();
  }
});

test('an unknown hub host or a refused port: the same help within a few seconds, no retries', async () => {
  const port = await freePort();
  for (const [endpoint, reason] of [
    ['http://nonexistent.invalid', /cannot reach http:\/\/nonexistent\.invalid \((ENOTFOUND|EAI_AGAIN)\)/],
    [`http://127.0.0.1:${port}`, /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
  ] as const) {
    const models = await makeTempTree();
    try {
      const started = Date.now();
      const run = await runCli(['ask', tree.root, 'question'], { env: { LOCO_MODELS_DIR: models.root, LOCO_HF_ENDPOINT: endpoint } });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.code, 1);
      assert.match(run.stderr, /no local model yet: run `loco model pull`.*--backend gguf:<file\.gguf>.*\(the download failed: /);
      assert.match(run.stderr, reason);
      // Generous for a loaded machine; the unbounded wait this guards against took 37 s.
      assert.ok(seconds < 8, `${endpoint}: ${seconds} s`);
      assertClean(run.stderr);
    } finally {
      await models.cleanup();
    }
  }
});

test('missing directory, a file, and an empty question are usage errors', async () => {
  const missing = await runCli(['ask', path.join(tree.root, 'nope'), 'q', '--backend', 'http://127.0.0.1:9/v1']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /directory not found: .*nope/);
  const file = await runCli(['ask', path.join(tree.root, 'a.txt'), 'q', '--backend', 'http://127.0.0.1:9/v1']);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /not a directory: .*a\.txt/);
  const empty = await runCli(['ask', tree.root, '  ', '--backend', 'http://127.0.0.1:9/v1']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /empty question/);
  for (const run of [missing, file, empty]) assertClean(run.stderr);
});

test('unknown flags and bad values exit 2 with the flag named', async () => {
  const unknown = await runCli(['ask', tree.root, 'q', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--bogus'/);
  const turns = await runCli(['ask', tree.root, 'q', '--backend', 'http://127.0.0.1:9/v1', '--max-turns', 'zero']);
  assert.equal(turns.code, 2);
  assert.match(turns.stderr, /--max-turns must be a whole number/);
  const temperature = await runCli(['ask', tree.root, 'q', '--backend', 'http://127.0.0.1:9/v1', '--temperature', '9']);
  assert.equal(temperature.code, 2);
  assert.match(temperature.stderr, /--temperature must be a number from 0 to 2/);
  const spec = await runCli(['ask', tree.root, 'q', '--backend', 'ftp://x']);
  assert.equal(spec.code, 2);
  assert.match(spec.stderr, /http:\/\/127\.0\.0\.1:8080\/v1/);
  const fake = await runCli(['ask', tree.root, 'q', '--backend', `fake:${path.join(tree.root, 'missing.jsonl')}`]);
  assert.equal(fake.code, 2);
  assert.match(fake.stderr, /missing\.jsonl/);
});

test('an unreadable directory is refused (checked as an unprivileged user)', { skip: process.getuid?.() !== 0 && 'needs root to switch users' }, async () => {
  const locked = path.join(tree.root, 'locked');
  await mkdir(locked);
  await chmod(locked, 0o700);
  await chmod(tree.root, 0o755);
  const run = await runCli(['ask', locked, 'q', '--backend', 'http://127.0.0.1:9/v1'], { uid: 65534, gid: 65534 });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /cannot read directory: .*locked \(check its permissions\)/);
});

test('an unreachable backend fails with exit 1 and names the URL and the fix', async () => {
  const port = await freePort();
  const run = await runCli(['ask', tree.root, 'q', '--backend', `http://127.0.0.1:${port}/v1`], { env: { LOCO_API_KEY: 'sk-secret-123' } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(run.stderr, /server running|--backend/);
  assert.doesNotMatch(run.stderr, /sk-secret-123/);
  assertClean(run.stderr);
});

test('a backend answering garbage fails with exit 1 and a clear reason', async () => {
  const server = await startReplayServer([{ status: 200, body: '<html>not an API</html>', headers: { 'content-type': 'text/html' } }]);
  try {
    const run = await runCli(['ask', tree.root, 'q', '--backend', server.url]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^loco: .*(HTML|not .*chat|OpenAI-compatible)/m);
    assertClean(run.stderr);
  } finally {
    await server.close();
  }
});
