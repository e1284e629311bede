// The loaded model: one llama.cpp binding, one model, one context with a sequence per
// parallel conversation. Everything that must exist once per model lives here: the chat
// token ids, token-bias sets, compiled grammars. node-llama-cpp is imported on first load,
// so CLI commands that never use the embedded engine do not pay for the native module.
import os from 'node:os';
import { stat } from 'node:fs/promises';
import type { Llama, LlamaContext, LlamaGrammar, LlamaGrammarEvaluationState, LlamaModel, Token, TokenBias } from 'node-llama-cpp';
import { LocoError } from '../../errors.js';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, TOOL_RESPONSE_CLOSE, TOOL_RESPONSE_OPEN } from '../../protocol/tool-call-codec.js';
import { checkModelFile, loadFailure } from './model-file.js';
import type { EmbeddedLogLevel, TokenBiasSpec } from './options.js';

type LlamaModule = typeof import('node-llama-cpp');

export interface EngineSettings {
  modelPath: string;
  threads?: number;
  contextSize?: number;
  gpuLayers: 'auto' | number;
  batchSize?: number;
  sequences: number;
  logLevel: EmbeddedLogLevel;
  /** Undefined: node-llama-cpp decides (on for most CPUs and GPUs). */
  flashAttention?: boolean;
}

/** Models smaller than this are faster on one thread: thread hand-offs outweigh the math. */
const SMALL_MODEL_BYTES = 50 * 1024 * 1024;
/** Beyond this many threads llama.cpp's CPU path gains little and starves the tools. */
const MAX_DEFAULT_THREADS = 4;
/** The model was fine-tuned on conversations up to this many tokens. */
export const DEFAULT_MAX_CONTEXT = 16_384;
const MIN_AUTO_CONTEXT = 2_048;
const TOOL_TAGS = [TOOL_CALL_OPEN, TOOL_CALL_CLOSE, TOOL_RESPONSE_OPEN, TOOL_RESPONSE_CLOSE] as const;

export interface ChatTokens {
  imStart: Token;
  imEnd: Token;
  /** The four tool tags, each a single token in Qwen vocabularies. */
  toolTags: ReadonlyMap<string, Token>;
  toolCallOpen?: Token;
  toolCallClose?: Token;
  /** `<think>` / `</think>`: banned, the model was tuned without thinking. */
  think: Token[];
}

/** Picks the thread count: small models on one thread, others on the math cores, never oversubscribing. */
export function defaultThreads(modelBytes: number, mathCores: number): number {
  if (modelBytes < SMALL_MODEL_BYTES) return 1;
  return Math.max(1, Math.min(mathCores, MAX_DEFAULT_THREADS, os.availableParallelism()));
}

/** One binding per gpu mode and log level, shared by every backend in the process (loading it costs ~0.5 s). */
interface SharedLlama {
  llama: Promise<Llama>;
  users: number;
  log: string[];
  /**
   * A model failed to load on it. node-llama-cpp 3.22 then leaks the half-built model, whose
   * hold on the binding makes `llama.dispose()` wait forever. Such a binding is kept for
   * the process's lifetime and reused: a second live binding would also take over
   * llama.cpp's process-wide log callback, losing the messages that explain failures.
   */
  tainted: boolean;
}

interface LlamaLease {
  llama: Llama;
  log: string[];
  taint(): void;
  release(): Promise<void>;
}
const sharedLlamas = new Map<string, SharedLlama>();

async function acquireLlama(module: LlamaModule, gpu: boolean, logLevel: EmbeddedLogLevel): Promise<LlamaLease> {
  const key = `${gpu}:${logLevel}`;
  let shared = sharedLlamas.get(key);
  if (!shared) {
    const log: string[] = [];
    const levels = module.LlamaLogLevel;
    const shown = logLevel === 'quiet' ? undefined : levels[logLevel];
    const llama = module.getLlama({
      // Never compile or download: use the prebuilt binary or fail with a clear message.
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      gpu: gpu ? 'auto' : false,
      logLevel: shown ?? levels.warn,
      logger: (level, message) => {
        const line = message.trim();
        if (line === '') return;
        if (level === levels.error || level === levels.warn || level === levels.fatal) {
          log.push(line);
          if (log.length > 20) log.shift();
        }
        if (shown !== undefined) process.stderr.write(`[llama.cpp] ${line}\n`);
      },
    });
    shared = { llama, users: 0, log, tainted: false };
    sharedLlamas.set(key, shared);
  }
  const entry = shared;
  const forget = (): void => {
    if (sharedLlamas.get(key) === entry) sharedLlamas.delete(key);
  };
  let llama: Llama;
  try {
    llama = await entry.llama;
  } catch (error) {
    forget();
    throw error;
  }
  entry.users++;
  let released = false;
  return {
    llama,
    log: entry.log,
    taint: () => {
      entry.tainted = true;
    },
    release: async () => {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users > 0 || entry.tainted) return;
      forget();
      await llama.dispose();
    },
  };
}

export class Engine {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly biases = new WeakMap<object, TokenBias>();
  private freeBias?: TokenBias;
  private constrained?: TokenBias;
  private disposed = false;

  private constructor(
    private readonly module: LlamaModule,
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly tokens: ChatTokens,
    readonly threads: number,
    private readonly releaseLlama: () => Promise<void>,
  ) {}

  get contextSize(): number {
    return this.context.contextSize;
  }

  get batchSize(): number {
    return this.context.batchSize;
  }

