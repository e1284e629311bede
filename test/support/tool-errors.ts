// Helpers for running tools and asserting on their failures.
import assert from 'node:assert/strict';
import { createBashTool } from '../../src/tools/bash.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import type { SandboxMode } from '../../src/tools/sandbox.js';
import { ToolUseError, type ToolResult } from '../../src/tools/types.js';

/** Awaits a tool run that must fail with a ToolUseError; returns its message. */
export async function toolUseErrorOf(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ToolUseError, `expected a ToolUseError, got ${String(error)}`);
  return error.message;
}

/**
 * Runs `body` unable to read mode-000 files. Tests run as root, whom mode bits do not stop:
 * the effective user and group become "nobody" (65534) for the duration, so the kernel
 * really answers EACCES, also in libuv's threads. Non-root runs are denied as they are.
 */
export async function withoutPrivileges<T>(body: () => Promise<T>): Promise<T> {
  if (process.geteuid?.() !== 0) return body();
  process.setegid?.(65534);
  process.seteuid?.(65534);
  try {
    return await body();
  } finally {
    process.seteuid?.(0);
    process.setegid?.(0);
  }
}

/** Runs the Bash tool as the executor would: a ToolUseError becomes an error result. */
export async function runBashTool(mode: SandboxMode, root: string, command: string, timeout?: number, signal?: AbortSignal): Promise<ToolResult> {
  const tool = createBashTool({ policy: createPathPolicy([root]), sandbox: mode });
  try {
    return await tool.run({ command, timeout }, { signal: signal ?? new AbortController().signal });
  } catch (error) {
    if (error instanceof ToolUseError) return { output: error.message, isError: true };
    throw error;
  }
}
