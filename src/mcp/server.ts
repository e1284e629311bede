// One MCP server (per stdio connection or HTTP session) over the shared core: the `explore`
// and `status` tools, the `loco://status` resource and the `loco://traces/<id>` resources.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpCore } from './core.js';
import { exploreInputShape, handleExplore } from './explore-tool.js';
import { exploreOutputShape } from './result.js';
import { TRACE_URI_PREFIX } from './traces.js';

export const SERVER_NAME = 'loco';
export const SERVER_VERSION = '0.1.0';

const statusShape = {
  model: z.string(),
  loaded: z.boolean(),
  slots: z.number().int(),
  busy: z.number().int(),
  queued: z.number().int(),
  completed: z.number().int(),
  roots: z.array(z.string()),
  traces: z.number().int(),
};

const EXPLORE_DESCRIPTION = [
  'Explore the local codebase with a small local model (free, private) and get a short answer with file:line citations.',
  'Use it for "where is X", "how does Y work", "which files touch Z" questions instead of reading many files yourself.',
  'The answer cites `path:start-end` ranges checked against the tree; the full run is in the linked trace resource.',
].join(' ');

export function createLocoMcpServer(core: McpCore): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { capabilities: { logging: {} } });

  server.registerTool(
    'explore',
    {
      title: 'Explore the code locally',
      description: EXPLORE_DESCRIPTION,
      inputSchema: exploreInputShape,
      outputSchema: exploreOutputShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) => core.track(handleExplore(core, args, extra)),
  );

  server.registerTool(
    'status',
    {
      title: 'loco status',
      description: 'The local model, its slots (busy of total), queued explore calls, runs completed and the roots.',
      outputSchema: statusShape,
      annotations: { readOnlyHint: true },
    },
    () => {
      const status = core.status();
      return { content: [{ type: 'text', text: JSON.stringify(status) }], structuredContent: status };
    },
  );

  server.registerResource('status', 'loco://status', { title: 'loco status', mimeType: 'application/json' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(core.status()) }],
  }));

  server.registerResource(
    'trace',
    new ResourceTemplate(`${TRACE_URI_PREFIX}{id}`, {
      list: () => ({
        resources: core.traces.list().map((entry) => ({
          uri: entry.uri,
          name: `trace ${entry.id.slice(0, 8)}`,
          description: `${entry.startedAt}: ${entry.question.slice(0, 120)}`,
          mimeType: 'application/x-ndjson',
        })),
      }),
    }),
    { title: 'explore run trace', description: 'Every turn, tool call and result of one explore run (JSONL)', mimeType: 'application/x-ndjson' },
    (uri, variables) => {
      const id = String(variables.id);
      const entry = core.traces.get(id);
      if (!entry) throw new Error(`no trace ${id}: only the latest runs are kept; list resources for the ones available`);
      return { contents: [{ uri: uri.href, mimeType: 'application/x-ndjson', text: entry.text() }] };
    },
  );

  return server;
}
