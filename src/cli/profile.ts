// `loco profile`: the model profiles, to see and to start a profile file from. `list` names
// the built-ins with what sets them apart; `show NAME|FILE` prints one as JSON (a built-in,
// or a file after validation, `extends` resolved), ready to save, edit and pass to --profile.
import type { Command } from 'commander';
import { loadProfile } from '../config/profile-file.js';
import { BUILTIN_PROFILES, type Profile } from '../protocol/profile.js';
import type { CommandIo } from './io.js';

function summary(profile: Profile): string {
  const tools = profile.tools.map((tool) => tool.name).join(', ');
  const schemas = profile.schemaDelivery === 'none' ? 'tools named in the prompt' : 'Qwen3 # Tools block';
  return `${tools}; ${schemas}; ${profile.maxTurns} turns; ${profile.citations === 'final-answer' ? '<final_answer> citations' : 'citations from prose'}`;
}

export function runProfileList(io: Pick<CommandIo, 'stdout'>): number {
  const width = Math.max(...[...BUILTIN_PROFILES.keys()].map((name) => name.length));
  for (const profile of BUILTIN_PROFILES.values()) io.stdout.write(`${profile.name.padEnd(width)}  ${summary(profile)}\n`);
  return 0;
}

export async function runProfileShow(reference: string, io: Pick<CommandIo, 'stdout'>): Promise<number> {
  io.stdout.write(`${JSON.stringify(await loadProfile(reference), null, 2)}\n`);
  return 0;
}

export function registerProfileCommand(program: Command, io: CommandIo & { setExitCode: (code: number) => void }): Command {
  const profile = program.command('profile').description('Model profiles: the dialect each explorer model was trained in (--profile on ask, batch, bench run, proxy, mcp, worker)');
  profile
    .command('list')
    .description('The built-in profiles, one line each')
    .action(() => io.setExitCode(runProfileList(io)));
  profile
    .command('show')
    .description('Print a profile as JSON: a built-in, or a profile file checked and with "extends" resolved (save it, edit it, pass it to --profile)')
    .argument('<name|file>', 'a built-in name or a profile JSON file')
    .action(async (reference: string) => io.setExitCode(await runProfileShow(reference, io)));
  return profile;
}
