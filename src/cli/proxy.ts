// `loco proxy`: an Anthropic-API server for Claude Code (ANTHROPIC_BASE_URL=http://127.0.0.1:9091)
// that answers sub-agent and haiku-class requests with the local model and passes the rest
// through to the cloud. Runs until Ctrl-C or SIGTERM. stderr carries the startup lines,
// fallback notes and (without --log) the JSONL request log; stdout stays empty.
import type { Command } from 'commander';
import { createBackendFromSpec } from '../backends/spec.js';
import { loadProxyConfig, LOOPBACK_HOSTS, type ProxyFlags } from '../proxy/config.js';
import { createRemoteRecorder } from '../proxy/record.js';
import { createRequestLog } from '../proxy/request-log.js';
import { startProxyServer } from '../proxy/server.js';
import type { CommandIo } from './io.js';
import { profileForModel } from './explorer-options.js';
import { defaultBackendSpec } from './model.js';

export interface ProxyCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

export interface ProxyCommandFlags extends ProxyFlags {
  /** --record DIR */
  record?: string;
  pull?: boolean;
  modelsDir?: string;
}


function stopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', done, { once: true });
    process.on('SIGTERM', done);
  });
}

export async function runProxy(flags: ProxyCommandFlags, io: CommandIo): Promise<number> {
  const loaded = await loadProxyConfig(flags, io.env);
  const spec = loaded.local.backend ?? (await defaultBackendSpec({ modelsDir: flags.modelsDir, pull: flags.pull !== false }, io));
  // The profile is known once the model is: --profile, else what its name suggests.
  const profile = await profileForModel(loaded.local.profileReference, loaded.local.model, [spec]);
  const config = Object.freeze({ ...loaded, local: { ...loaded.local, profile } });
  const local = await createBackendFromSpec(spec, { model: config.local.model, apiKey: io.env.LOCO_API_KEY ?? io.env.OPENAI_API_KEY, contextSize: config.local.contextSize });
  const log = createRequestLog(config.log, io.stderr);
  let server;
  try {
    const recorder = flags.record === undefined ? undefined : createRemoteRecorder(flags.record);
    server = await startProxyServer({ config, local, log, note: (line) => io.stderr.write(`${line}\n`), recorder });
  } catch (error) {
    await local.close();
    await log.close();
    throw error;
  }
  const key = config.remote.apiKeyEnv ? `, key from $${config.remote.apiKeyEnv}` : ", each client's own key";
  io.stderr.write(`loco proxy: listening on ${server.url} (local: ${local.info.description}, profile ${profile.name}; remote: ${config.remote.url}${key})\n`);
  io.stderr.write(`loco proxy: run Claude Code with ANTHROPIC_BASE_URL=${server.url}; stats at ${server.url}/\n`);
  if (!LOOPBACK_HOSTS.has(config.host)) io.stderr.write(`loco proxy: warning: listening on ${config.host}, reachable from the network; anyone who can reach it can spend the remote key\n`);
  await stopped(io.signal);
  io.stderr.write('loco proxy: stopping\n');
  await server.close();
  await local.close();
  await log.close();
  return 0;
}

export function registerProxyCommand(program: Command, io: ProxyCommandIo): void {
  program
    .command('proxy')
    .description('Serve the Anthropic API for Claude Code: sub-agents and haiku-class requests on the local model, everything else passed through to the cloud')
    .option('-c, --config <file>', 'JSON config file: routes, local limits, remote, pricing')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <n>', 'port to listen on (default 9091; 0 picks a free one)')
    .option('--local <spec>', 'local backend: an OpenAI-compatible URL, gguf:<file.gguf> or fake:<script.jsonl>; env LOCO_BACKEND; default: the embedded engine on the default model')
    .option('--remote <url>', 'Anthropic API base URL (default https://api.anthropic.com)')
    .option('--remote-key-env <name>', "environment variable holding the remote API key; it replaces the clients' own keys")
    .option('-m, --model <name>', 'model name to ask the local backend for; env LOCO_MODEL')
    .option('--profile <name|file>', 'model profile the local model is spoken to in: locooperator, qwen3-tools, fastcontext, or a profile JSON file; env LOCO_PROFILE; default from the model name')
    .option('--max-turns <n>', "assistant turns a conversation may take locally (default: the profile's)")
    .option('--at-turn-limit <policy>', "past --max-turns: fallback (the remote answers, default) or final-answer (the profile's final message, answered locally)")
    .option('--log <file>', 'append the JSONL request log to this file (default: stderr)')
    .option('--record <dir>', 'write each conversation the remote answered as a loco trace in <dir> (for `loco distill import`; no header or key is ever written)')
    .option('--models-dir <dir>', 'where models are cached (env LOCO_MODELS_DIR; default ~/.cache/loco/models)')
    .option('--no-pull', 'do not download the default model when it is missing')
    .action(async (flags: ProxyCommandFlags) => {
      io.setExitCode(await runProxy(flags, io));
    });
}
