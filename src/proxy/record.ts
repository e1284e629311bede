// `loco proxy --record DIR`: each conversation the remote route served (the teacher) kept as
// a loco trace, so `loco distill import DIR` can make training data of it. A conversation is
// known by its system text and first user message; every request of it carries the whole
// history, so its file is rewritten (atomically) with the history and the newest answer each
// time. Only message content is written: no header, so no key, ever reaches a record.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import { writeFileAtomic } from '../atomic-write.js';
import { TOOL_ALIASES } from '../protocol/anthropic-dialect.js';
import { renderAssistantTurn } from '../protocol/tool-call-codec.js';
import { scrubValue } from '../trace/secrets.js';
import { traceLine, type UnversionedTraceRecord } from '../trace/writer.js';

type Block = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function textOf(content: unknown): string {
  return blocksOf(content)
    .map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
    .join('');
}

/** The answer's content blocks, from an SSE stream or a JSON message. */
export function answerBlocks(body: Buffer): Block[] | undefined {
  const text = body.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const message: unknown = JSON.parse(trimmed);
      return isRecord(message) && Array.isArray(message.content) ? message.content.filter(isRecord) : undefined;
    } catch {
      return undefined;
    }
  }
  const blocks: Block[] = [];
  const partialJson = new Map<number, string>();
  let failed = false;
  const parser = createParser({
    onEvent(event) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!isRecord(data)) return;
      const index = typeof data.index === 'number' ? data.index : -1;
      if (data.type === 'content_block_start' && isRecord(data.content_block)) blocks[index] = { ...data.content_block };
      else if (data.type === 'content_block_delta' && isRecord(data.delta) && blocks[index]) {
        const delta = data.delta;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') blocks[index].text = `${String(blocks[index].text ?? '')}${delta.text}`;
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') partialJson.set(index, `${partialJson.get(index) ?? ''}${delta.partial_json}`);
      } else if (data.type === 'error') failed = true;
    },
  });
  parser.feed(text);
  for (const [index, json] of partialJson) {
    try {
      blocks[index].input = json.trim() === '' ? {} : JSON.parse(json);
    } catch {
      failed = true;
    }
  }
  return failed ? undefined : blocks.filter(isRecord);
}

const MODEL_NAMES = new Map(Object.entries(TOOL_ALIASES).map(([model, client]) => [client, model]));

/** The request's history plus the answer, as trace records of one conversation. */
export function conversationTrace(body: Record<string, unknown>, answer: Block[]): UnversionedTraceRecord[] {
  const messages = (Array.isArray(body.messages) ? body.messages.filter(isRecord) : []).concat([{ role: 'assistant', content: answer }]);
  const system = typeof body.system === 'string' ? body.system : blocksOf(body.system).map((block) => String(block.text ?? '')).join('\n\n');
  const firstUser = messages.find((message) => message.role === 'user');
  const workingDirectory = /(?:Primary working directory|Working directory): *(\S+)/.exec(system)?.[1];
  const records: UnversionedTraceRecord[] = [
    { type: 'meta', source: 'loco proxy --record', model: String(body.model ?? ''), userText: textOf(firstUser?.content), ...(workingDirectory === undefined ? {} : { dir: workingDirectory }) },
  ];
  let turn = 0;
  for (const [position, message] of messages.entries()) {
    if (message.role !== 'assistant') continue;
    turn += 1;
    const blocks = blocksOf(message.content);
    const calls = blocks.filter((block) => block.type === 'tool_use' && typeof block.name === 'string');
    const callNames = calls.map((call) => MODEL_NAMES.get(String(call.name)) ?? String(call.name));
    const callArguments = calls.map((call) => (isRecord(call.input) ? call.input : {}));
    const text = textOf(blocks);
    records.push({ type: 'assistant', turn, conversationId: 'main', text: renderAssistantTurn(text, callNames.map((name, index) => ({ name, arguments: callArguments[index] }))) });
    calls.forEach((_call, index) => records.push({ type: 'tool-call', conversationId: 'main', turn, index, name: callNames[index], arguments: callArguments[index], repaired: false }));
    const results = blocksOf(messages[position + 1]?.content).filter((block) => block.type === 'tool_result');
    calls.forEach((call, index) => {
      const result = results.find((block) => block.tool_use_id === call.id);
      if (!result) return;
      const output = typeof result.content === 'string' ? result.content : textOf(result.content);
      records.push({ type: 'tool-result', conversationId: 'main', turn, index, name: callNames[index], isError: result.is_error === true, durationMs: 0, output });
    });
  }
  return records;
}

export interface RemoteRecorder {
  /** Writes the conversation of a served request; rejects when the file cannot be written. */
  record(body: Record<string, unknown>, answer: Buffer): Promise<void>;
}

export function createRemoteRecorder(dir: string): RemoteRecorder {
  // One conversation is one file, rewritten as it grows: writes to a file happen in the order
  // the answers were served, and a shorter (earlier) state never overwrites a longer one.
  const files = new Map<string, { turns: number; written: Promise<void> }>();
  return {
    async record(body, answerBytes) {
      const answer = answerBlocks(answerBytes);
      if (!answer) return;
      // The conversation may hold what the tools read (a `.env`, a key file): scrubbed before it reaches the disk.
      const records = conversationTrace(body, answer).map((record) => scrubValue(record, []) as UnversionedTraceRecord);
      const meta = records[0] as { userText?: string };
      const id = createHash('sha1').update(JSON.stringify([body.system ?? '', meta.userText ?? ''])).digest('hex').slice(0, 16);
      const previous = files.get(id);
      if (previous !== undefined && previous.turns > records.length) return previous.written;
      const written = (previous?.written ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => writeFileAtomic(path.join(dir, `${id}.jsonl`), records.map((record) => traceLine(record)).join('')));
      files.set(id, { turns: records.length, written });
      return written;
    },
  };
}
