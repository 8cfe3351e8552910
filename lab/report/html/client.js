// Runs in the report page (inlined after Chart.js): draws every chart from the data
// block the page carries. Plain browser JavaScript; the page works from disk, offline.
/* global Chart */
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const colorOf = (system) => data.colors[system] ?? '#666';
  Chart.defaults.animation = false; // draw at once: screenshots and print see the final chart
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';

  // Whiskers for bar datasets that carry `intervals: [[lo, hi] | null]`.
  const intervalsPlugin = {
    id: 'intervals',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      chart.data.datasets.forEach((dataset, i) => {
        if (!dataset.intervals) return;
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const interval = dataset.intervals[j];
          if (!interval) return;
          const [top, bottom] = [y.getPixelForValue(interval[1]), y.getPixelForValue(interval[0])];
          const half = Math.min(6, bar.width / 4);
          ctx.save();
          ctx.strokeStyle = '#222';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(bar.x, top);
          ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - half, top);
          ctx.lineTo(bar.x + half, top);
          ctx.moveTo(bar.x - half, bottom);
          ctx.lineTo(bar.x + half, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  // Dashed horizontal reference lines over one category each (rate A + rate B per group).
  const referencePlugin = {
    id: 'reference',
    afterDatasetsDraw(chart, _args, options) {
      if (!options.lines) return;
      const { ctx } = chart;
      const x = chart.scales.x;
      const y = chart.scales.y;
      const band = x.width / chart.data.labels.length;
      for (const line of options.lines) {
        const center = x.getPixelForValue(line.index);
        const py = y.getPixelForValue(line.value);
        ctx.save();
        ctx.strokeStyle = '#c0392b';
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(center - band * 0.45, py);
        ctx.lineTo(center + band * 0.45, py);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '#c0392b';
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText(line.label, center - band * 0.45, py - 4);
        ctx.restore();
      }
    },
  };

  // A shaded time window behind the data (a link outage).
  const shadePlugin = {
    id: 'shade',
    beforeDatasetsDraw(chart, _args, options) {
      if (!options.windows) return;
      const { ctx, chartArea } = chart;
      const x = chart.scales.x;
      for (const w of options.windows) {
        const left = x.getPixelForValue(w.from);
        const right = x.getPixelForValue(w.to);
        ctx.save();
        ctx.fillStyle = 'rgba(192, 57, 43, 0.15)';
        ctx.fillRect(left, chartArea.top, right - left, chartArea.bottom - chartArea.top);
        ctx.fillStyle = '#c0392b';
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText(w.label, left + 4, chartArea.top + 12);
        ctx.restore();
      }
    },
  };

  Chart.register(intervalsPlugin, referencePlugin, shadePlugin);

  const axis = (title, extra = {}) => ({ title: { display: true, text: title }, ...extra });
  const draw = (id, config) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, config);
    canvas.dataset.rendered = 'true';
  };
  // Points are the starts of bins or the sorted samples of a CDF: 'before' holds each
  // value until the next point, the right step for both.
  const lineSeries = (system, points, extra = {}) => ({
    label: system,
    data: points,
    borderColor: colorOf(system),
    backgroundColor: colorOf(system),
    borderWidth: system === 'mprelay' ? 3 : 1.5,
    pointRadius: 0,
    showLine: true,
    ...extra,
  });
  const barSeries = (system, bars) => ({
    label: system,
    data: bars.map((b) => (b ? b.p50 : null)),
    intervals: bars.map((b) => (b && b.lo !== null ? [b.lo, b.hi] : null)),
    backgroundColor: colorOf(system),
  });

  // Attempts entered at their timeout (censored): hollow triangles on the observed data, one legend entry per system.
  const censoredSeries = (system, points) => ({
    label: `${system}: censored at the timeout`,
    data: points,
    borderColor: colorOf(system),
    backgroundColor: 'rgba(255, 255, 255, 0.9)',
    pointStyle: 'triangle',
    pointRadius: 6,
    borderWidth: 1.5,
    showLine: false,
  });
  const idleLoadedBars = (pair) => ({
    type: 'bar',
    data: {
      labels: pair.systems,
      datasets: [
        { ...barSeries('idle', pair.idle), label: 'idle', backgroundColor: '#7fb3d5' },
        { ...barSeries('loaded', pair.loaded), label: 'during bulk downloads', backgroundColor: '#e59866' },
      ],
    },
  });

  const charts = data.charts;
  if (charts.ttfbCdf) {
    draw('chart-ttfb-cdf', {
      type: 'scatter',
      data: {
        datasets: [
          ...charts.ttfbCdf.map((s) => lineSeries(s.system, s.points, { stepped: 'before' })),
          ...charts.ttfbCdf.filter((s) => s.censored.length).map((s) => censoredSeries(s.system, s.censored)),
        ],
      },
      options: {
        scales: { x: axis('time to first byte (ms)', { type: 'logarithmic' }), y: axis('fraction of connections', { min: 0, max: 1 }) },
      },
    });
  }
  if (charts.latency) {
    draw('chart-latency', { ...idleLoadedBars(charts.latency), options: { scales: { y: axis('round trip (ms): median, 95 % interval', { type: 'logarithmic' }) } } });
  }
  if (charts.pageload) {
    draw('chart-pageload', { ...idleLoadedBars(charts.pageload), options: { scales: { y: axis('page load (ms): median, 95 % interval', { type: 'logarithmic' }) } } });
  }
  if (charts.latencyOverTime) {
    draw('chart-latency-time', {
      type: 'scatter',
      data: {
        datasets: [
          ...charts.latencyOverTime.series.map((s) => lineSeries(s.system, s.points, { pointRadius: 1.5, showLine: false })),
          ...charts.latencyOverTime.series.filter((s) => s.censored.length).map((s) => censoredSeries(s.system, s.censored)),
        ],
      },
      options: {
        scales: { x: axis('time since the workload started (s)'), y: axis('echo round trip (ms)', { type: 'logarithmic' }) },
        plugins: { shade: { windows: charts.latencyOverTime.loadWindows } },
      },
    });
  }
  if (charts.goodput) {
    draw('chart-goodput', {
      type: 'bar',
      data: { labels: charts.goodput.groups, datasets: charts.goodput.series.map((s) => barSeries(s.system, s.bars)) },
      options: {
        scales: { y: axis('Mbit/s: median, 95 % interval', { beginAtZero: true, suggestedMax: Math.max(...charts.goodput.reference.map((r) => r.value)) * 1.1 }) },
        plugins: { reference: { lines: charts.goodput.reference } },
      },
    });
  }
  // One chart per link that went down: goodput on top, and under it a strip with each
  // system's fresh connections, filled circle ok, cross failed, at the moment each was opened.
  for (const window of charts.failover ?? []) {
    const systems = window.attempts.map((a) => a.system);
    const attemptSeries = (a, ok) => ({
      label: `${a.system}: new connection ${ok ? 'ok' : 'failed'}`,
      data: (ok ? a.ok : a.failed).map((x) => ({ x, y: a.system })),
      yAxisID: 'attempts',
      borderColor: ok ? colorOf(a.system) : '#c0392b',
      backgroundColor: ok ? colorOf(a.system) : '#c0392b',
      pointStyle: ok ? 'circle' : 'crossRot',
      pointRadius: ok ? 3 : 6,
      borderWidth: ok ? 1 : 2,
      showLine: false,
    });
    draw(`chart-failover-${window.link}`, {
      type: 'scatter',
      data: {
        datasets: [
          ...window.series.map((s) => lineSeries(s.system, s.points, { stepped: 'before', yAxisID: 'y' })),
          ...window.attempts.flatMap((a) => [attemptSeries(a, true), attemptSeries(a, false)].filter((d) => d.data.length)),
        ],
      },
      options: {
        // Stacked axes: the first one defined is drawn at the bottom.
        scales: {
          x: axis('time since the window started (s)'),
          attempts: { type: 'category', labels: systems, offset: true, stack: 'window', stackWeight: 1.2, ticks: { autoSkip: false, font: { size: 10 } } },
          y: axis('received (Mbit/s over 200 ms)', { beginAtZero: true, stack: 'window', stackWeight: 3 }),
        },
        plugins: {
          shade: { windows: [window.outage] },
          legend: { labels: { filter: (item, chartData) => chartData.datasets[item.datasetIndex].yAxisID !== 'attempts' } },
        },
      },
    });
  }
  document.body.dataset.chartsDrawn = String(document.querySelectorAll('canvas[data-rendered]').length);
})();
