// `--backend` given more than once: every value is kept, and several make a fleet
// (backends/fleet.ts) that sends each request to a server with a free slot.

/** Commander's collector for a repeatable `--backend <spec>`. */
export function collectBackend(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The specs given, or undefined for none (the settings then fall back to LOCO_BACKEND or the default). */
export function backendSpecs(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const specs = (Array.isArray(value) ? value : [value]).map((spec) => spec.trim()).filter((spec) => spec !== '');
  return specs.length === 0 ? undefined : specs;
}

export const BACKEND_HELP =
  'gguf:<file.gguf> (in-process), an OpenAI-compatible base URL or fake:<script.jsonl>; repeat it for a fleet of servers (each request goes to one with a free slot); env LOCO_BACKEND; default: the embedded engine on the default model';
