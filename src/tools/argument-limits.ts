// Size limits on tool arguments that reach a process's argv or a file-system call, checked
// before anything runs, so the model gets a message naming the limit instead of the
// kernel's `E2BIG` or `ENAMETOOLONG`; and a shortened form for echoing long values back.
import { ToolUseError } from './types.js';

/** Linux's PATH_MAX: no longer path can be opened. */
export const MAX_PATH_CHARS = 4096;
/** Linux's NAME_MAX, in bytes: the longest single file or directory name. */
export const MAX_NAME_BYTES = 255;
/**
 * One argv string may hold at most 128 KiB (MAX_ARG_STRLEN); a UTF-16 character takes up to
 * 3 bytes in UTF-8, so this many characters always fit, with room for other arguments.
 */
export const MAX_ARGV_CHARS = 32_768;

/** `text` cut in the middle to about `max` characters, saying how long it was. */
export function shortenForMessage(text: string, max = 200): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(-half)} (${text.length} characters)`;
}

/** Refuses a string argument longer than `limit` characters, naming the limit and a fix. */
export function checkArgumentLength(tool: string, parameter: string, value: string | undefined, limit: number, fix: string): void {
  if (value === undefined || value.length <= limit) return;
  throw new ToolUseError(
    `${tool}'s \`${parameter}\` is ${value.length} characters long; the limit is ${limit} characters. ${fix}`,
  );
}
