// Runs the tool calls of one turn as the model writes them: each call starts as soon as it
// is parsed (the model may still be writing the next), calls that change files run alone in
// call order while reads between them run concurrently, a call that could not be parsed
// answers at once with an error, and results come back in call order with their records.
import type { ToolCall } from '../protocol/messages.js';
import { type Toolbox, type ToolExecution } from '../tools/toolbox.js';
import type { ToolCallRecord } from './events.js';

export interface ScheduledCall {
  index: number;
  name: string;
  arguments: Record<string, unknown>;
  repaired: boolean;
  invalid: boolean;
  execution: Promise<ToolExecution>;
}

export interface SettledCall extends ScheduledCall {
  result: ToolExecution;
}

/** A readable name for a call whose JSON failed, for progress lines and records. */
function invalidCallName(raw: string): string {
  return /"name"\s*:\s*"([^"]{1,64})"/.exec(raw)?.[1] ?? '(invalid)';
}

export class CallScheduler {
  private readonly calls: ScheduledCall[] = [];
  private lastWrite: Promise<unknown> = Promise.resolve();
  // Tools get their own signal: a failed turn stops them without waiting for their results.
  private readonly toolsAbort = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly toolbox: Toolbox,
    signal: AbortSignal | undefined,
    /** False: each call waits for the one before it (a profile without parallel calls). */
    private readonly parallel = true,
  ) {
    this.signal = signal ? AbortSignal.any([signal, this.toolsAbort.signal]) : this.toolsAbort.signal;
  }

  get size(): number {
    return this.calls.length;
  }

  /** Starts a parsed call now (after earlier writes; a write waits for everything before it). */
  start(index: number, call: ToolCall, repaired: boolean): ScheduledCall {
    const run = (): Promise<ToolExecution> => this.toolbox.execute(call, this.signal);
    let execution: Promise<ToolExecution>;
    if (this.toolbox.tools.get(call.name)?.readOnly === false || !this.parallel) {
      execution = Promise.allSettled(this.calls.map((earlier) => earlier.execution)).then(run);
      this.lastWrite = execution;
    } else {
      execution = this.lastWrite.then(run, run);
    }
    return this.add({ index, name: call.name, arguments: call.arguments, repaired, invalid: false, execution });
  }

  /** A call that could not be parsed: its result is the parse error, for the model to fix. */
  reject(index: number, raw: string, message: string): ScheduledCall {
    const output = this.toolbox.errorText(`Error: ${message}`);
    const execution = Promise.resolve({ output, isError: true, durationMs: 0, truncated: false });
    return this.add({ index, name: invalidCallName(raw), arguments: {}, repaired: false, invalid: true, execution });
  }

  /** Stops running tools and waits until every call has settled. */
  async cancel(): Promise<void> {
    this.toolsAbort.abort();
    await this.drain();
  }

  /** Waits until every call has settled, whatever its outcome. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.calls.map((call) => call.execution));
  }

  /** Every call's result, in call order. */
  async settle(): Promise<SettledCall[]> {
    const ordered = [...this.calls].sort((a, b) => a.index - b.index);
    const results = await Promise.all(ordered.map((call) => call.execution));
    return ordered.map((call, position) => ({ ...call, result: results[position] }));
  }

  private add(call: ScheduledCall): ScheduledCall {
    this.calls.push(call);
    return call;
  }
}

export function callRecord(turn: number, call: SettledCall): ToolCallRecord {
  return {
    turn,
    index: call.index,
    name: call.name,
    arguments: call.arguments,
    ok: !call.result.isError,
    repaired: call.repaired,
    invalid: call.invalid,
    durationMs: call.result.durationMs,
    resultChars: call.result.output.length,
  };
}
