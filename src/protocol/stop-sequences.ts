// Stop strings over streamed text (OpenAI `stop`, Anthropic `stop_sequences`): engines stop
// only on end-of-turn tokens, so the servers watch the text. Text that could be the start of
// a stop string is held back until the next chunk decides, so a stop string split across
// chunks is still found and never reaches the client. Pure.
import type { ParsedPart } from './tool-call-parser.js';

type TextPart = Extract<ParsedPart, { type: 'text' }>;

export class StopSequenceScanner {
  private held = '';
  private stopped = false;
  private found: string | undefined;

  constructor(private readonly stops: readonly string[]) {}

  get hit(): boolean {
    return this.stopped;
  }

  /** The stop string that ended the text (the earliest in the text; the first listed on a tie). */
  get matched(): string | undefined {
    return this.found;
  }

  /** Text safe to emit now; after a hit, everything from the stop string on is dropped. */
  push(chunk: string): string {
    if (this.stopped) return '';
    if (this.stops.length === 0) return chunk;
    const text = this.held + chunk;
    let cut = -1;
    for (const stop of this.stops) {
      const at = stop === '' ? -1 : text.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) {
        cut = at;
        this.found = stop;
      }
    }
    if (cut !== -1) {
      this.stopped = true;
      this.held = '';
      return text.slice(0, cut);
    }
    const hold = this.partialLength(text);
    this.held = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /** The end of the text: what was held back was not a stop string after all. */
  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
  private partialLength(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}

/**
 * Stop strings over the parsed parts of a streamed turn (Anthropic `stop_sequences`): they
 * match in the visible text, as the API's do, never inside a tool call's JSON. Text that may
 * begin a stop string is held until the next part decides; a call ends any pending match.
 * After a hit every later part is dropped; the caller stops generation.
 */
export class StopSequencePartFilter {
  private readonly scanner: StopSequenceScanner;

  constructor(stops: readonly string[]) {
    this.scanner = new StopSequenceScanner(stops);
  }

  get hit(): boolean {
    return this.scanner.hit;
  }

  get matched(): string | undefined {
    return this.scanner.matched;
  }

  push<Part extends ParsedPart>(parts: readonly Part[]): (Part | TextPart)[] {
    const out: (Part | TextPart)[] = [];
    for (const part of parts) {
      if (this.scanner.hit) break;
      if (part.type === 'text') {
        const text = this.scanner.push(part.text);
        if (text !== '') out.push({ type: 'text', text });
        continue;
      }
      this.flushInto(out);
      out.push(part);
    }
    return out;
  }

  /** The end of the turn: held text was not a stop string. */
  flush(): TextPart[] {
    const out: TextPart[] = [];
    this.flushInto(out);
    return out;
  }

  private flushInto(out: ParsedPart[]): void {
    const held = this.scanner.flush();
    if (held !== '') out.push({ type: 'text', text: held });
  }
}
