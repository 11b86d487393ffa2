// The list of every filtered incident beside the map, in the chosen order, however many there
// are: rows are drawn only where the list is scrolled to, and their pages are fetched from the
// API as they come into view (LIST_PAGE at a time, from the true total the API reports).
import { state } from './state.js';
import { colour } from './vocab.js';
import { countText, esc } from './format.js';
import { LIST_PAGE, fetchListPage } from './api.js';

/** Height of one row, px (fixed, so a row's place follows from its number). */
const ROW = 58;
/** Browsers cap an element's height; past this the scroll position maps onto the rows. */
const MAX_HEIGHT = 4_000_000;
/** Rows drawn beyond the visible ones, each way. */
const OVERSCAN = 6;

let total = 0;
let pages = new Map();
let generation = 0;
let onSelect = () => {};
let onError = () => {};

const viewport = () => document.getElementById('list-viewport');

function rowHtml(f, top) {
  const p = f.properties;
  const killed = countText(p.killed, p.killed_high);
  const date = p.date_precision === 'range' ? `${p.date} – ${p.date_end}` : p.date;
  return `<li style="top:${top}px" aria-setsize="${total}" aria-posinset="${f.position + 1}"><button type="button" data-id="${esc(p.id)}" aria-current="${p.id === state.selected}">
      <span class="swatch" style="background:${colour(state.colorBy, p[state.colorBy])}"></span>
      <span class="title">${esc(p.title)}</span>
      <span class="meta">${esc(date)} · ${esc(p.place)} · ${p.depth_km === null ? '' : `${p.depth_km.toFixed(0)} km from the line · `}killed: ${esc(killed)}</span>
    </button></li>`;
}

/** Which rows the scroll position shows, and where the first of them is drawn. */
function windowRows() {
  const el = viewport();
  const height = Math.min(total * ROW, MAX_HEIGHT);
  const view = el.clientHeight || 400;
  const scale = height > view && total * ROW > height ? (total * ROW - view) / (height - view) : 1;
  const virtualTop = el.scrollTop * scale;
  const first = Math.max(0, Math.floor(virtualTop / ROW) - OVERSCAN);
  const last = Math.min(total - 1, Math.ceil((virtualTop + view) / ROW) + OVERSCAN);
  return { first, last, offset: el.scrollTop - virtualTop };
}

/** Page `number` if it has come (fetching it if not yet asked for), else null. */
function page(number) {
  if (!pages.has(number)) {
    const mine = generation;
    const promise = fetchListPage(number * LIST_PAGE)
      .then((answer) => {
        if (mine !== generation) return;
        pages.set(number, answer.features);
        draw();
      })
      .catch((error) => {
        if (mine !== generation) return;
        pages.delete(number);
        onError(error);
      });
    pages.set(number, promise);
  }
  const value = pages.get(number);
  return Array.isArray(value) ? value : null;
}

function draw() {
  const list = document.getElementById('list');
  if (total === 0) {
    document.getElementById('list-print-note').textContent = '';
    list.innerHTML = '';
    list.style.height = '0px';
    return;
  }
  list.style.height = `${Math.min(total * ROW, MAX_HEIGHT)}px`;
  const { first, last, offset } = windowRows();
  const rows = [];
  for (let i = first; i <= last; i += 1) {
    const features = page(Math.floor(i / LIST_PAGE));
    const f = features?.[i % LIST_PAGE];
    const top = i * ROW + offset;
    if (f) rows.push(rowHtml({ ...f, position: i }, top));
    else rows.push(`<li class="pending" style="top:${top}px" aria-setsize="${total}" aria-posinset="${i + 1}"><span class="hint">Loading incident ${i + 1}…</span></li>`);
  }
  // A printout holds the rows drawn: say which, and where the rest are.
  document.getElementById('list-print-note').textContent = total > last - first + 1
    ? `This printout lists incidents ${first + 1}–${last + 1} of ${total.toLocaleString('en-GB')} in the chosen order; download the CSV for every one.`
    : '';
  const focused = document.activeElement?.closest?.('#list') ? document.activeElement.dataset.id : null;
  list.innerHTML = rows.join('');
  for (const button of list.querySelectorAll('button')) {
    button.addEventListener('click', () => onSelect(button.dataset.id));
  }
  if (focused) list.querySelector(`button[data-id="${CSS.escape(focused)}"]`)?.focus();
}

/**
 * Starts the list over for `count` matches; `select(id)` when one is chosen. Resolves when
 * the first rows are in.
 */
export async function resetList(count, select, error) {
  generation += 1;
  total = count;
  pages = new Map();
  onSelect = select;
  onError = error;
  viewport().scrollTop = 0;
  draw();
  await pages.get(0);
}

/** Empties the list (the filters are in error). */
export function clearList() {
  generation += 1;
  total = 0;
  pages = new Map();
  draw();
}

/** Redraws with the current colouring and selection. */
export function redrawList() {
  draw();
}

export function setUpList() {
  let pending = false;
  viewport().addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  });
  window.addEventListener('resize', draw);
}

export function markSelected() {
  for (const button of document.querySelectorAll('#list button')) {
    button.setAttribute('aria-current', String(button.dataset.id === state.selected));
  }
}
