// `loco serve` as a command: flags, model resolution (path, installed file name, reference,
// with the `loco model pull` hint when absent), the API key from an environment variable,
// the stderr notes, and shutdown on Ctrl-C (the CLI's abort signal) and on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerServeCommand, resolveServeModel } from '../../src/cli/serve.js';
import { LocoError } from '../../src/errors.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function waitFor(read: () => string, pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${pattern} in:\n${read()}`);
    await sleep(20);
  }
}

function serveProgram(env: NodeJS.ProcessEnv, signal: AbortSignal) {
  const stderr = new Capture();
  const stdout = new Capture();
  let exitCode: number | undefined;
  const program = new Command().exitOverride();
  registerServeCommand(program, { stdout, stderr, env, signal, setExitCode: (code) => (exitCode = code) });
  return { program, stderr, stdout, exitCode: () => exitCode };
}

describe('loco serve command', () => {
  let modelPath: string;
  let modelsDir: string;
  before(async () => {
    modelPath = await tinyGgufPath();
    modelsDir = await mkdtemp(path.join(os.tmpdir(), 'loco-serve-models-'));
    await copyFile(modelPath, path.join(modelsDir, 'Tiny.Q8_0.gguf'));
  });
  after(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('serves until Ctrl-C, with the API key from the named variable, never printed', async () => {
    const controller = new AbortController();
    const key = 'serve-secret-key';
    const { program, stderr, stdout, exitCode } = serveProgram({ LOCO_MODELS_DIR: modelsDir, SERVE_KEY: key }, controller.signal);
    const running = program.parseAsync(['node', 'loco', 'serve', '--model', 'hf:Test/Tiny-GGUF:Q8_0', '--port', '0', '--threads', '1', '--ctx-size', '512', '--parallel', '3', '--gpu-layers', '0', '--api-key-env', 'SERVE_KEY']);
    const [, url] = await waitFor(() => stderr.text, /listening on (http:\/\/127\.0\.0\.1:\d+) \(OpenAI API at http:\/\/127\.0\.0\.1:\d+\/v1\)/);
    await waitFor(() => stderr.text, /ready: model Tiny\.Q8_0\.gguf, ctx 512 per slot, parallel 3, threads 1, API key required\n/);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    assert.equal((await fetch(`${url}/v1/models`)).status, 401);
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(((await models.json()) as { data: { id: string }[] }).data[0].id, 'Tiny.Q8_0');
    controller.abort();
    await running;
    assert.equal(exitCode(), 0);
    assert.match(stderr.text, /loco: GET \/v1\/models 401 \d+ms\n/);
    assert.match(stderr.text, /shutting down\nloco: stopped\n$/);
    assert.ok(!stderr.text.includes(key));
    assert.equal(stdout.text, '');
    await assert.rejects(fetch(`${url}/health`));
  });

  it('resolves paths, installed file names and references; names `loco model pull` for a missing one', async () => {
    const installed = path.join(modelsDir, 'Tiny.Q8_0.gguf');
    assert.equal(await resolveServeModel('hf:Test/Tiny-GGUF:Q8_0', modelsDir), installed);
    assert.equal(await resolveServeModel('Tiny.Q8_0', modelsDir), installed);
    assert.equal(await resolveServeModel(modelPath, modelsDir), modelPath);
    await assert.rejects(resolveServeModel('hf:Test/Other-GGUF:Q4_K_M', modelsDir), (error: unknown) => error instanceof LocoError && error.code === 'config' && error.message === `hf:Test/Other-GGUF:Q4_K_M is not installed in ${modelsDir}: run \`loco model pull hf:Test/Other-GGUF:Q4_K_M\` first`);
    await assert.rejects(resolveServeModel('missing.gguf', modelsDir), /no model at .*missing\.gguf: pass a \.gguf file, or a reference such as hf:/);
    await assert.rejects(resolveServeModel(fileURLToPath(import.meta.url), modelsDir), /is not a GGUF model/);
  });

  it('rejects bad flags and a missing key variable before loading anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--port', 'http'], /--port must be a whole number from 0 to 65535, got "http"/],
      [['--parallel', '0'], /--parallel must be a whole number from 1/],
      [['--gpu-layers', 'many'], /--gpu-layers must be a whole number/],
      [['--api-key-env', 'NOT_SET'], /--api-key-env NOT_SET: the variable is not set or empty/],
    ];
    for (const [flags, pattern] of cases) {
      const { program } = serveProgram({ LOCO_MODELS_DIR: modelsDir }, new AbortController().signal);
      await assert.rejects(program.parseAsync(['node', 'loco', 'serve', '--model', modelPath, ...flags]), (error: unknown) => error instanceof LocoError && error.code === 'usage' && pattern.test(error.message));
    }
  });

  it('stops cleanly on SIGTERM and the process exits 0', async () => {
    const serveModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/serve.js');
    // A script file, not --eval: node-llama-cpp forks a binding test that inherits execArgv.
    const script = path.join(modelsDir, 'serve-child.mjs');
    await writeFile(
      script,
      [
        `import { runServe } from ${JSON.stringify(serveModule)};`,
        'const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: new AbortController().signal };',
        "process.exitCode = await runServe({ model: process.env.TINY_MODEL, port: '0', threads: '1', ctxSize: '256', gpuLayers: '0' }, io);",
      ].join('\n'),
    );
    const child = spawn(process.execPath, [script], { env: { ...process.env, TINY_MODEL: modelPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const [, url] = await waitFor(() => stderr, /listening on (http:\/\/[^ ]+) /);
    await waitFor(() => stderr, /ready: /);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000, 'timeout' as const, { ref: false })]);
    if (code === 'timeout') child.kill('SIGKILL');
    assert.equal(code, 0, stderr);
    assert.match(stderr, /loco: stopped\n$/);
  });
});
