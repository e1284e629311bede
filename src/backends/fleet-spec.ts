// Turns one or several --backend values into a backend: one value is that backend as
// createBackendFromSpec builds it; several are a fleet (backends/fleet.ts), where each HTTP
// server's slots are read from its /props and other members get a fixed number of slots.
import { LocoError } from '../errors.js';
import { createFleetBackend, httpSlotProbe, type FleetBackend } from './fleet.js';
import { createBackendFromSpec, normalizeBaseUrl, type BackendSpecOptions } from './spec.js';
import type { Backend } from './types.js';

export interface FleetSpecOptions {
  /** Per member: most requests started per second (default: no limit). */
  requestsPerSecond?: number;
  /** Slots of a member that cannot report its own (fake:, gguf:, a server without /props; default 4). */
  slots?: number;
  /** Least time between two reads of a server's slots (default 250 ms). */
  pollIntervalMs?: number;
}

export function isFleet(backend: Backend): backend is FleetBackend {
  return typeof (backend as Partial<FleetBackend>).bind === 'function' && typeof (backend as Partial<FleetBackend>).members === 'function';
}

export async function createBackendFromSpecs(specs: readonly string[], options: BackendSpecOptions = {}, fleet: FleetSpecOptions = {}): Promise<Backend> {
  if (specs.length === 0) throw new LocoError('usage', 'no backend given: pass --backend <spec> (once, or once per server of a fleet)');
  if (specs.length === 1 && fleet.requestsPerSecond === undefined) return createBackendFromSpec(specs[0], options);
  const duplicates = specs.filter((spec, index) => specs.indexOf(spec) !== index);
  if (duplicates.length > 0) throw new LocoError('usage', `--backend ${duplicates[0]} is given twice: name each server of the fleet once`);
  const members: Backend[] = [];
  try {
    for (const spec of specs) {
      // The fleet moves a failed request to another server at once: no retries on one member.
      members.push(await createBackendFromSpec(spec, { ...options, retries: { ...options.retries, maxRetries: 0 } }));
    }
  } catch (error) {
    await Promise.all(members.map((member) => member.close()));
    throw error;
  }
  return createFleetBackend({
    pollIntervalMs: fleet.pollIntervalMs,
    members: members.map((backend, index) => {
      const spec = specs[index].trim();
      const http = /^https?:\/\//i.test(spec);
      return { backend, slots: fleet.slots, requestsPerSecond: fleet.requestsPerSecond, ...(http ? { probe: httpSlotProbe(normalizeBaseUrl(spec), options.apiKey) } : {}) };
    }),
  });
}
