// --backend values: URLs become OpenAI-compatible backends, fake: scripts become fakes,
// anything else is a usage error listing the accepted forms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBackendFromSpec, normalizeBaseUrl } from '../../src/backends/spec.js';
import type { BackendEvent } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';
import { startReplayServer } from '../support/openai-replay-server.js';
import { makeTempTree } from '../support/temp-tree.js';
import { collect } from '../support/collect.js';

const request = { messages: [{ role: 'user' as const, content: 'q' }], sampling: { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 10 } };

function isUsage(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LocoError, String(error));
    assert.equal(error.code, 'usage');
    assert.match(error.message, pattern);
    return true;
  };
}

describe('normalizeBaseUrl', () => {
  it('appends /v1 to a bare host, keeps other paths, trims slashes and a pasted /chat/completions', () => {
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/v1');
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080/v1');
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8080/v1/'), 'http://127.0.0.1:8080/v1');
    assert.equal(normalizeBaseUrl('https://openrouter.ai/api/v1'), 'https://openrouter.ai/api/v1');
    assert.equal(normalizeBaseUrl('http://localhost:8000/v1/chat/completions'), 'http://localhost:8000/v1');
  });

  it('refuses credentials and queries in the URL without echoing them', () => {
    assert.throws(() => normalizeBaseUrl('http://user:secret@host/v1'), (error: unknown) => error instanceof LocoError && error.code === 'usage' && !error.message.includes('secret'));
    assert.throws(() => normalizeBaseUrl('http://host/v1?key=secret'), (error: unknown) => error instanceof LocoError && error.code === 'usage' && !error.message.includes('secret'));
  });
});

describe('createBackendFromSpec', () => {
  it('builds an OpenAI-compatible backend from a URL, with the server kind deciding capabilities', async () => {
    const server = await startReplayServer([{ deltas: ['hi'] }]);
    const backend = await createBackendFromSpec(server.url.replace(/\/v1$/, ''), { serverKind: 'openai', model: 'm', apiKey: 'k' });
    try {
      assert.equal(backend.info.description, `openai-compatible ${server.url}`);
      const events = await collect(backend.stream(request));
      assert.equal(events.at(-1)?.type, 'finish');
      const body = server.requests[0] as Record<string, unknown>;
      assert.equal(body.model, 'm');
      assert.equal('top_k' in body, false);
      assert.equal(server.headers[0].authorization, 'Bearer k');
    } finally {
      await backend.close();
      await server.close();
    }
  });

  it('builds a fake backend from fake:<path> relative to cwd', async () => {
    const tree = await makeTempTree({ 'scripts/s.jsonl': '{"type":"assistant","text":"scripted"}\n' });
    try {
      const backend = await createBackendFromSpec('fake:scripts/s.jsonl', { cwd: tree.root });
      assert.equal(backend.info.description, 'fake scripts/s.jsonl');
      const events = await collect(backend.stream(request));
      assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 2 }, text: 'scripted' });
    } finally {
      await tree.cleanup();
    }
  });

  it('names a missing or broken fake script file and line', async () => {
    const tree = await makeTempTree({ 'bad.jsonl': '{"type":"assistant","text":"ok"}\nnot json\n' });
    try {
      await assert.rejects(createBackendFromSpec('fake:missing.jsonl', { cwd: tree.root }), isUsage(/cannot read fake backend script .*missing\.jsonl: no such file/));
      await assert.rejects(createBackendFromSpec('fake:bad.jsonl', { cwd: tree.root }), isUsage(/bad\.jsonl:2: not valid JSON/));
      await assert.rejects(createBackendFromSpec('fake:', { cwd: tree.root }), isUsage(/needs a script path/));
    } finally {
      await tree.cleanup();
    }
  });

  it('rejects other forms, listing the accepted ones', async () => {
    await assert.rejects(createBackendFromSpec('llama'), isUsage(/^unknown backend "llama": accepted forms: http:\/\/127\.0\.0\.1:8080\/v1 .* fake:script\.jsonl .* gguf:model\.gguf/));
    await assert.rejects(createBackendFromSpec('gguf:missing-model.gguf'), (error: unknown) => error instanceof LocoError && /no model at .*missing-model\.gguf: run `loco model pull` or pass --backend URL/.test(error.message));
    await assert.rejects(createBackendFromSpec('http://'), isUsage(/invalid backend URL "http:\/\/"/));
  });
});
