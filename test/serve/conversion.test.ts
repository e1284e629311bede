// The pure pieces of `loco serve`: request validation, OpenAI messages -> dialect text,
// raw output -> content and tool_calls, stop strings, error shapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocoError } from '../../src/errors.js';
import { openAIToDialect as toDialectMessages, toolSignatures } from '../../src/protocol/openai-dialect.js';
import { AssistantOutputConverter, type OutputPart } from '../../src/protocol/openai-output.js';
import { ProtocolError } from '../../src/protocol/protocol-error.js';
import { ToolCallStreamParser, type TurnContentPart } from '../../src/protocol/tool-call-parser.js';
import { RawTurnMemory } from '../../src/serve/raw-turns.js';
import { ACCEPTED_FIELDS, parseChatRequest, type ChatCompletionRequest } from '../../src/serve/chat-request.js';
import { prepareCompletion } from '../../src/serve/completion.js';
import { errorFromEngine, HttpError } from '../../src/serve/errors.js';
import { StopSequenceScanner } from '../../src/protocol/stop-sequences.js';
import { GREP_TOOL, READ_TOOL, TOOL_CONVERSATION, TOOL_CONVERSATION_DIALECT } from './fixtures.js';

function valid(body: unknown): ChatCompletionRequest {
  const parsed = parseChatRequest(body);
  assert.ok(!(parsed instanceof HttpError), parsed instanceof HttpError ? parsed.message : '');
  return parsed;
}

function rejected(body: unknown): HttpError {
  const parsed = parseChatRequest(body);
  assert.ok(parsed instanceof HttpError, `accepted ${JSON.stringify(body)}`);
  assert.equal(parsed.status, 400);
  assert.equal(parsed.body.error.type, 'invalid_request_error');
  return parsed;
}

const user = [{ role: 'user', content: 'hi' }];

describe('request validation', () => {
  it('accepts the fields OpenAI clients send, with nulls', () => {
    const request = valid({
      model: 'gpt-x',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      top_p: 0.9,
      top_k: 5,
      max_tokens: 10,
      seed: 3,
      stop: ['END'],
      n: 1,
      user: 'someone',
      metadata: { a: 'b' },
      store: false,
      frequency_penalty: 0,
      presence_penalty: null,
      logprobs: false,
      logit_bias: {},
      parallel_tool_calls: true,
      conversation_id: 'c1',
    });
    assert.equal(request.temperature, 0);
    assert.ok(ACCEPTED_FIELDS.includes('stream_options') && ACCEPTED_FIELDS.includes('conversation_id'));
  });

  it('rejects unknown and unsupported fields with messages that say what to do', () => {
    const unknown = rejected({ messages: user, max_token: 5 });
    assert.match(unknown.message, /^unknown field "max_token"; accepted fields: model, messages, .*max_tokens/);
    assert.equal(unknown.body.error.param, 'max_token');
    assert.match(rejected({ messages: user, grammar: 'root ::= "a"' }).message, /raw GBNF grammars are not supported by loco serve: use response_format/);
    assert.match(rejected({ messages: user, functions: [] }).message, /send "tools" instead/);
    assert.match(rejected({ messages: user, n: 2 }).message, /^n: only n = 1 is supported$/);
    assert.match(rejected({ messages: user, logprobs: true }).message, /logprobs are not supported/);
    assert.match(rejected({ messages: user, presence_penalty: 0.5 }).message, /only 0 is supported/);
    assert.match(rejected({ messages: user, logit_bias: { '1': 5 } }).message, /logit_bias is not supported/);
  });

  it('names the bad parameter for wrong types and shapes', () => {
    assert.equal(rejected({ messages: [] }).message, 'messages: messages must hold at least one message');
    assert.equal(rejected({}).body.error.param, 'messages');
    assert.equal(rejected([1]).message, 'the body must be a JSON object');
    assert.equal(rejected({ messages: user, temperature: 'hot' }).body.error.param, 'temperature');
    assert.equal(rejected({ messages: user, temperature: 3 }).body.error.param, 'temperature');
    assert.equal(rejected({ messages: user, max_tokens: 0 }).body.error.param, 'max_tokens');
    assert.match(rejected({ messages: [{ role: 'function', content: 'x' }] }).message, /^messages\[0\]\.role: the role must be one of system, developer, user, assistant, tool$/);
    assert.equal(rejected({ messages: [{ role: 'user', content: 5 }] }).body.error.param, 'messages[0].content');
    assert.match(rejected({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }).message, /only text content parts are supported, not "image_url"/);
    assert.equal(rejected({ messages: [{ role: 'tool', content: 'r' }] }).body.error.param, 'messages[0].tool_call_id');
    assert.equal(rejected({ messages: user, tools: [{ type: 'function', function: { name: '9bad' } }] }).body.error.param, 'tools[0].function.name');
  });
});

