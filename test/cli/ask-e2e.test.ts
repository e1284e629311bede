// End to end: the built CLI against an in-process OpenAI-compatible server replaying
// recorded streamed answers; asserts the exact tool-result turns the model receives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readTraceFile } from '../../src/trace/reader.js';
import { startReplayServer, type ReplayServer } from '../support/openai-replay-server.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({
    'src/config.py': 'import os\n\ndef find_config(start):\n    """Walk up from start."""\n    return os.path.join(start, ".locorc")\n',
    'README.md': '# Demo\n',
    'docs/guide.md': 'Guide\n',
  });
});
after(() => tree.cleanup());

interface ChatBody {
  messages: Array<{ role: string; content: string }>;
  temperature: number;
  top_p: number;
  top_k: number;
  stream: boolean;
}

test('loco ask streams, parses split and parallel calls, and sends exact tool results', async () => {
  const malformed = '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "x"\n</tool_call>';
  const server: ReplayServer = await startReplayServer([
    { deltas: ["I'll search.\n<tool", '_call>\n{"name": "Grep", "argu', 'ments": {"pattern": "def find_config"}}\n</tool_c', 'all>'] },
    {
      deltas: [
        '<tool_call>\n{"name": "Read", "arguments": {"file_path": "src/config.py", "limit": 3}}\n</tool_call>\n<tool_call>\n{"name": "Glob", ',
        '"arguments": {"pattern": "**/*.md"}}\n</tool_call>\n',
        malformed.slice(0, 30),
        malformed.slice(30),
        '\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": }}\n</tool_call>',
        '\n<tool_call>\n{"name": "Bogus", "arguments": {}}\n</tool_call>',
      ],
    },
    { deltas: ['`find_config` is defined in ', 'src/config.py:3.'] },
  ]);
  try {
    const run = await runCli(['ask', tree.root, 'Where', 'is', 'find_config?', '--backend', server.url, '--verbose', '--sandbox', 'allow-list']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '`find_config` is defined in src/config.py:3.\n');
    const bodies = server.requests as ChatBody[];
    assert.equal(bodies.length, 3);
    assert.equal(bodies[0].messages[1].content, `Where is find_config?\n\nWorking directory: ${tree.root}`);
    assert.equal(bodies[0].temperature, 0.7);
    assert.equal(bodies[0].top_p, 0.8);
    assert.equal(bodies[0].top_k, 20);
    assert.equal(bodies[0].stream, true);
    assert.match(bodies[0].messages[0].content, /^You are an agent built on an agent SDK/);

    // Turn 2 sees the first assistant text verbatim and the Grep result.
    assert.equal(bodies[1].messages[2].content, "I'll search.\n<tool_call>\n{\"name\": \"Grep\", \"arguments\": {\"pattern\": \"def find_config\"}}\n</tool_call>");
    assert.equal(bodies[1].messages[3].content, '<tool_response>\nFound 1 file\nsrc/config.py\n</tool_response>');

    // Turn 3: five results in call order, one user turn.
    const results = bodies[2].messages[5].content;
    const expected = [
      '<tool_response>\n     1→import os\n     2→\n     3→def find_config(start):\n</tool_response>',
      `<tool_response>\n${[path.join(tree.root, 'README.md'), path.join(tree.root, 'docs/guide.md')].join('\n')}\n</tool_response>`,
    ];
    assert.ok(results.startsWith(expected.join('\n')), results);
    const rest = results.slice(expected.join('\n').length);
    // The unclosed JSON is repaired (braces added) and runs; the empty value cannot be.
    assert.ok(rest.startsWith('\n<tool_response>\nNo files found\n</tool_response>\n<tool_response>\n<tool_use_error>Error: invalid JSON in tool call'), rest);
    assert.ok(rest.endsWith('\n<tool_response>\n<tool_use_error>Error: No such tool available: Bogus</tool_use_error>\n</tool_response>'), rest);
    assert.equal(results.split('<tool_response>').length - 1, 5);

    // Progress: one line per tool call on stderr.
    assert.match(run.stderr, /Grep "def find_config" → 2 lines/);
    assert.match(run.stderr, /Read "src\/config.py" → 3 lines/);
    assert.match(run.stderr, /Bogus → error/);
  } finally {
    await server.close();
  }
});

test('--json prints one object with answer, turns, tool calls and usage', async () => {
  const server = await startReplayServer([
    { deltas: ['<tool_call>\n{"name": "Glob", "arguments": {"pattern": "*.md"}}\n</tool_call>'], usage: { prompt_tokens: 300, completion_tokens: 20 }, timings: { cache_n: 0 } },
    { deltas: ['Only README.md.'], usage: { prompt_tokens: 380, completion_tokens: 5 }, timings: { cache_n: 300 } },
  ]);
  try {
    const run = await runCli(['ask', tree.root, 'Which docs?', '--backend', server.url, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const report = JSON.parse(run.stdout);
    assert.equal(report.answer, 'Only README.md.');
    assert.equal(report.turns, 2);
    assert.equal(report.stopReason, 'answer');
    assert.deepEqual(report.toolCalls, [{ name: 'Glob', arguments: { pattern: '*.md' }, ok: true, repaired: false, turn: 1 }]);
    assert.deepEqual(report.usage, { promptTokens: 680, cachedTokens: 300, completionTokens: 25 });
  } finally {
    await server.close();
  }
});

test('--trace writes a replayable JSONL trace', async () => {
  const server = await startReplayServer([
    { deltas: ['<tool_call>\n{"name": "Read", "arguments": {"file_path": "README.md"}}\n</tool_call>'] },
    { deltas: ['A demo.'] },
  ]);
  const traceFile = path.join(tree.root, '..', `${path.basename(tree.root)}-trace.jsonl`);
  try {
    const run = await runCli(['ask', tree.root, 'What is it?', '--backend', server.url, '--trace', traceFile]);
    assert.equal(run.code, 0, run.stderr);
    const lines = (await readFile(traceFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((line) => line.type), ['meta', 'tool-call', 'assistant', 'tool-result', 'assistant', 'finish']);
    assert.equal(lines[3].output, '     1→# Demo');
    // The complete reader reads every line, and tool lines name the same conversation as turns.
    const records = await readTraceFile(traceFile);
    assert.equal(records.length, lines.length);
    const ids = new Set(records.filter((record) => record.type !== 'meta').map((record) => ('conversationId' in record ? record.conversationId : undefined)));
    assert.equal(ids.size, 1, `one conversation id across kinds: ${[...ids].join(', ')}`);
    assert.match(String([...ids][0]), /^main-/);
    const replay = await runCli(['ask', tree.root, 'What is it?', '--backend', `fake:${traceFile}`, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(JSON.parse(replay.stdout).answer, 'A demo.');
  } finally {
    await server.close();
  }
});
