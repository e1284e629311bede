// Settings for `loco proxy`, layered: defaults < config file (JSON) < flags. Validated with
// zod (unknown keys in the file are errors, so a typo never silently changes routing) and
// frozen. The remote API key is read from the environment variable the user names; the key
// itself never appears in the config file, in messages or in logs.
//
// A config file (every key optional):
//   {
//     "host": "127.0.0.1", "port": 9091,
//     "local": { "backend": "http://127.0.0.1:8080/v1", "model": "LocoOperator-4B", "contextSize": 16384,
//                "maxTokens": 4096, "maxTurns": 10, "atTurnLimit": "fallback", "systemPrompt": "auto", "profile": "locooperator",
//                "firstTokenTimeoutMs": 60000, "idleTimeoutMs": 60000,
//                "sampling": { "temperature": 0.7, "topP": 0.8, "topK": 20 } },
//     "remote": { "url": "https://api.anthropic.com", "apiKeyEnv": "ANTHROPIC_API_KEY",
//                 "fallbackModel": "claude-haiku-4-5", "timeoutMs": 600000 },
//     "routes": [
//       { "name": "explore", "match": { "model": "*haiku*" }, "target": "local" },
//       { "name": "subagents", "match": { "subagent": true }, "target": "local" },
//       { "name": "forced", "match": { "header": { "x-loco-route": "local" } }, "target": "local" },
//       { "name": "opus-to-sonnet", "match": { "model": "claude-opus-*" }, "target": "remote", "model": "claude-sonnet-4-5" }
//     ],
//     "defaultTarget": "remote",
//     "subagent": { "headers": ["x-claude-code-agent-id"], "spawnerTools": ["Agent", "Task"] },
//     "pricing": { "*haiku*": { "input": 1, "output": 5 } },
//     "log": "proxy-requests.jsonl",
//     "maxBodyBytes": 10485760,
//     "headersTimeoutMs": 60000, "requestTimeoutMs": 300000
//   }
// Rules are tried in order; every condition of a `match` must hold; `routes` replaces the
// defaults (haiku and sub-agents local) rather than adding to them.
import { wholeNumberFlag } from '../flags.js';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LocoError } from '../errors.js';
import type { LocalSystemPrompt } from '../protocol/anthropic-dialect.js';
import type { Profile } from '../protocol/profile.js';
import type { PinnedSampling } from './local-request.js';

export type RouteTarget = 'local' | 'remote';

const patterns = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const positiveInt = z.number().int().positive();

const matchSchema = z.strictObject({
  /** Glob(s) on the requested model name, `*` and `?` wildcards, case-insensitive. */
  model: patterns.optional(),
  /** true: the request comes from a sub-agent (see subagent.ts for the markers). */
  subagent: z.boolean().optional(),
  /** Header name -> glob on its value, or true for "present". */
  header: z.record(z.string(), z.union([z.string(), z.literal(true)])).optional(),
});

const routeSchema = z.strictObject({
  name: z.string().min(1).optional(),
  match: matchSchema,
  target: z.enum(['local', 'remote']),
  /** Model name sent to the remote instead of the requested one (remote routes only). */
  model: z.string().min(1).optional(),
});

const priceSchema = z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() });

export const proxyFileSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  local: z
    .strictObject({
      backend: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      contextSize: positiveInt.optional(),
      maxTokens: positiveInt.optional(),
      maxTurns: positiveInt.optional(),
      /** At the turn limit: `fallback` to the remote (default), or `final-answer`: the profile's final message, answered locally with no tool run. */
      atTurnLimit: z.enum(['fallback', 'final-answer']).optional(),
      systemPrompt: z.enum(['auto', 'training', 'qwen-tools', 'client']).optional(),
      /** A built-in profile name or a profile file; default the one the model's name suggests. */
      profile: z.string().min(1).optional(),
      /** false: never list the client's working directory for a profile prompt that shows it (default true on a loopback host). */
      listWorkspace: z.boolean().optional(),
      firstTokenTimeoutMs: positiveInt.optional(),
      idleTimeoutMs: positiveInt.optional(),
      /** Pinned sampling: each value set here replaces the client's (the Messages API ranges). */
      sampling: z
        .strictObject({
          temperature: z.number().min(0).max(2).optional(),
          topP: z.number().gt(0).max(1).optional(),
          topK: z.number().int().min(0).optional(),
        })
        .optional(),
    })
    .optional(),
  remote: z
    .strictObject({
      url: z.url().optional(),
      apiKeyEnv: z.string().min(1).optional(),
      /** Model name for requests that fall back from the local route (default: the requested one). */
      fallbackModel: z.string().min(1).optional(),
      timeoutMs: positiveInt.optional(),
    })
    .optional(),
  routes: z.array(routeSchema).optional(),
  defaultTarget: z.enum(['local', 'remote']).optional(),
  subagent: z.strictObject({ headers: z.array(z.string().min(1)).optional(), spawnerTools: z.array(z.string().min(1)).optional() }).optional(),
  /** Model glob -> USD per million tokens; used to price local tokens as if sent remote. */
  pricing: z.record(z.string(), priceSchema).optional(),
  log: z.string().min(1).optional(),
  maxBodyBytes: positiveInt.optional(),
  /** A client that has not sent its headers, or its whole request, by then gets a 408. */
  headersTimeoutMs: positiveInt.optional(),
  requestTimeoutMs: positiveInt.optional(),
});

