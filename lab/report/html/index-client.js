// Runs in reports/index.html: fills each scenario's side-by-side table from the
// summaries the page carries, and again whenever the reader picks other runs.
(() => {
  const { runs, meta } = JSON.parse(document.getElementById('index-data').textContent);
  const digits = (v) => (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  const fmt = (v, unit) => `${v.toFixed(digits(v))}${unit ? ` ${unit}` : ''}`;
  const cell = (text, cls = '') => {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };

  function rows(a, b) {
    const out = [];
    for (const system of b.systems) {
      for (const [workload, metrics] of Object.entries(b.summary[system] ?? {})) {
        for (const [metric, after] of Object.entries(metrics)) {
          const before = a.summary[system]?.[workload]?.[metric];
          out.push({ system, workload, metric, before, after });
        }
      }
    }
    return out;
  }

  function render(container) {
    const scenario = container.dataset.scenario;
    const pick = (cls) => runs.find((r) => r.scenarioName === scenario && r.runId === container.querySelector(cls).value);
    const a = pick('.run-a');
    const b = pick('.run-b');
    const table = document.createElement('table');
    table.className = 'compare';
    table.innerHTML = '<thead><tr><th>system</th><th>workload</th><th>metric</th><th>before: median [95 %]</th><th>after: median [95 %]</th><th>change</th><th></th></tr></thead>';
    const body = table.createTBody();
    for (const { system, workload, metric, before, after } of rows(a, b)) {
      const { unit, better, relative: floorShare, absolute: floorUnits } = meta[metric];
      const tr = body.insertRow();
      tr.append(cell(system), cell(workload), cell(metric));
      tr.append(cell(before ? `${fmt(before.p50, unit)} [${fmt(before.ci95[0], '')}, ${fmt(before.ci95[1], '')}]` : 'not measured'));
      tr.append(cell(`${fmt(after.p50, unit)} [${fmt(after.ci95[0], '')}, ${fmt(after.ci95[1], '')}]`));
      if (!before) {
        tr.append(cell('new'), cell(''));
        continue;
      }
      const change = after.p50 - before.p50;
      const relative = before.p50 !== 0 ? ` (${change >= 0 ? '+' : ''}${((100 * change) / Math.abs(before.p50)).toFixed(1)} %)` : '';
      const separate = after.ci95[0] > before.ci95[1] || after.ci95[1] < before.ci95[0];
      const beyondFloor = Math.abs(change) > Math.max(floorShare * Math.abs(before.p50), floorUnits);
      const improved = better === 'higher' ? change > 0 : change < 0;
      tr.append(cell(`${change >= 0 ? '+' : ''}${fmt(change, unit)}${relative}`));
      if (!separate) tr.append(cell('within intervals', 'none'));
      else if (!beyondFloor) tr.append(cell('below noise floor', 'none'));
      else tr.append(cell(improved ? 'better' : 'worse', improved ? 'better' : 'worse'));
    }
    const target = container.querySelector('.compare-table');
    target.replaceChildren(table);
    target.dataset.rendered = 'true';
  }

  for (const container of document.querySelectorAll('.compare')) {
    for (const select of container.querySelectorAll('select')) select.addEventListener('change', () => render(container));
    render(container);
  }
})();
