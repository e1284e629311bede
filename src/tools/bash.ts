// The Bash tool: runs a shell command in a read-only sandbox (bubblewrap when usable,
// otherwise the read-only allow-list of bash-policy.ts) and formats the result the way the
// model saw it in training (dialect section 6): stdout then stderr; on failure
// `Exit code N`, then stderr, then stdout.
import { z } from 'zod';
import { checkArgumentLength, MAX_ARGV_CHARS } from './argument-limits.js';
import { checkReadOnlyCommand, lastCommandName, refusalMessage } from './bash-policy.js';
import type { PathPolicy } from './paths.js';
import { runSandboxed, SANDBOX_HOME, type SandboxMode, type SandboxRunResult } from './sandbox.js';
import { failed, ok, ToolUseError, type ToolDefinition, type ToolResult } from './types.js';

export const BASH_DEFAULT_TIMEOUT_MS = 120_000;
export const BASH_MAX_TIMEOUT_MS = 600_000;
export const BASH_SIZE_CAP = 30_000;
/** Bytes kept per stream: enough for BASH_SIZE_CAP characters even when every one takes 4 bytes. */
const MAX_OUTPUT_BYTES = 4 * BASH_SIZE_CAP + 8192;

/** Commands for which exit status 1 means "nothing found" or "false", not a failure. */
const EXIT_ONE_IS_AN_ANSWER = new Set(['grep', 'egrep', 'fgrep', 'rg', 'find', 'diff', 'test', '[', '[[']);

const bashSchema = z.strictObject({
  command: z.string().describe('The shell command to run'),
  timeout: z
    .number()
    .int()
    .positive()
    .max(BASH_MAX_TIMEOUT_MS)
    .optional()
    .describe(`Timeout in milliseconds (default ${BASH_DEFAULT_TIMEOUT_MS}, max ${BASH_MAX_TIMEOUT_MS})`),
  description: z.string().optional().describe('What the command does, in a few words'),
});

export interface BashToolDependencies {
  policy: PathPolicy;
  sandbox: SandboxMode;
}

export function createBashTool(deps: BashToolDependencies): ToolDefinition<typeof bashSchema> {
  return {
    name: 'Bash',
    description:
      'Runs a shell command in a read-only sandbox (no writes, no network) in the working directory. ' +
      'Prefer Read, Grep and Glob for reading and searching files.',
    schema: bashSchema,
    // Sandboxed read-only: it cannot change files, so it needs no --allow-write.
    readOnly: true,
    sizeCap: BASH_SIZE_CAP,
    promptUse: 'Use Bash to run shell commands.',
    truncationHint: 'Filter the output (head, grep) to see less at once.',
    progress: { key: 'command' },
    async run(args, context) {
      // The command reaches the shell as one argv string (`sh -c command`).
      checkArgumentLength('Bash', 'command', args.command, MAX_ARGV_CHARS, 'Split the work into shorter commands, or use Read, Grep and Glob.');
      const timeoutMs = args.timeout ?? BASH_DEFAULT_TIMEOUT_MS;
      if (deps.sandbox === 'allow-list') {
        const verdict = checkReadOnlyCommand(args.command, { cwd: deps.policy.cwd, roots: deps.policy.roots, home: SANDBOX_HOME });
        if (!verdict.allowed) throw new ToolUseError(refusalMessage(verdict.reason));
      }
      const result = await runSandboxed(args.command, {
        mode: deps.sandbox,
        // A fresh process per call: the working directory is reset every time.
        cwd: deps.policy.cwd,
        roots: deps.policy.roots,
        timeoutMs,
        signal: context.signal,
        maxOutputBytes: MAX_OUTPUT_BYTES,
      });
      return formatBashResult(args.command, result, timeoutMs);
    },
  };
}

/** Turns a finished run into the text the model expects (exported for tests and the proxy). */
export function formatBashResult(command: string, result: SandboxRunResult, timeoutMs: number): ToolResult {
  const stdout = trimOutput(result.stdout);
  const stderr = trimOutput(result.stderr);
  const join = (lines: string[]) => lines.filter((line) => line !== '').join('\n');
  let text: string;
  let isError: boolean;
  if (result.timedOut) {
    text = join([`Command timed out after ${timeoutMs} ms`, stderr, stdout]);
    isError = true;
  } else if (result.aborted) {
    text = join(['Command was aborted before it finished', stderr, stdout]);
    isError = true;
  } else if (result.exitCode !== 0 && !(result.exitCode === 1 && exitOneIsAnAnswer(command, result.stderr)) && !result.outputLimitExceeded) {
    text = join([`Exit code ${result.exitCode}`, stderr, stdout]);
    isError = true;
  } else {
    text = join([stdout, stderr]);
    isError = false;
  }
  const note = result.outputLimitExceeded
    ? `The command was stopped after writing more than ${MAX_OUTPUT_BYTES} bytes of output.`
    : undefined;
  text = capOutput(text, BASH_SIZE_CAP, result.droppedCharacters, note);
  return isError ? failed(text) : ok(text);
}

function exitOneIsAnAnswer(command: string, stderr: string): boolean {
  // `find -delete` in the read-only sandbox also exits 1: a blocked write is a failure.
  if (stderr.includes('Read-only file system')) return false;
  const name = lastCommandName(command);
  return name !== undefined && EXIT_ONE_IS_AN_ANSWER.has(name);
}

/** Drops leading blank lines and trailing whitespace; keeps the first line's indentation. */
function trimOutput(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

/**
 * Cuts `text` to at most `cap` characters including a marker that says how many characters
 * were cut: those cut here plus `alreadyDropped` that the runner read but did not keep.
 */
function capOutput(text: string, cap: number, alreadyDropped: number, note?: string): string {
  const hint = 'Narrow the command (head, grep -m, sed -n) or use Read with offset/limit to see the rest.';
  if (text.length <= cap && alreadyDropped === 0 && note === undefined) return text;
  const marker = (cut: number) => `\n\n... [${cut} characters truncated. ${note === undefined ? '' : `${note} `}${hint}]`;
  if (text.length + marker(alreadyDropped).length <= cap) return text + marker(alreadyDropped);
  const budget = Math.max(0, cap - marker(text.length + alreadyDropped).length);
  let end = budget;
  const lastNewline = text.lastIndexOf('\n', budget);
  if (lastNewline > budget * 0.8) end = lastNewline;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // do not split a surrogate pair
  return text.slice(0, end) + marker(text.length - end + alreadyDropped);
}
