// Routing rules: the first rule whose every condition holds decides local or remote; no match
// means the configured default. Pure apart from reading request headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteRule, RouteTarget } from './config.js';
import { subagentMarker, type SubagentMarkers } from './subagent.js';

export interface RouteRequest {
  model: string;
  headers: IncomingHttpHeaders;
  /** Names of the tools the request offers. */
  toolNames: readonly string[];
}

export interface RouteDecision {
  target: RouteTarget;
  /** The rule's name (`rule-N` when unnamed), or `default`. */
  reason: string;
  /** The sub-agent marker found, whether or not a rule used it. */
  subagent?: string;
  /** Model name to send the remote instead of the requested one. */
  remoteModel?: string;
}

/** `*` any run of characters, `?` one character, everything else literal; case-insensitive. */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

interface CompiledRule {
  rule: RouteRule;
  reason: string;
  models?: RegExp[];
  headers?: Array<{ name: string; value: RegExp | true }>;
}

export interface Router {
  decide(request: RouteRequest): RouteDecision;
}

export function createRouter(rules: readonly RouteRule[], defaultTarget: RouteTarget, markers: SubagentMarkers): Router {
  const compiled: CompiledRule[] = rules.map((rule, index) => {
    const models = rule.match.model === undefined ? undefined : (Array.isArray(rule.match.model) ? rule.match.model : [rule.match.model]).map(globToRegExp);
    const headers = rule.match.header === undefined ? undefined : Object.entries(rule.match.header).map(([name, value]) => ({ name: name.toLowerCase(), value: value === true ? (true as const) : globToRegExp(value) }));
    return { rule, reason: rule.name ?? `rule-${index + 1}`, models, headers };
  });

  function matches(entry: CompiledRule, request: RouteRequest, subagent: string | undefined): boolean {
    if (entry.models && !entry.models.some((pattern) => pattern.test(request.model))) return false;
    if (entry.rule.match.subagent !== undefined && entry.rule.match.subagent !== (subagent !== undefined)) return false;
    for (const header of entry.headers ?? []) {
      const raw = request.headers[header.name];
      if (raw === undefined) return false;
      if (header.value !== true && !header.value.test(Array.isArray(raw) ? raw.join(',') : raw)) return false;
    }
    return true;
  }

  return {
    decide(request) {
      const subagent = subagentMarker(request.headers, request.toolNames, markers);
      for (const entry of compiled) {
        if (!matches(entry, request, subagent)) continue;
        const remoteModel = entry.rule.target === 'remote' ? entry.rule.model : undefined;
        return { target: entry.rule.target, reason: entry.reason, subagent, ...(remoteModel ? { remoteModel } : {}) };
      }
      return { target: defaultTarget, reason: 'default', subagent };
    },
  };
}
