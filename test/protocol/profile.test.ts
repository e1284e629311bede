// Each profile's rendered prompt for one fixed conversation, pinned byte for byte. The
// expected text is written from the dialect's facts (model-dialect.md section 2, Qwen3's
// chat template, FastContext's harness), not copied from the renderer's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../../src/agent/explorer.js';
import { createFakeBackend } from '../../src/backends/fake.js';
import { BUILTIN_PROFILES, FASTCONTEXT_PROFILE, LOCOOPERATOR_PROFILE, profileNameForModel, QWEN3_TOOLS_PROFILE, renderQuery, renderSystemPrompt } from '../../src/protocol/profile.js';
import { buildSystemPrompt, type ToolSignature } from '../../src/protocol/system-prompt.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import { makeTempTree } from '../support/temp-tree.js';

const TOOLS: ToolSignature[] = [
  { name: 'Read', description: 'Read a file.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, use: 'Use Read to read files.' },
  { name: 'Glob', description: 'Find files.', parameters: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } },
];
const ENVIRONMENT = { os: 'Linux', shell: '/bin/bash', workspace: '/work/repo', listing: ['src/', 'README.md'] };
const IDENTITY =
  'You are an agent built on an agent SDK. You help users with software engineering tasks: exploring codebases, answering questions about code, and making changes when asked.';
const TOOLS_BLOCK = `# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{"type": "function", "function": {"name": "Read", "description": "Read a file.", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}
{"type": "function", "function": {"name": "Glob", "description": "Find files.", "parameters": {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}}}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call>`;

test('locooperator: the training prompt (identity, tool uses, calling convention) and the working-directory query', () => {
  const expected = `${IDENTITY}

# Using your tools
- Use Read to read files.
- Use Glob when it fits the task.

To call a tool, write:
<tool_call>
{"name": <tool-name>, "arguments": <args-json-object>}
</tool_call>
You may make several calls in one reply. Results come back inside <tool_response></tool_response>.`;
  assert.equal(renderSystemPrompt(LOCOOPERATOR_PROFILE, TOOLS, ENVIRONMENT), expected);
  assert.equal(renderQuery(LOCOOPERATOR_PROFILE, '  Where is X?\n', '/work/repo'), 'Where is X?\n\nWorking directory: /work/repo');
});

test('qwen3-tools: the identity line, then Qwen3 template\'s # Tools block', () => {
  assert.equal(renderSystemPrompt(QWEN3_TOOLS_PROFILE, TOOLS, ENVIRONMENT), `${IDENTITY}\n\n${TOOLS_BLOCK}`);
});

test('locooperator and qwen3-tools render exactly what --prompt-style training / qwen-tools rendered before profiles', () => {
  const toolbox = createToolbox({ roots: [process.cwd()], allowWrite: true, sandbox: 'allow-list', runSubagent: async () => ({ id: 'x', text: '', totalTokens: 0, toolUses: 0, durationMs: 0 }) });
  const signatures = toolbox.signatures();
  assert.equal(renderSystemPrompt(LOCOOPERATOR_PROFILE, signatures, ENVIRONMENT), buildSystemPrompt('training', signatures));
  assert.equal(renderSystemPrompt(QWEN3_TOOLS_PROFILE, signatures, ENVIRONMENT), buildSystemPrompt('qwen-tools', signatures));
  const profiled = createToolbox({ roots: [process.cwd()], allowWrite: true, sandbox: 'allow-list', tools: LOCOOPERATOR_PROFILE.tools, runSubagent: async () => ({ id: 'x', text: '', totalTokens: 0, toolUses: 0, durationMs: 0 }) });
  assert.deepEqual(profiled.signatures(), signatures);
});

