// loco's own traces (`loco ask --trace`, `loco batch` runs, `loco proxy --record`) ->
// normalized conversations, one per `conversationId` (the main agent and each Task child).
// Lines are validated by the one trace reader (src/trace); a bad line is skipped and named.
//
// The trace keeps the turns, calls and results but not the prompt text, which the explorer
// builds the same way every time: the user turn is `userPrompt(question, dir)` and a child's
// is `userPrompt(Task prompt, dir)`, the child found by the id its Task result names. The
// system prompt is left to `build`, which writes the training prompt for every source.
// A `userText` in the meta line (`loco proxy --record`) is the first user message verbatim.
import path from 'node:path';
import { userPrompt } from '../agent/explorer.js';
import { LocoError } from '../errors.js';
import { parseAssistantText } from '../protocol/tool-call-parser.js';
import { parseTrace } from '../trace/reader.js';
import type { TraceAssistantRecord, TraceFinishRecord, TraceMetaRecord, TraceRecord, TraceToolCallRecord, TraceToolResultRecord } from '../trace/records.js';
import { CONVERSATION_VERSION, type Conversation, type ConversationMessage } from './conversation.js';
import { noteBadLine, type ImportCounts } from './import-counts.js';
import { readJsonlLines } from './jsonl.js';

interface Thread {
  turns: TraceAssistantRecord[];
  calls: TraceToolCallRecord[];
  results: TraceToolResultRecord[];
  errors: number;
  finish?: TraceFinishRecord;
}

const MAIN = 'main';

function threadOf(threads: Map<string, Thread>, id: string | undefined): Thread {
  const key = id ?? MAIN;
  let thread = threads.get(key);
  if (!thread) {
    thread = { turns: [], calls: [], results: [], errors: 0 };
    threads.set(key, thread);
  }
  return thread;
}

function stringMeta(meta: TraceMetaRecord | undefined, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = (meta as Record<string, unknown> | undefined)?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function threadMessages(thread: Thread, firstUser: string): ConversationMessage[] {
  const messages: ConversationMessage[] = [{ role: 'user', content: firstUser }];
  // The recording backend numbers turns across conversations; the loop numbers each conversation's from 1.
  thread.turns.forEach((record, position) => {
    const turn = position + 1;
    const parsed = parseAssistantText(record.text);
    const recorded = thread.calls.filter((call) => call.turn === turn).sort((a, b) => a.index - b.index);
    const calls = recorded.length > 0 ? recorded.map((call) => ({ name: call.name, arguments: call.arguments })) : parsed.calls.map((call) => ({ name: call.call.name, arguments: call.call.arguments }));
    messages.push({ role: 'assistant', content: parsed.text.trim(), toolCalls: calls });
    const results = thread.results.filter((result) => result.turn === turn).sort((a, b) => a.index - b.index);
    for (const result of results) messages.push({ role: 'tool', name: result.name, content: result.output, isError: result.isError });
  });
  return messages;
}

/** The Task call whose result names `agentId`, from any thread. */
function taskPromptFor(agentId: string, threads: Map<string, Thread>): string | undefined {
  for (const thread of threads.values()) {
    for (const result of thread.results) {
      if (result.name !== 'Task' || !result.output.includes(agentId)) continue;
      const call = thread.calls.find((candidate) => candidate.turn === result.turn && candidate.index === result.index);
      const prompt = call?.arguments.prompt;
      if (typeof prompt === 'string') return prompt;
    }
  }
  return undefined;
}

/** One trace file -> its conversations (main first). */
export async function importLocoTrace(file: string, counts: ImportCounts): Promise<Conversation[]> {
  let meta: TraceMetaRecord | undefined;
  const threads = new Map<string, Thread>();
  for await (const parsed of readJsonlLines(file)) {
    if (!parsed.ok) {
      noteBadLine(counts, file, parsed.line, parsed.reason);
      continue;
    }
    let records: TraceRecord[];
    try {
      records = parseTrace(JSON.stringify(parsed.value), file);
    } catch (error) {
      noteBadLine(counts, file, parsed.line, error instanceof LocoError ? error.message.replace(/^trace [^:]*:\d+: /, '') : String(error));
      continue;
    }
    const record = records[0];
    if (!record) {
      const type = (parsed.value as { type?: unknown }).type;
      counts.unknownEntries[String(type)] = (counts.unknownEntries[String(type)] ?? 0) + 1;
      continue;
    }
    if (record.type === 'meta') meta ??= record;
    else if (record.type === 'assistant') threadOf(threads, record.conversationId).turns.push(record);
    else if (record.type === 'error') threadOf(threads, record.conversationId).errors += 1;
    else if (record.type === 'tool-call') threadOf(threads, record.conversationId).calls.push(record);
    else if (record.type === 'tool-result') threadOf(threads, record.conversationId).results.push(record);
    else threadOf(threads, record.conversationId).finish = record;
  }
  const question = stringMeta(meta, 'prompt', 'question', 'query');
  const dir = stringMeta(meta, 'dir', 'repo', 'cwd');
  const cwd = dir === undefined ? undefined : path.resolve(dir);
  const conversations: Conversation[] = [];
  const base = path.basename(file, '.jsonl');
  for (const [id, thread] of threads) {
    const subagent = id.startsWith('agent-');
    // `loco proxy --record` keeps the client's own first message; the explorer builds it from question and dir.
    const userText = subagent ? undefined : stringMeta(meta, 'userText');
    const prompt = subagent ? taskPromptFor(id, threads) : question;
    const firstUser = userText ?? (prompt !== undefined && cwd !== undefined ? userPrompt(prompt, cwd) : undefined);
    if (firstUser === undefined || thread.turns.length === 0) {
      counts.emptyFiles += 1;
      continue;
    }
    const model = stringMeta(meta, 'model');
    const commit = stringMeta(meta, 'commit');
    const outcome = thread.finish?.stopReason ?? (thread.errors > 0 ? 'error' : undefined);
    conversations.push({
      v: CONVERSATION_VERSION,
      id: `loco:${base}:${id}`,
      origin: { source: 'loco-trace', file, ...(subagent ? { agentId: id } : {}) },
      subagent,
      ...(model === undefined ? {} : { model }),
      ...(cwd === undefined ? {} : { repo: cwd }),
      ...(commit === undefined ? {} : { commit }),
      ...(outcome === undefined ? {} : { outcome }),
      messages: threadMessages(thread, firstUser),
    });
  }
  return conversations;
}
