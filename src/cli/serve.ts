// `loco serve`: run the embedded engine behind an OpenAI-compatible HTTP server until
// Ctrl-C or SIGTERM. The model is a .gguf path or a reference to an installed model. Notes
// and the access log go to stderr; the API key is read from the named variable, never
// from a flag (flags show up in `ps`), and never printed.
import { wholeNumberFlag } from '../flags.js';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { checkModelFile } from '../backends/embedded/index.js';
import { LocoError } from '../errors.js';
import { DEFAULT_MODEL_REF, looksLikeModelRef, parseModelRef } from '../models/refs.js';
import { findInstalledModel, listInstalledModels, resolveModelsDir } from '../models/store.js';
import { startServer } from '../serve/server.js';
import type { CommandIo } from './io.js';

export interface ServeCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

export interface ServeFlags {
  model?: string;
  host?: string;
  port?: string;
  ctxSize?: string;
  parallel?: string;
  threads?: string;
  gpuLayers?: string;
  apiKeyEnv?: string;
  modelsDir?: string;
}


function parseGpuLayers(text: string | undefined): 'auto' | number | undefined {
  if (text === undefined || text === 'auto') return text;
  return wholeNumberFlag('--gpu-layers', text, 0, 10_000);
}

function readApiKey(name: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LocoError('usage', `--api-key-env takes the name of an environment variable, got ${JSON.stringify(name)}`);
  const key = env[name]?.trim();
  if (!key) throw new LocoError('usage', `--api-key-env ${name}: the variable is not set or empty; export ${name}=<key> first`);
  return key;
}

/** A .gguf path, an installed file name, or a reference to an installed model -> its file. */
export async function resolveServeModel(model: string, modelsDir: string): Promise<string> {
  if (looksLikeModelRef(model)) {
    const ref = parseModelRef(model);
    const installed = await findInstalledModel(ref, modelsDir);
    if (!installed) throw new LocoError('config', `${ref.text} is not installed in ${modelsDir}: run \`loco model pull ${ref.text}\` first`);
    return installed.path;
  }
  const file = path.resolve(model);
  const exists = await access(file).then(() => true, () => false);
  if (!exists && !model.includes('/') && !model.includes(path.sep)) {
    const names = [model, `${model}.gguf`];
    const installed = (await listInstalledModels(modelsDir)).find((candidate) => names.includes(candidate.name));
    if (installed) return installed.path;
  }
  if (!exists) throw new LocoError('config', `no model at ${file}: pass a .gguf file, or a reference such as ${DEFAULT_MODEL_REF} after \`loco model pull <ref>\``);
  await checkModelFile(file);
  return file;
}

/** Serves until the signal aborts or SIGTERM arrives; returns the exit code. */
export async function runServe(flags: ServeFlags, io: CommandIo): Promise<number> {
  const port = wholeNumberFlag('--port', flags.port, 0, 65_535) ?? 8080;
  const contextSize = wholeNumberFlag('--ctx-size', flags.ctxSize, 64, 1_048_576);
  const parallel = wholeNumberFlag('--parallel', flags.parallel, 1, 256) ?? 4;
  const threads = wholeNumberFlag('--threads', flags.threads, 1, 1024);
  const gpuLayers = parseGpuLayers(flags.gpuLayers);
  const apiKey = readApiKey(flags.apiKeyEnv, io.env);
  const modelsDir = resolveModelsDir({ modelsDir: flags.modelsDir, env: io.env });
  const modelPath = await resolveServeModel(flags.model ?? DEFAULT_MODEL_REF, modelsDir);

  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  io.signal.addEventListener('abort', onStop, { once: true });
  // `on`, not `once`: signal-exit (loaded with node-llama-cpp) re-raises a signal when no
  // other listener is left, and a `once` listener is already gone when it looks.
  process.on('SIGTERM', onStop);
  const stopped = new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    const server = await startServer({ modelPath, host: flags.host, port, contextSize, parallel, threads, gpuLayers, apiKey, log: (line) => io.stderr.write(`loco: ${line}\n`) });
    io.stderr.write(`loco: listening on ${server.url} (OpenAI API at ${server.url}/v1), loading ${path.basename(modelPath)}\n`);
    try {
      await Promise.race([server.ready, stopped]);
      if (!stop.signal.aborted) {
        const stats = server.stats();
        const key = apiKey === undefined ? '' : ', API key required';
        io.stderr.write(`loco: ready: model ${path.basename(modelPath)}, ctx ${stats.contextSize ?? '?'} per slot, parallel ${stats.sequences}, threads ${stats.threads ?? '?'}${key}\n`);
        await stopped;
      }
      io.stderr.write('loco: shutting down\n');
    } finally {
      await server.close();
    }
    io.stderr.write('loco: stopped\n');
    return 0;
  } finally {
    io.signal.removeEventListener('abort', onStop);
    process.off('SIGTERM', onStop);
  }
}

/** Adds `loco serve` to the program. */
export function registerServeCommand(program: Command, io: ServeCommandIo): Command {
  return program
    .command('serve')
    .description('Serve a local model over an OpenAI-compatible HTTP API (POST /v1/chat/completions, GET /v1/models, /health, /props)')
    .option('-m, --model <file|ref>', `a .gguf file, or a reference to an installed model (default ${DEFAULT_MODEL_REF}; \`loco model pull\` installs it)`)
    .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--port <n>', 'port to listen on, 0 for any free one (default 8080)')
    .option('-c, --ctx-size <n>', 'context tokens per slot (default: as memory allows, up to 16384)')
    .option('--parallel <n>', 'requests generating at once, one KV slot each; more wait in line (default 4)')
    .option('--threads <n>', 'CPU threads (default: by model size and cores)')
    .option('--gpu-layers <n|auto>', "layers on the GPU: 'auto' (default) or a count; 0 forces the CPU")
    .option('--api-key-env <NAME>', 'require Authorization: Bearer <key>, the key read from this environment variable')
    .option('--models-dir <dir>', 'where installed models are kept; env LOCO_MODELS_DIR (default ~/.cache/loco/models)')
    .action(async (flags: ServeFlags) => io.setExitCode(await runServe(flags, io)));
}