export type ProxyFile = z.infer<typeof proxyFileSchema>;
export type RouteRule = z.infer<typeof routeSchema>;

export interface LocalSettings {
  /** Backend spec (URL, fake:, gguf:); undefined: the embedded engine on the default model. */
  backend?: string;
  model?: string;
  /** Overrides the backend's own context size for the overflow check. */
  contextSize?: number;
  maxTokens: number;
  /** Assistant turns served locally before the remote takes over; default the profile's. */
  maxTurns?: number;
  /** What the turn after the limit gets: the remote, or the local model asked for its final answer. */
  atTurnLimit: 'fallback' | 'final-answer';
  systemPrompt: LocalSystemPrompt;
  /** `--profile` / `local.profile`, resolved by the command once the backend is known. */
  profileReference?: string;
  /** The model profile requests are rendered for; default locooperator. */
  profile?: Profile;
  /**
   * Whether a profile prompt that shows the workspace listing may read the directory the
   * client names (only a loopback client can ask, so it lists nothing it could not list itself).
   */
  listWorkspace?: boolean;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Values that replace the client's temperature / top_p / top_k. */
  sampling: PinnedSampling;
}

export interface RemoteSettings {
  url: string;
  /** Replaces the client's key when set. */
  apiKey?: string;
  apiKeyEnv?: string;
  fallbackModel?: string;
  timeoutMs: number;
}

export interface PriceEntry {
  pattern: string;
  input: number;
  output: number;
}

