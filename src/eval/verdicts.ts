// Per-sample verdicts: what one assistant turn (the model's output or the teacher's label)
// called, and whether each call was well formed. Pure functions over raw dialect text,
// parsed with the same `<tool_call>` parser the agent uses, so eval measures what the
// harness would actually see.
import { parseAssistantText } from '../protocol/tool-call-parser.js';
import { classifyBashCommand, isReadOnlyBashCommand } from './bash-strategy.js';
import { validateToolCall } from './tool-schemas.js';

export interface CallVerdict {
  /** Position among the turn's `<tool_call>` blocks. */
  index: number;
  /** The tool name; null when the block could not be decoded into a call. */
  name: string | null;
  /** The block's JSON parsed as written: no repair, no string-encoded arguments, closed tag. */
  jsonValid: boolean;
  /** The arguments satisfy the tool's closed schema (an unknown tool never does). */
  argumentsValid: boolean;
  /** Why a check failed, in the words the harness would give the model. */
  problem?: string;
  /** The strategy for relaxed matching: read, search, list, or the tool's own name. */
  strategy: string | null;
  /** Bash only: the read-only allow-list accepts the command. */
  bashReadOnly?: boolean;
}

export interface TurnVerdict {
  calls: CallVerdict[];
  /** The turn has visible text besides its calls. */
  hasText: boolean;
}

export interface FirstToolVerdict {
  model: string | null;
  label: string | null;
  matched: boolean;
  relaxedMatched: boolean;
}

export interface SampleVerdict {
  model: TurnVerdict;
  label: TurnVerdict;
  /** Both call a tool, or neither does. */
  presenceMatched: boolean;
  /** Present only when both call a tool. */
  firstTool?: FirstToolVerdict;
}

const DEDICATED_STRATEGY: Record<string, string> = { Read: 'read', Grep: 'search', Glob: 'list' };

function strategyOf(name: string, args: Record<string, unknown>): string {
  if (name in DEDICATED_STRATEGY) return DEDICATED_STRATEGY[name];
  if (name === 'Bash' && typeof args.command === 'string') {
    const strategy = classifyBashCommand(args.command);
    return strategy === 'other' ? 'Bash' : strategy;
  }
  return name;
}

export function analyzeTurn(text: string): TurnVerdict {
  const turn = parseAssistantText(text);
  const calls: CallVerdict[] = turn.calls.map(({ index, call, repaired }) => {
    const validation = validateToolCall(call);
    const verdict: CallVerdict = {
      index,
      name: call.name,
      jsonValid: !repaired,
      argumentsValid: validation.ok,
      strategy: strategyOf(call.name, call.arguments),
    };
    const problems = [repaired ? 'the JSON needed repair (or the call was not closed)' : '', validation.ok ? '' : validation.message].filter(Boolean);
    if (problems.length > 0) verdict.problem = problems.join('; ');
    if (call.name === 'Bash' && typeof call.arguments.command === 'string') verdict.bashReadOnly = isReadOnlyBashCommand(call.arguments.command);
    return verdict;
  });
  for (const failure of turn.failures) {
    calls.push({ index: failure.index, name: null, jsonValid: false, argumentsValid: false, problem: failure.message, strategy: null });
  }
  calls.sort((a, b) => a.index - b.index);
  return { calls, hasText: turn.text.trim() !== '' };
}

/** Judges the model's output against the teacher's label for one sample. */
export function judgeSample(output: string, label: string): SampleVerdict {
  const model = analyzeTurn(output);
  const teacher = analyzeTurn(label);
  const modelCalls = model.calls.length > 0;
  const labelCalls = teacher.calls.length > 0;
  const verdict: SampleVerdict = { model, label: teacher, presenceMatched: modelCalls === labelCalls };
  if (modelCalls && labelCalls) {
    const first = model.calls[0];
    const expected = teacher.calls[0];
    // An undecodable first call names no tool, so it matches nothing.
    verdict.firstTool = {
      model: first.name,
      label: expected.name,
      matched: first.name !== null && first.name === expected.name,
      relaxedMatched: first.strategy !== null && first.strategy === expected.strategy,
    };
  }
  return verdict;
}
