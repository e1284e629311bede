// `loco distill build`: streams normalized conversations through the filters, each drop
// counted under its filter, and writes the training files of both splits, stats.json, the
// `swift sft` script and the held-out conversations `eval-set` cuts samples from. Only hashes
// (dedupe) and counters stay in memory; every output is written to a temporary file and
// renamed into place when the whole build succeeded (nothing under --dry-run).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { LocoError } from '../errors.js';
import type { ChatMessage } from '../protocol/messages.js';
import { buildSystemPrompt, type SystemPromptStyle, type ToolSignature } from '../protocol/system-prompt.js';
import { evalToolSignatures } from '../eval/tool-schemas.js';
import { countDrop, countKept, emptyBuildStats, type BuildStats } from './build-stats.js';
import { conversationSchema, type Conversation, type ConversationMessage } from './conversation.js';
import { DuplicateFilter } from './dedupe.js';
import { checkCalls, shapeProblem, unrecoverableError, type InvalidCallPolicy, type ShapeOptions } from './filters.js';
import { openAIRow, sharegptRow, swiftRow } from './formats.js';
import { formatBuildReport } from './report-html.js';
import { readJsonlLines, withAtomicJsonlWriters, type AtomicJsonlWriter } from './jsonl.js';
import { chatMlText, normalizeMessages, toDialectTurns } from './render.js';
import { scrubText, scrubValue, type SecretFinding } from '../trace/secrets.js';
import { swiftSftScript } from './swift-command.js';
import { loadQwen3Tokenizer, turnTokenCounts, type TokenCounter } from './tokenizer.js';

export type OutputFormat = 'swift' | 'sharegpt' | 'openai';
export type LengthPolicy = 'delete' | 'cut';

export interface BuildOptions {
  input: string;
  outDir: string;
  shape: ShapeOptions;
  invalidCalls: InvalidCallPolicy;
  /** Drop conversations with errors the teacher did not recover from. */
  dropUnrecoverable: boolean;
  scrubSecrets: boolean;
  nearDuplicateThreshold: number;
  maxLength: number;
  lengthPolicy: LengthPolicy;
  /** Share of repositories held out for validation (by a hash of the repo path). */
  validationRatio: number;
  promptStyle: SystemPromptStyle;
  formats: readonly OutputFormat[];
  dryRun: boolean;
  /** Under --dry-run: each redaction found. */
  onRedaction?: (conversationId: string, finding: SecretFinding) => void;
  /** For tests and benchmarks; default: the real Qwen3 tokenizer. */
  tokenizer?: TokenCounter;
}

export interface BuildResult {
  stats: BuildStats;
  files: string[];
}

export function splitOf(repo: string | undefined, ratio: number): 'train' | 'validation' {
  if (repo === undefined || ratio <= 0) return 'train';
  const value = createHash('sha1').update(repo).digest().readUInt32BE(0) / 0x100000000;
  return value < ratio ? 'validation' : 'train';
}

function scrubConversation(conversation: Conversation, findings: SecretFinding[]): Conversation {
  const messages = conversation.messages.map((message): ConversationMessage => {
    if (message.role === 'assistant') {
      return { ...message, content: scrubText(message.content, findings), toolCalls: message.toolCalls.map((call) => ({ ...call, arguments: scrubValue(call.arguments, findings) as Record<string, unknown> })) };
    }
    return { ...message, content: scrubText(message.content, findings) };
  });
  return { ...conversation, messages };
}

/** The longest prefix of whole turns that fits, ending on an assistant turn; undefined when none does. */
function cutToFit(turns: ChatMessage[], counts: number[], maxLength: number): number | undefined {
  let total = 0;
  let best: number | undefined;
  for (let index = 0; index < turns.length; index++) {
    total += counts[index];
    if (total > maxLength) break;
    if (turns[index].role === 'assistant') best = index + 1;
  }
  return best;
}

/** Messages whose dialect turns are the first `turnCount` turns (system first). */
function messagesForTurns(messages: readonly ConversationMessage[], turnCount: number): ConversationMessage[] {
  // Turn 0 is the system prompt; each assistant message and each user turn (results with their text) is one more.
  let turns = 1;
  let previous: ConversationMessage['role'] | undefined;
  for (let index = 0; index < messages.length; index++) {
    const role = messages[index].role === 'tool' ? 'user' : messages[index].role;
    if (role !== previous) turns += 1;
    previous = role;
    if (turns > turnCount) return messages.slice(0, index);
  }
  return [...messages];
}