export interface ProxyConfig {
  host: string;
  port: number;
  local: LocalSettings;
  remote: RemoteSettings;
  routes: RouteRule[];
  defaultTarget: RouteTarget;
  subagent: { headers: string[]; spawnerTools: string[] };
  pricing: PriceEntry[];
  /** JSONL request log file; undefined or `-`: stderr. */
  log?: string;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface ProxyFlags {
  config?: string;
  host?: string;
  port?: string;
  local?: string;
  remote?: string;
  remoteKeyEnv?: string;
  model?: string;
  log?: string;
  profile?: string;
  maxTurns?: string;
  atTurnLimit?: string;
}

function atTurnLimitFlag(value: string | undefined): LocalSettings['atTurnLimit'] | undefined {
  if (value === undefined || value === 'fallback' || value === 'final-answer') return value;
  throw new LocoError('usage', `--at-turn-limit must be fallback or final-answer (got "${value}")`);
}

/** Without a config: haiku-class models and sub-agent requests local, everything else remote. */
export const DEFAULT_ROUTES: readonly RouteRule[] = Object.freeze([
  { name: 'haiku', match: { model: '*haiku*' }, target: 'local' },
  { name: 'subagent', match: { subagent: true }, target: 'local' },
]);

/**
 * List prices (USD per million tokens, April 2026), first match wins; a config's `pricing`
 * entries come before these.
 */
export const DEFAULT_PRICING: readonly PriceEntry[] = Object.freeze([
  { pattern: '*opus-4-[5-9]*', input: 5, output: 25 },
  { pattern: '*opus*', input: 15, output: 75 },
  { pattern: '*sonnet*', input: 3, output: 15 },
  { pattern: '*haiku-4*', input: 1, output: 5 },
  { pattern: '*haiku*', input: 0.8, output: 4 },
]);

/** Addresses only this machine can reach. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_PORT = 9091;

export async function readProxyFile(file: string): Promise<ProxyFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new LocoError('usage', `cannot read proxy config ${file}: ${reason}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LocoError('config', `proxy config ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = proxyFileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ');
    throw new LocoError('config', `proxy config ${file}: ${problems}`);
  }
  return parsed.data;
}


function remoteUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LocoError('usage', `--remote must be an http(s) URL such as https://api.anthropic.com (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LocoError('usage', `--remote must be an http(s) URL (got "${text}")`);
  if (url.username !== '' || url.password !== '') throw new LocoError('usage', '--remote must not carry credentials: use --remote-key-env NAME');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Merges defaults, the file and the flags; resolves the remote key from the environment. */
export function resolveProxyConfig(file: ProxyFile, flags: ProxyFlags, env: NodeJS.ProcessEnv): Readonly<ProxyConfig> {
  const keyEnv = flags.remoteKeyEnv ?? file.remote?.apiKeyEnv;
  let apiKey: string | undefined;
  if (keyEnv !== undefined) {
    apiKey = env[keyEnv]?.trim();
    if (!apiKey) throw new LocoError('config', `the remote key variable ${keyEnv} is empty or not set: export ${keyEnv}=<your Anthropic key>, or drop --remote-key-env to forward each client's own key`);
  }
  const flagTurns = wholeNumberFlag('--max-turns', flags.maxTurns, 1, 200);
  const local: LocalSettings = {
    backend: (flags.local ?? file.local?.backend ?? env.LOCO_BACKEND)?.trim() || undefined,
    model: flags.model ?? file.local?.model ?? (env.LOCO_MODEL?.trim() || undefined),
    contextSize: file.local?.contextSize,
    maxTokens: file.local?.maxTokens ?? 4096,
    maxTurns: flagTurns ?? file.local?.maxTurns,
    atTurnLimit: atTurnLimitFlag(flags.atTurnLimit) ?? file.local?.atTurnLimit ?? 'fallback',
    systemPrompt: file.local?.systemPrompt ?? 'auto',
    profileReference: flags.profile ?? file.local?.profile ?? (env.LOCO_PROFILE?.trim() || undefined),
    firstTokenTimeoutMs: file.local?.firstTokenTimeoutMs ?? 60_000,
    idleTimeoutMs: file.local?.idleTimeoutMs ?? 60_000,
    sampling: { ...file.local?.sampling },
  };
  const headersTimeoutMs = file.headersTimeoutMs ?? 60_000;
  const requestTimeoutMs = file.requestTimeoutMs ?? 300_000;
  // node:http refuses a headers timeout longer than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) throw new LocoError('config', `proxy config: headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`);
  const remote: RemoteSettings = {
    url: remoteUrl(flags.remote ?? file.remote?.url ?? 'https://api.anthropic.com'),
    apiKey,
    apiKeyEnv: keyEnv,
    fallbackModel: file.remote?.fallbackModel,
    timeoutMs: file.remote?.timeoutMs ?? 600_000,
  };
  const pricing = [...Object.entries(file.pricing ?? {}).map(([pattern, price]) => ({ pattern, ...price })), ...DEFAULT_PRICING];
  const host = flags.host ?? file.host ?? '127.0.0.1';
  // Only a client on this machine can name a directory to list; a network one never can.
  local.listWorkspace = LOOPBACK_HOSTS.has(host) && (file.local?.listWorkspace ?? true);
  return Object.freeze({
    host,
    port: wholeNumberFlag('--port', flags.port, 0, 65_535) ?? file.port ?? DEFAULT_PORT,
    local,
    remote,
    routes: file.routes ?? [...DEFAULT_ROUTES],
    defaultTarget: file.defaultTarget ?? 'remote',
    subagent: { headers: file.subagent?.headers ?? ['x-claude-code-agent-id'], spawnerTools: file.subagent?.spawnerTools ?? ['Agent', 'Task'] },
    pricing,
    log: flags.log ?? file.log,
    maxBodyBytes: file.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    headersTimeoutMs,
    requestTimeoutMs,
  });
}

export async function loadProxyConfig(flags: ProxyFlags, env: NodeJS.ProcessEnv): Promise<Readonly<ProxyConfig>> {
  const file = flags.config === undefined ? {} : await readProxyFile(flags.config);
  return resolveProxyConfig(file, flags, env);
}
