// The timeline: incidents per day under the map (from /api/stats, every filter but the dates),
// incidents known only to a range of days drawn as spans above the bars, a drag or the arrow
// keys to choose a date range, and Play, which steps through the war at a chosen speed and
// puts the date filter back as it was when it ends.
import { state, update } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY = 86400000;
/** The war: 27 September to 10 November 2020. The axis widens if the data reach further. */
const WAR = ['2020-09-27', '2020-11-10'];
/** Rows of spans drawn; more overlapping ranges share the last row. */
const SPAN_ROWS = 4;

const toTime = (d) => Date.parse(`${d}T00:00:00Z`);
const toDate = (t) => new Date(t).toISOString().slice(0, 10);
const shortDate = (day) => new Date(toTime(day)).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

let days = [];
let counts = new Map();
let spans = [];
let omitted = 0;
let playing = null;

function element(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** Redraws from a stats answer (null: nothing to show, the filters are in error). */
export function renderTimeline(stats) {
  counts = new Map((stats?.by_day || []).map((d) => [d.date, d.incidents]));
  spans = stats?.by_range || [];
  omitted = stats?.by_range_omitted || 0;
  const dated = [...counts.keys(), ...spans.flatMap((s) => [s.start, s.end])];
  const first = [WAR[0], ...dated].sort()[0];
  const last = [WAR[1], ...dated].sort().at(-1);
  days = [];
  for (let t = toTime(first); t <= toTime(last); t += DAY) days.push(toDate(t));
  draw();
  const ranged = spans.reduce((n, s) => n + s.incidents, 0) + omitted;
  const note = document.getElementById('timeline-note');
  note.textContent = !stats
    ? ''
    : `${ranged ? `${ranged} incident(s) known only to a range of days are drawn as spans above the bars${omitted ? ` (${omitted} in ranges too many to draw)` : ''}. ` : ''}Drag across the chart, or focus it and use the arrow keys, to choose dates.`;
}

/** Spans packed into rows so that overlapping ones sit one above another. */
function packSpans() {
  const ends = [];
  return spans.map((s) => {
    let row = ends.findIndex((end) => end < s.start);
    if (row < 0) row = ends.length < SPAN_ROWS ? ends.length : SPAN_ROWS - 1;
    ends[row] = s.end > (ends[row] || '') ? s.end : ends[row];
    return { ...s, row };
  });
}

function draw() {
  const svg = document.getElementById('timeline-chart');
  const width = svg.clientWidth || 600;
  const height = svg.clientHeight || 80;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  if (days.length === 0) return;
  const step = width / days.length;
  const { from, to } = state.filters;
  const spanRows = spans.length ? Math.min(SPAN_ROWS, Math.max(...packSpans().map((s) => s.row)) + 1) : 0;
  const spanTop = 2;
  const barsTop = spanTop + spanRows * 5 + (spanRows ? 3 : 0);
  const chartBottom = height - 14;
  const max = Math.max(1, ...counts.values());
  let lastLabel = -Infinity;
  days.forEach((day, i) => {
    const n = counts.get(day) || 0;
    const h = (n / max) * (chartBottom - barsTop - 2);
    const inRange = (!from || day >= from) && (!to || day <= to);
    const bar = element('rect', { x: i * step + 0.5, y: chartBottom - h, width: Math.max(step - 1, 1), height: h, class: `bar${inRange && (from || to) ? ' in' : ''}` });
    const title = element('title', {});
    title.textContent = `${day}: ${n} incident(s)`;
    bar.append(title);
    svg.append(bar);
    // A label on the first day and on each month's first, where there is room for it.
    if ((day.endsWith('-01') || i === 0) && i * step - lastLabel >= 48) {
      lastLabel = i * step;
      const text = element('text', { x: i * step + 2, y: height - 2 });
      text.textContent = shortDate(day);
      svg.append(text);
    }
  });
  for (const s of packSpans()) {
    const a = days.indexOf(s.start);
    const b = days.indexOf(s.end);
    if (a < 0 || b < 0) continue;
    const rect = element('rect', { x: a * step + 1, y: spanTop + s.row * 5, width: Math.max((b - a + 1) * step - 2, 2), height: 3.5, class: 'span' });
    const title = element('title', {});
    title.textContent = `${s.incidents} incident(s) on an unknown day between ${s.start} and ${s.end}`;
    rect.append(title);
    svg.append(rect);
  }
  if (from || to) {
    const a = from ? Math.max(0, days.indexOf(from)) : 0;
    const b = to ? days.indexOf(to) : days.length - 1;
    const end = b < 0 ? days.length - 1 : b;
    svg.append(element('rect', { x: a * step, y: 0, width: Math.max((end - a + 1) * step, 2), height: chartBottom, class: 'brush' }));
  }
  svg.setAttribute('aria-valuetext', from || to ? `${from ? shortDate(from) : 'start'} to ${to ? shortDate(to) : 'end'}` : 'all dates');
}

function dayAt(svg, clientX) {
  const rect = svg.getBoundingClientRect();
  const i = Math.floor(((clientX - rect.left) / rect.width) * days.length);
  return days[Math.min(days.length - 1, Math.max(0, i))];
}

/** Arrow keys move the chosen range by a day; with Shift they move its end only. */
function onKey(e) {
  if (days.length === 0) return;
  const { from, to } = state.filters;
  const index = (d, fallback) => (d && days.includes(d) ? days.indexOf(d) : fallback);
  let a = index(from, 0);
  let b = index(to, from ? a : days.length - 1);
  const clamp = (i) => Math.min(days.length - 1, Math.max(0, i));
  if (e.key === 'Escape') {
    update({ filters: { from: '', to: '' } }, 'filters');
    e.preventDefault();
    return;
  }
  const delta = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
  if (e.key === 'Home') [a, b] = [0, 0];
  else if (e.key === 'End') [a, b] = [days.length - 1, days.length - 1];
  else if (delta && !from && !to) [a, b] = delta > 0 ? [0, 0] : [days.length - 1, days.length - 1];
  else if (delta && e.shiftKey) b = Math.max(a, clamp(b + delta));
  else if (delta) {
    const width = b - a;
    a = clamp(a + delta);
    b = clamp(a + width);
    a = b - width;
  } else return;
  e.preventDefault();
  update({ filters: { from: days[a], to: days[b] } }, 'filters', { keepView: true });
}

export function setUpTimeline() {
  const svg = document.getElementById('timeline-chart');
  let start = null;
  svg.addEventListener('pointerdown', (e) => {
    if (days.length === 0) return;
    start = dayAt(svg, e.clientX);
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (!start) return;
    const day = dayAt(svg, e.clientX);
    state.filters.from = day < start ? day : start;
    state.filters.to = day < start ? start : day;
    draw();
  });
  svg.addEventListener('pointerup', (e) => {
    if (!start) return;
    const day = dayAt(svg, e.clientX);
    const [from, to] = day < start ? [day, start] : [start, day];
    start = null;
    update({ filters: { from, to } }, 'filters', { keepView: true });
  });
  svg.addEventListener('keydown', onKey);
  window.addEventListener('resize', draw);
  document.getElementById('play').addEventListener('click', togglePlay);
}

/** Whether Play is running. */
export function isPlaying() {
  return Boolean(playing);
}

function stopPlay({ restore }) {
  clearTimeout(playing.timer);
  const before = playing.before;
  playing = null;
  const button = document.getElementById('play');
  button.textContent = '▶ Play';
  button.setAttribute('aria-pressed', 'false');
  if (restore) update({ filters: before }, 'filters', { keepView: true, remember: false });
}

function togglePlay() {
  if (playing) {
    // Paused: the day shown stays chosen.
    stopPlay({ restore: false });
    return;
  }
  if (days.length === 0) return;
  const before = { from: state.filters.from || '', to: state.filters.to || '' };
  const single = before.from && before.from === before.to;
  let i = single ? days.indexOf(before.from) + 1 : 0;
  const button = document.getElementById('play');
  button.textContent = '❚❚ Pause';
  button.setAttribute('aria-pressed', 'true');
  playing = { before, timer: null };
  const stepOnce = () => {
    if (!playing) return;
    if (i >= days.length) {
      stopPlay({ restore: true });
      return;
    }
    update({ filters: { from: days[i], to: days[i] } }, 'filters', { keepView: true, remember: false });
    i += 1;
    const perSecond = Number(document.getElementById('play-speed').value) || 1;
    playing.timer = setTimeout(stepOnce, 1000 / perSecond);
  };
  stepOnce();
}

export { draw as redrawTimeline };
