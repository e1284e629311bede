// Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`, sub-agents under
// `<session>/subagents/agent-*.jsonl` with `agent-*.meta.json`) -> normalized conversations.
//
// How Claude Code writes them, and what follows:
// - One content block per assistant entry: parallel calls arrive as separate entries sharing
//   `message.id`, chained by `parentUuid`. Consecutive entries of one message are merged;
//   a block seen twice (same message id, request id and block: resumed sessions re-log) once.
// - The conversation is the `parentUuid` chain ending at the latest leaf; other leaves are
//   abandoned branches (edits, retries). A `compact_boundary` system entry starts a new
//   context: the chain is cut there, so the conversation is what the model last saw.
// - The repository is the entry's `cwd` (the project folder name is a lossy encoding of it).
// - Claude Code >= 2.1 names the sub-agent tool `Agent`; the model's vocabulary says `Task`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TOOL_ALIASES } from '../protocol/anthropic-dialect.js';
import { CONVERSATION_VERSION, type AssistantMessage, type Conversation, type ConversationMessage, type ConversationToolCall } from './conversation.js';
import { bump, noteBadLine, type ImportCounts } from './import-counts.js';
import { readJsonlLines } from './jsonl.js';

/** Entry types that carry no message of the conversation. */
const IGNORED_TYPES = new Set(['summary', 'file-history-snapshot', 'queue-operation', 'progress', 'custom-title', 'last-prompt', 'attachment', 'tag']);

export const MISSING_RESULT_TEXT = '<tool_use_error>the transcript holds no result for this call</tool_use_error>';
export const ATTACHMENT_NOTE = '[attachment omitted: the model reads text only]';

interface Entry {
  line: number;
  type: 'user' | 'assistant' | 'system';
  uuid: string;
  parentUuid: string | null;
  timestamp: string;
  fields: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(fields: Record<string, unknown>, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const MODEL_TOOL_NAMES = new Map(Object.entries(TOOL_ALIASES).map(([model, client]) => [client, model]));

function modelToolName(name: string): string {
  return MODEL_TOOL_NAMES.get(name) ?? name;
}

export interface ClaudeCodeFile {
  file: string;
  /** Set for `subagents/agent-*.jsonl`. */
  subagent: boolean;
}

/** Reads the entries of one transcript file, counting what it skips. */
async function readEntries(file: string, counts: ImportCounts): Promise<Entry[]> {
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for await (const parsed of readJsonlLines(file)) {
    if (!parsed.ok) {
      noteBadLine(counts, file, parsed.line, parsed.reason);
      continue;
    }
    if (!isRecord(parsed.value)) {
      noteBadLine(counts, file, parsed.line, 'not a JSON object');
      continue;
    }
    const fields = parsed.value;
    const type = typeof fields.type === 'string' ? fields.type : '(no type)';
    if (type !== 'user' && type !== 'assistant' && type !== 'system') {
      bump(IGNORED_TYPES.has(type) ? counts.ignoredEntries : counts.unknownEntries, type);
      continue;
    }
    const uuid = stringField(fields, 'uuid');
    if (uuid === undefined) {
      noteBadLine(counts, file, parsed.line, `${type} entry without a uuid`);
      continue;
    }
    if (seen.has(uuid)) {
      counts.duplicateEntries += 1;
      continue;
    }
    seen.add(uuid);
    const parentUuid = typeof fields.parentUuid === 'string' ? fields.parentUuid : null;
    entries.push({ line: parsed.line, type, uuid, parentUuid, timestamp: stringField(fields, 'timestamp') ?? '', fields });
  }
  return entries;
}

function isCompactBoundary(entry: Entry): boolean {
  return entry.type === 'system' && entry.fields.subtype === 'compact_boundary';
}

/** The chain from the root (or the last compaction boundary) to the latest leaf. */
function latestChain(entries: readonly Entry[], subagentFile: boolean, counts: ImportCounts): Entry[] {
  // In a main session file, sidechain entries (older Claude Code kept sub-agents inline) are another conversation.
  const candidates = subagentFile ? entries : entries.filter((entry) => entry.fields.isSidechain !== true);
  const byUuid = new Map(entries.map((entry) => [entry.uuid, entry]));
  const parents = new Set(candidates.map((entry) => entry.parentUuid).filter((uuid): uuid is string => uuid !== null));
  const leaves = candidates.filter((entry) => !parents.has(entry.uuid) && entry.type !== 'system');
  if (leaves.length === 0) return [];
  // Latest by timestamp; file order breaks ties (ISO timestamps compare as strings).
  const leaf = leaves.reduce((best, entry) => (entry.timestamp > best.timestamp || (entry.timestamp === best.timestamp && entry.line > best.line) ? entry : best));
  counts.abandonedBranches += leaves.length - 1;
  const chain: Entry[] = [];
  const visited = new Set<string>();
  let current: Entry | undefined = leaf;
  while (current && !visited.has(current.uuid)) {
    visited.add(current.uuid);
    if (isCompactBoundary(current)) {
      counts.compactions += 1;
      break;
    }
    chain.push(current);
    if (current.parentUuid === null) break;
    const parent = byUuid.get(current.parentUuid);
    if (!parent) counts.missingParents += 1;
    current = parent;
  }
  return chain.reverse();
}

type Block = Record<string, unknown>;

function blocksOf(message: unknown): Block[] | string | undefined {
  if (!isRecord(message)) return undefined;
  const content = message.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.filter(isRecord) : undefined;
}

function toolResultText(block: Block): string {
  const content = block.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isRecord)
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ATTACHMENT_NOTE))
    .join('\n');
}

