// The one agent loop every feature uses: stream a turn from the backend, parse its tool
// calls while it streams, run all calls of the turn concurrently (results in call order),
// send them back as one user turn, and stop on a final answer, the turn limit, the context
// budget, an error or an abort. State, UI and storage live outside it.
import { isTurnEnd, streamTurn, type TurnEnd } from '../backends/turn-stream.js';
import type { Backend } from '../backends/types.js';
import type { LocoError } from '../errors.js';
import { addUsage, emptyUsage, type ChatMessage, type Sampling, type Usage } from '../protocol/messages.js';
import { fillTemplate } from '../protocol/profile.js';
import { renderToolResults } from '../protocol/tool-call-codec.js';
import type { Toolbox } from '../tools/toolbox.js';
import { CallScheduler, callRecord } from './call-scheduler.js';
import { budgetToolResults } from './context-budget.js';
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
  /** The message asking for the answer at the turn limit; default the training one, appended. */
  finalMessage?: FinalMessage;
  /** False: a turn's calls run one after another. Default true. */
  parallelCalls?: boolean;
  /** A reminder added after each turn's tool results (a profile's `reminders.turnsLeft`), `{turns_left}` filled in. */
  turnsLeft?: string;
}

/**
 * The turn-limit message: appended to the last user turn, or a message of its own. An
 * `assistant` one is its own turn to the embedded engine; OpenAI-compatible servers may
 * instead continue it as a prefill.
 */
export interface FinalMessage {
  text: string;
  role?: 'user' | 'assistant';
  placement: 'append' | 'separate';
}

export const FINAL_TURN_INSTRUCTION =
  'You cannot call tools any more. Answer now with what you have found: a final answer with file paths and line numbers, no tool calls.';

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
  const replyTokens = Math.min(options.sampling.maxTokens, Math.floor(options.contextBudget / 4));

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
    if (final) appendInstruction(messages, options.finalMessage ?? { text: FINAL_TURN_INSTRUCTION, placement: 'append' });
    if (options.signal?.aborted) return finish('', turn - 1, 'aborted');
    yield { agentId, type: 'turn-start', turn, final };

    const calls = new CallScheduler(options.toolbox, options.signal, options.parallelCalls ?? true);
    const request = { messages, sampling: options.sampling, conversationId: options.conversationId, model: options.model, tools };
    let visible = '';
    let end: TurnEnd | undefined;
    for await (const part of streamTurn(options.backend, request, options.signal)) {
      if (part.type === 'text') {
        visible += part.text;
        yield { agentId, type: 'text-delta', turn, text: part.text };
      } else if ((part.type === 'tool-call' || part.type === 'tool-call-error') && !final) {
        const call = part.type === 'tool-call' ? calls.start(part.index, part.call, part.repaired) : calls.reject(part.index, part.raw, part.message);
        yield { agentId, ...conversation, type: 'tool-call', turn, index: call.index, name: call.name, arguments: call.arguments, repaired: call.repaired };
      } else if (isTurnEnd(part)) {
        end = part;
      }
    }
    if (end === undefined || end.type === 'aborted') {
      await calls.drain();
      return finish(visible, turn, 'aborted');
    }
    if (end.type === 'error') {
      await calls.cancel();
      yield { agentId, type: 'error', error: end.error };
      return finish(visible, turn, 'error', end.error);
    }
    usage = addUsage(usage, end.usage);
    lastPromptTokens = end.usage.promptTokens > 0 ? end.usage.promptTokens + end.usage.completionTokens : undefined;
    messages.push({ role: 'assistant', content: end.rawText });
    yield { agentId, type: 'turn-end', turn, rawText: end.rawText, usage: end.usage, finishReason: end.reason, durationMs: end.durationMs };
    if (final || calls.size === 0) return finish(visible, turn, final ? (forceFinal ?? 'max-turns') : 'answer');

    const settled = await calls.settle();
    for (const call of settled) toolCalls.push(callRecord(turn, call));
    for (const call of settled) yield { agentId, ...conversation, type: 'tool-result', turn, index: call.index, name: call.name, ...call.result };
    const fitted = budgetToolResults(
      settled.map((call) => call.result.output),
      messages,
      { contextBudget: options.contextBudget, lastPromptTokens, replyTokens },
    );
    if (fitted.final) forceFinal = 'context-budget';
    const reminder = options.turnsLeft === undefined ? '' : `\n${fillTemplate(options.turnsLeft, { turns_left: String(Math.max(0, options.maxTurns - turn)) })}`;
    messages.push({ role: 'user', content: renderToolResults(fitted.outputs) + reminder });
  }
}

/**
 * Adds an instruction to the last user turn (turns alternate), or as a message of its own
 * (`separate`, as harnesses that send tool results as `tool` messages do; always for an
 * assistant-role one).
 */
export function appendInstruction(messages: ChatMessage[], message: FinalMessage): void {
  const instruction = message.text;
  const role = message.role ?? 'user';
  const last = messages[messages.length - 1];
  if (message.placement === 'separate' || role === 'assistant') {
    if (!(last?.role === role && last.content === instruction)) messages.push({ role, content: instruction });
    return;
  }
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