describe('OpenAI messages to the dialect', () => {
  it('renders tools, assistant tool_calls and consecutive tool results as the Qwen template does', () => {
    const request = valid({ messages: TOOL_CONVERSATION, tools: [GREP_TOOL, READ_TOOL] });
    const messages = toDialectMessages(request.messages, { tools: toolSignatures(request.tools ?? []) });
    assert.deepEqual(messages, TOOL_CONVERSATION_DIALECT);
  });

  it('puts the tools section in a system turn of its own when there is no system message, and none without tools', () => {
    const request = valid({ messages: [{ role: 'user', content: 'q' }], tools: [{ type: 'function', function: { name: 'Ping' } }] });
    const [system, question] = toDialectMessages(request.messages, { tools: toolSignatures(request.tools ?? []) });
    assert.match(system.content, /^# Tools\n\n.*\n<tools>\n\{"type": "function", "function": \{"name": "Ping", "description": "", "parameters": \{"type": "object", "properties": \{\}\}\}\}\n<\/tools>/s);
    assert.deepEqual(question, { role: 'user', content: 'q' });
    const plain = valid({ messages: [{ role: 'developer', content: 'S' }, { role: 'user', content: 'q' }, { role: 'assistant', content: null }, { role: 'system', content: 'later' }] });
    assert.deepEqual(toDialectMessages(plain.messages), [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'q' },
      { role: 'assistant', content: '' },
      { role: 'system', content: 'later' },
    ]);
  });

  it('rejects tool_call arguments that are not a JSON object, naming the message', () => {
    const request = valid({ messages: [{ role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'Read', arguments: '{oops' } }] }] });
    assert.throws(() => toDialectMessages(request.messages), (error: unknown) => error instanceof ProtocolError && error.param === 'messages[0].tool_calls[0].function.arguments' && /not valid JSON/.test(error.message));
    // serve answers it as an OpenAI 400 naming the field.
    assert.throws(
      () => prepareCompletion(request, {}),
      (error: unknown) => error instanceof HttpError && error.status === 400 && error.body.error.param === 'messages[0].tool_calls[0].function.arguments',
    );
  });

  it('uses the remembered raw text of an answer the server produced', () => {
    const memory = new RawTurnMemory();
    const call = { id: 'call_x', type: 'function' as const, function: { name: 'Grep', arguments: '{"pattern":"a"}' } };
    const raw = 'Looking.\n\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "a"}}\n</tool_call>\n';
    memory.remember('Looking.', [call], raw);
    const request = valid({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Looking.', tool_calls: [call] }] });
    assert.equal(toDialectMessages(request.messages, { rawAssistantText: (message) => memory.lookup(message) })[1].content, raw);
    // An edited answer is not the remembered one: it is rendered from its parts.
    const edited = valid({ messages: [{ role: 'assistant', content: 'Looking!', tool_calls: [call] }] });
    assert.equal(memory.lookup(edited.messages[0] as Parameters<RawTurnMemory['lookup']>[0]), undefined);
  });
});

describe('engine requests', () => {
  it('defaults sampling to the model card and maps limits, seed and conversation', () => {
    const prepared = prepareCompletion(valid({ messages: user }), { contextSize: 2048 });
    assert.deepEqual(prepared.engineRequest.sampling, { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 2048 });
    const custom = prepareCompletion(valid({ messages: user, temperature: 0, top_p: 1, top_k: 1, max_tokens: 9, max_completion_tokens: 7, seed: 4, conversation_id: 'c', stop: 'X' }), {});
    assert.deepEqual(custom.engineRequest.sampling, { temperature: 0, topP: 1, topK: 1, maxTokens: 7 });
    assert.equal(custom.engineRequest.seed, 4);
    assert.equal(custom.engineRequest.conversationId, 'c');
    assert.deepEqual(custom.stops, ['X']);
  });

  it('forces one grammar-valid call for tool_choice required or a named tool; none drops the tools', () => {
    const tools = [GREP_TOOL, READ_TOOL];
    const required = prepareCompletion(valid({ messages: user, tools, tool_choice: 'required' }), {});
    // The engine's forced call: its bias, grammar and one-call stop (tested on the tiny model).
    assert.deepEqual(required.engineRequest.requiredToolCall?.tools.map((tool) => tool.name), ['Grep', 'Read']);
    assert.equal(required.engineRequest.constrainToolCalls, undefined);
    const named = prepareCompletion(valid({ messages: user, tools, tool_choice: { type: 'function', function: { name: 'Read' } } }), {});
    assert.deepEqual(named.engineRequest.requiredToolCall?.tools.map((tool) => tool.name), ['Read']);
    const auto = prepareCompletion(valid({ messages: user, tools }), {});
    assert.equal(auto.parseToolCalls, true);
    assert.equal(auto.engineRequest.constrainToolCalls, false);
    assert.equal(auto.engineRequest.tokenBias, undefined);
    const none = prepareCompletion(valid({ messages: user, tools, tool_choice: 'none' }), {});
    assert.equal(none.parseToolCalls, false);
    assert.deepEqual(none.engineRequest.messages, [{ role: 'user', content: 'hi' }]);
    assert.throws(() => prepareCompletion(valid({ messages: user, tools, tool_choice: { type: 'function', function: { name: 'Nope' } } }), {}), /not among the tools/);
    assert.throws(() => prepareCompletion(valid({ messages: user, tool_choice: 'required' }), {}), /tool_choice needs tools/);
  });

  it('maps response_format to the engine grammar', () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' } } };
    assert.deepEqual(prepareCompletion(valid({ messages: user, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }), {}).engineRequest.responseFormat, { jsonSchema: schema });
    assert.deepEqual(prepareCompletion(valid({ messages: user, response_format: { type: 'json_object' } }), {}).engineRequest.responseFormat, { jsonSchema: { type: 'object' } });
    assert.equal(prepareCompletion(valid({ messages: user, response_format: { type: 'text' } }), {}).engineRequest.responseFormat, undefined);
  });
});

