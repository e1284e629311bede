// `loco distill eval-set`: held-out conversations (build's validation.conversations.jsonl,
// repos never in training) cut into `loco eval` samples the way the model card's 65 were
// made: a prefix of 3 to 33 messages in OpenAI chat shape, and the teacher's next assistant
// message, as raw dialect text, for the label. One sample per conversation, the cut chosen by
// a seeded generator so a set can be made again.
import { readFile } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import { buildSystemPrompt, type SystemPromptStyle } from '../protocol/system-prompt.js';
import { renderAssistantTurn } from '../protocol/tool-call-codec.js';
import { evalToolSignatures } from '../eval/tool-schemas.js';
import { conversationSchema, type ConversationMessage } from './conversation.js';
import { readJsonlLines, createAtomicJsonlWriter } from './jsonl.js';
import { checkReadable } from './build.js';
import { readOnlyToolNames } from './filters.js';
import { trainingResultText } from './render.js';
import { seededRandom } from '../random.js';

export interface EvalSetOptions {
  input: string;
  out: string;
  /** Most samples to write (the card used 65). */
  count: number;
  minPrefix: number;
  maxPrefix: number;
  seed: number;
  promptStyle: SystemPromptStyle;
  /** build's splits.json: conversations from a repository listed under `train` are refused. */
  splitsFile?: string;
}

export interface EvalSetResult {
  samples: number;
  conversations: number;
  /** Conversations with no message position that fits the prefix range. */
  noCut: number;
  /** Conversations from a training repository (never sampled). */
  trainingRepo: number;
  badLines: number;
}

type OpenAIShape = Record<string, unknown>;

function openAIMessages(system: string, messages: readonly ConversationMessage[]): OpenAIShape[] {
  const out: OpenAIShape[] = [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'assistant') {
      out.push({ role: 'assistant', content: message.content.trim(), ...(message.toolCalls.length === 0 ? {} : { tool_calls: message.toolCalls.map((call) => ({ type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } })) }) });
    } else if (message.role === 'tool') out.push({ role: 'tool', content: trainingResultText(message) });
    else if (message.role === 'user') out.push({ role: 'user', content: message.content });
  }
  return out;
}

/**
 * Prefix lengths (in OpenAI messages, the system one counted) after which the next message is
 * an assistant turn. A user text right after tool results is left out as a cut point and ends
 * the search: eval renders it as a turn of its own, training joins it to the results.
 */
function cutPoints(shape: readonly OpenAIShape[], min: number, max: number): number[] {
  const points: number[] = [];
  for (let length = 1; length < shape.length && length <= max; length++) {
    if (shape[length - 1].role === 'user' && shape[length - 2]?.role === 'tool') break;
    if (length >= min && shape[length].role === 'assistant') points.push(length);
  }
  return points;
}

async function trainingRepos(file: string | undefined): Promise<Set<string>> {
  if (file === undefined) return new Set();
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as { train?: unknown };
    return new Set(Array.isArray(value.train) ? value.train.filter((repo): repo is string => typeof repo === 'string') : []);
  } catch (error) {
    throw new LocoError('usage', `cannot read ${file}: ${(error as Error).message} (give build's splits.json)`);
  }
}

export async function makeEvalSet(options: EvalSetOptions): Promise<EvalSetResult> {
  if (options.minPrefix < 2 || options.maxPrefix < options.minPrefix) throw new LocoError('usage', `the prefix range must be at least 2 messages and min <= max (got ${options.minPrefix}-${options.maxPrefix})`);
  await checkReadable(options.input, "give build's validation.conversations.jsonl");
  const random = seededRandom(options.seed);
  const excluded = await trainingRepos(options.splitsFile);
  const system = buildSystemPrompt(options.promptStyle, evalToolSignatures().filter((tool) => readOnlyToolNames().has(tool.name)));
  const result: EvalSetResult = { samples: 0, conversations: 0, noCut: 0, trainingRepo: 0, badLines: 0 };
  const writer = await createAtomicJsonlWriter(options.out);
  try {
    for await (const line of readJsonlLines(options.input)) {
      if (result.samples >= options.count) break;
      const parsed = line.ok ? conversationSchema.safeParse(line.value) : undefined;
      if (!parsed?.success) {
        result.badLines += 1;
        continue;
      }
      const conversation = parsed.data;
      result.conversations += 1;
      if (conversation.repo !== undefined && excluded.has(conversation.repo)) {
        result.trainingRepo += 1;
        continue;
      }
      const shape = openAIMessages(system, conversation.messages);
      const points = cutPoints(shape, options.minPrefix, options.maxPrefix);
      if (points.length === 0) {
        result.noCut += 1;
        continue;
      }
      const cut = points[Math.floor(random() * points.length)];
      // shape[0] is the system prompt; shape[i] is conversation.messages' (i-1)-th kept message.
      const next = conversation.messages.filter((message) => message.role !== 'system')[cut - 1];
      if (next?.role !== 'assistant') continue;
      await writer.write({
        id: `${conversation.id}@${cut}`,
        messages: shape.slice(0, cut),
        label: renderAssistantTurn(next.content, next.toolCalls),
        meta: { conversation: conversation.id, ...(conversation.repo === undefined ? {} : { repo: conversation.repo }), prefixMessages: cut, source: conversation.origin.source },
      });
      result.samples += 1;
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return result;
}
