// Tests that need a system tool (bubblewrap, ripgrep) skip with a reason where it is
// missing, except in CI (LOCO_REQUIRE_TOOLS=1), where its absence must fail the run.
import assert from 'node:assert/strict';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function skipUnless(available: boolean, what: string): string | false {
  if (available) return false;
  assert.ok(!process.env.LOCO_REQUIRE_TOOLS, `${what} is required here (LOCO_REQUIRE_TOOLS is set): install it`);
  return `${what} is not usable on this machine`;
}

/** True when an executable `name` is on PATH (git, rg, ...), as a shell would find it. */
export function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((directory) => {
    if (directory === '') return false;
    try {
      const candidate = path.join(directory, name);
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}
