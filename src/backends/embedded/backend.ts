// The embedded backend: LocoOperator (or any ChatML GGUF) inside the process through
// node-llama-cpp. One model is loaded once, lazily; conversations run in parallel on the
// sequences of one context, each keeping its KV cache between turns. Like every backend it
// never throws once called: load failures, overflow and engine errors arrive as `error` events.
import { LRUCache } from 'lru-cache';
import path from 'node:path';
import type { LlamaGrammar, Token } from 'node-llama-cpp';
import { LocoError, toLocoError } from '../../errors.js';
import type { BackendEvent, BackendInfo } from '../types.js';
import { Engine } from './engine.js';
import { runTurn } from './generate.js';
import { DEFAULT_GRAMMAR_LIMITS, jsonSchemaGrammar, toolCallGrammar } from './json-grammar.js';
import { DEFAULT_SEQUENCES, type EmbeddedBackend, type EmbeddedBackendOptions, type EmbeddedRequest, type EmbeddedTurnTimings, type ToolCallConstraint } from './options.js';
import { renderChatPrompt } from './prompt.js';
import { SlotPool } from './slots.js';

/** Timings kept per conversation, for lastTurnTimings(id). */
const KEPT_TIMINGS = 64;
/** Grammar constraints kept per tool set. */
const KEPT_CONSTRAINTS = 32;
/** Assistant texts whose generated tokens are remembered (see renderChatPrompt). */
const KEPT_GENERATIONS = 256;

/** Opens a call at once when one is required; one object, so the engine builds its bias once. */
const FORCE_TOOL_CALL = Object.freeze({ '<tool_call>': 100 });

