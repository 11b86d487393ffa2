// The timeline: incidents per day under the map (from /api/stats, every filter but the dates),
// a drag to choose a date range, and a play button that steps through the war day by day.
import { state, update } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY = 86400000;
/** The war: 27 September to 10 November 2020. The axis widens if the data reach further. */
const WAR = ['2020-09-27', '2020-11-10'];

const toTime = (d) => Date.parse(`${d}T00:00:00Z`);
const toDate = (t) => new Date(t).toISOString().slice(0, 10);

let days = [];
let counts = new Map();
let playing = null;

function element(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** Redraws the histogram from a stats answer. */
export function renderTimeline(stats) {
  counts = new Map(stats.by_day.map((d) => [d.date, d.incidents]));
  const dated = stats.by_day.map((d) => d.date);
  const first = [WAR[0], ...dated].sort()[0];
  const last = [WAR[1], ...dated].sort().at(-1);
  days = [];
  for (let t = toTime(first); t <= toTime(last); t += DAY) days.push(toDate(t));
  draw();
  const note = document.getElementById('timeline-note');
  note.textContent = stats.date_ranges
    ? `${stats.date_ranges} incident(s) known only to a range of days are not drawn here. Drag across the chart to choose dates.`
    : 'Drag across the chart to choose dates.';
}

function draw() {
  const svg = document.getElementById('timeline-chart');
  const width = svg.clientWidth || 600;
  const height = svg.clientHeight || 80;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  if (days.length === 0) return;
  const max = Math.max(1, ...counts.values());
  const step = width / days.length;
  const { from, to } = state.filters;
  const chartHeight = height - 14;
  let lastLabel = -Infinity;
  days.forEach((day, i) => {
    const n = counts.get(day) || 0;
    const h = (n / max) * (chartHeight - 4);
    const inRange = (!from || day >= from) && (!to || day <= to);
    const bar = element('rect', { x: i * step + 0.5, y: chartHeight - h, width: Math.max(step - 1, 1), height: h, class: `bar${inRange && (from || to) ? ' in' : ''}` });
    const title = element('title', {});
    title.textContent = `${day}: ${n} incident(s)`;
    bar.append(title);
    svg.append(bar);
    // A label on the first day and on each month's first, where there is room for it.
    if ((day.endsWith('-01') || i === 0) && i * step - lastLabel >= 48) {
      lastLabel = i * step;
      const text = element('text', { x: i * step + 2, y: height - 2 });
      text.textContent = new Date(toTime(day)).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
      svg.append(text);
    }
  });
  if (from || to) {
    const a = from ? Math.max(0, days.indexOf(from)) : 0;
    const b = to ? days.indexOf(to) : days.length - 1;
    const end = b < 0 ? days.length - 1 : b;
    svg.append(element('rect', { x: a * step, y: 0, width: Math.max((end - a + 1) * step, 2), height: chartHeight, class: 'brush' }));
  }
}

function dayAt(svg, clientX) {
  const rect = svg.getBoundingClientRect();
  const i = Math.floor(((clientX - rect.left) / rect.width) * days.length);
  return days[Math.min(days.length - 1, Math.max(0, i))];
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
    update({ filters: { from, to } }, 'filters');
  });
  window.addEventListener('resize', draw);
  document.getElementById('play').addEventListener('click', togglePlay);
}

function togglePlay() {
  const button = document.getElementById('play');
  if (playing) {
    clearInterval(playing);
    playing = null;
    button.textContent = '▶ Play';
    button.setAttribute('aria-pressed', 'false');
    return;
  }
  if (days.length === 0) return;
  let i = state.filters.from && state.filters.from === state.filters.to ? days.indexOf(state.filters.from) + 1 : 0;
  button.textContent = '❚❚ Pause';
  button.setAttribute('aria-pressed', 'true');
  const stepOnce = () => {
    if (i >= days.length) {
      togglePlay();
      return;
    }
    update({ filters: { from: days[i], to: days[i] } }, 'filters');
    i += 1;
  };
  stepOnce();
  playing = setInterval(stepOnce, 900);
}

export { draw as redrawTimeline };
