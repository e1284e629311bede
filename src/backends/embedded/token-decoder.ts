// Token ids to text, one token at a time, without ever emitting half a character: a
// character split across byte tokens is held back until its last byte arrives.
import type { Token } from 'node-llama-cpp';

/** UTF-8 needs at most 4 bytes, so 4 tokens always end any split character. */
const MAX_HELD_TOKENS = 4;
const REPLACEMENT = '\uFFFD';

export class TokenTextDecoder {
  private held: Token[] = [];

  constructor(private readonly detokenize: (tokens: readonly Token[]) => string) {}

  /** Text that is complete after this token ('' while a character is still open). */
  push(token: Token): string {
    this.held.push(token);
    const text = this.detokenize(this.held);
    // A trailing U+FFFD is an unfinished sequence until proven otherwise; after 4 tokens
    // it is invalid bytes for good and goes out as the replacement character.
    if (text.endsWith(REPLACEMENT) && this.held.length < MAX_HELD_TOKENS) return '';
    this.held = [];
    return text;
  }

  /** Whatever is held, when the stream ends. */
  flush(): string {
    if (this.held.length === 0) return '';
    const text = this.detokenize(this.held);
    this.held = [];
    return text;
  }
}
