// Turns a --backend value into a backend:
//   http://host:port[/path], https://...  -> OpenAI-compatible server. A URL with no path
//       gets /v1 appended (`http://127.0.0.1:8080` means `http://127.0.0.1:8080/v1`); a
//       pasted `.../chat/completions` is trimmed back to its base.
//   fake:<path.jsonl>                      -> scripted fake backend (path relative to cwd).
//   gguf:<path.gguf>                       -> embedded llama.cpp engine (path relative to cwd);
//       the file is checked here, so a missing or foreign file fails before any work starts.
import path from 'node:path';
import { LocoError } from '../errors.js';
import { checkModelFile } from './embedded/model-file.js';
import { createEmbeddedBackend } from './embedded/backend.js';
import type { ToolCallConstraint } from './embedded/options.js';
import { createFakeBackend, loadFakeScript } from './fake.js';
import { createOpenAICompatibleBackend, serverPresets, type BackendTimeouts, type RetryPolicy, type ServerKind } from './openai-compatible.js';
import type { Backend } from './types.js';

export interface BackendSpecOptions {
  apiKey?: string;
  model?: string;
  /** Which server's capabilities to assume (default llamacpp). */
  serverKind?: ServerKind;
  /** Resolves relative fake script paths (default process.cwd() at call time). */
  cwd?: string;
  timeouts?: Partial<BackendTimeouts>;
  retries?: Partial<RetryPolicy>;
  /** Delay per chunk for fake backends. */
  fakeDelayMs?: number;
  /** Embedded (gguf:) backends: CPU threads (default by model size and cores). */
  threads?: number;
  /** Embedded backends: tokens per conversation (default by memory, up to 16384). */
  contextSize?: number;
  /** Embedded backends: layers on the GPU, 'auto' (default) or a count; 0 forces the CPU. */
  gpuLayers?: 'auto' | number;
  /** Embedded backends: parallel conversations (default 4). */
  sequences?: number;
  /** Embedded backends: constrain the JSON of every tool call (true: to each request's tools). */
  constrainToolCalls?: ToolCallConstraint | true;
}

const ACCEPTED_FORMS =
  'accepted forms: http://127.0.0.1:8080/v1 (an OpenAI-compatible server such as llama.cpp, vLLM, Ollama, OpenRouter), fake:script.jsonl (a scripted backend) or gguf:model.gguf (a local model run in-process)';

export async function createBackendFromSpec(spec: string, options: BackendSpecOptions = {}): Promise<Backend> {
  const trimmed = spec.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    return createOpenAICompatibleBackend({
      baseUrl: normalizeBaseUrl(trimmed),
      apiKey: options.apiKey,
      model: options.model,
      capabilities: serverPresets[options.serverKind ?? 'llamacpp'],
      timeouts: options.timeouts,
      retries: options.retries,
    });
  }
  if (trimmed.startsWith('fake:')) {
    const file = trimmed.slice('fake:'.length);
    if (file === '') throw new LocoError('usage', `--backend fake: needs a script path, e.g. fake:script.jsonl`);
    const resolved = path.resolve(options.cwd ?? process.cwd(), file);
    const entries = await loadFakeScript(resolved);
    return createFakeBackend(entries, { sourceName: file, delayMs: options.fakeDelayMs });
  }
  if (trimmed.startsWith('gguf:')) {
    const file = trimmed.slice('gguf:'.length);
    if (file === '') throw new LocoError('usage', `--backend gguf: needs a model path, e.g. gguf:LocoOperator-4B.Q4_K_M.gguf`);
    const modelPath = path.resolve(options.cwd ?? process.cwd(), file);
    await checkModelFile(modelPath);
    return createEmbeddedBackend({ modelPath, threads: options.threads, contextSize: options.contextSize, gpuLayers: options.gpuLayers, sequences: options.sequences, constrainToolCalls: options.constrainToolCalls });
  }
  throw new LocoError('usage', `unknown backend "${spec}": ${ACCEPTED_FORMS}`);
}

/** Adds /v1 to a bare host URL and trims a pasted /chat/completions. */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LocoError('usage', `invalid backend URL "${raw}": ${ACCEPTED_FORMS}`);
  }
  if (url.search !== '' || url.hash !== '') throw new LocoError('usage', `backend URL ${url.origin}${url.pathname} must not carry a query or fragment: ${ACCEPTED_FORMS}`);
  if (url.username !== '' || url.password !== '') throw new LocoError('usage', `backend URL must not carry credentials: set LOCO_API_KEY instead`);
  let pathname = url.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  if (pathname === '') pathname = '/v1';
  return `${url.origin}${pathname}`;
}
