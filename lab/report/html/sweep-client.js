// Runs in a sweep's report page (inlined after Chart.js): one line chart per entry of
// the data block, the swept field's values on the x axis, per system its medians as a
// line and their 95 % intervals as a band. Plain browser JavaScript, offline.
/* global Chart */
(() => {
  const data = JSON.parse(document.getElementById('sweep-data').textContent);
  const colorOf = (system) => data.colors[system] ?? '#666';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const translucent = (hex) => `${hex}33`;

  for (const chart of data.charts) {
    const canvas = document.getElementById(chart.id);
    if (!canvas) continue;
    const datasets = chart.series.flatMap(({ system, values }) => {
      const color = colorOf(system);
      const band = values.some((v) => v.lo !== null);
      const lo = { label: `${system} 95% lo`, role: 'band', data: values.map((v) => v.lo), borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: translucent(color) };
      const hi = { label: `${system} 95% hi`, role: 'band', data: values.map((v) => v.hi), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: translucent(color) };
      const median = {
        label: system,
        role: 'median',
        cells: values.map((v) => v.cell),
        data: values.map((v) => v.value),
        borderColor: color,
        backgroundColor: color,
        borderWidth: system === 'mprelay' ? 3 : 1.5,
        pointRadius: 3,
        spanGaps: false,
      };
      return band ? [lo, hi, median] : [median];
    });
    new Chart(canvas, {
      type: 'line',
      data: { labels: chart.labels, datasets },
      options: {
        plugins: {
          legend: { labels: { filter: (item, legend) => legend.datasets[item.datasetIndex].role === 'median' } },
          tooltip: { filter: (item) => item.dataset.role === 'median' },
        },
        scales: {
          x: { title: { display: true, text: chart.axis } },
          y: { title: { display: true, text: `${chart.label} (${chart.unit})` }, beginAtZero: true },
        },
      },
    });
    canvas.dataset.rendered = 'true';
  }
})();
