// The default backend: the embedded engine on the default model from the local cache,
// fetched on first use. When it is absent and cannot be fetched, the error says exactly how
// to get it or how to point loco at another backend. Any front door (CLI, servers) uses it;
// how a download is shown is the caller's.
import { LocoError } from '../errors.js';
import { pullModel, type PullProgress } from './download.js';
import { DEFAULT_MODEL_REF } from './refs.js';
import { findInstalledModel, resolveModelsDir } from './store.js';

/** Shows one download: progress as it comes, then `finish` once it ended either way. */
export interface PullListener {
  onProgress(progress: PullProgress): void;
  finish(): void;
}

export interface DefaultBackendOptions {
  modelsDir?: string;
  /** Download the default model when it is missing. */
  pull: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called when the download of `ref` starts; returns what shows its progress. */
  onPull?: (ref: string) => PullListener;
}

export function missingModelHelp(modelsDir: string): string {
  return [
    `no local model yet: run \`loco model pull\` to download ${DEFAULT_MODEL_REF} into ${modelsDir}`,
    'or pass --backend gguf:<file.gguf> for a model file you have, or --backend http://127.0.0.1:8080/v1 for a running server',
  ].join(', ');
}

/** Returns a `gguf:` backend spec for the default model, pulling it if allowed. */
export async function resolveDefaultBackendSpec(options: DefaultBackendOptions): Promise<string> {
  const modelsDir = resolveModelsDir({ modelsDir: options.modelsDir, env: options.env });
  const installed = await findInstalledModel(DEFAULT_MODEL_REF, modelsDir);
  if (installed) return `gguf:${installed.path}`;
  const help = missingModelHelp(modelsDir);
  if (!options.pull) throw new LocoError('config', help);
  const listener = options.onPull?.(DEFAULT_MODEL_REF);
  try {
    const result = await pullModel(DEFAULT_MODEL_REF, { modelsDir, env: options.env, signal: options.signal, onProgress: listener ? (progress) => listener.onProgress(progress) : undefined, retries: 1 });
    listener?.finish();
    return `gguf:${result.path}`;
  } catch (error) {
    listener?.finish();
    const reason = error instanceof Error ? error.message : String(error);
    throw new LocoError('config', `${help} (the download failed: ${reason})`, { cause: error });
  }
}
