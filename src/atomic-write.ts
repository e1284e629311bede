// Replaces a file's contents atomically: the data goes to a temporary file in the same
// directory (same filesystem), is flushed, then renamed over the target. A crash or a full disk
// leaves either the old file or the new one, never half of each, and no temporary file behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits for the file (an existing file's mode, to keep it); default 0o666 less umask. */
  mode?: number;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const directory = path.dirname(target);
  await mkdir(directory, { recursive: true });
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx', options.mode ?? 0o666);
    await handle.writeFile(data);
    // open() applies the umask; chmod sets the exact bits the old file had.
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined); // the write error below is the one that matters
    await rm(temporary, { force: true });
    throw error;
  }
}
