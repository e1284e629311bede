// The eval run: samples -> one backend turn each (k runs) -> results.jsonl as results
// arrive -> verdicts and metrics. Scoring a saved results file goes through the same
// `buildReport`, so `loco eval` and `loco eval score` can never disagree.
import path from 'node:path';
import type { Backend } from '../backends/types.js';
import type { Sampling } from '../protocol/messages.js';
import { promptFor } from './conversation.js';
import { generateAll, type Generation, type GenerationRequest } from './generate.js';
import { computeMetrics, type EvalMetrics, type ScoredSample } from './metrics.js';
import { createResultsWriter, type ResultRecord, type ResultsWriter, type RunHeader } from './results-file.js';
import { summarizeRuns, type RunsSummary } from './runs.js';
import type { EvalSample } from './samples.js';
import { evalToolSignatures } from './tool-schemas.js';
import { judgeSample } from './verdicts.js';

export interface EvalReport {
  header?: RunHeader;
  /** Every result, failed generations included, in run then sample order. */
  records: ResultRecord[];
  metrics: EvalMetrics;
  /** Present when there was more than one run. */
  runs?: RunsSummary;
  /** Results with no output (backend errors, interruptions): excluded from every metric. */
  failed: number;
}

/**
 * Scores records: judges every output against its label (a verdict already attached by this
 * process is reused; files read back have theirs stripped), then aggregates.
 */
export function buildReport(records: readonly ResultRecord[], header?: RunHeader): EvalReport {
  const judged: ResultRecord[] = records.map((record) =>
    record.output === null || record.verdict ? record : { ...record, verdict: judgeSample(record.output, record.label) },
  );
  const scored: ScoredSample[] = judged.flatMap((record) =>
    record.verdict
      ? [{ id: record.id, run: record.run, verdict: record.verdict, usage: record.usage, latencyMs: record.latencyMs, firstTokenMs: record.firstTokenMs }]
      : [],
  );
  const runCount = new Set(scored.map((sample) => sample.run)).size;
  return {
    header,
    records: judged,
    metrics: computeMetrics(scored),
    ...(runCount > 1 ? { runs: summarizeRuns(scored) } : {}),
    failed: judged.length - scored.length,
  };
}

export interface EvaluationOptions {
  samples: readonly EvalSample[];
  samplesFile: string;
  backend: Backend;
  sampling: Sampling;
  model?: string;
  runs: number;
  concurrency: number;
  /** Where results.jsonl goes, written as results arrive. */
  outDir?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, failed: number) => void;
  now?: () => Date;
}

function recordOf(sample: EvalSample, index: number, run: number, generation: Generation): ResultRecord {
  return {
    kind: 'sample',
    index,
    id: sample.id,
    run,
    label: sample.label,
    ...(sample.meta ? { meta: sample.meta } : {}),
    output: generation.output,
    ...(generation.finishReason ? { finishReason: generation.finishReason } : {}),
    ...(generation.usage ? { usage: generation.usage } : {}),
    latencyMs: generation.latencyMs,
    ...(generation.firstTokenMs !== undefined ? { firstTokenMs: generation.firstTokenMs } : {}),
    ...(generation.error ? { error: generation.error } : {}),
    ...(generation.output !== null ? { verdict: judgeSample(generation.output, sample.label) } : {}),
  };
}

export async function runEvaluation(options: EvaluationOptions): Promise<EvalReport> {
  const header: RunHeader = {
    kind: 'run',
    version: 1,
    samplesFile: options.samplesFile,
    backend: options.backend.info.description,
    ...(options.model ? { model: options.model } : {}),
    temperature: options.sampling.temperature,
    runs: options.runs,
    concurrency: options.concurrency,
    samples: options.samples.length,
    startedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  // Run-major order: an interrupted run leaves whole runs behind, not k partial ones.
  const jobs: { sample: EvalSample; index: number; run: number }[] = [];
  for (let run = 1; run <= options.runs; run++) options.samples.forEach((sample, index) => jobs.push({ sample, index, run }));
  const requests: GenerationRequest[] = jobs.map(({ sample, index, run }) => ({ messages: promptFor(sample.messages), conversationId: `eval-${index}-${run}` }));

  const writer: ResultsWriter | undefined = options.outDir ? await createResultsWriter(path.join(options.outDir, 'results.jsonl'), header) : undefined;
  const records: (ResultRecord | undefined)[] = new Array(jobs.length).fill(undefined);
  let done = 0;
  let failed = 0;
  try {
    await generateAll(requests, {
      backend: options.backend,
      sampling: options.sampling,
      model: options.model,
      tools: evalToolSignatures(),
      concurrency: options.concurrency,
      signal: options.signal,
      onDone: async (position, generation) => {
        // Cut short by Ctrl-C: not a result, so the file holds only finished samples.
        if (options.signal?.aborted && generation.error?.code === 'aborted') return;
        const job = jobs[position];
        const record = recordOf(job.sample, job.index, job.run, generation);
        records[position] = record;
        done++;
        if (record.output === null) failed++;
        options.onProgress?.(done, jobs.length, failed);
        await writer?.append(record);
      },
    });
  } finally {
    await writer?.close();
  }
  return buildReport(records.filter((record): record is ResultRecord => record !== undefined), header);
}
