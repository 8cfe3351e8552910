// Runs in reports/index.html (inlined after Chart.js): draws each scenario's history
// charts from the compact summaries the page carries, shows what the gate said of a
// point on hover, opens a run's report on click, and fills the side-by-side of two runs
// whenever the reader picks them. Plain browser JavaScript; works from disk, offline.
/* global Chart */
(() => {
  const { colors, meta, scenarios } = JSON.parse(document.getElementById('index-data').textContent);
  const colorOf = (system) => colors[system] ?? '#666';
  Chart.defaults.animation = false; // draw at once: screenshots and print see the final chart
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  Chart.defaults.font.size = 11;

  const digits = (v) => (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  const fmt = (v, unit) => `${v.toFixed(digits(v))}${unit ? ` ${unit}` : ''}`;
  // A run of one repetition has no interval (lo and hi are null).
  const interval = (stat) => (stat.lo === null ? '(one repetition: no interval)' : `[${fmt(stat.lo, '')}, ${fmt(stat.hi, '')}]`);
  const dateOf = (run) => run.startedAt.slice(5, 16).replace('T', ' ');

  const MARKS = {
    regression: { style: 'triangle', radius: 7, fill: '#b03a2e', border: '#111', rotation: 0 },
    improvement: { style: 'triangle', radius: 7, fill: '#1e8449', border: '#111', rotation: 180 },
    inconclusive: { style: 'rectRot', radius: 4, fill: '#fff', border: null, rotation: 0 },
    ok: { style: 'circle', radius: 2.5, fill: null, border: null, rotation: 0 },
  };

  // Per point: a whisker for its 95 % interval (under the points, so marks stay on top);
  // where a system had no samples at all in a run that the gate failed for it, a × at
  // the top of the chart.
  const whiskersPlugin = {
    id: 'whiskers',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y;
      chart.data.datasets.forEach((dataset, i) => {
        const points = chart.getDatasetMeta(i);
        if (points.hidden) return;
        const dense = points.data.length > 80;
        ctx.save();
        ctx.beginPath();
        ctx.rect(chartArea.left, chartArea.top, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top);
        ctx.clip();
        ctx.strokeStyle = dataset.borderColor;
        ctx.globalAlpha = dense ? 0.25 : 0.55;
        ctx.lineWidth = dense ? 1 : 1.5;
        ctx.beginPath();
        points.data.forEach((point, j) => {
          const interval = dataset.intervals[j];
          if (!interval) return;
          ctx.moveTo(point.x, y.getPixelForValue(interval[1]));
          ctx.lineTo(point.x, y.getPixelForValue(interval[0]));
        });
        ctx.stroke();
        ctx.globalAlpha = 1;
        ctx.fillStyle = dataset.borderColor;
        ctx.font = 'bold 13px system-ui, sans-serif';
        ctx.textAlign = 'center';
        dataset.missing.forEach((missing, j) => {
          if (missing) ctx.fillText('×', chart.scales.x.getPixelForValue(j), chartArea.top + 10);
        });
        ctx.restore();
      });
    },
  };

  // A dashed vertical line where a new series starts, with what changed.
  const seriesPlugin = {
    id: 'seriesBreaks',
    beforeDatasetsDraw(chart, _args, options) {
      const { ctx, chartArea } = chart;
      const x = chart.scales.x;
      let lastLabel = -Infinity;
      for (const { index, label } of options.breaks ?? []) {
        const px = (x.getPixelForValue(index - 1) + x.getPixelForValue(index)) / 2;
        ctx.save();
        ctx.strokeStyle = '#888';
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(px, chartArea.top);
        ctx.lineTo(px, chartArea.bottom);
        ctx.stroke();
        if (px - lastLabel > 60) {
          ctx.fillStyle = '#666';
          ctx.font = '10px system-ui, sans-serif';
          ctx.fillText(label, px + 3, chartArea.bottom - 4);
          lastLabel = px;
        }
        ctx.restore();
      }
    },
  };
  Chart.register(whiskersPlugin, seriesPlugin);

  const tip = document.getElementById('point-tip');
  function showTip(chart, tooltip, scenario, column) {
    const point = tooltip.dataPoints?.[0];
    if (tooltip.opacity === 0 || !point) {
      tip.style.display = 'none';
      return;
    }
    const run = scenario.runs[point.dataIndex];
    const system = chart.data.datasets[point.datasetIndex].label;
    const stat = run.stats[system]?.[column.workload]?.[column.metric];
    const verdict = run.points[system]?.[column.workload]?.[column.metric];
    const lines = [
      [`${run.runId} · ${run.commit} · series ${run.segment + 1}${run.changes.length ? ` (new: ${run.changes.join(', ')})` : ''}`, 'b'],
      [stat ? `${system}: ${column.share ? `${fmt(stat.mean ?? stat.p50, '')} of repetitions` : `median ${fmt(stat.p50, column.unit)} ${interval(stat)}`}, n=${stat.n}${stat.reps ? ` from ${stat.reps} repetitions` : ''}` : `${system}: no samples`, ''],
      [`gate, baseline ${run.baseline}:`, ''],
      ...(verdict ? verdict.notes.map((n) => [n.text, `mark-${n.mark}`]) : [['nothing said of this metric', 'note']]),
    ];
    tip.replaceChildren(
      ...lines.map(([text, cls]) => {
        const p = document.createElement('p');
        if (cls === 'b') p.style.fontWeight = '600';
        else if (cls) p.className = cls;
        p.textContent = text;
        return p;
      }),
    );
    const box = chart.canvas.getBoundingClientRect();
    tip.style.display = 'block';
    const left = window.scrollX + box.left + tooltip.caretX + 12;
    tip.style.left = `${Math.min(left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${window.scrollY + box.top + tooltip.caretY + 12}px`;
  }

  function drawChart(canvas, scenario, column) {
    const { runs } = scenario;
    const value = (stat) => (column.share ? (stat.mean ?? stat.p50) : stat.p50);
    const datasets = scenario.systems.map((system) => {
      const stats = runs.map((run) => run.stats[system]?.[column.workload]?.[column.metric]);
      const marks = runs.map((run) => run.points[system]?.[column.workload]?.[column.metric]?.mark ?? 'ok');
      const color = colorOf(system);
      // With many runs, plain points would hide the line: only marked points are drawn.
      const okRadius = runs.length > 80 ? 0 : MARKS.ok.radius;
      const style = (ctx, field, fallback) => (field === 'radius' && marks[ctx.dataIndex] === 'ok' ? okRadius : MARKS[marks[ctx.dataIndex]][field] ?? fallback);
      return {
        label: system,
        data: stats.map((s) => (s ? value(s) : null)),
        intervals: stats.map((s) => (s && !column.share && s.lo !== null ? [s.lo, s.hi] : null)),
        missing: stats.map((s, j) => !s && marks[j] === 'regression'),
        borderColor: color,
        backgroundColor: color,
        borderWidth: system === 'mprelay' ? 2.5 : 1.5,
        order: system === 'mprelay' ? 0 : 1, // drawn last, on top: the system the lab is for
        spanGaps: false,
        // A line joins two runs only within one series.
        segment: { borderColor: (ctx) => (runs[ctx.p0DataIndex].segment !== runs[ctx.p1DataIndex].segment ? 'transparent' : undefined) },
        pointStyle: (ctx) => style(ctx, 'style'),
        pointRadius: (ctx) => style(ctx, 'radius'),
        pointHoverRadius: (ctx) => style(ctx, 'radius') + 2,
        pointHitRadius: 4,
        pointRotation: (ctx) => style(ctx, 'rotation'),
        pointBackgroundColor: (ctx) => style(ctx, 'fill', color),
        pointBorderColor: (ctx) => style(ctx, 'border', color),
        pointBorderWidth: (ctx) => (marks[ctx.dataIndex] === 'ok' ? 1 : 1.5),
      };
    });
    // The y axis spans the intervals too, so that each whisker is seen whole.
    const bounds = datasets.flatMap((d) => d.intervals.flatMap((i) => i ?? []));
    const breaks = runs.flatMap((run, i) => (i > 0 && run.segment !== runs[i - 1].segment ? [{ index: i, label: run.changes.join(', ') || 'new series' }] : []));
    new Chart(canvas, {
      type: 'line',
      data: { labels: runs.map((run) => [dateOf(run), run.commit]), datasets },
      options: {
        normalized: true,
        interaction: { mode: 'nearest', intersect: true },
        onClick(event, elements) {
          const hit = elements[0];
          if (hit) window.location.href = runs[hit.index].href;
        },
        onHover(event, elements) {
          event.native.target.style.cursor = elements.length ? 'pointer' : 'default';
        },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
          y: {
            title: { display: Boolean(column.unit), text: column.unit },
            grace: '8%',
            ...(column.share ? { min: 0, max: 1 } : bounds.length > 0 && { suggestedMin: Math.min(...bounds), suggestedMax: Math.max(...bounds) }),
          },
        },
        plugins: {
          legend: { labels: { boxWidth: 10, boxHeight: 2 } },
          tooltip: { enabled: false, external: ({ chart, tooltip }) => showTip(chart, tooltip, scenario, column) },
          seriesBreaks: { breaks },
        },
      },
    });
    canvas.dataset.rendered = 'true';
  }

  scenarios.forEach((scenario, s) => {
    scenario.columns.forEach((column, c) => drawChart(document.getElementById(`history-${s}-${c}`), scenario, column));
  });

  // The side-by-side: every metric's median in both runs, the change, and whether it is one.
  const cell = (text, cls = '') => {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };

  function rows(a, b) {
    const out = [];
    for (const [system, workloads] of Object.entries(b.stats)) {
      for (const [workload, metrics] of Object.entries(workloads)) {
        for (const [metric, after] of Object.entries(metrics)) out.push({ system, workload, metric, before: a.stats[system]?.[workload]?.[metric], after });
      }
    }
    return out;
  }

  function render(container) {
    const scenario = scenarios[Number(container.dataset.scenario)];
    const pick = (cls) => scenario.runs.find((r) => r.runId === container.querySelector(cls).value);
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
      tr.append(cell(before ? `${fmt(before.p50, unit)} ${interval(before)}` : 'not measured'));
      tr.append(cell(`${fmt(after.p50, unit)} ${interval(after)}`));
      if (!before) {
        tr.append(cell('new'), cell(''));
        continue;
      }
      const change = after.p50 - before.p50;
      const relative = before.p50 !== 0 ? ` (${change >= 0 ? '+' : ''}${((100 * change) / Math.abs(before.p50)).toFixed(1)} %)` : '';
      const intervals = after.lo !== null && before.lo !== null;
      const separate = intervals && (after.lo > before.hi || after.hi < before.lo);
      const beyondFloor = Math.abs(change) > Math.max(floorShare * Math.abs(before.p50), floorUnits);
      const improved = better === 'higher' ? change > 0 : change < 0;
      tr.append(cell(`${change >= 0 ? '+' : ''}${fmt(change, unit)}${relative}`));
      if (!intervals) tr.append(cell('no interval: one repetition', 'none'));
      else if (!separate) tr.append(cell('within intervals', 'none'));
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
  // When everything is drawn, ms since the navigation started: what "the index loads in" means.
  document.body.dataset.historyDrawn = String(Math.round(performance.now()));
})();
