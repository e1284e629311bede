// Model profiles: the dialect a small explorer was trained in, as data. A profile names the
// tools it offers (by implementation, with names, descriptions and argument aliases), how
// their schemas reach the model, the call syntax, error strings, caps, the system prompt
// template, the query wrapper, the forced-final message, how citations are read from the
// answer, the turn limit, whether a turn's calls run concurrently, and sampling defaults.
// Built-ins: `locooperator` (the training prompt), `qwen3-tools` (Qwen's `# Tools` block),
// `fastcontext` (FastContext-1.0-4B's harness). Pure: no I/O; loading files is config/'s job.
import { z } from 'zod';
import { qwenToolsSection, trainingSystemPrompt, type PromptTool, type ToolSignature } from './system-prompt.js';

const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .refine((schema) => schema.type === 'object', { message: 'must be a JSON Schema with "type": "object"' })
  .refine(
    (schema) => {
      try {
        // An object schema that compiles to one object (not anyOf/oneOf of several).
        return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]) instanceof z.ZodObject;
      } catch {
        return false;
      }
    },
    { message: 'is not a JSON Schema of one object that loco can check arguments against (type "object" with properties; no anyOf/oneOf at the top)' },
  );

const toolSpecSchema = z.strictObject({
  /** The name the model calls the tool by. */
  name: z.string().min(1),
  /** Which implementation runs it: `claude-code.read`, `fastcontext.grep`, ... (tools/catalog.ts). */
  implementation: z.string().min(1),
  /** Replaces the implementation's description in the `# Tools` block. */
  description: z.string().min(1).optional(),
  /** Argument names the model may write instead of the schema's: `{"file_path": "path"}`. */
  aliases: z.record(z.string(), z.string()).optional(),
  /**
   * The arguments as the model sees them (a JSON Schema object, shown in the `# Tools` block);
   * calls are checked against it before they reach the implementation. Default: the
   * implementation's own schema.
   */
  parameters: jsonSchemaObject.optional(),
  /**
   * How `loco proxy` maps the tool onto a client's (Claude Code's): the client's tool name when
   * it has none under the model's name, and model argument -> client argument renames
   * (`{"path": "file_path"}`); arguments not named pass through.
   */
  client: z
    .strictObject({ name: z.string().min(1).optional(), arguments: z.record(z.string(), z.string().min(1)).optional() })
    .optional(),
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
    /** Who says it: `user` (harnesses at inference) or `assistant` (FastContext's RL rollouts). Default user. */
    role: z.enum(['user', 'assistant']).default('user'),
    /** `append`: added to the last user turn (turns alternate); `separate`: its own message. */
    placement: z.enum(['append', 'separate']),
  }),
  /**
   * `<system-reminder>` handling. `client`: what happens to the blocks a client (Claude Code,
   * through the proxy) puts in user turns and tool results: `keep` (LocoOperator was trained
   * with them) or `strip` (a model that never saw them). `turnsLeft`: added after each turn's
   * tool results by the explorer and the proxy, `{turns_left}` filled in; absent, nothing is.
   */
  reminders: z.strictObject({ client: z.enum(['keep', 'strip']), turnsLeft: z.string().min(1).optional() }),
  /**
   * How `loco proxy` meets a client's harness. `tools`: `all` offers every client tool (the
   * Claude Code set LocoOperator learned), `profile` only the profile's tools, mapped by
   * `tools[].client`. `query`: the first user turn `as-sent` or `wrapped` in queryWrapper.
   */
  clientHarness: z.strictObject({ tools: z.enum(['all', 'profile']), query: z.enum(['as-sent', 'wrapped']) }),
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
  /** Top-level entries of the workspace as `ls` lists them: names, sorted, no dotfiles. */
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
  finalMessage: { text: TRAINING_FINAL, role: 'user', placement: 'append' },
  reminders: { client: 'keep' },
  clientHarness: { tools: 'all', query: 'as-sent' },
  citations: 'prose',
  maxTurns: 10,
  parallelCalls: true,
  sampling: QWEN3_SAMPLING,
};

export const QWEN3_TOOLS_PROFILE: Profile = { ...LOCOOPERATOR_PROFILE, name: 'qwen3-tools', schemaDelivery: 'qwen3-tools', systemPrompt: IDENTITY };

