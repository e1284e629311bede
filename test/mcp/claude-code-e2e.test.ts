// The real Claude Code CLI (pinned 2.1.112) with `loco mcp` as an MCP server, offline: a
// fake Anthropic remote scripts the main agent, which calls `mcp__loco__explore`; Claude Code
// starts the built `loco mcp` over stdio (--mcp-config), the scripted local model explores a
// real tree, and the citations come back to the main agent as its tool_result.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { CLAUDE_CODE_VERSION, ensureClaudeCode, firstToolResultText, runClaudeCode } from '../support/claude-code.js';
import { skipUnless } from '../support/required-tools.js';
import { CLI } from '../support/run-cli.js';
import { startFakeAnthropic, type FakeAnswer, type RecordedRequest } from '../proxy/fake-anthropic.js';
import { CONFIG_PY, findConfigScript, writeScript } from './support.js';

const EXPLORE_TOOL = 'mcp__loco__explore';

function offersExplore(request: RecordedRequest): boolean {
  return ((request.body.tools ?? []) as Array<{ name: string }>).some((tool) => tool.name === EXPLORE_TOOL);
}

/** The main agent: call loco's explore tool, then repeat its first citation line. */
function mainAgent(request: RecordedRequest): FakeAnswer {
  if (!offersExplore(request)) return { message: { content: [{ type: 'text', text: 'ok' }] } };
  const result = firstToolResultText(request.body);
  if (result === undefined) {
    return { message: { content: [{ type: 'text', text: 'I will ask loco.' }, { type: 'tool_use', id: 'toolu_loco_1', name: EXPLORE_TOOL, input: { question: 'Where is find_config defined?', thoroughness: 'quick' } }] } };
  }
  return { message: { content: [{ type: 'text', text: `MAIN DONE: ${firstCitation(result)}` }] } };
}

/** Claude Code 2.1.112 gives the main agent the structuredContent JSON when a tool returns one, the text otherwise. */
function firstCitation(result: string): string {
  try {
    const [first] = (JSON.parse(result) as { citations: Array<{ path: string; start: number; end: number; reason: string }> }).citations;
    return `${first.path}:${first.start}-${first.end}  ${first.reason}`;
  } catch {
    return result.split('\n').find((line) => /^src\/config\.py:\d+-\d+/.test(line)) ?? 'no citation';
  }
}

describe(`Claude Code ${CLAUDE_CODE_VERSION} with loco mcp`, () => {
  let cli: string | undefined;
  before(async () => {
    cli = await ensureClaudeCode();
  });

  it('the main agent calls mcp__loco__explore and receives the checked citations as its tool_result', async (t) => {
    const skip = skipUnless(cli !== undefined, `Claude Code ${CLAUDE_CODE_VERSION} (npm install failed or offline)`);
    if (skip) return t.skip(skip);
    const project = await mkdtemp(path.join(tmpdir(), 'loco-cc-mcp-project-'));
    const home = await mkdtemp(path.join(tmpdir(), 'loco-cc-mcp-home-'));
    await mkdir(path.join(project, 'src'));
    await writeFile(path.join(project, 'src', 'config.py'), CONFIG_PY);
    const script = await writeScript(findConfigScript());
    const mcpConfig = path.join(home, 'mcp.json');
    await writeFile(mcpConfig, JSON.stringify({ mcpServers: { loco: { command: process.execPath, args: [CLI, 'mcp', '--backend', `fake:${script.file}`, '--root', project, '--sandbox', 'allow-list'] } } }));
    const remote = await startFakeAnthropic(mainAgent);
    try {
      const run = await runClaudeCode(cli as string, {
        cwd: project,
        home,
        baseUrl: remote.url,
        args: ['-p', 'Where is find_config defined?', '--model', 'claude-sonnet-4-5', '--mcp-config', mcpConfig, '--strict-mcp-config', '--allowedTools', EXPLORE_TOOL],
        env: { LOCO_BACKEND: '' },
      });
      const context = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-2000)}\nlast request: ${JSON.stringify(remote.requests.filter(offersExplore).at(-1)?.body.messages)?.slice(-3000)}`;
      assert.equal(run.code, 0, context);
      assert.match(run.stdout, /MAIN DONE: src\/config\.py:3-5 {2}find_config is defined in src\/config\.py:3-5\./, context);
      const mainRequests = remote.requests.filter(offersExplore);
      assert.equal(mainRequests.length, 2, context);
      // What the main agent received: the structured result, with the checked citations only.
      const result = JSON.parse(firstToolResultText(mainRequests[1].body) ?? '') as { citations: Array<{ path: string; start: number; end: number }>; trace: string; truncated: boolean };
      assert.deepEqual(result.citations.map((c) => `${c.path}:${c.start}-${c.end}`), ['src/config.py:3-5', 'src/config.py:5-5']);
      assert.match(result.trace, /^loco:\/\/traces\/[0-9a-f-]{36}$/);
      assert.equal(result.truncated, false);
    } finally {
      await remote.close();
      await script.cleanup();
      await rm(project, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });
});
