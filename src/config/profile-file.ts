// Which model profile a command runs with: a built-in by name, a JSON file validated by the
// profile schema (`"extends": "fastcontext"` starts from a built-in and replaces whole
// fields), or, with no `--profile`, the one the model's name suggests. Every error names the
// field and the fix.
import { readFile } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import { BUILTIN_PROFILES, profileNameForModel, profileSchema, type Profile } from '../protocol/profile.js';
import { implementationArguments, TOOL_IMPLEMENTATIONS } from '../tools/catalog.js';

const NAMES = [...BUILTIN_PROFILES.keys()].join(', ');

function looksLikeFile(reference: string): boolean {
  return reference.includes('/') || reference.endsWith('.json');
}

/** Validates a profile object read from `source`; throws a LocoError naming the first bad field. */
export function parseProfile(value: unknown, source: string): Profile {
  let input = value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'extends' in value) {
    const { extends: base, ...rest } = value as Record<string, unknown>;
    const builtin = typeof base === 'string' ? BUILTIN_PROFILES.get(base) : undefined;
    if (!builtin) throw new LocoError('usage', `profile ${source}: extends: must name a built-in profile (${NAMES}), got ${JSON.stringify(base)}`);
    input = { ...builtin, ...rest };
  }
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length === 0 ? '(the whole profile)' : issue.path.join('.');
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new LocoError('usage', `profile ${source}: ${field}: ${issue.message}${more}: fix that field (a file may start from a built-in with "extends": "${BUILTIN_PROFILES.keys().next().value}" and set only what differs)`);
  }
  parsed.data.tools.forEach((tool, index) => {
    if (!Object.hasOwn(TOOL_IMPLEMENTATIONS, tool.implementation)) {
      throw new LocoError('usage', `profile ${source}: tools.${index}.implementation: unknown implementation "${tool.implementation}" (one of ${Object.keys(TOOL_IMPLEMENTATIONS).join(', ')})`);
    }
    // The schema the model is shown must use the implementation's argument names (aliases cover others).
    const accepted = implementationArguments(tool.implementation) ?? [];
    const properties = tool.parameters?.properties;
    for (const name of properties !== null && typeof properties === 'object' ? Object.keys(properties) : []) {
      if (!accepted.includes(name)) {
        throw new LocoError('usage', `profile ${source}: tools.${index}.parameters.properties.${name}: ${tool.implementation} takes no argument "${name}" (it takes ${accepted.join(', ')}); rename it, and list other names the model may write under "aliases"`);
      }
    }
    for (const [alias, target] of Object.entries(tool.aliases ?? {})) {
      if (!accepted.includes(target)) throw new LocoError('usage', `profile ${source}: tools.${index}.aliases.${alias}: ${tool.implementation} takes no argument "${target}" (it takes ${accepted.join(', ')})`);
    }
    // Renames for the proxy start from the names the model writes.
    const shown = properties !== null && typeof properties === 'object' ? Object.keys(properties) : accepted;
    for (const name of Object.keys(tool.client?.arguments ?? {})) {
      if (!shown.includes(name)) throw new LocoError('usage', `profile ${source}: tools.${index}.client.arguments.${name}: the model is shown no argument "${name}" (it is shown ${shown.join(', ')}); name one of those`);
    }
  });
  const names = parsed.data.tools.map((tool) => tool.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new LocoError('usage', `profile ${source}: tools: the name "${repeated}" is used twice; each tool needs its own name`);
  return Object.freeze(parsed.data);
}

/** A built-in profile by name, or a profile file (a path, or a name ending in .json). */
export async function loadProfile(reference: string): Promise<Profile> {
  const builtin = BUILTIN_PROFILES.get(reference);
  if (builtin) return builtin;
  if (!looksLikeFile(reference)) throw new LocoError('usage', `--profile: unknown profile "${reference}" (one of ${NAMES}, or a profile file such as ./my-profile.json)`);
  let text: string;
  try {
    text = await readFile(reference, 'utf8');
  } catch (error) {
    throw new LocoError('usage', `--profile: cannot read ${reference} (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of a profile JSON file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LocoError('usage', `profile ${reference}: not valid JSON (${(error as Error).message})`);
  }
  return parseProfile(value, reference);
}

/**
 * `--profile` when given; otherwise the built-in the model's names suggest (GGUF metadata,
 * file names, the server's model id), `locooperator` when none does.
 */
export async function chooseProfile(reference: string | undefined, modelNames: () => Promise<readonly (string | undefined)[]>): Promise<Profile> {
  if (reference !== undefined) return loadProfile(reference);
  return loadProfile(profileNameForModel(await modelNames()));
}
