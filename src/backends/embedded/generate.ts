// One assistant turn on one KV sequence: reuse the cached prefix, evaluate only the new
// prompt tokens, then sample token by token, streaming text. With a tool-call grammar the
// free generation stops at the `<tool_call>` token and continues on the same sequence under
// the grammar until the JSON is complete (the grammar then only allows end-of-generation);
// the real `</tool_call>` token is appended and free generation resumes.
import type { LlamaGrammar, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import type { Sampling } from '../../protocol/messages.js';
import type { BackendEvent, FinishReason } from '../types.js';
import type { Engine } from './engine.js';
import type { EmbeddedTurnTimings, TokenBiasSpec } from './options.js';
import { commonPrefixLength, type Slot } from './slots.js';
import { TokenTextDecoder } from './token-decoder.js';

export interface TurnInput {
  engine: Engine;
  slot: Slot;
  prompt: readonly Token[];
  sampling: Sampling;
  seed?: number;
  tokenBias?: TokenBiasSpec;
  /** Grammar for the JSON after `<tool_call>`, when calls are constrained. */
  toolCallGrammar?: LlamaGrammar;
  stopAfterCalls?: number;
  /** Keep the cached prefix of the sequence (default true); false evaluates the whole prompt. */
  prefixReuse?: boolean;
  /** Grammar for the whole answer (responseFormat). */
  responseGrammar?: LlamaGrammar;
  signal?: AbortSignal;
  /** Filled in as the turn runs. */
  timings: EmbeddedTurnTimings;
  /** Receives every token the turn adds to the answer, in order. */
  generated: Token[];
}

type Mode = 'free' | 'call' | 'response';

/** Prompt tokens per decode call: small enough to abort within a second or so on a CPU. */
const PROMPT_CHUNK = 128;

export async function* runTurn(input: TurnInput): AsyncGenerator<BackendEvent> {
  const { engine, slot, prompt, sampling, signal, timings } = input;
  const sequence = slot.sequence;
  const contextSize = sequence.contextSize;
  const decoder = new TokenTextDecoder((tokens) => engine.detokenize(tokens));
  let text = '';
  let completion = 0;

  const usage = () => ({ promptTokens: prompt.length, cachedTokens: timings.cachedTokens, completionTokens: completion });
  const finish = (reason: FinishReason): BackendEvent => ({ type: 'finish', reason, usage: usage(), text });
  const emit = (piece: string): BackendEvent | undefined => {
    if (piece === '') return undefined;
    text += piece;
    return { type: 'text-delta', text: piece };
  };
  const aborted = function* (): Generator<BackendEvent> {
    const rest = emit(decoder.flush());
    if (rest) yield rest;
    yield finish('aborted');
  };

  // Keep the longest shared prefix; at least one prompt token must be evaluated to get logits.
  const promptStarted = performance.now();
  const reusable = input.prefixReuse === false ? 0 : commonPrefixLength(sequence.contextTokens, prompt);
  const keep = Math.min(reusable, prompt.length - 1);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  timings.cachedTokens = Math.min(keep, sequence.nextTokenIndex);
  timings.evaluatedPromptTokens = prompt.length - timings.cachedTokens;
  // What erasing left may be shorter than asked (a model that cannot trim its cache).
  const pending = prompt.slice(sequence.nextTokenIndex, prompt.length - 1);
  // In pieces, so an abort is noticed between them: a native decode cannot be interrupted,
  // and 512 prompt tokens of a 4B model take seconds on a small CPU.
  // Equal pieces: a short last piece (under 64 tokens) takes llama.cpp's slow small-batch path.
  const pieces = Math.max(1, Math.ceil(pending.length / Math.min(engine.batchSize, PROMPT_CHUNK)));
  const chunk = Math.max(1, Math.ceil(pending.length / pieces));
  for (let start = 0; start < pending.length; start += chunk) {
    if (signal?.aborted) {
      timings.promptMs += performance.now() - promptStarted;
      return yield* aborted();
    }
    await sequence.evaluateWithoutGeneratingNewTokens(pending.slice(start, start + chunk));
  }
  timings.promptMs += performance.now() - promptStarted;

  let mode: Mode = input.responseGrammar ? 'response' : 'free';
  let next: Token[] = [prompt[prompt.length - 1]];
  let calls = 0;
  // The backend constrains calls only when both tags are single tokens.
  const { toolCallOpen, toolCallClose } = engine.tokens;
  const constrainCalls = input.toolCallGrammar !== undefined && toolCallOpen !== undefined && toolCallClose !== undefined;

  for (;;) {
    const grammar = mode === 'call' ? input.toolCallGrammar : mode === 'response' ? input.responseGrammar : undefined;
    const options: SequenceEvaluateOptions = {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      seed: input.seed,
      tokenBias: grammar ? engine.constrainedBias() : engine.freeGenerationBias(input.tokenBias),
      grammarEvaluationState: grammar ? engine.grammarState(grammar) : undefined,
      // Seen here, so a completed grammar (which then allows only end-of-generation) is told from a stop.
      yieldEogToken: true,
    };
    const iterator = sequence.evaluate(next, options);
    let switchTo: { mode: Mode; next: Token[] } | undefined;
    try {
      for (;;) {
        // Each step evaluates one token; a sequence holds contextSize - 1 tokens. Stop
        // before node-llama-cpp would shift the context (drop the conversation's start).
        if (sequence.nextTokenIndex + 1 > contextSize - 1) return yield* closing('length');
        const stepStarted = performance.now();
        const step = await iterator.next();
        const elapsed = performance.now() - stepStarted;
        if (mode === 'free') timings.freeMs += elapsed;
        else timings.constrainedMs += elapsed;
        if (step.done) return yield* closing('stop');
        const token = step.value;
        if (engine.isStopToken(token)) {
          if (mode !== 'call' || toolCallClose === undefined) return yield* closing('stop');
          // The call's JSON is complete: close it with the real tag token.
          calls++;
          timings.constrainedCalls = calls;
          input.generated.push(toolCallClose);
          const close = emit(decoder.push(toolCallClose));
          if (close) yield close;
          completion++;
          if (input.stopAfterCalls !== undefined && calls >= input.stopAfterCalls) return yield* closing('stop');
          if (completion >= sampling.maxTokens) return yield* closing('length');
          switchTo = { mode: 'free', next: [toolCallClose] };
          break;
        }
        if (mode === 'free') timings.freeTokens++;
        else timings.constrainedTokens++;
        completion++;
        input.generated.push(token);
        const delta = emit(decoder.push(token));
        if (delta) yield delta;
        if (signal?.aborted) return yield* aborted();
        if (completion >= sampling.maxTokens) return yield* closing('length');
        if (mode === 'free' && constrainCalls && token === toolCallOpen) {
          switchTo = { mode: 'call', next: [token] };
          break;
        }
      }
    } finally {
      await iterator.return();
    }
    if (!switchTo) return yield* closing('stop');
    mode = switchTo.mode;
    next = switchTo.next;
  }

  function* closing(reason: FinishReason): Generator<BackendEvent> {
    const rest = emit(decoder.flush());
    if (rest) yield rest;
    yield finish(reason);
  }
}
