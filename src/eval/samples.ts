// Eval samples: one JSON object per line, `{"id", "messages", "label", "meta"?}`, where
// `messages` is the conversation prefix in OpenAI chat shape and `label` is the teacher's
// next assistant message as raw dialect text. Every line is checked before any generation,
// and every bad line is reported with its number, so a long run never dies on line 900.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LocoError } from '../errors.js';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(textPart), z.null()]);

const openAIToolCall = z.object({
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({
    name: z.string().min(1),
    // OpenAI sends a JSON string; some exporters write the object itself.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
  }),
});

// Messages are loose (exporters add `name`, `reasoning_content`, ...); the sample itself is
// strict, so a misspelt top-level key ("lable") is caught rather than silently ignored.
const openAIMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content }),
  // OpenAI's newer name for the system role.
  z.object({ role: z.literal('developer'), content }),
  z.object({ role: z.literal('user'), content }),
  z.object({ role: z.literal('assistant'), content: content.optional(), tool_calls: z.array(openAIToolCall).optional() }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().optional() }),
]);

const sampleLine = z.strictObject({
  id: z.union([z.string().min(1), z.number()]),
  messages: z.array(openAIMessage).min(1),
  label: z.string(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export type OpenAIMessage = z.infer<typeof openAIMessage>;

/** An assistant tool call with its arguments decoded to an object. */
export interface SampleToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type SampleMessage =
  | { role: 'system' | 'user' | 'tool'; content: string }
  | { role: 'assistant'; content: string; toolCalls: SampleToolCall[] };

export interface EvalSample {
  id: string;
  /** 1-based line in the samples file. */
  line: number;
  messages: SampleMessage[];
  label: string;
  meta?: Record<string, unknown>;
}

export interface SampleProblem {
  line: number;
  message: string;
}

function contentText(value: z.infer<typeof content> | undefined): string {
  if (value === null || value === undefined) return '';
  // Parts joined by newlines, as vLLM and `loco serve` do.
  return typeof value === 'string' ? value : value.map((part) => part.text).join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Normalises one validated line; returns the problem text when it cannot be used. */
function normalize(parsed: z.infer<typeof sampleLine>, line: number): EvalSample | string {
  const messages: SampleMessage[] = [];
  for (const [position, message] of parsed.messages.entries()) {
    if (message.role !== 'assistant') {
      messages.push({ role: message.role === 'developer' ? 'system' : message.role, content: contentText(message.content) });
      continue;
    }
    const toolCalls: SampleToolCall[] = [];
    for (const [callPosition, call] of (message.tool_calls ?? []).entries()) {
      let args: unknown = call.function.arguments;
      if (typeof args === 'string') {
        try {
          args = args.trim() === '' ? {} : JSON.parse(args);
        } catch {
          args = undefined;
        }
      }
      if (!isRecord(args)) return `messages.${position}.tool_calls.${callPosition}.function.arguments: must be a JSON object (or a string holding one)`;
      toolCalls.push({ name: call.function.name, arguments: args });
    }
    messages.push({ role: 'assistant', content: contentText(message.content), toolCalls });
  }
  const last = messages[messages.length - 1];
  if (last.role !== 'user' && last.role !== 'tool') {
    return `messages: the conversation must end with a user or tool message (the label is the assistant turn that follows), not ${last.role}`;
  }
  return { id: String(parsed.id), line, messages, label: parsed.label, ...(parsed.meta ? { meta: parsed.meta } : {}) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(line)'}: ${issue.message}`)
    .join('; ');
}

/** Parses a whole samples file; never throws, returns every problem with its line. */
export function parseSamples(text: string): { samples: EvalSample[]; problems: SampleProblem[] } {
  const samples: EvalSample[] = [];
  const problems: SampleProblem[] = [];
  const firstLine = new Map<string, number>();
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        problems.push({ line, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
        return;
      }
      const parsed = sampleLine.safeParse(value);
      if (!parsed.success) {
        problems.push({ line, message: describeIssues(parsed.error) });
        return;
      }
      const sample = normalize(parsed.data, line);
      if (typeof sample === 'string') {
        problems.push({ line, message: sample });
        return;
      }
      const seen = firstLine.get(sample.id);
      if (seen !== undefined) {
        problems.push({ line, message: `id "${sample.id}" is also used on line ${seen}; ids must be unique` });
        return;
      }
      firstLine.set(sample.id, line);
      samples.push(sample);
    });
  return { samples, problems };
}

const SHOWN_PROBLEMS = 20;

/** Reads and validates a samples file; any bad line is a usage error listing the lines. */
export async function loadSamples(file: string): Promise<EvalSample[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new LocoError('usage', `cannot read samples ${file}: ${reason}`);
  }
  const { samples, problems } = parseSamples(text);
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN_PROBLEMS).map((problem) => `  line ${problem.line}: ${problem.message}`);
    if (problems.length > SHOWN_PROBLEMS) shown.push(`  ... and ${problems.length - SHOWN_PROBLEMS} more`);
    const noun = problems.length === 1 ? 'line' : 'lines';
    throw new LocoError(
      'usage',
      `${file} has ${problems.length} bad ${noun} (each line must be {"id", "messages", "label", "meta"?}):\n${shown.join('\n')}`,
    );
  }
  if (samples.length === 0) throw new LocoError('usage', `${file} holds no samples (one JSON object per line: {"id", "messages", "label"})`);
  return samples;
}
