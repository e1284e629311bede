// The options every command that runs the explorer takes (ask, batch, mcp, bench run,
// worker): which backend and model, sampling, the sandbox, the prompt, and the embedded
// engine's settings. One list, and one way to turn them into a backend, so the commands
// never drift apart.
import { Option, type Command } from 'commander';
import { createBackendFromSpecs } from '../backends/fleet-spec.js';
import type { Backend } from '../backends/types.js';
import { backendOptionsOf, resolveAskConfig, type AskConfig, type AskFlags } from '../config/ask-config.js';
import { ggufModelNames } from '../backends/embedded/index.js';
import { chooseProfile } from '../config/profile-file.js';
import type { Profile } from '../protocol/profile.js';
import { backendSpecs, collectBackend } from './backend-flags.js';
import type { CommandIo } from './io.js';
import { defaultBackendSpec } from './model.js';

/** `moreBackends`: backend kinds a command adds to the usual ones, for the help text. */
export function addExplorerOptions(command: Command, options: { moreBackends?: string } = {}): Command {
  return command
    .option(
      '-b, --backend <spec>',
      `gguf:<file.gguf> (in-process), an OpenAI-compatible base URL (e.g. http://127.0.0.1:8080/v1) or fake:<script.jsonl>${options.moreBackends ?? ''}; repeat it for a fleet of servers (each request goes to one with a free slot); env LOCO_BACKEND; default: the embedded engine on the default model`,
      collectBackend,
    )
    .option('-m, --model <name>', 'model name to ask the backend for; env LOCO_MODEL')
    .option('-t, --temperature <t>', 'sampling temperature (default 0.7; top_p 0.8 and top_k 20 are fixed)')
    .option('--context-budget <tokens>', 'largest prompt to send, in tokens (default 50000)')
    .addOption(new Option('--sandbox <mode>', 'how Bash is confined').choices(['auto', 'bwrap', 'allow-list']).default('auto'))
    .addOption(new Option('--prompt-style <style>', 'system prompt variant').choices(['training', 'qwen-tools']).default('training'))
    .option('--profile <name|file.json>', 'the dialect the model was trained in: locooperator, qwen3-tools, fastcontext, or a profile JSON file; env LOCO_PROFILE; default from the model\'s name (FastContext -> fastcontext), else locooperator')
    .addOption(new Option('--server-kind <kind>', 'server differences to account for').choices(['llamacpp', 'vllm', 'ollama', 'openrouter', 'openai']))
    .option('--no-subagents', 'do not offer the Task tool')
    .option('--threads <n>', 'embedded engine: CPU threads (default by model size and cores)')
    .option('--ctx-size <tokens>', 'embedded engine: context size per conversation (default by memory, up to 16384)')
    .option('--gpu-layers <n|auto>', 'embedded engine: layers on the GPU; 0 forces the CPU (default auto)')
    .option('--constrain', "embedded engine: constrain every tool call's JSON to the tools' schemas with a grammar")
    .option('--models-dir <dir>', 'where models are cached (env LOCO_MODELS_DIR; default ~/.cache/loco/models)')
    .option('--no-pull', 'do not download the default model when it is missing');
}

export type ExplorerFlags = Omit<AskFlags, 'backend'> & { backend?: string | string[] };

/** The --backend values (several make a fleet) and the settings layered over env and defaults. */
export function resolveExplorerFlags(flags: ExplorerFlags, env: NodeJS.ProcessEnv): { specs: string[] | undefined; config: Readonly<AskConfig> } {
  const specs = backendSpecs(flags.backend);
  return { specs, config: resolveAskConfig({ ...flags, backend: specs?.[0] }, env) };
}

/**
 * The backend those flags name: the given specs (several: a fleet), LOCO_BACKEND, or the
 * embedded engine on the default model (pulled on first use unless --no-pull).
 */
export async function openExplorerBackend(
  resolved: { specs: string[] | undefined; config: Readonly<AskConfig> },
  io: CommandIo,
  extra: Parameters<typeof backendOptionsOf>[1] = {},
  fleet: Parameters<typeof createBackendFromSpecs>[2] = {},
): Promise<Awaited<ReturnType<typeof createBackendFromSpecs>> & { load?: () => Promise<void> }> {
  const { specs, config } = resolved;
  const spec = config.backend ?? (await defaultBackendSpec({ modelsDir: config.modelsDir, pull: config.pull }, io));
  return createBackendFromSpecs(specs ?? [spec], backendOptionsOf(config, extra), fleet);
}

/**
 * The model profile: `--profile` (or LOCO_PROFILE), else the one the model's names suggest:
 * `general.name`/`general.basename` of a gguf: file, the file name, the --model id. The
 * default model (no backend named) is LocoOperator-4B.
 */
export async function explorerProfileOf(resolved: { specs: string[] | undefined; config: Readonly<AskConfig> }): Promise<Profile> {
  const { specs, config } = resolved;
  // --prompt-style qwen-tools is the qwen3-tools profile, as it was before profiles.
  return profileForModel(config.profile ?? (config.promptStyle === 'qwen-tools' ? 'qwen3-tools' : undefined), config.model, specs ?? (config.backend ? [config.backend] : []));
}

/** `reference` when given, else the profile the model id and backend specs (and their GGUF metadata) suggest. */
export function profileForModel(reference: string | undefined, model: string | undefined, specs: readonly string[]): Promise<Profile> {
  return chooseProfile(reference, async () => {
    const names: (string | undefined)[] = [model];
    for (const spec of specs) {
      names.push(spec);
      if (spec.startsWith('gguf:')) names.push(...(await ggufModelNames(spec.slice('gguf:'.length))));
    }
    return names;
  });
}