// FastContext's harness prompt has this structure: who the agent is (a codebase exploration
// specialist answering a `<query>`), its strengths, search guidelines, a note on speed and
// parallel calls, two blank lines, `## Required Output` (a short explanation then a
// `<final_answer>` block of `/abs/path:start-end (reason)` lines, shown in an `<example>`),
// `## Working Environment` (`OS Version:`, `Shell:`, `Workspace Path:` with no space before
// the path, and the workspace's `ls` listing in a fence), and a closing instruction. The
// wording here is loco's own in that structure; a profile file with `"extends":
// "fastcontext"` can set the harness's exact text as `systemPrompt`.
const FASTCONTEXT_PROMPT = [
  'You are a codebase exploration specialist: you search and analyze existing code, and change nothing.',
  'Your task is to explore the codebase for the query given in the <query> tag.',
  '',
  'What you do well:',
  '- Finding files quickly with glob patterns',
  '- Searching code and text with regular expressions',
  '- Reading files and making sense of them',
  '',
  'Guidelines:',
  '- Searching for files: search widely when you do not know where something is; use Read once you know the path.',
  '- Analyzing: start wide, then narrow down; if one search finds nothing, try another way.',
  '- Be thorough: look in several places, try other naming conventions, and check related files.',
  '',
  'NOTE: you are a fast agent and should answer as soon as you can. To do that:',
  '- Use your tools efficiently: think about where files and implementations are likely to be',
  '- Make several tool calls in parallel whenever you can, for searching and for reading files',
  '',
  '',
  '## Required Output',
  '',
  'Finish your response with an optional short explanation of what you found (50 words at most), then a `<final_answer>` tag with the relevant file paths and line ranges.',
  '',
  '<example>',
  'The request handling is split across two files.',
  '',
  '<final_answer>',
  '/absolute/path/to/file_1.py:10-15 (Optional Brief Reason: e.g., "Where requests are parsed")',
  '/absolute/path/to/file_2.js:102-123',
  '</final_answer></example>',
  '',
  '## Working Environment',
  '',
  'OS Version: {os}',
  '',
  'Shell: {shell}',
  '',
  'Workspace Path:{workspace}',
  '',
  'The directory listing of the workspace is:',
  '```',
  '{listing}',
  '```',
  '',
  "Now carry out the user's search request efficiently and report what you found clearly.",
].join('\n');

// Tool schemas as FastContext's harness sends them: the same names, types, enums and required
// fields, described in loco's words.
const FASTCONTEXT_READ_PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'Absolute path of the file to read.' },
    offset: { type: 'integer', description: 'Line to start reading from, counted from 1. Give it only when the file is too large to read at once.' },
    limit: { type: 'integer', description: 'How many lines to read. Give it only when the file is too large to read at once.' },
  },
  required: ['path'],
};

const FASTCONTEXT_GLOB_PARAMETERS = {
  type: 'object',
  properties: {
    directory: { type: 'string', description: 'Absolute path of the directory to search in; the working directory when not given.' },
    pattern: { type: 'string', description: 'Glob pattern that file or directory paths must match.' },
  },
  required: ['pattern'],
};

const FASTCONTEXT_GREP_PARAMETERS = {
  type: 'object',
  properties: {
    pattern: { type: 'string', description: 'Regular expression to search file contents for' },
    path: { type: 'string', description: 'File or directory to search in (rg PATTERN -- PATH); the working directory when not given.' },
    glob: { type: 'string', description: 'Glob that files must match, e.g. "*.js" or "*.{ts,tsx}" (rg --glob)' },
    output_mode: {
      type: 'string',
      enum: ['content', 'files_with_matches', 'count'],
      description: '"content": matching lines (with -A/-B/-C context, -n line numbers, head_limit); "files_with_matches": file paths; "count": match counts. Default "files_with_matches".',
    },
    '-B': { type: 'number', description: 'Lines of context before each match (rg -B); content mode only.' },
    '-A': { type: 'number', description: 'Lines of context after each match (rg -A); content mode only.' },
    '-C': { type: 'number', description: 'Lines of context before and after each match (rg -C); content mode only.' },
    '-n': { type: 'boolean', description: 'Show line numbers (rg -n); content mode only. Default true.' },
    '-i': { type: 'boolean', description: 'Ignore case (rg -i)' },
    type: { type: 'string', description: 'File type to search (rg --type), e.g. js, py, rust, go, java.' },
    head_limit: { type: 'number', minimum: 0, description: 'Keep only the first N lines or entries of the output, like "| head -N", in every output mode.' },
    multiline: { type: 'boolean', description: 'Let . match newlines and patterns span lines (rg -U --multiline-dotall). Default false.' },
  },
  required: ['pattern'],
};