export function createEmbeddedBackend(options: EmbeddedBackendOptions): EmbeddedBackend {
  const modelPath = options.modelPath;
  const fileName = path.basename(modelPath);
  const sequences = Math.max(1, Math.floor(options.sequences ?? DEFAULT_SEQUENCES));
  const info: BackendInfo = { description: describe(options.threads ?? 'auto', options.contextSize ?? 'auto'), forcesToolCalls: true };
  const timingsByConversation = new LRUCache<string, EmbeddedTurnTimings>({ max: KEPT_TIMINGS });
  // Grammar text per constraint object, so a request reusing the same object builds it once.
  const grammarTexts = new WeakMap<object, string>();
  // One constraint object per tool set named by requests, so its grammar is built once.
  // Bounded: a long-running server sees the tool sets of many clients.
  const requestConstraints = new LRUCache<string, ToolCallConstraint>({ max: KEPT_CONSTRAINTS });
  function constraintForRequest(request: EmbeddedRequest): ToolCallConstraint | undefined {
    if (request.constrainToolCalls === undefined && request.requiredToolCall) {
      // One call, grammar-constrained, ends the turn; the bias (see tokenBiasFor) opens it at once.
      const key = `required:${JSON.stringify(request.requiredToolCall.tools)}`;
      let constraint = requestConstraints.get(key);
      if (!constraint) {
        constraint = { tools: request.requiredToolCall.tools, stopAfterCalls: 1 };
        requestConstraints.set(key, constraint);
      }
      return constraint;
    }
    const configured = request.constrainToolCalls === false ? undefined : (request.constrainToolCalls ?? options.constrainToolCalls);
    if (configured !== true) return configured;
    if (!request.tools || request.tools.length === 0) return undefined;
    const key = JSON.stringify(request.tools);
    let constraint = requestConstraints.get(key);
    if (!constraint) {
      constraint = { tools: request.tools };
      requestConstraints.set(key, constraint);
    }
    return constraint;
  }
  const generations = new LRUCache<string, Token[]>({ max: KEPT_GENERATIONS });
  let lastTimings: EmbeddedTurnTimings | undefined;
  let loading: Promise<{ engine: Engine; pool: SlotPool }> | undefined;
  /** Set once loading finished, for the synchronous stats(). */
  let ready: { engine: Engine; pool: SlotPool } | undefined;
  let closing: Promise<void> | undefined;

  function describe(threads: number | string, contextSize: number | string): string {
    return `embedded ${fileName} (threads ${threads}, ctx ${contextSize})`;
  }

  function ensureLoaded(): Promise<{ engine: Engine; pool: SlotPool }> {
    if (closing) return Promise.reject(new LocoError('internal', `the embedded backend for ${fileName} is closed`));
    loading ??= (async () => {
      const engine = await Engine.load({
        modelPath,
        threads: options.threads,
        contextSize: options.contextSize,
        gpuLayers: options.gpuLayers ?? 'auto',
        batchSize: options.batchSize,
        sequences,
        logLevel: options.logLevel ?? 'quiet',
        flashAttention: options.flashAttention,
      });
      if (closing) {
        await engine.dispose();
        throw new LocoError('internal', `the embedded backend for ${fileName} is closed`);
      }
      // Generation stops before the context is full; should anything still overflow, fail
      // loudly instead of letting node-llama-cpp silently drop the conversation's start.
      const contextShift = {
        strategy: (): never => {
          throw new LocoError('context-overflow', `the conversation outgrew the context of ${engine.contextSize} tokens (n_ctx ${engine.contextSize})`);
        },
      };
      const pool = new SlotPool(Array.from({ length: sequences }, () => engine.context.getSequence({ contextShift })));
      info.contextSize = engine.contextSize;
      info.description = describe(engine.threads, engine.contextSize);
      ready = { engine, pool };
      return ready;
    })();
    // A failed load is not cached: the user may fix the file (e.g. `loco model pull`) and retry.
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  }

  function toolGrammarText(constraint: ToolCallConstraint): string {
    let text = grammarTexts.get(constraint);
    if (text === undefined) {
      text = toolCallGrammar(constraint.tools, { ...DEFAULT_GRAMMAR_LIMITS, ...constraint.limits });
      grammarTexts.set(constraint, text);
    }
    return text;
  }

  function rememberGeneration(text: string, tokens: Token[]): void {
    if (text === '' || tokens.length === 0) return;
    generations.set(text, tokens);
  }

  function remember(timings: EmbeddedTurnTimings): void {
    lastTimings = timings;
    if (timings.conversationId === undefined) return;
    timingsByConversation.set(timings.conversationId, timings);
  }

  async function* run(request: EmbeddedRequest, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
    const started = performance.now();
    const abortedEarly = (promptTokens: number): BackendEvent => ({ type: 'finish', reason: 'aborted', usage: { promptTokens, cachedTokens: 0, completionTokens: 0 }, text: '' });
    if (signal?.aborted) return yield abortedEarly(0);
    let loaded: { engine: Engine; pool: SlotPool };
    try {
      loaded = await ensureLoaded();
    } catch (error) {
      return yield { type: 'error', error: toLocoError(error, 'config') };
    }
    const { engine, pool } = loaded;
    const prompt = renderChatPrompt(engine, request.messages, (text) => generations.get(text));
    if (prompt.length >= engine.contextSize) {
      const message = `the prompt is ${prompt.length} tokens but the context holds ${engine.contextSize} (n_ctx ${engine.contextSize}): shorten the conversation or raise the context size`;
      return yield { type: 'error', error: new LocoError('context-overflow', message) };
    }

    let toolGrammar: LlamaGrammar | undefined;
    let responseGrammar: LlamaGrammar | undefined;
    const constraint = constraintForRequest(request);
    try {
      if (request.responseFormat) {
        responseGrammar = await engine.grammar(jsonSchemaGrammar(request.responseFormat.jsonSchema, { ...DEFAULT_GRAMMAR_LIMITS, ...request.responseFormat.limits }));
      } else if (constraint && constraint.tools.length > 0 && engine.tokens.toolCallOpen !== undefined && engine.tokens.toolCallClose !== undefined) {
        toolGrammar = await engine.grammar(toolGrammarText(constraint));
      }
    } catch (error) {
      return yield { type: 'error', error: new LocoError('usage', `cannot build a grammar for the request: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) };
    }

    const waitStarted = performance.now();
    const slot = await pool.acquire(request.conversationId, prompt, signal);
    if (!slot) {
      if (signal?.aborted) return yield abortedEarly(prompt.length);
      return yield { type: 'error', error: new LocoError('internal', `the embedded backend for ${fileName} is closed`) };
    }
    const timings: EmbeddedTurnTimings = {
      conversationId: request.conversationId,
      sequence: slot.index,
      promptTokens: prompt.length,
      cachedTokens: 0,
      evaluatedPromptTokens: prompt.length,
      promptMs: 0,
      freeTokens: 0,
      freeMs: 0,
      constrainedTokens: 0,
      constrainedMs: 0,
      llamaMs: 0,
      waitMs: performance.now() - waitStarted,
      turnMs: 0,
      constrainedCalls: 0,
    };
    const generated: Token[] = [];
    let text = '';
    try {
      for await (const event of runTurn({
        engine,
        slot,
        prompt,
        sampling: request.sampling,
        seed: request.seed,
        tokenBias: request.tokenBias ?? (request.requiredToolCall ? FORCE_TOOL_CALL : options.tokenBias),
        toolCallGrammar: toolGrammar,
        stopAfterCalls: constraint?.stopAfterCalls,
        prefixReuse: options.prefixReuse,
        responseGrammar,
        signal,
        timings,
        generated,
      })) {
        if (event.type === 'finish') text = event.text;
        yield event;
      }
    } finally {
      rememberGeneration(text, generated);
      pool.release(slot);
      timings.llamaMs = timings.promptMs + timings.freeMs + timings.constrainedMs;
      timings.turnMs = performance.now() - started;
      remember(timings);
    }
  }

  return {
    info,
    async *stream(request, signal) {
      try {
        yield* run(request, signal);
      } catch (error) {
        // The contract: never throw. An engine failure (or a close mid-turn) ends the stream.
        const wrapped = closing ? new LocoError('aborted', `the embedded backend for ${fileName} was closed during the request`, { cause: error }) : toLocoError(error);
        yield { type: 'error', error: wrapped };
      }
    },
    async load() {
      await ensureLoaded();
    },
    stats() {
      return {
        loaded: ready !== undefined && !closing,
        sequences,
        busy: ready?.pool.busy ?? 0,
        waiting: ready?.pool.waiting ?? 0,
        conversations: ready?.pool.conversations() ?? [],
        threads: ready?.engine.threads,
        contextSize: ready?.engine.contextSize,
      };
    },
    lastTurnTimings(conversationId) {
      return conversationId === undefined ? lastTimings : timingsByConversation.get(conversationId);
    },
    close() {
      closing ??= (async () => {
        const current = loading;
        if (!current) return;
        try {
          const { engine, pool } = await current;
          pool.close();
          await engine.dispose();
        } catch {
          // A load that failed left nothing to release.
        }
      })();
      return closing;
    },
  };
}
