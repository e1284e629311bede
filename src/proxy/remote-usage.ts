// Reads usage and the first content delta out of a remote answer while it is forwarded,
// without holding any of it back: SSE is scanned event by event (only message_start and
// message_delta are parsed), a JSON answer is parsed at the end.
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { performance } from 'node:perf_hooks';

export interface RemoteUsage {
  inputTokens?: number;
  outputTokens?: number;
  /** performance.now() of the first content_block_delta (streams) or first byte (JSON). */
  firstContentAt?: number;
  /** The error message of a mid-stream `error` event, or of an error answer. */
  error?: string;
}

const JSON_LIMIT = 4 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** input_tokens counts only uncached tokens; the prompt is all three. */
function inputOf(usage: Record<string, unknown>): number | undefined {
  const input = num(usage.input_tokens);
  if (input === undefined) return undefined;
  return input + (num(usage.cache_read_input_tokens) ?? 0) + (num(usage.cache_creation_input_tokens) ?? 0);
}

function errorMessage(payload: Record<string, unknown>): string | undefined {
  const error = payload.error;
  return isRecord(error) && typeof error.message === 'string' ? error.message : undefined;
}

export interface UsageTap {
  feed(chunk: Buffer): void;
  finish(): RemoteUsage;
}

export function createUsageTap(contentType: string): UsageTap {
  const usage: RemoteUsage = {};
  if (contentType.includes('text/event-stream')) {
    const decoder = new TextDecoder();
    const parser: EventSourceParser = createParser({
      onEvent(event) {
        const type = event.event;
        if (type === 'content_block_delta') {
          usage.firstContentAt ??= performance.now();
          return;
        }
        if (type !== 'message_start' && type !== 'message_delta' && type !== 'error') return;
        let payload: unknown;
        try {
          payload = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!isRecord(payload)) return;
        if (type === 'error') usage.error = errorMessage(payload) ?? 'error event';
        const found = type === 'message_start' && isRecord(payload.message) ? payload.message.usage : payload.usage;
        if (!isRecord(found)) return;
        usage.inputTokens = inputOf(found) ?? usage.inputTokens;
        usage.outputTokens = num(found.output_tokens) ?? usage.outputTokens;
      },
    });
    return {
      feed: (chunk) => parser.feed(decoder.decode(chunk, { stream: true })),
      finish: () => usage,
    };
  }
  const parts: Buffer[] = [];
  let bytes = 0;
  return {
    feed(chunk) {
      usage.firstContentAt ??= performance.now();
      bytes += chunk.length;
      if (bytes <= JSON_LIMIT) parts.push(chunk);
    },
    finish() {
      if (bytes > JSON_LIMIT) return usage;
      try {
        const payload: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
        if (isRecord(payload)) {
          if (isRecord(payload.usage)) {
            usage.inputTokens = inputOf(payload.usage);
            usage.outputTokens = num(payload.usage.output_tokens);
          }
          usage.error = errorMessage(payload);
        }
      } catch {
        // Not JSON: nothing to count.
      }
      return usage;
    },
  };
}
