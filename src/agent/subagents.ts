// Sub-agents are data: a name, the tools they get, their limits.

export interface SubagentDefinition {
  name: string;
  /** Tool names the sub-agent may use (never Task: sub-agents do not nest). */
  tools: readonly string[];
  maxTurns: number;
}

/** What a Task call runs: a read-only explorer of the same tree. */
export const EXPLORER_SUBAGENT: Readonly<SubagentDefinition> = Object.freeze({
  name: 'explorer',
  tools: Object.freeze(['Read', 'Glob', 'Grep', 'Bash']),
  maxTurns: 10,
});
