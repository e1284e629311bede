// `loco proxy --profile`: a Claude Code sub-agent request rendered for FastContext (its three
// tools under its names and schemas, Claude Code's results re-rendered in its forms, reminders
// stripped, the query wrapped, its prompt with the workspace the client names) and the
// model's calls mapped back onto Claude Code's tools, through the real Anthropic SDK. The
// expected texts are written from the facts (Claude Code's result forms, FastContext's).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { createFakeBackend } from '../../src/backends/fake.js';
import { anthropicToDialect } from '../../src/protocol/anthropic-dialect.js';
import type { CountTokensRequest } from '../../src/protocol/anthropic-messages.js';
import { fromClaudeCodeGlob, fromClaudeCodeGrep, fromClaudeCodeRead } from '../../src/protocol/fastcontext-format.js';
import { FASTCONTEXT_PROFILE, LOCOOPERATOR_PROFILE, QWEN3_TOOLS_PROFILE } from '../../src/protocol/profile.js';
import { buildSystemPrompt } from '../../src/protocol/system-prompt.js';
import { trainingPromptTools } from '../../src/tools/catalog.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { resolveProxyConfig } from '../../src/proxy/config.js';
import { startProxy, type ProxyHarness } from './harness.js';

const object = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object' as const, properties, required, additionalProperties: false });
// Claude Code's own schemas for the tools FastContext maps onto, and two it does not.
const CLAUDE_CODE_TOOLS: Anthropic.Tool[] = [
  { name: 'Bash', description: 'Run a command', input_schema: object({ command: { type: 'string' } }, ['command']) },
  { name: 'Glob', description: 'Claude Code Glob', input_schema: object({ pattern: { type: 'string' }, path: { type: 'string' } }, ['pattern']) },
  {
    name: 'Grep',
    description: 'Claude Code Grep',
    input_schema: object({ pattern: { type: 'string' }, path: { type: 'string' }, output_mode: { type: 'string' }, '-n': { type: 'boolean' } }, ['pattern']),
  },
  { name: 'Read', description: 'Claude Code Read', input_schema: object({ file_path: { type: 'string' }, offset: { type: 'number' }, limit: { type: 'number' } }, ['file_path']) },
  { name: 'TodoWrite', description: 'Todo list', input_schema: object({ todos: { type: 'array' } }, ['todos']) },
];
const SYSTEM = [
  { type: 'text' as const, text: 'You are a file search specialist for Claude Code.' },
  { type: 'text' as const, text: 'Notes:\n<env>\nWorking directory: /repo\nIs directory a git repo: Yes\nPlatform: linux\nOS Version: Linux 6.8.0\n</env>' },
];
const REMINDER = '<system-reminder>\nAs you answer the user\'s questions, you can use the following context:\n# claudeMd\nbe nice\n</system-reminder>';

function subagentConversation(): CountTokensRequest {
  return {
    model: 'claude-haiku-4-5',
    system: SYSTEM,
    tools: CLAUDE_CODE_TOOLS as unknown as CountTokensRequest['tools'],
    messages: [
      { role: 'user', content: [{ type: 'text', text: REMINDER }, { type: 'text', text: 'Where is the request handler?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Searching.\n' },
          { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/repo/app.py', offset: 1, limit: 2 } },
          { type: 'tool_use', id: 'toolu_2', name: 'Grep', input: { pattern: 'def', path: '/repo', output_mode: 'content' } },
          { type: 'tool_use', id: 'toolu_3', name: 'Glob', input: { pattern: '*.py', path: '/repo' } },
          { type: 'tool_use', id: 'toolu_4', name: 'Read', input: { file_path: '/repo/gone.py' } },
        ],
      },
      {
        role: 'user',
        content: [
          // Claude Code answers in completion order; the model gets them in call order.
          { type: 'tool_result', tool_use_id: 'toolu_3', content: '/repo/app.py\n/repo/lib/util.py' },
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '     1\timport os\n     2\tdef handler():\n\n<system-reminder>\nWhenever you read a file, consider whether it is malware.\n</system-reminder>\n' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: '/repo/app.py:2:def handler():\n/repo/app.py-3-    return 1\n--\n/repo/lib/util.py:1:def helper():' },
          { type: 'tool_result', tool_use_id: 'toolu_4', is_error: true, content: '<tool_use_error>File does not exist.</tool_use_error>' },
        ],
      },
    ],
  };
}

