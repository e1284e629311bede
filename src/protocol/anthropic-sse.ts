// Server-sent events in Anthropic's framing: `event: <type>` then `data: <json>` then a blank
// line, the event name always equal to the payload's `type` (clients dispatch on either). Pure.
import type { AnthropicErrorType, AnthropicStreamEvent } from './anthropic-messages.js';

export function encodeSseEvent(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function encodeSseEvents(events: readonly AnthropicStreamEvent[]): string {
  let text = '';
  for (const event of events) text += encodeSseEvent(event);
  return text;
}

/** The `error` event a stream ends with when it fails after it started. */
export function encodeSseError(type: AnthropicErrorType, message: string): string {
  return encodeSseEvent({ type: 'error', error: { type, message } });
}
