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

test('fastcontext: the exploration-specialist prompt with Required Output and Working Environment, the # Tools block, a <query> turn', () => {
  const expected = `You are a codebase exploration specialist. Given a query about the code in the workspace, search it with your tools and locate the code that answers it: the files and the exact line ranges that matter.

Work quickly: make several tool calls in one turn when they do not depend on each other, narrow down with Grep and Glob before you Read, and stop as soon as you have found the relevant code.

## Required Output

When you are done, reply with a brief explanation of what you found, then a <final_answer> block with one location per line: an absolute path, a line range and an optional reason.

<final_answer>
/abs/path/to/file.py:10-42 (optional reason)
/abs/path/to/other.py:7-7
</final_answer>

## Working Environment

- OS: Linux
- Shell: /bin/bash
- Workspace: /work/repo
- Top-level entries of the workspace:
  - src/
  - README.md

${TOOLS_BLOCK}`;
  assert.equal(renderSystemPrompt(FASTCONTEXT_PROFILE, TOOLS, ENVIRONMENT), expected);
  assert.equal(renderQuery(FASTCONTEXT_PROFILE, 'Where is X?', '/work/repo'), '<query>Where is X?</query>');
  assert.equal(FASTCONTEXT_PROFILE.maxTurns, 4);
  assert.deepEqual(FASTCONTEXT_PROFILE.tools.map((tool) => tool.name), ['Read', 'Glob', 'Grep']);
});

test('a fixed fastcontext conversation: tool results in one user turn, then the forced final answer as its own user message', async () => {
  const tree = await makeTempTree({ 'a.py': 'x = 1\n' });
  try {
    const call = `<tool_call>\n{"name": "Read", "arguments": {"path": "${tree.root}/a.py"}}\n</tool_call>`;
    const backend = createFakeBackend([{ type: 'assistant', text: call }, { type: 'assistant', text: 'It is set.\n<final_answer>\n' + `${tree.root}/a.py:1-1\n</final_answer>` }]);
    const result = await explore('Where is x set?', { backend, roots: [tree.root], sandbox: 'allow-list', profile: FASTCONTEXT_PROFILE, maxTurns: 1 });
    assert.equal(result.stopReason, 'max-turns');
    const last = backend.requests[1].messages;
    assert.deepEqual(
      last.slice(1).map((message) => [message.role, message.content]),
      [
        ['user', '<query>Where is x set?</query>'],
        ['assistant', call],
        ['user', `<tool_response>\n\`\`\`${tree.root}/a.py:1-1\n1|x = 1\n\`\`\`\n</tool_response>`],
        ['user', FASTCONTEXT_PROFILE.finalMessage.text],
      ],
    );
    assert.match(last[0].content, new RegExp(`- Workspace: ${tree.root}\n- Top-level entries of the workspace:\n  - a\\.py\n\n# Tools`));
    // FastContext's sampling defaults reach the backend.
    assert.deepEqual([backend.requests[0].sampling.temperature, backend.requests[0].sampling.topP, backend.requests[0].sampling.topK], [0.7, 0.8, 20]);
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