describe('a Claude Code sub-agent request under the fastcontext profile', () => {
  const environment = { os: 'Linux', shell: 'bash', workspace: '/repo', listing: ['app.py', 'lib'] };
  const conversion = anthropicToDialect(subagentConversation(), 'auto', trainingPromptTools(), { profile: FASTCONTEXT_PROFILE, environment });

  it('offers only Read, Glob and Grep, with FastContext\'s schemas, in the harness prompt with the workspace', () => {
    assert.deepEqual(conversion.tools.map((tool) => tool.name), ['Read', 'Glob', 'Grep']);
    assert.deepEqual(Object.keys((conversion.tools[0].parameters as { properties: object }).properties), ['path', 'offset', 'limit']);
    assert.deepEqual(Object.keys((conversion.tools[1].parameters as { properties: object }).properties), ['directory', 'pattern']);
    const system = conversion.messages[0];
    assert.equal(system.role, 'system');
    assert.match(system.content, /^You are a codebase exploration specialist/);
    assert.match(system.content, /\nOS Version: Linux\n\nShell: bash\n\nWorkspace Path:\/repo\n\nThe directory listing of the workspace is:\n```\napp\.py\nlib\n```\n/);
    assert.match(system.content, /\n# Tools\n/);
    assert.doesNotMatch(system.content, /"name": "(Bash|TodoWrite)"|file search specialist|claudeMd/);
  });

  it('wraps the query without the reminder, renames history arguments and re-renders every result in FastContext\'s forms', () => {
    assert.deepEqual(
      conversion.messages.slice(1).map((message) => [message.role, message.content]),
      [
        ['user', '<query>Where is the request handler?</query>'],
        [
          'assistant',
          'Searching.\n' +
            '<tool_call>\n{"name": "Read", "arguments": {"path": "/repo/app.py", "offset": 1, "limit": 2}}\n</tool_call>\n' +
            '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "def", "path": "/repo", "output_mode": "content"}}\n</tool_call>\n' +
            '<tool_call>\n{"name": "Glob", "arguments": {"pattern": "*.py", "directory": "/repo"}}\n</tool_call>\n' +
            '<tool_call>\n{"name": "Read", "arguments": {"path": "/repo/gone.py"}}\n</tool_call>',
        ],
        [
          'user',
          '<tool_response>\n```/repo/app.py:1-2\n1|import os\n2|def handler():\n\n```\n</tool_response>\n' +
            '<tool_response>\n/repo/app.py\n2:def handler():\n3-    return 1\n\n/repo/lib/util.py\n1:def helper():\n</tool_response>\n' +
            '<tool_response>\n/repo/app.py\n/repo/lib/util.py\n</tool_response>\n' +
            '<tool_response>\nFile does not exist.\n</tool_response>',
        ],
      ],
    );
  });

  it('maps the model\'s calls back onto Claude Code\'s tools and argument names', () => {
    const { binding } = conversion;
    assert.deepEqual(binding.toClient('Read', { path: '/repo/app.py', offset: 3 }), { name: 'Read', input: { file_path: '/repo/app.py', offset: 3 }, known: true });
    assert.deepEqual(binding.toClient('Glob', { pattern: '*.ts', directory: '/repo/src' }), { name: 'Glob', input: { pattern: '*.ts', path: '/repo/src' }, known: true });
    assert.deepEqual(binding.toClient('Grep', { pattern: 'x', '-C': 2 }), { name: 'Grep', input: { pattern: 'x', '-C': 2 }, known: true });
    // A tool the profile does not offer is not the model's to run, even when the client has it.
    assert.deepEqual(binding.toClient('Bash', { command: 'ls' }), { name: 'Bash', input: { command: 'ls' }, known: false, hidden: true });
    assert.deepEqual(binding.toClient('Find', { x: 1 }), { name: 'Find', input: { x: 1 }, known: false });
    // Aliases apply first; the schema's name wins over an alias given beside it.
    assert.deepEqual(binding.toClient('Read', { file_path: '/repo/a.py' }).input, { file_path: '/repo/a.py' });
    assert.deepEqual(binding.toClient('Glob', { pattern: '*', directory: '/repo', path: '/other' }).input, { pattern: '*', path: '/repo' });
    // The client's "no such tool" answer to an invented one, in the profile's words.
    assert.equal(binding.resultText('Find', {}, '<tool_use_error>Error: No such tool available: Find</tool_use_error>', true), 'Tool `Find` not found.');
  });
});

describe('Claude Code results in FastContext\'s forms', () => {
  const caps = FASTCONTEXT_PROFILE.caps;
  it('Read: the empty last line of a file ending in a newline, a file without one, a range stopped at limit, an empty file', () => {
    assert.equal(fromClaudeCodeRead('     1\ta\n     2\tb\n     3\t', '/r/f', caps), '```/r/f:1-2\n1|a\n2|b\n\n```');
    assert.equal(fromClaudeCodeRead('     1\ta\n     2\tb', '/r/f', caps), '```/r/f:1-2\n1|a\n2|b\n```');
    assert.equal(fromClaudeCodeRead('     5\te\n     6\tf', '/r/f', caps, 2), '```/r/f:5-6\n5|e\n6|f\n\n```');
    assert.equal(fromClaudeCodeRead('<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>', '/r/f', caps), 'File is empty.');
  });

  it('Grep content: files found from match lines; context lines with -N- in the path, :N: in the text, and no file at all', () => {
    const text = ['posts/2024-01-intro.md-4-before', 'posts/2024-01-intro.md:5:match', 'src/b.ts-1-at = "12:30:00"', 'src/b.ts:2:hit'].join('\n');
    assert.equal(fromClaudeCodeGrep(text, 'content', caps, '/ws'), ['/ws/posts/2024-01-intro.md', '4-before', '5:match', '', '/ws/src/b.ts', '1-at = "12:30:00"', '2:hit'].join('\n'));
    // A single-file search prints no file names: lines stay as written.
    assert.equal(fromClaudeCodeGrep('3-const x = y-1-z\n4:match', 'content', caps, '/ws'), '3-const x = y-1-z\n4:match');
    // A single file's count is a bare number.
    assert.equal(fromClaudeCodeGrep('7', 'count', caps, '/ws'), '7');
  });

  it('Read: a real empty last line inside a limit stays; any character in a line; an offset past the end; Glob cut by Claude Code says so', () => {
    assert.equal(fromClaudeCodeRead('     1\ta\n     2\tb\n     3\t', '/r/f', caps, 3), '```/r/f:1-3\n1|a\n2|b\n3|\n\n```');
    assert.equal(fromClaudeCodeRead('     1\ta\u2028b\r', '/r/f', caps), '```/r/f:1-1\n1|a\u2028b\r\n```');
    assert.equal(
      fromClaudeCodeRead('<system-reminder>Warning: the file exists but is shorter than the provided offset (40). The file has 12 lines.</system-reminder>', '/r/f', caps),
      'Read Tool: offset 40 is past the end of /r/f (12 lines).',
    );
    const listed = Array.from({ length: 100 }, (_, index) => `f${index}.py`);
    const glob = fromClaudeCodeGlob(`${listed.join('\n')}\n(Results are truncated. Consider using a more specific path or pattern.)`, caps, '/ws').split('\n');
    assert.deepEqual([glob.length, glob[0], glob[100]], [101, '/ws/f0.py', 'Results are truncated: showing first 100 results. Consider using a more specific path or pattern.']);
  });

  it('Grep: files_with_matches loses its Found line, count its total, nothing found says so, the line cap applies', () => {
    assert.equal(fromClaudeCodeGrep('Found 2 files\n/repo/a.py\n/repo/b.py', 'files_with_matches', caps), '/repo/a.py\n/repo/b.py');
    assert.equal(fromClaudeCodeGrep('/repo/a.py:3\n/repo/b.py:1\n\nFound 4 total occurrences across 2 files.', 'count', caps), '/repo/a.py:3\n/repo/b.py:1');
    assert.equal(fromClaudeCodeGrep('No files found', undefined, caps), 'No matches found');
    assert.equal(fromClaudeCodeGrep('No matches found', 'content', caps), 'No matches found');
    const many = Array.from({ length: 150 }, (_, index) => `/repo/a-1-b.py:${index + 1}:x`).join('\n');
    const lines = fromClaudeCodeGrep(many, 'content', caps).split('\n');
    // A path with "-digits-" in it still groups under one heading.
    assert.deepEqual([lines[0], lines[1], lines.length, lines[100]], ['/repo/a-1-b.py', '1:x', 101, 'Results truncated to first 100 lines']);
  });
});

describe('locooperator and qwen3-tools through the proxy are what they were before profiles', () => {
  it('renders the training prompt, keeps reminders and the query as sent, and offers every client tool', () => {
    const request = subagentConversation();
    const plain = anthropicToDialect(request, 'auto', trainingPromptTools());
    const profiled = anthropicToDialect(request, 'auto', trainingPromptTools(), { profile: LOCOOPERATOR_PROFILE });
    assert.deepEqual(profiled.messages, plain.messages);
    assert.deepEqual(plain.tools.map((tool) => tool.name), ['Bash', 'Glob', 'Grep', 'Read', 'TodoWrite']);
    assert.match(plain.messages[1].content, /^<system-reminder>\n[\s\S]*\n<\/system-reminder>\nWhere is the request handler\?$/);
    assert.match(plain.messages[2].content, /"arguments": \{"file_path": "\/repo\/app\.py"/);
    assert.match(plain.messages[3].content, /^<tool_response>\n {5}1→import os\n {5}2→def handler\(\):/);
    const qwen = anthropicToDialect(request, 'auto', trainingPromptTools(), { profile: QWEN3_TOOLS_PROFILE });
    assert.equal(qwen.messages[0].content, buildSystemPrompt('qwen-tools', plain.tools));
    // History naming a tool the request does not offer still gets its training form.
    const withoutTools = anthropicToDialect({ ...request, tools: undefined }, 'auto', trainingPromptTools());
    assert.match(withoutTools.messages.at(-1)?.content ?? '', /^<tool_response>\n {5}1→import os\n/);
  });

  it('a profile\'s turnsLeft reminder follows each turn\'s results in the proxy too', () => {
    const profile = { ...FASTCONTEXT_PROFILE, reminders: { client: 'strip' as const, turnsLeft: '<system-reminder>{turns_left} turns left</system-reminder>' } };
    const conversion = anthropicToDialect(subagentConversation(), 'auto', trainingPromptTools(), { profile, maxTurns: 4 });
    assert.match(conversion.messages.at(-1)?.content ?? '', /<\/tool_response>\n<system-reminder>3 turns left<\/system-reminder>$/);
  });
});

describe('loco proxy --profile fastcontext with the Anthropic SDK', () => {
  let proxy: ProxyHarness;
  let tree: TempTree;
  const call = (name: string, args: object) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
  const backend = createFakeBackend([
    { type: 'assistant', text: `Looking.\n${call('Read', { path: '/repo/app.py', limit: 5 })}\n${call('Glob', { pattern: '*.py', directory: '/repo' })}` },
    { type: 'assistant', text: 'Found it.\n<final_answer>\n/repo/app.py:2-3 (the handler)\n</final_answer>' },
  ]);
  before(async () => {
    tree = await makeTempTree({ 'app.py': 'x\n', 'lib/util.py': '', '.env': 'SECRET=1\n' });
    proxy = await startProxy({ local: backend, remote: false, profile: FASTCONTEXT_PROFILE });
  });
  after(async () => {
    await proxy.close();
    await tree.cleanup();
  });

  it('answers with Claude Code tool_use blocks, the harness prompt, the workspace listing and its sampling', async () => {
    const system = `You are a file search specialist.\n<env>\nWorking directory: ${tree.root}\nPlatform: linux\n</env>`;
    const message = await proxy.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 1000, system, tools: CLAUDE_CODE_TOOLS, messages: [{ role: 'user', content: `${REMINDER}\nWhere is the handler?` }] });
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(
      message.content.map((block) => (block.type === 'tool_use' ? [block.name, block.input] : [block.type])),
      [['text'], ['Read', { file_path: '/repo/app.py', limit: 5 }], ['Glob', { pattern: '*.py', path: '/repo' }]],
    );
    const sent = backend.requests[0];
    assert.match(sent.messages[0].content, new RegExp(`Workspace Path:${tree.root}\n\nThe directory listing of the workspace is:\n\`\`\`\napp\\.py\nlib\n\`\`\``));
    assert.equal(sent.messages[1].content, '<query>Where is the handler?</query>');
    assert.deepEqual(sent.tools?.map((tool) => tool.name), ['Read', 'Glob', 'Grep']);
    assert.deepEqual([sent.sampling.temperature, sent.sampling.topP, sent.sampling.topK], [0.7, 0.95, 20]);
    assert.equal(proxy.records.at(-1)?.unknownToolCalls, 0);

    const final = await proxy.client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1000,
      system,
      tools: CLAUDE_CODE_TOOLS,
      messages: [
        { role: 'user', content: 'Where is the handler?' },
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: message.content.flatMap((block) =>
            block.type === 'tool_use' ? [{ type: 'tool_result' as const, tool_use_id: block.id, content: block.name === 'Read' ? '     1\tx\n     2\t' : 'app.py' }] : [],
          ),
        },
      ],
    });
    assert.equal(final.stop_reason, 'end_turn');
    assert.match(final.content[0].type === 'text' ? final.content[0].text : '', /<final_answer>\n\/repo\/app\.py:2-3 \(the handler\)\n<\/final_answer>/);
    // Claude Code 2.1.112 shows a file's final newline as an empty last line, and Glob paths relative to its working directory.
    assert.equal(backend.requests[1].messages[3].content, `<tool_response>\n\`\`\`/repo/app.py:1-1\n1|x\n\n\`\`\`\n</tool_response>\n<tool_response>\n${tree.root}/app.py\n</tool_response>`);
  });

  it('a call to a client tool the profile does not offer is shown as text and never run', async () => {
    const bash = createFakeBackend([{ type: 'assistant', text: 'Let me list.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "rm -rf /tmp/x"}}\n</tool_call>' }]);
    const other = await startProxy({ local: bash, remote: false, profile: FASTCONTEXT_PROFILE });
    try {
      const message = await other.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 500, tools: CLAUDE_CODE_TOOLS, messages: [{ role: 'user', content: 'List it.' }] });
      assert.equal(message.stop_reason, 'end_turn');
      assert.deepEqual(message.content.map((block) => block.type), ['text']);
      assert.match(message.content[0].type === 'text' ? message.content[0].text : '', /\[loco proxy: this tool call was not run: the profile offers no tool Bash\]/);
      assert.equal(other.records.at(-1)?.unknownToolCalls, 1);
    } finally {
      await other.close();
    }
  });

  it('counts tokens of the request as the profile renders it', async () => {
    const counted = await proxy.client.messages.countTokens({ model: 'claude-haiku-4-5', tools: CLAUDE_CODE_TOOLS, messages: [{ role: 'user', content: 'Where?' }] });
    assert.ok(counted.input_tokens > 500, `${counted.input_tokens}`);
  });
});

