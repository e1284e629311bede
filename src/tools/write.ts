// The Write tool: creates a file or replaces its contents, atomically. An existing file must
// have been read in this conversation and be unchanged since, so the model never overwrites
// what it has not seen (or what the user changed meanwhile).
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-write.js';
import { resolveWritablePath, type PathPolicy } from './paths.js';
import type { FileReadState } from './read-state.js';
import { failed, ok, ToolUseError, type ToolDefinition } from './types.js';

const writeSchema = z.strictObject({
  file_path: z.string().describe('The file to write (absolute, or relative to the working directory)'),
  content: z.string().describe('The complete new contents of the file'),
});

export interface FileChangeDependencies {
  policy: PathPolicy;
  readState: FileReadState;
}

export function createWriteTool(deps: FileChangeDependencies): ToolDefinition<typeof writeSchema> {
  return {
    name: 'Write',
    description: 'Writes a file, replacing it if it exists. An existing file must be read with Read first.',
    schema: writeSchema,
    readOnly: false,
    sizeCap: 100_000,
    promptUse: 'Use Write to create or overwrite files.',
    progress: { key: 'file_path' },
    async run(args) {
      const target = await resolveWritablePath(deps.policy, args.file_path);
      const shown = path.resolve(deps.policy.cwd, args.file_path);
      const existing = await statIfExists(target);
      if (existing !== undefined) {
        if (!existing.isFile()) throw new ToolUseError(`${shown} is not a regular file; Write only writes files.`);
        checkReadAndUnchanged(deps.readState, target, existing);
      }
      try {
        await writeFileAtomic(target, args.content, { mode: existing === undefined ? undefined : existing.mode & 0o7777 });
      } catch (error) {
        return failed(`Could not write ${shown}: ${(error as Error).message}`);
      }
      deps.readState.recordRead(target, (await stat(target)).mtimeMs);
      return ok(existing === undefined ? `File created successfully at: ${shown}` : `The file ${shown} has been updated successfully.`);
    },
  };
}

export async function statIfExists(target: string): Promise<Stats | undefined> {
  try {
    return await stat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Refuses to change a file the model has not read, or that changed on disk since it was read. */
export function checkReadAndUnchanged(readState: FileReadState, target: string, current: Stats): void {
  const readAt = readState.lastRead(target);
  if (readAt === undefined) throw new ToolUseError('File has not been read yet. Read it first before writing to it.');
  if (current.mtimeMs > readAt) {
    throw new ToolUseError(
      'File has been modified since read, either by the user or by a linter. Read it again before attempting to write it.',
    );
  }
}
