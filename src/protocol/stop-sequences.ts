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

  /** Length of the longest stop string: how far back a stop string still being written can start. */
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = stops.reduce((most, stop) => Math.max(most, stop.length), 0);
  }

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
    return this.scan(this.held + chunk, false);
  }

  /** The end of the text: held text that could only have begun a stop string is text after all. */
  flush(): string {
    if (this.stopped || this.held === '') return '';
    return this.scan(this.held, true);
  }

  /**
   * Emits what is decided. A complete stop string ends the text unless one that would start
   * earlier is still being written (its start ends the text): until the text shows which, the
   * text from that earlier start is held.
   */
  private scan(text: string, atEnd: boolean): string {
    let cut = -1;
    let found: string | undefined;
    for (const stop of this.stops) {
      const at = stop === '' ? -1 : text.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) {
        cut = at;
        found = stop;
      }
    }
    const pending = atEnd ? -1 : this.partialStart(text);
    if (cut !== -1 && (pending === -1 || pending >= cut)) {
      this.stopped = true;
      this.found = found;
      this.held = '';
      return text.slice(0, cut);
    }
    if (pending === -1) {
      this.held = '';
      return text;
    }
    this.held = text.slice(pending);
    return text.slice(0, pending);
  }

  /** Where the earliest suffix of `text` that is a proper prefix of a stop string starts, or -1. */
  private partialStart(text: string): number {
    for (let start = Math.max(0, text.length - this.longest + 1); start < text.length; start++) {
      const suffix = text.slice(start);
      if (this.stops.some((stop) => stop.length > suffix.length && stop.startsWith(suffix))) return start;
    }
    return -1;
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
      // The held text may itself have held a stop string: then the call comes after the end.
      if (this.scanner.hit) break;
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