test('fastcontext: the harness prompt structure (Required Output after two blank lines, Working Environment with the ls listing fenced), the # Tools block, a <query> turn', () => {
  const expected = `You are a codebase exploration specialist: you search and analyze existing code, and change nothing.
Your task is to explore the codebase for the query given in the <query> tag.

What you do well:
- Finding files quickly with glob patterns
- Searching code and text with regular expressions
- Reading files and making sense of them

Guidelines:
- Searching for files: search widely when you do not know where something is; use Read once you know the path.
- Analyzing: start wide, then narrow down; if one search finds nothing, try another way.
- Be thorough: look in several places, try other naming conventions, and check related files.

NOTE: you are a fast agent and should answer as soon as you can. To do that:
- Use your tools efficiently: think about where files and implementations are likely to be
- Make several tool calls in parallel whenever you can, for searching and for reading files


## Required Output

Finish your response with an optional short explanation of what you found (50 words at most), then a \`<final_answer>\` tag with the relevant file paths and line ranges.

<example>
The request handling is split across two files.

<final_answer>
/absolute/path/to/file_1.py:10-15 (Optional Brief Reason: e.g., "Where requests are parsed")
/absolute/path/to/file_2.js:102-123
</final_answer></example>

## Working Environment

OS Version: Linux

Shell: bash

Workspace Path:/work/repo

The directory listing of the workspace is:
\`\`\`
README.md
src
\`\`\`

Now carry out the user's search request efficiently and report what you found clearly.

${TOOLS_BLOCK}`;
  assert.equal(renderSystemPrompt(FASTCONTEXT_PROFILE, TOOLS, { os: 'Linux', shell: 'bash', workspace: '/work/repo', listing: ['README.md', 'src'] }), expected);
  assert.equal(renderQuery(FASTCONTEXT_PROFILE, 'Where is X?', '/work/repo'), '<query>Where is X?</query>');
  assert.equal(FASTCONTEXT_PROFILE.maxTurns, 4);
  assert.equal(FASTCONTEXT_PROFILE.parallelCalls, false);
  assert.deepEqual(FASTCONTEXT_PROFILE.tools.map((tool) => tool.name), ['Read', 'Glob', 'Grep']);
});

test("fastcontext's tool schemas as the harness sends them: names, types, enum and required fields", () => {
  const schema = (name: string) => FASTCONTEXT_PROFILE.tools.find((tool) => tool.name === name)?.parameters as { properties: Record<string, { type: string; enum?: string[]; minimum?: number }>; required: string[] };
  const shape = (name: string) => Object.fromEntries(Object.entries(schema(name).properties).map(([key, value]) => [key, value.type]));
  assert.deepEqual([shape('Read'), schema('Read').required], [{ path: 'string', offset: 'integer', limit: 'integer' }, ['path']]);
  assert.deepEqual([shape('Glob'), schema('Glob').required], [{ directory: 'string', pattern: 'string' }, ['pattern']]);
  assert.deepEqual(shape('Grep'), {
    pattern: 'string', path: 'string', glob: 'string', output_mode: 'string', '-B': 'number', '-A': 'number', '-C': 'number',
    '-n': 'boolean', '-i': 'boolean', type: 'string', head_limit: 'number', multiline: 'boolean',
  });
  assert.deepEqual([schema('Grep').required, schema('Grep').properties.output_mode.enum, schema('Grep').properties.head_limit.minimum], [['pattern'], ['content', 'files_with_matches', 'count'], 0]);
});

test('a fixed fastcontext conversation: the workspace listing as ls gives it, results in one user turn, then the turn-limit message as its own user message', async () => {
  const tree = await makeTempTree({ 'a.py': 'x = 1\n', 'lib/b.py': '', '.hidden': '', 'Z.txt': '' });
  try {
    const file = `${tree.root}/a.py`;
    const call = `<tool_call>\n{"name": "Read", "arguments": {"path": "${file}"}}\n</tool_call>`;
    const backend = createFakeBackend([{ type: 'assistant', text: call }, { type: 'assistant', text: 'It is set.\n<final_answer>\n' + `${file}:1-1\n</final_answer>` }]);
    const result = await explore('Where is x set?', { backend, roots: [tree.root], sandbox: 'allow-list', profile: FASTCONTEXT_PROFILE, maxTurns: 1 });
    assert.equal(result.stopReason, 'max-turns');
    const last = backend.requests[1].messages;
    assert.deepEqual(
      last.slice(1).map((message) => [message.role, message.content]),
      [
        ['user', '<query>Where is x set?</query>'],
        ['assistant', call],
        ['user', `<tool_response>\n\`\`\`${file}:1-1\n1|x = 1\n\n\`\`\`\n</tool_response>`],
        ['user', 'Max number of turns reached. Please provide the final answer based on the information you have gathered.'],
      ],
    );
    // `ls` order in the C locale: upper case first, no dotfiles, no marks on directories.
    assert.match(last[0].content, new RegExp(`\nWorkspace Path:${tree.root}\n\nThe directory listing of the workspace is:\n\`\`\`\nZ\\.txt\na\\.py\nlib\n\`\`\`\n`));
    assert.deepEqual([backend.requests[0].sampling.temperature, backend.requests[0].sampling.topP, backend.requests[0].sampling.topK], [0.7, 0.95, 20]);
  } finally {
    await tree.cleanup();
  }
});

