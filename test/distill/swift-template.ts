// MS-SWIFT's rendering of one training row, written from its documented behaviour for the
// `qwen3_nothinking` template (plain ChatML, no default system, no thinking prefix) with the
// `hermes` agent template, so tests can check what the trainer would see without Python:
// 1. A run of `tool_call` messages becomes ONE assistant message: each call's JSON parsed and
//    dumped again by Python's `json.dumps` (separators ", " and ": "; `ensure_ascii` in newer
//    versions) inside `<tool_call>\n...\n</tool_call>`, the calls joined by "\n".
// 2. `tool_response` is the `tool` role. Consecutive assistant messages (and consecutive user
//    messages) are merged by plain concatenation, nothing between them.
// 3. A run of `tool` messages after an assistant message becomes the next query: the
//    assistant turn's end, then ONE user turn of `<tool_response>\n{content}\n</tool_response>`
//    blocks joined by "\n", then the generation prompt.
// 4. The system message goes first as `<|im_start|>system\n{system}<|im_end|>\n`; each round is
//    `<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n` (or the tool context above)
//    then the response; a round is closed by `<|im_end|>\n` unless tool results follow; the
//    last response ends with `<|im_end|>`.

export interface SwiftMessage {
  role: string;
  content: string;
}

/** Python's `json.dumps(value, ensure_ascii=...)` with its default separators. */
export function pythonJsonDumps(value: unknown, ensureAscii: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    let out = '"';
    for (const char of value) {
      const code = char.codePointAt(0) ?? 0;
      if (char === '"') out += '\\"';
      else if (char === '\\') out += '\\\\';
      else if (char === '\n') out += '\\n';
      else if (char === '\r') out += '\\r';
      else if (char === '\t') out += '\\t';
      else if (char === '\b') out += '\\b';
      else if (char === '\f') out += '\\f';
      else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else if (ensureAscii && code > 0x7e && code !== 0x7f) {
        // Python escapes each UTF-16 unit, astral characters as a surrogate pair.
        for (let index = 0; index < char.length; index++) out += `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`;
      } else out += char;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => pythonJsonDumps(item, ensureAscii)).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([key, item]) => `${pythonJsonDumps(key, ensureAscii)}: ${pythonJsonDumps(item, ensureAscii)}`)
    .join(', ')}}`;
}

export function renderSwiftRow(rowMessages: readonly SwiftMessage[], options: { ensureAscii: boolean }): string {
  // Rule 1.
  let messages: SwiftMessage[] = [];
  for (let index = 0; index < rowMessages.length; ) {
    if (rowMessages[index].role !== 'tool_call') {
      const { role, content } = rowMessages[index++];
      messages.push({ role: role === 'tool_response' ? 'tool' : role, content });
      continue;
    }
    const calls: string[] = [];
    while (index < rowMessages.length && rowMessages[index].role === 'tool_call') {
      const parsed = JSON.parse(rowMessages[index++].content) as { name: string; arguments: unknown };
      calls.push(`<tool_call>\n${pythonJsonDumps({ name: parsed.name, arguments: parsed.arguments }, options.ensureAscii)}\n</tool_call>`);
    }
    messages.push({ role: 'assistant', content: calls.join('\n') });
  }
  let system: string | undefined;
  if (messages[0]?.role === 'system') {
    system = messages[0].content;
    messages = messages.slice(1);
  }
  // Rules 2 and 3.
  const merged: SwiftMessage[] = [];
  for (let index = 0; index < messages.length; ) {
    const message = messages[index];
    const previous = merged.at(-1);
    if (previous?.role === 'assistant' && message.role === 'tool') {
      const blocks: string[] = [];
      while (index < messages.length && messages[index].role === 'tool') blocks.push(`<tool_response>\n${messages[index++].content}\n</tool_response>`);
      merged.push({ role: 'tool', content: `<|im_end|>\n<|im_start|>user\n${blocks.join('\n')}<|im_end|>\n<|im_start|>assistant\n` });
      continue;
    }
    if (previous && previous.role === message.role && (message.role === 'assistant' || message.role === 'user')) previous.content += message.content;
    else merged.push({ ...message });
    index += 1;
  }
  // Rule 4.
  let text = system ? `<|im_start|>system\n${system}<|im_end|>\n` : '';
  for (let round = 0; round * 2 < merged.length; round++) {
    const query = merged[round * 2];
    const response = merged[round * 2 + 1];
    if (!['user', 'tool'].includes(query.role) || response?.role !== 'assistant') throw new Error(`MS-SWIFT would reject round ${round}: ${query.role} then ${response?.role}`);
    text += query.role === 'tool' ? query.content : `<|im_start|>user\n${query.content}<|im_end|>\n<|im_start|>assistant\n`;
    text += response.content;
    const next = merged[round * 2 + 2];
    if (next === undefined) text += '<|im_end|>';
    else if (next.role !== 'tool') text += '<|im_end|>\n';
  }
  return text;
}
