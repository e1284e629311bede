// Live progress on stderr: one line per tool call as it finishes (tool, key argument,
// result size, time), and a closing summary line.
import type { AgentEvent, AgentResult } from '../agent/events.js';
import { toolCatalog } from '../tools/catalog.js';

function shorten(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}

function sizeOf(output: string): string {
  const lines = output === '' ? 0 : output.split('\n').length;
  return `${lines} line${lines === 1 ? '' : 's'}`;
}

export function formatToolLine(event: Extract<AgentEvent, { type: 'tool-result' }>, argumentsByKey: Map<string, Record<string, unknown>>): string {
  const args = argumentsByKey.get(`${event.agentId}:${event.turn}:${event.index}`) ?? {};
  // What to show of the arguments is the tool's own knowledge (tools/types.ts `progress`).
  const { key, scope } = toolCatalog().get(event.name)?.progress ?? {};
  const value = key !== undefined && typeof args[key] === 'string' ? ` ${JSON.stringify(shorten(args[key] as string, 60))}` : '';
  const where = scope !== undefined && typeof args[scope] === 'string' ? ` in ${shorten(args[scope] as string, 40)}` : '';
  const prefix = event.agentId === 'main' ? '' : `[${event.agentId}] `;
  const status = event.isError ? 'error' : sizeOf(event.output);
  const truncated = event.truncated ? ', truncated' : '';
  return `  ${prefix}${event.name}${value}${where} → ${status}${truncated} (${event.durationMs} ms)`;
}

export function formatSummary(result: AgentResult): string {
  const tokens = result.usage.promptTokens + result.usage.completionTokens;
  const cached = result.usage.cachedTokens > 0 ? `, ${result.usage.cachedTokens} cached` : '';
  const calls = result.toolCalls.length;
  return `loco: ${result.turns} turn${result.turns === 1 ? '' : 's'}, ${calls} tool call${calls === 1 ? '' : 's'}, ${tokens} tokens${cached}, ${(result.durationMs / 1000).toFixed(1)} s`;
}

/** An event listener that writes progress lines to `write`. */
export function createProgressPrinter(write: (line: string) => void): (event: AgentEvent) => void {
  const argumentsByKey = new Map<string, Record<string, unknown>>();
  return (event) => {
    if (event.type === 'tool-call') argumentsByKey.set(`${event.agentId}:${event.turn}:${event.index}`, event.arguments);
    else if (event.type === 'tool-result') write(formatToolLine(event, argumentsByKey));
    else if (event.type === 'turn-start' && event.final && event.agentId === 'main') write('  (asking for the final answer)');
  };
}
