// Renders a conversation as ChatML token ids (model-dialect.md section 1), the way Qwen's
// tokenizer would: the framing `<|im_start|>` / `<|im_end|>` are inserted as token ids,
// never parsed from text, so message content that contains "<|im_start|>" stays text and
// cannot open a turn. Inside content only the four tool tags become their single tokens.
import type { Token } from 'node-llama-cpp';
import type { ChatMessage } from '../../protocol/messages.js';

export interface PromptTokenizer {
  /** Plain text to tokens, control tokens not recognised. */
  tokenizeText(text: string): Token[];
  readonly tokens: { imStart: Token; imEnd: Token; toolTags: ReadonlyMap<string, Token> };
}

/**
 * Appends one by one: `out.push(...tokens)` passes every token as a call argument, and a
 * prompt of ~120k tokens overflows the stack that way.
 */
function append(out: Token[], tokens: readonly Token[]): void {
  for (const token of tokens) out.push(token);
}

/** Content tokens: plain text, with each tool tag as its one token. */
export function tokenizeContent(tokenizer: PromptTokenizer, text: string): Token[] {
  const tags = [...tokenizer.tokens.toolTags.keys()];
  if (tags.length === 0 || !tags.some((tag) => text.includes(tag))) return tokenizer.tokenizeText(text);
  const pattern = new RegExp(`(${tags.map((tag) => tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  const out: Token[] = [];
  for (const part of text.split(pattern)) {
    const tag = tokenizer.tokens.toolTags.get(part);
    if (tag !== undefined) out.push(tag);
    else if (part !== '') append(out, tokenizer.tokenizeText(part));
  }
  return out;
}

/**
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`.
 * The role line is tokenized apart from the content, as the model saw it when it wrote an
 * assistant turn. `generatedTokens` gives back the exact tokens the engine generated for an
 * assistant text: re-tokenizing model output can split it differently, which would end the
 * KV-cache prefix match at the first difference.
 */
export function renderChatPrompt(
  tokenizer: PromptTokenizer,
  messages: readonly ChatMessage[],
  generatedTokens?: (text: string) => readonly Token[] | undefined,
): Token[] {
  const { imStart, imEnd } = tokenizer.tokens;
  const newline = tokenizer.tokenizeText('\n');
  const out: Token[] = [];
  for (const message of messages) {
    const remembered = message.role === 'assistant' ? generatedTokens?.(message.content) : undefined;
    out.push(imStart);
    append(out, tokenizer.tokenizeText(`${message.role}\n`));
    append(out, remembered ?? tokenizeContent(tokenizer, message.content));
    out.push(imEnd);
    append(out, newline);
  }
  out.push(imStart);
  append(out, tokenizer.tokenizeText('assistant\n'));
  return out;
}
