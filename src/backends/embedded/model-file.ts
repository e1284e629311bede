// Fast checks of a model file before llama.cpp sees it, and the translation of load
// failures into errors that name the fix. llama.cpp's own messages for a missing or foreign
// file are vague (or a crash), so the common mistakes are caught here first.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../../errors.js';

export const GGUF_MAGIC = 'GGUF';
const FIX = 'run `loco model pull` or pass --backend URL';

/** Throws a LocoError('config') naming the fix when `file` is not a readable GGUF file. */
export async function checkModelFile(file: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new LocoError('config', `${file} is a directory, not a model file: pass the .gguf file inside it, ${FIX}`);
    size = info.size;
  } catch (error) {
    if (error instanceof LocoError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LocoError('config', `no model at ${file}: ${FIX}`, { cause: error });
    throw new LocoError('config', `cannot read the model ${file} (${String(code ?? error)}): check its permissions, or ${FIX}`, { cause: error });
  }
  const head = Buffer.alloc(8);
  let read = 0;
  try {
    const handle = await open(file, 'r');
    try {
      ({ bytesRead: read } = await handle.read(head, 0, head.length, 0));
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new LocoError('config', `cannot read the model ${file} (${String(code ?? error)}): check its permissions, or ${FIX}`, { cause: error });
  }
  if (read < 8 || head.toString('latin1', 0, 4) !== GGUF_MAGIC) {
    const what = size === 0 ? 'an empty file' : `a file starting with ${JSON.stringify(head.subarray(0, Math.min(read, 4)).toString('latin1'))}`;
    throw new LocoError('config', `${file} is not a GGUF model (${what}; a GGUF file starts with "GGUF"): ${FIX}`);
  }
  const version = head.readUInt32LE(4);
  if (version < 2 || version > 3) {
    throw new LocoError('config', `${file} is GGUF version ${version}, which llama.cpp cannot read (it reads versions 2 and 3): convert it again, or ${FIX}`);
  }
}

/** Turns an error thrown while loading into one that says what to do. */
export function loadFailure(file: string, error: unknown, recentLog: readonly string[]): LocoError {
  if (error instanceof LocoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const log = recentLog.join(' ');
  const architecture = /unknown model architecture:?\s*'?([^'\s]+)'?/i.exec(`${message} ${log}`)?.[1];
  if (architecture) {
    return new LocoError('config', `cannot load ${path.basename(file)}: this llama.cpp (node-llama-cpp) does not support the "${architecture}" architecture: use a Qwen3 GGUF such as LocoOperator-4B (${FIX})`, { cause: error });
  }
  if (/NoBinaryFoundError|binary/i.test(message)) {
    return new LocoError('config', `node-llama-cpp has no prebuilt llama.cpp binary for this machine (${message}): pass --backend URL to use a llama.cpp server instead`, { cause: error });
  }
  const detail = log === '' ? message : `${message} (llama.cpp: ${log.slice(-400)})`;
  return new LocoError('config', `cannot load the model ${file}: ${detail}: check the file is a complete GGUF (a partial download?), or ${FIX}`, { cause: error });
}

/**
 * The names a GGUF gives its model (`general.name`, `general.basename`), read from the header
 * only; none when the file cannot be read (loading it later reports why).
 */
export async function ggufModelNames(file: string): Promise<string[]> {
  try {
    const { readGgufFileInfo } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(file, { readTensorInfo: false, logWarnings: false });
    const general = info.metadata?.general;
    return [general?.name, general?.basename].filter((name): name is string => typeof name === 'string' && name !== '');
  } catch {
    return [];
  }
}
