// `loco distill import|build|eval-set`: teacher traces -> training data and eval sets.
// stdout carries one JSON summary per command; the skipped lines, redaction previews and
// progress go to stderr.
import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildDataset, checkBuildOptions, type LengthPolicy, type OutputFormat } from '../distill/build.js';
import { droppedTotal } from '../distill/build-stats.js';
import { makeEvalSet } from '../distill/eval-set.js';
import { readOnlyToolNames } from '../distill/filters.js';
import { importSources, type SourceFormat } from '../distill/import.js';
import { LocoError } from '../errors.js';
import { wholeNumberFlag } from '../flags.js';
import type { SystemPromptStyle } from '../protocol/system-prompt.js';
import { toolCatalog } from '../tools/catalog.js';
import type { CommandIo } from './io.js';

export interface DistillCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

function fraction(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new LocoError('usage', `${flag} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function toolSet(text: string | undefined): Set<string> {
  if (text === undefined) return readOnlyToolNames();
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !toolCatalog().has(name));
  if (unknown.length > 0) throw new LocoError('usage', `--tools names unknown tools: ${unknown.join(', ')} (known: ${[...toolCatalog().keys()].join(', ')})`);
  return new Set(names);
}

const FORMATS: readonly OutputFormat[] = ['swift', 'sharegpt', 'openai'];

function formatsOf(text: string): OutputFormat[] {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.filter((name) => !(FORMATS as readonly string[]).includes(name));
  if (bad.length > 0 || names.length === 0) throw new LocoError('usage', `--formats takes ${FORMATS.join(', ')} (comma-separated), got ${JSON.stringify(text)}`);
  return names as OutputFormat[];
}

export function registerDistillCommand(program: Command, io: DistillCommandIo): Command {
  const distill = program.command('distill').description('Turn teacher traces (Claude Code transcripts, loco traces) into training data and eval sets');
  distill
    .command('import')
    .description('Read Claude Code transcripts and loco traces into one normalized conversations JSONL')
    .argument('<sources...>', 'Claude Code projects folders (~/.claude/projects), project folders, session .jsonl files or loco traces')
    .requiredOption('-o, --out <file.jsonl>', 'the conversations file to write (replaced whole when the import succeeds)')
    .addOption(new Option('--format <format>', 'how to read the sources').choices(['auto', 'claude-code', 'loco-trace']).default('auto'))
    .action(async (sources: string[], flags: { out: string; format: SourceFormat }) => {
      const counts = await importSources(sources, flags.out, { format: flags.format });
      for (const example of counts.examples) io.stderr.write(`loco: skipped ${example}\n`);
      if (counts.badLines > counts.examples.length) io.stderr.write(`loco: ... and ${counts.badLines - counts.examples.length} more bad lines\n`);
      io.stderr.write(`loco: ${counts.conversations} conversations from ${counts.files} files -> ${flags.out}\n`);
      io.stdout.write(`${JSON.stringify(counts)}\n`);
      io.setExitCode(0);
    });
  distill
    .command('build')
    .description('Filter conversations and write MS-SWIFT, sharegpt and OpenAI training files, split by repository, with stats.json and the swift sft script')
    .argument('<conversations.jsonl>', 'the output of `loco distill import`')
    .requiredOption('-o, --out <dir>', 'folder for the training files, stats.json, splits.json and train.sh')
    .option('--subagents-only', 'keep only sub-agent conversations (Claude Code sidechains, loco Task children)')
    .option('--tools <names>', 'tools an explorer may call, comma-separated (default: the read-only ones: Read, Glob, Grep, Bash, Task)')
    .option('--allow-no-calls', 'keep conversations without a tool call')
    .addOption(new Option('--invalid-calls <policy>', 'tool calls that fail their schema').choices(['drop', 'repair']).default('repair'))
    .option('--keep-errors', 'keep conversations that end in errors the teacher did not recover from')
    .option('--no-scrub', 'do not redact secrets')
    .option('--near-duplicates <similarity>', 'estimated Jaccard similarity at which a conversation is a near duplicate (default 0.85)', '0.85')
    .option('--max-length <tokens>', 'longest conversation in Qwen3 tokens (default 16384)', '16384')
    .addOption(new Option('--truncation <policy>', 'over-long conversations: delete (MS-SWIFT default) or cut at the last turn boundary that fits').choices(['delete', 'cut']).default('delete'))
    .option('--validation-ratio <share>', 'share of repositories held out for validation (default 0.05)', '0.05')
    .addOption(new Option('--prompt-style <style>', 'system prompt of every row').choices(['training', 'qwen-tools']).default('training'))
    .option('--formats <list>', 'swift, sharegpt, openai (comma-separated)', 'swift,sharegpt,openai')
    .option('--dry-run', 'write nothing: print the counts and each secret that would be redacted (masked)')
    .action(async (input: string, flags: Record<string, string | boolean | undefined>) => {
      const options = {
        input,
        outDir: String(flags.out),
        shape: { subagentsOnly: flags.subagentsOnly === true, tools: toolSet(flags.tools as string | undefined), allowNoCalls: flags.allowNoCalls === true },
        invalidCalls: flags.invalidCalls as 'drop' | 'repair',
        dropUnrecoverable: flags.keepErrors !== true,
        scrubSecrets: flags.scrub !== false,
        nearDuplicateThreshold: fraction('--near-duplicates', String(flags.nearDuplicates)),
        maxLength: wholeNumberFlag('--max-length', String(flags.maxLength), 64, 1_048_576) ?? 16384,
        lengthPolicy: flags.truncation as LengthPolicy,
        validationRatio: fraction('--validation-ratio', String(flags.validationRatio)),
        promptStyle: flags.promptStyle as SystemPromptStyle,
        formats: formatsOf(String(flags.formats)),
        dryRun: flags.dryRun === true,
        onRedaction: flags.dryRun === true ? (id: string, finding: { kind: string; preview: string }) => io.stderr.write(`loco: would redact ${finding.kind} ${finding.preview} in ${id}\n`) : undefined,
      };
      checkBuildOptions(options);
      const { stats, files } = await buildDataset(options);
      io.stderr.write(`loco: ${stats.kept.train} train + ${stats.kept.validation} validation conversations kept, ${droppedTotal(stats)} dropped${options.dryRun ? ' (dry run: nothing written)' : ` -> ${path.resolve(options.outDir)}`}\n`);
      if (!options.dryRun) io.stderr.write(`loco: wrote ${files.map((file) => path.basename(file)).join(', ')}\n`);
      io.stdout.write(`${JSON.stringify(stats)}\n`);
      io.setExitCode(0);
    });
  distill
    .command('eval-set')
    .description('Cut held-out conversations into `loco eval` samples: a prefix of messages and the teacher\'s next assistant turn as the label')
    .argument('<conversations.jsonl>', "held-out conversations: build's validation.conversations.jsonl")
    .requiredOption('-o, --out <samples.jsonl>', 'the samples file for `loco eval`')
    .option('-n, --count <n>', 'most samples (default 65, as the model card)', '65')
    .option('--min-prefix <n>', 'fewest messages in a prefix, system included (default 3)', '3')
    .option('--max-prefix <n>', 'most messages in a prefix (default 33)', '33')
    .option('--seed <n>', 'seed for the cut points (default 1)', '1')
    .option('--splits <splits.json>', "build's splits.json: refuse conversations from training repositories (default: the one beside the input, if any)")
    .addOption(new Option('--prompt-style <style>', 'system prompt of every sample').choices(['training', 'qwen-tools']).default('training'))
    .action(async (input: string, flags: Record<string, string | undefined>) => {
      const splits = flags.splits ?? path.join(path.dirname(input), 'splits.json');
      const result = await makeEvalSet({
        input,
        out: String(flags.out),
        count: wholeNumberFlag('--count', flags.count, 1, 1_000_000) ?? 65,
        minPrefix: wholeNumberFlag('--min-prefix', flags.minPrefix, 2, 10_000) ?? 3,
        maxPrefix: wholeNumberFlag('--max-prefix', flags.maxPrefix, 2, 10_000) ?? 33,
        seed: wholeNumberFlag('--seed', flags.seed, 0, 2 ** 32 - 1) ?? 1,
        promptStyle: (flags.promptStyle ?? 'training') as SystemPromptStyle,
        ...(flags.splits !== undefined || existsSync(splits) ? { splitsFile: splits } : {}),
      });
      io.stderr.write(`loco: ${result.samples} samples from ${result.conversations} conversations -> ${flags.out}\n`);
      io.stdout.write(`${JSON.stringify(result)}\n`);
      io.setExitCode(result.samples > 0 ? 0 : 1);
    });
  return distill;
}
