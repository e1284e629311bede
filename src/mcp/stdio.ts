// `loco mcp` over stdio. stdout carries protocol messages only: before anything else runs,
// the process's stdout is redirected to stderr (so a library's console.log or progress line
// cannot corrupt the stream) and the transport alone gets the real stdout.
import { Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpCore } from './core.js';
import { createLocoMcpServer } from './server.js';

/** Sends every later `stdout.write` to stderr; returns a stream that reaches the real stdout. */
export function guardStdout(stdout: NodeJS.WriteStream, stderr: NodeJS.WritableStream): Writable {
  const realWrite = stdout.write.bind(stdout) as (chunk: string | Uint8Array, callback: (error?: Error | null) => void) => boolean;
  const protocolOut = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      realWrite(chunk, callback);
    },
  });
  const toStderr = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    return typeof chunk === 'string' ? stderr.write(chunk, typeof encoding === 'string' ? encoding : 'utf8', done) : stderr.write(chunk, done);
  }) as typeof stdout.write;
  stdout.write = toStderr;
  return protocolOut;
}

/** Serves one client on stdin/stdout; resolves when the client closes stdin or the signal aborts. */
export async function serveStdio(core: McpCore, stdin: NodeJS.ReadableStream, protocolOut: Writable, signal: AbortSignal): Promise<void> {
  const server = createLocoMcpServer(core);
  const transport = new StdioServerTransport(stdin as NodeJS.ReadStream, protocolOut);
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
    transport.onclose = () => resolve();
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.connect(transport);
  await ended;
  await server.close();
}
