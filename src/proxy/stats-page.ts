// The page at `/`: the numbers of GET /stats, refreshed every two seconds. Static HTML with
// inline script; values are inserted as text, never as markup.
export const STATS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>loco proxy</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  .sub { color: #666; margin-bottom: 1.5rem; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .saved { font-size: 1.6rem; font-weight: 600; color: #17803d; }
</style>
</head>
<body>
<h1>loco proxy</h1>
<div class="sub" id="uptime">loading…</div>
<div>Estimated saved: <span class="saved" id="saved">–</span></div>
<h2>Routes</h2>
<table id="routes"><thead><tr><th>route</th><th>requests</th><th>errors</th><th>tokens in</th><th>tokens out</th><th>latency p50 (ms)</th><th>first token p50 (ms)</th></tr></thead><tbody></tbody></table>
<h2>Fallbacks to the remote</h2>
<table id="fallbacks"><thead><tr><th>reason</th><th>count</th></tr></thead><tbody></tbody></table>
<h2>Local tool calls</h2>
<table id="tools"><thead><tr><th>total</th><th>malformed</th><th>unknown tool</th></tr></thead><tbody></tbody></table>
<script>
function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) { const td = document.createElement('td'); td.textContent = cell === null ? '–' : String(cell); tr.appendChild(td); }
  return tr;
}
function fill(id, rows) { const body = document.querySelector('#' + id + ' tbody'); body.replaceChildren(...rows.map(row)); }
async function refresh() {
  try {
    const stats = await (await fetch('stats')).json();
    document.getElementById('uptime').textContent = 'up ' + stats.uptimeS + ' s, since ' + stats.startedAt;
    document.getElementById('saved').textContent = '$' + stats.savedUsd.toFixed(4);
    fill('routes', Object.entries(stats.routes).map(([name, r]) => [name, r.requests, r.errors, r.inputTokens, r.outputTokens, r.latencyP50Ms, r.ttftP50Ms]));
    const fallbacks = Object.entries(stats.fallbacks);
    fill('fallbacks', fallbacks.length ? fallbacks : [['none', 0]]);
    fill('tools', [[stats.toolCalls.total, stats.toolCalls.malformed, stats.toolCalls.unknown]]);
  } catch (error) {
    document.getElementById('uptime').textContent = 'cannot read /stats: ' + error;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
