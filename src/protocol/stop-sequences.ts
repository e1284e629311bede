// Stop strings (OpenAI `stop`, Anthropic `stop_sequences`) over streamed text: backends stop
// only on end-of-turn tokens, so the caller watches the text. Text that could be the start of
// a stop string is held back until the next chunk decides, so a stop string split across
// chunks is still found and never reaches the client. Pure.

export class StopSequenceScanner {
  private held = '';
  private stopped = false;
  private matchedStop: string | undefined;

  constructor(private readonly stops: readonly string[]) {}

  get hit(): boolean {
    return this.stopped;
  }

  /** The stop string that ended the text (the earliest in the text; the first listed on a tie). */
  get matched(): string | undefined {
    return this.matchedStop;
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
        this.matchedStop = stop;
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