export async function buildDataset(options: BuildOptions): Promise<BuildResult> {
  await checkReadable(options.input, 'run `loco distill import` first');
  const stats = emptyBuildStats(options.maxLength);
  const tokenizer = options.tokenizer ?? (await loadQwen3Tokenizer());
  const signatures: ToolSignature[] = evalToolSignatures().filter((tool) => options.shape.tools.has(tool.name));
  const system = buildSystemPrompt(options.promptStyle, signatures);
  const toolsJson = options.promptStyle === 'qwen-tools' ? JSON.stringify(signatures.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }))) : undefined;
  const duplicates = new DuplicateFilter(options.nearDuplicateThreshold);
  const repos = { train: new Set<string>(), validation: new Set<string>() };
  const splits = ['train', 'validation'] as const;
  const names = [...splits.flatMap((split) => [...options.formats.map((format) => `${split}.${format}.jsonl`), `${split}.conversations.jsonl`])];
  const files = names.map((name) => path.join(options.outDir, name));

  const run = async (writers: AtomicJsonlWriter[] | undefined): Promise<void> => {
    const writerFor = (name: string): AtomicJsonlWriter | undefined => writers?.[names.indexOf(name)];
    for await (const line of readJsonlLines(options.input)) {
      stats.input += 1;
      if (!line.ok) {
        stats.badLines += 1;
        countDrop(stats, 'input', line.reason.startsWith('not UTF-8') ? 'not UTF-8' : 'not JSON');
        continue;
      }
      const parsed = conversationSchema.safeParse(line.value);
      if (!parsed.success) {
        stats.badLines += 1;
        countDrop(stats, 'input', 'not a conversation record (run `loco distill import` first)');
        continue;
      }
      let conversation = parsed.data;
      const shape = shapeProblem(conversation, options.shape);
      if (shape) {
        countDrop(stats, 'shape', shape.startsWith('calls ') ? 'calls a tool outside the explorer set' : shape);
        continue;
      }
      const checked = checkCalls(conversation, options.invalidCalls);
      stats.calls.invalid += checked.invalid;
      stats.calls.repaired += checked.repaired;
      if (!checked.conversation) {
        countDrop(stats, 'schema', checked.problem?.includes('empty arguments') ? 'call with empty arguments' : 'invalid call');
        continue;
      }
      conversation = checked.conversation;
      if (options.dropUnrecoverable) {
        const error = unrecoverableError(conversation);
        if (error) {
          countDrop(stats, 'errors', error);
          continue;
        }
      }
      if (options.scrubSecrets) {
        const findings: SecretFinding[] = [];
        conversation = scrubConversation(conversation, findings);
        if (findings.length > 0) stats.secrets.conversations += 1;
        for (const finding of findings) {
          stats.secrets.redactions[finding.kind] = (stats.secrets.redactions[finding.kind] ?? 0) + 1;
          options.onRedaction?.(conversation.id, finding);
        }
      }
      // Every row gets the training prompt; a source's own system text is not what the model sees.
      const normalized = normalizeMessages(conversation.messages.filter((message) => message.role !== 'system'));
      stats.mergedMessages += normalized.merged;
      let messages = normalized.messages;
      if (!messages.some((message) => message.role === 'assistant')) {
        countDrop(stats, 'shape', 'no assistant message');
        continue;
      }
      let turns = toDialectTurns({ messages }, { systemPrompt: system });
      const verdict = duplicates.check(chatMlText(turns.slice(1)));
      if (verdict !== 'unique') {
        countDrop(stats, 'duplicates', verdict === 'exact' ? 'exact' : 'near');
        continue;
      }
      let counts = turnTokenCounts(tokenizer, turns);
      let tokens = counts.reduce((sum, count) => sum + count, 0);
      if (tokens > options.maxLength) {
        const keep = options.lengthPolicy === 'cut' ? cutToFit(turns, counts, options.maxLength) : undefined;
        if (keep === undefined || keep < 3) {
          countDrop(stats, 'length', options.lengthPolicy === 'cut' ? 'no turn boundary fits' : `over ${options.maxLength} tokens`);
          continue;
        }
        stats.cutToLength += 1;
        messages = messagesForTurns(messages, keep);
        turns = turns.slice(0, keep);
        counts = counts.slice(0, keep);
        tokens = counts.reduce((sum, count) => sum + count, 0);
      }
      const split = splitOf(conversation.repo, options.validationRatio);
      stats.kept[split] += 1;
      if (conversation.repo !== undefined) repos[split].add(conversation.repo);
      countKept(stats, turns.filter((turn) => turn.role === 'assistant').length, tokens);
      for (const message of messages) if (message.role === 'assistant') for (const call of message.toolCalls) stats.tools[call.name] = (stats.tools[call.name] ?? 0) + 1;
      if (!writers) continue;
      for (const format of options.formats) {
        const row = format === 'swift' ? swiftRow(system, messages, stats.formats, toolsJson) : format === 'sharegpt' ? sharegptRow(turns) : openAIRow(system, messages);
        await writerFor(`${split}.${format}.jsonl`)?.write(row);
      }
      await writerFor(`${split}.conversations.jsonl`)?.write({ ...conversation, messages });
    }
  };

  if (options.dryRun) await run(undefined);
  else await withAtomicJsonlWriters(files, run);
  stats.repos = { train: repos.train.size, validation: repos.validation.size };
  if (options.dryRun) return { stats, files: [] };
  const stamp = (name: string) => path.join(options.outDir, name);
  await writeFileAtomic(stamp('stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
  await writeFileAtomic(stamp('splits.json'), `${JSON.stringify({ train: [...repos.train].sort(), validation: [...repos.validation].sort() }, null, 2)}\n`);
  await writeFileAtomic(stamp('train.sh'), swiftSftScript({ maxLength: options.maxLength }), { mode: 0o755 });
  await writeFileAtomic(stamp('report.html'), formatBuildReport(stats));
  return { stats, files: [...files, stamp('stats.json'), stamp('splits.json'), stamp('train.sh'), stamp('report.html')] };
}

/** A usage error naming the file and what to do, before any output is started. */
export async function checkReadable(file: string, fix: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new LocoError('usage', `cannot read ${file}: ${reason} (${fix})`);
  }
}

export function checkBuildOptions(options: Pick<BuildOptions, 'maxLength' | 'validationRatio' | 'nearDuplicateThreshold'>): void {
  if (!Number.isInteger(options.maxLength) || options.maxLength < 64) throw new LocoError('usage', `--max-length must be a whole number of tokens, at least 64 (got ${options.maxLength})`);
  if (!(options.validationRatio >= 0 && options.validationRatio < 1)) throw new LocoError('usage', `--validation-ratio must be from 0 to below 1 (got ${options.validationRatio})`);
  if (!(options.nearDuplicateThreshold > 0 && options.nearDuplicateThreshold <= 1)) throw new LocoError('usage', `--near-duplicates must be a similarity above 0, at most 1 (got ${options.nearDuplicateThreshold})`);
}
