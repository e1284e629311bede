// The one agent loop every feature uses: stream a turn from the backend, parse its tool
// calls while it streams, run all calls of the turn concurrently (results in call order),
// send them back as one user turn, and stop on a final answer, the turn limit, the context
// budget, an error or an abort. State, UI and storage live outside it.
import type { Backend } from '../backends/types.js';
import { LocoError, toLocoError } from '../errors.js';
import { addUsage, emptyUsage, type ChatMessage, type Sampling, type Usage } from '../protocol/messages.js';
import { renderToolResults } from '../protocol/tool-call-codec.js';
import { ToolCallStreamParser, type ParsedPart } from '../protocol/tool-call-parser.js';
import { wrapToolUseError, type Toolbox, type ToolExecution } from '../tools/toolbox.js';
import { estimateMessagesTokens, estimateTokens, fitResults } from './context-budget.js';
import type { AgentEvent, AgentResult, StopReason, ToolCallRecord } from './events.js';

export interface AgentLoopOptions {
  backend: Backend;
  toolbox: Toolbox;
  /** The conversation so far: system prompt and the user's request. */
  messages: ChatMessage[];
  sampling: Sampling;
  maxTurns: number;
  /** Largest prompt, in tokens, the loop will send. */
  contextBudget: number;
  signal?: AbortSignal;
  agentId?: string;
  conversationId?: string;
  model?: string;
}

export const FINAL_TURN_INSTRUCTION =
  'You cannot call tools any more. Answer now with what you have found: a final answer with file paths and line numbers, no tool calls.';

interface PendingCall {
  index: number;
  name: string;
  arguments: Record<string, unknown>;
  repaired: boolean;
  invalid: boolean;
  execution: Promise<ToolExecution>;
}

function invalidCallName(raw: string): string {
  return /"name"\s*:\s*"([^"]{1,64})"/.exec(raw)?.[1] ?? '(invalid)';
}

