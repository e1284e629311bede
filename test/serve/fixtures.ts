// Shared request fixtures for the serve tests: two explorer tools and a conversation with
// tool calls and results, with the exact dialect text it must render to.

export const GREP_TOOL = {
  type: 'function',
  function: { name: 'Grep', description: 'Search file contents.', parameters: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } },
} as const;
export const READ_TOOL = {
  type: 'function',
  function: { name: 'Read', description: 'Read a file.', parameters: { type: 'object', properties: { file_path: { type: 'string' }, limit: { type: 'integer' } }, required: ['file_path'] } },
} as const;

/** The conversation of an explorer turn with two calls, in OpenAI shape. */
export const TOOL_CONVERSATION = [
  { role: 'system', content: 'You explore code.' },
  { role: 'user', content: [{ type: 'text', text: 'Where is main?' }] },
  {
    role: 'assistant',
    content: 'Let me look.',
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'Grep', arguments: '{"pattern":"main"}' } },
      { id: 'call_2', type: 'function', function: { name: 'Read', arguments: '{"file_path":"src/app.ts","limit":5}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: 'Found 1 file\nsrc/app.ts' },
  { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '     1→main()' }] },
  { role: 'user', content: 'Thanks' },
];

/** The exact dialect turns TOOL_CONVERSATION with GREP_TOOL and READ_TOOL renders to. */
export const TOOL_CONVERSATION_DIALECT = [
  {
    role: 'system',
    content: [
      'You explore code.',
      '',
      '# Tools',
      '',
      'You may call one or more functions to assist with the user query.',
      '',
      'You are provided with function signatures within <tools></tools> XML tags:',
      '<tools>',
      '{"type": "function", "function": {"name": "Grep", "description": "Search file contents.", "parameters": {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}}}',
      '{"type": "function", "function": {"name": "Read", "description": "Read a file.", "parameters": {"type": "object", "properties": {"file_path": {"type": "string"}, "limit": {"type": "integer"}}, "required": ["file_path"]}}}',
      '</tools>',
      '',
      'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:',
      '<tool_call>',
      '{"name": <function-name>, "arguments": <args-json-object>}',
      '</tool_call>',
    ].join('\n'),
  },
  { role: 'user', content: 'Where is main?' },
  {
    role: 'assistant',
    content:
      'Let me look.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "src/app.ts", "limit": 5}}\n</tool_call>',
  },
  { role: 'user', content: '<tool_response>\nFound 1 file\nsrc/app.ts\n</tool_response>\n<tool_response>\n     1→main()\n</tool_response>' },
  { role: 'user', content: 'Thanks' },
];

/** The `data:` payloads of an SSE body, JSON-parsed except [DONE]. */
export async function readEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? data : (JSON.parse(data) as unknown)));
}
