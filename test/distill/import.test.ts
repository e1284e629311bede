// `loco distill import` through the CLI on Claude Code transcripts written in the shape
// Claude Code 2.1 writes them, and on a loco trace written by `loco ask --trace`.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { startReplayServer } from '../support/openai-replay-server.js';
import { conversationSchema, type Conversation } from '../../src/distill/conversation.js';
import { assistantBlock, lines, toolResult, userText } from './transcripts.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree();
});
after(async () => tree.cleanup());

async function readConversations(file: string): Promise<Conversation[]> {
  const text = await readFile(file, 'utf8');
  return text.trim().split('\n').filter((line) => line !== '').map((line) => conversationSchema.parse(JSON.parse(line)));
}

/** A project folder as Claude Code lays it out: the folder name is a lossy encoding of the cwd. */
async function writeSession(projects: string): Promise<void> {
  const project = path.join(projects, '-home-dev-work-shop-api');
  await mkdir(path.join(project, 'session-1', 'subagents'), { recursive: true });
  const main = lines(
    userText('Where is the config loaded?', { uuid: 'u1', parent: null }),
    // An abandoned branch: an earlier answer the user rewound.
    assistantBlock('msg_old', 'req_old', { type: 'text', text: 'Old answer.' }, { uuid: 'x1', parent: 'u1' }),
    assistantBlock('msg_1', 'req_1', { type: 'thinking', thinking: 'hmm' }, { uuid: 'a0', parent: 'u1' }),
    assistantBlock('msg_1', 'req_1', { type: 'text', text: "I'll search for it." }, { uuid: 'a1', parent: 'a0' }),
    assistantBlock('msg_1', 'req_1', { type: 'tool_use', id: 'toolu_1', name: 'Grep', input: { pattern: 'loadConfig' } }, { uuid: 'a2', parent: 'a1' }),
    assistantBlock('msg_1', 'req_1', { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/home/dev/work/shop-api/src/config.ts' } }, { uuid: 'a3', parent: 'a2' }),
    // A resumed session logs the same entry again.
    assistantBlock('msg_1', 'req_1', { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/home/dev/work/shop-api/src/config.ts' } }, { uuid: 'a3', parent: 'a2' }),
    // Results arrive in completion order: Read's first.
    toolResult('toolu_2', '     1\texport function loadConfig() {}\n     2\t', { uuid: 'r2', parent: 'a3' }),
    toolResult('toolu_1', 'Found 1 file limit: 100, offset: 0\nsrc/config.ts', { uuid: 'r1', parent: 'r2' }),
    JSON.stringify({ type: 'summary', summary: 'Config loading', leafUuid: 'a4' }),
    JSON.stringify({ type: 'file-history-snapshot', messageId: 'm', snapshot: {} }),
    JSON.stringify({ type: 'brand-new-kind', uuid: 'z' }),
    assistantBlock('msg_2', 'req_2', { type: 'tool_use', id: 'toolu_3', name: 'Agent', input: { description: 'find uses', prompt: 'Find the callers of loadConfig', subagent_type: 'Explore' } }, { uuid: 'a4', parent: 'r1' }),
    toolResult('toolu_3', 'Called from src/main.ts:3', { uuid: 'r3', parent: 'a4' }),
    assistantBlock('msg_3', 'req_3', { type: 'text', text: 'It is loaded by loadConfig in src/config.ts:1.' }, { uuid: 'a5', parent: 'r3' }),
  );
  // A non-UTF-8 line and a truncated last line.
  const bad = Buffer.concat([Buffer.from(main), Buffer.from([0xff, 0xfe, 0x7b, 0x0a]), Buffer.from('{"type":"user","message":{"role":"us')]);
  await writeFile(path.join(project, 'session-1.jsonl'), bad);
  const sub = { sidechain: true, agentId: 'a1b2c3', sessionId: 'session-1' };
  await writeFile(
    path.join(project, 'session-1', 'subagents', 'agent-a1b2c3.jsonl'),
    lines(
      userText('Find the callers of loadConfig', { uuid: 's1', parent: null, ...sub }),
      assistantBlock('msg_s1', 'req_s1', { type: 'tool_use', id: 'toolu_s1', name: 'Grep', input: { pattern: 'loadConfig\\(', output_mode: 'content' } }, { uuid: 's2', parent: 's1', ...sub }),
      toolResult('toolu_s1', 'src/main.ts:3:loadConfig()', { uuid: 's3', parent: 's2', ...sub }),
      assistantBlock('msg_s2', 'req_s2', { type: 'text', text: 'Called from src/main.ts:3' }, { uuid: 's4', parent: 's3', ...sub }),
    ),
  );
  await writeFile(path.join(project, 'session-1', 'subagents', 'agent-a1b2c3.meta.json'), JSON.stringify({ agentType: 'Explore' }));
  await mkdir(path.join(project, 'session-1', 'tool-results'), { recursive: true });
  await writeFile(path.join(project, 'session-1', 'tool-results', 'toolu_9.txt'), 'large output');
}

test('import merges one message written as several entries, orders results by call, follows the latest branch and counts what it skipped', async () => {
  const projects = path.join(tree.root, 'projects');
  await writeSession(projects);
  const out = path.join(tree.root, 'conversations.jsonl');
  const run = await runCli(['distill', 'import', projects, '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const counts = JSON.parse(run.stdout);
  assert.equal(counts.files, 2);
  assert.equal(counts.conversations, 2);
  assert.equal(counts.badLines, 2);
  const sessionFile = path.join(projects, '-home-dev-work-shop-api', 'session-1.jsonl');
  assert.match(run.stderr, new RegExp(`skipped ${sessionFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:16: not UTF-8`));
  assert.match(run.stderr, /session-1\.jsonl:17: not valid JSON/);
  assert.deepEqual(counts.unknownEntries, { 'brand-new-kind': 1 });
  assert.deepEqual(counts.ignoredEntries, { summary: 1, 'file-history-snapshot': 1 });
  assert.equal(counts.duplicateEntries, 1);
  assert.equal(counts.abandonedBranches, 1);

  const [main, sub] = await readConversations(out);
  assert.equal(main.repo, '/home/dev/work/shop-api');
  assert.equal(main.model, 'claude-haiku-4-5');
  assert.equal(main.subagent, false);
  assert.deepEqual(main.origin, { source: 'claude-code', file: sessionFile, sessionId: 'session-1', version: '2.1.112' });
  assert.deepEqual(
    main.messages.map((message) => message.role),
    ['user', 'assistant', 'tool', 'tool', 'assistant', 'tool', 'assistant'],
  );
  const first = main.messages[1];
  assert.equal(first.role, 'assistant');
  assert.equal(first.role === 'assistant' && first.content, "I'll search for it.");
  assert.deepEqual(first.role === 'assistant' && first.toolCalls.map((call) => call.name), ['Grep', 'Read']);
  // Results in call order, whatever order they were logged in.
  assert.deepEqual(main.messages.slice(2, 4).map((message) => message.role === 'tool' && message.name), ['Grep', 'Read']);
  const agentCall = main.messages[4];
  assert.equal(agentCall.role === 'assistant' && agentCall.toolCalls[0].name, 'Task', 'Agent is the model\'s Task');

  assert.equal(sub.subagent, true);
  assert.equal(sub.origin.agentType, 'Explore');
  assert.equal(sub.origin.agentId, 'a1b2c3');
  assert.equal(sub.repo, '/home/dev/work/shop-api');
  assert.equal(sub.messages.length, 4);
});

test('import stops a chain at a missing parent and at a compaction boundary, and counts both', async () => {
  const dir = path.join(tree.root, 'chains');
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'missing.jsonl'),
    lines(
      userText('Lost start', { uuid: 'm1', parent: 'gone', sessionId: 'missing' }),
      assistantBlock('msg_m', 'req_m', { type: 'text', text: 'Answer.' }, { uuid: 'm2', parent: 'm1', sessionId: 'missing' }),
    ),
  );
  await writeFile(
    path.join(dir, 'compacted.jsonl'),
    lines(
      userText('Before compaction', { uuid: 'c1', parent: null, sessionId: 'compacted' }),
      assistantBlock('msg_c1', 'req_c1', { type: 'text', text: 'Early.' }, { uuid: 'c2', parent: 'c1', sessionId: 'compacted' }),
      JSON.stringify({ type: 'system', subtype: 'compact_boundary', uuid: 'b1', parentUuid: null, logicalParentUuid: 'c2', timestamp: '2026-03-02T00:00:00.000Z' }),
      JSON.stringify({ type: 'user', uuid: 'c3', parentUuid: 'b1', isCompactSummary: true, sessionId: 'compacted', cwd: '/repo/x', timestamp: '2026-03-02T00:00:01.000Z', message: { role: 'user', content: 'Summary of the earlier part.' } }),
      JSON.stringify({ type: 'assistant', uuid: 'c4', parentUuid: 'c3', sessionId: 'compacted', cwd: '/repo/x', timestamp: '2026-03-02T00:00:02.000Z', requestId: 'r', message: { id: 'msg_c4', role: 'assistant', model: 'm', content: [{ type: 'text', text: 'Later.' }] } }),
    ),
  );
  const out = path.join(tree.root, 'chains.jsonl');
  const run = await runCli(['distill', 'import', dir, '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const counts = JSON.parse(run.stdout);
  assert.equal(counts.missingParents, 1);
  assert.equal(counts.compactions, 1);
  const conversations = await readConversations(out);
  const compacted = conversations.find((conversation) => conversation.origin.sessionId === 'compacted');
  assert.deepEqual(compacted?.messages.map((message) => message.content), ['Summary of the earlier part.', 'Later.']);
  const missing = conversations.find((conversation) => conversation.origin.sessionId === 'missing');
  assert.deepEqual(missing?.messages.map((message) => message.content), ['Lost start', 'Answer.']);
});

test('an import that fails part way leaves the previous output untouched and no temporary file', async () => {
  const dir = path.join(tree.root, 'failing');
  await mkdir(path.join(dir, 'b-folder.jsonl'), { recursive: true });
  await writeFile(path.join(dir, 'a.jsonl'), lines(userText('q', { uuid: 'f1', parent: null }), assistantBlock('msg_f', 'req_f', { type: 'text', text: 'a' }, { uuid: 'f2', parent: 'f1' })));
  const outDir = path.join(tree.root, 'failing-out');
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, 'conversations.jsonl');
  await writeFile(out, 'previous\n');
  const run = await runCli(['distill', 'import', dir, '--out', out]);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /cannot read .*b-folder\.jsonl: .*EISDIR.*nothing was written/);
  assert.equal(await readFile(out, 'utf8'), 'previous\n');
  assert.deepEqual(await readdir(outDir), ['conversations.jsonl']);
});

test('import reads a loco trace: the main conversation with its prompt, calls and results', async () => {
  const repo = await makeTempTree({ 'README.md': '# Demo\n' });
  const server = await startReplayServer([
    { deltas: ['Let me look.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "README.md"}}\n</tool_call>'] },
    { deltas: ['A demo.'] },
  ]);
  try {
    const trace = path.join(tree.root, 'ask-trace.jsonl');
    const ask = await runCli(['ask', repo.root, 'What is it?', '--backend', server.url, '--trace', trace]);
    assert.equal(ask.code, 0, ask.stderr);
    const out = path.join(tree.root, 'trace-conversations.jsonl');
    const run = await runCli(['distill', 'import', trace, '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    const [conversation] = await readConversations(out);
    assert.equal(conversation.origin.source, 'loco-trace');
    assert.equal(conversation.repo, repo.root);
    assert.equal(conversation.outcome, 'answer');
    assert.deepEqual(conversation.messages, [
      { role: 'user', content: `What is it?\n\nWorking directory: ${repo.root}` },
      { role: 'assistant', content: 'Let me look.', toolCalls: [{ name: 'Read', arguments: { file_path: 'README.md' } }] },
      { role: 'tool', name: 'Read', content: '     1→# Demo', isError: false },
      { role: 'assistant', content: 'A demo.', toolCalls: [] },
    ]);
  } finally {
    await server.close();
    await repo.cleanup();
  }
});