test('reminders.turnsLeft and an assistant-role final message, from a profile that sets them', async () => {
  const tree = await makeTempTree({ 'a.py': 'x = 1\n' });
  try {
    const call = `<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.py"}}\n</tool_call>`;
    const backend = createFakeBackend([{ type: 'assistant', text: call }, { type: 'assistant', text: call }, { type: 'assistant', text: 'done' }]);
    const profile = {
      ...LOCOOPERATOR_PROFILE,
      reminders: { client: 'keep' as const, turnsLeft: '<system-reminder>{turns_left} turns left</system-reminder>' },
      finalMessage: { text: 'Stop exploring and return the final answer directly.', role: 'assistant' as const, placement: 'separate' as const },
    };
    await explore('q', { backend, roots: [tree.root], sandbox: 'allow-list', profile, maxTurns: 2 });
    const last = backend.requests[2].messages;
    assert.match(last[3].content, /<\/tool_response>\n<system-reminder>1 turns left<\/system-reminder>$/);
    assert.match(last[5].content, /<\/tool_response>\n<system-reminder>0 turns left<\/system-reminder>$/);
    assert.deepEqual(last.at(-1), { role: 'assistant', content: 'Stop exploring and return the final answer directly.' });
  } finally {
    await tree.cleanup();
  }
});

test('the default profile follows the model name: FastContext GGUFs and ids get fastcontext, others locooperator', () => {
  assert.equal(profileNameForModel([undefined, 'FastContext-1.0-4B-SFT']), 'fastcontext');
  assert.equal(profileNameForModel(['gguf:/models/fastcontext-1.0-4b-rl.Q4_K_M.gguf']), 'fastcontext');
  assert.equal(profileNameForModel(['LocoOperator-4B', 'Qwen3-4B-Instruct-2507']), 'locooperator');
  assert.equal(profileNameForModel([]), 'locooperator');
  assert.deepEqual([...BUILTIN_PROFILES.keys()], ['locooperator', 'qwen3-tools', 'fastcontext']);
});

test('one fixed conversation per profile, as ChatML bytes: the query, the call, its result, the turn-limit message where the profile puts it', async () => {
  const tree = await makeTempTree({ 'a.py': 'x = 1\n' });
  try {
    const file = `${tree.root}/a.py`;
    const cases = [
      {
        profile: LOCOOPERATOR_PROFILE,
        call: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.py"}}\n</tool_call>',
        rest:
          `<|im_start|>user\nWhere is x set?\n\nWorking directory: ${tree.root}<|im_end|>\n` +
          '<|im_start|>assistant\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.py"}}\n</tool_call><|im_end|>\n' +
          '<|im_start|>user\n<tool_response>\n     1→x = 1\n</tool_response>\n\nYou cannot call tools any more. Answer now with what you have found: a final answer with file paths and line numbers, no tool calls.<|im_end|>\n',
      },
      {
        profile: QWEN3_TOOLS_PROFILE,
        call: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.py"}}\n</tool_call>',
        rest:
          `<|im_start|>user\nWhere is x set?\n\nWorking directory: ${tree.root}<|im_end|>\n` +
          '<|im_start|>assistant\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.py"}}\n</tool_call><|im_end|>\n' +
          '<|im_start|>user\n<tool_response>\n     1→x = 1\n</tool_response>\n\nYou cannot call tools any more. Answer now with what you have found: a final answer with file paths and line numbers, no tool calls.<|im_end|>\n',
      },
      {
        profile: FASTCONTEXT_PROFILE,
        call: `<tool_call>\n{"name": "Read", "arguments": {"path": "${file}"}}\n</tool_call>`,
        rest:
          '<|im_start|>user\n<query>Where is x set?</query><|im_end|>\n' +
          `<|im_start|>assistant\n<tool_call>\n{"name": "Read", "arguments": {"path": "${file}"}}\n</tool_call><|im_end|>\n` +
          `<|im_start|>user\n<tool_response>\n\`\`\`${file}:1-1\n1|x = 1\n\n\`\`\`\n</tool_response><|im_end|>\n` +
          '<|im_start|>user\nMax number of turns reached. Please provide the final answer based on the information you have gathered.<|im_end|>\n',
      },
    ];
    for (const { profile, call, rest } of cases) {
      const backend = createFakeBackend([{ type: 'assistant', text: call }, { type: 'assistant', text: 'x is set in a.py:1.' }]);
      await explore('Where is x set?', { backend, roots: [tree.root], sandbox: 'allow-list', profile, maxTurns: 1 });
      const [system, ...turns] = backend.requests[1].messages;
      assert.equal(system.role, 'system', profile.name);
      const chatMl = turns.map((turn) => `<|im_start|>${turn.role}\n${turn.content}<|im_end|>\n`).join('');
      assert.equal(chatMl, rest, profile.name);
    }
  } finally {
    await tree.cleanup();
  }
});
