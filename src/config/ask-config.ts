// Settings for `loco ask`, layered: defaults < environment < flags. Validated and frozen;
// every error names the flag and the fix.
import { wholeNumberFlag } from '../flags.js';
import { LocoError } from '../errors.js';
import { DEFAULT_CONTEXT_BUDGET } from '../agent/explorer.js';
import type { ServerKind } from '../backends/openai-compatible.js';
import type { BackendSpecOptions } from '../backends/spec.js';
import type { SystemPromptStyle } from '../protocol/system-prompt.js';

export interface AskFlags {
  backend?: string;
  model?: string;
  maxTurns?: string;
  temperature?: string;
  contextBudget?: string;
  json?: boolean;
  trace?: string;
  allowWrite?: boolean;
  verbose?: boolean;
  sandbox?: string;
  promptStyle?: string;
  profile?: string;
  serverKind?: string;
  subagents?: boolean;
  threads?: string;
  ctxSize?: string;
  gpuLayers?: string;
  constrain?: boolean;
  modelsDir?: string;
  pull?: boolean;
}

export interface AskConfig {
  /** Undefined: the embedded engine on the default model. */
  backend?: string;
  model?: string;
  apiKey?: string;
  serverKind?: string;
  /** Undefined: the profile's turn limit. */
  maxTurns?: number;
  temperature?: number;
  contextBudget: number;
  json: boolean;
  trace?: string;
  allowWrite: boolean;
  verbose: boolean;
  sandbox: 'auto' | 'bwrap' | 'allow-list';
  promptStyle: SystemPromptStyle;
  /** A built-in profile's name or a profile file; undefined: chosen from the model's name. */
  profile?: string;
  subagents: boolean;
  threads?: number;
  contextSize?: number;
  gpuLayers?: 'auto' | number;
  constrain: boolean;
  modelsDir?: string;
  pull: boolean;
}


function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new LocoError('usage', `${flag} must be one of ${allowed.join(', ')} (got "${text}")`);
  return text as T;
}

export function resolveAskConfig(flags: AskFlags, env: NodeJS.ProcessEnv): Readonly<AskConfig> {
  const backend = (flags.backend ?? env.LOCO_BACKEND)?.trim() || undefined;
  let temperature: number | undefined;
  if (flags.temperature !== undefined) {
    temperature = Number(flags.temperature);
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
      throw new LocoError('usage', `--temperature must be a number from 0 to 2 (got "${flags.temperature}")`);
    }
  }
  return Object.freeze({
    backend,
    model: flags.model ?? env.LOCO_MODEL,
    apiKey: env.LOCO_API_KEY ?? env.OPENAI_API_KEY,
    serverKind: flags.serverKind ?? env.LOCO_SERVER_KIND,
    maxTurns: wholeNumberFlag('--max-turns', flags.maxTurns, 1, 200),
    temperature,
    contextBudget: wholeNumberFlag('--context-budget', flags.contextBudget, 2_000, 1_000_000) ?? DEFAULT_CONTEXT_BUDGET,
    json: flags.json ?? false,
    trace: flags.trace,
    allowWrite: flags.allowWrite ?? false,
    verbose: flags.verbose ?? false,
    sandbox: oneOf('--sandbox', flags.sandbox, ['auto', 'bwrap', 'allow-list'] as const, 'auto'),
    promptStyle: oneOf('--prompt-style', flags.promptStyle, ['training', 'qwen-tools'] as const, 'training'),
    profile: flags.profile ?? env.LOCO_PROFILE,
    subagents: flags.subagents ?? true,
    threads: wholeNumberFlag('--threads', flags.threads, 1, 512),
    contextSize: wholeNumberFlag('--ctx-size', flags.ctxSize, 256, 1_048_576),
    gpuLayers: flags.gpuLayers === 'auto' ? 'auto' : (wholeNumberFlag('--gpu-layers', flags.gpuLayers, 0, 10_000) ?? 'auto'),
    constrain: flags.constrain ?? false,
    modelsDir: flags.modelsDir,
    pull: flags.pull ?? true,
  });
}

/** The backend options these settings imply (the same for ask and batch). */
export function backendOptionsOf(config: Readonly<AskConfig>, extra: Partial<BackendSpecOptions> = {}): BackendSpecOptions {
  return {
    apiKey: config.apiKey,
    model: config.model,
    serverKind: config.serverKind as ServerKind | undefined,
    threads: config.threads,
    contextSize: config.contextSize,
    gpuLayers: config.gpuLayers,
    constrainToolCalls: config.constrain ? true : undefined,
    ...extra,
  };
}
