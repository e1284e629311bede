// The Edit tool: replaces exact text in a file the model has read. The text must occur once
// (or replace_all is set), so an edit never lands somewhere the model did not mean. Files with
// Windows line endings are matched with \n and written back with \r\n.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-write.js';
import { resolveWritablePath } from './paths.js';
import { failed, ok, ToolUseError, type ToolDefinition } from './types.js';
import { checkReadAndUnchanged, statIfExists, type FileChangeDependencies } from './write.js';

const editSchema = z.strictObject({
  file_path: z.string().describe('The file to change (absolute, or relative to the working directory)'),
  old_string: z.string().describe('The exact text to replace'),
  new_string: z.string().describe('The text to put in its place'),
  replace_all: z.boolean().optional().describe('Replace every occurrence (default false)'),
});

export function createEditTool(deps: FileChangeDependencies): ToolDefinition<typeof editSchema> {
  return {
    name: 'Edit',
    description: 'Replaces exact text in a file that was read with Read; the text must be unique unless replace_all is set.',
    schema: editSchema,
    readOnly: false,
    sizeCap: 100_000,
    promptUse: 'Use Edit to change part of a file.',
    progress: { key: 'file_path' },
    async run(args) {
      if (args.old_string === args.new_string) {
        throw new ToolUseError('No changes to make: old_string and new_string are exactly the same.');
      }
      const target = await resolveWritablePath(deps.policy, args.file_path);
      const shown = path.resolve(deps.policy.cwd, args.file_path);
      const existing = await statIfExists(target);
      if (existing === undefined) {
        if (args.old_string !== '') throw new ToolUseError(`File does not exist: ${shown}. Check the path, or use Write to create it.`);
        return writeChecked(target, shown, args.new_string, undefined, `File created successfully at: ${shown}`);
      }
      if (!existing.isFile()) throw new ToolUseError(`${shown} is not a regular file; Edit only changes files.`);
      checkReadAndUnchanged(deps.readState, target, existing);

      const bytes = await readFile(target);
      const content = bytes.toString('utf8');
      if (!Buffer.from(content, 'utf8').equals(bytes)) {
        throw new ToolUseError(`${shown} is not valid UTF-8 text; Edit cannot change it safely.`);
      }
      const updated = applyEdit(content, args.old_string, args.new_string, args.replace_all ?? false);
      return writeChecked(target, shown, updated, existing.mode & 0o7777, `The file ${shown} has been updated successfully.`);
    },
  };

  async function writeChecked(target: string, shown: string, data: string, mode: number | undefined, message: string) {
    try {
      await writeFileAtomic(target, data, { mode });
    } catch (error) {
      return failed(`Could not write ${shown}: ${(error as Error).message}`);
    }
    deps.readState.recordRead(target, (await stat(target)).mtimeMs);
    return ok(message);
  }
}

/** The new file contents, or a ToolUseError that tells the model how to fix its call. */
export function applyEdit(content: string, oldString: string, newString: string, replaceAll: boolean): string {
  if (oldString === '') {
    if (content.trim() !== '') throw new ToolUseError('Cannot create new file - file already exists. Give old_string to edit it.');
    return newString;
  }
  // Only files that use \r\n throughout are normalised: in a mixed file, converting every \n
  // back to \r\n would change lines the edit did not touch.
  const crlf = content.includes('\r\n') && !/(^|[^\r])\n/.test(content);
  const toLf = (text: string) => (crlf ? text.replace(/\r\n/g, '\n') : text);
  const text = toLf(content);
  const search = toLf(oldString);
  const replacement = toLf(newString);

  const count = countOccurrences(text, search);
  if (count === 0) {
    throw new ToolUseError(
      `String to replace not found in file.\nString: ${oldString}\n` +
        'Read the file again and copy the exact text, including whitespace and indentation.',
    );
  }
  if (count > 1 && !replaceAll) {
    throw new ToolUseError(
      `Found ${count} matches of the string to replace, but replace_all is false. To replace all occurrences, ` +
        'set replace_all to true. To replace only one occurrence, add more surrounding context to old_string ' +
        `so that it matches exactly one place.\nString: ${oldString}`,
    );
  }
  // split/join and slicing, not String.replace: `$&` in new_string must stay literal.
  let result: string;
  if (replaceAll) result = text.split(search).join(replacement);
  else {
    const index = text.indexOf(search);
    result = text.slice(0, index) + replacement + text.slice(index + search.length);
  }
  return crlf ? result.replace(/\n/g, '\r\n') : result;
}

function countOccurrences(text: string, search: string): number {
  let count = 0;
  for (let index = text.indexOf(search); index !== -1; index = text.indexOf(search, index + search.length)) count++;
  return count;
}
