// Real temporary directory trees for tests; removed by the returned cleanup.
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempTree {
  root: string;
  cleanup(): Promise<void>;
}

/** Creates files (string or bytes) under a fresh temp dir; keys are relative paths. */
export async function makeTempTree(files: Record<string, string | Uint8Array> = {}): Promise<TempTree> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loco-test-')));
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}
