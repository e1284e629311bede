// Routing rules, sub-agent markers (against Claude Code's real traffic) and config loading.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadProxyConfig, resolveProxyConfig } from '../../src/proxy/config.js';
import { createRouter, globToRegExp } from '../../src/proxy/routing.js';
import { subagentMarker } from '../../src/proxy/subagent.js';
import { CLAUDE_CODE_HEADERS, EXPLORE_SUBAGENT, GENERAL_PURPOSE_SUBAGENT, MAIN_AGENT } from './claude-code-traffic.js';

const defaults = resolveProxyConfig({}, {}, {});
const router = createRouter(defaults.routes, defaults.defaultTarget, defaults.subagent);

describe('default routing', () => {
  it("sends Claude Code's main agent remote and both kinds of sub-agent local", () => {
    assert.deepEqual(router.decide({ model: MAIN_AGENT.model, headers: CLAUDE_CODE_HEADERS, toolNames: MAIN_AGENT.tools }), { target: 'remote', reason: 'default', subagent: undefined });
    assert.deepEqual(router.decide({ model: EXPLORE_SUBAGENT.model, headers: CLAUDE_CODE_HEADERS, toolNames: EXPLORE_SUBAGENT.tools }), { target: 'local', reason: 'haiku', subagent: 'claude-code-tools' });
    assert.deepEqual(router.decide({ model: GENERAL_PURPOSE_SUBAGENT.model, headers: CLAUDE_CODE_HEADERS, toolNames: GENERAL_PURPOSE_SUBAGENT.tools }), { target: 'local', reason: 'subagent', subagent: 'claude-code-tools' });
  });

  it('routes any haiku model local, and tool-less Claude Code side requests by model only', () => {
    assert.equal(router.decide({ model: 'claude-3-5-haiku-latest', headers: {}, toolNames: [] }).target, 'local');
    assert.equal(router.decide({ model: 'claude-sonnet-4-5', headers: CLAUDE_CODE_HEADERS, toolNames: [] }).target, 'remote');
  });

  it('does not take a plain API client with tools for a sub-agent', () => {
    assert.equal(subagentMarker({ 'user-agent': 'Anthropic/JS 1.14.0' }, ['Read'], defaults.subagent), undefined);
  });

  it('honours an explicit agent-id header from any client', () => {
    assert.equal(subagentMarker({ 'x-claude-code-agent-id': 'a1' }, [], defaults.subagent), 'header:x-claude-code-agent-id');
  });
});

describe('configured rules', () => {
  const custom = resolveProxyConfig(
    {
      routes: [
        { name: 'forced', match: { header: { 'x-loco-route': 'local' } }, target: 'local' },
        { name: 'opus-to-sonnet', match: { model: ['claude-opus-*', '*-opus'] }, target: 'remote', model: 'claude-sonnet-4-5' },
        { match: { model: '*sonnet*', subagent: true }, target: 'local' },
      ],
      defaultTarget: 'remote',
    },
    {},
    {},
  );
  const configured = createRouter(custom.routes, custom.defaultTarget, custom.subagent);

  it('matches headers by glob, rewrites models for the remote, and names unnamed rules by position', () => {
    assert.equal(configured.decide({ model: 'claude-sonnet-4-5', headers: { 'x-loco-route': 'LOCAL' }, toolNames: [] }).reason, 'forced');
    assert.deepEqual(configured.decide({ model: 'claude-opus-4-6', headers: {}, toolNames: [] }), { target: 'remote', reason: 'opus-to-sonnet', subagent: undefined, remoteModel: 'claude-sonnet-4-5' });
    assert.equal(configured.decide({ model: GENERAL_PURPOSE_SUBAGENT.model, headers: CLAUDE_CODE_HEADERS, toolNames: GENERAL_PURPOSE_SUBAGENT.tools }).reason, 'rule-3');
    assert.equal(configured.decide({ model: 'claude-haiku-4-5', headers: {}, toolNames: [] }).reason, 'default');
  });

  it('globs are anchored, case-insensitive, with literal dots', () => {
    assert.ok(globToRegExp('*HAIKU*').test('claude-haiku-4-5'));
    assert.ok(!globToRegExp('claude-3.5').test('claude-345'));
    assert.ok(!globToRegExp('haiku').test('claude-haiku'));
  });
});

describe('proxy config', () => {
  it("defaults to 127.0.0.1:9091, the profile's turn limit, 10 MB bodies, remote api.anthropic.com", () => {
    assert.equal(defaults.host, '127.0.0.1');
    assert.equal(defaults.port, 9091);
    // Unset here: the route takes the profile's (locooperator: 10); --max-turns or local.maxTurns set it.
    assert.equal(defaults.local.maxTurns, undefined);
    assert.equal(defaults.local.listWorkspace, true);
    assert.equal(resolveProxyConfig({ local: { maxTurns: 6 } }, { maxTurns: '3' }, {}).local.maxTurns, 3);
    assert.throws(() => resolveProxyConfig({}, { maxTurns: '0' }, {}), /--max-turns/);
    assert.equal(resolveProxyConfig({}, { host: '0.0.0.0' }, {}).local.listWorkspace, false);
    assert.equal(resolveProxyConfig({ local: { profile: 'fastcontext' } }, {}, { LOCO_PROFILE: 'qwen3-tools' }).local.profileReference, 'fastcontext');
    assert.equal(resolveProxyConfig({}, {}, { LOCO_PROFILE: 'qwen3-tools' }).local.profileReference, 'qwen3-tools');
    assert.equal(defaults.maxBodyBytes, 10 * 1024 * 1024);
    assert.equal(defaults.remote.url, 'https://api.anthropic.com');
    assert.equal(defaults.remote.apiKey, undefined);
  });

  it('reads the remote key from the named variable and refuses an empty one', () => {
    assert.equal(resolveProxyConfig({}, { remoteKeyEnv: 'MY_KEY' }, { MY_KEY: 'sk-ant-x' }).remote.apiKey, 'sk-ant-x');
    assert.throws(() => resolveProxyConfig({}, { remoteKeyEnv: 'MY_KEY' }, {}), /MY_KEY is empty or not set/);
  });

  it('rejects unknown keys and bad values in the file, naming them; flags win over the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loco-proxy-config-'));
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ routes: [{ match: { modle: '*' }, target: 'local' }], local: { maxTurns: 0 } }));
    await assert.rejects(loadProxyConfig({ config: bad }, {}), (error: Error) => /routes\.0\.match/.test(error.message) && /local\.maxTurns/.test(error.message));
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ port: 7000, host: '127.0.0.1', pricing: { '*haiku*': { input: 2, output: 10 } } }));
    const config = await loadProxyConfig({ config: good, port: '7001' }, {});
    assert.equal(config.port, 7001);
    assert.deepEqual(config.pricing[0], { pattern: '*haiku*', input: 2, output: 10 });
    await assert.rejects(loadProxyConfig({ config: path.join(dir, 'missing.json') }, {}), /no such file/);
    assert.throws(() => resolveProxyConfig({}, { remote: 'ftp://x' }, {}), /http\(s\) URL/);
  });
});

describe('workspace listing for profile prompts', () => {
  it('is on for a loopback proxy unless the config turns it off, and never beyond loopback', () => {
    assert.equal(resolveProxyConfig({}, {}, {}).local.listWorkspace, true);
    assert.equal(resolveProxyConfig({ local: { listWorkspace: false } }, {}, {}).local.listWorkspace, false);
    assert.equal(resolveProxyConfig({ local: { listWorkspace: true } }, { host: '0.0.0.0' }, {}).local.listWorkspace, false);
  });
});
