// The default backend: the embedded engine on the default model from the local cache,
// fetched on first use. When it is absent and cannot be fetched, the error says exactly how
// to get it or how to point loco at another backend.
import { LocoError } from '../errors.js';
import { pullModel } from '../models/download.js';
import { DEFAULT_MODEL_REF } from '../models/refs.js';
import { findInstalledModel, resolveModelsDir } from '../models/store.js';
import type { CommandIo } from './ask.js';
import { createPullReporter } from './model.js';

export interface DefaultModelOptions {
  modelsDir?: string;
  /** Download the default model when it is missing (default true). */
  pull: boolean;
}

export function missingModelHelp(modelsDir: string): string {
  return [
    `no local model yet: run \`loco model pull\` to download ${DEFAULT_MODEL_REF} into ${modelsDir}`,
    'or pass --backend gguf:<file.gguf> for a model file you have, or --backend http://127.0.0.1:8080/v1 for a running server',
  ].join(', ');
}

/** Returns a `gguf:` backend spec for the default model, pulling it if allowed. */
export async function defaultBackendSpec(options: DefaultModelOptions, io: CommandIo): Promise<string> {
  const modelsDir = resolveModelsDir({ modelsDir: options.modelsDir, env: io.env });
  const installed = await findInstalledModel(DEFAULT_MODEL_REF, modelsDir);
  if (installed) return `gguf:${installed.path}`;
  const help = missingModelHelp(modelsDir);
  if (!options.pull) throw new LocoError('config', help);
  io.stderr.write(`loco: the default model is not installed; downloading ${DEFAULT_MODEL_REF} (skip with --no-pull)\n`);
  const reporter = createPullReporter(io.stderr, { tty: io.stderr.isTTY === true });
  try {
    const result = await pullModel(DEFAULT_MODEL_REF, { modelsDir, env: io.env, signal: io.signal, onProgress: reporter.onProgress, retries: 1 });
    reporter.finish();
    return `gguf:${result.path}`;
  } catch (error) {
    reporter.finish();
    const reason = error instanceof Error ? error.message : String(error);
    throw new LocoError('config', `${help} (the download failed: ${reason})`, { cause: error });
  }
}
