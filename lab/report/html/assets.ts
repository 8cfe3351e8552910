// The code and style every page inlines: Chart.js from node_modules (its UMD build,
// which defines the global `Chart`), the page's own chart script, and the stylesheet.
// Inlined, not linked, so a report opens from disk with no network.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export function read(file: string): string {
  // A `</script>` inside inlined code would end the script element early.
  return readFileSync(file, 'utf8').replaceAll('</script', '<\\/script');
}

let cache: { chartJs: string; clientJs: string } | undefined;

export function scripts(): { chartJs: string; clientJs: string } {
  cache ??= {
    chartJs: read(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')),
    clientJs: read(path.join(import.meta.dirname, 'client.js')),
  };
  return cache;
}

export const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; }
table.headline th, table.headline td, table.plain th, table.plain td, table.compare th, table.compare td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
table.headline td { text-align: right; min-width: 90px; }
table.headline td.best { background: #e8f6ec; font-weight: 600; }
table.headline td.tied { background: #f4f4f4; }
tr.flagged td { background: #fdf0ec; } tr.dropped td { color: #999; }
.median { font-size: 15px; } .interval, .ratio, .metric, .note { color: #666; font-size: 12px; font-weight: normal; }
.censored { color: #b03a2e; font-size: 12px; font-weight: normal; }
details.evidence { margin: 0 0 24px; } details.evidence table { font-size: 12px; }
td.none, .none { color: #aaa; }
th.system { text-align: left; }
.scroll { overflow-x: auto; }
.chart { position: relative; height: 340px; margin: 8px 0 24px; }
.absent { background: #fdf6e3; border: 1px dashed #d9c27a; padding: 12px; color: #7a6a2a; }
table.kv { border-collapse: collapse; } table.kv th { text-align: left; padding: 1px 12px 1px 0; color: #555; font-weight: 500; vertical-align: top; } table.kv td { padding: 1px 0; }
.worse { color: #b03a2e; font-weight: 600; } .better { color: #1e8449; font-weight: 600; }
`;
