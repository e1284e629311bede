// Model profiles: the dialect a small explorer was trained in, as data. A profile names the
// tools it offers (by implementation, with names, descriptions and argument aliases), how
// their schemas reach the model, the call syntax, error strings, caps, the system prompt
// template, the query wrapper, the forced-final message, how citations are read from the
// answer, the turn limit, whether a turn's calls run concurrently, and sampling defaults.
// Built-ins: `locooperator` (the training prompt), `qwen3-tools` (Qwen's `# Tools` block),
// `fastcontext` (FastContext-1.0-4B's harness). Pure: no I/O; loading files is config/'s job.
import { z } from 'zod';
import { qwenToolsSection, trainingSystemPrompt, type ToolSignature } from './system-prompt.js';

const toolSpecSchema = z.strictObject({
  /** The name the model calls the tool by. */
  name: z.string().min(1),
  /** Which implementation runs it: `claude-code.read`, `fastcontext.grep`, ... (tools/catalog.ts). */
  implementation: z.string().min(1),
  /** Replaces the implementation's description in the `# Tools` block. */
  description: z.string().min(1).optional(),
  /** Argument names the model may write instead of the schema's: `{"file_path": "path"}`. */
  aliases: z.record(z.string(), z.string()).optional(),
});

export const profileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  tools: z.array(toolSpecSchema).min(1),
  /** `none`: tools are only named in the system prompt; `qwen3-tools`: Qwen3's `# Tools` block follows it. */
  schemaDelivery: z.enum(['none', 'qwen3-tools']),
  /** Hermes `<tool_call>{"name", "arguments"}</tool_call>`; the only syntax both 4B models were trained on. */
  callSyntax: z.literal('hermes'),
  /** Result strings for failures; `{name}` is the tool, `{message}` what went wrong. */
  errors: z.strictObject({ unknownTool: z.string(), invalidArguments: z.string(), toolError: z.string() }),
  /** Limits of the profile's own tool formatters (FastContext's tools read them). */
  caps: z.strictObject({
    readLines: z.number().int().min(1),
    lineCharacters: z.number().int().min(1),
    grepLines: z.number().int().min(1),
    globResults: z.number().int().min(1),
    contextLines: z.number().int().min(0),
  }),
  /** `{tool_uses}`, `{os}`, `{shell}`, `{workspace}`, `{listing}` are filled in. */
  systemPrompt: z.string().min(1),
  /** The first user turn; `{question}` and `{workspace}` are filled in. */
  queryWrapper: z.string().includes('{question}', { message: 'must contain {question}' }),
  finalMessage: z.strictObject({
    text: z.string().min(1),
    /** `append`: added to the last user turn (turns alternate); `separate`: its own user message. */
    placement: z.enum(['append', 'separate']),
  }),
  /** `prose`: `path:N-M` references anywhere in the answer; `final-answer`: the `<final_answer>` block's lines. */
  citations: z.enum(['prose', 'final-answer']),
  maxTurns: z.number().int().min(1).max(200),
  parallelCalls: z.boolean(),
  sampling: z.strictObject({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    topK: z.number().int().min(0),
  }),
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfileToolSpec = z.infer<typeof toolSpecSchema>;

/** What the working-environment variables of a system prompt are filled with. */
export interface PromptEnvironment {
  os: string;
  shell: string;
  workspace: string;
  /** Top-level entries of the workspace, directories ending in `/`. */
  listing: readonly string[];
}

const CLAUDE_CODE_TOOLS: ProfileToolSpec[] = ['Read', 'Glob', 'Grep', 'Bash', 'Write', 'Edit', 'Task'].map((name) => ({
  name,
  implementation: `claude-code.${name.toLowerCase()}`,
}));

const TRAINING_ERRORS = {
  unknownTool: '<tool_use_error>Error: No such tool available: {name}</tool_use_error>',
  invalidArguments: '<tool_use_error>{message}</tool_use_error>',
  toolError: '<tool_use_error>{message}</tool_use_error>',
};

const CLAUDE_CODE_CAPS = { readLines: 2000, lineCharacters: 2000, grepLines: 100, globResults: 100, contextLines: 0 };
const QWEN3_SAMPLING = { temperature: 0.7, topP: 0.8, topK: 20 };
const TRAINING_FINAL =
  'You cannot call tools any more. Answer now with what you have found: a final answer with file paths and line numbers, no tool calls.';

// The training prompt with its tool lines left as a variable (system-prompt.ts writes the same text).
const TRAINING_TEMPLATE = trainingSystemPrompt([{ name: 'X', use: '\u0000' }]).replace('- \u0000', '{tool_uses}');
const IDENTITY = TRAINING_TEMPLATE.split('\n')[0];