  static async load(settings: EngineSettings): Promise<Engine> {
    await checkModelFile(settings.modelPath);
    const { size } = await stat(settings.modelPath);
    let module: LlamaModule;
    try {
      module = await import('node-llama-cpp');
    } catch (error) {
      throw new LocoError('config', `node-llama-cpp is not installed (${error instanceof Error ? error.message : String(error)}): run npm install, or pass --backend URL`, { cause: error });
    }
    let shared: LlamaLease | undefined;
    let model: LlamaModel | undefined;
    try {
      shared = await acquireLlama(module, settings.gpuLayers !== 0, settings.logLevel);
      const lease = shared;
      // Only this load's messages should explain its failure.
      lease.log.length = 0;
      model = await lease.llama.loadModel({ modelPath: settings.modelPath, gpuLayers: settings.gpuLayers }).catch((error: unknown) => {
        lease.taint();
        throw error;
      });
      const tokens = chatTokens(model, settings.modelPath);
      const threads = settings.threads ?? defaultThreads(size, shared.llama.cpuMathCores);
      const trained = model.trainContextSize;
      const context = await model.createContext({
        sequences: settings.sequences,
        // Asked size is exact; otherwise as large as memory allows, up to the fine-tuning length.
        contextSize: settings.contextSize ?? { min: Math.min(trained, MIN_AUTO_CONTEXT), max: Math.min(trained, DEFAULT_MAX_CONTEXT) },
        batchSize: settings.batchSize,
        threads,
        flashAttention: settings.flashAttention,
      });
      return new Engine(module, shared.llama, model, context, tokens, threads, shared.release);
    } catch (error) {
      const log = shared?.log.slice() ?? [];
      await model?.dispose().catch(() => undefined);
      await shared?.release().catch(() => undefined);
      throw loadFailure(settings.modelPath, error, log);
    }
  }

  /** Plain text to tokens: control tokens in the text stay text. */
  tokenizeText(text: string): Token[] {
    return this.model.tokenize(text, false);
  }

  detokenize(tokens: readonly Token[]): string {
    return this.model.detokenize(tokens, false);
  }

  /** A turn ends on an end-of-generation token, or on a new turn being opened. */
  isStopToken(token: Token): boolean {
    return token === this.tokens.imStart || this.model.isEogToken(token);
  }

  /** Free generation: the caller's biases plus the `<think>` ban. Cached per spec object. */
  freeGenerationBias(spec: TokenBiasSpec | undefined): TokenBias {
    if (!spec) {
      this.freeBias ??= this.banThinking(new this.module.TokenBias(this.model.tokenizer));
      return this.freeBias;
    }
    let bias = this.biases.get(spec);
    if (!bias) {
      bias = new this.module.TokenBias(this.model.tokenizer);
      const entries = spec instanceof Map ? [...spec.entries()] : Object.entries(spec);
      for (const [text, value] of entries) {
        const ids = this.model.tokenize(text, true);
        if (ids.length > 0) bias.set(ids, value === 'never' ? 'never' : { logit: value });
      }
      // Last, so a caller's bias cannot lift the ban.
      this.banThinking(bias);
      this.biases.set(spec, bias);
    }
    return bias;
  }

  /**
   * Inside grammar-constrained JSON: no special tokens (a `</tool_call>` token inside a
   * string would end the call for the parser) and no token that is not whole UTF-8 on its
   * own (random byte tokens make invalid text). Built once, on first use.
   */
  constrainedBias(): TokenBias {
    if (!this.constrained) {
      const bias = new this.module.TokenBias(this.model.tokenizer);
      const banned: Token[] = [];
      for (const token of this.model.iterateAllTokens()) {
        if (this.model.isEogToken(token)) continue;
        const attributes = this.model.getTokenAttributes(token);
        if (attributes.control || attributes.userDefined || attributes.unused || this.model.detokenize([token], false).includes('\uFFFD')) banned.push(token);
      }
      if (banned.length > 0) bias.set(banned, 'never');
      this.constrained = bias;
    }
    return this.constrained;
  }

  grammar(text: string): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(text);
    if (!grammar) {
      grammar = this.llama.createGrammar({ grammar: text });
      grammar.catch(() => this.grammars.delete(text));
      this.grammars.set(text, grammar);
    }
    return grammar;
  }

  grammarState(grammar: LlamaGrammar): LlamaGrammarEvaluationState {
    return new this.module.LlamaGrammarEvaluationState({ model: this.model, grammar });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
    await this.releaseLlama().catch(() => undefined);
  }

  private banThinking(bias: TokenBias): TokenBias {
    if (this.tokens.think.length > 0) bias.set(this.tokens.think, 'never');
    return bias;
  }
}

function singleToken(model: LlamaModel, text: string): Token | undefined {
  const ids = model.tokenize(text, true);
  return ids.length === 1 && model.detokenize(ids, true) === text ? ids[0] : undefined;
}

function chatTokens(model: LlamaModel, file: string): ChatTokens {
  const imStart = singleToken(model, '<|im_start|>');
  const imEnd = singleToken(model, '<|im_end|>');
  if (imStart === undefined || imEnd === undefined) {
    throw new LocoError('config', `${file} has no <|im_start|>/<|im_end|> tokens, so it does not speak ChatML: use a Qwen3 GGUF such as LocoOperator-4B (run \`loco model pull\`)`);
  }
  const toolTags = new Map<string, Token>();
  for (const tag of TOOL_TAGS) {
    const id = singleToken(model, tag);
    if (id !== undefined) toolTags.set(tag, id);
  }
  const think = ['<think>', '</think>'].map((tag) => singleToken(model, tag)).filter((id): id is Token => id !== undefined);
  return { imStart, imEnd, toolTags, toolCallOpen: toolTags.get(TOOL_CALL_OPEN), toolCallClose: toolTags.get(TOOL_CALL_CLOSE), think };
}
