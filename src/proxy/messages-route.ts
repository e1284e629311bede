// POST /v1/messages and /v1/messages/count_tokens: parse just enough to route, then answer
// locally (falling back to the remote when the local route cannot start) or pass through.
import type { Backend } from '../backends/types.js';
import { estimateMessagesTokens } from '../agent/context-budget.js';
import { nestingProblem } from '../protocol/json-depth.js';
import { countTokensRequestSchema, describeIssues, messagesRequestSchema } from '../protocol/anthropic-messages.js';
import type { ProxyConfig } from './config.js';
import { sendError, sendJson, type Exchange } from './exchange.js';
import type { Fallback } from './fallback.js';
import { offersTools, toolChoiceIssue } from './local-request.js';
import { localConversion, serveLocal } from './local-route.js';
import type { RemoteRecorder } from './record.js';
import type { RemoteClient } from './remote-client.js';
import type { RouteDecision, Router } from './routing.js';

export interface MessagesDeps {
  config: Readonly<ProxyConfig>;
  router: Router;
  local: Backend;
  /** Undefined: no remote; requests routed there get an error. */
  remote?: RemoteClient;
  /** Writes a line to the operator (stderr). */
  note: (line: string) => void;
  /** `--record`: keeps each conversation the remote answered. */
  recorder?: RemoteRecorder;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the body far enough to route; answers 400 itself and returns undefined when it cannot. */
/** Far deeper than any real request; rendering and validation recurse once per level. */
const MAX_BODY_DEPTH = 512;

function readJson(exchange: Exchange, raw: Buffer): Record<string, unknown> | undefined {
  const text = raw.toString('utf8');
  const tooDeep = nestingProblem(text, 'the request body', MAX_BODY_DEPTH);
  if (tooDeep !== undefined) {
    sendError(exchange, 400, tooDeep);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sendError(exchange, 400, `the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (!isRecord(value)) {
    sendError(exchange, 400, 'the request body must be a JSON object');
    return undefined;
  }
  if (typeof value.model !== 'string' || value.model === '') {
    sendError(exchange, 400, 'model: a model name is required');
    return undefined;
  }
  return value;
}

function toolNamesOf(body: Record<string, unknown>): string[] {
  if (!Array.isArray(body.tools)) return [];
  return body.tools.flatMap((tool: unknown) => (isRecord(tool) && typeof tool.name === 'string' ? [tool.name] : []));
}

function decide(exchange: Exchange, body: Record<string, unknown>, deps: MessagesDeps): RouteDecision {
  const model = body.model as string;
  const decision = deps.router.decide({ model, headers: exchange.req.headers, toolNames: toolNamesOf(body) });
  const { record } = exchange;
  record.model = model;
  record.route = decision.target;
  record.reason = decision.reason;
  if (decision.subagent) record.subagent = decision.subagent;
  return decision;
}

async function toRemote(exchange: Exchange, raw: Buffer, body: Record<string, unknown>, model: string | undefined, deps: MessagesDeps, recordAnswer = false): Promise<void> {
  const { record } = exchange;
  record.route = 'remote';
  if (!deps.remote) {
    const why = record.fallback ? `the local route could not answer (${record.fallback}: ${record.fallbackDetail})` : 'this request routes to the remote';
    sendError(exchange, 503, `loco proxy: ${why} and no remote is configured: pass --remote URL`, 'overloaded_error');
    return;
  }
  // Untouched bytes when the model is unchanged: the remote sees exactly what the client sent.
  let payload: Buffer | string = raw;
  if (model !== undefined && model !== body.model) {
    payload = JSON.stringify({ ...body, model });
    record.upstreamModel = model;
  }
  const chunks: Buffer[] = [];
  const recorder = recordAnswer ? deps.recorder : undefined;
  const outcome = await deps.remote.forward(exchange, { method: 'POST', body: payload, ...(recorder ? { onChunk: (chunk: Buffer) => void chunks.push(chunk) } : {}) });
  if (recorder && outcome.status === 200 && outcome.error === undefined && !outcome.clientClosed) {
    await recorder.record(body, Buffer.concat(chunks)).catch((error: unknown) => deps.note(`loco proxy: cannot record ${exchange.record.id}: ${error instanceof Error ? error.message : String(error)}`));
  }
  record.inputTokens = outcome.inputTokens;
  record.outputTokens = outcome.outputTokens;
  if (outcome.firstContentAt !== undefined) record.ttftMs = Math.round((outcome.firstContentAt - exchange.startedAt) * 100) / 100;
  if (outcome.error !== undefined) record.error = outcome.error;
  if (outcome.clientClosed) record.clientClosed = true;
}

function noteFallback(exchange: Exchange, fallback: Fallback, deps: MessagesDeps): void {
  exchange.record.fallback = fallback.reason;
  exchange.record.fallbackDetail = fallback.detail;
  deps.note(`loco proxy: ${exchange.record.id} falls back to the remote (${fallback.reason}): ${fallback.detail}`);
}

export async function handleMessages(exchange: Exchange, raw: Buffer, deps: MessagesDeps): Promise<void> {
  const body = readJson(exchange, raw);
  if (!body) return;
  const decision = decide(exchange, body, deps);
  exchange.record.stream = body.stream === true;
  if (decision.target === 'remote') return toRemote(exchange, raw, body, decision.remoteModel, deps, true);

  const parsed = messagesRequestSchema.safeParse(body);
  if (!parsed.success) return sendError(exchange, 400, describeIssues(parsed.error));
  const choiceIssue = toolChoiceIssue(parsed.data);
  if (choiceIssue !== undefined) return sendError(exchange, 400, choiceIssue);
  const outcome = await serveLocal(exchange, parsed.data, deps.local, deps.config.local);
  if (outcome.kind === 'answered') return;
  noteFallback(exchange, outcome.fallback, deps);
  if (exchange.signal.aborted) {
    exchange.record.clientClosed = true;
    return;
  }
  return toRemote(exchange, raw, body, deps.config.remote.fallbackModel, deps, true);
}

export async function handleCountTokens(exchange: Exchange, raw: Buffer, deps: MessagesDeps): Promise<void> {
  const body = readJson(exchange, raw);
  if (!body) return;
  const decision = decide(exchange, body, deps);
  if (decision.target === 'remote') return toRemote(exchange, raw, body, decision.remoteModel, deps);
  const parsed = countTokensRequestSchema.safeParse(body);
  if (!parsed.success) return sendError(exchange, 400, describeIssues(parsed.error));
  // The local model's view of the request, estimated as the context budget does.
  const conversion = await localConversion(parsed.data, deps.config.local, offersTools(parsed.data.tool_choice));
  const inputTokens = estimateMessagesTokens(conversion.messages);
  exchange.record.inputTokens = inputTokens;
  sendJson(exchange, 200, { input_tokens: inputTokens }, { 'x-loco-route': 'local' });
}