describe('atTurnLimit final-answer: the turn after the limit is answered locally, as the profile\'s harness does', () => {
  let proxy: ProxyHarness;
  const backend = createFakeBackend([
    { type: 'assistant', text: 'One more look.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "x"}}\n</tool_call>' },
  ]);
  before(async () => {
    proxy = await startProxy({ local: backend, remote: false, profile: FASTCONTEXT_PROFILE, file: { local: { maxTurns: 1, atTurnLimit: 'final-answer' } } });
  });
  after(() => proxy.close());

  const history = (turns: number): Anthropic.MessageParam[] => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Where is x?' }];
    for (let turn = 1; turn <= turns; turn++) {
      messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${turn}`, name: 'Glob', input: { pattern: '*.py', path: '/repo' } }] });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${turn}`, content: '/repo/a.py' }] });
    }
    return messages;
  };

  it('asks with the final message as its own user turn; a call the model writes anyway reaches the client as text', async () => {
    const message = await proxy.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 500, tools: CLAUDE_CODE_TOOLS, messages: history(1) });
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(message.content.map((block) => block.type), ['text']);
    assert.match(message.content[0].type === 'text' ? message.content[0].text : '', /One more look\.\n<tool_call>/);
    assert.deepEqual(backend.requests[0].messages.at(-1), { role: 'user', content: 'Max number of turns reached. Please provide the final answer based on the information you have gathered.' });
    assert.equal(proxy.records.at(-1)?.finalAnswerAsked, true);
    assert.equal(proxy.records.at(-1)?.fallback, undefined);
  });

  it('past that turn the remote is asked (here there is none, so the client gets the error)', async () => {
    await assert.rejects(proxy.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 500, tools: CLAUDE_CODE_TOOLS, messages: history(2) }));
    assert.equal(proxy.records.at(-1)?.fallback, 'turn-limit');
  });

  it('--at-turn-limit takes fallback or final-answer, nothing else', () => {
    assert.equal(resolveProxyConfig({}, { atTurnLimit: 'final-answer' }, {}).local.atTurnLimit, 'final-answer');
    assert.equal(resolveProxyConfig({}, {}, {}).local.atTurnLimit, 'fallback');
    assert.throws(() => resolveProxyConfig({}, { atTurnLimit: 'answer' }, {}), /--at-turn-limit must be fallback or final-answer/);
  });
});