export const LOCOOPERATOR_PROFILE: Profile = {
  name: 'locooperator',
  tools: CLAUDE_CODE_TOOLS,
  schemaDelivery: 'none',
  callSyntax: 'hermes',
  errors: TRAINING_ERRORS,
  caps: CLAUDE_CODE_CAPS,
  systemPrompt: TRAINING_TEMPLATE,
  queryWrapper: '{question}\n\nWorking directory: {workspace}',
  finalMessage: { text: TRAINING_FINAL, placement: 'append' },
  citations: 'prose',
  maxTurns: 10,
  parallelCalls: true,
  sampling: QWEN3_SAMPLING,
};

export const QWEN3_TOOLS_PROFILE: Profile = { ...LOCOOPERATOR_PROFILE, name: 'qwen3-tools', schemaDelivery: 'qwen3-tools', systemPrompt: IDENTITY };

const FASTCONTEXT_PROMPT = [
  'You are a codebase exploration specialist. Given a query about the code in the workspace, search it with your tools and locate the code that answers it: the files and the exact line ranges that matter.',
  '',
  'Work quickly: make several tool calls in one turn when they do not depend on each other, narrow down with Grep and Glob before you Read, and stop as soon as you have found the relevant code.',
  '',
  '## Required Output',
  '',
  'When you are done, reply with a brief explanation of what you found, then a <final_answer> block with one location per line: an absolute path, a line range and an optional reason.',
  '',
  '<final_answer>',
  '/abs/path/to/file.py:10-42 (optional reason)',
  '/abs/path/to/other.py:7-7',
  '</final_answer>',
  '',
  '## Working Environment',
  '',
  '- OS: {os}',
  '- Shell: {shell}',
  '- Workspace: {workspace}',
  '- Top-level entries of the workspace:',
  '{listing}',
].join('\n');

export const FASTCONTEXT_PROFILE: Profile = {
  name: 'fastcontext',
  tools: [
    { name: 'Read', implementation: 'fastcontext.read', aliases: { file_path: 'path' } },
    { name: 'Glob', implementation: 'fastcontext.glob', aliases: { path: 'directory' } },
    { name: 'Grep', implementation: 'fastcontext.grep' },
  ],
  schemaDelivery: 'qwen3-tools',
  callSyntax: 'hermes',
  errors: { unknownTool: 'Tool `{name}` not found.', invalidArguments: 'Tool `{name}` arguments are invalid.', toolError: '{message}' },
  caps: { readLines: 2000, lineCharacters: 2000, grepLines: 100, globResults: 100, contextLines: 3 },
  systemPrompt: FASTCONTEXT_PROMPT,
  queryWrapper: '<query>{question}</query>',
  finalMessage: {
    text: 'You have reached the maximum number of turns. Do not call any more tools. Give your final answer now: a brief explanation, then the <final_answer> block.',
    placement: 'separate',
  },
  citations: 'final-answer',
  maxTurns: 4,
  parallelCalls: true,
  sampling: QWEN3_SAMPLING,
};

export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map(
  [LOCOOPERATOR_PROFILE, QWEN3_TOOLS_PROFILE, FASTCONTEXT_PROFILE].map((profile) => [profile.name, Object.freeze(profile)]),
);

/** Fills `{name}` for the variables given; other braces (JSON in the prompt) stay as written. */
export function fillTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (Object.hasOwn(variables, name) ? variables[name] : whole));
}

/** The system turn a profile gives the model for these tools in this environment. */
export function renderSystemPrompt(profile: Profile, tools: readonly ToolSignature[], environment: PromptEnvironment): string {
  const toolUses = tools.map((tool) => `- ${tool.use ?? `Use ${tool.name} when it fits the task.`}`).join('\n');
  const text = fillTemplate(profile.systemPrompt, {
    tool_uses: toolUses,
    os: environment.os,
    shell: environment.shell,
    workspace: environment.workspace,
    listing: environment.listing.map((entry) => `  - ${entry}`).join('\n'),
  });
  return profile.schemaDelivery === 'qwen3-tools' ? `${text}\n\n${qwenToolsSection(tools)}` : text;
}

/** The first user turn. */
export function renderQuery(profile: Profile, question: string, workspace: string): string {
  return fillTemplate(profile.queryWrapper, { question: question.trim(), workspace });
}

/**
 * The profile a model name suggests (GGUF `general.name`/`general.basename`, a file name or a
 * server's model id): FastContext models get `fastcontext`, everything else `locooperator`.
 */
export function profileNameForModel(hints: readonly (string | undefined)[]): string {
  for (const hint of hints) if (hint !== undefined && /fast[-_ ]?context/i.test(hint)) return 'fastcontext';
  return 'locooperator';
}