export async function* runAgentLoop(options: AgentLoopOptions): AsyncGenerator<AgentEvent, AgentResult> {
  const agentId = options.agentId ?? 'main';
  // Tool events name the conversation too, so trace lines join the backend's turn lines.
  const conversation = options.conversationId === undefined ? {} : { conversationId: options.conversationId };
  const started = performance.now();
  const messages = [...options.messages];
  const toolCalls: ToolCallRecord[] = [];
  let usage: Usage = emptyUsage();
  let lastPromptTokens: number | undefined;
  let forceFinal: StopReason | undefined;
  const tools = options.toolbox.signatures();
  const reply = Math.min(options.sampling.maxTokens, Math.floor(options.contextBudget / 4));

  const finish = (answer: string, turns: number, stopReason: StopReason, error?: LocoError): AgentResult => ({
    answer: answer.trim(),
    turns,
    toolCalls,
    usage,
    stopReason,
    messages,
    error,
    durationMs: Math.round(performance.now() - started),
  });

  for (let turn = 1; ; turn++) {
    const final = forceFinal !== undefined || turn > options.maxTurns;
    if (final && forceFinal === undefined) forceFinal = 'max-turns';
    if (final) appendInstruction(messages, FINAL_TURN_INSTRUCTION);
    if (options.signal?.aborted) return finish('', turn - 1, 'aborted');
    yield { agentId, type: 'turn-start', turn, final };

    const turnStarted = performance.now();
    const generation = new AbortController();
    // Tools get their own signal: a failed turn stops them without waiting for their results.
    const toolsAbort = new AbortController();
    const toolSignal = options.signal ? AbortSignal.any([options.signal, toolsAbort.signal]) : toolsAbort.signal;
    // Calls that change files run alone, in call order; reads between them run concurrently.
    let lastWrite: Promise<unknown> = Promise.resolve();
    const onAbort = () => generation.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const parser = new ToolCallStreamParser();
    const pending: PendingCall[] = [];
    let visible = '';
    let invented: number | undefined;
    let rawText = '';
    let outcome: { reason: 'stop' | 'length' | 'aborted'; usage: Usage } | undefined;
    let failure: LocoError | undefined;

    const handle = function* (parts: ParsedPart[]): Generator<AgentEvent> {
      for (const part of parts) {
        if (part.type === 'text') {
          visible += part.text;
          yield { agentId, type: 'text-delta', turn, text: part.text };
        } else if (part.type === 'invented-response') {
          invented = part.offset;
          generation.abort();
        } else if (part.type === 'tool-call' && !final) {
          const call = part.call;
          // Start at once: the model may still be writing its next call.
          const run = () => options.toolbox.execute(call, toolSignal);
          let execution: Promise<ToolExecution>;
          if (options.toolbox.tools.get(call.name)?.readOnly === false) {
            execution = Promise.allSettled(pending.map((earlier) => earlier.execution)).then(run);
            lastWrite = execution;
          } else {
            execution = lastWrite.then(run, run);
          }
          pending.push({ index: part.index, name: call.name, arguments: call.arguments, repaired: part.repaired, invalid: false, execution });
          yield { agentId, ...conversation, type: 'tool-call', turn, index: part.index, name: call.name, arguments: call.arguments, repaired: part.repaired };
        } else if (part.type === 'tool-call-error' && !final) {
          const output = wrapToolUseError(`Error: ${part.message}`);
          const execution = Promise.resolve({ output, isError: true, durationMs: 0, truncated: false });
          pending.push({ index: part.index, name: invalidCallName(part.raw), arguments: {}, repaired: false, invalid: true, execution });
          yield { agentId, ...conversation, type: 'tool-call', turn, index: part.index, name: invalidCallName(part.raw), arguments: {}, repaired: false };
        }
      }
    };

    try {
      for await (const event of options.backend.stream(
        { messages, sampling: options.sampling, conversationId: options.conversationId, model: options.model, tools },
        generation.signal,
      )) {
        if (event.type === 'text-delta') {
          rawText += event.text;
          yield* handle(parser.push(event.text));
        } else if (event.type === 'finish') {
          outcome = { reason: event.reason, usage: event.usage };
          if (event.text.length >= rawText.length) rawText = event.text;
        } else {
          failure = event.error;
        }
      }
    } catch (error) {
      failure = toLocoError(error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    yield* handle(parser.finish());
    if (options.signal?.aborted) {
      await Promise.allSettled(pending.map((call) => call.execution));
      return finish(visible, turn, 'aborted');
    }
    if (failure && !(invented !== undefined && failure.code === 'aborted')) {
      toolsAbort.abort();
      await Promise.allSettled(pending.map((call) => call.execution));
      yield { agentId, type: 'error', error: failure };
      return finish(visible, turn, 'error', failure);
    }
    if (invented !== undefined) rawText = rawText.slice(0, invented).trimEnd();
    const turnUsage = outcome?.usage ?? emptyUsage();
    usage = addUsage(usage, turnUsage);
    lastPromptTokens = turnUsage.promptTokens > 0 ? turnUsage.promptTokens + turnUsage.completionTokens : undefined;
    messages.push({ role: 'assistant', content: rawText });
    yield {
      agentId,
      type: 'turn-end',
      turn,
      rawText,
      usage: turnUsage,
      finishReason: outcome?.reason ?? 'stop',
      durationMs: Math.round(performance.now() - turnStarted),
    };

    if (final || pending.length === 0) return finish(visible, turn, final ? (forceFinal ?? 'max-turns') : 'answer');

    pending.sort((a, b) => a.index - b.index);
    const executions = await Promise.all(pending.map((call) => call.execution));
    pending.forEach((call, position) => {
      const execution = executions[position];
      toolCalls.push({
        turn,
        index: call.index,
        name: call.name,
        arguments: call.arguments,
        ok: !execution.isError,
        repaired: call.repaired,
        invalid: call.invalid,
        durationMs: execution.durationMs,
        resultChars: execution.output.length,
      });
    });
    for (let position = 0; position < pending.length; position++) {
      const call = pending[position];
      const execution = executions[position];
      yield { agentId, ...conversation, type: 'tool-result', turn, index: call.index, name: call.name, ...execution };
    }

    // Context budget: the next prompt is what the backend last saw plus the new turn.
    const promptSoFar = lastPromptTokens ?? estimateMessagesTokens(messages);
    const available = options.contextBudget - promptSoFar - reply - 16 * executions.length;
    let outputs = executions.map((execution) => execution.output);
    const needed = outputs.reduce((sum, output) => sum + estimateTokens(output) + 8, 0);
    if (needed > available) {
      outputs = fitResults(outputs, Math.max(0, available));
      forceFinal = 'context-budget';
    } else if (options.contextBudget - promptSoFar - needed < reply * 2) {
      // The turn after next would not fit a reply: ask for the answer now.
      forceFinal = 'context-budget';
    }
    messages.push({ role: 'user', content: renderToolResults(outputs) });
  }
}

/** Adds an instruction to the last user turn (turns must alternate), or a new user turn. */
function appendInstruction(messages: ChatMessage[], instruction: string): void {
  const last = messages[messages.length - 1];
  if (last?.role === 'user') {
    if (!last.content.endsWith(instruction)) messages[messages.length - 1] = { role: 'user', content: `${last.content}\n\n${instruction}` };
  } else {
    messages.push({ role: 'user', content: instruction });
  }
}

/** Runs the loop to the end, passing every event to `onEvent`. */
export async function runAgent(options: AgentLoopOptions, onEvent?: (event: AgentEvent) => void): Promise<AgentResult> {
  const loop = runAgentLoop(options);
  for (;;) {
    const step = await loop.next();
    if (step.done) {
      onEvent?.({ agentId: options.agentId ?? 'main', ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }), type: 'finish', result: step.value });
      return step.value;
    }
    onEvent?.(step.value);
  }
}
