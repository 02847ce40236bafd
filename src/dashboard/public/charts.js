// Small wrappers around uPlot: colours from the page's CSS variables (so light and dark mode both read
// well), width from the container, and data updated in place on each refresh.
'use strict';

window.Charts = (() => {
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const charts = new Map();

  function axis(extra = {}) {
    return { stroke: css('--muted'), grid: { stroke: css('--grid'), width: 1 }, ticks: { stroke: css('--grid'), width: 1 }, ...extra };
  }

  function countPoints(data) {
    let n = 0;
    for (let s = 1; s < data.length; s++) for (const v of data[s]) if (v !== null && v !== undefined) n++;
    return n;
  }

  /** Creates the chart in `el` the first time, afterwards only swaps its data (unless the series changed). */
  function draw(el, signature, makeOptions, data) {
    el.dataset.points = String(countPoints(data));
    let entry = charts.get(el);
    if (entry && entry.signature === signature && entry.theme === theme()) {
      entry.plot.setData(data);
      return;
    }
    if (entry) entry.plot.destroy();
    el.textContent = '';
    const plot = new uPlot({ width: widthOf(el), height: Number(el.dataset.height || 180), ...makeOptions() }, data, el);
    charts.set(el, { plot, signature, theme: theme() });
    resizes.observe(el);
  }

  const widthOf = (el) => Math.max(200, Math.floor(el.clientWidth));

  // A chart follows its box: window resizes, a phone turned sideways, a card squeezed by a new neighbour.
  const resizes = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const entry = charts.get(target);
      if (entry && entry.plot.width !== widthOf(target)) entry.plot.setSize({ width: widthOf(target), height: entry.plot.height });
    }
  });

  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  const theme = () => (dark.matches ? 'dark' : 'light');

  const ms = (v) => (v === null || v === undefined ? '–' : v >= 1000 ? `${+(v / 1000).toPrecision(3)} s` : `${+v.toPrecision(3)} ms`);
  const isDecade = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  const decadesOnly = (u, splits) => splits.map((v) => (isDecade(v) ? v : null));
  const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  /** Whole powers of ten around the data: a log axis where 0.3 ms of overhead and 3 s of TTFB both read well. */
  function decades(u, min, max) {
    if (min === null || max === null || !(min > 0)) return [0.1, 1000];
    const lo = 10 ** Math.floor(Math.log10(min));
    const hi = 10 ** Math.ceil(Math.log10(max));
    return [lo, hi > lo ? hi : lo * 10];
  }

  /** TTFB p50/p95 and the router's own overhead (p50) per minute over the last hour, on one log axis. */
  function latency(el, columns) {
    const data = [columns.t, columns.ttfb_p50_ms, columns.ttfb_p95_ms, columns.overhead_p50_ms];
    draw(el, 'latency', () => ({
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, ms: { distr: 3, log: 10, range: decades } },
      series: [
        { value: (u, t) => (t ? clock(t) : '') },
        { label: 'TTFB p50', scale: 'ms', stroke: css('--c1'), width: 2, points: { show: true, size: 6 }, value: (u, v) => ms(v) },
        { label: 'TTFB p95', scale: 'ms', stroke: css('--c2'), width: 2, points: { show: true, size: 6 }, value: (u, v) => ms(v) },
        { label: 'Router overhead p50', scale: 'ms', stroke: css('--c3'), width: 1.5, dash: [4, 3], points: { show: true, size: 6 }, value: (u, v) => ms(v) },
      ],
      axes: [
        axis({ space: 80, values: (u, splits) => splits.map(clock) }),
        // Grid lines and labels at 0.1 ms, 1 ms, 10 ms, …: the minor log splits only add noise.
        axis({
          scale: 'ms',
          size: 66,
          filter: decadesOnly,
          grid: { stroke: css('--grid'), width: 1, filter: decadesOnly },
          ticks: { stroke: css('--grid'), width: 1, filter: decadesOnly },
          values: (u, splits) => splits.map((v) => (v === null ? '' : ms(v))),
        }),
      ],
    }), data);
  }

  /** One value per day for the last 7 days; `kind` 'bars' puts the series side by side. */
  function daily(el, dayLabels, series, kind) {
    const x = dayLabels.map((_, i) => i);
    const data = [x, ...series.map((s) => s.values)];
    const signature = `${kind}:${series.map((s) => s.label).join('|')}`;
    const n = series.length;
    draw(el, signature, () => ({
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: () => [-0.6, x.length - 0.4] }, y: { range: (u, min, max) => [0, Math.max(1, max ?? 1) * 1.1] } },
      series: [
        { value: (u, i) => dayLabels[i] ?? '' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: css(`--c${(i % 6) + 1}`),
          fill: kind === 'bars' ? css(`--c${(i % 6) + 1}`) : undefined,
          width: kind === 'bars' ? 0 : 2,
          points: { show: kind !== 'bars', size: 6 },
          // Two bar series sit side by side: the first left of the day's tick, the second right of it.
          paths: kind === 'bars' ? uPlot.paths.bars({ size: [0.38, 48], align: n === 2 ? (i === 0 ? -1 : 1) : 0 }) : undefined,
          value: (u, v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString()),
        })),
      ],
      axes: [
        // Every day labelled where there is room, every other day on a narrow screen.
        axis({ splits: () => x, values: (u, splits) => splits.map((i) => (u.width < 460 && (x.length - 1 - i) % 2 ? '' : dayLabels[i] ?? '')) }),
        axis({ size: 60, values: (u, splits) => splits.map((v) => compact(v)) }),
      ],
    }), data);
  }

  const compactFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const compact = (v) => compactFormat.format(v);

  // Colours change with the system theme: rebuild on the next refresh.
  dark.addEventListener('change', () => {
    for (const [, entry] of charts) entry.theme = null;
  });

  /** Removes the chart in `el`. */
  function remove(el) {
    const entry = charts.get(el);
    if (!entry) return;
    resizes.unobserve(el);
    entry.plot.destroy();
    charts.delete(el);
    el.textContent = '';
    delete el.dataset.points;
  }

  /** Removes every chart (on sign-out). */
  function reset() {
    for (const el of [...charts.keys()]) remove(el);
  }

  return { latency, daily, remove, reset, ms, compact };
})();
