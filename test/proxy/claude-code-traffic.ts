// What Claude Code 2.1.112 actually sent (captured from `claude -p` against a recording
// server, April 2026 build, `--model claude-sonnet-4-5`): the headers are the same on main-agent
// and sub-agent requests, with no agent-id header; the tool lists differ (sub-agents never get
// the `Agent` spawner); the Explore sub-agent asks for haiku, general-purpose inherits the
// main model.
import type { IncomingHttpHeaders } from 'node:http';

export const CLAUDE_CODE_HEADERS: IncomingHttpHeaders = {
  accept: 'application/json',
  'x-stainless-retry-count': '0',
  'x-stainless-timeout': '600',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '0.81.0',
  'x-stainless-os': 'Linux',
  'x-stainless-arch': 'x64',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v20.20.2',
  'anthropic-dangerous-direct-browser-access': 'true',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'dummy',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.112 (external, sdk-cli)',
  'x-claude-code-session-id': '44a0a932-b870-44ae-8e65-30d667e012da',
  'content-type': 'application/json',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,prompt-caching-scope-2026-01-05',
};

export const MAIN_AGENT = {
  model: 'claude-sonnet-4-5',
  tools: ['Agent', 'AskUserQuestion', 'Bash', 'CronCreate', 'CronDelete', 'CronList', 'Edit', 'EnterPlanMode', 'EnterWorktree', 'ExitPlanMode', 'ExitWorktree', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'ScheduleWakeup', 'Skill', 'TaskOutput', 'TaskStop', 'TodoWrite', 'WebFetch', 'WebSearch', 'Write'],
};

export const EXPLORE_SUBAGENT = {
  model: 'claude-haiku-4-5-20251001',
  tools: ['Bash', 'CronCreate', 'CronDelete', 'CronList', 'EnterWorktree', 'ExitWorktree', 'Glob', 'Grep', 'Read', 'ScheduleWakeup', 'Skill', 'TodoWrite'],
};

export const GENERAL_PURPOSE_SUBAGENT = {
  model: 'claude-sonnet-4-5',
  tools: ['Bash', 'CronCreate', 'CronDelete', 'CronList', 'Edit', 'EnterWorktree', 'ExitWorktree', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'ScheduleWakeup', 'Skill', 'TodoWrite', 'WebFetch', 'WebSearch', 'Write'],
};
