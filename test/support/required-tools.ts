// Tests that need a system tool (bubblewrap, ripgrep) skip with a reason where it is
// missing, except in CI (LOCO_REQUIRE_TOOLS=1), where its absence must fail the run.
import assert from 'node:assert/strict';

export function skipUnless(available: boolean, what: string): string | false {
  if (available) return false;
  assert.ok(!process.env.LOCO_REQUIRE_TOOLS, `${what} is required here (LOCO_REQUIRE_TOOLS is set): install it`);
  return `${what} is not usable on this machine`;
}
