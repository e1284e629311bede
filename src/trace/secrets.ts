// Secret scrubbing for traces and the training data made from them: API keys and tokens of the common providers, private
// key blocks, bearer tokens, and the values of secret-looking assignments (`.env` lines,
// `export X_TOKEN=...`, also inside Read output after its line-number prefix). Each match is
// replaced by `[REDACTED:<kind>]`; `findings` keeps a masked preview for `--dry-run`.

interface SecretRule {
  kind: string;
  pattern: RegExp;
  /** The capture group holding the secret (default the whole match). */
  group?: number;
}

const RULES: readonly SecretRule[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g },
  { kind: 'anthropic-key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'slack-token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'huggingface-token', pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: 'stripe-key', pattern: /\b[rs]k_live_[A-Za-z0-9]{20,}/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  { kind: 'bearer-token', pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g, group: 1 },
  { kind: 'url-password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]{3,})@/g, group: 1 },
  // NAME=value where the name says secret; the optional prefix is Read's line number.
  {
    kind: 'env-value',
    pattern: /^((?:\s*\d+(?:→|\t))?\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH)[A-Za-z0-9_]*\s*[=:]\s*)(["']?)([^\s"'#]{4,})\2/gim,
    group: 3,
  },
];

export interface SecretFinding {
  kind: string;
  /** The first and last characters only, for a preview that does not leak the secret. */
  preview: string;
}

function mask(secret: string): string {
  if (secret.length <= 8) return '*'.repeat(secret.length);
  return `${secret.slice(0, 4)}…${secret.slice(-2)} (${secret.length} chars)`;
}

const placeholder = (kind: string): string => `[REDACTED:${kind}]`;

/** The text with every secret replaced; findings appended to `findings`. */
export function scrubText(text: string, findings: SecretFinding[]): string {
  let out = text;
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    if (!rule.pattern.test(out)) continue;
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      if (rule.group === undefined) {
        findings.push({ kind: rule.kind, preview: mask(match) });
        return placeholder(rule.kind);
      }
      const secret = groups[rule.group - 1];
      if (typeof secret !== 'string' || secret.startsWith('[REDACTED')) return match;
      findings.push({ kind: rule.kind, preview: mask(secret) });
      const offset = match.lastIndexOf(secret);
      return `${match.slice(0, offset)}${placeholder(rule.kind)}${match.slice(offset + secret.length)}`;
    });
  }
  return out;
}

/** Strings anywhere in a JSON value (tool-call arguments) scrubbed the same way. */
export function scrubValue(value: unknown, findings: SecretFinding[]): unknown {
  if (typeof value === 'string') return scrubText(value, findings);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, findings));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubValue(item, findings)]));
  }
  return value;
}
