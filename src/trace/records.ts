// The trace format: one JSON record per line, written by `loco ask --trace`, `loco batch`
// and the recording backend, read by the fake backend (replay) and every later reader.
//
// Versions: lines written now carry `"v": 2`. Lines without `v` are version 1 (traces
// written before the format was versioned); they differ only in that tool lines named the
// conversation `agentId`, which the reader maps to `conversationId`.
//
// Kinds:
//   meta         first line of a trace: what was asked, of which backend, when (free fields)
//   assistant    one backend turn as recorded: text, the chunks as received, usage, finish
//   error        one backend turn that failed: the chunks before the failure, the error
//   tool-call    a call the model made, with its parsed arguments
//   tool-result  what the tool answered
//   finish       the main agent's result (without the message list)
// `conversationId` names the conversation a record belongs to, across kinds.
import { z } from 'zod';
import type { LocoErrorCode } from '../errors.js';

export const TRACE_VERSION = 2;

export const TRACE_ERROR_CODES = [
  'usage',
  'config',
  'backend-unreachable',
  'backend-http',
  'backend-protocol',
  'backend-timeout',
  'context-overflow',
  'aborted',
  'io',
  'internal',
] as const satisfies readonly LocoErrorCode[];
// Fails to compile when errors.ts gains a code this list lacks.
type UnlistedCode = Exclude<LocoErrorCode, (typeof TRACE_ERROR_CODES)[number]>;
const everyCodeListed: [UnlistedCode] extends [never] ? true : false = true;
void everyCodeListed;

const count = z.number().int().nonnegative();
const version = z.number().int().positive().optional();
const conversationId = z.string().optional();
const usage = z.object({ promptTokens: count, cachedTokens: count, completionTokens: count });

export const traceRecordSchemas = {
  meta: z.looseObject({ type: z.literal('meta'), v: version, startedAt: z.string().optional() }),
  // Hand-written replay scripts give as little as `text`; `match` routes an entry by the
  // last user message (backends/fake.ts).
  assistant: z.object({
    type: z.literal('assistant'),
    v: version,
    turn: z.number().int().positive().optional(),
    conversationId,
    text: z.string(),
    chunks: z.array(z.string()).optional(),
    usage: z.object({ promptTokens: count.optional(), cachedTokens: count.optional(), completionTokens: count.optional() }).optional(),
    finishReason: z.enum(['stop', 'length', 'aborted']).optional(),
    durationMs: z.number().nonnegative().optional(),
    match: z.string().optional(),
  }),
  error: z.object({
    type: z.literal('error'),
    v: version,
    turn: z.number().int().positive().optional(),
    conversationId,
    error: z.object({ code: z.enum(TRACE_ERROR_CODES), message: z.string(), retryable: z.boolean().optional(), status: z.number().int().optional() }),
    chunks: z.array(z.string()).optional(),
    durationMs: z.number().nonnegative().optional(),
    match: z.string().optional(),
  }),
  'tool-call': z.object({
    type: z.literal('tool-call'),
    v: version,
    conversationId,
    turn: z.number().int().positive(),
    index: count,
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()),
    repaired: z.boolean(),
  }),
  'tool-result': z.object({
    type: z.literal('tool-result'),
    v: version,
    conversationId,
    turn: z.number().int().positive(),
    index: count,
    name: z.string(),
    isError: z.boolean(),
    durationMs: z.number().nonnegative(),
    output: z.string(),
  }),
  finish: z.object({
    type: z.literal('finish'),
    v: version,
    conversationId,
    answer: z.string(),
    turns: count,
    toolCalls: z.array(
      z.object({
        turn: z.number().int().positive(),
        index: count,
        name: z.string(),
        arguments: z.record(z.string(), z.unknown()),
        ok: z.boolean(),
        repaired: z.boolean(),
        invalid: z.boolean(),
        durationMs: z.number().nonnegative(),
        resultChars: count,
      }),
    ),
    usage,
    stopReason: z.enum(['answer', 'max-turns', 'context-budget', 'aborted', 'error']),
    durationMs: z.number().nonnegative(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
} as const;

export type TraceRecordKind = keyof typeof traceRecordSchemas;
export type TraceMetaRecord = z.infer<(typeof traceRecordSchemas)['meta']>;
export type TraceAssistantRecord = z.infer<(typeof traceRecordSchemas)['assistant']>;
export type TraceErrorRecord = z.infer<(typeof traceRecordSchemas)['error']>;
export type TraceToolCallRecord = z.infer<(typeof traceRecordSchemas)['tool-call']>;
export type TraceToolResultRecord = z.infer<(typeof traceRecordSchemas)['tool-result']>;
export type TraceFinishRecord = z.infer<(typeof traceRecordSchemas)['finish']>;
export type TraceRecord = TraceMetaRecord | TraceAssistantRecord | TraceErrorRecord | TraceToolCallRecord | TraceToolResultRecord | TraceFinishRecord;
/** A backend turn, as the fake backend replays it. */
export type TraceTurnRecord = TraceAssistantRecord | TraceErrorRecord;

export const TRACE_RECORD_KINDS = Object.keys(traceRecordSchemas) as TraceRecordKind[];

export function isTraceRecordKind(type: unknown): type is TraceRecordKind {
  return typeof type === 'string' && Object.hasOwn(traceRecordSchemas, type);
}
