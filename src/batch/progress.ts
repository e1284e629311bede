// Batch progress on stderr. On a terminal: one redrawn bar (done/total, ok, failed, running,
// retries, tokens/s, ETA) drawn by cli-progress, which owns redraw throttling, terminal width
// and ETA smoothing, with failures logged above it. Elsewhere (logs, CI): one plain line per
// finished query and per retry, nothing redrawn.
import cliProgress from 'cli-progress';
import type { BatchProgressEvent } from './runner.js';
import type { QueryRecord } from './summary.js';
import { formatSeconds } from '../format.js';

export interface BatchProgress {
  onProgress(event: BatchProgressEvent): void;
  /** A line of its own (above the bar on a terminal). */
  log(line: string): void;
  /** Draws the final state and lets go of the terminal. Safe to call twice. */
  stop(): void;
}

export interface BatchProgressOptions {
  tty: boolean;
  now?: () => number;
}


function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** One line for a finished query, e.g. `ok q7 (2 turns, 3 tool calls, 1.2 s)`. */
export function describeRecord(record: QueryRecord): string {
  const seconds = record.wallMs === undefined ? '' : `, ${(record.wallMs / 1000).toFixed(1)} s`;
  if (record.status === 'ok') return `ok ${record.id} (${plural(record.turns ?? 0, 'turn')}, ${plural(record.toolCallCount ?? 0, 'tool call')}${seconds})`;
  return `${record.status} ${record.id}: ${record.reason ?? 'no reason given'}`;
}

interface Counts {
  toRun: number;
  done: number;
  ok: number;
  failed: number;
  retries: number;
  completionTokens: number;
  running: Set<string>;
}

export function createBatchProgress(stream: NodeJS.WritableStream, options: BatchProgressOptions): BatchProgress {
  const now = options.now ?? Date.now;
  const started = now();
  const counts: Counts = { toRun: 0, done: 0, ok: 0, failed: 0, retries: 0, completionTokens: 0, running: new Set() };
  const tokensPerSecond = () => {
    const seconds = (now() - started) / 1000;
    return seconds > 0 ? Math.round(counts.completionTokens / seconds) : 0;
  };
  const payload = () => ({ ok: counts.ok, failed: counts.failed, running: counts.running.size, retries: counts.retries, tokensPerSecond: tokensPerSecond() });

  let bars: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;

  function startBar(total: number): void {
    bars = new cliProgress.MultiBar({
      stream,
      fps: 5,
      hideCursor: true,
      etaBuffer: 20,
      // The ETA follows queries finishing, which can be minutes apart: keep it ticking between them.
      etaAsynchronousUpdate: true,
      format: (_options, params, values: ReturnType<typeof payload>) => {
        const width = 24;
        const filled = params.total > 0 ? Math.min(width, Math.floor((params.value / params.total) * width)) : width;
        const eta = typeof params.eta === 'number' && Number.isFinite(params.eta) && params.value > 0 ? formatSeconds(params.eta) : '--';
        const failed = values.failed > 0 ? `  failed ${values.failed}` : '';
        const retries = values.retries > 0 ? `  retries ${values.retries}` : '';
        return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${params.value}/${params.total}  ok ${values.ok}${failed}  running ${values.running}${retries}  ${values.tokensPerSecond} tok/s  ETA ${eta}`;
      },
    });
    bar = bars.create(total, 0, payload());
  }

  const write = (line: string) => {
    if (bars) bars.log(`${line}\n`);
    else stream.write(`${line}\n`);
  };

  return {
    onProgress(event) {
      if (stopped) return;
      switch (event.type) {
        case 'batch-start': {
          counts.toRun = event.toRun;
          const skipped = event.resumed > 0 ? `, ${event.resumed} already answered (skipped; --force redoes them)` : '';
          write(`loco: ${event.total} ${event.total === 1 ? 'query' : 'queries'}: ${event.toRun} to run${skipped}`);
          if (options.tty && event.toRun > 0) startBar(event.toRun);
          return;
        }
        case 'query-start':
          counts.running.add(event.id);
          break;
        case 'query-retry':
          counts.retries += 1;
          if (!options.tty) write(`loco: retrying ${event.id} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt + 1}): ${event.error.message}`);
          break;
        case 'tokens':
          counts.completionTokens += event.completionTokens;
          break;
        case 'query-cancelled':
          counts.running.delete(event.id);
          break;
        case 'query-end': {
          const { record } = event;
          counts.running.delete(record.id);
          counts.done += 1;
          if (record.status === 'ok') counts.ok += 1;
          else counts.failed += 1;
          if (!options.tty) write(`loco: [${counts.done}/${counts.toRun}] ${describeRecord(record)}`);
          else if (record.status !== 'ok') write(`loco: ${describeRecord(record)}`);
          break;
        }
      }
      bar?.update(counts.done, payload());
    },
    log: write,
    stop() {
      if (stopped) return;
      stopped = true;
      bar?.update(counts.done, payload());
      bars?.stop();
    },
  };
}
