// Recognising sub-agent requests. What Claude Code 2.1.112 actually sends (captured from its
// traffic; pinned by test/proxy/subagent.test.ts): NO agent-id header. Main agent and
// sub-agents carry the same headers (`x-app: cli`, `user-agent: claude-cli/2.1.112 …`,
// `x-claude-code-session-id`, the same `metadata.user_id`). What differs is the tool list:
// the main agent is offered the sub-agent spawner (`Agent`; `Task` in older versions) and a
// sub-agent never is, since sub-agents cannot spawn sub-agents. Explore sub-agents also ask
// for a haiku model, which the model rule catches on its own.
//
// So a request is a sub-agent's when it carries a configured marker header (for clients that
// send one), or when it comes from Claude Code, offers tools, and none of them is a spawner.
// Limit: a main agent started with the spawner disabled (`--disallowedTools Agent`) looks
// like a sub-agent; route such setups with explicit rules instead.
import type { IncomingHttpHeaders } from 'node:http';

export interface SubagentMarkers {
  /** Header names whose presence marks a sub-agent request. */
  headers: readonly string[];
  /** Tool names only a main agent is offered. */
  spawnerTools: readonly string[];
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** True for Claude Code (and the Agent SDK, which shares its client). */
export function isClaudeCode(headers: IncomingHttpHeaders): boolean {
  const agent = headerText(headers['user-agent']) ?? '';
  return /^claude-cli\//i.test(agent) || headers['x-app'] !== undefined;
}

/** The marker that makes this a sub-agent request (`header:NAME` or `claude-code-tools`), if any. */
export function subagentMarker(headers: IncomingHttpHeaders, toolNames: readonly string[], markers: SubagentMarkers): string | undefined {
  for (const name of markers.headers) {
    if (headers[name.toLowerCase()] !== undefined) return `header:${name.toLowerCase()}`;
  }
  if (toolNames.length === 0 || !isClaudeCode(headers)) return undefined;
  const spawners = new Set(markers.spawnerTools);
  return toolNames.some((name) => spawners.has(name)) ? undefined : 'claude-code-tools';
}