export const FASTCONTEXT_PROFILE: Profile = {
  name: 'fastcontext',
  tools: [
    {
      name: 'Read',
      implementation: 'fastcontext.read',
      description:
        "Reads a file from the local filesystem by its path; reading a file that does not exist returns an error.\n\nUsage:\n- offset and limit are optional (useful for long files); reading the whole file is recommended\n- Output lines are numbered from 1 as LINE_NUMBER|LINE_CONTENT\n- Several tool calls can go in one response: read the files that may be useful together\n- An empty file gives 'File is empty.'\n- Lines over 2000 characters are cut to 2000 characters and end in '...'\n- Files over 2000 lines are cut to 2000 lines and end in '...'",
      parameters: FASTCONTEXT_READ_PARAMETERS,
      aliases: { file_path: 'path' },
      client: { arguments: { path: 'file_path' } },
    },
    {
      name: 'Glob',
      implementation: 'fastcontext.glob',
      description:
        '- Fast file pattern matching for codebases of any size\n- Takes glob patterns such as "**/*.js" or "src/**/*.ts"\n- Returns the paths of the matching files\n- Use it to find files by name pattern\n- Several tool calls can go in one response: run the searches that may be useful together',
      parameters: FASTCONTEXT_GLOB_PARAMETERS,
      aliases: { path: 'directory' },
      client: { arguments: { directory: 'path' } },
    },
    {
      name: 'Grep',
      implementation: 'fastcontext.grep',
      description:
        'A search tool built on ripgrep\nUsage:\n- Use Grep when you know the symbols or strings to look for, rather than grep or rg in a terminal\n- Full regular expressions (e.g. "log.*Error", "function\\s+\\w+")\n- Filter files with glob (e.g. "*.js") or type (e.g. "js", "py", "rust")\n- Output modes: "content" (matching lines), "files_with_matches" (file paths), "count" (match counts)\n- ripgrep syntax: literal braces need escaping (interface\\{\\} finds interface{} in Go)\n- Patterns match within one line unless multiline is true\n- Content output follows ripgrep: \':\' after the line number of a match, \'-\' for context lines, lines grouped under their file',
      parameters: FASTCONTEXT_GREP_PARAMETERS,
    },
  ],
  schemaDelivery: 'qwen3-tools',
  callSyntax: 'hermes',
  errors: { unknownTool: 'Tool `{name}` not found.', invalidArguments: 'Tool `{name}` arguments are invalid.', toolError: '{message}' },
  caps: { readLines: 2000, lineCharacters: 2000, grepLines: 100, globResults: 100, contextLines: 3 },
  systemPrompt: FASTCONTEXT_PROMPT,
  queryWrapper: '<query>{question}</query>',
  finalMessage: {
    text: 'Max number of turns reached. Please provide the final answer based on the information you have gathered.',
    role: 'user',
    placement: 'separate',
  },
  reminders: { client: 'strip' },
  clientHarness: { tools: 'profile', query: 'wrapped' },
  citations: 'final-answer',
  maxTurns: 4,
  // The harness runs a turn's calls one after another.
  parallelCalls: false,
  sampling: { temperature: 0.7, topP: 0.95, topK: 20 },
};

export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map(
  [LOCOOPERATOR_PROFILE, QWEN3_TOOLS_PROFILE, FASTCONTEXT_PROFILE].map((profile) => [profile.name, Object.freeze(profile)]),
);

/** Fills `{name}` for the variables given; other braces (JSON in the prompt) stay as written. */
export function fillTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (Object.hasOwn(variables, name) ? variables[name] : whole));
}

/**
 * The system turn a profile gives the model for these tools in this environment. `listed`:
 * the tools `{tool_uses}` names when they differ from those in the `# Tools` block (the
 * proxy lists only the tools the training prompt knows).
 */
export function renderSystemPrompt(profile: Profile, tools: readonly ToolSignature[], environment: PromptEnvironment, listed: readonly PromptTool[] = tools): string {
  const toolUses = listed.map((tool) => `- ${tool.use ?? `Use ${tool.name} when it fits the task.`}`).join('\n');
  const text = fillTemplate(profile.systemPrompt, {
    tool_uses: toolUses,
    os: environment.os,
    shell: environment.shell,
    workspace: environment.workspace,
    listing: environment.listing.join('\n'),
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
