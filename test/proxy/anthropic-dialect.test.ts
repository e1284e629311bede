// Anthropic request -> dialect conversion (src/protocol/anthropic-dialect.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicToDialect, clientToolName, IMAGE_NOTE, orderToolResults, systemText, toTrainingReadFormat } from '../../src/protocol/anthropic-dialect.js';
import { messagesRequestSchema, type MessagesRequest } from '../../src/protocol/anthropic-messages.js';
import { trainingSystemPrompt } from '../../src/protocol/system-prompt.js';
import { promptTools, trainingPromptTools } from '../../src/tools/catalog.js';

function request(fields: Partial<MessagesRequest> & Pick<MessagesRequest, 'messages'>): MessagesRequest {
  return messagesRequestSchema.parse({ model: 'claude-haiku-4-5', max_tokens: 1000, ...fields });
}

const tools = [
  { name: 'Glob', description: 'Find files', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } } },
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
  { name: 'TodoWrite', description: 'Todos', input_schema: { type: 'object' } },
];

describe('anthropicToDialect', () => {
  it('replaces the system prompt by the training prompt when tools are offered, naming the known tools in training order', () => {
    const converted = anthropicToDialect(request({ system: 'You are Claude Code.', tools, messages: [{ role: 'user', content: 'find the config' }] }), 'auto', trainingPromptTools());
    assert.deepEqual(converted.messages, [
      { role: 'system', content: trainingSystemPrompt(promptTools(['Read', 'Glob'])) },
      { role: 'user', content: 'find the config' },
    ]);
  });

  it("keeps the client's system prompt for tool-less requests, without Claude Code's billing line", () => {
    const system = [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.112.dc3; cc_entrypoint=sdk-cli; cch=00000;' },
      { type: 'text', text: 'Write a title.' },
    ];
    const converted = anthropicToDialect(request({ system, messages: [{ role: 'user', content: 'hello' }] }), 'auto', trainingPromptTools());
    assert.deepEqual(converted.messages[0], { role: 'system', content: 'Write a title.' });
    assert.equal(systemText(system), 'Write a title.');
  });

  it('client strategy keeps the client prompt and appends the Qwen tools section', () => {
    const converted = anthropicToDialect(request({ system: 'Be brief.', tools, messages: [{ role: 'user', content: 'x' }] }), 'client', trainingPromptTools());
    assert.match(converted.messages[0].content, /^Be brief\.\n\n# Tools\n/);
    assert.match(converted.messages[0].content, /"name": "Glob"/);
  });

  it('renders tool_use history as <tool_call> text and tool_result blocks as ONE user turn of <tool_response>', () => {
    const converted = anthropicToDialect(
      request({
        tools,
        messages: [
          { role: 'user', content: 'where is main?' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Searching.' },
              { type: 'tool_use', id: 'toolu_1', name: 'Glob', input: { pattern: '**/main.ts' } },
              { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/a/b.ts' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '/src/main.ts' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'File does not exist.' }], is_error: true },
              { type: 'text', text: '<system-reminder>be quick</system-reminder>' },
            ],
          },
        ],
      }),
      'auto', trainingPromptTools(),
    );
    assert.equal(
      converted.messages[2].content,
      'Searching.\n<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/main.ts"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a/b.ts"}}\n</tool_call>',
    );
    assert.equal(converted.messages[3].content, '<tool_response>\n/src/main.ts\n</tool_response>\n<tool_response>\nFile does not exist.\n</tool_response>\n<system-reminder>be quick</system-reminder>');
    assert.equal(converted.assistantTurns, 1);
    assert.equal(converted.prefill, false);
  });

  it("rewrites Claude Code's Read line numbers (N<TAB>) into the training form, for Read results only", () => {
    assert.equal(toTrainingReadFormat('     1\timport os\n     2\t\n    10\tx = 1\t2'), '     1→import os\n     2→\n    10→x = 1\t2');
    const converted = anthropicToDialect(
      request({
        tools,
        messages: [
          { role: 'user', content: 'read it' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'toolu_r', name: 'Read', input: { file_path: 'a.py' } },
              { type: 'tool_use', id: 'toolu_b', name: 'Bash', input: { command: 'cat -n a.py' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_r', content: '1\timport os\n2\tprint(1)' },
              { type: 'tool_result', tool_use_id: 'toolu_b', content: '     1\timport os' },
            ],
          },
        ],
      }),
      'auto', trainingPromptTools(),
    );
    assert.equal(converted.messages.at(-1)?.content, '<tool_response>\n     1→import os\n     2→print(1)\n</tool_response>\n<tool_response>\n     1\timport os\n</tool_response>');
  });

  it('turns role:system messages inside messages into <system-reminder> user text, merged with the next user turn', () => {
    const converted = anthropicToDialect(request({ messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'hi' }] }), 'auto', trainingPromptTools());
    assert.deepEqual(converted.messages, [{ role: 'user', content: '<system-reminder>\nAnswer in French.\n</system-reminder>\n\nhi' }]);
  });

  it('drops images with a note, also inside tool results', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    const converted = anthropicToDialect(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'what is this?' }, image] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: { file_path: 'x.png' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [image] }] },
        ],
      }),
      'auto', trainingPromptTools(),
    );
    assert.equal(converted.messages[0].content, `what is this?\n${IMAGE_NOTE}`);
    assert.equal(converted.messages[2].content, `<tool_response>\n${IMAGE_NOTE}\n</tool_response>`);
    assert.equal(converted.droppedAttachments, 2);
  });

  it("names Claude Code's Agent tool Task for the model, and maps Task calls back to Agent", () => {
    const agent = { name: 'Agent', description: 'Launch a sub-agent', input_schema: { type: 'object' } };
    const converted = anthropicToDialect(
      request({
        tools: [agent, ...tools],
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Agent', input: { description: 'd', prompt: 'p', subagent_type: 'Explore' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'done' }] },
        ],
      }),
      'auto', trainingPromptTools(),
    );
    assert.match(converted.messages[0].content, /Use Task to hand/);
    assert.match(converted.messages[2].content, /"name": "Task"/);
    assert.equal(clientToolName('Task', new Set(['Agent', 'Read'])), 'Agent');
    assert.equal(clientToolName('Task', new Set(['Task', 'Agent'])), 'Task');
    assert.equal(clientToolName('Nope', new Set(['Read'])), 'Nope');
  });

  it('counts merged assistant turns and flags a trailing assistant turn as prefill', () => {
    const converted = anthropicToDialect(
      request({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'assistant', content: 'c' },
          { role: 'user', content: 'd' },
          { role: 'assistant', content: '{' },
        ],
      }),
      'auto', trainingPromptTools(),
    );
    assert.equal(converted.assistantTurns, 2);
    assert.equal(converted.prefill, true);
    assert.equal(converted.messages[1].content, 'b\n\nc');
  });

  it('rejects a known block with a broken shape, naming where it is', () => {
    const parsed = messagesRequestSchema.safeParse({ model: 'm', max_tokens: 5, messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'Read' }] }] });
    assert.equal(parsed.success, false);
  });

  it('accepts block types it cannot render (server tool results) and keeps a note in their place', () => {
    const converted = anthropicToDialect(request({ messages: [{ role: 'user', content: [{ type: 'search_result', title: 't' }, { type: 'text', text: 'q' }] }] }), 'auto', trainingPromptTools());
    assert.equal(converted.messages[0].content, '[search_result omitted: the local model reads text only]\nq');
  });

  it('orders tool results by the calls they answer: missing ones leave an empty slot, strays go last', () => {
    const results = [{ tool_use_id: 'b' }, { tool_use_id: 'x' }, { tool_use_id: 'a' }, { tool_use_id: 'a' }];
    assert.deepEqual(orderToolResults(['a', 'b', 'c'], results), [results[2], results[0], undefined, results[1]]);
    assert.deepEqual(orderToolResults([], []), []);
  });
});
