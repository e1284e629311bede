// The shapes a real run alone does not produce (a user text after tool results, Claude Code's
// Read and Grep forms, non-ASCII call arguments, a reply split in two messages): MS-SWIFT
// rows rendered by its documented rules (swift-template.ts) equal the dialect turns loco
// builds for the same conversation, and the sharegpt turns are those dialect turns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConversationMessage } from '../../src/distill/conversation.js';
import { sharegptRow, swiftRow } from '../../src/distill/formats.js';
import { chatMlText, normalizeMessages, toDialectTurns } from '../../src/distill/render.js';
import { renderSwiftRow } from './swift-template.js';

const SYSTEM = 'You are an agent.';

const messages: ConversationMessage[] = [
  { role: 'user', content: 'Where are the prices?' },
  { role: 'user', content: 'Also the currencies.' },
  { role: 'assistant', content: 'Searching both.', toolCalls: [{ name: 'Grep', arguments: { pattern: 'price' } }, { name: 'Read', arguments: { file_path: 'src/prices.ts' } }] },
  { role: 'tool', name: 'Grep', content: 'Found 2 files limit: 100, offset: 0\nsrc/prices.ts\nsrc/money.ts', isError: false },
  { role: 'tool', name: 'Read', content: '     1\texport const price = 1;\n\n<system-reminder>\nBe careful.\n</system-reminder>\n', isError: false },
  // The user typed while the calls ran: it joins the results' turn.
  { role: 'user', content: 'Only the euro ones.' },
  { role: 'assistant', content: '', toolCalls: [{ name: 'Grep', arguments: { pattern: '€|euro', path: 'src' } }] },
  { role: 'tool', name: 'Grep', content: 'No files found', isError: false },
  { role: 'assistant', content: 'No euro prices:', toolCalls: [] },
  { role: 'assistant', content: 'src/prices.ts:1 holds one plain price.', toolCalls: [] },
  // A trailing user turn without a reply is not training data.
  { role: 'user', content: 'thanks' },
];

test('MS-SWIFT rows and sharegpt turns render to the dialect turns, edge cases included', () => {
  const normalized = normalizeMessages(messages);
  assert.equal(normalized.merged, 2);
  const turns = toDialectTurns({ messages: normalized.messages }, { systemPrompt: SYSTEM });
  const expected = chatMlText(turns).slice(0, -1);
  assert.equal(turns[3].content, '<tool_response>\nFound 2 files\nsrc/prices.ts\nsrc/money.ts\n</tool_response>\n<tool_response>\n     1→export const price = 1;\n</tool_response>\nOnly the euro ones.');
  const counters = { preRenderedTurns: 0, preRenderedResultTurns: 0 };
  const row = swiftRow(SYSTEM, normalized.messages, counters);
  assert.deepEqual(counters, { preRenderedTurns: 1, preRenderedResultTurns: 1 });
  for (const ensureAscii of [false, true]) assert.equal(renderSwiftRow(row.messages, { ensureAscii }), expected);
  const sharegpt = sharegptRow(turns);
  assert.equal(sharegpt.system, SYSTEM);
  assert.deepEqual(sharegpt.conversations.map((turn) => turn.from), ['human', 'gpt', 'human', 'gpt', 'human', 'gpt']);
});