/**
 * Builds the messages of a chain: entries of one assistant message merged (even when results
 * of its first calls were logged between them), results placed after their calls in call order.
 */
function chainMessages(chain: readonly Entry[], counts: ImportCounts): ConversationMessage[] {
  const messages: ConversationMessage[] = [];
  // The latest assistant message, still open to more blocks of the same message id.
  let current: { messageId: string | undefined; message: AssistantMessage; blocks: Set<string> } | undefined;
  let results = new Map<string, { content: string; isError: boolean }>();
  let pendingCalls: ConversationToolCall[] = [];
  const userTexts: string[] = [];

  const flushResults = (): void => {
    for (const call of pendingCalls) {
      const result = call.id === undefined ? undefined : results.get(call.id);
      if (!result) counts.missingResults += 1;
      messages.push({ role: 'tool', ...(call.id === undefined ? {} : { toolCallId: call.id }), name: call.name, content: result?.content ?? MISSING_RESULT_TEXT, isError: result?.isError ?? true });
    }
    pendingCalls = [];
    results = new Map();
    if (userTexts.length > 0) messages.push({ role: 'user', content: userTexts.splice(0).join('\n\n') });
  };

  for (const entry of chain) {
    if (entry.type === 'system') continue;
    const message = entry.fields.message;
    const blocks = blocksOf(message);
    if (blocks === undefined) continue;
    if (entry.type === 'assistant') {
      const messageId = isRecord(message) && typeof message.id === 'string' ? message.id : undefined;
      if (!current || messageId === undefined || current.messageId !== messageId || userTexts.length > 0) {
        flushResults();
        current = { messageId, message: { role: 'assistant', content: '', toolCalls: [] }, blocks: new Set() };
        messages.push(current.message);
        pendingCalls = current.message.toolCalls;
      }
      const requestId = stringField(entry.fields, 'requestId') ?? '';
      for (const block of typeof blocks === 'string' ? [{ type: 'text', text: blocks }] : blocks) {
        const key = `${requestId}\u0000${JSON.stringify(block)}`;
        if (current.blocks.has(key)) {
          counts.duplicateBlocks += 1;
          continue;
        }
        current.blocks.add(key);
        if (block.type === 'text' && typeof block.text === 'string') current.message.content += block.text;
        else if (block.type === 'tool_use' && typeof block.name === 'string') {
          current.message.toolCalls.push({ ...(typeof block.id === 'string' ? { id: block.id } : {}), name: modelToolName(block.name), arguments: isRecord(block.input) ? block.input : {} });
        }
        // thinking / redacted_thinking: the trained model never writes them.
      }
      continue;
    }
    if (typeof blocks === 'string') {
      userTexts.push(blocks);
      continue;
    }
    const texts: string[] = [];
    for (const block of blocks) {
      if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        if (!results.has(block.tool_use_id)) results.set(block.tool_use_id, { content: toolResultText(block), isError: block.is_error === true });
      } else if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      else if (block.type === 'image' || block.type === 'document') texts.push(ATTACHMENT_NOTE);
    }
    if (texts.length > 0) userTexts.push(texts.join('\n'));
  }
  // Calls of a last turn the session never answered get no invented results.
  if (results.size > 0 || userTexts.length > 0) flushResults();
  return messages;
}

async function subagentMeta(file: string): Promise<{ agentType?: string }> {
  const metaFile = file.replace(/\.jsonl$/, '.meta.json');
  try {
    const value: unknown = JSON.parse(await readFile(metaFile, 'utf8'));
    return isRecord(value) && typeof value.agentType === 'string' ? { agentType: value.agentType } : {};
  } catch {
    return {};
  }
}

/** One transcript file -> at most one conversation (the latest branch). */
export async function importClaudeCodeFile(source: ClaudeCodeFile, counts: ImportCounts): Promise<Conversation | undefined> {
  const entries = await readEntries(source.file, counts);
  const chain = latestChain(entries, source.subagent, counts);
  const messages = chainMessages(chain, counts);
  if (!messages.some((message) => message.role === 'assistant')) {
    counts.emptyFiles += 1;
    return undefined;
  }
  const first = (key: string): string | undefined => {
    for (const entry of chain) {
      const value = stringField(entry.fields, key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  let model: string | undefined;
  for (const entry of chain) {
    const message = entry.fields.message;
    if (entry.type === 'assistant' && isRecord(message) && typeof message.model === 'string' && message.model !== '<synthetic>') {
      model = message.model;
      break;
    }
  }
  const sessionId = first('sessionId');
  const agentId = source.subagent ? (first('agentId') ?? path.basename(source.file, '.jsonl').replace(/^agent-/, '')) : undefined;
  const meta = source.subagent ? await subagentMeta(source.file) : {};
  const repo = first('cwd');
  const branch = first('gitBranch');
  const version = first('version');
  return {
    v: CONVERSATION_VERSION,
    id: `cc:${sessionId ?? path.basename(source.file, '.jsonl')}${agentId === undefined ? '' : `:${agentId}`}`,
    origin: {
      source: 'claude-code',
      file: source.file,
      ...(sessionId === undefined ? {} : { sessionId }),
      ...(agentId === undefined ? {} : { agentId }),
      ...(meta.agentType === undefined ? {} : { agentType: meta.agentType }),
      ...(version === undefined ? {} : { version }),
    },
    subagent: source.subagent,
    ...(model === undefined ? {} : { model }),
    ...(repo === undefined ? {} : { repo }),
    ...(branch === undefined ? {} : { branch }),
    messages,
  };
}