describe('model output to OpenAI parts', () => {
  const ids = () => {
    let next = 0;
    return () => `call_${++next}`;
  };
  /** The turn's chunks as the turn stream parses them, then through the converter. */
  const feed = (converter: AssistantOutputConverter, chunks: string[], parse = true): OutputPart[] => {
    const parser = new ToolCallStreamParser();
    const parts: TurnContentPart[] = parse
      ? [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.finish()].filter((part): part is TurnContentPart => part.type === 'text' || part.type === 'tool-call' || part.type === 'tool-call-error')
      : chunks.map((text) => ({ type: 'text', text }));
    const out = parts.flatMap((part) => converter.push(part));
    converter.finish();
    return out;
  };

  it('streams text at once and each call when it closes, even with tags split across chunks', () => {
    const converter = new AssistantOutputConverter(true, ids());
    const raw = 'Let me look.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.ts"}}\n</tool_call>';
    const chunks = raw.match(/.{1,5}/gs) ?? [];
    const parts = feed(converter, chunks);
    assert.deepEqual(parts.filter((part) => part.type === 'content').map((part) => part.text).join(''), 'Let me look.');
    assert.deepEqual(
      parts.filter((part) => part.type === 'tool-call'),
      [
        { type: 'tool-call', index: 0, call: { id: 'call_1', type: 'function', function: { name: 'Grep', arguments: '{"pattern":"main"}' } } },
        { type: 'tool-call', index: 1, call: { id: 'call_2', type: 'function', function: { name: 'Read', arguments: '{"file_path":"a.ts"}' } } },
      ],
    );
    assert.equal(converter.text, 'Let me look.');
    // The text came out before the first call was complete.
    assert.equal(parts[0].type, 'content');
  });

  it('keeps a malformed call as content, drops trailing layout whitespace, passes text untouched without tools', () => {
    const broken = new AssistantOutputConverter(true, ids());
    const parts = feed(broken, ['<tool_call>\n{"name": 5}\n</tool_call>', '\nok']);
    assert.equal(broken.toolCalls.length, 0);
    assert.equal(broken.text, '<tool_call>\n{"name": 5}\n</tool_call>\nok');
    assert.ok(parts.every((part) => part.type === 'content'));
    const trailing = new AssistantOutputConverter(true, ids());
    assert.deepEqual(feed(trailing, ['Done.\n', '  \n']), [{ type: 'content', text: 'Done.' }]);
    const plain = new AssistantOutputConverter(false, ids());
    assert.deepEqual(feed(plain, ['  a\n', '<tool_call>x'], false), [{ type: 'content', text: '  a\n' }, { type: 'content', text: '<tool_call>x' }]);
  });
});

describe('stop strings', () => {
  it('cuts at the first stop string, even when split across chunks, and holds back only possible starts', () => {
    const scanner = new StopSequenceScanner(['STOP', '\n\n']);
    assert.equal(scanner.push('abc S'), 'abc ');
    assert.equal(scanner.push('TO'), '');
    assert.equal(scanner.push('P and more'), '');
    assert.equal(scanner.hit, true);
    assert.equal(scanner.flush(), '');
    const other = new StopSequenceScanner(['STOP']);
    assert.equal(other.push('xS'), 'x');
    assert.equal(other.push('x'), 'Sx');
    assert.equal(other.push('ST'), '');
    assert.equal(other.flush(), 'ST');
    assert.equal(new StopSequenceScanner([]).push('anything'), 'anything');
  });
});

describe('engine errors as HTTP answers', () => {
  it('turns overflow into llama.cpp exceed_context_size_error with the numbers', () => {
    const overflow = new LocoError('context-overflow', 'the prompt is 3000 tokens but the context holds 2048 (n_ctx 2048): shorten the conversation or raise the context size');
    const answer = errorFromEngine(overflow, 2048);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.type, 'exceed_context_size_error');
    assert.equal(answer.body.error.code, 400);
    assert.equal(answer.body.error.n_prompt_tokens, 3000);
    assert.equal(answer.body.error.n_ctx, 2048);
    const midway = errorFromEngine(new LocoError('context-overflow', 'the conversation outgrew the context of 512 tokens (n_ctx 512)'), undefined);
    assert.equal(midway.body.error.n_ctx, 512);
    assert.equal(errorFromEngine(new LocoError('usage', 'bad schema'), 1).status, 400);
    assert.equal(errorFromEngine(new LocoError('internal', 'boom'), 1).status, 500);
    assert.equal(errorFromEngine(new LocoError('config', 'no model'), 1).status, 503);
  });
});
